// Package codexflow owns the Codex subscription flows around the accounts' CODEX_HOME dirs: making
// the dirs, asking `codex login status` of each account, and running `codex login` (or its device
// flow) for one, through routes/repair's login under the account lock.
//
// It must not read or print a token (login status is judged by its exit status and first words), run
// anything that spends (no `codex exec`), or render: cmd prints what it returns.
package codexflow

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/providers"
	"github.com/oauth-mux/oauth-mux/routes/explain"
	"github.com/oauth-mux/oauth-mux/routes/repair"
)

// Account is one Codex account and its CODEX_HOME.
type Account struct {
	Provider  string `json:"provider"`
	Account   string `json:"account"`
	Key       string `json:"key"`
	CodexHome string `json:"codex_home"`
	// Managed is true for a dir under the state dir (the account has no config_dir of its own).
	Managed bool `json:"managed"`
}

// Accounts lists the accounts of every Codex provider (named codex, or of kind codex), in config
// order; only names one when it is not "".
func Accounts(cfg *config.Config, stateDir, only string) ([]Account, error) {
	var out []Account
	for _, p := range cfg.SortedProviderNames() {
		if cfg.Definition(p).Name != "codex" && p != "codex" {
			continue
		}
		for _, a := range cfg.SortedAccountNames(p) {
			if only != "" && a != only {
				continue
			}
			env, dir, managed := explain.ConfigDirOf(cfg, p, a, stateDir)
			if env == "" || dir == "" {
				continue
			}
			out = append(out, Account{Provider: p, Account: a, Key: omux.Account(p, a).String(), CodexHome: dir, Managed: managed})
		}
	}
	if only != "" && len(out) == 0 {
		return nil, fmt.Errorf("no codex account %q", only)
	}
	if len(out) == 0 {
		return nil, errors.New("the config has no codex account (oauth-mux init --codex-max writes one)")
	}
	return out, nil
}

// DirResult is what BootstrapDirs did with one account's CODEX_HOME.
type DirResult struct {
	Account
	Created bool   `json:"created"`
	Mode    string `json:"mode"`
	Error   string `json:"error,omitempty"`
}

// BootstrapDirs makes each account's CODEX_HOME (0700), tightening an existing one that others may
// read; nothing inside is touched.
func BootstrapDirs(accts []Account) []DirResult {
	out := make([]DirResult, 0, len(accts))
	for _, a := range accts {
		r := DirResult{Account: a}
		fi, err := os.Stat(a.CodexHome)
		switch {
		case err == nil && !fi.IsDir():
			r.Error = "exists and is not a directory"
		case err == nil:
			if fi.Mode().Perm()&0o077 != 0 {
				err = os.Chmod(a.CodexHome, 0o700)
			}
		case errors.Is(err, os.ErrNotExist):
			err = os.MkdirAll(a.CodexHome, 0o700)
			r.Created = err == nil
		}
		if err != nil && r.Error == "" {
			r.Error = err.Error()
		}
		if fi, err := os.Stat(a.CodexHome); err == nil {
			r.Mode = fmt.Sprintf("%04o", fi.Mode().Perm())
		}
		out = append(out, r)
	}
	return out
}

// Ready reports whether the status is a live ChatGPT login: an API key login bills per use, so it
// does not stand in for a subscription account.
func (s Status) Ready() bool { return s.Status == LoggedIn && s.Method != "api_key" }

// Login statuses.
const (
	LoggedIn  = "logged_in"
	LoggedOut = "logged_out"
	Unknown   = "unknown" // codex could not be run, or said something else
)

// Status is what `codex login status` said of one account: its exit status and the method
// ("chatgpt", "api_key") from its first words, never the rest of the line (an API key login shows a
// masked key there).
type Status struct {
	Account
	Status   string `json:"status"`
	Method   string `json:"method,omitempty"`
	ExitCode int    `json:"exit_code"`
	Error    string `json:"error,omitempty"`
}

// LoginStatus runs `codex login status` with the account's CODEX_HOME. codex-rs exits 0 with
// "Logged in using ChatGPT" (or "Logged in using an API key - …") and 1 with "Not logged in" on
// stderr (codex-cli 0.147; the exit status is the contract, the words only name the method).
func LoginStatus(ctx context.Context, env omux.Environ, a Account) Status {
	st := Status{Account: a, Status: Unknown}
	path, err := providers.LookPath("codex", env.Get("PATH"))
	if err != nil {
		st.ExitCode, st.Error = 127, "codex: command not found on PATH"
		return st
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "login", "status")
	cmd.Args[0] = "codex"
	cmd.Env = append(append(omux.Environ{}, env...), "CODEX_HOME="+a.CodexHome)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Stdin = nil
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		st.Status = LoggedIn
	case errors.As(err, &ee):
		st.ExitCode = ee.ExitCode()
		st.Status = LoggedOut
		if !strings.Contains(strings.ToLower(out.String()), "not logged in") {
			st.Status = Unknown
			st.Error = fmt.Sprintf("codex login status exited %d", st.ExitCode)
		}
	default:
		st.ExitCode, st.Error = 126, err.Error()
		return st
	}
	text := strings.ToLower(out.String())
	switch {
	case strings.Contains(text, "using chatgpt"):
		st.Method = "chatgpt"
	case strings.Contains(text, "api key"):
		st.Method = "api_key"
	}
	return st
}

// LoginOptions is what a login runs with: repair's options (the config, the store, the terminal).
type LoginOptions = repair.Options

// Login runs `codex login` (device: `codex login --device-auth`) for the account with its CODEX_HOME,
// the terminal inherited, under the account's repair lock; the CODEX_HOME is made first. A login
// that exits 0 without leaving auth.json behind is not a login (repair checks the session file).
func Login(ctx context.Context, a Account, device bool, o LoginOptions) repair.Result {
	if r := BootstrapDirs([]Account{a}); r[0].Error != "" {
		return repair.Result{Outcome: explain.RepairFailed, ExitCode: 1, Message: fmt.Sprintf("CODEX_HOME %s: %s", a.CodexHome, r[0].Error)}
	}
	argv := []string{"codex", "login"}
	if device {
		argv = append(argv, "--device-auth")
	}
	act := explain.Action{Kind: explain.ActReauth, Argv: argv, Env: map[string]string{"CODEX_HOME": a.CodexHome},
		Budget: providers.BudgetInteractive, Interactive: true, Mutating: true}
	act.Command = "CODEX_HOME=" + a.CodexHome + " " + strings.Join(argv, " ")
	t := &explain.RouteReport{Key: a.Key, Provider: a.Provider, Account: a.Account, Action: act}
	return repair.Run(ctx, t, o)
}

// statMode is a dir's permission bits as "0700", "" when it is not a directory.
func statMode(dir string) string {
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return ""
	}
	return fmt.Sprintf("%04o", fi.Mode().Perm())
}
