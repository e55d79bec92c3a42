//go:build windows

package state

import (
	"os"
	"syscall"
	"unsafe"
)

// Windows has no flock(2); LockFileEx on the first byte gives the same exclusive, process-owned,
// released-on-close semantics for our stable lock files. It is called through syscall because
// golang.org/x/sys v0.50 needs a newer go line in go.mod than the project declares.

var (
	kernel32         = syscall.NewLazyDLL("kernel32.dll")
	procLockFileEx   = kernel32.NewProc("LockFileEx")
	procUnlockFileEx = kernel32.NewProc("UnlockFileEx")
)

const (
	lockfileFailImmediately = 0x1
	lockfileExclusiveLock   = 0x2
	errorLockViolation      = syscall.Errno(33)
	errorIOPending          = syscall.Errno(997)
)

func lockFileEx(f *os.File, flags uint32) error {
	var ol syscall.Overlapped
	r, _, err := procLockFileEx.Call(f.Fd(), uintptr(flags), 0, 1, 0, uintptr(unsafe.Pointer(&ol)))
	if r == 0 {
		return err
	}
	return nil
}

func tryLock(f *os.File) (bool, error) {
	err := lockFileEx(f, lockfileExclusiveLock|lockfileFailImmediately)
	if err == nil {
		return true, nil
	}
	if err == errorLockViolation || err == errorIOPending {
		return false, nil
	}
	return false, err
}

func lockWait(f *os.File) error { return lockFileEx(f, lockfileExclusiveLock) }

func unlock(f *os.File) error {
	var ol syscall.Overlapped
	r, _, err := procUnlockFileEx.Call(f.Fd(), 0, 1, 0, uintptr(unsafe.Pointer(&ol)))
	if r == 0 {
		return err
	}
	return nil
}
