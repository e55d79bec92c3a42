//go:build !linux

package supervise

import "syscall"

// setDeathSignal: only Linux has a parent-death signal; elsewhere a hard death of oauth-mux leaves
// the child running.
func setDeathSignal(*syscall.SysProcAttr) {}
