package inject

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/state"
)

// changes collects onChange calls.
type changes struct {
	mu   sync.Mutex
	got  []string
	wake chan struct{}
}

func newChanges() *changes { return &changes{wake: make(chan struct{}, 100)} }

func (c *changes) add(p string) {
	c.mu.Lock()
	c.got = append(c.got, p)
	c.mu.Unlock()
	c.wake <- struct{}{}
}

func (c *changes) wait(t *testing.T, want string) {
	t.Helper()
	select {
	case <-c.wake:
	case <-time.After(5 * time.Second):
		t.Fatalf("no change reported for %s", want)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if last := c.got[len(c.got)-1]; last != want {
		t.Fatalf("change reported for %s, want %s", last, want)
	}
}

func (c *changes) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case <-c.wake:
		c.mu.Lock()
		defer c.mu.Unlock()
		t.Fatalf("unexpected change: %v", c.got)
	case <-time.After(d):
	}
}

func TestWatchCredentials(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts WatchOptions
		mode string
	}{
		{"fsnotify", WatchOptions{}, WatchNotify},
		{"poll", WatchOptions{ForcePoll: true, PollInterval: 10 * time.Millisecond}, WatchPoll},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cred := filepath.Join(dir, "cred.json")
			other := filepath.Join(dir, "other.json")
			if err := os.WriteFile(cred, []byte(`{"a":1}`), 0o600); err != nil {
				t.Fatal(err)
			}
			c := newChanges()
			w, err := WatchCredentialsWith(t.Context(), []string{cred, cred}, tc.opts, c.add)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Stop()
			if w.Mode != tc.mode {
				t.Fatalf("mode %s, want %s", w.Mode, tc.mode)
			}
			// An unrelated file in the same directory is no change.
			if err := os.WriteFile(other, []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
			c.none(t, 150*time.Millisecond)
			// A rename over the file (how writers replace credentials) is one change.
			if err := state.WriteFileAtomic(cred, []byte(`{"a":2}`), 0o600); err != nil {
				t.Fatal(err)
			}
			c.wait(t, cred)
			c.none(t, 150*time.Millisecond)
			// And the watch survives the rename: the next rewrite is seen too.
			tmp := cred + ".tmp"
			if err := os.WriteFile(tmp, []byte(`{"a":3}`), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, cred); err != nil {
				t.Fatal(err)
			}
			c.wait(t, cred)
			// Stop ends it: no call after Stop returns.
			w.Stop()
			w.Stop()
			if err := os.WriteFile(cred, []byte(`{"a":4}`), 0o600); err != nil {
				t.Fatal(err)
			}
			c.none(t, 100*time.Millisecond)
		})
	}
}

// A directory that cannot be watched (it does not exist yet) falls back to polling, and a file
// that appears there later is a change.
func TestWatchCredentialsFallback(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	missingDir := filepath.Join(dir, "later")
	late := filepath.Join(missingDir, "cred.json")
	c := newChanges()
	w, err := WatchCredentialsWith(t.Context(), []string{good, late}, WatchOptions{PollInterval: 10 * time.Millisecond}, c.add)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if w.Mode != WatchMixed {
		t.Fatalf("mode %s, want %s", w.Mode, WatchMixed)
	}
	if err := os.MkdirAll(missingDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(late, []byte(`{}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c.wait(t, late)
	if err := os.WriteFile(good, []byte(`{}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c.wait(t, good)
}

func TestCredentialFile(t *testing.T) {
	for _, tc := range []struct {
		s    config.Secret
		want string
	}{
		{config.Secret{Backend: config.BackendFile, Path: "/a"}, "/a"},
		{config.Secret{Backend: config.BackendSops, Path: "/b"}, "/b"},
		{config.Secret{Backend: config.BackendAge, Path: "/c"}, "/c"},
		{config.Secret{Backend: config.BackendEnv, Variable: "X"}, ""},
		{config.Secret{Backend: config.BackendCommand, Command: []string{"x"}}, ""},
	} {
		if got := CredentialFile(tc.s); got != tc.want {
			t.Errorf("CredentialFile(%s) = %q, want %q", tc.s.Backend, got, tc.want)
		}
	}
}
