package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/oauth-mux/oauth-mux/internal/omux"
)

// Event kinds (SPEC §4.3).
const (
	KindExecAttempt   = "exec_attempt"
	KindExecFailover  = "exec_failover"
	KindRouteVerdict  = "route_verdict"
	KindRepairRun     = "repair_run"
	KindDaemonAction  = "daemon_action"
	KindDaemonHandoff = "daemon_handoff"
	KindTokenRefresh  = "token_refresh"
)

// Event is one row of <state dir>/repair-events.jsonl. It is written flat: the common fields and
// then Fields' kind-specific ones (exec_attempt: attempt, program, exit_status, verdict, rule,
// duration_ms; token_refresh: writeback_capability, automatic_refresh_admitted) at the top level.
//
// An event must NEVER hold a token, a credential path, a response body, a header (Authorization,
// Cookie), or the child's arguments (they may hold prompts): the log is meant to be shared when
// asking for help. Program is the base name of argv[0] only. AppendEvent refuses Fields whose names
// say they carry such things, but the rule is the caller's to keep.
type Event struct {
	Ts         time.Time
	Kind       string
	Profile    string
	Provider   string
	Account    string
	Capability string
	Outcome    string
	Reason     string
	Fields     map[string]any
}

var commonEventKeys = []string{"ts", "kind", "profile", "provider", "account", "capability", "outcome", "reason"}

// forbiddenEventFields are names that could only carry what an event must never hold.
var forbiddenEventFields = []string{"token", "access_token", "refresh_token", "id_token", "authorization",
	"cookie", "set_cookie", "body", "headers", "header", "args", "argv", "arguments", "credential_path",
	"secret", "password", "prompt", "output"}

// MarshalJSON writes the event flat; the common keys always appear and win over Fields.
func (e Event) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(e.Fields)+len(commonEventKeys))
	for k, v := range e.Fields {
		m[k] = v
	}
	m["ts"] = e.Ts.UTC().Format(time.RFC3339)
	m["kind"], m["profile"], m["provider"], m["account"] = e.Kind, e.Profile, e.Provider, e.Account
	m["capability"], m["outcome"], m["reason"] = e.Capability, e.Outcome, e.Reason
	return json.Marshal(m)
}

// UnmarshalJSON reads a flat row; keys other than the common ones land in Fields.
func (e *Event) UnmarshalJSON(b []byte) error {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	if m == nil {
		return errors.New("event is not an object")
	}
	str := func(k string) string {
		s, _ := m[k].(string)
		delete(m, k)
		return s
	}
	ts := str("ts")
	t, err := time.Parse(time.RFC3339, ts)
	if err != nil {
		return fmt.Errorf("event ts %q is not RFC 3339", ts)
	}
	*e = Event{Ts: t, Kind: str("kind"), Profile: str("profile"), Provider: str("provider"),
		Account: str("account"), Capability: str("capability"), Outcome: str("outcome"), Reason: str("reason")}
	if e.Kind == "" {
		return errors.New("event has no kind")
	}
	if len(m) > 0 {
		e.Fields = m
	}
	return nil
}

// Key is the route the event is about: provider:account#capability, or as much of it as the event
// names ("" for none).
func (e Event) Key() string {
	switch {
	case e.Account != "":
		return omux.Route(e.Provider, e.Account, e.Capability).String()
	case e.Capability != "":
		return e.Provider + "#" + e.Capability
	}
	return e.Provider
}

// EventsPath is <dir>/repair-events.jsonl.
func EventsPath(dir string) string { return filepath.Join(dir, "repair-events.jsonl") }

// Rotation: past MaxEventsSize the log keeps its newest half.
const (
	MaxEventsSize = 1 << 20
	maxEventLine  = 64 << 10
)

// AppendEvent appends one event (Ts defaults to now) under locks/events.lock, and rotates the log
// when it grew past MaxEventsSize.
func AppendEvent(dir string, ev Event) error {
	if ev.Kind == "" {
		return errors.New("event: no kind")
	}
	for k := range ev.Fields {
		lk := strings.ToLower(k)
		for _, f := range forbiddenEventFields {
			if lk == f {
				return fmt.Errorf("event: field %q may not be logged", k)
			}
		}
	}
	if ev.Ts.IsZero() {
		ev.Ts = time.Now()
	}
	line, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("event: %w", err)
	}
	if len(line) > maxEventLine {
		return fmt.Errorf("event: %d bytes is too large", len(line))
	}
	line = append(line, '\n')
	if err := EnsureDir(dir); err != nil {
		return fmt.Errorf("event: %w", err)
	}
	l, err := lockBlocking(filepath.Join(LocksDir(dir), "events.lock"))
	if err != nil {
		return fmt.Errorf("event: %w", err)
	}
	defer l.releaseQuiet()
	path := EventsPath(dir)
	f, err := openStateFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE)
	if err != nil {
		return fmt.Errorf("event: %w", err)
	}
	if torn(f) {
		// A writer killed mid-line left the last line unterminated: end it, so this event is a line
		// of its own and not the tail of a broken one.
		line = append([]byte{'\n'}, line...)
	}
	_, werr := f.Write(line)
	fi, serr := f.Stat()
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("event: %w", werr)
	}
	if serr == nil && fi.Size() > MaxEventsSize {
		return rotateEvents(path)
	}
	return nil
}

// torn reports whether f (open for reading) is non-empty and does not end with a newline.
func torn(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return false
	}
	var last [1]byte
	n, err := f.ReadAt(last[:], fi.Size()-1)
	return err == nil && n == 1 && last[0] != '\n'
}

// rotateEvents keeps the newest half of the log, starting on a line boundary. The caller holds the
// events lock; readers see the old or the new file, never a cut line.
func rotateEvents(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("event: rotate: %w", err)
	}
	return WriteFileAtomic(path, keepNewestHalf(data), 0o600)
}

func keepNewestHalf(data []byte) []byte {
	cut := len(data) - len(data)/2
	if cut > 0 && data[cut-1] != '\n' {
		i := bytes.IndexByte(data[cut:], '\n')
		if i < 0 {
			return nil
		}
		cut += i + 1
	}
	return data[cut:]
}

// ReadEvents returns the newest limit events (all when limit <= 0), oldest first. Malformed lines
// are skipped; ReadEventsSkipped also says how many.
func ReadEvents(dir string, limit int) ([]Event, error) {
	evs, _, err := ReadEventsSkipped(dir, limit)
	return evs, err
}

// maxEventsRead bounds what a reader loads of a log that somehow grew past rotation: the tail only.
const maxEventsRead = 16 << 20

// ReadEventsSkipped is ReadEvents that also counts the malformed lines it skipped.
func ReadEventsSkipped(dir string, limit int) ([]Event, int, error) {
	f, err := os.Open(EventsPath(dir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > maxEventsRead {
		if _, err := f.Seek(fi.Size()-maxEventsRead, io.SeekStart); err != nil {
			return nil, 0, err
		}
	}
	data, err := io.ReadAll(io.LimitReader(f, maxEventsRead))
	if err != nil {
		return nil, 0, err
	}
	lines := bytes.Split(data, []byte{'\n'})
	var evs []Event
	skipped := 0
	// Walk from the newest line back so a small limit parses only what it returns.
	for i := len(lines) - 1; i >= 0; i-- {
		line := bytes.TrimSpace(lines[i])
		if len(line) == 0 {
			continue
		}
		if limit > 0 && len(evs) == limit {
			break
		}
		var ev Event
		if err := json.Unmarshal(line, &ev); err != nil {
			skipped++
			continue
		}
		evs = append(evs, ev)
	}
	slices.Reverse(evs)
	return evs, skipped, nil
}
