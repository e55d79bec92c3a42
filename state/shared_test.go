package state

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
)

func sharedVerdict(v classify.Verdict, at time.Time) MarkVerdict {
	return MarkVerdict{AccountKey: "codex:a", RouteKey: "codex:a#max", Verdict: v, At: at, Scoring: DefaultScoring(),
		Evidence: Evidence{Source: classify.SourceChildOutput, ObservedAt: at}}
}

// TestSharedWrites: a failure publishes the marks its record holds, on the key its scope names; a
// success clears the route and its account, a login-only success the account alone; a reset clears
// what it forgot; counting and affinity publish nothing.
func TestSharedWrites(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	reset := now.Add(5 * time.Hour)
	h := NewHealth()
	q := sharedVerdict(classify.Verdict{Class: classify.QuotaExhausted, ResetAt: &reset}, now)
	h.Run(q)
	ws := SharedWrites(h, "m1", nil, q, CountRun{AccountKey: "codex:a", At: now}, SetAffinity{Profile: "p", RouteKey: "codex:a#max", At: now})
	if len(ws) != 1 || ws[0].Mark == nil || ws[0].Key() != "codex:a#max" || ws[0].Mark.Host != "m1" ||
		ws[0].Mark.Until == nil || !ws[0].Mark.Until.Equal(reset) || !ws[0].At().Equal(now) {
		t.Fatalf("quota writes: %+v", ws)
	}
	if ws[0].Mark.Evidence == nil || ws[0].Mark.Evidence.Host != "m1" {
		t.Errorf("the mark's evidence does not name its host: %+v", ws[0].Mark.Evidence)
	}

	d := sharedVerdict(classify.Verdict{Class: classify.Dead, Reason: classify.TokenRevoked}, now)
	h.Run(d)
	if ws := SharedWrites(h, "m1", nil, d); len(ws) != 1 || ws[0].Key() != "codex:a" || ws[0].Mark.State != StateDead {
		t.Fatalf("dead writes: %+v", ws)
	}

	s := sharedVerdict(classify.Verdict{Class: classify.Success}, now.Add(time.Minute))
	if ws := SharedWrites(h, "m1", nil, s); len(ws) != 2 || ws[0].Clear == nil || ws[0].Key() != "codex:a" || ws[1].Key() != "codex:a#max" {
		t.Fatalf("success writes: %+v", ws)
	}
	s.LoginOnly = true
	if ws := SharedWrites(h, "m1", nil, s); len(ws) != 1 || ws[0].Key() != "codex:a" {
		t.Fatalf("login-only success writes: %+v", ws)
	}
	r := &Reset{Key: "codex:a", Found: true}
	if ws := SharedWrites(h, "m1", h.RouteKeysOf("codex:a"), r); len(ws) != 2 || ws[1].Key() != "codex:a#max" {
		t.Fatalf("reset writes: %+v", ws)
	}
}

// TestMergeShared: the merge goes by observation, not by the later end.
func TestMergeShared(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	week, minute := t0.Add(7*24*time.Hour), t0.Add(time.Minute)
	quotaMark := Mark{Key: "codex:a#max", Kind: MarkLiveness, State: StateLive, Availability: QuotaExhausted, Timer: TimerWindow, Until: &week, ObservedAt: t0, Host: "m2"}
	rateMark := Mark{Key: "codex:a#max", Kind: MarkLiveness, State: StateLive, Availability: RateLimited, Timer: TimerUntil, Until: &minute, ObservedAt: t0.Add(time.Second), Host: "m3"}
	status := func(h *Health, at time.Time) Status { return h.Status("codex:a", "codex:a#max", at) }

	// The longest standing mark wins, whichever came last.
	h := NewHealth()
	h.MergeShared([]SharedKey{{Key: "codex:a#max", Marks: []Mark{rateMark, quotaMark}}}, t0.Add(2*time.Second))
	if st := status(h, t0.Add(2*time.Minute)); st.Selectable || st.Until == nil || !st.Until.Equal(week) {
		t.Fatalf("a short mark ended a week's quota: %+v", st)
	}
	if h.Records["codex:a#max"].LastEvidence.Host != "m2" {
		t.Errorf("evidence host: %+v", h.Records["codex:a#max"].LastEvidence)
	}

	// A local wait older than a shared clear is lifted; a newer one stands.
	for _, tc := range []struct {
		localAt time.Time
		lifted  bool
	}{{t0, true}, {t0.Add(time.Hour), false}} {
		h := NewHealth()
		reset := t0.Add(5 * time.Hour)
		h.Run(sharedVerdict(classify.Verdict{Class: classify.QuotaExhausted, ResetAt: &reset}, tc.localAt))
		clear := &Clear{Key: "codex:a#max", ObservedAt: t0.Add(time.Minute), Host: "m2"}
		h.MergeShared([]SharedKey{{Key: "codex:a#max", Clear: clear}}, t0.Add(2*time.Hour))
		if st := status(h, t0.Add(2*time.Hour)); st.Selectable != tc.lifted {
			t.Errorf("local quota at %v, clear at %v: selectable=%v want %v", tc.localAt, clear.ObservedAt, st.Selectable, tc.lifted)
		}
	}

	// A shared mark observed before this machine's own later success does not stand.
	h = NewHealth()
	h.Run(sharedVerdict(classify.Verdict{Class: classify.Success}, t0.Add(time.Hour)))
	h.MergeShared([]SharedKey{{Key: "codex:a#max", Marks: []Mark{quotaMark}}}, t0.Add(2*time.Hour))
	if st := status(h, t0.Add(2*time.Hour)); !st.Selectable {
		t.Errorf("a shared mark older than the local success stands: %+v", st)
	}

	// Marks this version does not know, or that have ended, are passed over.
	h = NewHealth()
	bad := []Mark{{Kind: MarkCircuit, ObservedAt: t0}, {Kind: MarkLiveness, State: "zombie", ObservedAt: t0}, rateMark}
	h.MergeShared([]SharedKey{{Key: "codex:a#max", Marks: bad}}, t0.Add(2*time.Minute))
	if st := status(h, t0.Add(2*time.Minute)); !st.Selectable {
		t.Errorf("unknown or ended marks stand: %+v", st)
	}
}

// FuzzMergeShared feeds arbitrary JSON as a pool's keys (a damaged or future server): the merge
// never panics, and what it leaves evaluates and survives a round trip.
func FuzzMergeShared(f *testing.F) {
	f.Add([]byte(`[{"key":"codex:a#max","marks":[{"kind":"circuit","observed_at":"2026-12-02T10:00:00Z"}]}]`))
	f.Add([]byte(`[{"key":"codex:a","marks":[{"kind":"liveness","state":"dead","observed_at":"2026-12-02T10:00:00Z","host":"m"}],"clear":{"observed_at":"2026-12-01T10:00:00Z"}}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var keys []SharedKey
		if json.Unmarshal(data, &keys) != nil {
			return
		}
		now := time.Date(2026, 12, 2, 11, 0, 0, 0, time.UTC)
		h := NewHealth()
		h.Run(sharedVerdict(classify.Verdict{Class: classify.RateLimited}, now.Add(-time.Hour)))
		h.MergeShared(keys, now)
		for k := range h.Records {
			h.Status(k, k, now)
		}
		js, err := json.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseHealth(js); err != nil {
			t.Fatalf("merged health does not parse back: %v", err)
		}
	})
}
