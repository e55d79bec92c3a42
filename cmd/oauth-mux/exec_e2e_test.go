//go:build unix

// End-to-end tests of `oauth-mux exec` that need Go rather than a script: signals sent to oauth-mux
// itself, a real terminal on its stdin, clocks, concurrency and SIGKILL. They run the same binaries as
// the testscript suites (this test binary, installed on PATH by testscript.Main in TestMain under the
// names oauth-mux, fakecli, codex, claude, gh).
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/state"
	"github.com/oauth-mux/oauth-mux/testkit"
)

// e2e is one sealed oauth-mux world: a home, a config and a state dir under t.TempDir().
type e2e struct {
	t     *testing.T
	dir   string // the working directory of every run
	home  string
	state string
	cfg   string
	env   []string
}

// twoCodex is a config with two Codex accounts whose config dirs are ~/c1 and ~/c2.
const twoCodex = `{
  "version": 1,
  "providers": {
    "codex": {
      "kind": "codex",
      "config_dir_env": "CODEX_HOME",
      "accounts": {
        "a1": {"priority": 20, "config_dir": "~/c1", "secret": {"backend": "file", "path": "~/c1/auth.json"}},
        "a2": {"priority": 10, "config_dir": "~/c2", "secret": {"backend": "file", "path": "~/c2/auth.json"}}
      }
    }
  },
  "profiles": {"p": {"providers": ["codex:a1#codex-max", "codex:a2#codex-max"], "strategy": "f", "affinity_ttl_minutes": 0}},
  "strategies": {"f": {"kind": "priority-failover"}}
}`

// codexLimit is a real Codex line (classify/testdata/fixtures/codex/usage-limit-in-days.txt).
const codexLimit = "■ You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing) or try again in 4 days 6 hours 37 minutes."

func newE2E(t *testing.T, config string) *e2e {
	t.Helper()
	if _, err := exec.LookPath("oauth-mux"); err != nil {
		t.Skip("oauth-mux is not on PATH (run through go test, whose TestMain installs it)")
	}
	dir := t.TempDir()
	vars, err := testkit.Env(dir)
	if err != nil {
		t.Fatal(err)
	}
	e := &e2e{t: t, dir: dir, home: vars["HOME"], state: vars["OMUX_STATE_DIR"], cfg: filepath.Join(dir, "config.json")}
	for _, d := range []string{"c1", "c2", "c3"} {
		e.write("home/"+d+"/auth.json", `{"tokens": {"access_token": "tok-`+d+`", "refresh_token": "ref-`+d+`"}}`)
	}
	e.write("config.json", config)
	e.env = os.Environ()
	for k, v := range vars {
		e.env = append(e.env, k+"="+v)
	}
	return e
}

// write writes a file under the test's dir (creating parents).
func (e *e2e) write(rel, content string) string {
	e.t.Helper()
	p := filepath.Join(e.dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// script gives the account whose config dir is ~/<cdir> its fake CLI steps.
func (e *e2e) script(cdir string, lines ...string) {
	e.write("home/"+cdir+"/fakecli.script", strings.Join(lines, "\n")+"\n")
}

func (e *e2e) command(args ...string) *exec.Cmd {
	c := exec.Command("oauth-mux", append([]string{"--config", e.cfg}, args...)...)
	c.Env = e.env
	c.Dir = e.dir
	return c
}

// run runs oauth-mux to the end and returns its exit status (-1 on a signal death), stdout, stderr.
func (e *e2e) run(stdin string, args ...string) (int, string, string) {
	e.t.Helper()
	c := e.command(args...)
	var out, errb bytes.Buffer
	c.Stdin, c.Stdout, c.Stderr = strings.NewReader(stdin), &out, &errb
	err := c.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		e.t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

func (e *e2e) health() *state.Health {
	e.t.Helper()
	data, err := os.ReadFile(filepath.Join(e.state, "health.json"))
	if err != nil {
		e.t.Fatal(err)
	}
	h, err := state.ParseHealth(data)
	if err != nil {
		e.t.Fatalf("health.json does not parse: %v\n%s", err, data)
	}
	return h
}

func waitFile(t *testing.T, path string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still missing after %v", path, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func waitStatus(t *testing.T, err error) syscall.WaitStatus {
	t.Helper()
	var ee *exec.ExitError
	if err == nil {
		return 0
	}
	if !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return ee.Sys().(syscall.WaitStatus)
}

// TestExecForwardsSIGTERM: `kill -TERM` on oauth-mux reaches the child (which traps it and writes a
// file); when the child then dies of SIGTERM, oauth-mux dies of SIGTERM too (SPEC §6.1), so a calling
// shell sees a signal death; when the child handles it and exits 143 by itself, oauth-mux exits 143.
func TestExecForwardsSIGTERM(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	for _, tc := range []struct {
		name, pty string
		dies      bool // the child re-kills itself with SIGTERM after its trap
	}{
		{"pipes/dies", "never", true},
		{"pty/dies", "always", true},
		{"pipes/exits143", "never", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newE2E(t, twoCodex)
			after := "exit 143"
			if tc.dies {
				after = "trap - TERM; kill -TERM $$"
			}
			child := `trap 'echo got TERM > "$1/trapped"; ` + after + `' TERM; echo ready > "$1/ready"; while :; do sleep 0.05; done`
			c := e.command("exec", "--profile", "p", "--pty", tc.pty, "--", "sh", "-c", child, "sh", e.dir)
			var out, errb bytes.Buffer
			c.Stdout, c.Stderr = &out, &errb
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			waitFile(t, filepath.Join(e.dir, "ready"), 10*time.Second)
			ws := waitStatus(t, terminate(t, c, &errb, 10*time.Second))
			if b, rerr := os.ReadFile(filepath.Join(e.dir, "trapped")); rerr != nil || string(b) != "got TERM\n" {
				t.Errorf("the child did not get SIGTERM: %q %v", b, rerr)
			}
			if tc.dies {
				if !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
					t.Errorf("oauth-mux ended with %v (exit %d), want death by SIGTERM; stderr:\n%s", ws, ws.ExitStatus(), errb.String())
				}
			} else if ws.Signaled() || ws.ExitStatus() != 143 {
				t.Errorf("oauth-mux ended with %#x, want exit 143", ws)
			}
			if strings.Contains(errb.String(), "trying") {
				t.Errorf("a SIGTERM the user sent started another attempt:\n%s", errb.String())
			}
		})
	}
}

// TestExecPTYStopsOnLimit: under a real terminal an interactive child that prints a terminal limit and
// keeps running is stopped and the command restarts on the next account (SPEC §6.2.3).
func TestExecPTYStopsOnLimit(t *testing.T) {
	t.Parallel()
	e := newE2E(t, twoCodex)
	pidFile := filepath.Join(e.dir, "a1.pid")
	e.script("c1", "pid "+pidFile, "err "+codexLimit, "sleep 30s", "write "+filepath.Join(e.dir, "a1-finished")+" yes")
	e.script("c2", "tty", "out ran on a2")
	start := time.Now()
	code, text := runUnderPTY(t, e, []string{"exec", "--profile", "p", "--", "codex"})
	if code != 0 {
		t.Errorf("exit %d, want 0; output:\n%s", code, text)
	}
	if el := time.Since(start); el > 15*time.Second {
		t.Errorf("took %v: the child was not stopped promptly", el)
	}
	for _, want := range []string{"You've hit your usage limit", "stdin:tty stdout:tty", "ran on a2",
		"codex:a1#codex-max quota_exhausted until"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if _, err := os.Stat(filepath.Join(e.dir, "a1-finished")); err == nil {
		t.Error("the limited child ran to its end instead of being stopped")
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid > 0 && syscall.Kill(pid, 0) == nil {
		t.Errorf("the limited child %d still runs", pid)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	h := e.health()
	if r := h.Records["codex:a1#codex-max"]; r == nil || r.Liveness.Availability != state.QuotaExhausted {
		t.Errorf("a1's route is not quota_exhausted: %+v", r)
	}
}

// oneClaude has one Claude account, so a limit on it leaves no route.
const oneClaude = `{
  "version": 1,
  "providers": {
    "claude": {
      "kind": "claude",
      "config_dir_env": "CLAUDE_CONFIG_DIR",
      "accounts": {
        "k1": {"config_dir": "~/k1", "secret": {"backend": "file", "path": "~/k1/.credentials.json"}}
      }
    }
  },
  "profiles": {"c": {"providers": ["claude:k1#auth-status"]}}
}`

// TestExecWait: with --wait, a run whose only route resets two seconds from now sleeps until then and
// goes on (SPEC §6.2.5). The child is a shell that hits the limit the first time and succeeds after.
func TestExecWait(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	e := newE2E(t, oneClaude)
	e.write("home/k1/.credentials.json", `{"claudeAiOauth": {"accessToken": "sk-ant-oat01-x", "refreshToken": "sk-ant-ort01-x", "expiresAt": 4102444800000}}`)
	// The child stamps the reset three seconds past the moment it prints it, so a slow machine (-race,
	// a loaded CI) cannot let the reset pass before oauth-mux reads it.
	child := `if [ -e "$CLAUDE_CONFIG_DIR/hit" ]; then echo finished; else : > "$CLAUDE_CONFIG_DIR/hit"; echo "Claude AI usage limit reached|$(( $(date +%s) + 3 ))"; fi`

	// Without --wait: 201 at once.
	start := time.Now()
	code, _, stderr := e.run("", "exec", "--profile", "c", "--", "sh", "-c", child)
	if code != 201 || !strings.Contains(stderr, "no route left for c") {
		t.Fatalf("without --wait: exit %d, want 201; stderr:\n%s", code, stderr)
	}
	if el := time.Since(start); el > 2500*time.Millisecond {
		t.Errorf("without --wait the run took %v (it must not wait for the reset)", el)
	}
	_ = os.Remove(filepath.Join(e.home, "k1", "hit"))
	_ = os.Remove(filepath.Join(e.state, "health.json"))

	start = time.Now()
	code, stdout, stderr := e.run("", "exec", "--profile", "c", "--wait", "--", "sh", "-c", child)
	el := time.Since(start)
	if code != 0 || !strings.Contains(stdout, "finished") {
		t.Fatalf("--wait: exit %d, want 0 and the second attempt's output; stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "waiting") {
		t.Errorf("no waiting line on stderr:\n%s", stderr)
	}
	// The reset was at least two whole seconds after the child started (its epoch is truncated).
	if el < 2*time.Second {
		t.Errorf("--wait returned after %v, before the reset", el)
	}
	if el > 12*time.Second {
		t.Errorf("--wait took %v for a reset 3 s away", el)
	}
}

// TestExecJSONReport checks the --json-report document's shape (SPEC §6.2) on a failover run, and
// --max-attempts 1 stopping after the first candidate.
func TestExecJSONReport(t *testing.T) {
	t.Parallel()
	e := newE2E(t, twoCodex)
	e.script("c1", "err "+codexLimit, "exit 1")
	e.script("c2", "out ran on a2")
	report := filepath.Join(e.dir, "report.json")
	code, stdout, stderr := e.run("", "exec", "--profile", "p", "--json-report", report, "--", "codex", "exec", "secret-prompt-words")
	if code != 0 || !strings.Contains(stdout, "ran on a2") {
		t.Fatalf("exit %d; stdout %q; stderr:\n%s", code, stdout, stderr)
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"secret-prompt-words", "tok-c1", "tok-c2", "ref-c1", "usage limit", "ran on a2"} {
		if bytes.Contains(data, []byte(bad)) {
			t.Errorf("report holds %q:\n%s", bad, data)
		}
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, data)
	}
	keysOf := func(m map[string]any) []string {
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return ks
	}
	if got, want := keysOf(doc), []string{"attempts", "exit_code", "profile", "reason", "version"}; !slices.Equal(got, want) {
		t.Errorf("report keys %v, want %v", got, want)
	}
	if doc["version"] != float64(1) || doc["profile"] != "p" || doc["exit_code"] != float64(0) || doc["reason"] != "" {
		t.Errorf("report head: %v", doc)
	}
	atts, _ := doc["attempts"].([]any)
	if len(atts) != 2 {
		t.Fatalf("want 2 attempts, got %d:\n%s", len(atts), data)
	}
	wantKeys := []string{"account", "attempt", "capability", "decision", "duration_ms", "exit_code", "provider", "signal", "started_at", "verdict"}
	for i, a := range atts {
		m := a.(map[string]any)
		if got := keysOf(m); !slices.Equal(got, wantKeys) {
			t.Errorf("attempt %d keys %v, want %v", i, got, wantKeys)
		}
		v, _ := m["verdict"].(map[string]any)
		if got := keysOf(v); !slices.Equal(got, []string{"class", "reason", "reset_at", "rule"}) {
			t.Errorf("attempt %d verdict keys %v", i, got)
		}
		if _, err := time.Parse(time.RFC3339Nano, fmt.Sprint(m["started_at"])); err != nil {
			t.Errorf("attempt %d started_at: %v", i, err)
		}
	}
	a1, a2 := atts[0].(map[string]any), atts[1].(map[string]any)
	v1 := a1["verdict"].(map[string]any)
	if a1["attempt"] != float64(1) || a1["provider"] != "codex" || a1["account"] != "a1" || a1["capability"] != "codex-max" ||
		a1["exit_code"] != float64(1) || v1["class"] != "quota_exhausted" || v1["rule"] != "codex-usage-limit" ||
		a1["decision"] != "fail_over" {
		t.Errorf("attempt 1: %v", a1)
	}
	if _, err := time.Parse(time.RFC3339, fmt.Sprint(v1["reset_at"])); err != nil {
		t.Errorf("attempt 1 reset_at %v: %v", v1["reset_at"], err)
	}
	v2 := a2["verdict"].(map[string]any)
	if a2["attempt"] != float64(2) || a2["account"] != "a2" || a2["exit_code"] != float64(0) || v2["class"] != "success" ||
		v2["reset_at"] != nil || a2["decision"] != "finish" {
		t.Errorf("attempt 2: %v", a2)
	}

	// --max-attempts 1: the limit on a1 ends the run with a1's status; a2 never starts.
	_ = os.Remove(filepath.Join(e.state, "health.json"))
	e.script("c2", "write "+filepath.Join(e.dir, "a2-ran")+" yes")
	code, _, stderr = e.run("", "exec", "--profile", "p", "--max-attempts", "1", "--json-report", report, "--", "codex")
	if code != 1 {
		t.Errorf("--max-attempts 1: exit %d, want a1's 1; stderr:\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "a2-ran")); err == nil {
		t.Error("--max-attempts 1 started a second child")
	}
	if !strings.Contains(stderr, "max-attempts") {
		t.Errorf("stderr does not say why it stopped:\n%s", stderr)
	}
	data, _ = os.ReadFile(report)
	doc = nil
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if atts, _ := doc["attempts"].([]any); len(atts) != 1 || doc["exit_code"] != float64(1) {
		t.Errorf("--max-attempts 1 report:\n%s", data)
	}
}

// TestExecSIGKILLedStoreParses: oauth-mux processes killed with SIGKILL at random moments (inside
// health updates, event appends, write-backs) never leave a health.json that does not parse.
func TestExecSIGKILLedStoreParses(t *testing.T) {
	t.Parallel()
	e := newE2E(t, twoCodex)
	e.script("c1", "err "+codexLimit, "exit 1")
	e.script("c2", "out ok")
	const rounds, parallel = 6, 4
	for round := range rounds {
		var wg sync.WaitGroup
		for range parallel {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := e.command("exec", "--profile", "p", "--", "codex")
				if err := c.Start(); err != nil {
					t.Error(err)
					return
				}
				time.Sleep(time.Duration(rand.IntN(40)) * time.Millisecond)
				_ = c.Process.Signal(syscall.SIGKILL)
				_ = c.Wait()
			}()
		}
		wg.Wait()
		if data, err := os.ReadFile(filepath.Join(e.state, "health.json")); err == nil {
			if !json.Valid(data) {
				t.Fatalf("round %d: health.json is not JSON:\n%s", round, data)
			}
			if _, err := state.ParseHealth(data); err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if round == rounds/2 {
			// Let the routes be tried again so later kills land in other phases.
			_ = os.Remove(filepath.Join(e.state, "health.json"))
		}
	}
	// And the store still works: a normal run afterwards succeeds and finds nothing corrupt.
	code, _, stderr := e.run("", "exec", "--profile", "p", "--", "codex")
	if code != 0 || strings.Contains(stderr, "corrupt") {
		t.Errorf("after the kills: exit %d; stderr:\n%s", code, stderr)
	}
	entries, _ := os.ReadDir(e.state)
	for _, en := range entries {
		if strings.Contains(en.Name(), "corrupt") {
			t.Errorf("a SIGKILL left a corrupt store: %s", en.Name())
		}
	}
}

// TestExecCanaries plants canary tokens in every credential and checks that no output of oauth-mux,
// no event, no report and no state file outside the managed homes (which hold credentials by design)
// ever contains them, across a failover, a dead account and a success.
func TestExecCanaries(t *testing.T) {
	t.Parallel()
	cfg := strings.Replace(twoCodex, `"a2": {"priority": 10, "config_dir": "~/c2",`, `"a2": {"priority": 10,`, 1)
	e := newE2E(t, cfg)
	canaries := []string{"CANARY-ACCESS-5f0e", "CANARY-REFRESH-77ab", "CANARY-IDTOKEN-9c3d", "CANARY-APIKEY-1d2e"}
	cred := `{"tokens": {"access_token": "` + canaries[0] + `", "refresh_token": "` + canaries[1] + `", "id_token": "` + canaries[2] + `"}, "last_refresh": "2026-01-01T00:00:00Z"}`
	e.write("home/c1/auth.json", cred)
	e.write("home/c2/auth.json", strings.ReplaceAll(cred, "CANARY-", "CANARY-2-"))
	report := filepath.Join(e.dir, "report.json")
	var outputs []string
	run := func(args ...string) {
		_, o, er := e.run("", append([]string{"exec", "--profile", "p", "--json-report", report}, args...)...)
		rep, _ := os.ReadFile(report)
		outputs = append(outputs, o, er, string(rep))
	}
	// a1 hits a limit and a2, whose config dir is managed, succeeds and rewrites its credential, which
	// oauth-mux writes back to ~/c2/auth.json.
	e.script("c1", "err "+codexLimit, "exit 1")
	rotated := strings.ReplaceAll(cred, "CANARY-", "CANARY-3-")
	run("--", "codex", "write", filepath.Join(e.state, "homes", "codex", "a2", "auth.json"), rotated, "out", "done")
	if b, _ := os.ReadFile(filepath.Join(e.home, "c2", "auth.json")); !strings.Contains(string(b), "CANARY-3-") {
		t.Errorf("the rotated credential was not written back: %s", b)
	}
	// a1 dead, then both spent: the 201 explanation.
	_ = os.Remove(filepath.Join(e.state, "health.json"))
	e.script("c1", "err Your access token could not be refreshed because your refresh token was already used. Please log out and sign in again.", "exit 1")
	run("--", "codex", "exec", "hi")
	run("--", "codex", "exec", "hi")
	// oauth-mux's own commands that read the state.
	for _, args := range [][]string{{"health", "--json"}, {"route", "explain", "--profile", "p", "--json"}, {"daemon", "events", "--json"}} {
		_, o, er := e.run("", args...)
		outputs = append(outputs, o, er)
	}
	check := func(where, text string) {
		for _, c := range canaries {
			if strings.Contains(text, strings.TrimPrefix(c, "CANARY-")) {
				t.Errorf("%s holds a canary (%s)", where, c)
			}
		}
	}
	for i, o := range outputs {
		check(fmt.Sprintf("output %d", i), o)
	}
	homes := filepath.Join(e.state, "homes")
	err := filepath.WalkDir(e.state, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(p, homes+string(filepath.Separator)) {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		check(p, string(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(e.state, "repair-events.jsonl")); err != nil {
		t.Errorf("no events were written, so the check above proves little: %v", err)
	}
}

var rfc3339 = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)

// TestExecNoRouteOrder: the 201 lines name every route with `until <RFC3339>`, the earliest last, in
// the order of the resets (not of the profile).
func TestExecNoRouteOrder(t *testing.T) {
	t.Parallel()
	cfg := strings.Replace(twoCodex, `"a2": {"priority": 10, "config_dir": "~/c2", "secret": {"backend": "file", "path": "~/c2/auth.json"}}`,
		`"a2": {"priority": 10, "config_dir": "~/c2", "secret": {"backend": "file", "path": "~/c2/auth.json"}},
		 "a3": {"priority": 5, "config_dir": "~/c3", "secret": {"backend": "file", "path": "~/c3/auth.json"}}`, 1)
	cfg = strings.Replace(cfg, `"codex:a2#codex-max"]`, `"codex:a2#codex-max", "codex:a3#codex-max"]`, 1)
	e := newE2E(t, cfg)
	e.script("c1", "err You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing) or try again in 2 days 17 hours 14 minutes.", "exit 1")
	e.script("c2", "err "+codexLimit, "exit 1")
	e.script("c3", "err ■ Quota exceeded. Check your plan and billing details.", "exit 1")
	code, _, stderr := e.run("", "exec", "--profile", "p", "--", "codex")
	if code != 201 {
		t.Fatalf("exit %d, want 201:\n%s", code, stderr)
	}
	i := strings.Index(stderr, "oauth-mux: error: no route left for p\n")
	if i < 0 {
		t.Fatalf("no 201 line:\n%s", stderr)
	}
	lines := strings.Split(stderr[i:], "\n")[1:4]
	var times []time.Time
	for _, l := range lines {
		m := rfc3339.FindString(l)
		if !strings.HasPrefix(l, "  codex:a") || !strings.Contains(l, " until ") || m == "" {
			t.Fatalf("bad route line %q in:\n%s", l, stderr)
		}
		ts, _ := time.Parse(time.RFC3339, m)
		times = append(times, ts)
	}
	// a3 (default 1 h) < a1 (2d17h) < a2 (4d6h): a2 first, a3 last.
	if !strings.Contains(lines[0], "codex:a2#") || !strings.Contains(lines[1], "codex:a1#") || !strings.Contains(lines[2], "codex:a3#") {
		t.Errorf("route lines not ordered by reset, earliest last:\n%s", strings.Join(lines, "\n"))
	}
	if !(times[0].After(times[1]) && times[1].After(times[2])) {
		t.Errorf("resets not descending: %v", times)
	}
}

// TestExecStopWhilePreparing: a SIGTERM that arrives while oauth-mux is still preparing an account
// (here a slow secret command; a refresh or a wait for an account lock are the same) ends the run at
// once, starts no child, and records nothing against the account: a cancelled read is no evidence.
func TestExecStopWhilePreparing(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	e := newE2E(t, `{
  "version": 1,
  "providers": {"github": {"accounts": {"slow": {"secret": {"backend": "command",
    "command": ["sh", "-c", "echo ready > \"$OMUX_TEST_DIR/ready\"; sleep 30; echo tok"]}}}}}
}`)
	e.env = append(e.env, "OMUX_TEST_DIR="+e.dir)
	c := e.command("exec", "--provider", "github", "--", "sh", "-c", `echo started > "$0/started"`, e.dir)
	var errb bytes.Buffer
	c.Stderr = &errb
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	waitFile(t, filepath.Join(e.dir, "ready"), 10*time.Second)
	if ws := waitStatus(t, terminate(t, c, &errb, 15*time.Second)); !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("oauth-mux ended with %v (exit %d), want death by SIGTERM; stderr:\n%s", ws, ws.ExitStatus(), errb.String())
	}
	if _, err := os.Stat(filepath.Join(e.dir, "started")); err == nil {
		t.Error("a child was started after the user's SIGTERM")
	}
	if _, err := os.Stat(filepath.Join(e.state, "health.json")); err == nil {
		if r := e.health().Record("github:slow"); r != nil && r.Liveness.State == state.StateDead {
			t.Errorf("the cancelled secret read marked the account dead: %+v", r.Liveness)
		}
	}
}

// TestExecArgvByteExact: the child's arguments reach it byte for byte, invalid UTF-8 included (the
// CLI parser would turn such bytes into U+FFFD; a prompt or a file name is the user's, not ours).
func TestExecArgvByteExact(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	e := newE2E(t, twoCodex)
	odd := "caf\xe9 \xff\xfe \"quoted\" $HOME"
	code, stdout, stderr := e.run("", "exec", "--profile", "p", "--", "sh", "-c", `printf '%s' "$1"`, "sh", odd)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if stdout != odd {
		t.Fatalf("the child got %q, want %q", stdout, odd)
	}
}

// terminate sends SIGTERM to a started oauth-mux and returns its Wait error, failing the test when it
// has not ended within limit.
func terminate(t *testing.T, c *exec.Cmd, stderr *bytes.Buffer, limit time.Duration) error {
	t.Helper()
	if err := c.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(limit):
		_ = c.Process.Kill()
		t.Fatalf("oauth-mux did not end within %v of SIGTERM; stderr:\n%s", limit, stderr.String())
		return nil
	}
}

// TestExecClosedStdoutGivesChildSIGPIPE: `oauth-mux exec -- yes | head -1` ends as `yes | head -1`
// does: when the reader goes away the child gets SIGPIPE, and oauth-mux exits with its status (141),
// without failing over and without hanging.
func TestExecClosedStdoutGivesChildSIGPIPE(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("yes"); err != nil {
		t.Skip("no yes(1)")
	}
	e := newE2E(t, twoCodex)
	c := e.command("exec", "--profile", "p", "--", "yes", "line")
	out, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	c.Stderr = &errb
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	first := make([]byte, 5)
	if _, err := io.ReadFull(out, first); err != nil || string(first) != "line\n" {
		t.Fatalf("first line %q, %v", first, err)
	}
	out.Close()
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case err = <-done:
	case <-time.After(15 * time.Second):
		_ = c.Process.Kill()
		t.Fatalf("oauth-mux did not end after its stdout closed; stderr:\n%s", errb.String())
	}
	if ws := waitStatus(t, err); ws.Signaled() || ws.ExitStatus() != 128+int(syscall.SIGPIPE) {
		t.Fatalf("oauth-mux ended with %v (exit %d), want exit 141; stderr:\n%s", ws, ws.ExitStatus(), errb.String())
	}
	if strings.Contains(errb.String(), "trying") {
		t.Errorf("a closed stdout made oauth-mux fail over:\n%s", errb.String())
	}
}

// TestExecSIGKILLTakesTheChild: oauth-mux killed with SIGKILL (no cleanup runs) leaves no child
// behind: the kernel kills the direct child when oauth-mux dies (Linux's parent-death signal).
func TestExecSIGKILLTakesTheChild(t *testing.T) {
	t.Parallel()
	e := newE2E(t, twoCodex)
	pidFile := filepath.Join(e.dir, "child.pid")
	e.script("c1", "pid "+pidFile, "sleep 300s")
	c := e.command("exec", "--profile", "p", "--", "codex")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	waitFile(t, pidFile, 20*time.Second)
	b, _ := os.ReadFile(pidFile)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		t.Fatalf("pid file %q", b)
	}
	_ = c.Process.Signal(syscall.SIGKILL)
	_ = c.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("the child %d outlived a SIGKILLed oauth-mux", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// alive reports whether pid runs (a zombie waiting for its reaper does not).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(stat), ") ")
	return !strings.HasPrefix(rest, "Z") && !strings.HasPrefix(rest, "X")
}
