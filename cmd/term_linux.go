package cmd

import (
	"syscall"
	"unsafe"
)

// isTerminal asks the tty driver directly (as x/term does) rather than importing x/term, whose module
// needs a newer go line than go.mod's.
func isTerminal(fd uintptr) bool {
	var t syscall.Termios
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TCGETS, uintptr(unsafe.Pointer(&t)))
	return errno == 0
}
