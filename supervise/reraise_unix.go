//go:build unix

package supervise

import (
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Reraise makes oauth-mux die of sig, so that a calling shell sees a signal death (SPEC §6.1). Main calls
// it with Result.ReraiseSignal after Main returned, the terminal was restored and the locks released.
// It does nothing for 0 and for signals other than SIGHUP, SIGINT and SIGTERM: after signal.Reset,
// SIGQUIT would dump goroutines and SIGUSR1 is ignored, so those deaths are reported as 128+N instead.
func Reraise(sig syscall.Signal) {
	if !isStopSignal(sig) {
		return
	}
	signal.Reset(sig)
	_ = syscall.Kill(os.Getpid(), sig)
	// The default action is normally taken before kill returns; give a slow delivery a moment.
	time.Sleep(100 * time.Millisecond)
	os.Exit(128 + int(sig))
}
