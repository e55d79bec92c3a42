package policy

import (
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/supervise"
)

func TestAfter(t *testing.T) {
	v := func(c classify.Class, r classify.Reason) classify.Verdict {
		return classify.Verdict{Class: c, Reason: r}
	}
	tests := []struct {
		name string
		in   Situation
		want Step
		why  bool
	}{
		{"success finishes", Situation{Verdict: v(classify.Success, ""), Attempts: left(3), Replayable: true}, Finish, false},
		{"child failure finishes", Situation{Verdict: v(classify.ChildFailure, ""), Attempts: left(3), Replayable: true}, Finish, false},
		{"quota fails over", Situation{Verdict: v(classify.QuotaExhausted, ""), Attempts: left(1), Replayable: true}, FailOver, false},
		{"rate limit fails over", Situation{Verdict: v(classify.RateLimited, ""), Attempts: left(1), Replayable: true}, FailOver, false},
		{"dead fails over", Situation{Verdict: v(classify.Dead, classify.TokenRevoked), Attempts: left(1), Replayable: true}, FailOver, false},
		{"degraded fails over", Situation{Verdict: v(classify.Degraded, classify.ScopeInsufficient), Attempts: left(1), Replayable: true}, FailOver, false},
		{"provider degraded skips provider", Situation{Verdict: v(classify.ProviderDegraded, classify.ReasonProviderDegraded), Attempts: left(2), Replayable: true}, SkipProvider, false},
		{"no attempts left", Situation{Verdict: v(classify.QuotaExhausted, ""), Attempts: left(0), Replayable: true}, Finish, true},
		{"stdin not replayable", Situation{Verdict: v(classify.QuotaExhausted, ""), Attempts: left(2), Replayable: false}, Finish, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := After(tt.in)
			if got.Step != tt.want || (got.Why != "") != tt.why {
				t.Fatalf("After(%+v) = %+v, want step %s (why given: %v)", tt.in, got, tt.want, tt.why)
			}
			if want := supervise.Retry; (tt.want == Finish) == (got.Action == want) {
				t.Fatalf("After(%+v) = %+v: step %s with loop action %s", tt.in, got, got.Step, got.Action)
			}
		})
	}
}

// left is a budget with n attempts left: --max-attempts 5, n short of it.
func left(n int) Attempts { return Attempts{Max: 5, Started: 5 - n} }

func TestAttempts(t *testing.T) {
	two, zero := 2, 0
	tests := []struct {
		name      string
		in        Attempts
		cap       int
		exhausted bool
	}{
		{"unbounded", Attempts{Started: 40}, 0, false},
		{"flag", Attempts{Max: 3, Started: 2}, 3, false},
		{"flag reached", Attempts{Max: 3, Started: 3}, 3, true},
		{"max_retries alone", Attempts{MaxRetries: &two, Started: 2}, 3, false},
		{"max_retries tighter than the flag", Attempts{Max: 5, MaxRetries: &two, Started: 3}, 3, true},
		{"flag tighter than max_retries", Attempts{Max: 2, MaxRetries: &two, Started: 2}, 2, true},
		{"max_retries 0 runs once", Attempts{MaxRetries: &zero, Started: 1}, 1, true},
	}
	for _, tt := range tests {
		if c, x := tt.in.Cap(), tt.in.Exhausted(); c != tt.cap || x != tt.exhausted {
			t.Errorf("%s: Cap %d Exhausted %v, want %d %v", tt.name, c, x, tt.cap, tt.exhausted)
		}
	}
}

func TestNoRouteLeft(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		wait     bool
		max      time.Duration
		earliest time.Time
		want     bool
	}{
		{"no --wait", false, time.Hour, now.Add(time.Minute), false},
		{"only dead routes", true, time.Hour, time.Time{}, false},
		{"reset within max", true, time.Hour, now.Add(59 * time.Minute), true},
		{"reset exactly at max", true, time.Hour, now.Add(time.Hour), true},
		{"reset beyond max", true, time.Hour, now.Add(61 * time.Minute), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NoRouteLeft(tt.wait, tt.max, now, tt.earliest)
			if got.Wait != tt.want {
				t.Fatalf("NoRouteLeft = %+v, want wait=%v", got, tt.want)
			}
			if got.Wait && !got.Until.Equal(tt.earliest) {
				t.Fatalf("until %v, want %v", got.Until, tt.earliest)
			}
			if !got.Wait && tt.wait && got.Why == "" {
				t.Fatal("a refusal to wait must say why")
			}
		})
	}
}

func TestAdmission(t *testing.T) {
	def := Effective(config.DaemonPolicy{})
	spend := Effective(config.DaemonPolicy{AllowedBudgets: []string{"free_local", "free_command", "spend_provider"}, AllowInteractive: true, AllowMutating: true})
	tests := []struct {
		name   string
		got    Admission
		allow  bool
		reason string
	}{
		{"default admits free_command probe", def.AdmitProbe("free_command"), true, AllowedByPolicy},
		{"default admits free_local probe", def.AdmitProbe("free_local"), true, AllowedByPolicy},
		{"default refuses spend probe", def.AdmitProbe("spend_provider"), false, BudgetNotAllowed},
		{"default refuses cheap probe", def.AdmitProbe("cheap_provider"), false, BudgetNotAllowed},
		{"no probe", def.AdmitProbe(""), false, NoProbeBudget},
		{"default refuses interactive repair", def.AdmitRepair(true, "interactive", true, true), false, InteractiveNotAllowed},
		{"default refuses mutating repair", def.AdmitRepair(true, "mutating", false, true), false, MutatingNotAllowed},
		{"no repair action", def.AdmitRepair(false, "", false, false), false, NoRepairAction},
		{"policy admits spend", spend.AdmitProbe("spend_provider"), true, AllowedByPolicy},
		{"policy admits interactive mutating repair", spend.AdmitRepair(true, "interactive", true, true), true, AllowedByPolicy},
	}
	for _, tt := range tests {
		if tt.got.Allowed != tt.allow || tt.got.Reason != tt.reason {
			t.Errorf("%s: got %+v, want allowed=%v reason=%s", tt.name, tt.got, tt.allow, tt.reason)
		}
	}
	if len(def.AllowedBudgets) != 2 {
		t.Fatalf("default budgets = %v", def.AllowedBudgets)
	}
}
