package state

import (
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/internal/omux"
)

// Liveness states and availabilities (SPEC §2). The strings are part of the JSON contract.
const (
	StateLive     = "live"
	StateDegraded = "degraded"
	StateDead     = "dead"

	Available      = "available"
	RateLimited    = "rate_limited"
	QuotaExhausted = "quota_exhausted"
	Cooldown       = "cooldown"
)

// Circuit states.
const (
	CircuitClosed   = "closed"
	CircuitOpen     = "open"
	CircuitHalfOpen = "half_open"
)

// Skip reasons of a Status that is not selectable, besides the liveness names above.
const (
	SkipDead        = "dead"
	SkipDegraded    = "degraded"
	SkipCircuitOpen = "circuit_open"
)

// Transition timings (SPEC §4.2).
const (
	DefaultRetryAfter     = 30 * time.Second
	DefaultQuotaWindow    = time.Hour
	MaxQuotaWindow        = 7 * 24 * time.Hour
	ProviderDegradedRetry = 60 * time.Second
	DegradedRetry         = time.Hour
	CircuitWindow         = 60 * time.Second
	CircuitFailures       = 3
	CircuitOpenFor        = 30 * time.Second
	StartScore            = 50
	MinScore              = -100
	MaxScore              = 100
)

// Scoring carries a strategy's numbers (SPEC §3.2 strategies); the store never reads config.
type Scoring struct {
	DecayPerHour     int
	RateLimitPenalty int
	FailurePenalty   int
	SuccessBonus     int
}

// DefaultScoring is the SPEC's default strategy numbers.
func DefaultScoring() Scoring {
	return Scoring{DecayPerHour: 2, RateLimitPenalty: -10, FailurePenalty: -20, SuccessBonus: 1}
}

// Health is the whole health store: records by key (account keys provider:account and route keys
// provider:account#capability), per-profile affinity and cursor, and per-account monthly run counts.
// Fields this version does not know are kept and written back, so an older binary sharing the state
// dir with a newer one does not erase what the newer one recorded.
type Health struct {
	Version  int                       `json:"version"`
	Records  map[string]*Record        `json:"records"`
	Profiles map[string]*ProfileState  `json:"profiles,omitempty"`
	Runs     map[string]map[string]int `json:"runs,omitempty"` // account key → "2026-11" → runs

	extra map[string]json.RawMessage
}

// Record is the health of one key.
type Record struct {
	Liveness            Liveness  `json:"liveness"`
	Score               int       `json:"score"`
	ScoreAt             time.Time `json:"score_at"` // decay has been applied up to here
	Successes           int       `json:"successes"`
	Failures            int       `json:"failures"`
	RateLimits          int       `json:"rate_limits"`
	ConsecutiveFailures int       `json:"consecutive_failures"`
	Circuit             Circuit   `json:"circuit"`
	LastEvidence        *Evidence `json:"last_evidence,omitempty"`
	// DeadFingerprint is the credential fingerprint when the account died (SPEC §8.3); a different
	// fingerprint later means the user logged in again.
	DeadFingerprint string `json:"dead_fingerprint,omitempty"`
	// ProbeNeeded marks an account revived by a credential change: usable, but unconfirmed.
	ProbeNeeded bool      `json:"probe_needed,omitempty"`
	UpdatedAt   time.Time `json:"updated_at"`

	extra map[string]json.RawMessage
}

// Liveness is a key's state with the timer that belongs to it: RetryAt for degraded, Until for
// rate_limited and cooldown, WindowResetsAt for quota_exhausted.
type Liveness struct {
	State          string     `json:"state"`
	Availability   string     `json:"availability,omitempty"` // live only
	Reason         string     `json:"reason,omitempty"`
	Since          time.Time  `json:"since"`
	RetryAt        *time.Time `json:"retry_at,omitempty"`
	Until          *time.Time `json:"until,omitempty"`
	WindowResetsAt *time.Time `json:"window_resets_at,omitempty"`
}

// Timers of a liveness: what it waits for.
const (
	TimerWindow = "window_resets_at" // a usage window resets
	TimerUntil  = "until"            // a cooldown ends
	TimerRetry  = "retry_at"         // a rate limit may be retried
)

// Timer is the one time the liveness waits for, and which it is (TimerWindow, TimerUntil or
// TimerRetry); "" and nil when it waits for nothing. A liveness holds at most one; were there more,
// the longest kind of wait wins. Every view of health (health, accounts, report) reads it here.
func (l Liveness) Timer() (string, *time.Time) {
	switch {
	case l.WindowResetsAt != nil:
		return TimerWindow, l.WindowResetsAt
	case l.Until != nil:
		return TimerUntil, l.Until
	case l.RetryAt != nil:
		return TimerRetry, l.RetryAt
	}
	return "", nil
}

// Circuit is the failure circuit of one key: CircuitFailures route failures within CircuitWindow
// open it for CircuitOpenFor; after that it is half open and one success closes it.
type Circuit struct {
	State          string      `json:"state"`
	OpenUntil      *time.Time  `json:"open_until,omitempty"`
	RecentFailures []time.Time `json:"recent_failures,omitempty"`
}

// Evidence is what a verdict was based on. It never holds output text, bodies, headers or tokens.
type Evidence struct {
	Source      classify.Source `json:"source,omitempty"`
	ObservedAt  time.Time       `json:"observed_at"`
	ExitStatus  *int            `json:"exit_status,omitempty"`
	HTTPStatus  int             `json:"http_status,omitempty"`
	Rule        string          `json:"rule,omitempty"`
	RetryAfterS int             `json:"retry_after_s,omitempty"`
	// ResetAt is the reset the evidence named (what the CLI printed), even where the liveness window
	// is capped at MaxQuotaWindow.
	ResetAt  *time.Time `json:"reset_at,omitempty"`
	Verdict  string     `json:"verdict,omitempty"`  // class or class(reason)
	Decision string     `json:"decision,omitempty"` // what the caller did about it
	// Host is the machine that observed it, where health is shared across machines ("" on a
	// machine of its own).
	Host string `json:"host,omitempty"`
	// Fingerprint of the account's credential (see Fingerprint); kept on a dead account record,
	// never shown as evidence.
	Fingerprint string `json:"-"`
}

// ProfileState is what the store remembers per profile (SPEC §6.3).
type ProfileState struct {
	AffinityRoute string    `json:"affinity_route,omitempty"`
	AffinityAt    time.Time `json:"affinity_at,omitzero"`
	Cursor        int       `json:"cursor"`
}

// NewHealth is an empty store.
func NewHealth() *Health {
	return &Health{Version: 1, Records: map[string]*Record{}}
}

func newRecord(now time.Time) *Record {
	return &Record{
		Liveness: Liveness{State: StateLive, Availability: Available, Since: now},
		Score:    StartScore,
		ScoreAt:  now,
		Circuit:  Circuit{State: CircuitClosed},
	}
}

// Record returns the record of key, nil when the key has none.
func (h *Health) Record(key string) *Record { return h.Records[key] }

func (h *Health) record(key string, now time.Time) *Record {
	if h.Records == nil {
		h.Records = map[string]*Record{}
	}
	r := h.Records[key]
	if r == nil {
		r = newRecord(now)
		h.Records[key] = r
	}
	return r
}

// AccountKeyOf returns the account part of a route key ("codex:max-1#codex-max" → "codex:max-1").
func AccountKeyOf(key string) string { return omux.RouteKey(key).Account().String() }

func clampScore(s int) int {
	return min(max(s, MinScore), MaxScore)
}

// decayedScore moves the score toward StartScore by perHour for every whole hour since ScoreAt and
// returns the new score and the instant decay now covers (whole hours only, so frequent updates do
// not eat the remainders). A dead record keeps −100: it is not usable however old.
func (r *Record) decayedScore(now time.Time, perHour int) (int, time.Time) {
	if perHour <= 0 || r.Liveness.State == StateDead || r.ScoreAt.IsZero() || !now.After(r.ScoreAt) {
		if r.ScoreAt.IsZero() {
			return r.Score, now
		}
		return r.Score, r.ScoreAt
	}
	hours := int64(now.Sub(r.ScoreAt) / time.Hour)
	if hours <= 0 {
		return r.Score, r.ScoreAt
	}
	at := r.ScoreAt.Add(time.Duration(hours) * time.Hour)
	step := hours * int64(perHour)
	s := int64(r.Score)
	switch {
	case s > StartScore:
		s = max(s-step, StartScore)
	case s < StartScore:
		s = min(s+step, StartScore)
	}
	return int(s), at
}

func (r *Record) decay(now time.Time, perHour int) {
	r.Score, r.ScoreAt = r.decayedScore(now, perHour)
}

// Score is key's score at now with decay applied (StartScore for an unrecorded key).
func (h *Health) Score(key string, now time.Time, sc Scoring) int {
	r := h.Records[key]
	if r == nil {
		return StartScore
	}
	s, _ := r.decayedScore(now, sc.DecayPerHour)
	return clampScore(s)
}

// circuitAt is the circuit's state at now: an open circuit whose time is up is half open.
func (r *Record) circuitAt(now time.Time) string {
	c := r.Circuit
	if c.State == CircuitOpen && (c.OpenUntil == nil || !now.Before(*c.OpenUntil)) {
		return CircuitHalfOpen
	}
	if c.State == "" {
		return CircuitClosed
	}
	return c.State
}

func tp(t time.Time) *time.Time { return &t }

func (l *Liveness) set(state, availability, reason string, now time.Time) {
	if l.State != state || l.Availability != availability || l.Reason != reason {
		l.Since = now
	}
	l.State, l.Availability, l.Reason = state, availability, reason
	l.RetryAt, l.Until, l.WindowResetsAt = nil, nil, nil
}

// Apply records verdict v against key (SPEC §4.2). The caller picks the key (ApplyVerdict does it by
// the verdict's scope); a child_failure records nothing.
func (h *Health) Apply(key string, v classify.Verdict, ev Evidence, now time.Time, sc Scoring) {
	if v.Class == classify.ChildFailure || v.Class == "" {
		return
	}
	now = now.UTC()
	r := h.record(key, now)
	r.decay(now, sc.DecayPerHour)
	r.UpdatedAt = now

	if ev.ObservedAt.IsZero() {
		ev.ObservedAt = now
	}
	ev.ObservedAt = ev.ObservedAt.UTC()
	if ev.Source == "" {
		ev.Source = v.Source
	}
	if ev.Rule == "" {
		ev.Rule = v.Rule
	}
	if ev.RetryAfterS == 0 {
		ev.RetryAfterS = v.RetryAfterS
	}
	if ev.Verdict == "" {
		ev.Verdict = v.String()
	}
	fp := ev.Fingerprint
	ev.Fingerprint = ""
	r.LastEvidence = &ev

	if v.Class == classify.Success {
		r.Liveness.set(StateLive, Available, "", now)
		r.ConsecutiveFailures = 0
		r.Successes++
		r.Score = clampScore(r.Score + sc.SuccessBonus)
		r.DeadFingerprint = ""
		r.ProbeNeeded = false
		// A success while open can only come from an explicit probe; it proves the route as well as
		// the half-open trial would.
		if st := r.circuitAt(now); st != CircuitClosed {
			r.Circuit = Circuit{State: CircuitClosed}
		}
		return
	}

	r.ConsecutiveFailures++
	switch v.Class {
	case classify.RateLimited:
		r.RateLimits++
		d := DefaultRetryAfter
		if v.RetryAfterS > 0 {
			d = time.Duration(v.RetryAfterS) * time.Second
		} else if v.ResetAt != nil && v.ResetAt.After(now) {
			d = v.ResetAt.Sub(now)
		}
		r.Liveness.set(StateLive, RateLimited, "", now)
		r.Liveness.Until = tp(now.Add(d))
		r.Score = clampScore(r.Score + sc.RateLimitPenalty)
	case classify.QuotaExhausted:
		r.Failures++
		reset := now.Add(DefaultQuotaWindow)
		if v.ResetAt != nil && v.ResetAt.After(now) {
			reset = v.ResetAt.UTC()
		} else if v.RetryAfterS > 0 {
			reset = now.Add(time.Duration(v.RetryAfterS) * time.Second)
		}
		if reset.Sub(now) > MaxQuotaWindow {
			reset = now.Add(MaxQuotaWindow)
		}
		r.Liveness.set(StateLive, QuotaExhausted, "", now)
		r.Liveness.WindowResetsAt = tp(reset)
	case classify.ProviderDegraded:
		r.Failures++
		r.Liveness.set(StateDegraded, "", string(classify.ReasonProviderDegraded), now)
		r.Liveness.RetryAt = tp(now.Add(ProviderDegradedRetry))
	case classify.Degraded:
		r.Failures++
		r.Liveness.set(StateDegraded, "", string(v.Reason), now)
		r.Liveness.RetryAt = tp(now.Add(DegradedRetry))
		r.Score = clampScore(r.Score + sc.FailurePenalty)
	case classify.Dead:
		r.Failures++
		r.Liveness.set(StateDead, "", string(v.Reason), now)
		r.Score = MinScore
		r.DeadFingerprint = fp
		r.ProbeNeeded = false
	default:
		// An unknown class from a newer classify: count it, change nothing else.
		r.Failures++
	}
	r.failCircuit(now)
}

func (r *Record) failCircuit(now time.Time) {
	st := r.circuitAt(now)
	keep := r.Circuit.RecentFailures[:0]
	for _, t := range r.Circuit.RecentFailures {
		if now.Sub(t) < CircuitWindow {
			keep = append(keep, t)
		}
	}
	r.Circuit.RecentFailures = append(keep, now)
	switch {
	case st == CircuitHalfOpen:
		// The one trial failed: open again at once.
		r.Circuit.State, r.Circuit.OpenUntil = CircuitOpen, tp(now.Add(CircuitOpenFor))
	case st == CircuitClosed && len(r.Circuit.RecentFailures) >= CircuitFailures:
		r.Circuit.State, r.Circuit.OpenUntil = CircuitOpen, tp(now.Add(CircuitOpenFor))
	}
	if len(r.Circuit.RecentFailures) > CircuitFailures {
		r.Circuit.RecentFailures = r.Circuit.RecentFailures[len(r.Circuit.RecentFailures)-CircuitFailures:]
	}
}

// ApplyVerdict records v against the key its scope names: dead on accountKey, the others on
// routeKey, child_failure nowhere. A success also clears a dead or probe-needed account key: the
// account evidently works.
func (h *Health) ApplyVerdict(accountKey, routeKey string, v classify.Verdict, ev Evidence, now time.Time, sc Scoring) {
	switch v.Scope() {
	case classify.ScopeAccount:
		h.Apply(accountKey, v, ev, now, sc)
	case classify.ScopeRoute:
		h.Apply(routeKey, v, ev, now, sc)
		if v.Class == classify.Success && accountKey != routeKey {
			if a := h.Records[accountKey]; a != nil && (a.Liveness.State == StateDead || a.ProbeNeeded) {
				h.Apply(accountKey, v, ev, now, sc)
				a.Score = StartScore
			}
		}
	}
}

// ProveLogin records a success that proved only the login (a status probe): dead or unconfirmed
// evidence on the account key is cleared, and the route is marked live only when it is not waiting
// out a window or a degradation, which only a request of the capability itself may end. CLIs print
// false limit notices, and a stale reset keeps a usable account out of rotation; a login check is no
// proof either way.
func (h *Health) ProveLogin(accountKey, routeKey string, v classify.Verdict, ev Evidence, now time.Time, sc Scoring) {
	if a := h.Records[accountKey]; a != nil && (a.Liveness.State == StateDead || a.ProbeNeeded) {
		h.Apply(accountKey, v, ev, now, sc)
		a.Score = StartScore
	}
	if rt := h.Records[routeKey]; routeKey == accountKey || rt != nil && rt.waiting() {
		return
	}
	h.Apply(routeKey, v, ev, now, sc)
}

// waiting reports whether the record holds a state that ends by a timer or a real request: a rate
// limit, spent quota, cooldown or degradation (expired or not: an expired window still wants a
// request to confirm it), or an open circuit.
func (r *Record) waiting() bool {
	l := r.Liveness
	return l.State == StateDegraded || l.State == StateLive && l.Availability != "" && l.Availability != Available ||
		r.Circuit.State != "" && r.Circuit.State != CircuitClosed
}

// Status is the recorded health of one route at an instant, as planners see it.
type Status struct {
	Selectable bool
	// Recorded is false when neither the route nor its account has any record: the planner's
	// "unrecorded" (action probe_needed).
	Recorded bool
	// SkipReason is why a route is not selectable: dead, degraded, rate_limited, quota_exhausted,
	// cooldown, circuit_open; "" when selectable.
	SkipReason string
	Reason     string     // the liveness reason (token_revoked, scope_insufficient, …)
	Until      *time.Time // when the skip ends, if it does by itself
	// RevalidationNeeded: selectable, but only because a window expired or a credential changed;
	// a probe or success should confirm it (SPEC §4.2 revalidation_needed).
	RevalidationNeeded bool
}

// Status evaluates routeKey under accountKey at now. The account key is read first and dominates:
// a dead account makes every route unselectable whatever the route's own record says.
func (h *Health) Status(accountKey, routeKey string, now time.Time) Status {
	acc, rt := h.Records[accountKey], h.Records[routeKey]
	st := Status{Selectable: true, Recorded: acc != nil || rt != nil}
	for _, r := range []*Record{acc, rt} {
		if r == nil {
			continue
		}
		r.evaluate(now, &st)
		if !st.Selectable {
			return st
		}
		if accountKey == routeKey {
			break
		}
	}
	return st
}

func (r *Record) evaluate(now time.Time, st *Status) {
	l := r.Liveness
	skip := func(reason string, until *time.Time) {
		st.Selectable, st.SkipReason, st.Reason, st.Until = false, reason, l.Reason, until
		st.RevalidationNeeded = false
	}
	if r.ProbeNeeded {
		st.RevalidationNeeded = true
	}
	switch l.State {
	case StateDead:
		skip(SkipDead, nil)
		return
	case StateDegraded:
		if l.RetryAt == nil || now.Before(*l.RetryAt) {
			skip(SkipDegraded, l.RetryAt)
			return
		}
	case StateLive:
		switch l.Availability {
		case RateLimited, Cooldown:
			if l.Until == nil || now.Before(*l.Until) {
				skip(l.Availability, l.Until)
				return
			}
		case QuotaExhausted:
			if l.WindowResetsAt == nil || now.Before(*l.WindowResetsAt) {
				skip(QuotaExhausted, l.WindowResetsAt)
				return
			}
			st.RevalidationNeeded = true
		}
	}
	if r.circuitAt(now) == CircuitOpen {
		skip(SkipCircuitOpen, r.Circuit.OpenUntil)
	}
}

// HasRecords reports whether Reset(key) would forget anything: the key itself, or for an account key
// one of its routes (an account can have route records and none of its own).
func (h *Health) HasRecords(key string) bool {
	if h.Record(key) != nil {
		return true
	}
	if strings.Contains(key, "#") {
		return false
	}
	for k := range h.Records {
		if strings.HasPrefix(k, key+"#") {
			return true
		}
	}
	return false
}

// Reset forgets key (oauth-mux health --reset KEY); an account key forgets its routes too.
func (h *Health) Reset(key string) {
	delete(h.Records, key)
	if strings.IndexByte(key, '#') < 0 {
		for k := range h.Records {
			if strings.HasPrefix(k, key+"#") {
				delete(h.Records, k)
			}
		}
	}
}

// DeadFingerprint is the credential fingerprint stored when accountKey died; "" when the account is
// not dead or none was stored.
func (h *Health) DeadFingerprint(accountKey string) string {
	r := h.Records[accountKey]
	if r == nil || r.Liveness.State != StateDead {
		return ""
	}
	return r.DeadFingerprint
}

// Revive moves a dead account back to usable-but-unconfirmed (SPEC §8.3: its credential changed
// since it died). Status then reports it selectable with RevalidationNeeded until a success. It
// reports whether anything changed.
func (h *Health) Revive(accountKey, reason string, now time.Time) bool {
	r := h.Records[accountKey]
	if r == nil || r.Liveness.State != StateDead {
		return false
	}
	now = now.UTC()
	r.Liveness.set(StateLive, Available, reason, now)
	r.Score, r.ScoreAt = StartScore, now
	r.DeadFingerprint = ""
	r.ProbeNeeded = true
	r.ConsecutiveFailures = 0
	r.Circuit = Circuit{State: CircuitClosed}
	r.UpdatedAt = now
	return true
}

// Suspect marks accountKey usable but unconfirmed (see the Suspect op); it reports whether
// anything changed.
func (h *Health) Suspect(accountKey, reason string, now time.Time) bool {
	r := h.record(accountKey, now)
	if r.Liveness.State == StateDead || r.ProbeNeeded {
		return false
	}
	now = now.UTC()
	r.ProbeNeeded = true
	r.Liveness.Reason = reason
	r.UpdatedAt = now
	return true
}

// ReviveIfChanged revives a dead account whose stored fingerprint differs from current (and current
// is readable). It reports whether it revived.
func (h *Health) ReviveIfChanged(accountKey, current string, now time.Time) bool {
	dead := h.DeadFingerprint(accountKey)
	if current == "" || dead == "" || dead == current {
		return false
	}
	return h.Revive(accountKey, "credential_changed", now)
}

func (h *Health) profile(name string) *ProfileState {
	if h.Profiles == nil {
		h.Profiles = map[string]*ProfileState{}
	}
	p := h.Profiles[name]
	if p == nil {
		p = &ProfileState{}
		h.Profiles[name] = p
	}
	return p
}

// SetAffinity remembers that route last succeeded for profile at now.
func (h *Health) SetAffinity(profile, route string, now time.Time) {
	p := h.profile(profile)
	p.AffinityRoute, p.AffinityAt = route, now.UTC()
}

// Affinity is the profile's affinity route if it was set less than ttl ago, else "".
func (h *Health) Affinity(profile string, ttl time.Duration, now time.Time) string {
	p := h.Profiles[profile]
	if p == nil || p.AffinityRoute == "" || ttl <= 0 || now.Sub(p.AffinityAt) >= ttl || now.Before(p.AffinityAt.Add(-time.Minute)) {
		return ""
	}
	return p.AffinityRoute
}

// NextCursor returns the profile's round-robin cursor and advances it; callers take it modulo the
// number of routes they rotate among. Call it inside Update so the advance is stored.
func (h *Health) NextCursor(profile string) int {
	p := h.profile(profile)
	c := p.Cursor
	if c < 0 {
		c = 0
	}
	p.Cursor = c + 1
	if p.Cursor < 0 { // wrapped
		p.Cursor = 0
	}
	return c
}

// runMonthsKept bounds the run history per account: the current month and the twelve before it.
const runMonthsKept = 13

// CountRun counts one run of accountKey in now's calendar month (in now's location, which is the
// user's local time when callers pass time.Now()).
func (h *Health) CountRun(accountKey string, now time.Time) {
	if h.Runs == nil {
		h.Runs = map[string]map[string]int{}
	}
	m := h.Runs[accountKey]
	if m == nil {
		m = map[string]int{}
		h.Runs[accountKey] = m
	}
	m[now.Format("2006-01")]++
	if len(m) > runMonthsKept {
		months := make([]string, 0, len(m))
		for k := range m {
			months = append(months, k)
		}
		sort.Strings(months)
		for _, k := range months[:len(months)-runMonthsKept] {
			delete(m, k)
		}
	}
}

// MonthlyRuns is the number of runs counted for accountKey in now's calendar month.
func (h *Health) MonthlyRuns(accountKey string, now time.Time) int {
	return h.Runs[accountKey][now.Format("2006-01")]
}
