package supervise

import (
	"os"
	"syscall"
)

// Reraise: Windows has no signal deaths, so a stop by Ctrl-C or a console close exits with the
// status a shell reports for that signal (130, 143).
func Reraise(sig syscall.Signal) {
	if isStopSignal(sig) {
		os.Exit(128 + int(sig))
	}
}
