package policy

import (
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/config"
)

func TestAfter(t *testing.T) {
	v := func(c classify.Class, r classify.Reason) classify.Verdict {
		return classify.Verdict{Class: c, Reason: r}
	}
	tests := []struct {
		name string
		in   Situation
		want Action
		why  bool
	}{
		{"success finishes", Situation{Verdict: v(classify.Success, ""), AttemptsLeft: 3, Replayable: true}, Finish, false},
		{"child failure finishes", Situation{Verdict: v(classify.ChildFailure, ""), AttemptsLeft: 3, Replayable: true}, Finish, false},
		{"quota fails over", Situation{Verdict: v(classify.QuotaExhausted, ""), AttemptsLeft: 1, Replayable: true}, FailOver, false},
		{"rate limit fails over", Situation{Verdict: v(classify.RateLimited, ""), AttemptsLeft: 1, Replayable: true}, FailOver, false},
		{"dead fails over", Situation{Verdict: v(classify.Dead, classify.TokenRevoked), AttemptsLeft: 1, Replayable: true}, FailOver, false},
		{"degraded fails over", Situation{Verdict: v(classify.Degraded, classify.ScopeInsufficient), AttemptsLeft: 1, Replayable: true}, FailOver, false},
		{"provider degraded skips provider", Situation{Verdict: v(classify.ProviderDegraded, classify.ReasonProviderDegraded), AttemptsLeft: 2, Replayable: true}, SkipProvider, false},
		{"no attempts left", Situation{Verdict: v(classify.QuotaExhausted, ""), AttemptsLeft: 0, Replayable: true}, Finish, true},
		{"stdin not replayable", Situation{Verdict: v(classify.QuotaExhausted, ""), AttemptsLeft: 2, Replayable: false}, Finish, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := After(tt.in)
			if got.Action != tt.want || (got.Why != "") != tt.why {
				t.Fatalf("After(%+v) = %+v, want action %s (why given: %v)", tt.in, got, tt.want, tt.why)
			}
		})
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
