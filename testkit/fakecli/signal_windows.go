package fakecli

import (
	"os"
	"syscall"
)

// Windows has no signal deaths: the names that exist map to their numbers so scripts parse, and a
// "signal" step ends the process with the status a shell reports for that signal.
var signalNames = map[string]syscall.Signal{
	"HUP": syscall.SIGHUP, "INT": syscall.SIGINT, "QUIT": syscall.SIGQUIT, "KILL": syscall.SIGKILL,
	"TERM": syscall.SIGTERM, "PIPE": syscall.SIGPIPE, "ALRM": syscall.SIGALRM, "ABRT": syscall.SIGABRT,
}

func killSelf(sig syscall.Signal) error {
	os.Exit(128 + int(sig))
	return nil
}
