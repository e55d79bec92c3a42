// Package renew keeps accounts' credentials alive between runs: the refresh of whole accounts
// (refresh, keepalive and repair run), keepalive's timing, and reviving a dead account when its
// credential file changes (a re-login), at the next pass or at once through a file watch. Every
// verdict and event goes through routes' Recorder.
//
// It must not print, and refreshes only what inject.RefreshRefusal admits.
package renew

import (
	"context"
	"errors"
	"hash/fnv"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/inject"
	"github.com/oauth-mux/oauth-mux/providers"
	"github.com/oauth-mux/oauth-mux/routes"
	"github.com/oauth-mux/oauth-mux/state"
)

// Options configure RefreshAccount.
type Options struct {
	// Trigger says who asked (refresh, keepalive); an event field.
	Trigger string
	// SecretEnv is what secret backends read.
	SecretEnv inject.Env
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Force refreshes even a token far from expiry (the refresh command).
	Force bool
	// Due decides, inside the account lock, whether the token still needs refreshing (keepalive).
	Due func(tok providers.Token, modTime, now time.Time) bool
	// HTTPClient posts the grant; nil means a 30 s client.
	HTTPClient *http.Client
	// Fleet shares the refresh with the machines of a pool (one refresher per account).
	Fleet inject.Fleet
}

// NotAdmitted is the result for a route oauth-mux may not refresh; nothing is read.
func NotAdmitted(r routes.Route) routes.RefreshResult {
	_, reason, hints := routes.RefreshAdmission(r)
	return routes.RefreshResult{Provider: r.Provider, Account: r.Account, WritebackCapability: r.Acct.Secret.WriteCapability(),
		Outcome: routes.RefreshNotAdmitted, Reason: reason, Hints: hints,
		Message: "not refreshed by oauth-mux (" + strings.ReplaceAll(reason, "_", " ") + ")"}
}

// Account refreshes one admitted account (SPEC §8.2) and records what happened: a
// token_refresh event always, and dead(token_revoked) on the account key when the token endpoint
// refused the refresh token (the credential file is left as it was, its fingerprint stored so a
// re-login revives it). A route that is not admitted gives NotAdmitted(r) and its event.
func Account(ctx context.Context, rec *routes.Recorder, r routes.Route, o Options) routes.RefreshResult {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	if ok, _, _ := routes.RefreshAdmission(r); !ok {
		res := NotAdmitted(r)
		rec.RefreshEvent(ctx, o.Trigger, r, res, now())
		return res
	}
	res := routes.RefreshResult{Provider: r.Provider, Account: r.Account, Admitted: true, WritebackCapability: r.Acct.Secret.WriteCapability()}
	rr, err := inject.Refresh(ctx, inject.RefreshRequest{
		Provider: r.Provider, Account: r.Account, Secret: r.Acct.Secret, Definition: r.Def,
		StateDir: rec.StateDir, SecretEnv: o.SecretEnv, Now: o.Now,
		Options: &inject.RefreshOptions{HTTPClient: o.HTTPClient, Force: o.Force, Due: o.Due, Fleet: o.Fleet},
	})
	if err == nil {
		res.Refreshed, res.Rotated, res.ExpiresAt, res.Warning = rr.Refreshed, rr.Rotated, utc(rr.Token.ExpiresAt), rr.Warning
		res.Outcome = routes.RefreshFresh
		if rr.Refreshed {
			res.Outcome = routes.RefreshRefreshed
		}
	} else {
		res.Fail(err)
		var ce *inject.CredentialError
		if errors.As(err, &ce) && ce.Verdict.Class == classify.Dead {
			ev := state.Evidence{Decision: "refresh", Fingerprint: state.Fingerprint(inject.CredentialFile(r.Acct.Secret))}
			if uerr := rec.Verdict(ctx, r, ce.Verdict, ev, now()); uerr != nil {
				res.Hints = append(res.Hints, "the health store could not be updated: "+uerr.Error())
			}
		}
	}
	rec.RefreshEvent(ctx, o.Trigger, r, res, now())
	return res
}

// ReviveChanged moves every dead account of the routes whose credential file changed since it died to
// probe_needed (SPEC §8.3), in one store operation, and returns the revived account keys. The exec
// Planner does this itself; keepalive and refresh call this.
func ReviveChanged(ctx context.Context, store state.Backend, rs []routes.Route, now time.Time) ([]string, error) {
	ops := routes.ReviveOps(rs, now)
	if len(ops) == 0 {
		return nil, nil
	}
	h, err := store.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	// Most calls find nothing to revive: try the ops on the snapshot first, so the store is written
	// only when one applies (Apply runs them again on the stored health, and sets routes.Revived anew).
	if !h.Run(ops...) {
		return nil, nil
	}
	if err := store.Apply(ctx, ops...); err != nil {
		return nil, err
	}
	return routes.Revived(ops), nil
}

// AccountRoutes lists one route per account for the account-level commands (refresh, keepalive):
// the accounts a selector names, or every configured account when it names nothing.
func AccountRoutes(cfg *config.Config, sel routes.Selector) ([]routes.Route, error) {
	var rs []routes.Route
	if sel.Profile == "" && sel.Provider == "" && sel.Account == "" && sel.Capability == "" {
		for _, prov := range cfg.SortedProviderNames() {
			if len(cfg.Providers[prov].Accounts) == 0 {
				continue
			}
			p, err := routes.Resolve(cfg, routes.Selector{Provider: prov})
			if err != nil {
				return nil, err
			}
			rs = append(rs, p.Routes...)
		}
	} else {
		p, err := routes.Resolve(cfg, sel)
		if err != nil {
			return nil, err
		}
		rs = p.Routes
	}
	seen := map[string]bool{}
	out := rs[:0:0]
	for _, r := range rs {
		if seen[r.AccountKey()] {
			continue
		}
		seen[r.AccountKey()] = true
		out = append(out, r)
	}
	return out, nil
}

// Share is the share of a token's life after which keepalive refreshes it (SPEC §8.2).
const Share = 0.75

// maxStagger bounds the per-account offset that spreads refreshes of many accounts apart.
const maxStagger = 5 * time.Minute

// DueAt is when keepalive refreshes a token (SPEC §8.2 "75 % of its life"): its life runs
// from issued — the credential file's mtime, which a refresh (ours or the CLI's) rewrites — to its
// expiry. Each account's time is brought forward by a stable offset of up to 5 % of the life (at
// most 5 minutes) derived from its key, so accounts issued together do not all refresh in the same
// instant. A token whose file is newer than its expiry (touched, copied) is due inject.RefreshLead before expiry.
func DueAt(key string, expiresAt, issued time.Time) time.Time {
	life := expiresAt.Sub(issued)
	if life <= 0 {
		return expiresAt.Add(-inject.RefreshLead)
	}
	due := issued.Add(time.Duration(float64(life) * Share))
	window := min(life/20, maxStagger)
	if window > 0 {
		h := fnv.New32a()
		h.Write([]byte(key))
		due = due.Add(-time.Duration(uint64(h.Sum32()) % uint64(window)))
	}
	return due
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Second)
	return &u
}

// Due reads r's credential and says whether keepalive should refresh it now (DueAt), and when it
// falls due; known is false when the credential carries no expiry. An unreadable secret is due: the
// refresh reads it again inside the lock and records why it failed.
func Due(ctx context.Context, r routes.Route, env inject.Env, now time.Time) (due bool, at time.Time, known bool) {
	sec, err := inject.ReadSecret(ctx, r.Acct.Secret, env)
	if err != nil {
		return true, now, true
	}
	tok, err := providers.ParseCredential(r.Def, sec.Data, sec.ModTime)
	if err != nil || tok.ExpiresAt == nil {
		return false, time.Time{}, false
	}
	at = DueAt(r.AccountKey(), *tok.ExpiresAt, sec.ModTime)
	return !now.Before(at), at, true
}

// WatchDelay is how long a command runs before Watch sets up its watch: most runs end sooner, and
// for them a watch is only the cost of making and tearing down an inotify instance.
const WatchDelay = 500 * time.Millisecond

// Watch watches the credential files of rs while a long command runs: a re-login (a file rewritten
// in another terminal) revives the account to probe_needed at once, so the next attempt may use it.
// The watch starts after delay (WatchDelay in exec) with one comparison, which catches a change made
// before it was up. It returns the stop function; a watch that cannot be set up at all is silently
// skipped (the next run's fingerprint check still sees the change).
func Watch(ctx context.Context, store state.Backend, rs []routes.Route, delay time.Duration, onRevive func(keys []string)) func() {
	var paths []string
	for _, r := range rs {
		if f := inject.CredentialFile(r.Acct.Secret); f != "" {
			paths = append(paths, f)
		}
	}
	if len(paths) == 0 || store == nil {
		return func() {}
	}
	revive := func() {
		keys, _ := ReviveChanged(ctx, store, rs, time.Now())
		if len(keys) > 0 && onRevive != nil {
			onRevive(keys)
		}
	}
	var (
		mu      sync.Mutex
		stopped bool
		stop    = func() {}
	)
	start := func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		if s, err := inject.WatchCredentials(ctx, paths, func(string) { revive() }); err == nil {
			stop = s
		}
		if delay > 0 {
			revive()
		}
	}
	if delay <= 0 {
		start()
		return stop
	}
	t := time.AfterFunc(delay, start)
	return func() {
		t.Stop()
		mu.Lock()
		stopped = true
		s := stop
		mu.Unlock()
		s()
	}
}

// Keepalive is keepalive's state across passes (SPEC §8.2): which accounts' not_admitted and
// dead-skip results it already reported, so a --loop says each once.
type Keepalive struct {
	Recorder *routes.Recorder
	Routes   []routes.Route
	Options  Options
	// Once reports the accounts that are not due too (keepalive --once).
	Once bool
	// Notify gets a line when a dead account's credential changed since it died.
	Notify routes.Notifier

	notAdmitted map[string]bool // accounts whose not_admitted event this run already recorded
	skippedDead map[string]bool // dead accounts this run already reported as skipped
}

// Pass looks at every account once and refreshes the ones due. It returns the results and the
// earliest time another account falls due (zero when none is known).
func (k *Keepalive) Pass(ctx context.Context) ([]routes.RefreshResult, time.Time) {
	if k.notAdmitted == nil {
		k.notAdmitted, k.skippedDead = map[string]bool{}, map[string]bool{}
	}
	now := time.Now()
	if revived, _ := ReviveChanged(ctx, k.Recorder.Store, k.Routes, now); len(revived) > 0 {
		for _, key := range revived {
			delete(k.skippedDead, key)
			routes.Infof(k.Notify, "keepalive: %s: credential changed since it died; it may be tried again (probe_needed)", key)
		}
	}
	h, err := k.Recorder.Store.Snapshot(ctx)
	if err != nil || h == nil {
		h = state.NewHealth()
	}
	var out []routes.RefreshResult
	var next time.Time
	for _, r := range k.Routes {
		if ctx.Err() != nil {
			break
		}
		if ok, _, _ := routes.RefreshAdmission(r); !ok {
			if k.notAdmitted[r.AccountKey()] {
				continue
			}
			k.notAdmitted[r.AccountKey()] = true
			out = append(out, Account(ctx, k.Recorder, r, k.Options))
			continue
		}
		if rec := h.Record(r.AccountKey()); rec != nil && rec.Liveness.State == state.StateDead {
			if k.skippedDead[r.AccountKey()] {
				continue
			}
			k.skippedDead[r.AccountKey()] = true
			out = append(out, routes.RefreshResult{Provider: r.Provider, Account: r.Account, Admitted: true,
				WritebackCapability: r.Acct.Secret.WriteCapability(), Outcome: routes.RefreshDead, Reason: rec.Liveness.Reason,
				Message: "skipped: the account is dead until its credential changes"})
			continue
		}
		due, at, known := Due(ctx, r, k.Options.SecretEnv, now)
		if !known {
			continue
		}
		if !due {
			if next.IsZero() || at.Before(next) {
				next = at
			}
			if k.Once {
				at := at.UTC().Truncate(time.Second)
				out = append(out, routes.RefreshResult{Provider: r.Provider, Account: r.Account, Admitted: true,
					WritebackCapability: r.Acct.Secret.WriteCapability(), Outcome: routes.RefreshFresh, Reason: "not_due",
					NextRefreshAt: &at})
			}
			continue
		}
		o := k.Options
		key := r.AccountKey()
		o.Due = func(tok providers.Token, mod, now time.Time) bool {
			return tok.ExpiresAt != nil && !now.Before(DueAt(key, *tok.ExpiresAt, mod))
		}
		res := Account(ctx, k.Recorder, r, o)
		// What was just written falls due again at 75 % of its new life.
		if _, at, known := Due(ctx, r, k.Options.SecretEnv, time.Now()); known && res.ExitCode == 0 {
			if next.IsZero() || at.Before(next) {
				next = at
			}
			at := at.UTC().Truncate(time.Second)
			res.NextRefreshAt = &at
		}
		out = append(out, res)
	}
	return out, next
}
