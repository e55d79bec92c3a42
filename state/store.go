package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Store is the health store file of one state dir (SPEC §4.1).
type Store struct {
	dir string

	mu       sync.Mutex
	warnings []string
	late     bool       // SetLateSync: writes are made durable after they are visible
	pending  chan error // the background sync of the last late write; nil when none

	// Late events wait in events for one writer goroutine, which closes evDone when it has written
	// them all; evErr keeps what it could not write, for Sync.
	events []Event
	evDone chan struct{}
	evErr  error
}

// SetLateSync makes the following writes replace the store first and fsync in the background, until
// it is turned off. exec runs this way: a failover starts the next child while the verdict that made
// it start is synced (concurrent runs see the verdict at once, since the file is replaced), and no run
// holds the health lock through an fsync. Events are appended by a writer goroutine, in order. The
// next durable write waits for the background sync, and Sync for that and the events; exec calls
// Sync before it exits. On Windows writes stay durable.
func (s *Store) SetLateSync(on bool) {
	s.mu.Lock()
	s.late = on && runtime.GOOS != "windows"
	s.mu.Unlock()
}

// Sync waits until every write so far is durable, and returns the error of a late write's sync.
func (s *Store) Sync() error {
	s.mu.Lock()
	p, evDone := s.pending, s.evDone
	s.pending = nil
	s.mu.Unlock()
	var err error
	if p != nil {
		err = <-p
	}
	if evDone != nil {
		<-evDone
		s.mu.Lock()
		err = errors.Join(err, s.evErr)
		s.evErr = nil
		s.mu.Unlock()
	}
	return err
}

// appendLate queues ev for the event writer, starting it when none runs. It reports false when the
// store is not in late mode.
func (s *Store) appendLate(ev Event) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.late && s.evDone == nil {
		return false // while queued events are written, later ones queue behind them
	}
	if ev.Ts.IsZero() {
		ev.Ts = time.Now() // when it happened, not when the writer gets to it
	}
	s.events = append(s.events, ev)
	if s.evDone == nil {
		s.evDone = make(chan struct{})
		go s.writeEvents(s.evDone)
	}
	return true
}

// writeEvents appends the queued events in order until none is left.
func (s *Store) writeEvents(done chan struct{}) {
	defer close(done)
	for {
		s.mu.Lock()
		evs := s.events
		s.events = nil
		if len(evs) == 0 {
			s.evDone = nil
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		for _, ev := range evs {
			if err := AppendEvent(s.dir, ev); err != nil {
				s.mu.Lock()
				s.evErr = errors.Join(s.evErr, err)
				s.mu.Unlock()
			}
		}
	}
}

// Open returns the store of dir. Nothing is read or created until Load or Update.
func Open(dir string) *Store { return &Store{dir: dir} }

// Path is <dir>/health.json.
func (s *Store) Path() string { return filepath.Join(s.dir, "health.json") }

func (s *Store) lockPath() string { return filepath.Join(LocksDir(s.dir), "health.lock") }

// Warnings are the one-line notices collected so far (a damaged store moved aside). cmd prints each
// once as "oauth-mux: warning: …"; doctor shows them. They never stop a command.
func (s *Store) Warnings() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.warnings...)
}

func (s *Store) warn(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.warnings {
		if w == msg {
			return
		}
	}
	s.warnings = append(s.warnings, msg)
}

// Load reads the store without taking the lock: writers replace the file atomically, so a reader
// always sees a whole version. A missing store is an empty one. A store that does not parse is moved
// aside (under the lock, after checking it is still the same damaged file) and an empty store is
// returned with a warning. The error is only for a store that exists but cannot be read at all.
func (s *Store) Load() (*Health, error) {
	h, err := s.read()
	if err == nil {
		return h, nil
	}
	var ce *corruptError
	if !errors.As(err, &ce) {
		return nil, err
	}
	// Move aside only under the lock: without it two readers could both see damage, and the second
	// would move away the fresh store a writer had just put in place.
	lerr := EnsureDir(s.dir)
	var l *Lock
	if lerr == nil {
		l, lerr = lockBlocking(s.lockPath())
	}
	if lerr != nil {
		s.warn(fmt.Sprintf("health store %s is damaged (%v); using an empty one for this run", s.Path(), ce.err))
		return NewHealth(), nil
	}
	defer l.releaseQuiet()
	return s.readRepair()
}

// Update runs fn on the store under the exclusive health lock: the store is re-read inside the lock,
// fn changes it, and the result replaces the file atomically. Concurrent processes lose no update.
// When fn returns an error nothing is written and the error is returned.
func (s *Store) Update(fn func(*Health) error) error {
	if err := EnsureDir(s.dir); err != nil {
		return fmt.Errorf("health store: %w", err)
	}
	// The last late write is synced before this one replaces it (its file becomes the .prev that a
	// crash falls back to), and before the lock is taken: no one waits on an fsync behind the lock.
	if err := s.Sync(); err != nil {
		s.warn(fmt.Sprintf("health store: %v", err))
	}
	l, err := lockBlocking(s.lockPath())
	if err != nil {
		return fmt.Errorf("health store: %w", err)
	}
	defer l.releaseQuiet()
	s.removeStaleTemps()
	h, err := s.readRepair()
	if err != nil {
		return err
	}
	before := verdictsOf(h)
	if err := fn(h); err != nil {
		return err
	}
	// A write that changes no verdict (a success on a route that was live already: counters, score,
	// the last evidence, the run count, affinity) needs its data synced before anyone may depend on
	// it, but not its rename: after a crash the old store, which has every verdict, is as good.
	judged := !maps.Equal(before, verdictsOf(h))
	data, err := h.Marshal()
	if err != nil {
		return fmt.Errorf("health store: %w", err)
	}
	if err := s.Sync(); err != nil { // another goroutine's late write since the first Sync
		s.warn(fmt.Sprintf("health store: %v", err))
	}
	s.mu.Lock()
	late := s.late
	s.mu.Unlock()
	if !late {
		if judged {
			err = WriteFileAtomic(s.Path(), data, 0o600)
		} else {
			err = writeAndReplace(s.Path(), data, 0o600, true)
		}
		if err == nil {
			_ = os.Remove(PrevPath(s.Path())) // a durable store needs no fallback
		}
		return err
	}
	sync, err := replaceThenSync(s.Path(), data, 0o600, judged)
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- sync() }()
	s.mu.Lock()
	s.pending = done
	s.mu.Unlock()
	return nil
}

// verdict is what of a record a crash must not lose: its liveness with its timer, the circuit, and
// a dead account's fingerprint.
type verdict struct {
	state, availability, reason, circuit, deadFingerprint string
	since, retryAt, until, windowResetsAt, openUntil      int64
	probeNeeded                                           bool
}

func unixOf(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return t.UnixNano()
}

func verdictsOf(h *Health) map[string]verdict {
	out := make(map[string]verdict, len(h.Records))
	for k, r := range h.Records {
		l := r.Liveness
		out[k] = verdict{state: l.State, availability: l.Availability, reason: l.Reason, circuit: r.Circuit.State,
			deadFingerprint: r.DeadFingerprint, since: l.Since.UnixNano(), retryAt: unixOf(l.RetryAt), until: unixOf(l.Until),
			windowResetsAt: unixOf(l.WindowResetsAt), openUntil: unixOf(r.Circuit.OpenUntil), probeNeeded: r.ProbeNeeded}
	}
	return out
}

// removeStaleTemps removes the temp files of writes that were killed before their rename. Every
// writer of the store holds the health lock, which the caller holds now, so no temp file is live.
func (s *Store) removeStaleTemps() {
	stale, _ := filepath.Glob(filepath.Join(s.dir, "."+filepath.Base(s.Path())+".tmp-*"))
	for _, p := range stale {
		if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() {
			_ = os.Remove(p)
		}
	}
}

// readRepair reads the store; the caller holds the health lock, so a damaged file is moved aside.
func (s *Store) readRepair() (*Health, error) {
	h, err := s.read()
	var ce *corruptError
	if !errors.As(err, &ce) {
		return h, err
	}
	aside := s.Path() + ".corrupt-" + time.Now().UTC().Format("20060102T150405Z")
	for i := 1; ; i++ {
		if _, serr := os.Lstat(aside); errors.Is(serr, fs.ErrNotExist) {
			break
		}
		aside = fmt.Sprintf("%s.corrupt-%s-%d", s.Path(), time.Now().UTC().Format("20060102T150405Z"), i)
	}
	if rerr := os.Rename(s.Path(), aside); rerr != nil {
		s.warn(fmt.Sprintf("health store %s is damaged (%v) and could not be moved aside: %v; using an empty one",
			s.Path(), ce.err, rerr))
		return NewHealth(), nil
	}
	// A crash between a late write's rename and its sync leaves the version before it here.
	if data, err := os.ReadFile(PrevPath(s.Path())); err == nil {
		if h, err := ParseHealth(data); err == nil && WriteFileAtomic(s.Path(), data, 0o600) == nil {
			s.warn(fmt.Sprintf("health store %s was damaged (%v); moved it to %s and restored the version before the last write",
				s.Path(), ce.err, filepath.Base(aside)))
			return h, nil
		}
	}
	s.warn(fmt.Sprintf("health store %s was damaged (%v); moved it to %s and started a fresh one",
		s.Path(), ce.err, filepath.Base(aside)))
	return NewHealth(), nil
}

type corruptError struct{ err error }

func (e *corruptError) Error() string { return "health store damaged: " + e.err.Error() }
func (e *corruptError) Unwrap() error { return e.err }

// maxStoreSize refuses to parse an absurd file; such a store is treated as damaged.
const maxStoreSize = 64 << 20

func (s *Store) read() (*Health, error) {
	data, err := os.ReadFile(s.Path())
	if errors.Is(err, fs.ErrNotExist) {
		return NewHealth(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("health store: %w", err)
	}
	if len(data) > maxStoreSize {
		return nil, &corruptError{fmt.Errorf("%d bytes is too large", len(data))}
	}
	h, err := ParseHealth(data)
	if err != nil {
		return nil, &corruptError{err}
	}
	return h, nil
}

// ParseHealth decodes a health store and repairs what a careless hand edit could leave: missing
// maps, null records, scores out of range. Unknown fields are kept.
func ParseHealth(data []byte) (*Health, error) {
	h := NewHealth()
	if err := json.Unmarshal(data, h); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("invalid JSON at byte %d", se.Offset)
		}
		return nil, errors.New(jsonErrorText(err))
	}
	if h.Records == nil {
		h.Records = map[string]*Record{}
	}
	for k, r := range h.Records {
		if r == nil {
			delete(h.Records, k)
			continue
		}
		r.Score = clampScore(r.Score)
		if r.Circuit.State == "" {
			r.Circuit.State = CircuitClosed
		}
		if r.Liveness.State == "" {
			r.Liveness.State, r.Liveness.Availability = StateLive, Available
		}
	}
	for k, p := range h.Profiles {
		if p == nil {
			delete(h.Profiles, k)
		}
	}
	for k, m := range h.Runs {
		if m == nil {
			delete(h.Runs, k)
		}
	}
	return h, nil
}

// jsonErrorText describes a decoding error without quoting the file's content.
func jsonErrorText(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %q has the wrong type (%s)", te.Field, te.Value)
	}
	return "not a health store"
}

// Marshal encodes the store as written to disk.
func (h *Health) Marshal() ([]byte, error) {
	if h.Version == 0 {
		h.Version = 1
	}
	b, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

type healthJSON Health
type recordJSON Record

// UnmarshalJSON keeps fields this version does not know.
func (h *Health) UnmarshalJSON(b []byte) error {
	extra, err := decodeKeepingExtra(b, (*healthJSON)(h))
	h.extra = extra
	return err
}

// MarshalJSON writes the known fields and the kept unknown ones.
func (h Health) MarshalJSON() ([]byte, error) { return encodeWithExtra((*healthJSON)(&h), h.extra) }

// UnmarshalJSON keeps fields this version does not know.
func (r *Record) UnmarshalJSON(b []byte) error {
	extra, err := decodeKeepingExtra(b, (*recordJSON)(r))
	r.extra = extra
	return err
}

// MarshalJSON writes the known fields and the kept unknown ones.
func (r Record) MarshalJSON() ([]byte, error) { return encodeWithExtra((*recordJSON)(&r), r.extra) }

func decodeKeepingExtra(b []byte, v any) (map[string]json.RawMessage, error) {
	if err := json.Unmarshal(b, v); err != nil {
		return nil, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	// encoding/json matches keys case-insensitively, so "Records" filled Records and is not unknown.
	names := jsonNames(v)
	for k := range all {
		for _, name := range names {
			if strings.EqualFold(k, name) {
				delete(all, k)
				break
			}
		}
	}
	if len(all) == 0 {
		return nil, nil
	}
	return all, nil
}

func encodeWithExtra(v any, extra map[string]json.RawMessage) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	for k, x := range extra {
		if _, known := all[k]; !known && json.Valid(x) {
			all[k] = x
		}
	}
	return json.Marshal(all)
}

var jsonNamesCache sync.Map // reflect.Type → []string

// jsonNames lists the JSON keys of the struct v points to, so the decoder can tell the unknown ones.
func jsonNames(v any) []string {
	t := reflect.TypeOf(v).Elem()
	if n, ok := jsonNamesCache.Load(t); ok {
		return n.([]string)
	}
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	jsonNamesCache.Store(t, names)
	return names
}
