// Package fakecli is the fake command that testscript suites run in place of real provider CLIs:
// `fakecli`, and the stand-ins `codex`, `claude`, `gh`, `copilot`, `gemini` and `agent`, registered in
// the test binary's TestMain (testkit.Main does it).
// Its behaviour is a list of steps taken from its arguments, a script file, or (for a stand-in) the
// account's config dir, so one script can make the first account hit a usage limit and the second
// succeed.
//
// It is test support: no product package may import it. testkit registers it in users' test binaries;
// oauth-mux's own suites and unit tests run it directly.
//
// Steps (composable: `fakecli out hello err oops exit 3`):
//
//	out TEXT         TEXT and a newline on stdout
//	err TEXT         TEXT and a newline on stderr
//	outraw TEXT      TEXT with Go escapes (\n \r \x1b \t \\) on stdout, no newline added
//	errraw TEXT      the same on stderr
//	exit N           exit with status N (the default is 0 after the last step)
//	signal SIG       kill itself with SIG (TERM, INT, HUP, KILL, USR1, 15, …)
//	sleep DUR        sleep (a Go duration: 100ms, 2s)
//	env NAME…        NAME=value for each NAME (NAME=<unset> when unset); takes every following
//	                 argument that is not a step keyword
//	args             every argument fakecli was started with, one per line
//	tty              stdin:tty|notty stdout:tty|notty stderr:tty|notty
//	size             rows:R cols:C of the terminal on stdout (or "size: not a terminal")
//	cat              copy stdin to stdout until EOF
//	pid FILE         write the process id to FILE
//	write FILE TEXT  write TEXT and a newline to FILE (credential write-back tests)
//	waitfile FILE    wait (10 s at most) until FILE exists
//	trap SIG         on SIG print "got SIG<NAME>" on stdout and exit 128+N
//	ignore SIG       ignore SIG
//	script FILE      run the steps in FILE, one a line ("#" comments; out/err take the rest of the
//	                 line verbatim)
//
// A stand-in takes its steps from, in order: the file named by FAKECLI_<NAME>_SCRIPT
// (FAKECLI_CODEX_SCRIPT, …) or FAKECLI_SCRIPT; the file fakecli.script in its config dir
// (CODEX_HOME, CLAUDE_CONFIG_DIR, GH_CONFIG_DIR, COPILOT_HOME, GEMINI_CLI_HOME), which is how a script gives each
// account its own behaviour; its arguments when the first is a step keyword; else it prints
// "<name> ok" and exits 0. The codex stand-in answers `login status` and `login [--device-auth]`
// itself, from auth.json in CODEX_HOME, unless a FAKECLI_*_SCRIPT says otherwise.
package fakecli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/creack/pty"
)

// StandIns maps each stand-in name to the environment variable naming its config dir.
// "agent" is the CLI of no known provider, for tests of providers oauth-mux has no catalog entry for.
var StandIns = map[string]string{
	"agent":   "AGENT_HOME",
	"codex":   "CODEX_HOME",
	"claude":  "CLAUDE_CONFIG_DIR",
	"gh":      "GH_CONFIG_DIR",
	"copilot": "COPILOT_HOME",
	"gemini":  "GEMINI_CLI_HOME",
}

// Main runs fakecli as the process it is (os.Args, os.Stdin…) and returns its exit status.
func Main() int {
	name := os.Args[0]
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	r := &runner{
		args:   os.Args[1:],
		stdin:  os.Stdin,
		stdout: os.Stdout,
		stderr: os.Stderr,
		lookup: os.LookupEnv,
	}
	return r.main(name)
}

type runner struct {
	args           []string
	stdin          io.Reader
	stdout, stderr io.Writer
	lookup         func(string) (string, bool)
}

func (r *runner) getenv(k string) string { v, _ := r.lookup(k); return v }

// exitError ends the run with a status.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

func (r *runner) main(name string) int {
	var err error
	if envName, ok := StandIns[name]; ok {
		err = r.standIn(name, envName)
	} else {
		err = r.runArgs(r.args)
	}
	var ex exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ex):
		return ex.code
	default:
		fmt.Fprintf(r.stderr, "fakecli: %v\n", err)
		return 99 // a broken test script, distinct from every status a step asks for
	}
}

func (r *runner) standIn(name, dirEnv string) error {
	for _, file := range []string{r.getenv("FAKECLI_" + strings.ToUpper(name) + "_SCRIPT"), r.getenv("FAKECLI_SCRIPT")} {
		if file != "" {
			return r.runScript(file)
		}
	}
	if name == "codex" && len(r.args) > 0 && r.args[0] == "login" {
		return r.codexLogin()
	}
	if dir := r.getenv(dirEnv); dir != "" {
		file := dir + "/fakecli.script"
		if _, err := os.Stat(file); err == nil {
			return r.runScript(file)
		}
	}
	if len(r.args) > 0 && isKeyword(r.args[0]) {
		return r.runArgs(r.args)
	}
	_, err := fmt.Fprintf(r.stdout, "%s ok\n", name)
	return err
}

// codexLogin is `codex login status` and `codex login [--device-auth]` as codex-cli 0.147 behaves
// (openai/codex codex-rs/cli/src/login.rs; measured 2026: "Logged in using ChatGPT" exit 0, "Not
// logged in" on stderr exit 1): logged in means auth.json in CODEX_HOME. A login writes it, unless
// CODEX_HOME holds a file login-fails (a cancelled device flow: exit 1, nothing written).
func (r *runner) codexLogin() error {
	home := r.getenv("CODEX_HOME")
	auth := home + "/auth.json"
	if len(r.args) > 1 && r.args[1] == "status" {
		if _, err := os.Stat(auth); err == nil && home != "" {
			return writeln(r.stdout, "Logged in using ChatGPT")
		}
		_ = writeln(r.stderr, "Not logged in")
		return exitError{1}
	}
	if len(r.args) > 1 && r.args[1] == "--device-auth" {
		_ = writeln(r.stderr, "Follow these steps to sign in with ChatGPT using device code authorization:")
		_ = writeln(r.stderr, "1. Open this link in your browser and sign in to your account\n   https://auth.openai.com/codex/device")
		_ = writeln(r.stderr, "2. Enter this one-time code (expires in 15 minutes)\n   FAKE-CODE")
	}
	if _, err := os.Stat(home + "/login-fails"); err == nil || home == "" {
		_ = writeln(r.stderr, "Error logging in: device code expired")
		return exitError{1}
	}
	tokens := `{"OPENAI_API_KEY": null, "tokens": {"id_token": "fake-id", "access_token": "fake-login-at", "refresh_token": "fake-login-rt", "account_id": "fake"}, "last_refresh": "2026-12-02T00:00:00Z"}`
	if err := writeWhole(auth, tokens+"\n"); err != nil {
		return err
	}
	return writeln(r.stderr, "Successfully logged in")
}

// step is one fakecli action; nargs is how many arguments it takes, -1 for "every following argument
// that is not a keyword".
type step struct {
	nargs int
	run   func(r *runner, args []string) error
}

var steps map[string]step

func init() {
	steps = map[string]step{
		"out":    {1, func(r *runner, a []string) error { return writeln(r.stdout, a[0]) }},
		"err":    {1, func(r *runner, a []string) error { return writeln(r.stderr, a[0]) }},
		"outraw": {1, func(r *runner, a []string) error { return rawprint(r.stdout, a[0]) }},
		"errraw": {1, func(r *runner, a []string) error { return rawprint(r.stderr, a[0]) }},
		"exit":   {1, stepExit},
		"signal": {1, stepSignal},
		"sleep":  {1, stepSleep},
		"env":    {-1, stepEnv},
		"args":   {0, stepArgs},
		"tty":    {0, stepTTY},
		"size":   {0, stepSize},
		"cat":    {0, func(r *runner, _ []string) error { _, err := io.Copy(r.stdout, r.stdin); return err }},
		"pid": {1, func(_ *runner, a []string) error {
			return writeWhole(a[0], strconv.Itoa(os.Getpid())+"\n")
		}},
		"write":    {2, func(_ *runner, a []string) error { return writeWhole(a[0], a[1]+"\n") }},
		"waitfile": {1, stepWaitfile},
		"trap":     {1, stepTrap},
		"ignore":   {1, stepIgnore},
		"script":   {1, func(r *runner, a []string) error { return r.runScript(a[0]) }},
	}
}

func isKeyword(s string) bool { _, ok := steps[s]; return ok }

// runArgs runs the steps spelled out in an argument list.
func (r *runner) runArgs(args []string) error {
	for len(args) > 0 {
		kw := args[0]
		st, ok := steps[kw]
		if !ok {
			return fmt.Errorf("unknown step %q", kw)
		}
		args = args[1:]
		n := st.nargs
		if n < 0 {
			n = 0
			for n < len(args) && !isKeyword(args[n]) {
				n++
			}
		}
		if len(args) < n {
			return fmt.Errorf("step %s needs %d argument(s)", kw, n)
		}
		if err := st.run(r, args[:n]); err != nil {
			return err
		}
		args = args[n:]
	}
	return nil
}

// runScript runs a script file: one step a line.
func (r *runner) runScript(file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		kw, rest, _ := strings.Cut(text, " ")
		rest = strings.TrimLeft(rest, " ")
		st, ok := steps[kw]
		if !ok {
			return fmt.Errorf("%s:%d: unknown step %q", file, line, kw)
		}
		var args []string
		switch {
		case st.nargs == 1 && (kw == "out" || kw == "err" || kw == "outraw" || kw == "errraw"):
			args = []string{rest}
		case kw == "write":
			f, t, _ := strings.Cut(rest, " ")
			args = []string{f, t}
		default:
			args = strings.Fields(rest)
		}
		if st.nargs >= 0 && len(args) != st.nargs {
			return fmt.Errorf("%s:%d: step %s needs %d argument(s)", file, line, kw, st.nargs)
		}
		if err := st.run(r, args); err != nil {
			return err
		}
	}
	return sc.Err()
}

func writeln(w io.Writer, s string) error {
	_, err := fmt.Fprintln(w, s)
	return err
}

func rawprint(w io.Writer, s string) error {
	u, err := strconv.Unquote(`"` + strings.ReplaceAll(s, `"`, `\"`) + `"`)
	if err != nil {
		return fmt.Errorf("outraw/errraw: %v", err)
	}
	_, err = io.WriteString(w, u)
	return err
}

func stepExit(_ *runner, a []string) error {
	n, err := strconv.Atoi(a[0])
	if err != nil {
		return fmt.Errorf("exit: %v", err)
	}
	return exitError{n}
}

func stepSleep(_ *runner, a []string) error {
	d, err := time.ParseDuration(a[0])
	if err != nil {
		return fmt.Errorf("sleep: %v", err)
	}
	time.Sleep(d)
	return nil
}

func stepEnv(r *runner, names []string) error {
	for _, n := range names {
		v, ok := r.lookup(n)
		if !ok {
			v = "<unset>"
		}
		if err := writeln(r.stdout, n+"="+v); err != nil {
			return err
		}
	}
	return nil
}

func stepArgs(r *runner, _ []string) error {
	for _, a := range r.args {
		if err := writeln(r.stdout, a); err != nil {
			return err
		}
	}
	return nil
}

func ttyWord(s any) string {
	if f, ok := s.(*os.File); ok {
		if _, _, err := pty.Getsize(f); err == nil {
			return "tty"
		}
	}
	return "notty"
}

func stepTTY(r *runner, _ []string) error {
	_, err := fmt.Fprintf(r.stdout, "stdin:%s stdout:%s stderr:%s\n", ttyWord(r.stdin), ttyWord(r.stdout), ttyWord(r.stderr))
	return err
}

func stepSize(r *runner, _ []string) error {
	f, ok := r.stdout.(*os.File)
	if ok {
		if rows, cols, err := pty.Getsize(f); err == nil {
			_, err = fmt.Fprintf(r.stdout, "rows:%d cols:%d\n", rows, cols)
			return err
		}
	}
	return writeln(r.stdout, "size: not a terminal")
}

// writeWhole writes through a rename, so a test that waits for the file to appear never reads it
// half-written.
func writeWhole(path, text string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func stepWaitfile(_ *runner, a []string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(a[0]); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waitfile %s: timed out", a[0])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ParseSignal reads "TERM", "SIGTERM" or "15".
func ParseSignal(s string) (syscall.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil && n > 0 && n < 65 {
		return syscall.Signal(n), nil
	}
	if sig, ok := signalNames[strings.TrimPrefix(strings.ToUpper(s), "SIG")]; ok {
		return sig, nil
	}
	return 0, fmt.Errorf("unknown signal %q", s)
}

// SignalName names a signal as the trap step prints it and testkit's status command expects it:
// "SIGTERM", or "signal N" for one without a name here.
func SignalName(sig syscall.Signal) string {
	for name, s := range signalNames {
		if s == sig {
			return "SIG" + name
		}
	}
	return "signal " + strconv.Itoa(int(sig))
}

// stepSignal kills the process with a real signal death: the Go runtime re-raises HUP, INT and TERM
// with the default action when nothing is notified, and KILL cannot be caught. (QUIT and ABRT make
// the Go runtime dump goroutines and exit 2 instead.)
func stepSignal(_ *runner, a []string) error {
	sig, err := ParseSignal(a[0])
	if err != nil {
		return err
	}
	signal.Reset(sig)
	if err := killSelf(sig); err != nil {
		return err
	}
	time.Sleep(5 * time.Second)
	return fmt.Errorf("still alive after %s", SignalName(sig))
}

func stepTrap(r *runner, a []string) error {
	sig, err := ParseSignal(a[0])
	if err != nil {
		return err
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sig)
	go func() {
		<-ch
		fmt.Fprintf(r.stdout, "got %s\n", SignalName(sig))
		os.Exit(128 + int(sig))
	}()
	return nil
}

func stepIgnore(_ *runner, a []string) error {
	sig, err := ParseSignal(a[0])
	if err != nil {
		return err
	}
	signal.Ignore(sig)
	return nil
}
