package redisstore

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/internal/testredis"
	"github.com/oauth-mux/oauth-mux/state"
)

const (
	acct  = "codex:work"
	route = "codex:work#codex-max"
)

// machine is one simulated machine: its own state dir and host id, one client (one process).
type machine struct {
	t    *testing.T
	dir  string
	host string
	b    *Backend
}

func newMachine(t *testing.T, srv *testredis.Server, host, dir string) *machine {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	c, err := New(Options{URL: srv.URL(), Pool: "fleet", Host: host, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &machine{t: t, dir: dir, host: host, b: NewBackend(state.Open(dir), c)}
}

// process is a new process on the same machine: a fresh client, no cache.
func (m *machine) process(srv *testredis.Server) *machine { return newMachine(m.t, srv, m.host, m.dir) }

func (m *machine) verdict(v classify.Verdict, at time.Time) {
	m.t.Helper()
	op := state.MarkVerdict{AccountKey: acct, RouteKey: route, Verdict: v, At: at, Scoring: state.DefaultScoring(),
		Evidence: state.Evidence{Source: classify.SourceChildOutput, ObservedAt: at, Verdict: string(v.Class)}}
	if err := m.b.Apply(context.Background(), op); err != nil {
		m.t.Fatal(err)
	}
}

func (m *machine) status(now time.Time) (state.Status, *state.Health) {
	m.t.Helper()
	h, err := m.b.Snapshot(context.Background())
	if err != nil {
		m.t.Fatal(err)
	}
	return h.Status(acct, route, now), h
}

func rateLimited(reset time.Time) classify.Verdict {
	return classify.Verdict{Class: classify.RateLimited, Reason: classify.Reason("rate_limited"), ResetAt: &reset}
}

func quota(reset time.Time) classify.Verdict {
	return classify.Verdict{Class: classify.QuotaExhausted, Reason: classify.Reason("usage_limit"), ResetAt: &reset}
}

// TestLimitSharedAcrossMachines: a limit machine A sees is skipped by machine B within a second,
// with A named as the host that saw it, and B selects the route again once the reset has passed;
// Redis's own key is gone by then too.
func TestLimitSharedAcrossMachines(t *testing.T) {
	srv := testredis.Start(t)
	a, b := newMachine(t, srv, "runner-a", ""), newMachine(t, srv, "runner-b", "")
	if st, _ := b.status(time.Now()); !st.Selectable {
		t.Fatalf("B before any mark: %+v", st)
	}
	now := time.Now()
	reset := now.Add(1500 * time.Millisecond)
	a.verdict(rateLimited(reset), now)

	seen := time.Now()
	deadline := seen.Add(time.Second)
	var st state.Status
	var h *state.Health
	for {
		st, h = b.status(time.Now())
		if !st.Selectable || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st.Selectable {
		t.Fatalf("B still selects the route %v after A marked it", time.Since(seen))
	}
	if ev := h.Records[route].LastEvidence; ev == nil || ev.Host != "runner-a" {
		t.Fatalf("B's evidence does not name runner-a: %+v", ev)
	}
	if st.Until == nil || st.Until.UnixMilli() != reset.UnixMilli() {
		t.Errorf("B's skip ends at %v, want A's reset %v", st.Until, reset)
	}
	pttl, err := srv.CLI("PTTL", "om:{fleet}:m:"+route)
	if err != nil {
		t.Fatal(err)
	}
	if ms, _ := strconv.Atoi(pttl); ms <= 0 || ms > 1500 {
		t.Errorf("the shared mark expires in %s ms, want at the reset (≤1500)", pttl)
	}

	time.Sleep(time.Until(reset) + 50*time.Millisecond)
	if st, _ := b.process(srv).status(time.Now()); !st.Selectable {
		t.Errorf("B after the reset: %+v", st)
	}
	if n, _ := srv.CLI("EXISTS", "om:{fleet}:m:"+route); n != "0" {
		t.Errorf("the shared mark outlived its reset (EXISTS %s)", n)
	}
}

// TestCooldownNeverShortened: a weekly quota machine A saw is not ended by a later, shorter rate
// limit machine B saw, on the server (its expiry) or in any machine's read.
func TestCooldownNeverShortened(t *testing.T) {
	srv := testredis.Start(t)
	a, b := newMachine(t, srv, "runner-a", ""), newMachine(t, srv, "runner-b", "")
	now := time.Now()
	week := now.Add(7 * 24 * time.Hour).Truncate(time.Millisecond)
	a.verdict(quota(week), now)
	b.verdict(rateLimited(now.Add(30*time.Second)), now.Add(time.Second))

	at, err := srv.CLI("PEXPIRETIME", "om:{fleet}:m:"+route)
	if err != nil {
		t.Fatal(err)
	}
	if at != strconv.FormatInt(week.UnixMilli(), 10) {
		t.Errorf("the shared key expires at %s, want the quota's reset %d", at, week.UnixMilli())
	}
	later := now.Add(time.Minute)
	for _, m := range []*machine{a.process(srv), b.process(srv), newMachine(t, srv, "runner-c", "")} {
		st, _ := m.status(later)
		if st.Selectable || st.Until == nil || !st.Until.Equal(week) {
			t.Errorf("%s a minute later: %+v, want skipped until %v", m.host, st, week)
		}
	}
}

// TestClearRules: a success on one machine lifts an older mark everywhere, including the stale
// local copy on the machine that saw it; a mark observed before that clear (an outbox replayed
// late) stays lifted; a mark observed after it stands.
func TestClearRules(t *testing.T) {
	srv := testredis.Start(t)
	a, b := newMachine(t, srv, "runner-a", ""), newMachine(t, srv, "runner-b", "")
	t0 := time.Now()
	a.verdict(quota(t0.Add(5*time.Hour)), t0)
	if st, _ := a.status(t0); st.Selectable {
		t.Fatal("A's own mark does not stand")
	}
	b.verdict(classify.Verdict{Class: classify.Success}, t0.Add(time.Second))

	st, h := a.process(srv).status(t0.Add(2 * time.Second))
	if !st.Selectable {
		t.Fatalf("A's stale local quota beat B's newer success: %+v", st)
	}
	if ev := h.Records[route].LastEvidence; ev == nil || ev.Host != "runner-b" {
		t.Errorf("the lift does not name runner-b: %+v", ev)
	}

	// A replay of the old mark (observed before the clear) is ignored by the server.
	until := t0.Add(5 * time.Hour)
	old := state.Mark{Key: route, Kind: state.MarkLiveness, State: state.StateLive, Availability: state.QuotaExhausted,
		Timer: state.TimerWindow, Until: &until, ObservedAt: t0, Host: "runner-a"}
	if err := a.b.Client.Write(context.Background(), []state.SharedWrite{{Mark: &old}}); err != nil {
		t.Fatal(err)
	}
	if n, _ := srv.CLI("ZCARD", "om:{fleet}:m:"+route); n != "0" {
		t.Errorf("a mark older than the clear was stored (%s members)", n)
	}
	if st, _ := newMachine(t, srv, "runner-c", "").status(t0.Add(3 * time.Second)); !st.Selectable {
		t.Errorf("a fresh machine after the replay: %+v", st)
	}

	// A mark observed after the clear stands.
	t3 := t0.Add(3 * time.Second)
	a.verdict(rateLimited(t3.Add(10*time.Minute)), t3)
	if st, _ := newMachine(t, srv, "runner-d", "").status(t3.Add(time.Second)); st.Selectable {
		t.Errorf("a mark newer than the clear was lifted: %+v", st)
	}
}

// TestDeadAccountShared: a dead account seen on one machine is skipped on another, for every route
// of the account, until a success (a login) on any machine clears it.
func TestDeadAccountShared(t *testing.T) {
	srv := testredis.Start(t)
	a, b := newMachine(t, srv, "runner-a", ""), newMachine(t, srv, "runner-b", "")
	now := time.Now()
	a.verdict(classify.Verdict{Class: classify.Dead, Reason: classify.Reason("token_revoked")}, now)
	st, _ := b.status(now.Add(time.Hour))
	if st.Selectable || st.SkipReason != state.SkipDead {
		t.Fatalf("B after A saw the account dead: %+v", st)
	}
	h, _ := b.b.Snapshot(context.Background())
	if other := h.Status(acct, "codex:work#other", now); other.Selectable {
		t.Errorf("another route of a dead account is selectable on B: %+v", other)
	}
	a.verdict(classify.Verdict{Class: classify.Success}, now.Add(time.Minute))
	if st, _ := b.process(srv).status(now.Add(time.Hour)); !st.Selectable {
		t.Errorf("B after A's success: %+v", st)
	}
}

// TestOfflineOutbox: with Redis gone, marks land in the local store and the outbox, the command is
// told once, the state dir says since when; when Redis returns the next process replays the outbox
// and other machines see the mark.
func TestOfflineOutbox(t *testing.T) {
	srv := testredis.Start(t)
	a := newMachine(t, srv, "runner-a", "")
	if _, err := a.b.Client.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv.Kill()
	now := time.Now()
	start := time.Now()
	a.verdict(quota(now.Add(time.Hour)), now)
	a.verdict(rateLimited(now.Add(2*time.Hour)), now.Add(time.Millisecond))
	if st, _ := a.status(now); st.Selectable {
		t.Fatal("the local store lost the mark while offline")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("offline writes and a read took %v", d)
	}
	var notices []string
	for _, w := range a.b.Warnings() {
		if strings.Contains(w, "shared health is offline") {
			notices = append(notices, w)
		}
	}
	if len(notices) != 1 {
		t.Errorf("offline notices: %q, want one", notices)
	}
	if n := Outboxed(a.dir); n < 1 {
		t.Errorf("outbox holds %d writes", n)
	}
	if st := ReadStatus(a.dir); !st.Offline || st.OfflineSince.IsZero() || st.Pool != "fleet" {
		t.Errorf("status while offline: %+v", st)
	}

	srv.Restart()
	b := newMachine(t, srv, "runner-b", "")
	if st, _ := b.status(now); !st.Selectable {
		t.Fatalf("B sees a mark before A replayed: %+v", st)
	}
	if _, err := a.process(srv).b.Snapshot(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := Outboxed(a.dir); n != 0 {
		t.Errorf("outbox after replay holds %d writes", n)
	}
	if _, err := os.Stat(StatusPath(a.dir)); !os.IsNotExist(err) {
		t.Errorf("the offline status outlived the outage: %v", err)
	}
	st, _ := b.process(srv).status(now.Add(time.Minute))
	if st.Selectable || st.Until == nil || st.Until.UnixMilli() != now.Add(2*time.Hour).UnixMilli() {
		t.Errorf("B after the replay: %+v, want skipped until the longer mark", st)
	}
}

// TestReadCachedOncePerSecond: one process reads the pool at most once a second, and a cached key
// is dropped when the server's expired.
func TestReadCachedOncePerSecond(t *testing.T) {
	srv := testredis.Start(t)
	a, b := newMachine(t, srv, "runner-a", ""), newMachine(t, srv, "runner-b", "")
	now := time.Now()
	a.verdict(rateLimited(now.Add(500*time.Millisecond)), now)
	read := func() []state.SharedKey {
		t.Helper()
		keys, err := b.b.Client.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return keys
	}
	if keys := read(); len(keys) != 1 {
		t.Fatalf("first read: %d keys, want 1", len(keys))
	}
	before := commandsProcessed(t, srv)
	for range 20 {
		read()
	}
	time.Sleep(time.Until(now.Add(600 * time.Millisecond)))
	keys := read()
	if n := commandsProcessed(t, srv) - before; n != 1 { // the INFO call itself
		t.Errorf("21 reads within a second sent %d commands", n-1)
	}
	if len(keys) != 0 {
		t.Errorf("the cache kept a key past the server's expiry: %+v", keys)
	}
}

func commandsProcessed(t *testing.T, srv *testredis.Server) int {
	t.Helper()
	out, err := srv.CLI("INFO", "stats")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(out, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "total_commands_processed:"); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	t.Fatal("no total_commands_processed in INFO")
	return 0
}

// TestReadOnlyReplicaIsAnOutage: a server that answers but cannot take writes (a replica left
// read-only after a failover, here one whose primary is gone) is offline like a dead one: the
// write waits in the outbox and the user is told once; when it is a primary again the outbox goes.
func TestReadOnlyReplicaIsAnOutage(t *testing.T) {
	srv := testredis.Start(t)
	a := newMachine(t, srv, "runner-a", "")
	if _, err := srv.CLI("REPLICAOF", "127.0.0.1", "1"); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	a.verdict(quota(now.Add(time.Hour)), now)
	if n := Outboxed(a.dir); n != 1 {
		t.Fatalf("outbox holds %d writes after a write to a read-only replica, want 1", n)
	}
	var notices int
	for _, w := range a.b.Warnings() {
		if strings.Contains(w, "shared health is offline") {
			notices++
		}
	}
	if notices != 1 {
		t.Errorf("%d offline notices, want 1: %q", notices, a.b.Warnings())
	}
	if _, err := srv.CLI("REPLICAOF", "NO", "ONE"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.process(srv).b.Snapshot(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := Outboxed(a.dir); n != 0 {
		t.Errorf("outbox after the replica became a primary holds %d writes", n)
	}
	b := newMachine(t, srv, "runner-b", "")
	if st, _ := b.status(now); st.Selectable {
		t.Errorf("B does not see the replayed mark: %+v", st)
	}
}

// TestResetClearsWhatOnlyOthersSaw: a reset of an account on a machine that recorded one of its
// routes also clears the routes only other machines recorded.
func TestResetClearsWhatOnlyOthersSaw(t *testing.T) {
	srv := testredis.Start(t)
	a := newMachine(t, srv, "runner-a", "")
	b := newMachine(t, srv, "runner-b", "")
	now := time.Now()
	a.verdict(quota(now.Add(time.Hour)), now)
	const mini = "codex:work#codex-mini"
	op := state.MarkVerdict{AccountKey: acct, RouteKey: mini, Verdict: quota(now.Add(time.Hour)), At: now, Scoring: state.DefaultScoring(),
		Evidence: state.Evidence{Source: classify.SourceChildOutput, ObservedAt: now, Verdict: "quota_exhausted"}}
	if err := b.b.Apply(context.Background(), op); err != nil {
		t.Fatal(err)
	}
	reset := &state.Reset{Key: acct}
	if err := a.process(srv).b.Apply(context.Background(), reset); err != nil {
		t.Fatal(err)
	}
	c := newMachine(t, srv, "runner-c", "")
	h, err := c.b.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, rk := range []string{route, mini} {
		if st := h.Status(acct, rk, now.Add(time.Second)); !st.Selectable {
			t.Errorf("%s after the reset of %s: %+v", rk, acct, st)
		}
	}
}

// TestDeadAccountRevivedByALoginElsewhere: an account seen dead on A is dead on B; a new login on
// B (its credential file changed since B learned of the death) revives it on B, unconfirmed, and
// the revival is the pool's (as one on A would be): the next run anywhere tries the account again.
func TestDeadAccountRevivedByALoginElsewhere(t *testing.T) {
	srv := testredis.Start(t)
	a, b := newMachine(t, srv, "runner-a", ""), newMachine(t, srv, "runner-b", "")
	now := time.Now()
	a.verdict(classify.Verdict{Class: classify.Dead, Reason: classify.Reason("token_revoked")}, now)
	revive := func(m *machine, fp string, at time.Time) {
		t.Helper()
		if err := m.process(srv).b.Apply(context.Background(), &state.Revive{AccountKey: acct, Fingerprint: fp, At: at}); err != nil {
			t.Fatal(err)
		}
	}
	revive(b, "fp-before", now.Add(time.Second))
	if st, _ := b.process(srv).status(now.Add(2 * time.Second)); st.Selectable {
		t.Fatalf("B revived an account whose credential did not change: %+v", st)
	}
	revive(b, "fp-before", now.Add(3*time.Second))
	if st, _ := b.process(srv).status(now.Add(4 * time.Second)); st.Selectable {
		t.Fatalf("B revived on the same fingerprint: %+v", st)
	}
	revive(b, "fp-after-login", now.Add(5*time.Second))
	st, _ := b.process(srv).status(now.Add(6 * time.Second))
	if !st.Selectable || !st.RevalidationNeeded {
		t.Fatalf("B after a new login: %+v, want selectable and unconfirmed", st)
	}
	c := newMachine(t, srv, "runner-c", "")
	if st, _ := c.status(now.Add(6 * time.Second)); !st.Selectable {
		t.Errorf("C after B's revival: %+v", st)
	}
}

// TestWarningsOnlyGrow: the pool's notice and a later local one each come once, in order, so a
// caller that printed the first n prints exactly what is new.
func TestWarningsOnlyGrow(t *testing.T) {
	srv := testredis.Start(t)
	a := newMachine(t, srv, "runner-a", "")
	srv.Kill()
	a.verdict(quota(time.Now().Add(time.Hour)), time.Now())
	first := a.b.Warnings()
	if len(first) != 1 || !strings.Contains(first[0], "offline") {
		t.Fatalf("warnings while offline: %q", first)
	}
	// A damaged store is moved aside and reported after the notice.
	if err := os.WriteFile(filepath.Join(a.dir, "health.json"), []byte("{torn"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := a.b.Snapshot(context.Background()); err != nil {
		t.Fatal(err)
	}
	second := a.b.Warnings()
	if len(second) != 2 || second[0] != first[0] || !strings.Contains(second[1], "moved aside") && !strings.Contains(second[1], "damaged") {
		t.Errorf("warnings after a local one: %q, want the notice then the new one", second)
	}
}
