package redisstore

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzOutbox feeds arbitrary bytes as the outbox file (a torn append, a damaged disk): parsing
// never panics, every write it keeps names its key and is one mark or one clear, and what it keeps
// survives being written back.
func FuzzOutbox(f *testing.F) {
	f.Add([]byte(`{"mark":{"key":"codex:a#max","kind":"liveness","state":"live","availability":"rate_limited","until":"2026-12-02T10:05:00Z","observed_at":"2026-12-02T10:00:00Z","host":"m"}}` + "\n" + `{"clear":{"key":"codex:a","observed_at":"2026-12-02T10:00:01Z","host":"m"}}` + "\n{\"mark\":"))
	f.Add([]byte("\n\n{}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ws := parseOutbox(data)
		var again []byte
		for _, w := range ws {
			if w.Key() == "" || (w.Mark == nil) == (w.Clear == nil) {
				t.Fatalf("kept a write with no key or two kinds: %+v", w)
			}
			js, err := json.Marshal(w)
			if err != nil {
				t.Fatal(err)
			}
			again = append(append(again, js...), '\n')
		}
		if n := len(parseOutbox(again)); n != len(ws) {
			t.Fatalf("%d writes written back parse as %d", len(ws), n)
		}
	})
}

// FuzzDecodeRead feeds arbitrary strings as a pool's stored clear and mark members (another
// version's shape, a damaged server): decoding never panics and keeps only keys with content.
func FuzzDecodeRead(f *testing.F) {
	f.Add("1764669600000 runner-a", `1764670000000 {"kind":"liveness","state":"dead","observed_at":"2026-12-02T10:00:00Z","host":"m"}`)
	f.Add("", "garbage")
	f.Fuzz(func(t *testing.T, clear, member string) {
		now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
		row := []any{"codex:a#max", clear, int64(1000), int64(-1), []any{member}}
		keys, cached := decodeRead([]any{row, "not a row", []any{"short"}}, now)
		if len(keys) != len(cached) || len(keys) > 1 {
			t.Fatalf("keys %d cached %d", len(keys), len(cached))
		}
		for _, k := range keys {
			if k.Clear == nil && len(k.Marks) == 0 {
				t.Fatalf("kept an empty key: %+v", k)
			}
		}
	})
}
