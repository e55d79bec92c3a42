package state

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
)

const canary = "CANARY-tok-9f8e7d6c5b4a"

func TestFingerprint(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "auth.json")
	if Fingerprint(p) != "" || Fingerprint(dir) != "" {
		t.Fatal("fingerprint of a missing file or a dir")
	}
	os.WriteFile(p, []byte(`{"access_token":"`+canary+`"}`), 0o600)
	a := Fingerprint(p)
	if len(a) != 16 || a != Fingerprint(p) {
		t.Fatalf("fingerprint %q not stable", a)
	}
	// Same size, new content (and the writer's rename gives a new inode too).
	if err := WriteFileAtomic(p, []byte(`{"access_token":"CANARY-tok-000000000000"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	b := Fingerprint(p)
	if b == a || b == "" {
		t.Fatalf("fingerprint unchanged after a re-login: %q", b)
	}
	// Same bytes in place but a new mtime still counts as a change.
	later := time.Now().Add(time.Hour)
	os.Chtimes(p, later, later)
	if Fingerprint(p) == b {
		t.Fatal("mtime not part of the fingerprint")
	}
}

// TestNoSecretInStore plants a canary credential, walks an account through death by fingerprint and
// a report, and checks the canary appears in none of the files the state dir holds.
func TestNoSecretInStore(t *testing.T) {
	dir := t.TempDir()
	cred := filepath.Join(t.TempDir(), "auth.json")
	os.WriteFile(cred, []byte(canary), 0o600)
	s := Open(dir)
	err := s.Update(func(h *Health) error {
		h.ApplyVerdict(acc, route, classify.Verdict{Class: classify.Dead, Reason: classify.TokenRevoked},
			Evidence{Fingerprint: Fingerprint(cred), Decision: "fail_over"}, t0, DefaultScoring())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	AppendEvent(dir, Event{Kind: KindRouteVerdict, Provider: "codex", Account: "max-1", Outcome: "dead"})
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			b, _ := os.ReadFile(p)
			if bytes.Contains(b, []byte(canary)) || bytes.Contains(b, []byte(cred)) {
				t.Errorf("%s holds the credential or its path", p)
			}
		}
		return nil
	})
	h, _ := s.Load()
	if h.DeadFingerprint(acc) != Fingerprint(cred) {
		t.Fatal("fingerprint not stored at death")
	}
}

// BenchmarkUpdate: one durable store update (lock, re-read, fsync, rename, dir fsync) of a store
// of 40 routes; /late is the failover's write, whose fsyncs run after it returns (and are waited for
// by the next write, as they would be at the end of a run).
func BenchmarkUpdate(b *testing.B) {
	for _, late := range []bool{false, true} {
		name := "durable"
		if late {
			name = "late"
		}
		b.Run(name, func(b *testing.B) {
			s := Open(b.TempDir())
			for i := range 40 {
				s.Update(func(h *Health) error {
					apply(h, "codex:max-"+string(rune('a'+i%26))+"#c", classify.Verdict{Class: classify.Success}, t0)
					return nil
				})
			}
			s.SetLateSync(late)
			for b.Loop() {
				s.Update(func(h *Health) error {
					apply(h, route, classify.Verdict{Class: classify.RateLimited}, t0)
					return nil
				})
				b.StopTimer()
				_ = s.Sync()
				b.StartTimer()
			}
		})
	}
}

func BenchmarkStatus(b *testing.B) {
	h := NewHealth()
	apply(h, route, classify.Verdict{Class: classify.RateLimited}, t0)
	apply(h, acc, classify.Verdict{Class: classify.Success}, t0)
	for b.Loop() {
		h.Status(acc, route, t0.Add(time.Minute))
	}
}

func BenchmarkParseHealth(b *testing.B) {
	h := NewHealth()
	for i := range 50 {
		apply(h, "codex:max-"+string(rune('a'+i%26))+"#c"+string(rune('a'+i/26)), classify.Verdict{Class: classify.RateLimited}, t0)
	}
	data, _ := h.Marshal()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseHealth(data); err != nil {
			b.Fatal(err)
		}
	}
}
