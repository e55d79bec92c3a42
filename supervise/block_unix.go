//go:build unix

package supervise

import "golang.org/x/sys/unix"

// mapBlock is a replay block outside the Go heap: a piped stdin fills up to 32 of them, which on the
// heap would start garbage collections for nothing (they hold no pointers and live as long as the
// run) and fault their pages in one by one. Mapped populated (Linux), the kernel hands over all of a
// block's pages in one call. Blocks are never unmapped: the process ends with the run.
func mapBlock(size int) []byte {
	flags := unix.MAP_PRIVATE | unix.MAP_ANON | mapPopulate
	if b, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, flags); err == nil {
		return b
	}
	return make([]byte, size)
}
