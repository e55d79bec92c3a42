// Package afloat owns the stay-afloat tick: per route of a plan, the phase it is in (nothing to do, a
// probe, a repair, a window to observe), whether background work may act on it under the daemon
// policy, and when to look again; in execute mode, the one admitted non-interactive action a tick may
// take; and the handoffs that queue an interactive repair for the user instead of running it.
//
// It builds on routes/explain (the same readiness, actions and admission that `route explain`
// shows), routes/probe and routes/repair. It must not run anything interactive or mutating, spend a
// budget the policy refuses, or print: cmd renders a Tick.
package afloat

import (
	"time"

	"github.com/oauth-mux/oauth-mux/providers"
	"github.com/oauth-mux/oauth-mux/routes/explain"
	"github.com/oauth-mux/oauth-mux/state"
)

// Phases of a route in a tick (JSON contract, the Zig version's words).
const (
	PhaseNone    = "none"    // selectable, nothing to do
	PhaseProbe   = "probe"   // unrecorded or unconfirmed: a probe would tell
	PhaseRepair  = "repair"  // something must be repaired (a login, a refresh, the runtime)
	PhaseObserve = "observe" // a window or degradation ends by itself: wait and look again
)

// Schedule reasons: why a route wants the next tick when it does.
const (
	ScheduleRetryAfter      = "retry_after"      // a rate limit's retry time
	ScheduleWaitUntil       = "wait_until"       // a quota window's reset or a cooldown's end
	ScheduleRepairPoll      = "repair_poll"      // a repair is due, or another process repairs the account
	ScheduleProbeDue        = "probe_due"        // an admitted probe can run now
	ScheduleHandoffRecheck  = "handoff_recheck"  // the user was asked to repair; look again later
	ScheduleRuntimeRecheck  = "runtime_recheck"  // the runtime is not ready (a binary, a config dir)
	ScheduleQuotaPoll       = "quota_poll"       // a quota window without a known reset
	ScheduleProviderRecheck = "provider_recheck" // the provider is degraded, or a probe is refused
	ScheduleNoAction        = "no_action"        // nothing will change by waiting
)

// Recheck intervals for what has no timer of its own.
const (
	// ActionBackoff is how long a loop leaves a route alone after it took the route's action, whatever
	// came of it: an action that changed nothing (a probe that errs, a failing refresh) must not be
	// taken again every tick while the other routes wait.
	ActionBackoff   = 15 * time.Minute
	HandoffRecheck  = 5 * time.Minute
	RuntimeRecheck  = 5 * time.Minute
	QuotaPoll       = 15 * time.Minute
	ProviderRecheck = 30 * time.Minute
	RepairPoll      = time.Minute
)

// Execution modes of a tick.
const (
	ModePlanOnly = "plan_only"
	ModeExecute  = "execute"
)

// Route is one route in a tick.
type Route struct {
	Key        string `json:"key"`
	Provider   string `json:"provider"`
	Account    string `json:"account"`
	Capability string `json:"capability"`
	Selectable bool   `json:"selectable"`
	SkipReason string `json:"skip_reason"`
	Phase      string `json:"phase"`
	// Action is what the phase would do (explain's action: kind, command, budget, wait_until).
	Action explain.Action `json:"action"`
	// Admission is whether background work may take Action (the daemon policy's probe or repair
	// admission, by phase); for phases none and observe it is the probe admission, for the record.
	Admission      Admission  `json:"admission"`
	NextTickAfter  *time.Time `json:"next_tick_after"`
	ScheduleReason string     `json:"schedule_reason"`
	// Handoff is the pending handoff of this route's repair, when one is queued.
	Handoff *state.Handoff `json:"handoff,omitempty"`
	// EvidenceHost is the machine of a shared pool whose evidence put the route in its phase.
	EvidenceHost string `json:"evidence_host,omitempty"`

	since        time.Time // when the route's recorded state began (its liveness since)
	revalidating bool      // selectable only because a window expired
}

// Admission is explain's admission with what it was asked about.
type Admission struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason"`
	// Of is "probe" or "repair".
	Of string `json:"of"`
}

// Summary is the tick at a glance: counts by phase and the earliest wake-up.
type Summary struct {
	Routes          int        `json:"routes"`
	Selectable      int        `json:"selectable"`
	Probe           int        `json:"probe"`
	Repair          int        `json:"repair"`
	Observe         int        `json:"observe"`
	Admitted        int        `json:"admitted"`
	Refused         int        `json:"refused"`
	HandoffsPending int        `json:"handoffs_pending"`
	NextTickAfter   *time.Time `json:"next_tick_after"`
	ScheduleReason  string     `json:"schedule_reason"`
	// WakeRoute is the route whose schedule is the earliest ("" when nothing is scheduled).
	WakeRoute string `json:"wake_route"`
}

// phaseOf places an explained route in a phase and schedules it.
func phaseOf(rr explain.RouteReport, now time.Time) Route {
	r := Route{Key: rr.Key, Provider: rr.Provider, Account: rr.Account, Capability: rr.Capability,
		Selectable: rr.Selectable, SkipReason: rr.SkipReason, Action: rr.Action, EvidenceHost: rr.Liveness.Host,
		revalidating: rr.Liveness.State == explain.LivenessRevalidation}
	if rr.Liveness.Since != nil {
		r.since = *rr.Liveness.Since
	}
	probe := Admission{Allowed: rr.Admission.DaemonProbe.Allowed, Reason: rr.Admission.DaemonProbe.Reason, Of: "probe"}
	repair := Admission{Allowed: rr.Admission.DaemonRepair.Allowed, Reason: rr.Admission.DaemonRepair.Reason, Of: "repair"}
	at := func(d time.Duration) *time.Time { t := now.Add(d).UTC(); return &t }
	until := func(fallback time.Duration) *time.Time {
		if rr.Action.WaitUntil != nil && rr.Action.WaitUntil.After(now) {
			t := rr.Action.WaitUntil.UTC()
			return &t
		}
		return at(fallback)
	}
	r.Phase, r.Admission = PhaseNone, probe
	switch k := rr.Action.Kind; {
	case rr.Runtime != nil && rr.Runtime.RepairInProgress != nil:
		r.Phase, r.Admission = PhaseRepair, repair
		r.NextTickAfter, r.ScheduleReason = at(RepairPoll), ScheduleRepairPoll
	case k == explain.ActNone && rr.Selectable:
		r.ScheduleReason = ScheduleNoAction
	case k == explain.ActProbeNeeded:
		r.Phase = PhaseProbe
		if probe.Allowed && rr.Action.Budget != providers.BudgetFreeLocal {
			r.NextTickAfter, r.ScheduleReason = at(0), ScheduleProbeDue
		} else {
			// Refused, or nothing to probe with: the route proves itself on its next run.
			r.NextTickAfter, r.ScheduleReason = at(ProviderRecheck), ScheduleProviderRecheck
		}
	case k == explain.ActWaitAndRetry:
		r.Phase = PhaseObserve
		r.NextTickAfter, r.ScheduleReason = until(time.Minute), ScheduleRetryAfter
	case k == explain.ActWaitForQuota:
		r.Phase = PhaseObserve
		r.ScheduleReason = ScheduleWaitUntil
		if rr.Action.WaitUntil == nil {
			r.ScheduleReason = ScheduleQuotaPoll
		}
		r.NextTickAfter = until(QuotaPoll)
	case k == explain.ActWaitForCooldown:
		r.Phase = PhaseObserve
		r.NextTickAfter, r.ScheduleReason = until(time.Minute), ScheduleWaitUntil
	case k == explain.ActTryNextProvider:
		r.Phase = PhaseObserve
		r.NextTickAfter, r.ScheduleReason = until(ProviderRecheck), ScheduleProviderRecheck
	case k == explain.ActFixRuntime:
		r.Phase, r.Admission = PhaseRepair, repair
		r.NextTickAfter, r.ScheduleReason = at(RuntimeRecheck), ScheduleRuntimeRecheck
	case k == explain.ActReauth || k == explain.ActRefresh:
		r.Phase, r.Admission = PhaseRepair, repair
		if repair.Allowed && !rr.Action.Interactive {
			r.NextTickAfter, r.ScheduleReason = at(0), ScheduleRepairPoll
		} else {
			r.NextTickAfter, r.ScheduleReason = at(HandoffRecheck), ScheduleHandoffRecheck
		}
	case k == explain.ActNone:
		// Not selectable and nothing oauth-mux can do (a metered account the profile refuses).
		r.ScheduleReason = ScheduleNoAction
	default:
		// Scope, plan, schema, manual repairs: the user's to do; waiting changes nothing.
		r.Phase, r.Admission = PhaseRepair, repair
		r.ScheduleReason = ScheduleNoAction
	}
	return r
}

// summarize counts the routes and finds the earliest wake-up.
func summarize(rs []Route) Summary {
	s := Summary{Routes: len(rs), ScheduleReason: ScheduleNoAction}
	for _, r := range rs {
		if r.Selectable {
			s.Selectable++
		}
		switch r.Phase {
		case PhaseProbe:
			s.Probe++
		case PhaseRepair:
			s.Repair++
		case PhaseObserve:
			s.Observe++
		}
		if r.Phase == PhaseProbe || r.Phase == PhaseRepair {
			if r.Admission.Allowed {
				s.Admitted++
			} else {
				s.Refused++
			}
		}
		if r.Handoff != nil {
			s.HandoffsPending++
		}
		if r.NextTickAfter != nil && (s.NextTickAfter == nil || r.NextTickAfter.Before(*s.NextTickAfter)) {
			t := *r.NextTickAfter
			s.NextTickAfter, s.ScheduleReason, s.WakeRoute = &t, r.ScheduleReason, r.Key
		}
	}
	return s
}

// Interactive reports whether the route's action needs a person (a login at a terminal).
func (r Route) interactive() bool {
	return r.Action.Interactive || r.Action.Budget == providers.BudgetInteractive
}

// executable reports whether a tick in execute mode may take the route's action: admitted, not
// interactive, not mutating beyond what the policy allowed, and one oauth-mux can run itself (a
// probe with a budget, or its own refresh).
func (r Route) executable() bool {
	if !r.Admission.Allowed || r.interactive() {
		return false
	}
	switch {
	case r.Phase == PhaseProbe:
		return r.Action.Kind == explain.ActProbeNeeded && r.Action.Budget != providers.BudgetFreeLocal && len(r.Action.Argv) > 0
	case r.Phase == PhaseRepair:
		return r.Action.Kind == explain.ActRefresh
	}
	return false
}
