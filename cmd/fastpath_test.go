package cmd

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The exec fast path parses with a grammar of exec alone; its Exec field must be the CLI's.
func TestExecCLIMatchesCLI(t *testing.T) {
	full, ok := reflect.TypeFor[CLI]().FieldByName("Exec")
	if !ok {
		t.Fatal("CLI has no Exec field")
	}
	small, _ := reflect.TypeFor[execCLI]().FieldByName("Exec")
	if full.Type != small.Type || full.Tag != small.Tag {
		t.Fatalf("execCLI.Exec = %v %q, CLI.Exec = %v %q", small.Type, small.Tag, full.Type, full.Tag)
	}
	g, _ := reflect.TypeFor[execCLI]().FieldByName("Globals")
	if !g.Anonymous || g.Type != reflect.TypeFor[Globals]() {
		t.Fatal("execCLI must embed Globals")
	}
}

func TestNamesExec(t *testing.T) {
	for args, want := range map[string]bool{
		"exec -- true":                     true,
		"--config x exec -p p -- true":     true,
		"--config=x --json exec":           true,
		"--json exec --help":               true, // parseExec then declines: --help exits
		"env -- exec":                      false,
		"--version exec":                   false,
		"--config":                         false,
		"":                                 false,
		"health --json exec":               false,
		"-- exec":                          false,
		"--config exec route explain exec": false, // "exec" there is --config's value; route is next
	} {
		if got := namesExec(strings.Fields(args)); got != want {
			t.Errorf("namesExec(%q) = %v, want %v", args, got, want)
		}
	}
}

// Every exec invocation gives the same exit status, stdout and stderr through the fast path as
// through the full grammar: the ones the small grammar accepts, and the ones it hands back (usage
// errors, help, version) whose messages must name the whole CLI.
func TestExecFastPathSameAsFullGrammar(t *testing.T) {
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(filepath.Join(home, "c1"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "c1", "auth.json"), []byte(`{"tokens": {"access_token": "tok", "refresh_token": "ref"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfg, []byte(`{"version": 1, "providers": {"codex": {"kind": "codex", "config_dir_env": "CODEX_HOME", "accounts": {
		"a1": {"config_dir": "~/c1", "secret": {"backend": "file", "path": "~/c1/auth.json"}}}}}, "profiles": {"p": {"providers": ["codex:a1#codex-max"]}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"HOME=" + home, "OMUX_STATE_DIR=" + filepath.Join(home, "state"), "PATH=" + os.Getenv("PATH")}
	for _, tt := range []struct {
		args []string
		fast bool // the small grammar accepts them
	}{
		{[]string{"--config", cfg, "exec", "--profile", "p", "--", "true"}, true},
		{[]string{"--config", cfg, "exec", "--profile", "p", "--max-attempts=0", "--"}, true}, // Run's own usage error
		{[]string{"--config", cfg, "exec", "-p", "p", "--pty=never", "--", "false"}, true},
		{[]string{"--config=" + cfg, "exec", "--profile", "p", "--", "sh", "-c", "echo out; echo err >&2; exit 3"}, true},
		{[]string{"--config", cfg, "--json", "exec", "--profile", "nope", "--", "true"}, true},
		{[]string{"--config", cfg, "exec", "--profile", "p", "--", "no-such-program-omux"}, true},
		{[]string{"--config", cfg, "exec", "--profile", "p", "--", "sh", "--help"}, true},
		{[]string{"--config", cfg, "exec", "--max-attempts", "-1", "--", "true"}, false},
		{[]string{"--config", cfg, "exec", "--profile", "p"}, false}, // the command is a required argument
		{[]string{"exec"}, false},
		{[]string{"exec", "--help"}, false},
		{[]string{"exec", "-h"}, false},
		{[]string{"--json", "exec", "--version"}, false},
		{[]string{"exec", "--bogus", "--", "true"}, true}, // passthrough: the command is "--bogus",
		{[]string{"exec", "--pty", "sometimes", "--", "true"}, false},
		{[]string{"exec", "--max-attempts", "x", "--", "true"}, false},
		{[]string{"--config", cfg, "exec", "-p"}, false},
	} {
		args := tt.args
		if _, ok := parseExec(newApp(env, Stdio{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}), args); ok != tt.fast {
			t.Errorf("%q: parseExec ok = %v, want %v", args, ok, tt.fast)
		}
		run := func(fast bool) (int, string, string) {
			var out, errb bytes.Buffer
			app := newApp(env, Stdio{In: strings.NewReader(""), Out: &out, Err: &errb})
			return runWith(app, args, fast), out.String(), errb.String()
		}
		fc, fo, fe := run(true)
		sc, so, se := run(false)
		if fc != sc || fo != so || fe != se {
			t.Errorf("%q:\nfast: %d %q %q\nfull: %d %q %q", args, fc, fo, fe, sc, so, se)
		}
	}
}
