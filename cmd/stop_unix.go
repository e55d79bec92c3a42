//go:build unix

package cmd

import (
	"syscall"
	"time"
)

// stopSelf stops this process with SIGSTOP (a test hook: see poolFleet.Acquire). The sleep holds
// this goroutine until the stop has reached every thread: kill returns before the group stops.
func stopSelf() {
	_ = syscall.Kill(syscall.Getpid(), syscall.SIGSTOP)
	time.Sleep(100 * time.Millisecond)
}
