package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/routes"
	"github.com/oauth-mux/oauth-mux/routes/afloat"
	"github.com/oauth-mux/oauth-mux/state"
)

// DaemonRunCmd is `daemon run [selectors] [--interval-ms MS] [--execute]`: the stay-afloat loop as a
// foreground service (a systemd user unit or launchd agent runs it; examples/ has both). It writes
// daemon-snapshot.json after every tick, re-plans within a second when the config file or an
// account's credential file changes, and ends on SIGTERM or SIGINT with exit 0 and a final snapshot.
// One daemon per state dir.
type DaemonRunCmd struct {
	Selectors
	IntervalMS int    `name:"interval-ms" default:"60000" help:"Longest sleep between ticks; a tick comes sooner when a route is due." placeholder:"MS"`
	Execute    bool   `name:"execute" help:"Take at most one admitted, non-interactive action per tick and queue handoffs (as stay-afloat --execute)."`
	Iterations int    `name:"iterations" hidden:"" help:"Stop after N ticks (tests)."`
	WatchPoll  int    `name:"watch-poll-ms" hidden:"" help:"Compare fingerprints every MS instead of using fsnotify (tests of the fallback)."`
	ReadyFile  string `name:"ready-file" hidden:"" type:"path" help:"Create FILE once the first snapshot is written and the watch is up (tests)."`
}

// Run runs the daemon until a signal.
func (c *DaemonRunCmd) Run(ctx context.Context, app *App) error {
	if c.IntervalMS <= 0 {
		return usageError("--interval-ms must be positive")
	}
	dir, _, err := app.State()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	d := &afloat.Daemon{StateDir: dir, ConfigPath: app.ConfigPath(), Interval: time.Duration(c.IntervalMS) * time.Millisecond,
		Iterations: c.Iterations, WatchPoll: time.Duration(c.WatchPoll) * time.Millisecond, Notify: app.notices(),
		Load: func() (afloat.Options, error) { return app.loadTick(c.Selectors, c.Execute, dir) }}
	if c.ReadyFile != "" {
		d.Ready = func() { _ = os.WriteFile(c.ReadyFile, []byte("ready\n"), 0o600) }
	}
	fmt.Fprintf(app.Stdio.Err, "oauth-mux: daemon: ticking for %s (snapshot %s); SIGTERM ends it\n", dir, afloat.SnapshotPath(dir))
	err = d.Run(ctx)
	var held *state.HeldError
	if errors.As(err, &held) {
		msg := "a daemon already runs for " + dir
		if held.PID > 0 {
			msg += fmt.Sprintf(" (pid %d since %s)", held.PID, held.StartedAt.UTC().Format(time.RFC3339))
		}
		return Errorf(omux.ExitGeneral, []string{"see it with: oauth-mux daemon status"}, "%s", msg)
	}
	return err
}

// loadTick reads the config afresh (the daemon re-plans after the file changed) and resolves the
// plan the ticks look at.
func (a *App) loadTick(sel Selectors, execute bool, dir string) (afloat.Options, error) {
	cfg, err := config.Load(a.ConfigPath(), a.Getenv)
	if err != nil {
		return afloat.Options{}, err
	}
	plan, err := routes.Resolve(cfg, sel.selector(""))
	if err != nil {
		return afloat.Options{}, err
	}
	store, err := a.healthOf(cfg, dir, state.Open(dir))
	if err != nil {
		return afloat.Options{}, err
	}
	return a.tickWith(cfg, plan, store, dir, execute), nil
}

// DaemonStatusCmd is `daemon status`.
type DaemonStatusCmd struct{}

// statusOutput is `daemon status --json`.
type statusOutput struct {
	StateDir string           `json:"state_dir"`
	Running  bool             `json:"running"`
	Snapshot *afloat.Snapshot `json:"snapshot"`
}

// Run reports the daemon of the state dir: running or not (its lock), and its last snapshot. It
// exits 1 when no daemon has run there.
func (c DaemonStatusCmd) Run(app *App) error {
	dir := state.Dir(app.Getenv)
	snap, err := afloat.ReadSnapshot(dir)
	if err != nil {
		return fmt.Errorf("daemon snapshot: %w", err)
	}
	out := statusOutput{StateDir: dir, Snapshot: snap}
	out.Running, _ = state.IsDaemonLocked(dir)
	if app.JSON {
		if err := writeJSON(app.Stdio.Out, out); err != nil {
			return err
		}
	} else {
		w := app.Stdio.Out
		switch {
		case snap == nil:
			fmt.Fprintf(w, "no daemon has run for %s\n", dir)
		default:
			state := "stopped"
			if out.Running {
				state = "running"
			}
			fmt.Fprintf(w, "daemon %s (pid %d, started %s, %d ticks, last %s: %s)\n", state, snap.PID,
				snap.StartedAt.Format(time.RFC3339), snap.Ticks, snap.UpdatedAt.Format(time.RFC3339), snap.LastReason)
			if snap.Error != "" {
				fmt.Fprintf(w, "  error: %s\n", snap.Error)
			}
			if snap.Tick != nil {
				fmt.Fprintf(w, "  %s\n", snap.Tick.Claim)
			}
		}
	}
	if snap == nil {
		return Exit(omux.ExitGeneral)
	}
	return nil
}
