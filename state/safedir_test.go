//go:build unix

package state

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func mode(t *testing.T, p string) os.FileMode {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func wantUnsafe(t *testing.T, err error, why string) *UnsafeDirError {
	t.Helper()
	var u *UnsafeDirError
	if !errors.As(err, &u) {
		t.Fatalf("err = %v, want an *UnsafeDirError", err)
	}
	if !strings.Contains(u.Error(), why) || len(u.Hints()) == 0 {
		t.Fatalf("err = %q hints %q, want %q and a hint", u.Error(), u.Hints(), why)
	}
	return u
}

func TestEnsureDirMakesAndTightens0700(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "state")
	if err := EnsureDir(dir); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dir, LocksDir(dir), filepath.Join(dir, "homes")} {
		if m := mode(t, p); m != 0o700 {
			t.Errorf("%s mode %04o, want 0700", p, m)
		}
	}
	// Readable by others but not writable: tightened, not refused.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(LocksDir(dir), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := EnsureDir(dir); err != nil {
		t.Fatal(err)
	}
	if m, ml := mode(t, dir), mode(t, LocksDir(dir)); m != 0o700 || ml != 0o700 {
		t.Errorf("modes %04o %04o after EnsureDir, want 0700", m, ml)
	}
}

func TestEnsureDirRefusesWritableByOthers(t *testing.T) {
	for _, m := range []os.FileMode{0o777, 0o770, 0o1777} {
		dir := filepath.Join(t.TempDir(), "state")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, m); err != nil {
			t.Fatal(err)
		}
		u := wantUnsafe(t, EnsureDir(dir), "writable by others")
		if !strings.Contains(u.Hints()[0], "chmod 700 "+dir) {
			t.Errorf("hint %q", u.Hints()[0])
		}
		if _, err := os.Stat(LocksDir(dir)); !os.IsNotExist(err) {
			t.Errorf("a refused state dir got a locks dir (%v)", err)
		}
	}
}

func TestEnsureDirRefusesAnotherUsersDir(t *testing.T) {
	dir := "/" // owned by root: another user unless the test runs as root
	if os.Geteuid() == 0 {
		dir = filepath.Join(t.TempDir(), "state")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(dir, 65534, 65534); err != nil {
			t.Skipf("chown: %v", err)
		}
	}
	wantUnsafe(t, EnsureDir(dir), "is owned by uid")
}

func TestEnsureDirRefusesLinksInside(t *testing.T) {
	for _, sub := range []string{"locks", "homes"} {
		dir := filepath.Join(t.TempDir(), "state")
		victim := t.TempDir()
		if err := os.Chmod(victim, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(victim, filepath.Join(dir, sub)); err != nil {
			t.Fatal(err)
		}
		wantUnsafe(t, EnsureDir(dir), "symbolic link")
		if m := mode(t, victim); m != 0o755 {
			t.Errorf("the link's target was chmod-ed to %04o", m)
		}
	}
	// The state dir itself may be a link the user made.
	real := filepath.Join(t.TempDir(), "real")
	if err := os.Mkdir(real, 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "state")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if err := EnsureDir(link); err != nil {
		t.Fatalf("a state dir that is the user's own link: %v", err)
	}
}

func TestEnsurePrivateDirRefusesALinkOnTheWay(t *testing.T) {
	dir := t.TempDir()
	if err := EnsureDir(dir); err != nil {
		t.Fatal(err)
	}
	victim := t.TempDir()
	if err := os.Chmod(victim, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(dir, "homes", "codex")); err != nil {
		t.Fatal(err)
	}
	home := HomesDir(dir, "codex", "a")
	wantUnsafe(t, EnsurePrivateDir(dir, home), "symbolic link")
	if m := mode(t, victim); m != 0o755 {
		t.Errorf("the link's target was chmod-ed to %04o", m)
	}
	if _, err := os.Stat(filepath.Join(victim, "a")); !os.IsNotExist(err) {
		t.Errorf("a dir was made through the link (%v)", err)
	}
	if err := EnsurePrivateDir(dir, HomesDir(dir, "claude", "b")); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, HomesDir(dir, "claude", "b")); m != 0o700 {
		t.Errorf("mode %04o", m)
	}
	if err := EnsurePrivateDir(dir, filepath.Join(dir, "..", "elsewhere")); err == nil {
		t.Error("a dir outside the state dir was accepted")
	}
}

// plant puts a symbolic link and a hard link to victims where lock and event files go.
func plant(t *testing.T, dir, name string, hard bool) string {
	t.Helper()
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("precious data\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	link := os.Symlink
	if hard {
		link = os.Link
	}
	if err := link(victim, p); err != nil {
		t.Skipf("link: %v", err)
	}
	return victim
}

func intact(t *testing.T, victim string) {
	t.Helper()
	b, err := os.ReadFile(victim)
	if err != nil || string(b) != "precious data\n" {
		t.Errorf("the link's target now holds %q (%v)", b, err)
	}
}

func TestPlantedLinksAreNotFollowed(t *testing.T) {
	for _, hard := range []bool{false, true} {
		dir := t.TempDir()
		if err := EnsureDir(dir); err != nil {
			t.Fatal(err)
		}
		lockVictim := plant(t, dir, filepath.Join("locks", "account-codex-a.lock"), hard)
		eventsVictim := plant(t, dir, "repair-events.jsonl", hard)
		healthLockVictim := plant(t, dir, filepath.Join("locks", "health.lock"), hard)

		if l, err := LockAccount(context.Background(), dir, "codex", "a", false); err == nil {
			l.Release()
			t.Errorf("hard=%v: a planted lock file was used", hard)
		} else {
			wantUnsafe(t, err, "")
		}
		if held, _ := IsAccountLocked(dir, "codex", "a"); held {
			t.Errorf("hard=%v: a planted lock file reads as held", hard)
		}
		if err := AppendEvent(dir, Event{Kind: "probe", Provider: "codex", Account: "a"}); err == nil {
			t.Errorf("hard=%v: an event was appended through a planted link", hard)
		}
		if err := Open(dir).Update(func(*Health) error { return nil }); err == nil {
			t.Errorf("hard=%v: the health lock was taken through a planted link", hard)
		}
		intact(t, lockVictim)
		intact(t, eventsVictim)
		intact(t, healthLockVictim)
	}
}

// TestLockFileIsNeverTruncated: the holder record is overwritten in place, so the file only ever
// holds its fixed-width record, and a holder still reads back.
func TestLockFileIsNeverTruncated(t *testing.T) {
	dir := t.TempDir()
	l, err := LockAccount(context.Background(), dir, "codex", "a", false)
	if err != nil {
		t.Fatal(err)
	}
	held, since := IsAccountLocked(dir, "codex", "a")
	if !held || time.Since(since) > time.Minute {
		t.Errorf("held=%v since %v", held, since)
	}
	var heldErr *HeldError
	if _, err := LockAccount(context.Background(), dir, "codex", "a", false); !errors.As(err, &heldErr) || heldErr.PID != os.Getpid() {
		t.Errorf("second lock: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(AccountLockPath(dir, "codex", "a"))
	if err != nil || len(b) != holderSize || strings.TrimSpace(string(b)) != "" {
		t.Errorf("released lock file holds %q (%v), want %d blanks", b, err, holderSize)
	}
	if held, _ := IsAccountLocked(dir, "codex", "a"); held {
		t.Error("released lock reads as held")
	}
}
