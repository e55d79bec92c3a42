package providers

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/oauth-mux/oauth-mux/classify"
)

func decodeDef(t *testing.T, s string) Definition {
	t.Helper()
	var d Definition
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestMergeScalarsAndLists(t *testing.T) {
	base := mustBuiltin(t, "linear")
	over := decodeDef(t, `{
		"display_name": "Linear (work)",
		"auth": {"client_id": "cid-123"},
		"credential": {"expires_at_unit": "milliseconds"},
		"injection": {"scrub_env": ["LINEAR_API_KEY"]},
		"repair": {"refresh_token_response": "require_rotated"}
	}`)
	m := Merge(base, over)
	if m.Name != "linear" || m.DisplayName != "Linear (work)" {
		t.Errorf("names = %q %q", m.Name, m.DisplayName)
	}
	if m.Auth.ClientID != "cid-123" || m.Auth.TokenEndpoint != base.Auth.TokenEndpoint || !slices.Equal(m.Auth.Scopes, base.Auth.Scopes) {
		t.Errorf("auth = %+v", m.Auth)
	}
	if m.Credential.ExpiresAtUnit != UnitMilliseconds || m.Credential.AccessTokenPath != "access_token" {
		t.Errorf("credential = %+v", m.Credential)
	}
	// Lists: over's non-empty list replaces; an empty one keeps base's.
	if !slices.Equal(m.Injection.ScrubEnv, []string{"LINEAR_API_KEY"}) || !slices.Equal(m.Injection.DirectEnv, base.Injection.DirectEnv) {
		t.Errorf("injection = %+v", m.Injection)
	}
	if m.Repair.RefreshTokenResponse != RequireRotated || m.Repair.Owner != OwnerOAuthMuxRefresh {
		t.Errorf("repair = %+v", m.Repair)
	}
	if !reflect.DeepEqual(m.Capabilities, base.Capabilities) || !reflect.DeepEqual(m.FailureRules, base.FailureRules) {
		t.Error("capabilities or rules changed without any in over")
	}
	// Merging nothing over a definition is the identity.
	if !reflect.DeepEqual(Merge(base, Definition{}), base) {
		t.Error("Merge(base, {}) != base")
	}
}

func TestMergeCapabilities(t *testing.T) {
	base := mustBuiltin(t, "codex")
	over := decodeDef(t, `{"capabilities": [
		{"name": "codex-mini", "probe": {"timeout_ms": 60000, "budget": "cheap_provider"}},
		{"name": "max", "aliases": ["big"]},
		{"name": "codex-review", "probe": {"transport": "command", "command": ["codex", "--version"], "budget": "free_command", "timeout_ms": 5000}}
	]}`)
	m := Merge(base, over)
	var names []string
	for _, c := range m.Capabilities {
		names = append(names, c.Name)
	}
	if !slices.Equal(names, []string{"codex-max", "codex-mini", "codex-review"}) {
		t.Fatalf("capabilities = %v", names)
	}
	mini := m.Capabilities[1].Probe
	baseMini := base.Capabilities[1].Probe
	if *mini.TimeoutMS != 60000 || mini.Budget != BudgetCheapProvider || !slices.Equal(mini.Command, baseMini.Command) {
		t.Errorf("merged mini probe = %+v", mini)
	}
	// Matched by alias: the base capability keeps its name, takes over's aliases, keeps its probe.
	if m.Capabilities[0].Name != "codex-max" || !slices.Equal(m.Capabilities[0].Aliases, []string{"big"}) ||
		!reflect.DeepEqual(m.Capabilities[0].Probe, base.Capabilities[0].Probe) {
		t.Errorf("merged max = %+v", m.Capabilities[0])
	}
	if m.DefaultCapability() != "codex-max" {
		t.Errorf("default = %q", m.DefaultCapability())
	}

	// A probe of another transport replaces the old one wholesale.
	over = decodeDef(t, `{"capabilities": [{"name": "codex-max", "probe": {"transport": "http", "url": "https://example.invalid/x", "budget": "cheap_provider"}}]}`)
	p := Merge(base, over).Capabilities[0].Probe
	if p.Transport != "http" || len(p.Command) != 0 || p.TimeoutMS != nil {
		t.Errorf("transport switch kept old fields: %+v", p)
	}
}

func TestMergeRulesOverFirst(t *testing.T) {
	base := mustBuiltin(t, "github")
	base.OutputRules = []classify.OutputRule{{Name: "base-out", Pattern: "x"}}
	over := Definition{
		FailureRules: []classify.HTTPRule{{Name: "mine", Status: intp(403), Class: classify.RuleClass{Class: classify.Degraded, Reason: classify.TierInsufficient}}},
		OutputRules:  []classify.OutputRule{{Name: "over-out", Pattern: "y"}},
	}
	m := Merge(base, over)
	if len(m.FailureRules) != len(base.FailureRules)+1 || m.FailureRules[0].Name != "mine" || m.FailureRules[1].Name != base.FailureRules[0].Name {
		t.Errorf("failure rules order = %+v", m.FailureRules)
	}
	if len(m.OutputRules) != 2 || m.OutputRules[0].Name != "over-out" || m.OutputRules[1].Name != "base-out" {
		t.Errorf("output rules order = %+v", m.OutputRules)
	}
}

func TestMergeDoesNotAlias(t *testing.T) {
	base := mustBuiltin(t, "figma")
	over := decodeDef(t, `{"injection": {"direct_env": [["X", "access_token"]]}, "capabilities": [{"name": "identity", "probe": {"timeout_ms": 1}}, {"name": "new", "probe": {"transport": "http", "url": "https://e.invalid", "timeout_ms": 2}}],
		"failure_rules": [{"name": "r", "status": 418, "class": {"rate_limited": {}}}]}`)
	beforeBase, beforeOver := snapshot(t, base), snapshot(t, over)
	m := Merge(base, over)
	mutateAll(reflect.ValueOf(&m))
	if snapshot(t, base) != beforeBase || snapshot(t, over) != beforeOver {
		t.Fatal("mutating the merge result changed an input")
	}
}

func TestNewCatalogAndResolve(t *testing.T) {
	cat := NewCatalog(map[string]Definition{
		"claude":  decodeDef(t, `{"display_name": "Claude (team)", "failure_rules": [{"name": "team", "hint_contains": "x", "class": {"rate_limited": {}}}]}`),
		"acme":    decodeDef(t, `{"name": "ignored", "credential": {"access_token_path": "tok"}}`),
		"generic": decodeDef(t, `{"credential": {"access_token_path": "token"}}`),
	})
	claude := mustCatalogLookup(t, cat, "claude")
	if claude.DisplayName != "Claude (team)" || claude.FailureRules[0].Name != "team" || claude.Credential.WrapperKey != "claudeAiOauth" {
		t.Errorf("merged claude = %+v", claude)
	}
	acme := mustCatalogLookup(t, cat, "acme")
	if acme.Name != "acme" || acme.Credential.AccessTokenPath != "tok" {
		t.Errorf("config-only acme = %+v", acme)
	}
	want := append(slices.Clone(wantBuiltins), "acme", "generic")
	slices.Sort(want)
	if !slices.Equal(cat.Names(), want) {
		t.Errorf("Names = %v, want %v", cat.Names(), want)
	}

	cases := []struct{ provider, kind, want string }{
		{"claude", "codex", "claude"},          // provider name first
		{"work-claude", "claude", "claude"},    // then kind
		{"acme", "", "acme"},                   // config-only
		{"elsewhere", "acme", "acme"},          // kind naming a config definition
		{"unknown", "unknown-kind", "generic"}, // then generic
		{"unknown", "", "generic"},
	}
	for _, tc := range cases {
		if got := cat.Resolve(tc.provider, tc.kind); got.Name != tc.want {
			t.Errorf("Resolve(%q, %q) = %q, want %q", tc.provider, tc.kind, got.Name, tc.want)
		}
	}
	// The config's "generic" is merged over the built-in fallback.
	g := cat.Resolve("unknown", "")
	if !g.Generic() || g.Credential.AccessTokenPath != "token" || g.Credential.RefreshTokenPath != "refresh_token" {
		t.Errorf("generic fallback = %+v", g.Credential)
	}

	plain := NewCatalog(nil)
	if !slices.Equal(plain.Names(), wantBuiltins) {
		t.Errorf("plain Names = %v", plain.Names())
	}
	if g := plain.Resolve("x", "y"); !g.Generic() || g.Credential.AccessTokenPath != "access_token" {
		t.Errorf("plain generic = %+v", g)
	}
	if _, ok := plain.Lookup(GenericName); ok {
		t.Error("generic is a fallback, not a listed definition, unless the config defines it")
	}
}

// An override of one probe field keeps the rest, what the probe tests included.
func TestMergeProbeKeepsTests(t *testing.T) {
	base := Probe{Transport: "command", Command: []string{"codex", "exec"}, Budget: BudgetSpendProvider, Tests: ProbeTestsQuota}
	ms := 5000
	if got := mergeProbe(base, Probe{TimeoutMS: &ms}); got.Tests != ProbeTestsQuota || *got.TimeoutMS != 5000 {
		t.Fatalf("merged %+v", got)
	}
	if got := mergeProbe(base, Probe{Tests: ProbeTestsLogin}); got.Tests != ProbeTestsLogin {
		t.Fatalf("an override's tests: %+v", got)
	}
}
