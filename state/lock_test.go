package state

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

func TestDir(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cases := []struct {
		m    map[string]string
		want string
	}{
		{map[string]string{"OMUX_STATE_DIR": "/s", "XDG_STATE_HOME": "/x", "HOME": "/h"}, "/s"},
		{map[string]string{"OMUX_STATE_DIR": "~/s", "HOME": "/h"}, "/h/s"},
		{map[string]string{"XDG_STATE_HOME": "/x", "HOME": "/h"}, "/x/oauth-mux"},
		{map[string]string{"XDG_STATE_HOME": "rel", "HOME": "/h"}, defaultDir("/h")},
		{map[string]string{"HOME": "/h"}, defaultDir("/h")},
	}
	for _, c := range cases {
		if got := Dir(env(c.m)); got != filepath.FromSlash(c.want) {
			t.Errorf("Dir(%v) = %q, want %q", c.m, got, c.want)
		}
	}
}

func defaultDir(home string) string {
	if runtime.GOOS == "darwin" {
		return home + "/Library/Application Support/oauth-mux"
	}
	return home + "/.local/state/oauth-mux"
}

func TestEnsureDirAndHomes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "st")
	if err := EnsureDir(dir); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, filepath.Join(dir, "locks"), filepath.Join(dir, "homes")} {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o700 {
			t.Errorf("%s mode %v, want 0700", d, fi.Mode().Perm())
		}
	}
	if got, want := HomesDir(dir, "co/dex", ".."), filepath.Join(dir, "homes", "co_dex", "__"); got != want {
		t.Errorf("HomesDir = %q, want %q", got, want)
	}
	if got := filepath.Base(AccountLockPath(dir, "codex", "max 1/é")); got != "account-codex-max_1__.lock" {
		t.Errorf("lock name %q", got)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.json")
	if err := WriteFileAtomic(p, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(p, []byte("two"), 0o640); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil || string(b) != "two" {
		t.Fatalf("read %q %v", b, err)
	}
	fi, _ := os.Stat(p)
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("temp files left behind: %v", ents)
	}
	if err := WriteFileAtomic(filepath.Join(dir, "missing", "x"), nil, 0o600); err == nil {
		t.Error("write into a missing dir succeeded")
	}
}

func TestLockAccount(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	if held, _ := IsAccountLocked(dir, "codex", "max-1"); held {
		t.Fatal("locked before anyone took it")
	}
	before := time.Now().Add(-time.Second)
	l, err := LockAccount(ctx, dir, "codex", "max-1", false)
	if err != nil {
		t.Fatal(err)
	}
	held, started := IsAccountLocked(dir, "codex", "max-1")
	if !held || started.Before(before.Truncate(time.Second)) || started.After(time.Now()) {
		t.Fatalf("IsAccountLocked = %v %v", held, started)
	}
	_, err = LockAccount(ctx, dir, "codex", "max-1", false)
	var he *HeldError
	if !errors.As(err, &he) || he.Account != "codex:max-1" || he.StartedAt.IsZero() || he.PID != os.Getpid() {
		t.Fatalf("second non-blocking lock: %v (%+v)", err, he)
	}
	// Other accounts are independent.
	l2, err := LockAccount(ctx, dir, "codex", "max-2", false)
	if err != nil {
		t.Fatal(err)
	}
	l2.Release()

	tctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	_, err = LockAccount(tctx, dir, "codex", "max-1", true)
	if !errors.Is(err, ErrLockTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting past the deadline: %v", err)
	}
	if d := time.Since(t0); d < 50*time.Millisecond || d > 2*time.Second {
		t.Errorf("waited %v", d)
	}

	got := make(chan error, 1)
	go func() {
		l3, err := LockAccount(ctx, dir, "codex", "max-1", true)
		if err == nil {
			l3.Release()
		}
		got <- err
	}()
	time.Sleep(30 * time.Millisecond)
	select {
	case err := <-got:
		t.Fatalf("waiter got the lock while held: %v", err)
	default:
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("waiter never got the released lock")
	}
	if held, _ := IsAccountLocked(dir, "codex", "max-1"); held {
		t.Error("still locked after release")
	}
	l.Release() // twice is harmless
}

func t0Ctx() context.Context { return context.Background() }

func TestAccountLockAcrossProcesses(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("flock semantics tested on unix")
	}
	dir := t.TempDir()
	c := helper(t, "holdlock", dir)
	stdin, _ := c.StdinPipe()
	out, _ := c.StdoutPipe()
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 7)
	if _, err := io.ReadFull(out, buf); err != nil || string(buf) != "locked\n" {
		t.Fatalf("helper: %q %v", buf, err)
	}
	_, err := LockAccount(context.Background(), dir, "codex", "max-1", false)
	var he *HeldError
	if !errors.As(err, &he) || he.PID != c.Process.Pid || time.Since(he.StartedAt) > time.Minute {
		t.Fatalf("held by another process: %v %+v", err, he)
	}
	if held, at := IsAccountLocked(dir, "codex", "max-1"); !held || !at.Equal(he.StartedAt) {
		t.Fatalf("IsAccountLocked %v %v", held, at)
	}
	// A waiter gets it once the holder lets go.
	go func() { time.Sleep(50 * time.Millisecond); stdin.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := LockAccount(ctx, dir, "codex", "max-1", true)
	if err != nil {
		t.Fatal(err)
	}
	l.Release()
	c.Wait()
}
