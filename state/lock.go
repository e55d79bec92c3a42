package state

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/oauth-mux/oauth-mux/internal/omux"
)

// Lock is a held flock(2) on a stable file in <state dir>/locks/. The file is never renamed or
// deleted, so every process that opens the path locks the same inode.
type Lock struct {
	f    *os.File
	path string
}

// HeldError reports that another process holds an account lock (SPEC §4.4: repair surfaces it as
// repair_in_progress{account, started_at}). StartedAt is zero when the holder had not yet written it.
type HeldError struct {
	Account   string // the account key, provider:account
	StartedAt time.Time
	PID       int
}

func (e *HeldError) Error() string {
	if e.StartedAt.IsZero() {
		return fmt.Sprintf("account %s is locked by another oauth-mux process", e.Account)
	}
	return fmt.Sprintf("account %s is locked by another oauth-mux process since %s", e.Account,
		e.StartedAt.UTC().Format(time.RFC3339))
}

// ErrLockTimeout is wrapped by LockAccount when ctx ends before the lock could be taken.
var ErrLockTimeout = errors.New("timed out waiting for lock")

// LockError is returned when waiting for a lock ended with ctx; it wraps both ErrLockTimeout and the
// context's error so callers can test either.
type LockError struct {
	Account string
	Err     error // ctx.Err()
}

func (e *LockError) Error() string {
	return fmt.Sprintf("waiting for the lock of account %s: %v", e.Account, e.Err)
}

func (e *LockError) Unwrap() []error { return []error{ErrLockTimeout, e.Err} }

// LocksDir is <dir>/locks.
func LocksDir(dir string) string { return filepath.Join(dir, "locks") }

// AccountLockPath is the lock file of one account: locks/account-<provider>-<account>.lock.
func AccountLockPath(dir, provider, account string) string {
	return filepath.Join(LocksDir(dir), "account-"+SafeName(provider)+"-"+SafeName(account)+".lock")
}

// lockPollInterval bounds how late a waiter notices a released lock or a cancelled ctx. flock(2) has
// no timeout, so a waiter polls with LOCK_NB instead of blocking in a syscall it could not leave.
const lockPollInterval = 10 * time.Millisecond

// LockAccount takes the account lock. With wait it polls until the lock is free or ctx ends (callers
// pass a 30 s ctx; the error then wraps ErrLockTimeout); without wait a held lock returns *HeldError
// at once. The holder's start time and pid are written into the file so a contender can report them.
func LockAccount(ctx context.Context, dir, provider, account string, wait bool) (*Lock, error) {
	return lockHeld(ctx, dir, AccountLockPath(dir, provider, account), omux.Account(provider, account).String(), wait)
}

// LockDaemon takes the state dir's daemon lock without waiting: one `daemon run` per state dir. A
// second gets a *HeldError (Account "daemon") with the first one's pid and start.
func LockDaemon(dir string) (*Lock, error) {
	return lockHeld(context.Background(), dir, filepath.Join(LocksDir(dir), "daemon.lock"), "daemon", false)
}

// lockHeld takes the lock file at path, which records its holder (start time and pid) for the
// contenders' messages.
func lockHeld(ctx context.Context, dir, path, key string, wait bool) (*Lock, error) {
	if err := EnsureDir(dir); err != nil {
		return nil, err
	}
	f, err := openStateFile(path, os.O_RDWR|os.O_CREATE)
	if err != nil {
		return nil, err
	}
	for {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", filepath.Base(path), err)
		}
		if ok {
			break
		}
		if !wait {
			started, pid := readHolder(f)
			f.Close()
			return nil, &HeldError{Account: key, StartedAt: started, PID: pid}
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, &LockError{Account: key, Err: ctx.Err()}
		case <-time.After(lockPollInterval):
		}
	}
	// Best effort: the holder record is advisory, the flock is what excludes.
	writeHolder(f, fmt.Sprintf("%s %d", time.Now().UTC().Format(time.RFC3339), os.Getpid()))
	return &Lock{f: f, path: path}, nil
}

// IsAccountLocked reports whether another process (or another Lock in this one) holds the account
// lock, and since when. It takes the lock for an instant when it is free; a missing lock file means
// free.
func IsAccountLocked(dir, provider, account string) (held bool, startedAt time.Time) {
	return isHeld(AccountLockPath(dir, provider, account))
}

// IsDaemonLocked reports whether a `daemon run` holds the state dir's daemon lock, and since when.
func IsDaemonLocked(dir string) (held bool, startedAt time.Time) {
	return isHeld(filepath.Join(LocksDir(dir), "daemon.lock"))
}

func isHeld(path string) (held bool, startedAt time.Time) {
	f, err := openStateFile(path, os.O_RDWR)
	if err != nil {
		return false, time.Time{}
	}
	defer f.Close()
	ok, err := tryLock(f)
	if err != nil {
		return false, time.Time{}
	}
	if ok {
		unlock(f)
		return false, time.Time{}
	}
	started, _ := readHolder(f)
	return true, started
}

// holderSize is the fixed width of the holder record. The record is overwritten in place, never
// truncated: a lock file is only ever written inside its own first bytes.
const holderSize = 64

func writeHolder(f *os.File, record string) {
	line := fmt.Sprintf("%-*s\n", holderSize-1, record)
	if _, err := f.WriteAt([]byte(line[len(line)-holderSize:]), 0); err == nil {
		f.Sync()
	}
}

func readHolder(f *os.File) (time.Time, int) {
	buf := make([]byte, 128)
	n, _ := f.ReadAt(buf, 0)
	fields := strings.Fields(string(buf[:n]))
	if len(fields) < 2 {
		return time.Time{}, 0
	}
	t, _ := time.Parse(time.RFC3339, fields[0])
	pid, _ := strconv.Atoi(fields[1])
	return t, pid
}

// Release drops the lock. It clears the holder record first so a stale start time is never read as
// a live holder's. Releasing twice is harmless.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	writeHolder(l.f, "")
	err := unlock(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}

// lockBlocking takes an exclusive lock on a stable file, waiting as long as it takes. Used for the
// health and events locks, whose holders keep them for milliseconds.
func lockBlocking(path string) (*Lock, error) {
	f, err := openStateFile(path, os.O_RDWR|os.O_CREATE)
	if err != nil {
		return nil, err
	}
	if err := lockWait(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", filepath.Base(path), err)
	}
	return &Lock{f: f, path: path}, nil
}

// releaseQuiet releases a lock whose holder record is empty (health, events) without truncating.
func (l *Lock) releaseQuiet() {
	if l == nil || l.f == nil {
		return
	}
	unlock(l.f)
	l.f.Close()
	l.f = nil
}
