//go:build unix && !linux

package supervise

import (
	"errors"

	"golang.org/x/sys/unix"
)

// rawRead is read(2) through the C library: macOS and the BSDs do not promise stable system call
// numbers, so the raw call that Linux uses is not made here.
func rawRead(fd int, b []byte) (int, unix.Errno) {
	n, err := unix.Read(fd, b)
	if err != nil {
		var e unix.Errno
		if errors.As(err, &e) {
			return 0, e
		}
		return 0, unix.EIO
	}
	return n, 0
}
