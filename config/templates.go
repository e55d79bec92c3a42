package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/oauth-mux/oauth-mux/internal/omux"
)

// Starter is the generic config `oauth-mux init` writes: one GitHub account whose token comes from the
// GH_TOKEN environment variable and a profile for it. It validates as written and reads no secret.
func Starter(getenv func(string) string) []byte {
	_ = getenv // part of the template signature; the starter depends on no environment
	c := Config{
		Version:  1,
		Defaults: Defaults{Profile: "github"},
		Providers: map[string]Provider{
			"github": {
				Kind: "github",
				Accounts: map[string]Account{
					"personal": {Priority: 10, Secret: Secret{Backend: BackendEnv, Variable: "GH_TOKEN"}},
				},
			},
		},
		Profiles: map[string]Profile{
			"github": {Providers: []string{"github:personal#identity"}, Strategy: "failover"},
		},
		Strategies: map[string]Strategy{"failover": {Kind: PriorityFailover}},
	}
	return render(c)
}

// CodexMax is the config `oauth-mux init --codex-max` writes: three Codex subscription accounts
// max-1..3 (priorities 30/20/10), each with its own CODEX_HOME under the data dir holding auth.json,
// and the profiles codex-max and codex-mini ordered by health.
func CodexMax(getenv func(string) string) []byte {
	data := DataDir(getenv)
	accounts := map[string]Account{}
	var maxRoutes, miniRoutes []string
	for i, prio := range []int{30, 20, 10} {
		name := fmt.Sprintf("max-%d", i+1)
		// path.Join, not filepath: a "~/" prefix must keep its slash on every OS.
		dir := path.Join(filepath.ToSlash(data), "codex", name)
		accounts[name] = Account{
			Priority:  prio,
			ConfigDir: dir,
			Secret:    Secret{Backend: BackendFile, Path: path.Join(dir, "auth.json")},
		}
		maxRoutes = append(maxRoutes, "codex:"+name+"#codex-max")
		miniRoutes = append(miniRoutes, "codex:"+name+"#codex-mini")
	}
	ttl := DefaultAffinityTTLMinutes
	retries := 2
	c := Config{
		Version:  1,
		Defaults: Defaults{Provider: "codex", Profile: "codex-max", Strategy: "codex-health"},
		Providers: map[string]Provider{
			"codex": {Kind: "codex", ConfigDirEnv: "CODEX_HOME", Accounts: accounts},
		},
		Profiles: map[string]Profile{
			"codex-max":  {Providers: maxRoutes, Strategy: "codex-health", AffinityTTLMinutes: &ttl},
			"codex-mini": {Providers: miniRoutes, Strategy: "codex-health", AffinityTTLMinutes: &ttl},
		},
		Strategies: map[string]Strategy{
			"codex-health": {Kind: HealthWeighted, MaxRetries: &retries},
		},
	}
	return render(c)
}

func render(c Config) []byte {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		panic("config: template does not marshal: " + err.Error()) // static data: a bug, not an input
	}
	return append(b, '\n')
}

// ExistsError refuses to overwrite a file (`init` never does).
type ExistsError struct{ Path string }

func (e *ExistsError) Error() string { return e.Path + " exists" }
func (e *ExistsError) Unwrap() error { return fs.ErrExist }

// ExitCode is 1: a general error, not a config error.
func (e *ExistsError) ExitCode() int { return omux.ExitGeneral }

// WriteNew creates path with data, mode 0600, creating missing parent dirs 0700. It never replaces an
// existing file: O_EXCL makes the check and the creation one step, so two `init`s cannot both win.
func WriteNew(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return &ExistsError{Path: path}
		}
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path) // a half-written config would be worse than none
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
