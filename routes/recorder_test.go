package routes

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/internal/testcfg"
	"github.com/oauth-mux/oauth-mux/state"
)

const recorderConfig = `{
  "version": 1,
  "strategies": {"generous": {"kind": "priority-failover", "success_bonus": 7}},
  "providers": {"codex": {"kind": "codex", "accounts": {
    "a": {"secret": {"backend": "file", "path": %q}}
  }}},
  "profiles": {"p": {"providers": ["codex:a#codex-max"], "strategy": "generous"}}
}`

// TestRecorder: one verdict lands where SPEC §4.2 puts it (dead on the account key with the
// credential's fingerprint, the rest on the route key) with the plan's scoring, and one event names
// the profile and the route.
func TestRecorder(t *testing.T) {
	dir := t.TempDir()
	cred := filepath.Join(dir, "auth.json")
	if err := os.WriteFile(cred, []byte(`{"tokens":{"access_token":"x"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testcfg.Load(t, strings.Replace(recorderConfig, "%q", `"`+cred+`"`, 1))
	plan, err := Resolve(cfg, Selector{Profile: "p"})
	if err != nil {
		t.Fatal(err)
	}
	r := plan.Routes[0]
	stateDir := filepath.Join(dir, "state")
	store := state.Open(stateDir)
	var warned noted
	rec := NewRecorder(store, stateDir, plan, &warned)
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

	ok := classify.Verdict{Class: classify.Success, Source: classify.SourceChildOutput}
	if err := rec.Verdict(t.Context(), r, ok, state.Evidence{Decision: "finish"}, now, state.CountRun{AccountKey: r.AccountKey(), At: now}); err != nil {
		t.Fatal(err)
	}
	h, _ := store.Load()
	got := h.Record(r.Key())
	switch {
	case h.MonthlyRuns(r.AccountKey(), now) != 1:
		t.Error("the run counted with the verdict was not recorded")
	case got == nil || got.Score != state.StartScore+7:
		t.Errorf("route record %+v: want the profile strategy's success bonus (score %d)", got, state.StartScore+7)
	case got.LastEvidence == nil || got.LastEvidence.Verdict != "success" || !got.LastEvidence.ObservedAt.Equal(now) ||
		got.LastEvidence.Source != classify.SourceChildOutput:
		t.Errorf("evidence %+v", got.LastEvidence)
	}

	dead := classify.Verdict{Class: classify.Dead, Reason: classify.TokenRevoked, Source: classify.SourceChildOutput}
	if err := rec.Verdict(t.Context(), r, dead, state.Evidence{}, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	h, _ = store.Load()
	acct := h.Record(r.AccountKey())
	if acct == nil || acct.Liveness.State != state.StateDead || acct.DeadFingerprint == "" {
		t.Errorf("account record %+v: want dead with the credential's fingerprint", acct)
	}

	rec.Event(t.Context(), r, state.Event{Ts: now, Kind: state.KindRouteVerdict, Outcome: "dead"})
	evs, err := state.ReadEvents(stateDir, 10)
	if err != nil || len(evs) != 1 {
		t.Fatalf("events %v %v", evs, err)
	}
	if e := evs[0]; e.Profile != "p" || e.Key() != "codex:a#codex-max" {
		t.Errorf("event %+v", e)
	}
	if len(warned) != 0 {
		t.Errorf("warnings %q", warned)
	}

	// Nowhere to write: nothing recorded, and a store that refuses is reported once per write.
	(&Recorder{}).Event(t.Context(), r, state.Event{Kind: state.KindRouteVerdict})
	if err := (&Recorder{}).Verdict(t.Context(), r, ok, state.Evidence{}, now); err != nil {
		t.Errorf("a recorder without a store: %v", err)
	}
	open := filepath.Join(dir, "open")
	if err := os.Mkdir(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	bad := NewRecorder(state.Open(open), open, plan, &warned)
	if err := bad.Verdict(t.Context(), r, ok, state.Evidence{}, now); err == nil {
		t.Error("a state dir others may write in was written")
	}
	bad.Event(t.Context(), r, state.Event{Kind: state.KindRouteVerdict})
	if len(warned) != 2 || !strings.HasPrefix(warned[0], "warning: health store: ") || !strings.HasPrefix(warned[1], "warning: events log: ") {
		t.Errorf("warnings %q", warned)
	}
}

// noted is a Notifier that keeps each line as cmd would print it, without "oauth-mux: ".
type noted []string

func (n *noted) Info(m string) { *n = append(*n, m) }
func (n *noted) Warn(m string) { *n = append(*n, "warning: "+m) }
func (n *noted) Hint(m string) { *n = append(*n, "hint: "+m) }
