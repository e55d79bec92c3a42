package state

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
)

// Health shared across machines (a pool on Redis) is a set of marks and clears per record key. A
// mark is a wait one machine saw (a rate limit, a spent window, a degradation, a dead account, an
// open circuit) with the instant it was observed and the host; a clear is a success, observed at an
// instant. The rules, the same in the shared store's scripts and in the merge below:
//   - a mark never shortens a wait: of the marks that stand, the longest wins;
//   - a clear removes every mark observed at or before it, and none observed after it.
// Counters, scores, affinity and cursors stay on each machine.

// Mark kinds: a liveness wait, or an open circuit.
const (
	MarkLiveness = "liveness"
	MarkCircuit  = "circuit"
)

// DeadMarkFor is how long a shared dead mark stands without a clear: a dead account is usually
// brought back by a login that publishes a clear, and a stale mark must not outlive the pool's use.
const DeadMarkFor = 30 * 24 * time.Hour

// ClearKeptFor is how long a shared clear is kept: longer than any window it may have to beat.
const ClearKeptFor = MaxQuotaWindow + 24*time.Hour

// Mark is one wait a machine saw on a record key, as a pool shares it. It holds evidence (source,
// rule, statuses, times), never output, a token or a path.
type Mark struct {
	Key          string `json:"key"`
	Kind         string `json:"kind"`
	State        string `json:"state,omitempty"`
	Availability string `json:"availability,omitempty"`
	Reason       string `json:"reason,omitempty"`
	// Timer names the liveness timer Until is (TimerWindow, TimerUntil, TimerRetry); "" for a dead
	// mark, which ends only by a clear, and for a circuit.
	Timer      string     `json:"timer,omitempty"`
	Until      *time.Time `json:"until,omitempty"`
	ObservedAt time.Time  `json:"observed_at"`
	Host       string     `json:"host"`
	Evidence   *Evidence  `json:"evidence,omitempty"`
}

// Ends is when the mark stops standing by itself: Until, or DeadMarkFor after a dead mark's
// observation.
func (m Mark) Ends() time.Time {
	if m.Until != nil {
		return *m.Until
	}
	return m.ObservedAt.Add(DeadMarkFor)
}

// valid reports whether m is a wait this version knows: a circuit with its end, a dead mark, a
// degradation, or a live route waiting on a timer. Anything else (another version's shape, a
// damaged member) is passed over.
func (m Mark) valid() bool {
	switch {
	case m.Kind == MarkCircuit:
		return m.Until != nil
	case m.Kind != MarkLiveness:
		return false
	case m.State == StateDead, m.State == StateDegraded:
		return true
	case m.State == StateLive:
		return m.Until != nil && (m.Availability == RateLimited || m.Availability == QuotaExhausted || m.Availability == Cooldown)
	}
	return false
}

// Clear is a success on a record key: it removes the marks observed at or before it.
type Clear struct {
	Key        string    `json:"key"`
	ObservedAt time.Time `json:"observed_at"`
	Host       string    `json:"host"`
}

// SharedKey is what a pool holds for one record key.
type SharedKey struct {
	Key   string `json:"key"`
	Marks []Mark `json:"marks,omitempty"`
	Clear *Clear `json:"clear,omitempty"`
}

// SharedWrite is one change to a pool: a mark or a clear.
type SharedWrite struct {
	Mark  *Mark  `json:"mark,omitempty"`
	Clear *Clear `json:"clear,omitempty"`
}

// Key is the record key the write is about.
func (w SharedWrite) Key() string {
	if w.Mark != nil {
		return w.Mark.Key
	}
	if w.Clear != nil {
		return w.Clear.Key
	}
	return ""
}

// At is the instant the write was observed.
func (w SharedWrite) At() time.Time {
	if w.Mark != nil {
		return w.Mark.ObservedAt
	}
	if w.Clear != nil {
		return w.Clear.ObservedAt
	}
	return time.Time{}
}

// marked reports whether the record holds a wait a pool shares: a dead account, or a liveness
// waiting on a timer.
func (r *Record) marked() bool {
	l := r.Liveness
	return l.State == StateDead || l.State == StateDegraded || l.State == StateLive && l.Availability != "" && l.Availability != Available
}

// observedAt is when the record's last evidence was observed (its liveness change when it has none).
func (r *Record) observedAt() time.Time {
	if r.LastEvidence != nil && !r.LastEvidence.ObservedAt.IsZero() {
		return r.LastEvidence.ObservedAt
	}
	return r.Liveness.Since
}

// marksOf are the marks key's record shares, as it stands in h.
func marksOf(h *Health, key, host string) []Mark {
	r := h.Records[key]
	if r == nil {
		return nil
	}
	at := r.observedAt()
	var ev *Evidence
	if r.LastEvidence != nil {
		e := *r.LastEvidence
		e.Host = host
		ev = &e
	}
	var out []Mark
	if r.marked() {
		timer, until := r.Liveness.Timer()
		out = append(out, Mark{Key: key, Kind: MarkLiveness, State: r.Liveness.State, Availability: r.Liveness.Availability,
			Reason: r.Liveness.Reason, Timer: timer, Until: until, ObservedAt: at, Host: host, Evidence: ev})
	}
	if r.Circuit.State == CircuitOpen && r.Circuit.OpenUntil != nil {
		out = append(out, Mark{Key: key, Kind: MarkCircuit, Until: r.Circuit.OpenUntil, ObservedAt: at, Host: host, Evidence: ev})
	}
	return out
}

// SharedWrites are the changes to a pool that ops made to h: a failure verdict publishes the marks
// its record now holds; a success (a run, or a probe that tested the route's quota) clears its route
// and account, a login-only success its account; a revival clears the account; a reset clears what
// it forgot (routeKeys are the route records an account reset forgot). Counting, affinity and
// cursors are this machine's own.
func SharedWrites(h *Health, host string, routeKeys []string, ops ...Op) []SharedWrite {
	var ws []SharedWrite
	clear := func(key string, at time.Time) {
		ws = append(ws, SharedWrite{Clear: &Clear{Key: key, ObservedAt: at.UTC(), Host: host}})
	}
	for _, op := range ops {
		switch o := op.(type) {
		case MarkVerdict:
			at := o.Evidence.ObservedAt
			if at.IsZero() {
				at = o.At
			}
			switch {
			case o.Verdict.Class == classify.Success:
				clear(o.AccountKey, at)
				if !o.LoginOnly && o.RouteKey != o.AccountKey {
					clear(o.RouteKey, at)
				}
			case o.Verdict.Scope() == classify.ScopeAccount:
				for _, m := range marksOf(h, o.AccountKey, host) {
					ws = append(ws, SharedWrite{Mark: &m})
				}
			case o.Verdict.Scope() == classify.ScopeRoute:
				for _, m := range marksOf(h, o.RouteKey, host) {
					ws = append(ws, SharedWrite{Mark: &m})
				}
			}
		case *Revive:
			if o.Revived {
				clear(o.AccountKey, o.At)
			}
		case *Reset:
			if o.Found {
				now := time.Now()
				clear(o.Key, now)
				for _, k := range routeKeys {
					clear(k, now)
				}
			}
		}
	}
	return ws
}

// RouteKeysOf are the route record keys under accountKey in h (what an account reset forgets).
func (h *Health) RouteKeysOf(accountKey string) []string {
	var out []string
	if strings.IndexByte(accountKey, '#') >= 0 {
		return nil
	}
	for k := range h.Records {
		if strings.HasPrefix(k, accountKey+"#") {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// MergeShared lays a pool's marks and clears over h (the local store as read), by observation time,
// not by the later end: a local wait observed before a newer clear from another machine is lifted;
// a shared wait observed after the local record's last success stands unless a longer local wait
// does. Merged records carry the evidence of the host that saw them (Evidence.Host).
func (h *Health) MergeShared(keys []SharedKey, now time.Time) {
	for _, sk := range keys {
		h.mergeKey(sk, now)
	}
}

func (h *Health) mergeKey(sk SharedKey, now time.Time) {
	r := h.Records[sk.Key]
	var clearAt time.Time
	if sk.Clear != nil {
		clearAt = sk.Clear.ObservedAt
	}
	// What this machine saw last: a wait or a success, and when.
	localMark, localClear := time.Time{}, time.Time{}
	if r != nil {
		if r.marked() || r.Circuit.State == CircuitOpen {
			localMark = r.observedAt()
		} else {
			localClear = r.observedAt()
			if r.Liveness.Since.After(localClear) {
				localClear = r.Liveness.Since
			}
		}
	}
	cleared := clearAt
	if localClear.After(cleared) {
		cleared = localClear
	}
	var live, circuit *Mark
	for i := range sk.Marks {
		m := &sk.Marks[i]
		if !m.valid() || !m.ObservedAt.After(cleared) || !now.Before(m.Ends()) {
			continue
		}
		switch m.Kind {
		case MarkCircuit:
			if circuit == nil || m.Ends().After(circuit.Ends()) {
				circuit = m
			}
		default:
			if live == nil || longer(*m, *live) {
				live = m
			}
		}
	}
	localStands := r != nil && !localMark.IsZero() && localMark.After(clearAt)
	if r != nil && !localMark.IsZero() && !localStands && sk.Clear != nil {
		// A newer clear from another machine lifts this machine's wait.
		r.Liveness = Liveness{State: StateLive, Availability: Available, Since: clearAt}
		r.Circuit = Circuit{State: CircuitClosed}
		r.ProbeNeeded = false
		r.LastEvidence = &Evidence{Source: classify.Source("shared"), ObservedAt: clearAt, Verdict: string(classify.Success), Host: sk.Clear.Host}
	}
	if live != nil {
		lm := r != nil && localStands && r.marked()
		if !lm || longer(*live, localMarkOf(r)) {
			r = h.record(sk.Key, live.ObservedAt)
			r.Liveness = Liveness{State: live.State, Availability: live.Availability, Reason: live.Reason, Since: live.ObservedAt}
			if live.Until != nil {
				t := *live.Until
				switch live.Timer {
				case TimerWindow:
					r.Liveness.WindowResetsAt = &t
				case TimerRetry:
					r.Liveness.RetryAt = &t
				default:
					r.Liveness.Until = &t
				}
			}
			if live.State == StateDead {
				r.Score = MinScore
			}
			r.LastEvidence = sharedEvidence(live)
		}
	}
	if circuit != nil {
		if r == nil || r.Circuit.State != CircuitOpen || r.Circuit.OpenUntil == nil || circuit.Until.After(*r.Circuit.OpenUntil) {
			r = h.record(sk.Key, circuit.ObservedAt)
			u := *circuit.Until
			r.Circuit = Circuit{State: CircuitOpen, OpenUntil: &u, RecentFailures: r.Circuit.RecentFailures}
			if r.LastEvidence == nil || circuit.ObservedAt.After(r.observedAt()) {
				r.LastEvidence = sharedEvidence(circuit)
			}
		}
	}
}

func sharedEvidence(m *Mark) *Evidence {
	ev := Evidence{ObservedAt: m.ObservedAt, Host: m.Host}
	if m.Evidence != nil {
		ev = *m.Evidence
		ev.Host = m.Host
	}
	return &ev
}

// localMarkOf is r's own wait as a mark, to weigh against a shared one.
func localMarkOf(r *Record) Mark {
	timer, until := r.Liveness.Timer()
	return Mark{Kind: MarkLiveness, State: r.Liveness.State, Timer: timer, Until: until, ObservedAt: r.observedAt()}
}

// longer reports whether a waits longer than b: a dead mark outlasts any timer.
func longer(a, b Mark) bool {
	ad, bd := a.State == StateDead, b.State == StateDead
	if ad != bd {
		return ad
	}
	return a.Ends().After(b.Ends())
}

// LockNamed takes the state dir's lock file locks/NAME.lock (for a shared backend's own files).
func LockNamed(ctx context.Context, dir, name string, wait bool) (*Lock, error) {
	return lockHeld(ctx, dir, filepath.Join(LocksDir(dir), SafeName(name)+".lock"), name, wait)
}

// AdoptDead records on this machine a pool's dead mark of an account this machine had not seen
// die, with the fingerprint this machine's credential file has now: a later change of that file (a
// new login here) then revives the account here, as it would an account that died here, instead of
// the pool's mark keeping it dead for DeadMarkFor. Nothing of it goes back to the pool.
type AdoptDead struct {
	Mark        Mark
	Fingerprint string
}

func (a AdoptDead) apply(h *Health) bool { return h.adoptDead(a.Mark, a.Fingerprint) }

func (h *Health) adoptDead(m Mark, fingerprint string) bool {
	if m.Kind != MarkLiveness || m.State != StateDead || m.Key == "" || fingerprint == "" {
		return false
	}
	if r := h.Records[m.Key]; r != nil {
		// Dead here already, or this machine saw the account after the mark (a success, a revival).
		if r.Liveness.State == StateDead || !r.observedAt().Before(m.ObservedAt) || !r.Liveness.Since.Before(m.ObservedAt) {
			return false
		}
	}
	r := h.record(m.Key, m.ObservedAt)
	r.Liveness = Liveness{State: StateDead, Availability: m.Availability, Reason: m.Reason, Since: m.ObservedAt}
	r.Score = MinScore
	r.DeadFingerprint = fingerprint
	r.ProbeNeeded = false
	r.LastEvidence = sharedEvidence(&m)
	r.UpdatedAt = m.ObservedAt
	return true
}

// StandingDead is the newest dead mark of accountKey among the pool's keys that no clear lifted,
// or nil.
func StandingDead(keys []SharedKey, accountKey string, now time.Time) *Mark {
	var best *Mark
	for _, k := range keys {
		if k.Key != accountKey {
			continue
		}
		for i := range k.Marks {
			m := &k.Marks[i]
			if m.Kind != MarkLiveness || m.State != StateDead || !m.valid() || !now.Before(m.Ends()) {
				continue
			}
			if k.Clear != nil && !m.ObservedAt.After(k.Clear.ObservedAt) {
				continue
			}
			if best == nil || m.ObservedAt.After(best.ObservedAt) {
				best = m
			}
		}
	}
	if best == nil {
		return nil
	}
	out := *best
	out.Key = accountKey
	return &out
}
