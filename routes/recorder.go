package routes

import (
	"context"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/state"
)

// Recorder writes what became of a route, the one way exec, probe and refresh all do: the verdict
// into health with the plan's scoring (dead on the account key, the rest on the route key, SPEC §4.2)
// and the credential's fingerprint beside a dead verdict, the event into the log with the profile
// and the route named, and a warning through Notify when either cannot be written. It decides
// nothing: callers judge, the Recorder keeps.
type Recorder struct {
	// Store receives verdicts; nil records none.
	Store state.Backend
	// StateDir receives events; "" records none.
	StateDir string
	// Profile names the run in events ("" when the routes came from a provider).
	Profile string
	// Scoring is the plan's strategy numbers.
	Scoring state.Scoring
	// Notify gets a warning when health or the events log cannot be written; nil drops it.
	Notify Notifier
}

// NewRecorder records for plan: its profile and its strategy's scoring.
func NewRecorder(store state.Backend, stateDir string, plan *Plan, notify Notifier) *Recorder {
	rec := &Recorder{Store: store, StateDir: stateDir, Scoring: state.DefaultScoring(), Notify: notify}
	if plan != nil {
		rec.Profile, rec.Scoring = plan.Profile, Scoring(plan.Strategy)
	}
	return rec
}

// AccountRecorder records for the account-level commands (refresh, keepalive, repair): the named
// profile's strategy numbers, else the default strategy's, as a provider's plan has them.
func AccountRecorder(cfg *config.Config, store state.Backend, stateDir, profile string, notify Notifier) *Recorder {
	_, s := cfg.StrategyFor(profile)
	return &Recorder{Store: store, StateDir: stateDir, Profile: profile, Scoring: Scoring(s), Notify: notify}
}

func (rec *Recorder) warn(format string, args ...any) {
	Warnf(rec.Notify, format, args...)
}

// Verdict records v for r at now with evidence ev (its time and verdict filled in, and the
// credential's fingerprint when v is dead, so that a re-login is noticed, SPEC §8.3). also are
// changes made in the same operation (a run count, affinity). The error is the store's, after it has
// been reported through Notify.
func (rec *Recorder) Verdict(ctx context.Context, r Route, v classify.Verdict, ev state.Evidence, now time.Time, also ...state.Op) error {
	if rec.Store == nil {
		return nil
	}
	if ev.Source == "" {
		ev.Source = v.Source
	}
	if ev.ObservedAt.IsZero() {
		ev.ObservedAt = now
	}
	if ev.Verdict == "" {
		ev.Verdict = v.String()
	}
	if v.Class == classify.Dead && ev.Fingerprint == "" {
		ev.Fingerprint = credentialFingerprint(r)
	}
	// A probe's success clears only what the probe tested (providers.Probe.Tests).
	loginOnly := v.Source == classify.SourceProbe && !r.ProbeTestsQuota()
	ops := append(also, state.MarkVerdict{AccountKey: r.AccountKey(), RouteKey: r.Key(), Verdict: v, Evidence: ev,
		At: now, Scoring: rec.Scoring, LoginOnly: loginOnly})
	err := rec.Store.Apply(ctx, ops...)
	if err != nil {
		rec.warn("health store: %v", err)
	}
	return err
}

// Event appends e about r: the profile and the route's provider, account and capability are filled
// in. It goes to the Store's events (a shared backend keeps its own), else to StateDir's log; an event
// that cannot be written is reported, never fatal: what it records already happened.
func (rec *Recorder) Event(ctx context.Context, r Route, e state.Event) {
	e.Profile, e.Provider, e.Account, e.Capability = rec.Profile, r.Provider, r.Account, r.Capability
	var err error
	switch {
	case rec.Store != nil:
		err = rec.Store.AppendEvent(ctx, e)
	case rec.StateDir != "":
		err = state.AppendEvent(rec.StateDir, e)
	default:
		return
	}
	if err != nil {
		rec.warn("events log: %v", err)
	}
}
