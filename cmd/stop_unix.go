//go:build unix

package cmd

import "syscall"

// stopSelf stops this process with SIGSTOP (a test hook: see poolFleet.Acquire).
func stopSelf() { _ = syscall.Kill(syscall.Getpid(), syscall.SIGSTOP) }
