package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/oauth-mux/oauth-mux/inject"
	"github.com/oauth-mux/oauth-mux/routes"
	"github.com/oauth-mux/oauth-mux/routes/renew"
)

// KeepaliveCmd is `keepalive --once|--loop [--interval D] [selectors] [--json]` (SPEC §8.2): refresh
// admitted tokens at 75 % of their life, so a token is never found expired by a command.
//
// A token's life runs from the credential file's mtime (when it was issued or last refreshed: every
// refresh rewrites the file) to its expiry; tokens with no known expiry are left alone. Each account's
// time comes a little earlier by a stable per-account offset (up to 5 % of the life, at most 5 minutes)
// so accounts issued together are not refreshed in the same instant. Dead accounts are skipped until
// their credential file changes (a re-login, SPEC §8.3), which --loop notices at once through fsnotify
// on the credential directories (or, when no watch can be made, by comparing fingerprints).
//
// --once does one pass and exits like `refresh`: 0, or 203/202/204 for the most serious failure.
// --loop passes again when the next token falls due, when a credential file changes, and at least
// every --interval, until SIGINT or SIGTERM (exit 0); failures are reported and retried next pass.
type KeepaliveCmd struct {
	Selectors
	Once       bool          `name:"once" xor:"mode" required:"" help:"One pass, then exit."`
	Loop       bool          `name:"loop" xor:"mode" required:"" help:"Keep passing until SIGINT or SIGTERM."`
	Interval   time.Duration `name:"interval" default:"1m" help:"Longest sleep between passes of --loop." placeholder:"DURATION"`
	Iterations int           `name:"iterations" hidden:"" help:"Stop --loop after N passes (tests)."`
	WatchPoll  time.Duration `name:"watch-poll" hidden:"" help:"Compare fingerprints every DURATION instead of using fsnotify (tests of the fallback)."`
	ReadyFile  string        `name:"ready-file" hidden:"" type:"path" help:"Create FILE once the credential watch is set up (tests)."`
}

// Run runs the passes.
func (c *KeepaliveCmd) Run(ctx context.Context, app *App) error {
	if c.Interval <= 0 {
		return usageError("--interval must be positive")
	}
	rs, rec, err := app.accountPlan(c.selector(""))
	if err != nil {
		return err
	}
	k := &keepalive{app: app, Keepalive: &renew.Keepalive{Recorder: rec, Routes: rs, Notify: app.notices(), Once: c.Once,
		Options: renew.Options{Trigger: "keepalive", SecretEnv: inject.Env{Environ: app.Env, Stdin: app.Stdio.In}, Fleet: app.fleet()}}}
	if c.Once {
		results, _ := k.Pass(ctx)
		return reportRefresh(app, results)
	}

	ctx, stopSignals := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stopSignals()
	changed := make(chan struct{}, 1)
	var paths []string
	for _, r := range rs {
		if f := inject.CredentialFile(r.Acct.Secret); f != "" {
			paths = append(paths, f)
		}
	}
	if len(paths) > 0 {
		w, err := inject.WatchCredentialsWith(ctx, paths, inject.WatchOptions{ForcePoll: c.WatchPoll > 0, PollInterval: c.WatchPoll},
			func(string) {
				select {
				case changed <- struct{}{}:
				default:
				}
			})
		if err == nil {
			defer w.Stop()
			fmt.Fprintf(app.Stdio.Err, "oauth-mux: keepalive: watching %d credential file(s) (%s)\n", len(paths), w.Mode)
		}
	}
	if c.ReadyFile != "" {
		if err := os.WriteFile(c.ReadyFile, nil, 0o600); err != nil {
			return err
		}
	}
	for n := 1; ; n++ {
		results, next := k.Pass(ctx)
		k.report(results)
		if c.Iterations > 0 && n >= c.Iterations {
			return nil
		}
		wait := c.Interval
		if !next.IsZero() {
			wait = min(wait, max(time.Until(next), 0))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-changed:
			t.Stop()
		case <-t.C:
		}
	}
}

// keepalive is the command's side of the passes: renew.Keepalive refreshes, it reports.
type keepalive struct {
	app *App
	*renew.Keepalive
}

// report prints what a --loop pass did: a line per refresh, failure or first not-admitted account
// (JSON lines with --json); passes where nothing was due print nothing.
func (k *keepalive) report(results []routes.RefreshResult) {
	if len(results) == 0 {
		return
	}
	if k.app.JSON {
		// One compact JSON line per pass (JSON lines, for a log or a pipe), like writeJSON unescaped.
		enc := json.NewEncoder(k.app.Stdio.Out)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(struct {
			Ts       string                 `json:"ts"`
			Accounts []routes.RefreshResult `json:"accounts"`
		}{time.Now().UTC().Format(time.RFC3339), results}); err != nil {
			fmt.Fprintf(k.app.Stdio.Err, "oauth-mux: warning: keepalive report: %v\n", err)
		}
		return
	}
	printRefreshResults(k.app.Stdio.Out, results, true)
}
