package redisstore

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"github.com/oauth-mux/oauth-mux/state"
)

// Status is what the state dir remembers of the pool's reachability: since when it has been
// offline, and why (doctor shows it). An online pool leaves no file.
type Status struct {
	Offline      bool      `json:"offline"`
	OfflineSince time.Time `json:"offline_since,omitzero"`
	LastError    string    `json:"last_error,omitempty"`
	Address      string    `json:"address"`
	Pool         string    `json:"pool"`
}

// StatusPath is the status file of dir.
func StatusPath(dir string) string { return filepath.Join(dir, "shared-status.json") }

// ReadStatus reads dir's status; a missing or unreadable file is an online pool.
func ReadStatus(dir string) Status {
	var st Status
	data, err := os.ReadFile(StatusPath(dir))
	if err != nil || json.Unmarshal(data, &st) != nil {
		return Status{}
	}
	return st
}

// writeStatus records a change of reachability. Going offline keeps the first instant it was seen
// offline; coming back removes the file. Only a change writes.
func (c *Client) writeStatus(online bool, reason string) {
	if c.opts.Dir == "" {
		return
	}
	prev := ReadStatus(c.opts.Dir)
	if online {
		if prev.Offline {
			_ = os.Remove(StatusPath(c.opts.Dir))
		}
		return
	}
	st := Status{Offline: true, OfflineSince: c.opts.Now().UTC(), LastError: reason, Address: c.address, Pool: c.opts.Pool}
	if prev.Offline && prev.Address == c.address && prev.Pool == c.opts.Pool {
		st.OfflineSince = prev.OfflineSince
	}
	if data, err := json.Marshal(st); err == nil {
		_ = state.WriteFileAtomic(StatusPath(c.opts.Dir), append(data, '\n'), 0o600)
	}
}
