//go:build unix

package supervise

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/oauth-mux/oauth-mux/classify"
	"golang.org/x/sys/unix"
)

// syncBuf is a bytes.Buffer safe for the copier goroutines.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func newSession(t testing.TB, o SessionOptions) *Session {
	t.Helper()
	s, err := NewSession(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	noexec := filepath.Join(dir, "noexec")
	if err := os.WriteFile(noexec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb syncBuf
	s := newSession(t, SessionOptions{Stdout: &out, Stderr: &errb, PTY: PTYNever})
	cases := []struct {
		name   string
		a      Attempt
		code   int
		sig    syscall.Signal
		errMsg string
	}{
		{"zero", fake("exit", "0"), 0, 0, ""},
		{"one", fake("exit", "1"), 1, 0, ""},
		{"three", fake("exit", "3"), 3, 0, ""},
		{"sigterm", fake("kill", "15"), 143, syscall.SIGTERM, ""},
		{"sigkill", fake("kill", "9"), 137, syscall.SIGKILL, ""},
		{"not found", Attempt{Argv: []string{"no-such-cmd-omux"}, Env: []string{"PATH=" + dir}}, 127, 0,
			"no-such-cmd-omux: command not found"},
		// The child's PATH decides, not ours: "noexec" is only on the child's PATH.
		{"not executable", Attempt{Argv: []string{"noexec"}, Env: []string{"PATH=" + dir}}, 126, 0,
			"noexec: permission denied"},
		{"not executable path", Attempt{Argv: []string{noexec}}, 126, 0, noexec + ": permission denied"},
		{"directory", Attempt{Argv: []string{dir}}, 126, 0, dir + ": is a directory"},
		{"missing path", Attempt{Argv: []string{dir + "/nope"}}, 127, 0, dir + "/nope: no such file or directory"},
		{"empty argv", Attempt{}, 127, 0, ": no command given"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := s.Run(context.Background(), c.a)
			if o.ExitCode != c.code || o.Signal != c.sig {
				t.Fatalf("exit %d signal %v, want %d %v (err %v)", o.ExitCode, o.Signal, c.code, c.sig, o.Err)
			}
			if c.errMsg == "" {
				if o.Err != nil {
					t.Fatalf("unexpected error %v", o.Err)
				}
				return
			}
			var ee *ExecError
			if !errors.As(o.Err, &ee) || ee.Error() != c.errMsg || ee.ExitCode() != c.code {
				t.Fatalf("err %v, want %q with code %d", o.Err, c.errMsg, c.code)
			}
		})
	}
}

func TestPipesPassthroughAndEnv(t *testing.T) {
	var out, errb syncBuf
	s := newSession(t, SessionOptions{Stdout: &out, Stderr: &errb, PTY: PTYAuto})
	if s.UsesPTY() {
		t.Fatal("auto without a terminal must use pipes")
	}
	a := fake("out", "hello", "err", "oops", "env", "OMUX_TEST_VAR", "tty")
	a.Env = append(a.Env, "OMUX_TEST_VAR=canary-123")
	o := s.Run(context.Background(), a)
	if o.ExitCode != 0 {
		t.Fatalf("exit %d", o.ExitCode)
	}
	if got, want := out.String(), "hello\ncanary-123\nstdin=false stdout=false\n"; got != want {
		t.Fatalf("stdout %q, want %q", got, want)
	}
	if errb.String() != "oops\n" {
		t.Fatalf("stderr %q", errb.String())
	}
}

func TestPTYAlwaysWithPipedStdin(t *testing.T) {
	var out, errb syncBuf
	s := newSession(t, SessionOptions{Stdin: strings.NewReader("line one\n"), Stdout: &out, Stderr: &errb,
		PTY: PTYAlways})
	o := s.Run(context.Background(), fake("tty", "readline"))
	if o.ExitCode != 0 {
		t.Fatalf("exit %d: %s", o.ExitCode, errb.String())
	}
	// The pty's line discipline turns "\n" into "\r\n" on the way out.
	if got, want := out.String(), "stdin=false stdout=true\r\ngot \"line one\"\r\n"; got != want {
		t.Fatalf("stdout %q, want %q", got, want)
	}
}

func TestStderrPipeVersusPTY(t *testing.T) {
	for _, mode := range []StderrMode{StderrPipe, StderrPTY} {
		t.Run(string(mode), func(t *testing.T) {
			var out, errb syncBuf
			s := newSession(t, SessionOptions{Stdout: &out, Stderr: &errb, PTY: PTYAlways, StderrMode: mode})
			o := s.Run(context.Background(), fake("out", "to-out", "sleep", "20ms", "err", "to-err"))
			if o.ExitCode != 0 {
				t.Fatalf("exit %d", o.ExitCode)
			}
			switch mode {
			case StderrPipe:
				if out.String() != "to-out\r\n" || errb.String() != "to-err\n" {
					t.Fatalf("stdout %q stderr %q", out.String(), errb.String())
				}
			case StderrPTY:
				if out.String() != "to-out\r\nto-err\r\n" || errb.String() != "" {
					t.Fatalf("stdout %q stderr %q", out.String(), errb.String())
				}
			}
		})
	}
}

func TestStdinReplayAcrossRetry(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		_, _ = io.WriteString(w, "first\nsecond\n")
		_ = w.Close()
	}()
	defer r.Close()
	var out, errb syncBuf
	s := newSession(t, SessionOptions{Stdin: r, Stdout: &out, Stderr: &errb, PTY: PTYNever})
	p := &scripted{
		attempts: []Attempt{fake("readline"), fake("cat")},
		decisions: []Decision{
			{Action: Retry, Message: "fake#a quota_exhausted"},
			{Action: Done},
		},
	}
	p.attempts[1].Label = "fake#b"
	res := Loop(context.Background(), s, p, LoopOptions{})
	if res.ExitCode != 0 || res.Attempts != 2 {
		t.Fatalf("result %+v", res)
	}
	// The first child read one line; the second sees the whole input again.
	if got, want := out.String(), "got \"first\"\nfirst\nsecond\n"; got != want {
		t.Fatalf("stdout %q, want %q", got, want)
	}
	if got, want := errb.String(), "oauth-mux: fake#a quota_exhausted; trying fake#b\n"; got != want {
		t.Fatalf("stderr %q, want %q", got, want)
	}
}

// TestStdinOverflowIsNotReplayable: past the replay limit the outcome says stdin cannot be replayed
// (the planner's policy then ends the run; routes' planner test and the e2e suite assert that).
func TestStdinOverflowIsNotReplayable(t *testing.T) {
	big := bytes.Repeat([]byte("x"), StdinReplayLimit+1024)
	var errb syncBuf
	s := newSession(t, SessionOptions{Stdin: bytes.NewReader(big), Stdout: io.Discard, Stderr: &errb,
		PTY: PTYNever})
	p := &scripted{attempts: []Attempt{fake("cat", "exit", "5")}}
	res := Loop(context.Background(), s, p, LoopOptions{})
	if res.ExitCode != 5 || res.Attempts != 1 || len(p.outcomes) != 1 || p.outcomes[0].Replayable {
		t.Fatalf("result %+v, outcomes %+v, stderr %q", res, p.outcomes, errb.String())
	}
	// A small stdin stays replayable.
	s = newSession(t, SessionOptions{Stdin: strings.NewReader("small\n"), Stdout: io.Discard, Stderr: &errb, PTY: PTYNever})
	p = &scripted{attempts: []Attempt{fake("cat", "exit", "0")}}
	Loop(context.Background(), s, p, LoopOptions{})
	if len(p.outcomes) != 1 || !p.outcomes[0].Replayable {
		t.Fatalf("small stdin: outcomes %+v", p.outcomes)
	}
}

func TestNoRouteLeftAndWait(t *testing.T) {
	var errb syncBuf
	s := newSession(t, SessionOptions{Stderr: &errb, PTY: PTYNever})
	noRoute := &testExitErr{code: 201}
	calls := 0
	p := plannerFunc{
		next: func() (Attempt, Decision, error) {
			calls++
			if calls == 1 {
				return Attempt{}, Decision{Action: Wait, WaitUntil: time.Now().Add(50 * time.Millisecond),
					WaitFor: "fake#a"}, nil
			}
			return Attempt{}, Decision{}, noRoute
		},
	}
	start := time.Now()
	res := Loop(context.Background(), s, p, LoopOptions{})
	if res.ExitCode != 201 || res.Err != noRoute || calls != 2 || time.Since(start) < 50*time.Millisecond {
		t.Fatalf("result %+v calls %d", res, calls)
	}
	if !strings.Contains(errb.String(), "oauth-mux: waiting 0s for fake#a to reset…") {
		t.Fatalf("stderr %q", errb.String())
	}
}

type testExitErr struct{ code int }

func (e *testExitErr) Error() string { return "no route left for fake" }
func (e *testExitErr) ExitCode() int { return e.code }

type plannerFunc struct {
	next   func() (Attempt, Decision, error)
	record func(Attempt, Outcome) Decision
}

func (p plannerFunc) Next(context.Context) (Attempt, Decision, error) { return p.next() }
func (p plannerFunc) Record(_ context.Context, a Attempt, o Outcome) Decision {
	if p.record == nil {
		return Decision{Action: Done}
	}
	return p.record(a, o)
}

// groupGone waits until no live process is left in the process group. A killed orphan stays a zombie
// until init reaps it, which here can take a second or two, so zombies count as gone.
func groupGone(t *testing.T, pgid int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		err := syscall.Kill(-pgid, 0)
		if err == syscall.ESRCH || (err == nil && len(liveMembers(pgid)) == 0) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process group %d still has members %v (kill: %v)", pgid, liveMembers(pgid), err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// liveMembers lists the processes of group pgid that are not zombies, from /proc.
func liveMembers(pgid int) []int {
	var live []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp …; comm may hold spaces, so split after the last ')'.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 3 || f[0] == "Z" || f[0] == "X" {
			continue
		}
		if g, _ := strconv.Atoi(f[2]); g == pgid {
			live = append(live, pid)
		}
	}
	return live
}

// procGone reports whether pid is gone or a zombie.
func procGone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(b, ')')
	f := strings.Fields(string(b[i+1:]))
	return len(f) > 0 && (f[0] == "Z" || f[0] == "X")
}

func TestNoGrandchildOutlivesChild(t *testing.T) {
	for _, mode := range []PTYMode{PTYNever, PTYAlways} {
		t.Run(string(mode), func(t *testing.T) {
			dir := t.TempDir()
			var out syncBuf
			s := newSession(t, SessionOptions{Stdout: &out, PTY: mode})
			start := time.Now()
			o := s.Run(context.Background(), fake("pidfile", dir+"/child", "grandchild", dir+"/gc", "out", "bye"))
			if o.ExitCode != 0 {
				t.Fatalf("exit %d", o.ExitCode)
			}
			// The grandchild held stdout: Run must not wait for its 30 s sleep (the bound leaves room
			// for a loaded -race machine).
			if d := time.Since(start); d > 5*drainTimeout {
				t.Fatalf("Run took %v", d)
			}
			if !strings.Contains(out.String(), "bye") {
				t.Fatalf("stdout %q", out.String())
			}
			pid := readPid(t, dir+"/child")
			gc := readPid(t, dir+"/gc")
			groupGone(t, pid)
			if !procGone(gc) {
				t.Fatalf("grandchild %d still alive", gc)
			}
		})
	}
}

func readPid(t *testing.T, f string) int {
	t.Helper()
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSIGTERMForwardedAndReraised(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(selfExe, "pidfile", dir+"/child", "sleep", "30s")
	cmd.Env = append(os.Environ(), "SUPERVISE_HELPER=loop")
	var stderr syncBuf
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	for deadline := time.Now().Add(5 * time.Second); ; {
		if b, err := os.ReadFile(dir + "/child"); err == nil && len(b) > 0 {
			pid, _ = strconv.Atoi(string(b))
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatal("child never started")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Fatalf("helper ended with %v (%v), want death by SIGTERM; stderr %q", ws, err, stderr.String())
	}
	// The helper re-raises only when its child died of the same signal: the child got the SIGTERM.
	if !strings.Contains(stderr.String(), "helper: exit=143 reraise=15") {
		t.Fatalf("stderr %q", stderr.String())
	}
	groupGone(t, pid)
}

func TestReraiseIgnoresOtherSignals(t *testing.T) {
	// Must return (not exit) for signals that are not re-raised.
	Reraise(0)
	Reraise(syscall.SIGQUIT)
	Reraise(syscall.SIGUSR1)
}

// userTerminal opens a pty pair that plays the user's terminal; the test types into and reads from
// the master.
func userTerminal(t *testing.T) (master, tty *os.File) {
	t.Helper()
	m, tt, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	t.Cleanup(func() { m.Close(); tt.Close() })
	return m, tt
}

func TestPTYOnUserTerminalRawAndRestored(t *testing.T) {
	m, tty := userTerminal(t)
	before, err := getTermios(tty)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSession(SessionOptions{Stdin: tty, Stdout: tty, Stderr: tty})
	if err != nil {
		t.Fatal(err)
	}
	if !s.UsesPTY() || !s.Raw() {
		t.Fatal("auto on a terminal must use a pty and raw mode")
	}
	during, _ := getTermios(tty)
	if during.Lflag&unix.ICANON != 0 || during.Lflag&unix.ECHO != 0 {
		t.Fatal("terminal not raw during the session")
	}
	var seen syncBuf
	go func() { _, _ = io.Copy(&seen, m) }()
	// Typed before the child exists: the pump holds it for the attempt.
	if _, err := m.Write([]byte("typed\r")); err != nil {
		t.Fatal(err)
	}
	o := s.Run(context.Background(), fake("tty", "readline", "err", "on-stderr"))
	if o.ExitCode != 0 {
		t.Fatalf("exit %d", o.ExitCode)
	}
	s.Close()
	after, _ := getTermios(tty)
	if *after != *before {
		t.Fatalf("termios not restored:\nbefore %+v\nafter  %+v", before, after)
	}
	waitFor(t, func() bool { return strings.Contains(seen.String(), "on-stderr") }, seen.String)
	got := seen.String()
	for _, want := range []string{"stdin=true stdout=true\r\n", "got \"typed\"\r\n", "on-stderr\r\n"} {
		if !strings.Contains(got, want) {
			t.Fatalf("terminal saw %q, missing %q", got, want)
		}
	}
}

// TestPTYFollowsWindowSize: the child's pty starts at the user's terminal size and follows it when
// oauth-mux gets SIGWINCH (the kernel sends it to the user terminal's foreground group: us).
func TestPTYFollowsWindowSize(t *testing.T) {
	m, tty := userTerminal(t)
	if err := pty.Setsize(tty, &pty.Winsize{Rows: 30, Cols: 100}); err != nil {
		t.Fatal(err)
	}
	s, err := NewSession(SessionOptions{Stdin: tty, Stdout: tty, Stderr: tty})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var seen syncBuf
	go func() { _, _ = io.Copy(&seen, m) }()
	done := make(chan Outcome, 1)
	go func() { done <- s.Run(context.Background(), fake("size", "waitwinch", "size")) }()
	waitFor(t, func() bool { return strings.Contains(seen.String(), "waiting for SIGWINCH") }, seen.String)
	if err := pty.Setsize(tty, &pty.Winsize{Rows: 40, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGWINCH); err != nil {
		t.Fatal(err)
	}
	var o Outcome
	select {
	case o = <-done:
	case <-time.After(15 * time.Second):
		t.Fatalf("the child never ended; terminal saw %q", seen.String())
	}
	if o.ExitCode != 0 {
		t.Fatalf("exit %d", o.ExitCode)
	}
	waitFor(t, func() bool { return strings.Contains(seen.String(), "size=40x120") }, seen.String)
	if got := seen.String(); !strings.Contains(got, "size=30x100") || strings.Contains(got, "no SIGWINCH") {
		t.Fatalf("terminal saw %q: want the first size 30x100, then 40x120 after a SIGWINCH", got)
	}
}

func waitFor(t *testing.T, cond func() bool, show func() string) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out; have %q", show())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPTYNeverOnTerminalForegroundGroup(t *testing.T) {
	_, tty := userTerminal(t)
	cmd := exec.Command(selfExe)
	cmd.Env = append(os.Environ(), "SUPERVISE_HELPER=fg")
	cmd.Stdin = tty
	var out syncBuf
	cmd.Stdout = &out
	cmd.Stderr = &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if got, want := out.String(), "foreground=true\nexit=0 restored=true\n"; got != want {
		t.Fatalf("helper said %q, want %q", got, want)
	}
}

func TestContextCancelStopsChild(t *testing.T) {
	s := newSession(t, SessionOptions{PTY: PTYNever})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	o := s.Run(ctx, fake("sleep", "30s"))
	if o.Signal != syscall.SIGTERM || o.ExitCode != 143 {
		t.Fatalf("outcome %+v", o)
	}
}

func limitMatcher(t *testing.T) *classify.Matcher {
	t.Helper()
	m, err := classify.Compile([]classify.OutputRule{
		{Name: "usage-limit", Pattern: `You've hit your usage limit`, Class: classify.RuleClass{Class: classify.QuotaExhausted}},
		{Name: "retrying", Pattern: `Retrying in \d+ seconds`, Class: classify.RuleClass{Class: classify.RateLimited}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestOnLimitRestartStopsInteractiveChild(t *testing.T) {
	defer func(g, a, b time.Duration) { stopGrace, stopTermAfter, stopKillAfter = g, a, b }(stopGrace, stopTermAfter, stopKillAfter)
	stopGrace, stopTermAfter, stopKillAfter = 100*time.Millisecond, 100*time.Millisecond, 100*time.Millisecond
	cases := []struct {
		name string
		ops  []string
		sig  syscall.Signal
	}{
		{"sigint", []string{"out", "\x1b[31mYou've hit your usage limit\x1b[0m", "sleep", "30s"}, syscall.SIGINT},
		// A TUI that ignores SIGINT gets SIGTERM next.
		{"escalates", []string{"ignoreint", "err", "You've hit your usage limit", "sleep", "30s"}, syscall.SIGTERM},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out syncBuf
			s := newSession(t, SessionOptions{Stdout: &out, Stderr: &out, PTY: PTYNever})
			s.interactive = true // as when stdin is a terminal
			a := fake(c.ops...)
			a.Matcher = limitMatcher(t)
			start := time.Now()
			o := s.Run(context.Background(), a)
			if !o.StoppedOnLimit || o.Signal != c.sig || time.Since(start) > 5*time.Second {
				t.Fatalf("outcome %+v after %v; output %q", o, time.Since(start), out.String())
			}
			if len(o.Evidence.Hits) != 1 || o.Evidence.Hits[0].Name != "usage-limit" || o.Evidence.Signal != int(c.sig) {
				t.Fatalf("evidence %+v", o.Evidence)
			}
			if v := classify.Judge(o.Evidence, a.Matcher, time.Now(), time.UTC); v.Class != classify.QuotaExhausted {
				t.Fatalf("verdict %v", v)
			}
		})
	}
}

func TestOnLimitIgnoreAndNonTerminalHits(t *testing.T) {
	for _, c := range []struct {
		name        string
		onLimit     OnLimit
		interactive bool
		batch       bool
		line        string
	}{
		{"ignore", OnLimitIgnore, true, false, "You've hit your usage limit"},
		{"not interactive", OnLimitRestart, false, false, "You've hit your usage limit"},
		{"rate limit is not terminal", OnLimitRestart, true, false, "Retrying in 3 seconds"},
		// `codex exec`, `claude -p` from a terminal: print mode is judged at its exit only.
		{"batch", OnLimitRestart, true, true, "You've hit your usage limit"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out syncBuf
			s := newSession(t, SessionOptions{Stdout: &out, PTY: PTYNever, OnLimit: c.onLimit})
			s.interactive = c.interactive
			a := fake("out", c.line, "sleep", "700ms", "out", "finished", "exit", "2")
			a.Matcher = limitMatcher(t)
			a.Batch = c.batch
			o := s.Run(context.Background(), a)
			if o.StoppedOnLimit || o.ExitCode != 2 || !strings.Contains(out.String(), "finished") {
				t.Fatalf("outcome %+v, output %q", o, out.String())
			}
			if len(o.Evidence.Hits) != 1 || o.Evidence.ExitCode != 2 {
				t.Fatalf("evidence %+v", o.Evidence)
			}
		})
	}
}

// A child that prints a limit notice and ends by itself within the grace was not stopped: its own
// exit decides, and exit 0 is a success whatever it printed.
func TestOnLimitChildThatEndsByItself(t *testing.T) {
	// Roomy, so that a child slowed by -race on a busy machine still ends within it.
	defer func(g time.Duration) { stopGrace = g }(stopGrace)
	stopGrace = 10 * time.Second
	for i := 0; i < 3; i++ {
		var out syncBuf
		s := newSession(t, SessionOptions{Stdout: &out, PTY: PTYNever})
		s.interactive = true
		a := fake("out", "You've hit your usage limit", "exit", "0")
		a.Matcher = limitMatcher(t)
		o := s.Run(context.Background(), a)
		if o.StoppedOnLimit || o.ExitCode != 0 {
			t.Fatalf("outcome %+v", o)
		}
		if v := classify.Judge(o.Evidence, a.Matcher, time.Now(), time.UTC); v.Class != classify.Success {
			t.Fatalf("verdict %v", v)
		}
	}
}

func TestMergedPTYTapSeesStderrRules(t *testing.T) {
	m, err := classify.Compile([]classify.OutputRule{{Name: "dead", Stream: classify.Stderr,
		Pattern: `Bad credentials`, Class: classify.RuleClass{Class: classify.Dead, Reason: classify.TokenRevoked}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []StderrMode{StderrPipe, StderrPTY} {
		s := newSession(t, SessionOptions{PTY: PTYAlways, StderrMode: mode})
		a := fake("err", "HTTP 401: Bad credentials", "exit", "1")
		a.Matcher = m
		o := s.Run(context.Background(), a)
		if len(o.Evidence.Hits) != 1 {
			t.Fatalf("%s: evidence %+v", mode, o.Evidence)
		}
	}
}
