// Package policy owns oauth-mux's decisions as pure functions: what the attempt loop does after a
// verdict (finish, fail over, skip the provider, wait, give up) and which budgets background work may
// spend (SPEC §6.2, §9).
//
// It must not perform I/O, read the clock or hold state: callers pass everything in, so every rule is
// a row of a table test.
package policy

import (
	"fmt"
	"slices"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/providers"
	"github.com/oauth-mux/oauth-mux/supervise"
)

// Step names what follows an attempt in events and reports (their JSON "decision").
type Step string

const (
	// Finish ends the run with the child's own exit status.
	Finish Step = "finish"
	// FailOver moves to the next candidate route.
	FailOver Step = "fail_over"
	// SkipProvider moves to the next route of another provider: the whole provider is degraded.
	SkipProvider Step = "skip_provider"
)

// Attempts is the run's attempt budget: --max-attempts and the strategy's max_retries.
type Attempts struct {
	// Max is --max-attempts (0: no flag).
	Max int
	// MaxRetries is the strategy's max_retries (nil: none).
	MaxRetries *int
	// Started is how many children the run has started.
	Started int
}

// Cap is how many children the run may start; 0 means no bound but the candidates.
func (a Attempts) Cap() int {
	c := a.Max
	if mr := a.MaxRetries; mr != nil && (c == 0 || *mr+1 < c) {
		c = *mr + 1
	}
	return c
}

// Exhausted is true when no further child may start.
func (a Attempts) Exhausted() bool {
	c := a.Cap()
	return c > 0 && a.Started >= c
}

// Situation is what the loop knows after an attempt ended.
type Situation struct {
	Verdict  classify.Verdict
	Attempts Attempts
	// Replayable is false when stdin was consumed and could not be buffered (supervise.Outcome.Replayable).
	Replayable bool
}

// Decision is what follows an attempt: supervise's action (Done or Retry), the step as events and
// reports name it, and, when the run finishes despite a route failure, why.
type Decision struct {
	Action supervise.Action
	Step   Step
	Why    string
}

// After decides what follows a judged attempt. Only a route failure restarts, so a child that exited
// 0, or failed in the user's own work, is never run again (SPEC §5.5).
func After(s Situation) Decision {
	finish := Decision{Action: supervise.Done, Step: Finish}
	switch {
	case !s.Verdict.IsRouteFailure():
		return finish
	case s.Attempts.Exhausted():
		finish.Why = "no attempts left (--max-attempts or the strategy's max_retries)"
		return finish
	case !s.Replayable:
		finish.Why = fmt.Sprintf("stdin was larger than %d MiB and cannot be replayed", supervise.StdinReplayLimit>>20)
		return finish
	case s.Verdict.Class == classify.ProviderDegraded:
		return Decision{Action: supervise.Retry, Step: SkipProvider}
	}
	return Decision{Action: supervise.Retry, Step: FailOver}
}

// WaitChoice is what to do when no route is left.
type WaitChoice struct {
	Wait  bool
	Until time.Time
	// Why explains a refusal to wait.
	Why string
}

// NoRouteLeft decides whether --wait sleeps until the earliest reset. earliest is the zero time when
// every remaining route is dead (nothing will reset by itself).
func NoRouteLeft(wait bool, waitMax time.Duration, now, earliest time.Time) WaitChoice {
	switch {
	case !wait:
		return WaitChoice{}
	case earliest.IsZero():
		return WaitChoice{Why: "no route will reset by itself (dead routes need repair)"}
	case earliest.Sub(now) > waitMax:
		return WaitChoice{Why: "the earliest reset " + earliest.UTC().Format(time.RFC3339) + " is beyond --wait-max"}
	}
	return WaitChoice{Wait: true, Until: earliest}
}

// Admission reasons (SPEC §9; JSON contract).
const (
	AllowedByPolicy       = "allowed_by_policy"
	BudgetNotAllowed      = "budget_not_allowed"
	NoProbeBudget         = "no_probe_budget"
	InteractiveNotAllowed = "interactive_not_allowed"
	MutatingNotAllowed    = "mutating_not_allowed"
	NoRepairAction        = "no_repair_action"
)

// DefaultBudgets is what background work may spend when the config says nothing.
var DefaultBudgets = []string{providers.BudgetFreeLocal, providers.BudgetFreeCommand}

// Daemon is the effective background policy.
type Daemon struct {
	AllowedBudgets   []string `json:"allowed_budgets"`
	AllowInteractive bool     `json:"allow_interactive"`
	AllowMutating    bool     `json:"allow_mutating"`
}

// Effective fills the config's daemon policy with defaults.
func Effective(p config.DaemonPolicy) Daemon {
	b := p.AllowedBudgets
	if b == nil {
		b = DefaultBudgets
	}
	return Daemon{AllowedBudgets: slices.Clone(b), AllowInteractive: p.AllowInteractive, AllowMutating: p.AllowMutating}
}

// Admission is whether background work may take an action, and why.
type Admission struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason"`
}

// AdmitProbe decides whether background work may run a route's probe with the given budget ("" when
// the capability has no probe).
func (d Daemon) AdmitProbe(budget string) Admission {
	if budget == "" {
		return Admission{Reason: NoProbeBudget}
	}
	return d.admit(budget, budget == providers.BudgetInteractive, budget == providers.BudgetMutating)
}

// AdmitRepair decides whether background work may run a repair action. hasAction is false when the
// route has no repair command at all.
func (d Daemon) AdmitRepair(hasAction bool, budget string, interactive, mutating bool) Admission {
	if !hasAction {
		return Admission{Reason: NoRepairAction}
	}
	return d.admit(budget, interactive, mutating)
}

func (d Daemon) admit(budget string, interactive, mutating bool) Admission {
	switch {
	case interactive && !d.AllowInteractive:
		return Admission{Reason: InteractiveNotAllowed}
	case mutating && !d.AllowMutating:
		return Admission{Reason: MutatingNotAllowed}
	case budget == providers.BudgetInteractive || budget == providers.BudgetMutating:
		// governed by the two flags above, not by the budget list
	case budget != "" && !slices.Contains(d.AllowedBudgets, budget):
		return Admission{Reason: BudgetNotAllowed}
	}
	return Admission{Allowed: true, Reason: AllowedByPolicy}
}
