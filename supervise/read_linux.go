package supervise

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawRead is read(2) without the runtime's blocking-syscall bookkeeping: the descriptor is
// non-blocking, so the call cannot block (see streamReader).
func rawRead(fd int, b []byte) (int, unix.Errno) {
	n, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	return int(n), e
}
