package explain

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/providers"
	"github.com/oauth-mux/oauth-mux/state"
)

// Readiness states (JSON contract of `doctor runtime` and the route planners).
const (
	RuntimeReady            = "ready"
	RuntimeNotReady         = "not_ready"
	RuntimeRepairInProgress = "repair_in_progress"
)

// Readiness issue kinds.
const (
	IssueBinaryMissing        = "binary_missing"
	IssueConfigDirMissing     = "config_dir_missing"
	IssueConfigDirNotDir      = "config_dir_not_directory"
	IssueConfigDirNotWritable = "config_dir_not_writable"
	IssueSessionFileMissing   = "session_file_missing"
	IssueRepairInProgress     = "repair_in_progress"
)

// ReadinessOptions is the world readiness is checked in.
type ReadinessOptions struct {
	// Getenv reads the invocation's environment: PATH finds the required binaries.
	Getenv func(string) string
	// StateDir holds the account locks and the managed config dirs.
	StateDir string
}

// BinaryCheck is one required binary looked up on the invocation's PATH.
type BinaryCheck struct {
	Name  string `json:"name"`
	Found bool   `json:"found"`
	Path  string `json:"path,omitempty"`
}

// SessionCheck is one runtime.session_paths entry, relative to the config dir.
type SessionCheck struct {
	Path    string `json:"path"`
	Present bool   `json:"present"`
}

// RepairInProgress is a held account lock (SPEC §4.4). StartedAt is null when the holder had not
// yet written it.
type RepairInProgress struct {
	Account   string     `json:"account"`
	StartedAt *time.Time `json:"started_at"`
}

// Issue is one thing that keeps an account from being ready.
type Issue struct {
	Kind   string `json:"kind"`
	Detail string `json:"detail,omitempty"`
}

// Readiness is what an account needs locally before its CLI can run (SPEC §7 doctor runtime): it is
// found with stat(2) and PATH lookups only — no secret is read, no provider contacted, nothing
// created except a marker file that proves the config dir writable and is removed at once.
type Readiness struct {
	Provider         string        `json:"provider"`
	Account          string        `json:"account"`
	State            string        `json:"state"`
	Ready            bool          `json:"ready"`
	RequiredBinaries []BinaryCheck `json:"required_binaries"`
	ConfigDirEnv     string        `json:"config_dir_env,omitempty"`
	ConfigDir        string        `json:"config_dir,omitempty"`
	// ConfigDirManaged: oauth-mux creates the dir (under the state dir) at the first exec, so its
	// absence is not a problem.
	ConfigDirManaged  bool              `json:"config_dir_managed"`
	ConfigDirExists   bool              `json:"config_dir_exists"`
	ConfigDirWritable bool              `json:"config_dir_writable"`
	SessionFiles      []SessionCheck    `json:"session_files"`
	RepairInProgress  *RepairInProgress `json:"repair_in_progress"`
	Issues            []Issue           `json:"issues"`
	// Warnings do not keep the account from running: a credential others can read, say.
	Warnings []string `json:"warnings"`
}

// LooseCredential says whether the account's credential file (a file, sops or age secret) can be
// read or written by others than its owner, with a line that says what to do; "" when it cannot.
func LooseCredential(acct config.Account) string {
	switch acct.Secret.Backend {
	case config.BackendFile, config.BackendSops, config.BackendAge:
	default:
		return ""
	}
	fi, err := os.Stat(acct.Secret.Path)
	if err != nil || fi.Mode().Perm()&0o077 == 0 {
		return ""
	}
	return fmt.Sprintf("the credential %s is open to others (mode %04o): chmod 600 it", acct.Secret.Path, fi.Mode().Perm())
}

// has reports whether an issue of kind was found.
func (r *Readiness) has(kind string) bool {
	for _, is := range r.Issues {
		if is.Kind == kind {
			return true
		}
	}
	return false
}

// ConfigDirOf is the config dir an account's CLI is given (SPEC §6.1) and the variable that carries
// it: the account's config_dir, else the managed dir under the state dir; "" when the provider
// injects no config dir.
func ConfigDirOf(cfg *config.Config, provider, account, stateDir string) (env, dir string, managed bool) {
	if env = cfg.ConfigDirEnv(provider); env == "" {
		return "", "", false
	}
	if a, ok := cfg.Account(provider, account); ok && a.ConfigDir != "" {
		return env, a.ConfigDir, false
	}
	if stateDir == "" {
		return env, "", true
	}
	return env, state.HomesDir(stateDir, provider, account), true
}

// CheckReadiness checks one account's runtime (SPEC §7): the definition's required binaries on the
// invocation's PATH, its config dir (exists, is a directory, is writable), its session files, and a
// held repair lock.
func CheckReadiness(cfg *config.Config, provider, account string, opts ReadinessOptions) Readiness {
	def := cfg.Definition(provider)
	getenv := opts.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	r := Readiness{Provider: provider, Account: account, RequiredBinaries: []BinaryCheck{},
		SessionFiles: []SessionCheck{}, Issues: []Issue{}, Warnings: []string{}}
	if w := LooseCredential(cfg.Providers[provider].Accounts[account]); w != "" {
		r.Warnings = append(r.Warnings, w)
	}
	for _, name := range def.Runtime.RequiredBinaries {
		path, err := providers.LookPath(name, getenv("PATH"))
		r.RequiredBinaries = append(r.RequiredBinaries, BinaryCheck{Name: name, Found: err == nil, Path: path})
		if err != nil {
			r.Issues = append(r.Issues, Issue{Kind: IssueBinaryMissing, Detail: name})
		}
	}

	r.ConfigDirEnv, r.ConfigDir, r.ConfigDirManaged = ConfigDirOf(cfg, provider, account, opts.StateDir)
	if r.ConfigDir != "" {
		fi, err := os.Stat(r.ConfigDir)
		switch {
		case err != nil && errors.Is(err, fs.ErrNotExist):
			if !r.ConfigDirManaged {
				r.Issues = append(r.Issues, Issue{Kind: IssueConfigDirMissing, Detail: r.ConfigDir})
			}
		case err != nil:
			r.Issues = append(r.Issues, Issue{Kind: IssueConfigDirMissing, Detail: r.ConfigDir})
		case !fi.IsDir():
			r.ConfigDirExists = true
			r.Issues = append(r.Issues, Issue{Kind: IssueConfigDirNotDir, Detail: r.ConfigDir})
		default:
			r.ConfigDirExists = true
			r.ConfigDirWritable = writable(r.ConfigDir)
			if !r.ConfigDirWritable {
				r.Issues = append(r.Issues, Issue{Kind: IssueConfigDirNotWritable, Detail: r.ConfigDir})
			}
		}
		for _, sp := range def.Runtime.SessionPaths {
			_, err := os.Lstat(filepath.Join(r.ConfigDir, filepath.FromSlash(sp)))
			present := err == nil
			r.SessionFiles = append(r.SessionFiles, SessionCheck{Path: sp, Present: present})
			// A managed dir is filled from the secret at exec: its session files are ours to write.
			if !present && !r.ConfigDirManaged {
				r.Issues = append(r.Issues, Issue{Kind: IssueSessionFileMissing, Detail: sp})
			}
		}
	}

	if opts.StateDir != "" {
		if held, since := state.IsAccountLocked(opts.StateDir, provider, account); held {
			rip := &RepairInProgress{Account: omux.Account(provider, account).String()}
			if !since.IsZero() {
				t := since.UTC()
				rip.StartedAt = &t
			}
			r.RepairInProgress = rip
			r.Issues = append(r.Issues, Issue{Kind: IssueRepairInProgress, Detail: rip.Account})
		}
	}

	switch {
	case r.RepairInProgress != nil:
		r.State = RuntimeRepairInProgress
	case len(r.Issues) > 0:
		r.State = RuntimeNotReady
	default:
		r.State, r.Ready = RuntimeReady, true
	}
	return r
}

// writable proves dir writable the only reliable way (access(2) lies about read-only mounts and
// ACLs): create a uniquely named marker with O_EXCL and remove it.
func writable(dir string) bool {
	var b [8]byte
	_, _ = rand.Read(b[:])
	p := filepath.Join(dir, ".oauth-mux-write-check-"+hex.EncodeToString(b[:]))
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return false
	}
	f.Close()
	os.Remove(p)
	return true
}
