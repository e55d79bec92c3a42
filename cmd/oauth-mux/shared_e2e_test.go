//go:build unix

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/internal/testredis"
)

// machine makes e one machine of the pool on srv: its own HOME and state dir (newE2E), its host id.
// The pool is named by OMUX_REDIS_URL alone; the config only widens the timeout, which a loaded
// -race run on two cores can exceed.
func (e *e2e) machine(srv *testredis.Server, host string) *e2e {
	e.t.Helper()
	data, err := os.ReadFile(e.cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(data, &cfg); err != nil {
		e.t.Fatal(err)
	}
	cfg["shared"] = map[string]any{"redis": map[string]any{"url": "redis://127.0.0.1:1/0", "pool": "default", "timeout_ms": 3000}}
	data, _ = json.Marshal(cfg)
	e.write("config.json", string(data))
	e.env = append(e.env, "OMUX_REDIS_URL="+srv.URL(), "OMUX_HOST_ID="+host)
	return e
}

// codexLimitUntil is Codex's JSON usage-limit event (classify/testdata/fixtures/codex/usage-limit-json.txt)
// with its reset moved to at.
func codexLimitUntil(at time.Time) string {
	return fmt.Sprintf(`err Error: Codex error: {"type":"error","error":{"type":"usage_limit_reached","message":"The usage limit has been reached","plan_type":"plus","resets_at":%d,"eligible_promo":null,"resets_in_seconds":%d},"status_code":429}`,
		at.Unix(), int(time.Until(at).Seconds()))
}

// TestSharedLimitAcrossMachines: a usage limit machine A saw is skipped by machine B's next run
// (which never starts the spent account), shows A as its source, and ends at its reset on B too.
func TestSharedLimitAcrossMachines(t *testing.T) {
	t.Parallel()
	srv := testredis.Start(t)
	a := newE2E(t, twoCodex).machine(srv, "runner-a")
	b := newE2E(t, twoCodex).machine(srv, "runner-b")

	// Long enough for a -race build on two loaded cores (a run there takes seconds) to look before it ends.
	reset := time.Now().Add(14 * time.Second).Truncate(time.Second).Add(time.Second)
	a.script("c1", codexLimitUntil(reset), "exit 1")
	a.script("c2", "out ran on a2")
	if code, out, errb := a.run("", "exec", "--profile", "p", "--", "codex", "exec", "fix"); code != 0 || !strings.Contains(out, "ran on a2") {
		t.Fatalf("A: exit %d\n%s\n%s", code, out, errb)
	}

	b.script("c1", "write b-a1-ran yes", "out ran on a1")
	b.script("c2", "out ran on a2")
	code, out, errb := b.run("", "exec", "--profile", "p", "--", "codex", "exec", "fix")
	if code != 0 || !strings.Contains(out, "ran on a2") || fileExists(filepath.Join(b.dir, "b-a1-ran")) {
		t.Fatalf("B did not skip the route A found spent: exit %d\n%s\n%s", code, out, errb)
	}
	if strings.Contains(errb, "offline") {
		t.Errorf("B reports the pool offline:\n%s", errb)
	}

	_, out, _ = b.run("", "route", "explain", "--profile", "p")
	if !strings.Contains(out, "seen on runner-a") {
		t.Errorf("route explain on B does not name the host that saw the limit:\n%s", out)
	}
	_, out, _ = b.run("", "health", "--shared")
	if !strings.Contains(out, "codex:a1#codex-max") || !strings.Contains(out, "quota_exhausted") || !strings.Contains(out, "seen on runner-a") {
		t.Errorf("health --shared:\n%s", out)
	}
	var shared struct {
		Pool string `json:"pool"`
		Keys []struct {
			Key   string `json:"key"`
			Marks []struct {
				Host  string    `json:"host"`
				Until time.Time `json:"until"`
			} `json:"marks"`
		} `json:"keys"`
	}
	_, out, _ = b.run("", "--json", "health", "--shared")
	if err := json.Unmarshal([]byte(out), &shared); err != nil || shared.Pool != "default" || len(shared.Keys) == 0 || len(shared.Keys[0].Marks) != 1 {
		t.Fatalf("health --shared --json: %v\n%s", err, out)
	}
	if m := shared.Keys[0].Marks[0]; m.Host != "runner-a" || !m.Until.Equal(reset) {
		t.Errorf("the shared mark is %+v, want runner-a until %s", m, reset)
	}
	_, out, _ = b.run("", "--json", "doctor")
	if !strings.Contains(out, `"kind": "redis"`) || !strings.Contains(out, `"reachable": true`) || !strings.Contains(out, `"latency_ms"`) {
		t.Errorf("doctor --json does not report a reachable pool:\n%s", out)
	}

	// After the reset the route comes back on B.
	time.Sleep(time.Until(reset) + 100*time.Millisecond)
	code, out, errb = b.run("", "exec", "--profile", "p", "--", "codex", "exec", "fix")
	if code != 0 || !strings.Contains(out, "ran on a1") {
		t.Fatalf("after the reset B did not go back to a1: exit %d\n%s\n%s", code, out, errb)
	}
}

// TestSharedOffline: with Redis gone every exec still runs on this machine's health, says once that
// shared health is offline, and keeps its marks in the outbox; doctor shows since when. When Redis
// is back the next run replays the outbox and the other machine sees the mark.
func TestSharedOffline(t *testing.T) {
	t.Parallel()
	srv := testredis.Start(t)
	a := newE2E(t, twoCodex).machine(srv, "runner-a")
	b := newE2E(t, twoCodex).machine(srv, "runner-b")
	srv.Kill()

	a.script("c1", "err "+codexLimit, "exit 1")
	a.script("c2", "out ran on a2")
	start := time.Now()
	code, out, errb := a.run("", "exec", "--profile", "p", "--", "codex", "exec", "fix")
	if code != 0 || !strings.Contains(out, "ran on a2") {
		t.Fatalf("A with Redis down: exit %d\n%s\n%s", code, out, errb)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("A's run with Redis down took %v", d)
	}
	if n := strings.Count(errb, "shared health is offline"); n != 1 {
		t.Errorf("the offline notice appears %d times:\n%s", n, errb)
	}
	// A's next run skips a1 on local health alone.
	a.script("c1", "write a-a1-ran yes")
	if code, out, _ := a.run("", "exec", "--profile", "p", "--", "codex", "exec", "fix"); code != 0 || !strings.Contains(out, "ran on a2") || fileExists(filepath.Join(a.dir, "a-a1-ran")) {
		t.Fatalf("A's local health did not hold: exit %d\n%s", code, out)
	}
	if data, err := os.ReadFile(filepath.Join(a.state, "shared-outbox.jsonl")); err != nil || !strings.Contains(string(data), "codex:a1#codex-max") {
		t.Fatalf("outbox: %v\n%s", err, data)
	}
	_, out, _ = a.run("", "doctor")
	if !strings.Contains(out, "offline") || !strings.Contains(out, " since ") || !strings.Contains(out, "waiting in the outbox") {
		t.Errorf("doctor with Redis down:\n%s", out)
	}

	srv.Restart()
	a.script("c2", "out ran on a2")
	if code, _, errb := a.run("", "exec", "--profile", "p", "--", "codex", "exec", "fix"); code != 0 || strings.Contains(errb, "offline") {
		t.Fatalf("A with Redis back: exit %d\n%s", code, errb)
	}
	if fileExists(filepath.Join(a.state, "shared-outbox.jsonl")) {
		t.Error("the outbox was not replayed")
	}
	b.script("c1", "write b-a1-ran yes")
	b.script("c2", "out ran on a2")
	if code, out, errb := b.run("", "exec", "--profile", "p", "--", "codex", "exec", "fix"); code != 0 || !strings.Contains(out, "ran on a2") || fileExists(filepath.Join(b.dir, "b-a1-ran")) {
		t.Fatalf("B does not see the replayed mark: exit %d\n%s\n%s", code, out, errb)
	}
}
