//go:build unix

package fakecli

import (
	"os"
	"syscall"
)

var signalNames = map[string]syscall.Signal{
	"HUP": syscall.SIGHUP, "INT": syscall.SIGINT, "QUIT": syscall.SIGQUIT, "KILL": syscall.SIGKILL,
	"TERM": syscall.SIGTERM, "USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2, "PIPE": syscall.SIGPIPE,
	"ALRM": syscall.SIGALRM, "WINCH": syscall.SIGWINCH, "ABRT": syscall.SIGABRT,
}

func killSelf(sig syscall.Signal) error { return syscall.Kill(os.Getpid(), sig) }
