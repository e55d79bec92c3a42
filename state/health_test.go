package state

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
)

var t0 = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

const (
	acc   = "codex:max-1"
	route = "codex:max-1#codex-max"
)

func apply(h *Health, key string, v classify.Verdict, at time.Time) {
	h.Apply(key, v, Evidence{}, at, DefaultScoring())
}

func TestTransitions(t *testing.T) {
	reset := t0.Add(3 * time.Hour)
	far := t0.Add(30 * 24 * time.Hour)
	cases := []struct {
		name      string
		v         classify.Verdict
		state     string
		avail     string
		reason    string
		score     int
		timer     func(l Liveness) *time.Time
		wantTimer time.Time
	}{
		{"success", classify.Verdict{Class: classify.Success}, StateLive, Available, "", 51, nil, time.Time{}},
		{"rate_limited default", classify.Verdict{Class: classify.RateLimited}, StateLive, RateLimited, "", 40,
			func(l Liveness) *time.Time { return l.Until }, t0.Add(30 * time.Second)},
		{"rate_limited retry-after", classify.Verdict{Class: classify.RateLimited, RetryAfterS: 90}, StateLive, RateLimited, "", 40,
			func(l Liveness) *time.Time { return l.Until }, t0.Add(90 * time.Second)},
		{"quota default", classify.Verdict{Class: classify.QuotaExhausted}, StateLive, QuotaExhausted, "", 50,
			func(l Liveness) *time.Time { return l.WindowResetsAt }, t0.Add(time.Hour)},
		{"quota reset", classify.Verdict{Class: classify.QuotaExhausted, ResetAt: &reset}, StateLive, QuotaExhausted, "", 50,
			func(l Liveness) *time.Time { return l.WindowResetsAt }, reset},
		{"quota capped", classify.Verdict{Class: classify.QuotaExhausted, ResetAt: &far}, StateLive, QuotaExhausted, "", 50,
			func(l Liveness) *time.Time { return l.WindowResetsAt }, t0.Add(7 * 24 * time.Hour)},
		{"provider_degraded", classify.Verdict{Class: classify.ProviderDegraded, Reason: classify.ReasonProviderDegraded},
			StateDegraded, "", "provider_degraded", 50, func(l Liveness) *time.Time { return l.RetryAt }, t0.Add(60 * time.Second)},
		{"degraded", classify.Verdict{Class: classify.Degraded, Reason: classify.ScopeInsufficient},
			StateDegraded, "", "scope_insufficient", 30, func(l Liveness) *time.Time { return l.RetryAt }, t0.Add(time.Hour)},
		{"dead", classify.Verdict{Class: classify.Dead, Reason: classify.TokenRevoked},
			StateDead, "", "token_revoked", -100, nil, time.Time{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := NewHealth()
			apply(h, route, c.v, t0)
			r := h.Record(route)
			l := r.Liveness
			if l.State != c.state || l.Availability != c.avail || l.Reason != c.reason || r.Score != c.score {
				t.Fatalf("got %s/%s(%s) score %d, want %s/%s(%s) score %d", l.State, l.Availability, l.Reason, r.Score,
					c.state, c.avail, c.reason, c.score)
			}
			set := 0
			for _, p := range []*time.Time{l.RetryAt, l.Until, l.WindowResetsAt} {
				if p != nil {
					set++
				}
			}
			if c.timer == nil {
				if set != 0 {
					t.Fatalf("timers set: %+v", l)
				}
			} else if got := c.timer(l); set != 1 || got == nil || !got.Equal(c.wantTimer) {
				t.Fatalf("timer %v (%d set), want %v", got, set, c.wantTimer)
			}
			if !l.Since.Equal(t0) || !r.UpdatedAt.Equal(t0) || r.LastEvidence == nil || r.LastEvidence.Verdict != c.v.String() {
				t.Fatalf("since %v updated %v evidence %+v", l.Since, r.UpdatedAt, r.LastEvidence)
			}
			// A success afterwards clears every timer and counts.
			apply(h, route, classify.Verdict{Class: classify.Success}, t0.Add(time.Second))
			l = r.Liveness
			if l.State != StateLive || l.Availability != Available || l.RetryAt != nil || l.Until != nil ||
				l.WindowResetsAt != nil || r.ConsecutiveFailures != 0 || l.Reason != "" {
				t.Fatalf("after success: %+v cf=%d", l, r.ConsecutiveFailures)
			}
		})
	}
}

func TestCounters(t *testing.T) {
	h := NewHealth()
	apply(h, route, classify.Verdict{Class: classify.RateLimited}, t0)
	apply(h, route, classify.Verdict{Class: classify.QuotaExhausted}, t0.Add(2*time.Minute))
	r := h.Record(route)
	if r.RateLimits != 1 || r.Failures != 1 || r.ConsecutiveFailures != 2 || r.Successes != 0 {
		t.Fatalf("counters %+v", r)
	}
	apply(h, route, classify.Verdict{Class: classify.Success}, t0.Add(3*time.Minute))
	if r.Successes != 1 || r.ConsecutiveFailures != 0 {
		t.Fatalf("counters after success %+v", r)
	}
	// child_failure records nothing at all, not even a record.
	apply(h, "codex:max-2#codex-max", classify.Verdict{Class: classify.ChildFailure}, t0)
	if h.Record("codex:max-2#codex-max") != nil {
		t.Fatal("child_failure created a record")
	}
	before := *r
	apply(h, route, classify.Verdict{Class: classify.ChildFailure}, t0.Add(4*time.Minute))
	if r.Successes != before.Successes || r.Failures != before.Failures || !r.UpdatedAt.Equal(before.UpdatedAt) {
		t.Fatal("child_failure changed the route")
	}
}

func TestScoreClamp(t *testing.T) {
	h := NewHealth()
	for i := range 20 {
		apply(h, route, classify.Verdict{Class: classify.Degraded, Reason: classify.Unknown4xx}, t0.Add(time.Duration(i)*2*time.Minute))
	}
	if s := h.Record(route).Score; s != MinScore {
		t.Fatalf("score %d, want %d", s, MinScore)
	}
	sc := DefaultScoring()
	sc.SuccessBonus = 30
	for i := range 10 {
		h.Apply(route, classify.Verdict{Class: classify.Success}, Evidence{}, t0.Add(time.Hour+time.Duration(i)), sc)
	}
	if s := h.Record(route).Score; s != MaxScore {
		t.Fatalf("score %d, want %d", s, MaxScore)
	}
}

func TestCircuit(t *testing.T) {
	h := NewHealth()
	rl := classify.Verdict{Class: classify.RateLimited, RetryAfterS: 1}
	apply(h, route, rl, t0)
	apply(h, route, rl, t0.Add(10*time.Second))
	r := h.Record(route)
	if r.circuitAt(t0.Add(10*time.Second)) != CircuitClosed {
		t.Fatal("opened after two failures")
	}
	// The first failure leaves the 60 s window: two in window, still closed.
	apply(h, route, rl, t0.Add(61*time.Second))
	if r.Circuit.State != CircuitClosed {
		t.Fatal("opened with only two failures inside 60 s")
	}
	apply(h, route, rl, t0.Add(62*time.Second))
	at := t0.Add(62 * time.Second)
	if r.Circuit.State != CircuitOpen || !r.Circuit.OpenUntil.Equal(at.Add(30*time.Second)) {
		t.Fatalf("circuit %+v", r.Circuit)
	}
	st := h.Status(acc, route, at.Add(5*time.Second))
	if st.Selectable || st.SkipReason != SkipCircuitOpen || !st.Until.Equal(at.Add(30*time.Second)) {
		t.Fatalf("status while open %+v", st)
	}
	half := at.Add(31 * time.Second)
	if r.circuitAt(half) != CircuitHalfOpen {
		t.Fatal("not half open after 30 s")
	}
	if st := h.Status(acc, route, half); !st.Selectable {
		t.Fatalf("half-open not selectable: %+v", st)
	}
	// A failure in half-open opens it again at once.
	apply(h, route, rl, half)
	if r.Circuit.State != CircuitOpen || !r.Circuit.OpenUntil.Equal(half.Add(30*time.Second)) {
		t.Fatalf("half-open failure: %+v", r.Circuit)
	}
	// One success in half-open closes it.
	half2 := half.Add(31 * time.Second)
	apply(h, route, classify.Verdict{Class: classify.Success}, half2)
	if r.Circuit.State != CircuitClosed || r.Circuit.OpenUntil != nil || len(r.Circuit.RecentFailures) != 0 {
		t.Fatalf("after success: %+v", r.Circuit)
	}
	// Closed again, a single failure does not reopen it.
	apply(h, route, rl, half2.Add(time.Second))
	if r.Circuit.State != CircuitClosed {
		t.Fatal("reopened by one failure after closing")
	}
	// Circuits are per key.
	if h.Record("codex:max-1#other") != nil {
		t.Fatal("other key touched")
	}
}

func TestDecay(t *testing.T) {
	h := NewHealth()
	sc := DefaultScoring()
	h.Apply(route, classify.Verdict{Class: classify.Degraded, Reason: classify.Unknown4xx}, Evidence{}, t0, sc) // 30
	if got := h.Score(route, t0.Add(59*time.Minute), sc); got != 30 {
		t.Fatalf("decayed before an hour: %d", got)
	}
	if got := h.Score(route, t0.Add(3*time.Hour+30*time.Minute), sc); got != 36 {
		t.Fatalf("3.5 h: %d, want 36", got)
	}
	if got := h.Score(route, t0.Add(100*time.Hour), sc); got != 50 {
		t.Fatalf("long after: %d, want 50 (no overshoot)", got)
	}
	// Applying materializes decay for whole hours and keeps the remainder.
	h.Apply(route, classify.Verdict{Class: classify.Success}, Evidence{}, t0.Add(90*time.Minute), sc) // 32+1
	r := h.Record(route)
	if r.Score != 33 || !r.ScoreAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("score %d at %v", r.Score, r.ScoreAt)
	}
	if got := h.Score(route, t0.Add(2*time.Hour), sc); got != 35 {
		t.Fatalf("remainder lost: %d", got)
	}
	// High scores decay down.
	hi := NewHealth()
	sc2 := sc
	sc2.SuccessBonus = 20
	hi.Apply(route, classify.Verdict{Class: classify.Success}, Evidence{}, t0, sc2) // 70
	if got := hi.Score(route, t0.Add(5*time.Hour), sc); got != 60 {
		t.Fatalf("down-decay %d", got)
	}
	// No decay configured.
	if got := hi.Score(route, t0.Add(5*time.Hour), Scoring{}); got != 70 {
		t.Fatalf("decay without rate %d", got)
	}
	// Dead stays -100.
	hi.Apply(acc, classify.Verdict{Class: classify.Dead, Reason: classify.TokenRevoked}, Evidence{}, t0, sc)
	if got := hi.Score(acc, t0.Add(50*time.Hour), sc); got != -100 {
		t.Fatalf("dead decayed to %d", got)
	}
	if got := hi.Score("nope:x", t0, sc); got != 50 {
		t.Fatalf("unrecorded %d", got)
	}
}

func TestStatusAccountDominates(t *testing.T) {
	h := NewHealth()
	if st := h.Status(acc, route, t0); !st.Selectable || st.Recorded {
		t.Fatalf("empty store: %+v", st)
	}
	apply(h, route, classify.Verdict{Class: classify.Success}, t0)
	if st := h.Status(acc, route, t0); !st.Selectable || !st.Recorded || st.SkipReason != "" {
		t.Fatalf("healthy: %+v", st)
	}
	h.ApplyVerdict(acc, route, classify.Verdict{Class: classify.Dead, Reason: classify.CredentialExpired},
		Evidence{Fingerprint: "abc123"}, t0.Add(time.Minute), DefaultScoring())
	if h.Record(route).Liveness.State != StateLive {
		t.Fatal("dead verdict landed on the route")
	}
	for _, rk := range []string{route, "codex:max-1#codex-mini"} {
		st := h.Status(acc, rk, t0.Add(2*time.Minute))
		if st.Selectable || st.SkipReason != SkipDead || st.Reason != "credential_expired" || !st.Recorded {
			t.Fatalf("%s under a dead account: %+v", rk, st)
		}
	}
	// Another account is untouched (no poisoning).
	if st := h.Status("codex:max-2", "codex:max-2#codex-max", t0); !st.Selectable {
		t.Fatalf("other account: %+v", st)
	}
	if fp := h.DeadFingerprint(acc); fp != "abc123" {
		t.Fatalf("fingerprint %q", fp)
	}
	if h.Record(acc).LastEvidence == nil {
		t.Fatal("no evidence")
	}
	b, _ := json.Marshal(h.Report("", t0))
	if strings.Contains(string(b), "abc123") {
		t.Fatal("fingerprint shown in the report")
	}
}

func TestStatusWindows(t *testing.T) {
	h := NewHealth()
	reset := t0.Add(2 * time.Hour)
	apply(h, route, classify.Verdict{Class: classify.QuotaExhausted, ResetAt: &reset}, t0)
	st := h.Status(acc, route, t0.Add(time.Hour))
	if st.Selectable || st.SkipReason != QuotaExhausted || !st.Until.Equal(reset) {
		t.Fatalf("inside window %+v", st)
	}
	st = h.Status(acc, route, reset)
	if !st.Selectable || !st.RevalidationNeeded {
		t.Fatalf("expired quota %+v", st)
	}
	apply(h, route, classify.Verdict{Class: classify.Success}, reset.Add(time.Minute))
	if st := h.Status(acc, route, reset.Add(time.Minute)); !st.Selectable || st.RevalidationNeeded {
		t.Fatalf("after success %+v", st)
	}

	apply(h, route, classify.Verdict{Class: classify.RateLimited, RetryAfterS: 10}, t0)
	if st := h.Status(acc, route, t0.Add(5*time.Second)); st.Selectable || st.SkipReason != RateLimited {
		t.Fatalf("rate limited %+v", st)
	}
	if st := h.Status(acc, route, t0.Add(10*time.Second)); !st.Selectable || st.RevalidationNeeded {
		t.Fatalf("expired rate limit %+v", st)
	}

	h2 := NewHealth()
	apply(h2, route, classify.Verdict{Class: classify.Degraded, Reason: classify.TierInsufficient}, t0)
	if st := h2.Status(acc, route, t0.Add(59*time.Minute)); st.Selectable || st.SkipReason != SkipDegraded || st.Reason != "tier_insufficient" {
		t.Fatalf("degraded %+v", st)
	}
	if st := h2.Status(acc, route, t0.Add(time.Hour)); !st.Selectable {
		t.Fatalf("degraded after retry_at %+v", st)
	}
	h2.Records[route].Liveness = Liveness{State: StateLive, Availability: Cooldown, Until: tp(t0.Add(time.Minute))}
	if st := h2.Status(acc, route, t0); st.Selectable || st.SkipReason != Cooldown {
		t.Fatalf("cooldown %+v", st)
	}
	// A provider without capabilities: route key == account key.
	h3 := NewHealth()
	apply(h3, acc, classify.Verdict{Class: classify.RateLimited}, t0)
	if st := h3.Status(acc, acc, t0); st.Selectable || st.SkipReason != RateLimited {
		t.Fatalf("account-keyed route %+v", st)
	}
}

func TestResetAndRevive(t *testing.T) {
	h := NewHealth()
	sc := DefaultScoring()
	apply(h, route, classify.Verdict{Class: classify.RateLimited}, t0)
	apply(h, "codex:max-1#codex-mini", classify.Verdict{Class: classify.RateLimited}, t0)
	apply(h, "codex:max-10#codex-max", classify.Verdict{Class: classify.RateLimited}, t0)
	h.ApplyVerdict(acc, route, classify.Verdict{Class: classify.Dead, Reason: classify.TokenRevoked}, Evidence{Fingerprint: "f1"}, t0, sc)
	h.Reset(route)
	if h.Record(route) != nil || h.Record(acc) == nil {
		t.Fatal("route reset wrong")
	}
	h.Reset(acc)
	if h.Record(acc) != nil || h.Record("codex:max-1#codex-mini") != nil || h.Record("codex:max-10#codex-max") == nil {
		t.Fatalf("account reset wrong: %v", h.Records)
	}

	h.ApplyVerdict(acc, route, classify.Verdict{Class: classify.Dead, Reason: classify.TokenRevoked}, Evidence{Fingerprint: "f1"}, t0, sc)
	if h.ReviveIfChanged(acc, "f1", t0) || h.ReviveIfChanged(acc, "", t0) {
		t.Fatal("revived without a change")
	}
	if !h.ReviveIfChanged(acc, "f2", t0.Add(time.Minute)) {
		t.Fatal("not revived after the credential changed")
	}
	st := h.Status(acc, route, t0.Add(time.Minute))
	if !st.Selectable || !st.RevalidationNeeded || st.Reason != "" {
		t.Fatalf("revived status %+v", st)
	}
	if r := h.Record(acc); r.Liveness.Reason != "credential_changed" || r.Score != 50 || h.DeadFingerprint(acc) != "" {
		t.Fatalf("revived record %+v", r)
	}
	if h.Revive(acc, "x", t0) {
		t.Fatal("revived a live account")
	}
	// A route success confirms the account.
	h.ApplyVerdict(acc, route, classify.Verdict{Class: classify.Success, Source: classify.SourceProbe}, Evidence{}, t0.Add(2*time.Minute), sc)
	if st := h.Status(acc, route, t0.Add(2*time.Minute)); !st.Selectable || st.RevalidationNeeded {
		t.Fatalf("after probe success %+v", st)
	}
	// A dead account is cleared by a probe success too.
	h.ApplyVerdict(acc, route, classify.Verdict{Class: classify.Dead, Reason: classify.TokenRevoked}, Evidence{}, t0.Add(3*time.Minute), sc)
	h.ApplyVerdict(acc, route, classify.Verdict{Class: classify.Success}, Evidence{}, t0.Add(4*time.Minute), sc)
	if r := h.Record(acc); r.Liveness.State != StateLive || r.Score != 50 {
		t.Fatalf("dead account after success %+v", r.Liveness)
	}
	// child_failure through ApplyVerdict records nothing.
	n := len(h.Records)
	h.ApplyVerdict("x:y", "x:y#z", classify.Verdict{Class: classify.ChildFailure}, Evidence{}, t0, sc)
	if len(h.Records) != n {
		t.Fatal("child_failure recorded")
	}
}

func TestAffinityCursorRuns(t *testing.T) {
	h := NewHealth()
	if h.Affinity("p", 20*time.Minute, t0) != "" {
		t.Fatal("affinity from nothing")
	}
	h.SetAffinity("p", route, t0)
	if got := h.Affinity("p", 20*time.Minute, t0.Add(19*time.Minute)); got != route {
		t.Fatalf("affinity %q", got)
	}
	if got := h.Affinity("p", 20*time.Minute, t0.Add(20*time.Minute)); got != "" {
		t.Fatalf("expired affinity %q", got)
	}
	if got := h.Affinity("p", 0, t0); got != "" {
		t.Fatal("ttl 0 should disable affinity")
	}
	for i := range 3 {
		if c := h.NextCursor("p"); c != i {
			t.Fatalf("cursor %d, want %d", c, i)
		}
	}
	nov := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	h.CountRun(acc, nov)
	h.CountRun(acc, nov.Add(time.Hour))
	h.CountRun(acc, nov.Add(48*time.Hour)) // December
	if h.MonthlyRuns(acc, nov) != 2 || h.MonthlyRuns(acc, nov.Add(48*time.Hour)) != 1 || h.MonthlyRuns("a:b", nov) != 0 {
		t.Fatalf("runs %v", h.Runs)
	}
	for i := range 30 {
		h.CountRun(acc, nov.AddDate(0, i, 0))
	}
	if len(h.Runs[acc]) != runMonthsKept {
		t.Fatalf("kept %d months", len(h.Runs[acc]))
	}
	// Profiles and runs survive a round trip.
	b, err := h.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	h2, err := ParseHealth(b)
	if err != nil {
		t.Fatal(err)
	}
	if h2.Affinity("p", time.Hour, t0) != route || h2.NextCursor("p") != 3 || h2.MonthlyRuns(acc, nov.AddDate(0, 29, 0)) != 1 {
		t.Fatalf("round trip lost state: %s", b)
	}
}

func TestReportGolden(t *testing.T) {
	h := NewHealth()
	sc := DefaultScoring()
	exit := 1
	reset := t0.Add(5 * time.Hour)
	h.ApplyVerdict(acc, route, classify.Verdict{Class: classify.QuotaExhausted, ResetAt: &reset, Rule: "usage-limit",
		Source: classify.SourceChildOutput}, Evidence{ExitStatus: &exit, Decision: "fail_over"}, t0, sc)
	h.ApplyVerdict("codex:max-2", "codex:max-2#codex-max", classify.Verdict{Class: classify.Dead, Reason: classify.TokenRevoked,
		Source: classify.SourceTokenRefresh}, Evidence{HTTPStatus: 400, Fingerprint: "deadbeef"}, t0.Add(time.Minute), sc)
	h.ApplyVerdict("claude:work", "claude:work#chat", classify.Verdict{Class: classify.Success, Source: classify.SourceProbe},
		Evidence{HTTPStatus: 200}, t0.Add(2*time.Minute), sc)
	h.ApplyVerdict("claude:work", "claude:work#chat2", classify.Verdict{Class: classify.Degraded, Reason: classify.ScopeInsufficient,
		Source: classify.SourceProbe}, Evidence{HTTPStatus: 403}, t0.Add(3*time.Minute), sc)
	h.ApplyVerdict("claude:work", "claude:work#chat", classify.Verdict{Class: classify.RateLimited, RetryAfterS: 20},
		Evidence{HTTPStatus: 429}, t0.Add(4*time.Minute), sc)

	now := t0.Add(2*time.Hour + 10*time.Minute)
	got, err := json.MarshalIndent(h.Report("", now), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "health-report.golden.json")
	if os.Getenv("UPDATE_GOLDEN") != "" {
		os.WriteFile(golden, append(got, '\n'), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(got)+"\n" {
		t.Fatalf("report differs from %s:\n%s", golden, got)
	}
	rep := h.Report("claude", now)
	if len(rep.Accounts) != 2 || rep.Accounts[0].Key != "claude:work#chat" {
		t.Fatalf("filtered report %+v", rep)
	}
	if b, _ := json.Marshal(NewHealth().Report("", now)); string(b) != `{"accounts":[]}` {
		t.Fatalf("empty report %s", b)
	}
}

func TestHasRecords(t *testing.T) {
	now := time.Now()
	h := NewHealth()
	h.ApplyVerdict("p:a", "p:a#c", classify.Verdict{Class: classify.Success}, Evidence{ObservedAt: now}, now, DefaultScoring())
	for key, want := range map[string]bool{
		"p:a#c": true, "p:a": true, // an account key with route records only
		"p:a#d": false, "p:ab": false, "p:b": false, "": false,
	} {
		if got := h.HasRecords(key); got != want {
			t.Errorf("HasRecords(%q) = %v, want %v", key, got, want)
		}
	}
}

// TestProveLogin: a login check revives a dead account and confirms an unrecorded or live route, but
// leaves a route's window and degradation to a request of the capability itself.
func TestProveLogin(t *testing.T) {
	h := NewHealth()
	ok := classify.Verdict{Class: classify.Success, Source: classify.SourceProbe}
	apply(h, acc, classify.Verdict{Class: classify.Dead, Reason: classify.TokenRevoked}, t0)
	apply(h, route, classify.Verdict{Class: classify.RateLimited}, t0)
	h.ProveLogin(acc, route, ok, Evidence{}, t0.Add(time.Second), DefaultScoring())
	if st := h.Status(acc, route, t0.Add(2*time.Second)); st.SkipReason != RateLimited {
		t.Fatalf("after a login check: %+v, want the route still rate_limited", st)
	}
	if a := h.Records[acc]; a.Liveness.State != StateLive {
		t.Fatalf("the dead account was not revived: %+v", a.Liveness)
	}
	other := "codex:a1#other"
	h.ProveLogin(acc, other, ok, Evidence{}, t0.Add(time.Second), DefaultScoring())
	if r := h.Records[other]; r == nil || r.Liveness.State != StateLive || r.Successes != 1 {
		t.Fatalf("an unrecorded route is confirmed by a login check: %+v", r)
	}
}
