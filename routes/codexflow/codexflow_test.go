package codexflow

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/internal/testcfg"
)

func TestAccountsAndDirs(t *testing.T) {
	dir := t.TempDir()
	cfg := testcfg.Load(t, `{
  "version": 1,
  "providers": {
    "codex": {"kind": "codex", "config_dir_env": "CODEX_HOME", "accounts": {
      "a": {"config_dir": "`+filepath.Join(dir, "a")+`", "secret": {"backend": "file", "path": "`+filepath.Join(dir, "a", "auth.json")+`"}},
      "b": {"secret": {"backend": "file", "path": "/nonexistent/auth.json"}}
    }},
    "github": {"accounts": {"g": {"secret": {"backend": "env", "variable": "GH"}}}}
  }
}`)
	stateDir := filepath.Join(dir, "state")
	accts, err := Accounts(cfg, stateDir, "")
	if err != nil || len(accts) != 2 || accts[0].Key != "codex:a" || accts[0].Managed || !accts[1].Managed ||
		accts[1].CodexHome != filepath.Join(stateDir, "homes", "codex", "b") {
		t.Fatalf("accounts %+v, %v", accts, err)
	}
	if _, err := Accounts(cfg, stateDir, "zz"); err == nil {
		t.Fatal("an unknown account must be an error")
	}
	if err := os.MkdirAll(accts[0].CodexHome, 0o755); err != nil {
		t.Fatal(err)
	}
	res := BootstrapDirs(accts)
	if res[0].Created || res[0].Mode != "0700" || !res[1].Created || res[1].Mode != "0700" || res[0].Error != "" || res[1].Error != "" {
		t.Fatalf("bootstrap %+v", res)
	}
	file := Account{Key: "codex:f", CodexHome: filepath.Join(dir, "a", "auth.json")}
	if err := os.WriteFile(file.CodexHome, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := BootstrapDirs([]Account{file}); r[0].Error == "" {
		t.Fatal("a CODEX_HOME that is a file must be an error")
	}
}

func TestLoginStatus(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o700); err != nil {
		t.Fatal(err)
	}
	// codex-cli 0.147's answers: logged in on stdout with exit 0, "Not logged in" on stderr, exit 1.
	script := "#!/bin/sh\nif [ -f \"$CODEX_HOME/auth.json\" ]; then echo 'Logged in using ChatGPT'; exit 0; fi\necho 'Not logged in' >&2; exit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "codex"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	env := omux.Environ{"PATH=" + bin + ":/usr/bin:/bin"}
	a := Account{Key: "codex:a", CodexHome: filepath.Join(dir, "a")}
	if st := LoginStatus(t.Context(), env, a); st.Status != LoggedOut || st.ExitCode != 1 {
		t.Fatalf("logged out: %+v", st)
	}
	if err := os.MkdirAll(a.CodexHome, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(a.CodexHome, "auth.json"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if st := LoginStatus(t.Context(), env, a); st.Status != LoggedIn || st.Method != "chatgpt" {
		t.Fatalf("logged in: %+v", st)
	}
	if st := LoginStatus(t.Context(), omux.Environ{"PATH=" + filepath.Join(dir, "none")}, a); st.ExitCode != 127 || st.Status != Unknown {
		t.Fatalf("no codex: %+v", st)
	}
}

// An API key login is logged in, but not a subscription account: canary and onboard do not count it.
func TestAPIKeyLoginIsNotReady(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "codex"), []byte("#!/bin/sh\necho 'Logged in using an API key - sk-proj-***ABCD'\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	st := LoginStatus(t.Context(), omux.Environ{"PATH=" + dir + ":/usr/bin:/bin"}, Account{Key: "codex:a", CodexHome: dir})
	if st.Status != LoggedIn || st.Method != "api_key" || st.Ready() {
		t.Fatalf("api key login: %+v ready %v", st, st.Ready())
	}
}
