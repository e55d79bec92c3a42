//go:build unix

package supervise

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// The test binary doubles as the fake child (SUPERVISE_FAKE=1, a little script of operations in its
// arguments) and as a supervising helper process (SUPERVISE_HELPER=<name>) for what must happen in a
// process of its own: receiving signals, re-raising them, owning a controlling terminal.
func TestMain(m *testing.M) {
	if os.Getenv("SUPERVISE_FAKE") == "1" {
		os.Exit(fakeChild(os.Args[1:]))
	}
	if h := os.Getenv("SUPERVISE_HELPER"); h != "" {
		os.Exit(helper(h, os.Args[1:]))
	}
	os.Exit(m.Run())
}

var selfExe = func() string {
	p, err := os.Executable()
	if err != nil {
		panic(err)
	}
	return p
}()

// fakeEnv is the environment of a fake child.
func fakeEnv(extra ...string) []string {
	return append(append(os.Environ(), "SUPERVISE_FAKE=1"), extra...)
}

// fake builds an attempt that runs the fake child with the given operations. They travel in the
// environment, not the arguments: a child's arguments are the user's words, which the taps never
// take for evidence.
func fake(ops ...string) Attempt {
	return Attempt{Argv: []string{selfExe}, Env: fakeEnv("SUPERVISE_FAKE_OPS=" + strings.Join(ops, "\x1f")), Label: "fake"}
}

func fakeChild(args []string) int {
	if len(args) == 0 {
		if ops := os.Getenv("SUPERVISE_FAKE_OPS"); ops != "" {
			args = strings.Split(ops, "\x1f")
		}
	}
	for i := 0; i < len(args); i++ {
		arg := func() string { i++; return args[i] }
		switch args[i] {
		case "out":
			fmt.Println(strings.ReplaceAll(arg(), `\x1b`, "\x1b"))
		case "ignoreint":
			signal.Ignore(syscall.SIGINT)
		case "err":
			fmt.Fprintln(os.Stderr, arg())
		case "exit":
			n, _ := strconv.Atoi(arg())
			return n
		case "kill":
			n, _ := strconv.Atoi(arg())
			signal.Reset(syscall.Signal(n))
			_ = syscall.Kill(os.Getpid(), syscall.Signal(n))
			time.Sleep(5 * time.Second)
			return 99
		case "sleep":
			d, _ := time.ParseDuration(arg())
			time.Sleep(d)
		case "tty":
			fmt.Printf("stdin=%v stdout=%v\n", term.IsTerminal(0), term.IsTerminal(1))
		case "fg":
			pg, err := unix.IoctlGetInt(0, unix.TIOCGPGRP)
			fmt.Printf("foreground=%v\n", err == nil && pg == unix.Getpgrp())
		case "size":
			ws, err := unix.IoctlGetWinsize(1, unix.TIOCGWINSZ)
			if err != nil {
				fmt.Println("size=none")
			} else {
				fmt.Printf("size=%dx%d\n", ws.Row, ws.Col)
			}
		case "waitwinch":
			ch := make(chan os.Signal, 1)
			signal.Notify(ch, syscall.SIGWINCH)
			fmt.Println("waiting for SIGWINCH")
			select {
			case <-ch:
			case <-time.After(10 * time.Second):
				fmt.Println("no SIGWINCH")
			}
		case "cat":
			_, _ = io.Copy(os.Stdout, os.Stdin)
		case "readline":
			l, _ := bufio.NewReader(os.Stdin).ReadString('\n')
			fmt.Printf("got %q\n", strings.TrimRight(l, "\r\n"))
		case "env":
			fmt.Println(os.Getenv(arg()))
		case "pidfile":
			_ = os.WriteFile(arg(), []byte(strconv.Itoa(os.Getpid())), 0o600)
		case "grandchild":
			// A grandchild in the same process group that would outlive us, holding our stdout.
			c := exec.Command(selfExe, "sleep", "30s")
			c.Env = fakeEnv()
			c.Stdout = os.Stdout
			if err := c.Start(); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 98
			}
			_ = os.WriteFile(arg(), []byte(strconv.Itoa(c.Process.Pid)), 0o600)
		default:
			fmt.Fprintf(os.Stderr, "fake: unknown op %q\n", args[i])
			return 97
		}
	}
	return 0
}

// scripted is a Planner that runs a fixed list of attempts; Record answers from a list of decisions.
type scripted struct {
	attempts  []Attempt
	decisions []Decision
	next      int
	outcomes  []Outcome
}

func (p *scripted) Next(ctx context.Context) (Attempt, Decision, error) {
	if p.next >= len(p.attempts) {
		return Attempt{}, Decision{Action: Exit, ExitCode: 201, Message: "no route left"}, nil
	}
	a := p.attempts[p.next]
	p.next++
	return a, Decision{Action: Run}, nil
}

func (p *scripted) Record(ctx context.Context, a Attempt, o Outcome) Decision {
	p.outcomes = append(p.outcomes, o)
	i := len(p.outcomes) - 1
	if i < len(p.decisions) {
		return p.decisions[i]
	}
	return Decision{Action: Done}
}

func helper(name string, args []string) int {
	switch name {
	case "loop":
		// Supervise one fake child with pipes, as cmd would, then re-raise like main.
		s, err := NewSession(SessionOptions{Stdout: os.Stdout, Stderr: os.Stderr, PTY: PTYNever})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		p := &scripted{attempts: []Attempt{fake(args...)}}
		res := Loop(context.Background(), s, p, LoopOptions{})
		s.Close()
		fmt.Fprintf(os.Stderr, "helper: exit=%d reraise=%d\n", res.ExitCode, res.ReraiseSignal)
		Reraise(res.ReraiseSignal)
		return res.ExitCode
	case "fg":
		// We are a session leader whose controlling terminal is stdin (--pty never on a terminal).
		s, err := NewSession(SessionOptions{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
			PTY: PTYNever})
		if err != nil {
			fmt.Println(err)
			return 1
		}
		o := s.Run(context.Background(), fake("fg"))
		s.Close()
		pg, err := unix.IoctlGetInt(0, unix.TIOCGPGRP)
		fmt.Printf("exit=%d restored=%v\n", o.ExitCode, err == nil && pg == unix.Getpgrp())
		return 0
	}
	return 2
}
