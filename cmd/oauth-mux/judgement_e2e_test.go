//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"fmt"

	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/oauth-mux/oauth-mux/state"
)

// The evidence rules of SPEC §5.5 on the whole binary: what a user does, and what must (not) happen.

// newClaudeE2E is a world of two Claude accounts, k1 (tried first) and k2 (which prints "ran on k2"),
// in profile "p".
func newClaudeE2E(t *testing.T) *e2e {
	e := newE2E(t, fixtureConfig("claude", "auth-status", "CLAUDE_CONFIG_DIR", ".credentials.json"))
	for _, k := range []string{"k1", "k2"} {
		e.write("home/"+k+"/.credentials.json", `{"claudeAiOauth": {"accessToken": "sk-ant-oat01-`+k+`", "refreshToken": "sk-ant-ort01-`+k+`", "expiresAt": 4102444800000}}`)
	}
	e.script("k2", "out ran on k2")
	return e
}

func (e *e2e) routeRecord(key string) *state.Record {
	e.t.Helper()
	return e.health().Records[key]
}

// A child that exited 0 is never run again on the strength of words in its output, whatever the
// words: a model's answer that mentions a limit, quotes a Codex notice in a fixture it wrote, or
// mentions an API error.
func TestExecSuccessIsNeverRerun(t *testing.T) {
	t.Parallel()
	for _, text := range []string{
		"⏺ Done. Note: the CI bot weekly limit reached 80% yesterday",
		"You've hit your usage limit. Try again in 3 hours.",
		"5-hour limit reached ∙ resets 5am",
		"API Error: 500 {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"Internal server error\"}}",
		"OAuth token revoked · Please run /login",
	} {
		t.Run(text[:12], func(t *testing.T) {
			t.Parallel()
			e := newClaudeE2E(t)
			marker := filepath.Join(e.dir, "runs")
			script := fmt.Sprintf("echo x >> %s; printf '%%s\\n' %q; exit 0", marker, text)
			code, stdout, stderr := e.run("", "exec", "--profile", "p", "--", "sh", "-c", script)
			if code != 0 || strings.Contains(stdout, "ran on k2") || strings.Contains(stderr, "oauth-mux") {
				t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
			}
			if b, _ := os.ReadFile(marker); string(b) != "x\n" {
				t.Errorf("the command ran %d times", strings.Count(string(b), "x"))
			}
			if r := e.routeRecord("claude:k1#auth-status"); r == nil || r.Liveness.Availability != state.Available {
				t.Errorf("k1 was marked: %+v", r)
			}
		})
	}
}

// What the user types into an interactive CLI is never evidence: the pty echoes it into the output,
// here exactly the notice Claude Code prints, framed at the start of a line. The session goes on and
// ends with the user's ^D; nothing is stopped, restarted or marked.
func TestExecTypedInputIsNotEvidence(t *testing.T) {
	t.Parallel()
	e := newClaudeE2E(t)
	e.script("k1", "out ready", "cat", "out session over")
	c := e.command("exec", "--profile", "p", "--", "claude")
	ptmx, err := pty.StartWithSize(c, &pty.Winsize{Rows: 30, Cols: 120})
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	var mu sync.Mutex
	var out bytes.Buffer
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			mu.Lock()
			out.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	waitOutput := func(want string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			mu.Lock()
			ok := strings.Count(out.String(), want) > 0
			s := out.String()
			mu.Unlock()
			if ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %q in the output:\n%s", want, s)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitOutput("ready")
	// Typed a key at a time, as a person does.
	for _, r := range "5-hour limit reached ∙ resets 5am\r" {
		if _, err := ptmx.Write([]byte(string(r))); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	waitOutput("resets 5am\r\n5-hour limit reached") // echoed, then printed back by cat
	time.Sleep(300 * time.Millisecond)               // time for oauth-mux to (wrongly) act on it
	_, _ = ptmx.Write([]byte{4})                     // ^D: cat sees EOF
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		_ = c.Process.Kill()
		t.Fatal("oauth-mux did not end")
	}
	// The reader above may still be copying the last bytes oauth-mux wrote before it exited.
	waitOutput("session over")
	mu.Lock()
	text := out.String()
	mu.Unlock()
	if ws := waitStatus(t, err); ws.ExitStatus() != 0 {
		t.Errorf("exit %v\n%s", ws, text)
	}
	if strings.Contains(text, "ran on k2") || strings.Contains(text, "oauth-mux:") || !strings.Contains(text, "session over") {
		t.Errorf("typed input stopped or restarted the session:\n%s", text)
	}
	if r := e.routeRecord("claude:k1#auth-status"); r == nil || r.Liveness.Availability != state.Available {
		t.Errorf("k1 was marked by typed input: %+v", r)
	}
}

// --on-limit ignore: the limit an interactive child prints is recorded against its route, the child
// runs on, and its exit 0 ends the run: it is not run again.
func TestExecOnLimitIgnoreRecordsAndFinishes(t *testing.T) {
	t.Parallel()
	e := newClaudeE2E(t)
	e.script("k1", "out   ⎿  You've hit your session limit · resets 5:40pm (Europe/Berlin)", "sleep 300ms", "out still here", "exit 0")
	code, out := runUnderPTY(t, e, []string{"exec", "--profile", "p", "--on-limit", "ignore", "--", "claude"})
	if code != 0 || strings.Contains(out, "ran on k2") || !strings.Contains(out, "still here") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if !strings.Contains(out, "claude:k1#auth-status quota_exhausted until ") || !strings.Contains(out, "the child went on") {
		t.Errorf("the recorded limit is not reported:\n%s", out)
	}
	if r := e.routeRecord("claude:k1#auth-status"); r == nil || r.Liveness.Availability != state.QuotaExhausted {
		t.Errorf("k1's route is not quota_exhausted: %+v", r)
	}
}

// A structured stream-json run: the rejected rate_limit_event names the reset, the result is an
// error, and the reset printed to the user, the report, the event and the health record agree.
func TestExecStructuredResetAgrees(t *testing.T) {
	t.Parallel()
	e := newClaudeE2E(t)
	reset := time.Now().Add(3 * time.Hour).Truncate(10 * time.Minute).UTC()
	lines := []string{
		`{"type":"system","subtype":"init","session_id":"s1","model":"claude-opus-4-1"}`,
		fmt.Sprintf(`{"type":"rate_limit_event","rate_limit_info":{"status":"rejected","resetsAt":%d,"rateLimitType":"five_hour","isUsingOverage":false},"uuid":"u1","session_id":"s1"}`, reset.Unix()),
		`{"type":"assistant","message":{"model":"<synthetic>","role":"assistant","content":[{"type":"text","text":"You've hit your limit · resets 2pm"}]},"error":"rate_limit","session_id":"s1"}`,
		`{"type":"result","subtype":"success","is_error":true,"duration_ms":311,"num_turns":1,"result":"You've hit your limit · resets 2pm","api_error_status":429,"session_id":"s1"}`,
	}
	var steps []string
	for _, l := range lines {
		steps = append(steps, "out "+l)
	}
	e.script("k1", append(steps, "exit 1")...)
	report := filepath.Join(e.dir, "report.json")
	code, stdout, stderr := e.run("", "exec", "--profile", "p", "--json-report", report, "--",
		"claude", "-p", "hi", "--output-format", "stream-json", "--verbose")
	if code != 0 || !strings.Contains(stdout, "ran on k2") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	want := reset.Format(time.RFC3339)
	if !strings.Contains(stderr, "claude:k1#auth-status quota_exhausted until "+want) {
		t.Errorf("stderr does not name the reset %s:\n%s", want, stderr)
	}
	data, _ := os.ReadFile(report)
	var rep struct {
		Attempts []struct {
			Verdict struct{ Class, Rule, ResetAt string } `json:"verdict"`
		}
	}
	_ = json.Unmarshal(bytes.ReplaceAll(data, []byte(`"reset_at"`), []byte(`"ResetAt"`)), &rep)
	if len(rep.Attempts) != 2 || rep.Attempts[0].Verdict.Class != "quota_exhausted" || rep.Attempts[0].Verdict.ResetAt != want {
		t.Errorf("report: %s", data)
	}
	r := e.routeRecord("claude:k1#auth-status")
	if r == nil || r.Liveness.WindowResetsAt == nil || !r.Liveness.WindowResetsAt.Equal(reset) ||
		r.LastEvidence == nil || r.LastEvidence.ResetAt == nil || !r.LastEvidence.ResetAt.Equal(reset) {
		t.Errorf("health record disagrees with %s: %+v", want, r)
	}
	events, _ := os.ReadFile(filepath.Join(e.state, "repair-events.jsonl"))
	if !bytes.Contains(events, []byte(`"reset_at":"`+want+`"`)) {
		t.Errorf("events lack reset_at %s:\n%s", want, events)
	}
}

// A reset beyond the 7-day cap: the liveness window is capped, the record keeps what the CLI said.
func TestExecPrintedResetKeptBeyondCap(t *testing.T) {
	t.Parallel()
	e := newClaudeE2E(t)
	reset := time.Now().Add(10 * 24 * time.Hour).Truncate(time.Minute).UTC()
	e.script("k1", fmt.Sprintf("out Claude AI usage limit reached|%d", reset.Unix()), "exit 1")
	code, _, stderr := e.run("", "exec", "--profile", "p", "--", "claude", "-p", "hi")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "until "+reset.Format(time.RFC3339)) {
		t.Errorf("stderr: %s", stderr)
	}
	r := e.routeRecord("claude:k1#auth-status")
	if r == nil || r.LastEvidence == nil || r.LastEvidence.ResetAt == nil || !r.LastEvidence.ResetAt.Equal(reset) {
		t.Fatalf("record: %+v", r)
	}
	if w := r.Liveness.WindowResetsAt; w == nil || time.Until(*w) > state.MaxQuotaWindow+time.Minute {
		t.Errorf("window %v is not capped at %v", w, state.MaxQuotaWindow)
	}
}
