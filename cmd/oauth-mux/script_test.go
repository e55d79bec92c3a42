//go:build unix

// The end-to-end suites: testscript runs every testdata/script/*.txtar against the real oauth-mux
// (this test binary re-executed under that name) and the fake CLIs of internal/fakecli. See
// testdata/script/README.md for the commands a script may use.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/oauth-mux/oauth-mux/internal/fakecli"
)

func TestMain(m *testing.M) {
	fake := func() { os.Exit(fakecli.Main()) }
	commands := map[string]func(){
		"oauth-mux": main,
		"fakecli":   fake,
	}
	for name := range fakecli.StandIns {
		commands[name] = fake
	}
	testscript.Main(m, commands)
}

func TestScripts(t *testing.T) {
	t.Parallel()
	testscript.Run(t, ScriptParams("testdata/script"))
}

// ScriptParams are the testscript parameters of our suites: a sealed home, every oauth-mux path inside
// $WORK, and the custom commands.
func ScriptParams(dir string) testscript.Params {
	return testscript.Params{
		Dir:                 dir,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup:               setupEnv,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"status":   cmdStatus,
			"waitfile": cmdWaitfile,
			"filemode": cmdFilemode,

			"tokenserver": cmdTokenserver, "tokenserver-count": cmdTokenserverCount, "waitgrep": cmdWaitgrep,

			"apiserver": cmdAPIServer,
		},
	}
}

// setupEnv seals the script inside $WORK (sealedEnv).
func setupEnv(env *testscript.Env) error {
	vars, err := sealedEnv(env.WorkDir)
	for k, v := range vars {
		env.Setenv(k, v)
	}
	return err
}

// sealedEnv is the environment every end-to-end test runs oauth-mux in, under work: HOME, the XDG
// base dirs and the oauth-mux dirs all point inside it, so no test can read or write the developer's
// real config, state or credentials, and what a developer's shell exports (a config, a shell, an
// active account, a fake's script) is cleared. It creates the dirs that must exist.
func sealedEnv(work string) (map[string]string, error) {
	examples, err := filepath.Abs(filepath.Join("..", "..", "examples"))
	if err != nil {
		return nil, err
	}
	home := filepath.Join(work, "home")
	vars := map[string]string{
		"HOME":            home,
		"XDG_CONFIG_HOME": filepath.Join(home, ".config"),
		"XDG_STATE_HOME":  filepath.Join(home, ".local", "state"),
		"XDG_DATA_HOME":   filepath.Join(home, ".local", "share"),
		"XDG_CACHE_HOME":  filepath.Join(home, ".cache"),
		"XDG_RUNTIME_DIR": filepath.Join(work, "run"),
		"OMUX_CONFIG_DIR": filepath.Join(home, ".config", "oauth-mux"),
		"OMUX_STATE_DIR":  filepath.Join(home, ".local", "state", "oauth-mux"),
		"OMUX_CONFIG":     "",
		"OMUX_SHELL":      "",
		// a developer running the tests under oauth-mux must not trip the nesting check
		"OMUX_ACTIVE_PROVIDER": "", "OMUX_EXEC_CHILD": "",
		"FAKECLI_SCRIPT": "", "FAKECLI_CODEX_SCRIPT": "", "FAKECLI_CLAUDE_SCRIPT": "",
		"NO_COLOR":     "1",
		"TERM":         "dumb",
		"COLUMNS":      "100", // kong wraps help at this width
		"FAKECLI_DIR":  filepath.Join(work, "fake"),
		"LC_ALL":       "C",
		"TZ":           "UTC",
		"GOCOVERDIR":   os.Getenv("GOCOVERDIR"),
		"OMUX_VERSION": "",
		// The repository's examples/, read-only by convention: scripts validate and run them.
		"EXAMPLES": examples,
	}
	for _, d := range []string{home, filepath.Join(work, "run")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	return vars, nil
}

// sealedEnviron is sealedEnv as an environment list of its own (nothing of the test's environment but
// PATH), with overrides ("KEY=value") for what a test sets differently.
func sealedEnviron(t testing.TB, work string, overrides ...string) []string {
	t.Helper()
	vars, err := sealedEnv(work)
	if err != nil {
		t.Fatal(err)
	}
	vars["PATH"] = os.Getenv("PATH")
	for _, o := range overrides {
		k, v, _ := strings.Cut(o, "=")
		vars[k] = v
	}
	env := make([]string, 0, len(vars))
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}

// cmdStatus is `status WANT PROG ARGS…`: run PROG like exec (the script's env, dir and stdin; its
// stdout and stderr become the buffers `stdout`/`stderr` match) and require its exit status. WANT is a
// number, or a signal name (SIGTERM) for a death by that signal. testscript's own `! exec` only knows
// "non-zero"; exit codes are part of oauth-mux's contract (SPEC §10), so the suites assert them.
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("usage: status WANT PROG [ARGS…] (no '!': WANT says what is expected)")
	}
	if len(args) < 2 {
		ts.Fatalf("usage: status WANT PROG [ARGS…]")
	}
	want := args[0]
	err := ts.Exec(args[1], args[2:]...)
	got := "0"
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		ws := ee.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			got = signalName(ws.Signal())
		} else {
			got = strconv.Itoa(ws.ExitStatus())
		}
	}
	if got != want {
		ts.Fatalf("%s: exit status %s, want %s", args[1], got, want)
	}
}

func signalName(sig syscall.Signal) string {
	for _, name := range []string{"HUP", "INT", "QUIT", "KILL", "TERM", "USR1", "USR2", "PIPE", "ABRT"} {
		if s, _ := fakecli.ParseSignal(name); s == sig {
			return "SIG" + name
		}
	}
	return fmt.Sprintf("signal%d", int(sig))
}

// cmdWaitfile is `waitfile PATH [TIMEOUT]`: wait until PATH exists (default 10s), e.g. for a
// background child to be ready.
func cmdWaitfile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: waitfile PATH [TIMEOUT]")
	}
	timeout := 10 * time.Second
	if len(args) == 2 {
		d, err := time.ParseDuration(args[1])
		ts.Check(err)
		timeout = d
	}
	path := ts.MkAbs(args[0])
	deadline := time.Now().Add(timeout)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("waitfile %s: still missing after %v", args[0], timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// cmdFilemode is `filemode MODE PATH`: PATH's permission bits are MODE (octal, e.g. 0600).
func cmdFilemode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: [!] filemode MODE PATH")
	}
	want, err := strconv.ParseUint(args[0], 8, 32)
	ts.Check(err)
	fi, err := os.Stat(ts.MkAbs(args[1]))
	ts.Check(err)
	got := fi.Mode().Perm()
	if (uint64(got) == want) == neg {
		ts.Fatalf("%s: mode %#o, want %s%#o", args[1], got, map[bool]string{true: "not ", false: ""}[neg], want)
	}
}
