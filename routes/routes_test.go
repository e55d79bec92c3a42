package routes

import (
	"errors"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/internal/testcfg"
	"github.com/oauth-mux/oauth-mux/state"
)

const testConfig = `{
  "version": 1,
  "providers": {
    "codex": {"accounts": {
      "max-1": {"priority": 30, "secret": {"backend": "env", "variable": "T1"}},
      "max-2": {"priority": 20, "secret": {"backend": "env", "variable": "T2"}},
      "max-3": {"priority": 10, "secret": {"backend": "env", "variable": "T3"}},
      "api":   {"priority": 90, "tags": ["metered"], "secret": {"backend": "env", "variable": "T4"}}
    }},
    "github": {"accounts": {
      "personal": {"secret": {"backend": "env", "variable": "GH"}},
      "work": {"priority": 5, "secret": {"backend": "env", "variable": "GW"}}
    }}
  },
  "profiles": {
    "codex-max": {"providers": ["codex:max-3#codex-max", "codex:max-2#codex-max", "codex:max-1#codex-max", "codex:api#codex-max"]},
    "mixed": {"providers": ["codex:max-1#codex-max", "codex:max-1#codex-mini", "codex:max-2"], "strategy": "hw"},
    "rr": {"providers": ["codex:max-1", "codex:max-2", "codex:max-3"], "strategy": "rr"},
    "paid": {"providers": ["codex:api", "codex:max-1"], "allow_metered": true}
  },
  "strategies": {"hw": {"kind": "health-weighted"}, "rr": {"kind": "round-robin"}}
}`

func keys[T interface{ Key() string }](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = x.Key()
	}
	return out
}

func eq(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s = %v, want %v", what, got, want)
		}
	}
}

func TestResolveChoiceOrder(t *testing.T) {
	cfg := testcfg.Load(t, testConfig)
	tests := []struct {
		name  string
		sel   Selector
		label string
		want  []string
	}{
		{"profile", Selector{Profile: "codex-max"}, "codex-max",
			[]string{"codex:max-3#codex-max", "codex:max-2#codex-max", "codex:max-1#codex-max", "codex:api#codex-max"}},
		{"profile filtered by account", Selector{Profile: "codex-max", Account: "max-2"}, "codex-max", []string{"codex:max-2#codex-max"}},
		{"profile filtered by capability alias-free name", Selector{Profile: "mixed", Capability: "codex-mini"}, "mixed", []string{"codex:max-1#codex-mini"}},
		{"entry without capability takes the first", Selector{Profile: "mixed", Account: "max-2"}, "mixed", []string{"codex:max-2#codex-max"}},
		{"provider lists its accounts by name", Selector{Provider: "github"}, "github", []string{"github:personal#identity", "github:work#identity"}},
		{"provider and account", Selector{Provider: "codex", Account: "max-1", Capability: "codex-mini"}, "codex", []string{"codex:max-1#codex-mini"}},
		{"program name gh means github", Selector{Program: "/usr/bin/gh"}, "github", []string{"github:personal#identity", "github:work#identity"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Resolve(cfg, tt.sel)
			if err != nil {
				t.Fatal(err)
			}
			if p.Label != tt.label {
				t.Fatalf("label %q, want %q", p.Label, tt.label)
			}
			eq(t, "routes", keys(p.Routes), tt.want)
		})
	}
}

func TestResolveDefaultsAndErrors(t *testing.T) {
	cfg := testcfg.Load(t, testConfig)
	var nc *NoChoiceError
	if _, err := Resolve(cfg, Selector{Program: "make"}); !errors.As(err, &nc) {
		t.Fatalf("no choice: got %v", err)
	}
	cfg.Defaults.Provider = "github"
	if p, err := Resolve(cfg, Selector{Program: "make"}); err != nil || p.Label != "github" {
		t.Fatalf("defaults.provider: %v %v", p, err)
	}
	cfg.Defaults.Profile = "rr"
	if p, err := Resolve(cfg, Selector{Program: "codex"}); err != nil || p.Label != "rr" {
		t.Fatalf("defaults.profile wins over the program name: %v %v", p, err)
	}
	var se *SelectError
	for _, sel := range []Selector{
		{Profile: "nope"}, {Provider: "nope"}, {Provider: "codex", Account: "nope"},
		{Profile: "codex-max", Capability: "codex-mini"}, {Profile: "codex-max", Strategy: "nope"},
		{Provider: "codex", Capability: "nope"},
	} {
		if _, err := Resolve(cfg, sel); !errors.As(err, &se) {
			t.Errorf("%+v: want a SelectError, got %v", sel, err)
		}
	}
}

var now = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func TestEvaluatePriorityAndSkips(t *testing.T) {
	cfg := testcfg.Load(t, testConfig)
	p, _ := Resolve(cfg, Selector{Profile: "codex-max"})
	h := state.NewHealth()
	reset := now.Add(time.Hour)
	h.ApplyVerdict("codex:max-1", "codex:max-1#codex-max", classify.Verdict{Class: classify.QuotaExhausted, ResetAt: &reset}, state.Evidence{}, now, state.DefaultScoring())
	h.ApplyVerdict("codex:max-2", "codex:max-2#codex-mini", classify.Verdict{Class: classify.Dead, Reason: classify.TokenRevoked}, state.Evidence{}, now, state.DefaultScoring())
	cands := Evaluate(p, h, 0, now)
	eq(t, "order", keys(cands), []string{"codex:api#codex-max", "codex:max-1#codex-max", "codex:max-2#codex-max", "codex:max-3#codex-max"})
	wantSkip := map[string]string{
		"codex:api#codex-max":   SkipMetered,       // the spend guard
		"codex:max-1#codex-max": "quota_exhausted", // its route only
		"codex:max-2#codex-max": "dead",            // the account key dominates its other capabilities
		"codex:max-3#codex-max": "",
	}
	for _, c := range cands {
		if c.Skip != wantSkip[c.Key()] {
			t.Errorf("%s skip %q, want %q", c.Key(), c.Skip, wantSkip[c.Key()])
		}
	}
	// Naming the metered account, or a profile that allows it, lets it through.
	p2, _ := Resolve(cfg, Selector{Profile: "codex-max", Account: "api"})
	if c := Evaluate(p2, h, 0, now); c[0].Skip != "" {
		t.Fatalf("explicit metered account skipped: %q", c[0].Skip)
	}
	p3, _ := Resolve(cfg, Selector{Profile: "paid"})
	if c := Evaluate(p3, h, 0, now); c[0].Key() != "codex:api#codex-max" || c[0].Skip != "" {
		t.Fatalf("allow_metered profile: %+v", c[0])
	}
}

func TestEvaluateHealthWeightedAndAffinity(t *testing.T) {
	cfg := testcfg.Load(t, testConfig)
	p, _ := Resolve(cfg, Selector{Profile: "mixed"})
	h := state.NewHealth()
	sc := state.DefaultScoring()
	// max-1#codex-max loses score to a degraded verdict that has since expired.
	h.ApplyVerdict("codex:max-1", "codex:max-1#codex-max", classify.Verdict{Class: classify.Degraded, Reason: classify.TierInsufficient}, state.Evidence{}, now.Add(-2*time.Hour), sc)
	for i := 0; i < 3; i++ {
		h.ApplyVerdict("codex:max-2", "codex:max-2#codex-max", classify.Verdict{Class: classify.Success}, state.Evidence{}, now, sc)
	}
	cands := Evaluate(p, h, 0, now)
	eq(t, "health-weighted", keys(cands), []string{"codex:max-2#codex-max", "codex:max-1#codex-mini", "codex:max-1#codex-max"})

	h.SetAffinity("mixed", "codex:max-1#codex-mini", now.Add(-5*time.Minute))
	cands = Evaluate(p, h, 0, now)
	if cands[0].Key() != "codex:max-1#codex-mini" {
		t.Fatalf("affinity route not first: %v", keys(cands))
	}
	// Past the TTL (20 minutes by default) affinity no longer applies.
	cands = Evaluate(p, h, 0, now.Add(30*time.Minute))
	if cands[0].Key() == "codex:max-1#codex-mini" {
		t.Fatalf("stale affinity applied: %v", keys(cands))
	}
}

func TestEvaluateRoundRobin(t *testing.T) {
	cfg := testcfg.Load(t, testConfig)
	p, _ := Resolve(cfg, Selector{Profile: "rr"})
	h := state.NewHealth()
	firsts := map[string]bool{}
	for cursor := 0; cursor < 3; cursor++ {
		firsts[Evaluate(p, h, cursor, now)[0].Key()] = true
	}
	if len(firsts) != 3 {
		t.Fatalf("round-robin does not rotate over all three routes: %v", firsts)
	}
	// A skipped route is never rotated to the front.
	h.ApplyVerdict("codex:max-2", "codex:max-2#codex-max", classify.Verdict{Class: classify.RateLimited}, state.Evidence{}, now, state.DefaultScoring())
	for cursor := 0; cursor < 4; cursor++ {
		c := Evaluate(p, h, cursor, now)
		if c[0].Key() == "codex:max-2#codex-max" || c[len(c)-1].Key() != "codex:max-2#codex-max" {
			t.Fatalf("cursor %d: %v", cursor, keys(c))
		}
	}
}
