//go:build unix

package supervise

import (
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// ptySupported says whether children can run under a pseudo-terminal here.
const ptySupported = true

// ptyProcAttr gives the child a pty session of its own: it is session leader, and its process group
// gets the terminal's signals and our forwarded ones (kill(-pid)).
func ptyProcAttr(ctty int) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: ctty}
}

// groupProcAttr puts the child in a process group of its own, which our signals reach as a whole.
func groupProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// terminalProcAttr is groupProcAttr for a child that reads our terminal directly. It makes the child
// the terminal's foreground group (as a shell does for a job) only when we hold the foreground
// ourselves, and then returns the terminal's descriptor for restoreForeground; a backgrounded
// oauth-mux must not steal the terminal.
func terminalProcAttr(in *os.File) (*syscall.SysProcAttr, int) {
	attr := groupProcAttr()
	fd := fdOf(in)
	if pg, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP); err == nil && pg == unix.Getpgrp() {
		attr.Foreground, attr.Ctty = true, fd
		return attr, fd
	}
	return attr, -1
}

// restoreForeground gives the terminal back to oauth-mux's process group. We are a background group
// at this point, so SIGTTOU must be ignored while asking.
func restoreForeground(fd int) {
	signal.Ignore(syscall.SIGTTOU)
	defer signal.Reset(syscall.SIGTTOU)
	_ = unix.IoctlSetPointerInt(fd, unix.TIOCSPGRP, unix.Getpgrp())
}

// procGroup is the running child's process group, led by the child.
type procGroup struct{ pid int }

func newProcGroup(p *os.Process) *procGroup { return &procGroup{pid: p.Pid} }

// signal sends sig to every process of the group; a nil group (no child runs) is a no-op.
func (g *procGroup) signal(sig syscall.Signal) {
	if g != nil && g.pid > 0 {
		_ = syscall.Kill(-g.pid, sig)
	}
}

// kill ends what is left of the group. The group id cannot be reused while a member lives, so after
// the leader exited this reaches only the child's own leftovers.
func (g *procGroup) kill() { g.signal(syscall.SIGKILL) }

func (g *procGroup) close() {}

// notified are the signals the session catches: the forwarded ones, SIGWINCH for a pty, and SIGPIPE,
// so that a closed stdout (oauth-mux … | head) turns into EPIPE on our write instead of killing
// oauth-mux before it restores the terminal.
func notified(pty bool) []os.Signal {
	sigs := []os.Signal{syscall.SIGPIPE, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT,
		syscall.SIGUSR1, syscall.SIGUSR2}
	if pty {
		sigs = append(sigs, syscall.SIGWINCH)
	}
	return sigs
}

func ignoredSignal(s syscall.Signal) bool { return s == syscall.SIGPIPE }
func isResize(s syscall.Signal) bool      { return s == syscall.SIGWINCH }
