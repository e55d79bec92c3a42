// Package testkit is for testing your own wrappers, shell aliases, CI steps and agents that run
// under oauth-mux, with testscript (github.com/rogpeppe/go-internal/testscript). Inside each script
// the real oauth-mux of the version your go.mod names runs as a program, beside fake provider CLIs
// (`codex`, `claude`, `gh`, `copilot`, `gemini`, `agent` and `fakecli`, see package fakecli) whose
// output and exit status each account's script decides: the first account can hit a real Codex
// usage limit and the second succeed. Every script runs sealed inside its $WORK: HOME, the XDG dirs
// and oauth-mux's config and state dirs point there, so no test reads or writes your real accounts.
//
//	func TestMain(m *testing.M) { testkit.Main(m, nil) }
//
//	func TestWrapper(t *testing.T) { testscript.Run(t, testkit.Params("testdata/script")) }
//
// It is test support: the product never imports it. It owns the in-test programs, the sealed
// environment and the script commands listed at Commands; it must not change what oauth-mux does.
package testkit

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/oauth-mux/oauth-mux/cmd"
	"github.com/oauth-mux/oauth-mux/testkit/fakecli"
)

// Main is the body of a TestMain: it registers Programs (and more, which may add programs or replace
// one of them) as the programs a script can exec, then runs the tests. It does not return.
func Main(m testscript.TestingM, more map[string]func()) {
	programs := Programs()
	for name, fn := range more {
		programs[name] = fn
	}
	testscript.Main(m, programs)
}

// Programs are the programs testkit puts on a script's PATH: `oauth-mux` (this module's CLI, run by
// the test binary re-executed under that name), `fakecli`, and a stand-in for each CLI in
// fakecli.StandIns. The in-test oauth-mux runs the code of the version your go.mod requires, but
// `oauth-mux version` says 0.1.0-dev there: go test stamps no module versions into a test binary.
func Programs() map[string]func() {
	fake := func() { os.Exit(fakecli.Main()) }
	programs := map[string]func(){"oauth-mux": cmd.Program, "fakecli": fake}
	for name := range fakecli.StandIns {
		programs[name] = fake
	}
	return programs
}

// Params are testscript parameters for the scripts in dir: Setup seals each script in its $WORK,
// Commands adds the script commands, and a bare program name is refused (write `exec codex …`), so a
// script never runs a real CLI of the same name by accident. To add a setup of your own, call Setup
// first from it (replacing p.Setup alone drops the sealing):
//
//	p := testkit.Params("testdata/script")
//	p.Setup = func(env *testscript.Env) error {
//		if err := testkit.Setup(env); err != nil {
//			return err
//		}
//		env.Setenv("MY_TOOL_HOME", env.WorkDir+"/tool")
//		return nil
//	}
//	p.Cmds["mycmd"] = myCmd
func Params(dir string) testscript.Params {
	return testscript.Params{
		Dir:                 dir,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup:               Setup,
		Cmds:                Commands(),
	}
}

// Setup is a testscript Setup that seals the script inside its $WORK (Env).
func Setup(env *testscript.Env) error {
	vars, err := Env(env.WorkDir)
	for k, v := range vars {
		env.Setenv(k, v)
	}
	return err
}

// Env is the sealed environment for a test working in work: HOME is work/home, the XDG base dirs and
// OMUX_CONFIG_DIR/OMUX_STATE_DIR lie under it, and what a developer's shell may export that would
// change oauth-mux or the fakes (a config path, a shell, the marks of an oauth-mux run around the
// tests, a fake's script) is cleared: set empty, which oauth-mux and the fakes read as unset. Output is plain and stable: NO_COLOR, TERM=dumb, COLUMNS=100,
// LC_ALL=C, TZ=UTC. It creates HOME and XDG_RUNTIME_DIR. PATH is not in it: testscript sets its own.
func Env(work string) (map[string]string, error) {
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
		"OMUX_VERSION":    "",
		// tests run under oauth-mux must not trip its nesting check
		"OMUX_ACTIVE_PROVIDER": "", "OMUX_EXEC_CHILD": "",
		"NO_COLOR": "1",
		"TERM":     "dumb",
		"COLUMNS":  "100", // kong wraps help at this width
		"LC_ALL":   "C",
		"TZ":       "UTC",
		// `go test -cover` of a binary re-executed in a script
		"GOCOVERDIR": os.Getenv("GOCOVERDIR"),
	}
	vars["FAKECLI_SCRIPT"] = ""
	for name := range fakecli.StandIns {
		vars["FAKECLI_"+strings.ToUpper(name)+"_SCRIPT"] = ""
	}
	for _, d := range []string{home, filepath.Join(work, "run")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	return vars, nil
}

// Environ is Env as a whole environment list for os/exec (nothing of the test process's environment
// but PATH), with overrides ("KEY=value") applied last. It fails the test when work cannot be set up.
func Environ(t testing.TB, work string, overrides ...string) []string {
	t.Helper()
	vars, err := Env(work)
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

// Commands are the script commands testkit adds to testscript's own:
//
//	status WANT PROG [ARGS…]        run PROG like exec and require its exit status WANT: a number,
//	                                or a signal name (SIGTERM) for a death by that signal
//	waitfile PATH [TIMEOUT]         wait until PATH exists (default 10s), e.g. for a background child
//	waitgrep PATTERN FILE [TIMEOUT] wait until FILE has a line matching PATTERN (default 10s)
//	[!] filemode MODE PATH          PATH's permission bits are (not) MODE, e.g. 0600
//
// status is there because oauth-mux's exit codes are a contract (0, the child's own status, 200–204)
// and testscript's `! exec` tells only zero from non-zero.
func Commands() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"status":   cmdStatus,
		"waitfile": cmdWaitfile,
		"waitgrep": cmdWaitgrep,
		"filemode": cmdFilemode,
	}
}

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
		got = ExitStatus(ee)
	}
	if got != want {
		ts.Fatalf("%s: exit status %s, want %s", args[1], got, want)
	}
}

// ExitStatus names how a process ended: its exit status as a number, or the signal that killed it
// ("SIGTERM"), as the status command compares them.
func ExitStatus(ee *exec.ExitError) string {
	ws, ok := ee.Sys().(syscall.WaitStatus)
	if !ok {
		return strconv.Itoa(ee.ExitCode())
	}
	if ws.Signaled() {
		return fakecli.SignalName(ws.Signal())
	}
	return strconv.Itoa(ws.ExitStatus())
}

// timeoutArg reads an optional TIMEOUT argument (a Go duration), 10s when absent.
func timeoutArg(ts *testscript.TestScript, args []string, i int) time.Duration {
	if len(args) <= i {
		return 10 * time.Second
	}
	d, err := time.ParseDuration(args[i])
	ts.Check(err)
	return d
}

// poll calls done every 10ms until it holds or timeout passes; it reports whether it held.
func poll(timeout time.Duration, done func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !done() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

func cmdWaitfile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: waitfile PATH [TIMEOUT]")
	}
	timeout := timeoutArg(ts, args, 1)
	path := ts.MkAbs(args[0])
	if !poll(timeout, func() bool { _, err := os.Stat(path); return err == nil }) {
		ts.Fatalf("waitfile %s: still missing after %v", args[0], timeout)
	}
}

func cmdWaitgrep(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: waitgrep PATTERN FILE [TIMEOUT]")
	}
	re, err := regexp.Compile("(?m)" + args[0])
	ts.Check(err)
	timeout := timeoutArg(ts, args, 2)
	path := ts.MkAbs(args[1])
	if !poll(timeout, func() bool { b, err := os.ReadFile(path); return err == nil && re.Match(b) }) {
		ts.Fatalf("waitgrep: no match for %q in %s after %v", args[0], args[1], timeout)
	}
}

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
		not := ""
		if neg {
			not = "not "
		}
		ts.Fatalf("%s: mode %#o, want %s%#o", args[1], got, not, want)
	}
}
