package state

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Handoff statuses. queued and acked are pending: the user has a repair to do.
const (
	HandoffQueued   = "queued"
	HandoffAcked    = "acked"
	HandoffCleared  = "cleared"
	HandoffResolved = "resolved"
)

// Handoff is a repair background work may not run (an interactive login) queued for the user, once
// per route and repair kind until it is cleared or resolved. Command is oauth-mux's own repair
// command for the route: no path, no credential, nothing the user typed.
type Handoff struct {
	ID         string     `json:"id"`
	Route      string     `json:"route"`
	Kind       string     `json:"kind"`
	Command    string     `json:"command"`
	Reason     string     `json:"reason,omitempty"`
	Status     string     `json:"status"`
	QueuedAt   time.Time  `json:"queued_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	ResolvedBy string     `json:"resolved_by,omitempty"` // "user" or "route_recovered"
	AckedAt    *time.Time `json:"acked_at,omitempty"`
}

// Pending reports whether the handoff still waits for the user.
func (h Handoff) Pending() bool { return h.Status == HandoffQueued || h.Status == HandoffAcked }

// Handoffs is the handoff file of a state dir.
type Handoffs struct {
	Version  int       `json:"version"`
	Handoffs []Handoff `json:"handoffs"`
}

// maxHandoffs bounds the file: past it the oldest finished handoffs go.
const maxHandoffs = 200

// HandoffsPath is <dir>/daemon-handoffs.json.
func HandoffsPath(dir string) string { return filepath.Join(dir, "daemon-handoffs.json") }

// HandoffID names a handoff queued for route and kind at at.
func HandoffID(route, kind string, at time.Time) string {
	sum := sha256.Sum256([]byte(route + "\x00" + kind + "\x00" + at.UTC().Format(time.RFC3339Nano)))
	return "h-" + hex.EncodeToString(sum[:5])
}

// LoadHandoffs reads the handoff file; a missing one is empty. A file that does not parse is an error
// naming it (handoffs are the user's to-do list: it is not silently dropped).
func LoadHandoffs(dir string) (*Handoffs, error) {
	data, err := os.ReadFile(HandoffsPath(dir))
	if errors.Is(err, fs.ErrNotExist) {
		return &Handoffs{Version: 1, Handoffs: []Handoff{}}, nil
	}
	if err != nil {
		return nil, err
	}
	var hs Handoffs
	if err := json.Unmarshal(data, &hs); err != nil {
		return nil, fmt.Errorf("%s: %w", HandoffsPath(dir), err)
	}
	if hs.Handoffs == nil {
		hs.Handoffs = []Handoff{}
	}
	return &hs, nil
}

// UpdateHandoffs runs fn on the handoff file under its lock and replaces it atomically when fn
// reports a change.
func UpdateHandoffs(dir string, fn func(*Handoffs) (changed bool, err error)) error {
	if err := EnsureDir(dir); err != nil {
		return err
	}
	l, err := lockBlocking(filepath.Join(LocksDir(dir), "handoffs.lock"))
	if err != nil {
		return err
	}
	defer l.releaseQuiet()
	hs, err := LoadHandoffs(dir)
	if err != nil {
		return err
	}
	changed, err := fn(hs)
	if err != nil || !changed {
		return err
	}
	hs.trim()
	data, err := json.MarshalIndent(hs, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(HandoffsPath(dir), append(data, '\n'), 0o600)
}

// trim drops the oldest finished handoffs past maxHandoffs; pending ones always stay.
func (hs *Handoffs) trim() {
	for over := len(hs.Handoffs) - maxHandoffs; over > 0; over-- {
		i := -1
		for j, h := range hs.Handoffs {
			if !h.Pending() {
				i = j
				break
			}
		}
		if i < 0 {
			return
		}
		hs.Handoffs = append(hs.Handoffs[:i], hs.Handoffs[i+1:]...)
	}
}

// PendingFor is the pending handoff of route and kind, or nil.
func (hs *Handoffs) PendingFor(route, kind string) *Handoff {
	for i := range hs.Handoffs {
		if h := &hs.Handoffs[i]; h.Pending() && h.Route == route && h.Kind == kind {
			return h
		}
	}
	return nil
}

// Find is the handoff with id, or nil.
func (hs *Handoffs) Find(id string) *Handoff {
	for i := range hs.Handoffs {
		if hs.Handoffs[i].ID == id {
			return &hs.Handoffs[i]
		}
	}
	return nil
}
