// Package probe runs capability probes down a plan's routes (`oauth-mux probe`, SPEC §7): each
// route's credential prepared as for exec, its capability's probe run and judged, the verdict and
// event recorded through routes' Recorder.
//
// It must not print (lines go to the Notifier) and must not spend where the spend guard says no.
package probe

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/inject"
	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/providers"
	"github.com/oauth-mux/oauth-mux/routes"
	"github.com/oauth-mux/oauth-mux/state"
)

// Options are the world `oauth-mux probe` runs in.
type Options struct {
	routes.RunOptions
	// HTTPClient sends HTTP probes (nil: the default client).
	HTTPClient *http.Client
}

// Outcomes of one route in a probe run.
const (
	OutcomeUsable  = "usable"  // the probe succeeded: the run stops here
	OutcomeFailed  = "failed"  // the probe (or the credential) gave a route verdict, recorded
	OutcomeError   = "error"   // the probe could not be run (network, missing program, placeholder): nothing recorded
	OutcomeSkipped = "skipped" // not probed: no probe, metered, or the profile's candidates ran out
	OutcomeNotRun  = "not_run" // a route after the usable one
)

// Result is what the probe run did with one route. It holds no token, body or output.
type Result struct {
	Key        string                   `json:"key"`
	Provider   string                   `json:"provider"`
	Account    string                   `json:"account"`
	Capability string                   `json:"capability"`
	Outcome    string                   `json:"outcome"`
	Skip       string                   `json:"skip_reason,omitempty"`
	Budget     string                   `json:"budget,omitempty"`
	Verdict    *classify.Verdict        `json:"verdict,omitempty"`
	Evidence   *providers.ProbeEvidence `json:"evidence,omitempty"`
	Decision   string                   `json:"decision,omitempty"`
	Error      string                   `json:"error,omitempty"`

	err error
}

// Report is the result of a probe run (`oauth-mux probe --json`).
type Report struct {
	Profile string   `json:"profile"`
	Label   string   `json:"label"`
	Usable  *string  `json:"usable"`
	Routes  []Result `json:"routes"`
}

// Skip reasons of a probe run.
const (
	SkipNoProbe          = "no_probe"
	SkipProviderDegraded = "provider_degraded"
)

// Run runs capability probes down the plan's candidates until one route is usable (SPEC §7
// `probe`): each route's credential is prepared as for exec (inject.Prepare: refresh, managed dir,
// environment), its capability's probe run with the token and judged, and the verdict recorded —
// dead on the account key, the rest on the route key — with its evidence and a route_verdict event.
// Recorded health does not stop a route from being probed: probing is how a dead or limited route
// is confirmed or revived. Metered accounts are skipped unless the profile allows them or the user
// named the account (the spend guard, SPEC §5.4).
//
// The error is nil when a route is usable. Otherwise it is the error of the only candidate that was
// tried when that was a secret (202), refresh (203) or network (204) failure — the account is not
// shown to be at fault, so the cause's code says what to fix — and a *routes.NoRouteError (201) else.
func Run(ctx context.Context, cfg *config.Config, plan *routes.Plan, store state.Backend, opts Options) (Report, error) {
	opts.Defaults()
	rep := Report{Profile: plan.Profile, Label: plan.Label, Routes: []Result{}}
	h, err := store.Snapshot(ctx)
	if err != nil || h == nil {
		h = state.NewHealth()
	}
	cursor := 0
	rec := routes.NewRecorder(store, opts.StateDir, plan, opts.Notify)
	var tried []error // one per route that was probed (or whose credential was), nil when it answered
	skipProv := map[string]bool{}
	for _, c := range routes.Evaluate(plan, h, cursor, opts.Now()) {
		r := c.Route
		pr := Result{Key: r.Key(), Provider: r.Provider, Account: r.Account, Capability: r.Capability}
		if rep.Usable != nil {
			pr.Outcome = OutcomeNotRun
			rep.Routes = append(rep.Routes, pr)
			continue
		}
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
		capDef, ok := r.Def.Capability(r.Capability)
		if !ok || capDef.Probe == nil {
			pr.Outcome, pr.Skip = OutcomeSkipped, SkipNoProbe
			rep.Routes = append(rep.Routes, pr)
			continue
		}
		pr.Budget = capDef.Probe.Budget
		if skipProv[r.Provider] {
			// An outage is shared by every account of the provider: probing the others spends
			// budget to learn nothing (exec skips them too).
			pr.Outcome, pr.Skip = OutcomeSkipped, SkipProviderDegraded
			rep.Routes = append(rep.Routes, pr)
			continue
		}
		if plan.SpendRefused(r.Acct.Metered()) {
			pr.Outcome, pr.Skip = OutcomeSkipped, routes.SkipMetered
			rep.Routes = append(rep.Routes, pr)
			continue
		}
		probeOne(ctx, cfg, plan, rec, opts, r, &pr)
		rep.Routes = append(rep.Routes, pr)
		if pr.Outcome == OutcomeUsable {
			k := pr.Key
			rep.Usable = &k
		}
		if pr.Outcome == OutcomeFailed || pr.Outcome == OutcomeError {
			tried = append(tried, pr.err)
		}
		if pr.Verdict != nil && pr.Verdict.Class == classify.ProviderDegraded {
			skipProv[r.Provider] = true
		}
	}
	if rep.Usable != nil {
		return rep, nil
	}
	if len(tried) == 1 {
		var coded interface{ ExitCode() int }
		if err := tried[0]; err != nil && errors.As(err, &coded) {
			switch coded.ExitCode() {
			case omux.ExitSecret, omux.ExitRefresh, omux.ExitNetwork:
				return rep, err
			}
		}
	}
	nre := &routes.NoRouteError{Label: plan.Label}
	for _, pr := range rep.Routes {
		nre.Lines = append(nre.Lines, pr.Key+"  "+pr.describe())
	}
	return rep, &probeNoRoute{nre}
}

// probeNoRoute is a NoRouteError whose hints fit a probe run rather than exec.
type probeNoRoute struct{ *routes.NoRouteError }

func (e *probeNoRoute) Unwrap() error { return e.NoRouteError }

// Hints say what can be done next.
func (e *probeNoRoute) Hints() []string {
	return []string{"see each route with: oauth-mux health; repair a dead account with: oauth-mux repair-plan"}
}

func (pr Result) describe() string {
	switch {
	case pr.Verdict != nil:
		return routes.Describe(*pr.Verdict)
	case pr.Skip != "":
		return "skipped: " + pr.Skip
	case pr.Error != "":
		return "error: " + pr.Error
	}
	return pr.Outcome
}

func probeOne(ctx context.Context, cfg *config.Config, plan *routes.Plan, rec *routes.Recorder, opts Options, r routes.Route, pr *Result) {
	now := opts.Now()
	prep, err := inject.Prepare(ctx, opts.Request(cfg, plan, r, 0))
	var ce *inject.CredentialError
	switch {
	case errors.As(err, &ce):
		v := ce.Verdict
		if v.Source == "" {
			v.Source = classify.SourceCredentialValidation
		}
		pr.Outcome, pr.err, pr.Error = OutcomeFailed, err, err.Error()
		recordProbe(ctx, rec, r, pr, v, nil, now, "next_route")
		routes.Hints(opts.Notify, ce.Hints())
		return
	case err != nil:
		pr.Outcome, pr.err, pr.Error = OutcomeError, err, err.Error()
		return
	}
	tok, err := prep.Token()
	if err != nil {
		pr.Outcome, pr.err, pr.Error = OutcomeError, err, err.Error()
		return
	}
	ev, v, err := providers.RunProbe(ctx, r.Def, r.Capability, tok, prep.Env,
		providers.ProbeOptions{HTTPClient: opts.HTTPClient, Now: opts.Now, Loc: opts.Loc, Dir: opts.Dir})
	// A command probe runs the provider's CLI, which may have refreshed its login in the managed dir.
	if res, werr := prep.WriteBack(ctx); werr != nil {
		routes.Warnf(opts.Notify, "write-back of %s's credential: %v", r.AccountKey(), werr)
	} else if w := res.Warning(); w != "" {
		routes.Infof(opts.Notify, "%s", w)
	}
	if err != nil {
		pr.Outcome, pr.err, pr.Error = OutcomeError, err, err.Error()
		var hinted interface{ Hints() []string }
		if errors.As(err, &hinted) {
			routes.Hints(opts.Notify, hinted.Hints())
		}
		return
	}
	pr.Evidence = &ev
	decision := "next_route"
	if v.Class == classify.Success {
		pr.Outcome, decision = OutcomeUsable, "usable"
	} else {
		pr.Outcome = OutcomeFailed
	}
	recordProbe(ctx, rec, r, pr, v, &ev, now, decision)
}

// windowOf is the window (rate_limited, quota_exhausted, cooldown, degraded, circuit_open, or an
// expired one: revalidation_needed) r waits out now, "" when none.
func windowOf(ctx context.Context, rec *routes.Recorder, r routes.Route, now time.Time) string {
	if rec.Store == nil {
		return ""
	}
	h, err := rec.Store.Snapshot(ctx)
	if err != nil || h == nil {
		return ""
	}
	st := h.Status(r.AccountKey(), r.Key(), now)
	switch {
	case st.SkipReason == state.SkipDead:
		return ""
	case st.SkipReason != "":
		return st.SkipReason
	case st.RevalidationNeeded:
		return "revalidation_needed"
	}
	return ""
}

// recordProbe records a probe's verdict (SPEC §4.2; dead on the account key, the rest on the route
// key) with its evidence, and writes a route_verdict event. A child_failure verdict (a rule that
// calls the answer the user's own failure) records nothing against the route.
func recordProbe(ctx context.Context, rec *routes.Recorder, r routes.Route, pr *Result, v classify.Verdict, ev *providers.ProbeEvidence, now time.Time, decision string) {
	vv := v
	pr.Verdict, pr.Decision = &vv, decision
	se := state.Evidence{Rule: v.Rule, RetryAfterS: v.RetryAfterS, Decision: decision}
	fields := map[string]any{"source": string(v.Source), "rule": v.Rule, "decision": decision}
	if ev != nil {
		if ev.Transport == providers.TransportHTTP {
			se.HTTPStatus = ev.Status
		} else if ev.ExitCode != nil {
			code := *ev.ExitCode
			se.ExitStatus = &code
		}
		if se.RetryAfterS == 0 && ev.RetryAfterS > 0 {
			se.RetryAfterS = ev.RetryAfterS
		}
		if ev.Transport == providers.TransportHTTP {
			fields["http_status"] = ev.Status
		} else if ev.ExitCode != nil {
			fields["exit_status"] = *ev.ExitCode
		}
		fields["transport"] = ev.Transport
		fields["duration_ms"] = ev.DurationMS
		if ev.TimedOut {
			fields["timed_out"] = true
		}
	}
	if se.RetryAfterS > 0 {
		fields["retry_after_s"] = se.RetryAfterS
	}
	fields["tests"] = providers.ProbeTestsLogin
	if r.ProbeTestsQuota() {
		fields["tests"] = providers.ProbeTestsQuota
	}
	if v.Class == classify.Success {
		// Say what became of a window the route was waiting out: a quota probe ends it, a login
		// probe leaves it (SPEC §5.5: a limit learned from output is only corrected by a request).
		if w := windowOf(ctx, rec, r, now); w != "" {
			fields["window"] = w
			fields["window_cleared"] = r.ProbeTestsQuota()
		}
	}
	rec.Verdict(ctx, r, v, se, now)
	rec.Event(ctx, r, state.Event{Ts: now, Kind: state.KindRouteVerdict, Outcome: string(v.Class), Reason: string(v.Reason), Fields: fields})
}
