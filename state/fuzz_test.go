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

// FuzzLoadHealth feeds arbitrary bytes as health.json: Load must never panic or fail, a store that
// parses must survive a round trip and evaluation, and one that does not must be moved aside.
func FuzzLoadHealth(f *testing.F) {
	f.Add([]byte(`{"version":1,"records":{}}`))
	f.Add([]byte(`{"records":{"a:b#c":{"liveness":{"state":"dead"},"circuit":{"state":"open"}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		s := Open(dir)
		if err := os.WriteFile(s.Path(), data, 0o600); err != nil {
			t.Fatal(err)
		}
		h, err := s.Load()
		if err != nil || h == nil {
			t.Fatalf("Load: %v", err)
		}
		_, perr := ParseHealth(data)
		aside, _ := filepath.Glob(filepath.Join(dir, "health.json.corrupt-*"))
		if perr != nil {
			if len(aside) != 1 || len(s.Warnings()) != 1 || len(h.Records) != 0 {
				t.Fatalf("damaged store not moved aside: %v %v", aside, s.Warnings())
			}
			if strings.Contains(s.Warnings()[0], "\n") {
				t.Fatalf("warning is not one line: %q", s.Warnings()[0])
			}
			return
		}
		if len(aside) != 0 || len(s.Warnings()) != 0 {
			t.Fatalf("good store moved aside: %v", s.Warnings())
		}
		now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
		for k := range h.Records {
			h.Status(AccountKeyOf(k), k, now)
			h.Score(k, now, DefaultScoring())
		}
		if _, err := json.Marshal(h.Report("", now)); err != nil {
			t.Fatal(err)
		}
		h.ApplyVerdict("a:b", "a:b#c", classify.Verdict{Class: classify.RateLimited}, Evidence{}, now, DefaultScoring())
		h.CountRun("a:b", now)
		h.NextCursor("p")
		out, err := h.Marshal()
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		h2, err := ParseHealth(out)
		if err != nil {
			t.Fatalf("re-parse of our own output: %v\n%s", err, out)
		}
		if len(h2.Records) != len(h.Records) {
			t.Fatalf("round trip lost records")
		}
	})
}

// FuzzReadEvents feeds arbitrary bytes as the events log: ReadEvents must never panic, and every
// event it returns must marshal again.
func FuzzReadEvents(f *testing.F) {
	f.Add([]byte(`{"ts":"2026-11-28T12:00:00Z","kind":"exec_attempt","attempt":1}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(EventsPath(dir), data, 0o600); err != nil {
			t.Fatal(err)
		}
		evs, _, err := ReadEventsSkipped(dir, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Kind == "" {
				t.Fatal("event without kind returned")
			}
			if _, err := json.Marshal(e); err != nil {
				t.Fatal(err)
			}
		}
	})
}
