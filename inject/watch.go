package inject

import (
	"context"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/state"
)

// Watch modes: how a Watcher learns that a credential file changed (SPEC §8.3).
const (
	// WatchNotify: every directory is watched with fsnotify.
	WatchNotify = "fsnotify"
	// WatchPoll: no watch could be made (inotify limits, a missing directory, an unsupported
	// platform); fingerprints are compared every poll interval.
	WatchPoll = "poll"
	// WatchMixed: some directories are watched, the others polled.
	WatchMixed = "mixed"
)

// DefaultPollInterval is how often the fallback compares fingerprints.
const DefaultPollInterval = 2 * time.Second

// debounce lets a writer finish (temp file, fsync, rename, chmod) before the fingerprint is read, so
// one rewrite is one change.
const debounce = 25 * time.Millisecond

// WatchOptions tunes WatchCredentialsWith. The zero value is the production behaviour.
type WatchOptions struct {
	// PollInterval is the fallback's period; 0 means DefaultPollInterval.
	PollInterval time.Duration
	// ForcePoll skips fsnotify (tests of the fallback, and platforms where it misbehaves).
	ForcePoll bool
}

// Watcher watches credential files for re-logins. Stop ends it.
type Watcher struct {
	// Mode is WatchNotify, WatchPoll or WatchMixed.
	Mode string

	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// Stop ends the watch and waits until onChange can no longer be called. Calling it twice is harmless.
func (w *Watcher) Stop() {
	w.once.Do(func() {
		w.cancel()
		<-w.done
	})
}

// WatchCredentials calls onChange(path) when one of paths is rewritten (SPEC §8.3): a user logged in
// again in another terminal, or another process refreshed the token. See WatchCredentialsWith.
func WatchCredentials(ctx context.Context, paths []string, onChange func(path string)) (stop func(), err error) {
	w, err := WatchCredentialsWith(ctx, paths, WatchOptions{}, onChange)
	if err != nil {
		return func() {}, err
	}
	return w.Stop, nil
}

// WatchCredentialsWith watches the directories of paths, not the files: writers replace a credential
// by renaming a temp file over it, which a watch on the file itself would lose after the first time.
// A directory that cannot be watched (inotify limits, missing) falls back to comparing fingerprints
// every PollInterval. onChange is called from one goroutine, once per change of a file's fingerprint
// (its size, mtime, inode and content), never for a file that is only touched by an unrelated event
// in the same directory. The watch ends with ctx or Stop.
func WatchCredentialsWith(ctx context.Context, paths []string, opts WatchOptions, onChange func(path string)) (*Watcher, error) {
	interval := opts.PollInterval
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	files := map[string]string{} // cleaned absolute path → last fingerprint
	dirs := map[string][]string{}
	for _, p := range paths {
		if p == "" {
			continue
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			continue
		}
		if _, ok := files[abs]; ok {
			continue
		}
		files[abs] = state.Fingerprint(abs)
		d := filepath.Dir(abs)
		dirs[d] = append(dirs[d], abs)
	}

	var fw *fsnotify.Watcher
	polled := map[string]bool{} // files whose directory is not watched
	if !opts.ForcePoll && len(dirs) > 0 {
		if w, err := fsnotify.NewWatcher(); err == nil {
			fw = w
		}
	}
	watched := 0
	for d, fs := range dirs {
		if fw != nil {
			if err := fw.Add(d); err == nil {
				watched++
				continue
			}
		}
		for _, f := range fs {
			polled[f] = true
		}
	}
	if fw != nil && watched == 0 {
		fw.Close()
		fw = nil
	}

	mode := WatchNotify
	switch {
	case len(polled) > 0 && watched > 0:
		mode = WatchMixed
	case len(polled) > 0 || len(dirs) == 0:
		mode = WatchPoll
	}

	cctx, cancel := context.WithCancel(ctx)
	w := &Watcher{Mode: mode, cancel: cancel, done: make(chan struct{})}
	check := func(only map[string]bool) {
		keys := make([]string, 0, len(only))
		for f := range only {
			keys = append(keys, f)
		}
		sort.Strings(keys)
		for _, f := range keys {
			fp := state.Fingerprint(f)
			if fp == files[f] {
				continue
			}
			files[f] = fp
			if fp != "" && cctx.Err() == nil {
				onChange(f)
			}
		}
	}

	go func() {
		var events <-chan fsnotify.Event
		var errs <-chan error
		if fw != nil {
			// Closed after done: Stop need not wait for the inotify instance to be torn down (up to
			// milliseconds), only for onChange to be past.
			defer fw.Close()
			events, errs = fw.Events, fw.Errors
		}
		defer close(w.done)
		var tick <-chan time.Time
		if len(polled) > 0 {
			t := time.NewTicker(interval)
			defer t.Stop()
			tick = t.C
		}
		pending := map[string]bool{}
		settle := time.NewTimer(time.Hour)
		settle.Stop()
		defer settle.Stop()
		for {
			select {
			case <-cctx.Done():
				return
			case ev, ok := <-events:
				if !ok {
					events = nil
					continue
				}
				name := filepath.Clean(ev.Name)
				if _, ok := files[name]; ok && !polled[name] {
					if len(pending) == 0 {
						settle.Reset(debounce)
					}
					pending[name] = true
				}
			case err, ok := <-errs:
				if !ok {
					errs = nil
					continue
				}
				// An overflow loses events: compare every watched file, as the fallback would.
				if err == fsnotify.ErrEventOverflow {
					for f := range files {
						if !polled[f] {
							pending[f] = true
						}
					}
					settle.Reset(debounce)
				}
			case <-settle.C:
				check(pending)
				pending = map[string]bool{}
			case <-tick:
				check(polled)
			}
		}
	}()
	return w, nil
}

// CredentialFile is the file behind a secret whose backend reads one (file, sops, age), "" otherwise:
// the file whose fingerprint tells a re-login (SPEC §8.3).
func CredentialFile(s config.Secret) string {
	switch s.Backend {
	case config.BackendFile, config.BackendSops, config.BackendAge:
		return s.Path
	}
	return ""
}
