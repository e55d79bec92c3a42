package state

import (
	"context"
	"errors"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
)

// Backend is where health, events and account locks live. The file store (Store) is the one every
// single-machine user has; a shared backend (health across machines) implements the same interface.
// Every change is a typed operation, never a function over the whole store, so that a networked
// backend can run each as one script on its side. ctx bounds a network call; an error that wraps
// ErrOffline says the backend could not be reached, and callers go on with what they have.
type Backend interface {
	// Snapshot reads the current health. A backend that cannot read returns an error and, where it
	// can, what it last knew.
	Snapshot(ctx context.Context) (*Health, error)
	// Apply runs ops in order as one atomic change. An op that changes nothing writes nothing.
	Apply(ctx context.Context, ops ...Op) error
	// AppendEvent appends one row to the events log.
	AppendEvent(ctx context.Context, ev Event) error
	// LockAccount takes the account's repair/refresh lock (see LockAccount).
	LockAccount(ctx context.Context, provider, account string, wait bool) (*Lock, error)
	// Warnings are the backend's own notices (a damaged store moved aside), each once.
	Warnings() []string
}

// ErrOffline is wrapped by the errors of a backend that could not be reached.
var ErrOffline = errors.New("health backend offline")

// ErrGenerationMoved is wrapped by a shared pool's refusal to store a credential generation over
// one that is no longer the writer's: another machine stored a newer credential first.
var ErrGenerationMoved = errors.New("another machine stored a newer credential generation")

// Op is one typed change to health. The set is closed: only this package defines ops, and a backend
// other than the file store switches on their types.
type Op interface {
	// apply changes h and reports whether anything changed.
	apply(h *Health) bool
}

// MarkVerdict records a verdict (SPEC §4.2): dead on the account key, the rest on the route key, with
// the strategy's scoring and the evidence.
type MarkVerdict struct {
	AccountKey, RouteKey string
	Verdict              classify.Verdict
	Evidence             Evidence
	At                   time.Time
	Scoring              Scoring
	// LoginOnly says a success proved the login, not the route's quota (a login or status probe):
	// it revives a dead account but leaves a window or degradation on the route (Health.ProveLogin).
	LoginOnly bool
}

func (m MarkVerdict) apply(h *Health) bool {
	if m.LoginOnly && m.Verdict.Class == classify.Success {
		h.ProveLogin(m.AccountKey, m.RouteKey, m.Verdict, m.Evidence, m.At, m.Scoring)
		return true
	}
	h.ApplyVerdict(m.AccountKey, m.RouteKey, m.Verdict, m.Evidence, m.At, m.Scoring)
	return true
}

// CountRun counts one run of the account in At's calendar month.
type CountRun struct {
	AccountKey string
	At         time.Time
}

func (c CountRun) apply(h *Health) bool { h.CountRun(c.AccountKey, c.At); return true }

// SetAffinity remembers that RouteKey last succeeded for Profile.
type SetAffinity struct {
	Profile, RouteKey string
	At                time.Time
}

func (s SetAffinity) apply(h *Health) bool { h.SetAffinity(s.Profile, s.RouteKey, s.At); return true }

// Revive moves a dead account back to usable-but-unconfirmed; with Fingerprint set, only when the
// credential's fingerprint differs from the one stored at its death (SPEC §8.3). Revived reports
// what happened.
type Revive struct {
	AccountKey, Reason string
	// Fingerprint, when set, is the credential's current fingerprint: the account is revived only
	// when it changed since the account died.
	Fingerprint string
	At          time.Time
	Revived     bool
}

func (r *Revive) apply(h *Health) bool {
	if r.Fingerprint != "" {
		r.Revived = h.ReviveIfChanged(r.AccountKey, r.Fingerprint, r.At)
	} else {
		r.Revived = h.Revive(r.AccountKey, r.Reason, r.At)
	}
	return r.Revived
}

// Suspect makes a live account usable but unconfirmed until a run succeeds (ProbeNeeded): its
// credential may no longer be the one the provider honours, as when two machines of a pool rotated
// it at once. A dead account stays dead.
type Suspect struct {
	AccountKey, Reason string
	At                 time.Time
}

func (s Suspect) apply(h *Health) bool { return h.Suspect(s.AccountKey, s.Reason, s.At) }

// Reset forgets a key (an account key forgets its routes too). Found reports there was something to
// forget.
type Reset struct {
	Key   string
	Found bool
}

func (r *Reset) apply(h *Health) bool {
	if r.Found = h.HasRecords(r.Key); r.Found {
		h.Reset(r.Key)
	}
	return r.Found
}

// AdvanceCursor takes the profile's round-robin cursor and advances it. Cursor is the value taken.
type AdvanceCursor struct {
	Profile string
	Cursor  int
}

func (a *AdvanceCursor) apply(h *Health) bool { a.Cursor = h.NextCursor(a.Profile); return true }

// Run applies ops to h in memory, as Apply would in the store, and reports whether any changed it.
// The no-spend views use it to show what the next run will record without writing anything.
func (h *Health) Run(ops ...Op) bool {
	changed := false
	for _, op := range ops {
		changed = op.apply(h) || changed
	}
	return changed
}

// Snapshot implements Backend: the store as Load reads it.
func (s *Store) Snapshot(context.Context) (*Health, error) { return s.Load() }

// Apply implements Backend: the ops run in one Update, and nothing is written when none changed
// anything.
func (s *Store) Apply(_ context.Context, ops ...Op) error {
	return s.ApplyThen(nil, ops...)
}

// ApplyThen is Apply with a look at the store inside the lock: around gets the store as read and
// ran, which runs the ops on it and reports whether they changed it; around calls ran once, and may
// read the store before and after. A shared backend takes from that what the ops did.
func (s *Store) ApplyThen(around func(h *Health, ran func() bool), ops ...Op) error {
	errUnchanged := errors.New("unchanged")
	err := s.Update(func(h *Health) error {
		ran := func() bool { return h.Run(ops...) }
		changed := false
		if around != nil {
			around(h, func() bool { changed = ran(); return changed })
		} else {
			changed = ran()
		}
		if !changed {
			return errUnchanged
		}
		return nil
	})
	if errors.Is(err, errUnchanged) {
		return nil
	}
	return err
}

// AppendEvent implements Backend: the store's own events log.
func (s *Store) AppendEvent(_ context.Context, ev Event) error {
	if s.appendLate(ev) {
		return nil
	}
	return AppendEvent(s.dir, ev)
}

// LockAccount implements Backend: the store's own lock files.
func (s *Store) LockAccount(ctx context.Context, provider, account string, wait bool) (*Lock, error) {
	return LockAccount(ctx, s.dir, provider, account, wait)
}

var _ Backend = (*Store)(nil)
