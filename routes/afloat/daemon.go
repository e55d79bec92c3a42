package afloat

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/oauth-mux/oauth-mux/inject"
	"github.com/oauth-mux/oauth-mux/routes"
	"github.com/oauth-mux/oauth-mux/state"
)

// Why a daemon ticks (the snapshot's last_reason and the replan events' reason).
const (
	ReasonStart      = "start"
	ReasonSchedule   = "schedule"           // the earliest wake-up or the interval came
	ReasonConfig     = "config_changed"     // the config file was rewritten
	ReasonCredential = "credential_changed" // an account's credential file was rewritten
)

// Snapshot is daemon-snapshot.json: what the daemon saw last, replaced atomically after every tick.
type Snapshot struct {
	Version    int       `json:"version"`
	PID        int       `json:"pid"`
	StartedAt  time.Time `json:"started_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	Running    bool      `json:"running"`
	Ticks      int       `json:"ticks"`
	LastReason string    `json:"last_reason"`
	Watch      string    `json:"watch"`
	// Error is why the last tick could not be planned (a config that does not load); "" when it was.
	Error string `json:"error,omitempty"`
	Tick  *Tick  `json:"tick"`
}

// SnapshotPath is <dir>/daemon-snapshot.json.
func SnapshotPath(dir string) string { return filepath.Join(dir, "daemon-snapshot.json") }

// ReadSnapshot reads the last snapshot of dir's daemon; (nil, nil) when no daemon has run there.
func ReadSnapshot(dir string) (*Snapshot, error) {
	data, err := os.ReadFile(SnapshotPath(dir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var s Snapshot
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// Daemon is `daemon run`: ticks as a foreground service until ctx ends, at the earliest wake-up or
// the interval, and within a second of a change to the config file or an account's credential file
// (fsnotify on their directories; fingerprints where a watch cannot be made).
type Daemon struct {
	StateDir   string
	ConfigPath string
	// Load reads the config and resolves the plan, again after the config file changed.
	Load       func() (Options, error)
	Interval   time.Duration
	Iterations int // stop after N ticks (tests); 0: until ctx ends
	// WatchPoll compares fingerprints every WatchPoll instead of using fsnotify (tests of the fallback).
	WatchPoll time.Duration
	// Ready is called once the first snapshot is written and the watch is up.
	Ready  func()
	Notify routes.Notifier
}

// Run holds the state dir's daemon lock (a second daemon gets a *state.HeldError) and ticks. It ends
// with a final snapshot (running false) and returns nil when ctx ends.
func (d *Daemon) Run(ctx context.Context) error {
	lock, err := state.LockDaemon(d.StateDir)
	for try := 0; err != nil && try < 5; try++ {
		// `daemon status` takes the lock for an instant to test it: retry briefly before giving up.
		var held *state.HeldError
		if !errors.As(err, &held) || held.PID != 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
		lock, err = state.LockDaemon(d.StateDir)
	}
	if err != nil {
		return err
	}
	defer lock.Release()
	snap := &Snapshot{Version: 1, PID: os.Getpid(), StartedAt: time.Now().UTC(), Running: true}
	changed := make(chan string, 1)
	var stopWatch func()
	defer func() {
		if stopWatch != nil {
			stopWatch()
		}
	}()
	backoff := map[string]time.Time{}
	cfgPrint := state.Fingerprint(d.ConfigPath)
	opts, loadErr := d.Load()
	reason := ReasonStart
	for i := 0; ; i++ {
		if stopWatch == nil || reason == ReasonConfig {
			if stopWatch != nil {
				stopWatch()
			}
			stopWatch, snap.Watch = d.watch(ctx, opts, loadErr == nil, changed)
			if fp := state.Fingerprint(d.ConfigPath); fp != cfgPrint {
				// Rewritten between the load and the watch: the watch did not see it.
				cfgPrint = fp
				select {
				case changed <- ReasonConfig:
				default:
				}
			}
		}
		opts.Backoff = backoff
		wait := d.tick(ctx, opts, loadErr, i, reason, snap)
		if i == 0 && d.Ready != nil {
			d.Ready()
		}
		if d.Iterations > 0 && i+1 >= d.Iterations {
			break
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return d.final(snap)
		case reason = <-changed:
			timer.Stop()
			d.event(ctx, opts, reason)
			if reason == ReasonConfig {
				cfgPrint = state.Fingerprint(d.ConfigPath)
				opts, loadErr = d.Load()
			}
			continue
		case <-timer.C:
			reason = ReasonSchedule
		}
	}
	return d.final(snap)
}

// tick runs one tick, writes the snapshot and returns how long to sleep.
func (d *Daemon) tick(ctx context.Context, o Options, loadErr error, i int, reason string, snap *Snapshot) time.Duration {
	snap.Ticks, snap.LastReason, snap.UpdatedAt, snap.Error = i+1, reason, time.Now().UTC(), ""
	wait := d.Interval
	if loadErr != nil {
		snap.Error, snap.Tick = loadErr.Error(), nil
	} else {
		o.Mode, o.Index = "daemon", i
		t, err := Run(ctx, o)
		if err != nil {
			snap.Error = err.Error()
		} else {
			snap.Tick = t
			wait = t.Wake(d.Interval, time.Now())
		}
	}
	if err := d.write(snap); err != nil {
		routes.Warnf(d.Notify, "daemon snapshot: %v", err)
	}
	return wait
}

func (d *Daemon) final(snap *Snapshot) error {
	snap.Running, snap.UpdatedAt = false, time.Now().UTC()
	return d.write(snap)
}

func (d *Daemon) write(snap *Snapshot) error {
	data, err := json.MarshalIndent(snap, "", "  ")
	if err != nil {
		return err
	}
	return state.WriteFileAtomic(SnapshotPath(d.StateDir), append(data, '\n'), 0o600)
}

// watch watches the config file and, when the plan loaded, every route's credential file; a change
// is sent on changed (the latest wins while the loop is busy).
func (d *Daemon) watch(ctx context.Context, o Options, planned bool, changed chan string) (stop func(), mode string) {
	paths := []string{d.ConfigPath}
	creds := map[string]bool{}
	if planned {
		for _, r := range o.Plan.Routes {
			if f := inject.CredentialFile(r.Acct.Secret); f != "" {
				if abs, err := filepath.Abs(f); err == nil {
					creds[abs] = true
					paths = append(paths, abs)
				}
			}
		}
	}
	cfgAbs, _ := filepath.Abs(d.ConfigPath)
	w, err := inject.WatchCredentialsWith(ctx, paths, inject.WatchOptions{ForcePoll: d.WatchPoll > 0, PollInterval: d.WatchPoll}, func(path string) {
		why := ReasonCredential
		if path == cfgAbs {
			why = ReasonConfig
		}
		select {
		case changed <- why:
		default:
			// A change is already waiting; a config change must not be lost behind a credential one.
			if why == ReasonConfig {
				select {
				case <-changed:
				default:
				}
				changed <- why
			}
		}
	})
	if err != nil {
		routes.Warnf(d.Notify, "daemon: no watch (%v); only the schedule wakes it", err)
		return func() {}, ""
	}
	return w.Stop, w.Mode
}

// event records a re-plan that a change caused.
func (d *Daemon) event(ctx context.Context, o Options, reason string) {
	ev := state.Event{Kind: state.KindDaemonAction, Outcome: "replan", Reason: reason}
	if o.Store != nil {
		_ = o.Store.AppendEvent(ctx, ev)
		return
	}
	_ = state.AppendEvent(d.StateDir, ev)
}
