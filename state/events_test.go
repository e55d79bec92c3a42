package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestEventsAppendRead(t *testing.T) {
	dir := t.TempDir()
	if evs, err := ReadEvents(dir, 10); err != nil || len(evs) != 0 {
		t.Fatalf("missing log: %v %v", evs, err)
	}
	ev := Event{Ts: t0, Kind: KindExecAttempt, Profile: "codex-max", Provider: "codex", Account: "max-1",
		Capability: "codex-max", Outcome: "fail_over", Reason: "quota_exhausted",
		Fields: map[string]any{"attempt": 1, "program": "codex", "exit_status": 1, "verdict": "quota_exhausted",
			"rule": "usage-limit", "duration_ms": 1234, "kind": "overridden?"}}
	if err := AppendEvent(dir, ev); err != nil {
		t.Fatal(err)
	}
	if err := AppendEvent(dir, Event{Kind: KindTokenRefresh, Provider: "codex", Account: "max-2",
		Fields: map[string]any{"writeback_capability": "replace_file", "automatic_refresh_admitted": true}}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(EventsPath(dir))
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("lines %q", data)
	}
	var flat map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &flat); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"ts": "2026-11-28T12:00:00Z", "kind": "exec_attempt", "profile": "codex-max",
		"provider": "codex", "account": "max-1", "capability": "codex-max", "outcome": "fail_over",
		"reason": "quota_exhausted", "attempt": 1.0, "program": "codex", "exit_status": 1.0,
		"verdict": "quota_exhausted", "rule": "usage-limit", "duration_ms": 1234.0}
	if fmt.Sprint(flat) != fmt.Sprint(want) {
		t.Fatalf("row\n%v\nwant\n%v", flat, want)
	}
	var flat2 map[string]any
	json.Unmarshal([]byte(lines[1]), &flat2)
	for _, k := range commonEventKeys {
		if _, ok := flat2[k]; !ok {
			t.Errorf("row lacks %q: %s", k, lines[1])
		}
	}
	if fi, _ := os.Stat(EventsPath(dir)); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
	evs, err := ReadEvents(dir, 0)
	if err != nil || len(evs) != 2 {
		t.Fatal(evs, err)
	}
	if evs[0].Kind != KindExecAttempt || !evs[0].Ts.Equal(t0) || evs[0].Fields["program"] != "codex" ||
		evs[1].Kind != KindTokenRefresh || evs[1].Fields["automatic_refresh_admitted"] != true {
		t.Fatalf("%+v", evs)
	}
	if time.Since(evs[1].Ts) > time.Minute {
		t.Fatal("ts not defaulted to now")
	}
	if evs, _ := ReadEvents(dir, 1); len(evs) != 1 || evs[0].Kind != KindTokenRefresh {
		t.Fatalf("limit keeps the newest: %+v", evs)
	}
}

func TestEventsRefuseSecrets(t *testing.T) {
	dir := t.TempDir()
	for _, k := range []string{"access_token", "Authorization", "args", "body", "credential_path"} {
		err := AppendEvent(dir, Event{Kind: KindRepairRun, Fields: map[string]any{k: "CANARY-secret-123"}})
		if err == nil {
			t.Errorf("field %q accepted", k)
		} else if strings.Contains(err.Error(), "CANARY") {
			t.Errorf("error leaks the value: %v", err)
		}
	}
	if err := AppendEvent(dir, Event{}); err == nil {
		t.Error("event without kind accepted")
	}
	if b, _ := os.ReadFile(EventsPath(dir)); bytes.Contains(b, []byte("CANARY")) {
		t.Fatal("secret written")
	}
}

func TestEventsMalformedSkipped(t *testing.T) {
	dir := t.TempDir()
	AppendEvent(dir, Event{Ts: t0, Kind: KindRouteVerdict})
	f, _ := os.OpenFile(EventsPath(dir), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("not json\n{\"kind\":\"x\"}\n[]\n\n{\"ts\":\"2026-11-28T12:00:00Z\"}\n")
	f.Close()
	AppendEvent(dir, Event{Ts: t0.Add(time.Second), Kind: KindDaemonAction})
	evs, skipped, err := ReadEventsSkipped(dir, 0)
	if err != nil || len(evs) != 2 || skipped != 4 || evs[1].Kind != KindDaemonAction {
		t.Fatalf("%+v skipped %d %v", evs, skipped, err)
	}
}

// A writer killed mid-line leaves a torn last line; the next event is a line of its own, not glued
// to the torn one (which would lose both).
func TestEventsAfterTornLine(t *testing.T) {
	dir := t.TempDir()
	AppendEvent(dir, Event{Ts: t0, Kind: KindRouteVerdict})
	f, _ := os.OpenFile(EventsPath(dir), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"ts":"2026-11-28T12:00:01Z","kind":"exec_att`)
	f.Close()
	if err := AppendEvent(dir, Event{Ts: t0.Add(time.Second), Kind: KindDaemonAction}); err != nil {
		t.Fatal(err)
	}
	evs, skipped, err := ReadEventsSkipped(dir, 0)
	if err != nil || len(evs) != 2 || skipped != 1 || evs[1].Kind != KindDaemonAction {
		t.Fatalf("%+v skipped %d %v", evs, skipped, err)
	}
}

func TestEventsRotation(t *testing.T) {
	dir := fastTempDir(t)
	pad := strings.Repeat("x", 900)
	n := 0
	var wg sync.WaitGroup
	var mu sync.Mutex
	// Two writers at once: rotation must not lose or cut lines under the lock.
	for w := range 2 {
		wg.Go(func() {
			for i := range 700 {
				if err := AppendEvent(dir, Event{Ts: t0, Kind: KindExecAttempt, Reason: fmt.Sprintf("w%d-%04d", w, i),
					Fields: map[string]any{"pad": pad}}); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				n++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	data, err := os.ReadFile(EventsPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > MaxEventsSize || len(data) < MaxEventsSize/2-2000 {
		t.Fatalf("size after rotation %d", len(data))
	}
	if data[len(data)-1] != '\n' {
		t.Fatal("does not end on a line boundary")
	}
	evs, skipped, err := ReadEventsSkipped(dir, 0)
	if err != nil || skipped != 0 {
		t.Fatalf("rotation cut a line: skipped %d %v", skipped, err)
	}
	// The newest events survive, in order, per writer.
	last := map[string]string{}
	for _, e := range evs {
		w := e.Reason[:2]
		if e.Reason <= last[w] {
			t.Fatalf("out of order: %s after %s", e.Reason, last[w])
		}
		last[w] = e.Reason
	}
	if last["w0"] != "w0-0699" || last["w1"] != "w1-0699" {
		t.Fatalf("newest lost: %v", last)
	}
}

func TestKeepNewestHalf(t *testing.T) {
	cases := map[string]string{
		"aa\nbb\ncc\ndd\n": "cc\ndd\n",
		"aaaaaaaa\nb\n":    "b\n",
		"a\nbbbbbbbb\n":    "",
		"a\nb\nccccc\n":    "", // the line the cut falls in goes too
		"":                 "",
	}
	for in, want := range cases {
		if got := string(keepNewestHalf([]byte(in))); got != want {
			t.Errorf("keepNewestHalf(%q) = %q, want %q", in, got, want)
		}
	}
}
