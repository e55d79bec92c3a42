package cmd

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/state"
)

func TestHealthText(t *testing.T) {
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	h := state.NewHealth()
	sc := state.DefaultScoring()
	reset := now.Add(2 * time.Hour)
	h.ApplyVerdict("codex:a1", "codex:a1#codex-max", classify.Verdict{Class: classify.Dead, Reason: classify.TokenRevoked},
		state.Evidence{Source: classify.SourceChildOutput, ObservedAt: now}, now, sc)
	h.ApplyVerdict("codex:a2", "codex:a2#codex-max", classify.Verdict{Class: classify.QuotaExhausted, ResetAt: &reset},
		state.Evidence{Source: classify.SourceChildOutput, ObservedAt: now}, now, sc)
	h.ApplyVerdict("codex:a3", "codex:a3#codex-max", classify.Verdict{Class: classify.Degraded, Reason: classify.ScopeInsufficient},
		state.Evidence{Source: classify.SourceChildOutput, ObservedAt: now}, now, sc)
	h.ApplyVerdict("github:me", "github:me#identity", classify.Verdict{Class: classify.Success},
		state.Evidence{Source: classify.SourceChildOutput, ObservedAt: now}, now, sc)

	var b bytes.Buffer
	if err := writeHealthText(&b, h.Report("codex", now), "codex", now); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"codex:a1            dead(token_revoked)  score -100\n" +
		"codex:a2#codex-max  live/quota_exhausted  until 2026-11-28T12:00:00Z  score 50\n" +
		"codex:a3#codex-max  degraded(scope_insufficient)  retry at 2026-11-28T11:00:00Z  score 30\n"
	if b.String() != want {
		t.Errorf("text:\n%s\nwant:\n%s", b.String(), want)
	}

	b.Reset()
	_ = writeHealthText(&b, h.Report("vercel", now), "vercel", now)
	if !strings.HasPrefix(b.String(), "no health recorded yet for provider vercel;") {
		t.Errorf("empty filtered report: %q", b.String())
	}
	b.Reset()
	_ = writeHealthText(&b, state.NewHealth().Report("", now), "", now)
	if b.String() != "no health recorded yet; run a command with oauth-mux exec or oauth-mux probe\n" {
		t.Errorf("empty report: %q", b.String())
	}
}

func TestHealthTextOpenCircuit(t *testing.T) {
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	h := state.NewHealth()
	for i := range 3 {
		at := now.Add(time.Duration(i) * time.Second)
		h.ApplyVerdict("c:a", "c:a#x", classify.Verdict{Class: classify.RateLimited},
			state.Evidence{Source: classify.SourceChildOutput, ObservedAt: at}, at, state.DefaultScoring())
	}
	e := h.Report("", now.Add(3*time.Second)).Accounts[0]
	got := healthEntryText(e, now.Add(3*time.Second))
	if !strings.Contains(got, "live/rate_limited  until ") || !strings.Contains(got, "circuit open") || strings.Contains(got, "passed") {
		t.Errorf("entry text %q: want the rate-limit window and the open circuit", got)
	}
	// After the window: not "rate_limited until <a past time>" as if it still held.
	if got := healthEntryText(e, now.Add(time.Hour)); !strings.Contains(got, "(passed: usable again, to be confirmed)") {
		t.Errorf("a passed window reads %q", got)
	}
}
