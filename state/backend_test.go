package state

import (
	"os"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
)

// TestStoreOps: the typed operations of the Backend on the file store, one update each, and an
// operation that changes nothing writes nothing.
func TestStoreOps(t *testing.T) {
	ctx := t.Context()
	s := Open(t.TempDir())
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	dead := MarkVerdict{AccountKey: "codex:a", RouteKey: "codex:a#codex-max", At: now, Scoring: DefaultScoring(),
		Verdict: classify.Verdict{Class: classify.Dead, Reason: classify.TokenRevoked}, Evidence: Evidence{Fingerprint: "fp-old"}}
	if err := s.Apply(ctx, dead, CountRun{AccountKey: "codex:a", At: now}, SetAffinity{Profile: "p", RouteKey: "codex:a#codex-max", At: now}); err != nil {
		t.Fatal(err)
	}
	h, err := s.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if h.DeadFingerprint("codex:a") != "fp-old" || h.MonthlyRuns("codex:a", now) != 1 || h.Affinity("p", time.Hour, now) != "codex:a#codex-max" {
		t.Fatalf("after one Apply: dead %q runs %d affinity %q", h.DeadFingerprint("codex:a"), h.MonthlyRuns("codex:a", now), h.Affinity("p", time.Hour, now))
	}

	// The same fingerprint revives nothing, and nothing is written.
	before, _ := os.Stat(s.Path())
	time.Sleep(10 * time.Millisecond)
	same := &Revive{AccountKey: "codex:a", Fingerprint: "fp-old", At: now}
	if err := s.Apply(ctx, same, &Reset{Key: "codex:nobody"}); err != nil || same.Revived {
		t.Fatalf("unchanged fingerprint: revived=%v err=%v", same.Revived, err)
	}
	if after, _ := os.Stat(s.Path()); !after.ModTime().Equal(before.ModTime()) {
		t.Error("an Apply that changed nothing rewrote the store")
	}

	changed := &Revive{AccountKey: "codex:a", Fingerprint: "fp-new", At: now}
	cur1, cur2 := &AdvanceCursor{Profile: "p"}, &AdvanceCursor{Profile: "p"}
	if err := s.Apply(ctx, changed, cur1, cur2); err != nil || !changed.Revived || cur1.Cursor != 0 || cur2.Cursor != 1 {
		t.Fatalf("revive %v cursors %d %d err %v", changed.Revived, cur1.Cursor, cur2.Cursor, err)
	}
	h, _ = s.Snapshot(ctx)
	if st := h.Status("codex:a", "codex:a#codex-max", now); !st.Selectable || !st.RevalidationNeeded {
		t.Errorf("revived account: %+v", st)
	}

	reset := &Reset{Key: "codex:a"}
	if err := s.Apply(ctx, reset); err != nil || !reset.Found {
		t.Fatalf("reset: found=%v err=%v", reset.Found, err)
	}
	if h, _ = s.Snapshot(ctx); h.HasRecords("codex:a") {
		t.Error("reset left records")
	}
	if err := s.AppendEvent(ctx, Event{Kind: KindRouteVerdict, Provider: "codex", Account: "a"}); err != nil {
		t.Fatal(err)
	}
	l, err := s.LockAccount(ctx, "codex", "a", false)
	if err != nil {
		t.Fatal(err)
	}
	if held, _ := IsAccountLocked(s.dir, "codex", "a"); !held {
		t.Error("the backend's lock is not the account lock")
	}
	l.Release()
}
