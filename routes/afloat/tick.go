package afloat

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/inject"
	"github.com/oauth-mux/oauth-mux/policy"
	"github.com/oauth-mux/oauth-mux/routes"
	"github.com/oauth-mux/oauth-mux/routes/explain"
	"github.com/oauth-mux/oauth-mux/routes/probe"
	"github.com/oauth-mux/oauth-mux/routes/renew"
	"github.com/oauth-mux/oauth-mux/state"
)

// Tick is one stay-afloat tick (the Zig version's JSON).
type Tick struct {
	TickIndex     int       `json:"tick_index"`
	ObservedAt    time.Time `json:"observed_at"`
	Mode          string    `json:"mode"`
	ExecutionMode string    `json:"execution_mode"`
	// Executed says the tick took an action (at most one).
	Executed bool `json:"executed"`
	// Afloat says some route is selectable now; Selected is the one exec would take.
	Afloat   bool              `json:"afloat"`
	Selected *explain.Selected `json:"selected"`
	// Claim is the tick in one sentence, for a person.
	Claim      string        `json:"claim"`
	Profile    string        `json:"profile"`
	Label      string        `json:"label"`
	Policy     policy.Daemon `json:"policy"`
	Summary    Summary       `json:"summary"`
	Executions []Execution   `json:"executions"`
	Routes     []Route       `json:"routes"`
}

// Execution is the action a tick took.
type Execution struct {
	Route   string            `json:"route"`
	Kind    string            `json:"kind"` // probe | refresh
	Budget  string            `json:"budget"`
	Outcome string            `json:"outcome"`
	Verdict *classify.Verdict `json:"verdict,omitempty"`
	Error   string            `json:"error,omitempty"`
}

// Options is what a tick looks at and may use.
type Options struct {
	Config   *config.Config
	Plan     *routes.Plan
	Store    state.Backend
	StateDir string
	// RunOptions are the options of a probe or refresh the tick runs (environment, clock, notifier).
	RunOptions routes.RunOptions
	// SecretEnv is what a refresh reads secrets with.
	SecretEnv inject.Env
	// HTTPClient sends HTTP probes and refresh grants (tests: a loopback client); nil is the default.
	HTTPClient *http.Client
	// Execute lets the tick take one admitted, non-interactive action and queue handoffs.
	Execute bool
	// Mode names the caller in the tick (once, loop, daemon); Index is the tick's number.
	Mode  string
	Index int
	// Backoff, kept by a loop across its ticks, holds until when each route's action rests after the
	// loop took it (ActionBackoff). nil: a lone tick.
	Backoff map[string]time.Time
}

func (o Options) now() time.Time {
	if o.RunOptions.Now != nil {
		return o.RunOptions.Now()
	}
	return time.Now()
}

// Run computes one tick: the routes' phases from recorded health and runtime readiness (what `route
// explain` shows; nothing is read or contacted), then, in execute mode, the first executable route's
// action, after which the state is read again, and the handoffs of interactive repairs.
func Run(ctx context.Context, o Options) (*Tick, error) {
	now := o.now()
	t := &Tick{TickIndex: o.Index, ObservedAt: now.UTC(), Mode: o.Mode, ExecutionMode: ModePlanOnly,
		Executions: []Execution{}, Profile: o.Plan.Profile, Label: o.Plan.Label}
	if o.Execute {
		t.ExecutionMode = ModeExecute
	}
	e, err := o.explain(ctx, now)
	if err != nil {
		return nil, err
	}
	rs := o.phases(e, now)
	if o.Execute {
		if x, ok := o.executeOne(ctx, rs, now); ok {
			t.Executed = true
			t.Executions = append(t.Executions, x)
			now = o.now()
			if e, err = o.explain(ctx, now); err != nil {
				return nil, err
			}
			rs = o.phases(e, now)
		}
	}
	if err := o.handoffs(ctx, rs, now); err != nil {
		routes.Warnf(o.RunOptions.Notify, "handoffs: %v", err)
	}
	t.Routes, t.Policy, t.Selected, t.Afloat = rs, e.Policy, e.Selected, e.Selected != nil
	t.Summary = summarize(rs)
	t.Claim = claim(t)
	return t, nil
}

// MinWake is the shortest sleep between ticks a loop takes on its own schedule (a change still wakes
// the daemon at once): a route due now whose action keeps failing must not make the loop spin.
const MinWake = time.Second

// Wake is how long a loop sleeps after t: until the earliest wake-up, at most interval and at least
// MinWake (or interval, when that is shorter). A plan-only loop cannot take the action a route is due
// for, so a wake-up that has come already waits the whole interval.
func (t *Tick) Wake(interval time.Duration, now time.Time) time.Duration {
	wake := interval
	for _, r := range t.Routes {
		if r.NextTickAfter == nil {
			continue
		}
		d := r.NextTickAfter.Sub(now)
		if d <= 0 && t.ExecutionMode == ModePlanOnly {
			continue // due for an action this loop does not take
		}
		wake = min(wake, max(d, MinWake))
	}
	return wake
}

// explain is route explain's view of the plan now: recorded health with re-logins shown at once
// (metadata only; the store is not written).
func (o Options) explain(ctx context.Context, now time.Time) (*explain.Explanation, error) {
	h, err := o.Store.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	routes.ReviveChangedIn(h, o.Plan.Routes, now)
	getenv := o.RunOptions.Env.Get
	return explain.Explain(o.Config, o.Plan, h, explain.ExplainOptions{Getenv: getenv, StateDir: o.StateDir, Now: now}), nil
}

// phases places every route; what the loop did lately and what a probe can prove adjust the schedule.
func (o Options) phases(e *explain.Explanation, now time.Time) []Route {
	rs := make([]Route, 0, len(e.Routes))
	for _, rr := range e.Routes {
		r := phaseOf(rr, now)
		if route, ok := o.route(r.Key); ok && r.Phase == PhaseProbe && r.revalidating && !route.ProbeTestsQuota() {
			// Only a request of the capability can confirm an expired window; a login probe cannot,
			// and would be repeated for nothing. The route's next run confirms it.
			r.Phase, r.NextTickAfter, r.ScheduleReason = PhaseObserve, after(now, QuotaPoll), ScheduleQuotaPoll
		}
		if until, ok := o.Backoff[r.Key]; ok && until.After(now) && r.NextTickAfter != nil && r.NextTickAfter.Before(until) {
			u := until.UTC()
			r.NextTickAfter = &u
		}
		rs = append(rs, r)
	}
	return rs
}

func after(now time.Time, d time.Duration) *time.Time { t := now.Add(d).UTC(); return &t }

// executeOne takes the first executable route's action: a probe, or oauth-mux's own refresh.
func (o Options) executeOne(ctx context.Context, rs []Route, now time.Time) (Execution, bool) {
	for _, r := range rs {
		if !r.executable() || o.Backoff[r.Key].After(now) {
			continue
		}
		if o.Backoff != nil {
			o.Backoff[r.Key] = now.Add(ActionBackoff)
		}
		route, ok := o.route(r.Key)
		if !ok {
			continue
		}
		x := Execution{Route: r.Key, Budget: r.Action.Budget}
		switch r.Phase {
		case PhaseProbe:
			x.Kind = "probe"
			single := *o.Plan
			single.Routes = []routes.Route{route}
			rep, err := probe.Run(ctx, o.Config, &single, o.Store, probe.Options{RunOptions: o.RunOptions, HTTPClient: o.HTTPClient})
			if len(rep.Routes) > 0 {
				x.Outcome, x.Verdict, x.Error = rep.Routes[0].Outcome, rep.Routes[0].Verdict, rep.Routes[0].Error
			} else if err != nil {
				x.Outcome, x.Error = probe.OutcomeError, err.Error()
			}
		default:
			x.Kind = "refresh"
			rec := routes.AccountRecorder(o.Config, o.Store, o.StateDir, o.Plan.Profile, o.RunOptions.Notify)
			var fleet inject.Fleet
			if o.RunOptions.Refresh != nil {
				fleet = o.RunOptions.Refresh.Fleet // a pool's account: refreshed under the pool's lease
			}
			res := renew.Account(ctx, rec, route, renew.Options{Trigger: "daemon", SecretEnv: o.SecretEnv,
				Now: o.RunOptions.Now, HTTPClient: o.HTTPClient, Force: true, Fleet: fleet})
			x.Outcome, x.Error = res.Outcome, res.Message
			if res.ExitCode == 0 {
				x.Error = ""
			}
		}
		o.event(ctx, route, state.Event{Kind: state.KindDaemonAction, Outcome: x.Outcome, Reason: x.Kind,
			Fields: map[string]any{"budget": x.Budget, "mode": o.Mode}})
		return x, true
	}
	return Execution{}, false
}

func (o Options) route(key string) (routes.Route, bool) {
	for _, r := range o.Plan.Routes {
		if r.Key() == key {
			return r, true
		}
	}
	return routes.Route{}, false
}

func (o Options) event(ctx context.Context, r routes.Route, ev state.Event) {
	rec := routes.AccountRecorder(o.Config, o.Store, o.StateDir, o.Plan.Profile, o.RunOptions.Notify)
	rec.Event(ctx, r, ev)
}

// handoffs attaches the pending handoff of every route whose repair needs a person and, in execute
// mode, queues one where none is pending (once: later ticks report it pending) and resolves the
// pending ones whose route no longer needs that repair. A plan-only tick changes nothing.
func (o Options) handoffs(ctx context.Context, rs []Route, now time.Time) error {
	if !o.Execute {
		hs, err := state.LoadHandoffs(o.StateDir)
		if err != nil {
			return err
		}
		for i := range rs {
			if h := hs.PendingFor(rs[i].Key, rs[i].Action.Kind); h != nil && needsPerson(rs[i]) {
				hh := *h
				rs[i].Handoff = &hh
			}
		}
		return nil
	}
	var queued, resolved []state.Handoff
	err := state.UpdateHandoffs(o.StateDir, func(hs *state.Handoffs) (bool, error) {
		changed := false
		recovered := map[string]bool{}
		for i := range rs {
			r := &rs[i]
			if r.Selectable {
				recovered[r.Key] = true
			}
			if !needsPerson(*r) {
				continue
			}
			h := hs.PendingFor(r.Key, r.Action.Kind)
			if h == nil && dismissed(hs, *r) {
				continue // the user cleared or resolved it since the route went down: not again
			}
			if h == nil {
				hs.Handoffs = append(hs.Handoffs, state.Handoff{ID: state.HandoffID(r.Key, r.Action.Kind, now), Route: r.Key,
					Kind: r.Action.Kind, Command: repairCommand(*r), Reason: r.Action.Why, Status: state.HandoffQueued,
					QueuedAt: now.UTC(), UpdatedAt: now.UTC()})
				h = &hs.Handoffs[len(hs.Handoffs)-1]
				queued, changed = append(queued, *h), true
			}
			hh := *h
			r.Handoff = &hh
		}
		for i := range hs.Handoffs {
			h := &hs.Handoffs[i]
			// Resolved only by a route that works again, not by one that merely needs something
			// else now (its runtime, a repair in progress).
			if h.Pending() && recovered[h.Route] {
				h.Status, h.ResolvedBy, h.UpdatedAt = state.HandoffResolved, "route_recovered", now.UTC()
				resolved, changed = append(resolved, *h), true
			}
		}
		return changed, nil
	})
	for _, h := range queued {
		o.handoffEvent(ctx, h, state.HandoffQueued)
	}
	for _, h := range resolved {
		o.handoffEvent(ctx, h, state.HandoffResolved)
	}
	return err
}

// dismissed reports whether the user cleared or resolved a handoff of r's repair after r went
// down: asking again would undo their answer.
func dismissed(hs *state.Handoffs, r Route) bool {
	for _, h := range hs.Handoffs {
		if h.Route == r.Key && h.Kind == r.Action.Kind && h.ResolvedBy == "user" && !h.UpdatedAt.Before(r.since) {
			return true
		}
	}
	return false
}

func (o Options) handoffEvent(ctx context.Context, h state.Handoff, outcome string) {
	r, ok := o.route(h.Route)
	if !ok {
		return
	}
	o.event(ctx, r, state.Event{Kind: state.KindDaemonHandoff, Outcome: outcome, Reason: h.Kind,
		Fields: map[string]any{"handoff_id": h.ID, "command": h.Command, "resolved_by": h.ResolvedBy}})
}

// needsPerson reports whether a route's repair is one background work must hand to the user: an
// interactive one (a login at a terminal), or one the policy refuses to run.
func needsPerson(r Route) bool {
	return r.Phase == PhaseRepair && r.Action.Kind == explain.ActReauth && (r.interactive() || !r.Admission.Allowed)
}

// repairCommand is the command the user runs for a route's repair: oauth-mux's own, which names no
// path or credential (the provider's login command with its config dir is what it runs).
func repairCommand(r Route) string {
	cmd := fmt.Sprintf("oauth-mux repair run --provider %s --account %s", r.Provider, r.Account)
	if r.Capability != "" {
		cmd += " --capability " + r.Capability
	}
	return cmd + " --confirm-repair"
}

// claim says the tick in one sentence.
func claim(t *Tick) string {
	switch {
	case t.Afloat:
		return fmt.Sprintf("%s is afloat on %s", t.Label, t.Selected.Key)
	case t.Summary.NextTickAfter != nil && t.Summary.ScheduleReason != ScheduleNoAction:
		return fmt.Sprintf("%s has no usable route; look again at %s (%s: %s)", t.Label,
			t.Summary.NextTickAfter.UTC().Format(time.RFC3339), t.Summary.ScheduleReason, t.Summary.WakeRoute)
	}
	return fmt.Sprintf("%s has no usable route and none comes back by itself: repair one", t.Label)
}
