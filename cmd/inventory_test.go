package cmd

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/state"
)

func TestSecretLocationNeverShowsContent(t *testing.T) {
	cases := map[string]config.Secret{
		"/x/auth.json": {Backend: config.BackendFile, Path: "/x/auth.json"},
		"GH_TOKEN":     {Backend: config.BackendEnv, Variable: "GH_TOKEN"},
		"pass":         {Backend: config.BackendCommand, Command: []string{"pass", "show", "vault/secret-arg"}},
		"svc":          {Backend: config.BackendKeychain, Service: "svc", Account: "me"},
		"/x/s.age":     {Backend: config.BackendAge, Path: "/x/s.age", Identity: "AGE-SECRET-KEY-1INLINE"},
		"":             {Backend: config.BackendStdin},
	}
	for want, s := range cases {
		if got := secretLocation(s); got != want {
			t.Errorf("%s: %q, want %q", s.Backend, got, want)
		}
	}
}

func TestSummarize(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Minute), now.Add(time.Hour)
	if summarize(nil, now) != nil || (*healthSummary)(nil).text() != "unrecorded" {
		t.Fatal("an unrecorded key must summarize as nil / unrecorded")
	}
	rec := &state.Record{Liveness: state.Liveness{State: state.StateLive, Availability: state.QuotaExhausted, WindowResetsAt: &future}}
	hs := summarize(rec, now)
	if got, want := hs.text(), "live/quota_exhausted until 2026-05-01T13:00:00Z"; got != want {
		t.Errorf("text %q, want %q", got, want)
	}
	if hs.Circuit != state.CircuitClosed || hs.Expired {
		t.Errorf("summary %+v", hs)
	}
	rec = &state.Record{Liveness: state.Liveness{State: state.StateDegraded, Availability: "ignored", Reason: "scope_insufficient", RetryAt: &past}}
	hs = summarize(rec, now)
	if got, want := hs.text(), "degraded(scope_insufficient) until 2026-05-01T11:59:00Z (expired)"; got != want {
		t.Errorf("text %q, want %q", got, want)
	}
	b, _ := json.Marshal(hs)
	if !strings.Contains(string(b), `"availability":null`) || !strings.Contains(string(b), `"expired":true`) {
		t.Errorf("json %s", b)
	}
}

func TestEventLine(t *testing.T) {
	ev := state.Event{
		Ts: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC), Kind: state.KindExecAttempt, Profile: "p",
		Provider: "codex", Account: "a1", Capability: "codex-max", Outcome: "fail_over",
		Fields: map[string]any{"duration_ms": float64(1500000), "verdict": "quota_exhausted", "rule": "", "nested": map[string]any{"x": 1}},
	}
	want := `2026-05-01T12:00:00Z exec_attempt codex:a1#codex-max fail_over profile=p duration_ms=1500000 nested={"x":1} verdict=quota_exhausted`
	if got := eventLine(ev); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := eventLine(state.Event{Ts: ev.Ts}); got != "2026-05-01T12:00:00Z - - -" {
		t.Errorf("empty event: %q", got)
	}
}

func TestCodexMaxConfigured(t *testing.T) {
	cfg, err := config.Parse(config.CodexMax(func(string) string { return "" }), "codex-max", func(k string) string {
		if k == "HOME" {
			return "/home/u"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	if !codexConfigured(cfg) || !codexMaxConfigured(cfg) {
		t.Fatal("init --codex-max's config must count as the Codex Max shape")
	}
	delete(cfg.Providers["codex"].Accounts, "max-3")
	if codexMaxConfigured(cfg) {
		t.Fatal("two accounts are not the Codex Max shape")
	}
	if codexConfigured(nil) || codexMaxConfigured(nil) {
		t.Fatal("no config, no codex")
	}
}
