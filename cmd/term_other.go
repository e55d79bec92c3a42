//go:build !linux && !darwin && !freebsd && !netbsd && !openbsd

package cmd

// isTerminal is false where we have no cheap check (Windows): no colour, no pty by default.
func isTerminal(fd uintptr) bool { return false }
