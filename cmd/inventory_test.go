package cmd

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/routes/inventory"
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
	if inventory.Summarize(nil, now) != nil || summaryText(nil) != "unrecorded" {
		t.Fatal("an unrecorded key must summarize as nil / unrecorded")
	}
	rec := &state.Record{Liveness: state.Liveness{State: state.StateLive, Availability: state.QuotaExhausted, WindowResetsAt: &future}}
	hs := inventory.Summarize(rec, now)
	if got, want := summaryText(hs), "live/quota_exhausted until 2026-05-01T13:00:00Z"; got != want {
		t.Errorf("text %q, want %q", got, want)
	}
	if hs.Circuit != state.CircuitClosed || hs.Expired {
		t.Errorf("summary %+v", hs)
	}
	rec = &state.Record{Liveness: state.Liveness{State: state.StateDegraded, Availability: "ignored", Reason: "scope_insufficient", RetryAt: &past}}
	hs = inventory.Summarize(rec, now)
	if got, want := summaryText(hs), "degraded(scope_insufficient) until 2026-05-01T11:59:00Z (expired)"; got != want {
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
