//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/oauth-mux/oauth-mux/internal/fixture"
	"github.com/oauth-mux/oauth-mux/state"
)

// fixtureProviders is, per fixture pack, the provider the exec path runs it under: the stand-in
// binary, the capability of its routes, the env var of its config dir and the credential file in it.
var fixtureProviders = map[string]struct {
	binary, capability, configEnv, credFile, cred string
}{
	"codex":   {"codex", "codex-max", "CODEX_HOME", "auth.json", `{"tokens": {"access_token": "tok", "refresh_token": "ref"}}`},
	"claude":  {"claude", "auth-status", "CLAUDE_CONFIG_DIR", ".credentials.json", `{"claudeAiOauth": {"accessToken": "sk-ant-oat01-k", "refreshToken": "sk-ant-ort01-k", "expiresAt": 4102444800000}}`},
	"github":  {"gh", "identity", "GH_CONFIG_DIR", "token", `gho_fixture0000000000000000000000000000`},
	"copilot": {"copilot", "copilot-premium", "COPILOT_HOME", "token", `gho_fixture0000000000000000000000000000`},
	"gemini":  {"gemini", "gemini-pro", "GEMINI_CLI_HOME", ".gemini/oauth_creds.json", `{"access_token": "ya29.k", "refresh_token": "1//k", "expiry_date": 4102444800000}`},
}

// TestFixturesThroughExec runs every recorded CLI text through the whole exec path: a real oauth-mux
// process supervising a stand-in CLI that prints the fixture on its stream and exits with its status,
// on the first of two accounts. A fixture that blames the account must fail over to the second with
// the fixture's verdict in the report; every other must end with the child's own status after one
// attempt. Interactive fixtures run under a real pty, where only a framed terminal limit stops the
// child.
func TestFixturesThroughExec(t *testing.T) {
	t.Parallel()
	fs, err := fixture.Load(filepath.Join("..", "..", "classify", "testdata", "fixtures"))
	if err != nil {
		t.Fatal(err)
	}
	// The runs wait on processes far more than they compute: eight at a time, more than -parallel's
	// default of GOMAXPROCS (t.Run may be called from several goroutines at once).
	work := make(chan fixture.Fixture)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				p := fixtureProviders[f.Pack]
				t.Run(f.Name(), func(t *testing.T) {
					runFixtureExec(t, f, p.binary, p.capability, p.configEnv, p.credFile, p.cred)
				})
			}
		}()
	}
	for _, f := range fs {
		if _, ok := fixtureProviders[f.Pack]; !ok {
			t.Errorf("%s: no provider for pack %s", f.Name(), f.Pack)
			continue
		}
		work <- f
	}
	close(work)
	wg.Wait()
}

func fixtureConfig(pack, capability, configEnv, credFile string) string {
	route := func(acct string) string {
		if capability == "" {
			return pack + ":" + acct
		}
		return pack + ":" + acct + "#" + capability
	}
	return fmt.Sprintf(`{
  "version": 1,
  "providers": {
    %q: {
      "kind": %q,
      "config_dir_env": %q,
      "accounts": {
        "k1": {"priority": 20, "config_dir": "~/k1", "secret": {"backend": "file", "path": "~/k1/%s"}},
        "k2": {"priority": 10, "config_dir": "~/k2", "secret": {"backend": "file", "path": "~/k2/%s"}}
      }
    }
  },
  "profiles": {"p": {"providers": [%q, %q], "strategy": "f", "affinity_ttl_minutes": 0}},
  "strategies": {"f": {"kind": "priority-failover"}}
}`, pack, pack, configEnv, credFile, credFile, route("k1"), route("k2"))
}

// rawStep encodes text for fakecli's outraw/errraw (Go escapes, unquoted).
func rawStep(text []byte) string {
	q := strconv.Quote(string(text))
	return strings.ReplaceAll(q[1:len(q)-1], `\"`, `"`)
}

func runFixtureExec(t *testing.T, f fixture.Fixture, binary, capability, configEnv, credFile, cred string) {
	e := newE2E(t, fixtureConfig(f.Pack, capability, configEnv, credFile))
	e.write("home/k1/"+credFile, cred)
	e.write("home/k2/"+credFile, cred)
	step := "outraw "
	if f.Stream == "stderr" {
		step = "errraw "
	}
	steps := []string{step + rawStep(f.Out)}
	blames := !f.Negative()
	if f.Interactive && blames {
		steps = append(steps, "sleep 20s") // a TUI that shows the limit and waits: oauth-mux stops it
	}
	steps = append(steps, fmt.Sprintf("exit %d", f.Exit))
	e.script("k1", steps...)
	e.script("k2", "out ran on k2")
	report := filepath.Join(e.dir, "report.json")
	args := []string{"exec", "--profile", "p", "--json-report", report, "--", binary}

	var code int
	var out string
	if f.Interactive {
		code, out = runUnderPTY(t, e, args)
	} else {
		var stdout, stderr string
		code, stdout, stderr = e.run("", args...)
		out = stdout + stderr
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("no report (exit %d): %v\n%s", code, err, out)
	}
	var rep struct {
		Attempts []struct {
			Account string `json:"account"`
			Verdict struct {
				Class  string `json:"class"`
				Reason string `json:"reason"`
				Rule   string `json:"rule"`
			} `json:"verdict"`
			Decision string `json:"decision"`
		} `json:"attempts"`
	}
	if err := json.Unmarshal(data, &rep); err != nil || len(rep.Attempts) == 0 {
		t.Fatalf("report %s: %v", data, err)
	}
	v := rep.Attempts[0].Verdict
	got := v.Class
	if v.Reason != "" && v.Class != "provider_degraded" {
		got += "(" + v.Reason + ")"
	}
	if got != f.Expect {
		t.Fatalf("verdict %s (rule %q), want %s (source %s)\noutput:\n%s", got, v.Rule, f.Expect, f.Source, out)
	}
	if f.Rule != "" && v.Rule != f.Rule {
		t.Errorf("rule %q, want %q", v.Rule, f.Rule)
	}
	// Scope (SPEC §5.5(5)): only a dead login marks the account key; everything else marks the route.
	if blames {
		h := e.health()
		acct, route := f.Pack+":k1", f.Pack+":k1"
		if capability != "" {
			route += "#" + capability
		}
		a, r := h.Records[acct], h.Records[route]
		if strings.HasPrefix(f.Expect, "dead(") {
			if a == nil || a.Liveness.State != state.StateDead {
				t.Errorf("a dead login did not mark the account %s: %+v", acct, a)
			}
		} else {
			if a != nil && a.Liveness.State == state.StateDead {
				t.Errorf("%s marked the whole account %s", f.Expect, acct)
			}
			if r == nil || r.Liveness.State == state.StateLive && r.Liveness.Availability == state.Available {
				t.Errorf("%s did not mark the route %s: %+v", f.Expect, route, r)
			}
		}
	}
	switch {
	case !blames:
		if len(rep.Attempts) != 1 || code != f.Exit || strings.Contains(out, "ran on k2") {
			t.Errorf("the user's own run was not passed through: exit %d (want %d), %d attempts\n%s", code, f.Exit, len(rep.Attempts), out)
		}
	case f.Expect == "provider_degraded":
		// The whole provider is down: its other account is skipped, not tried.
		if code != 201 || len(rep.Attempts) != 1 || rep.Attempts[0].Decision != "skip_provider" {
			t.Errorf("provider_degraded: exit %d, %d attempts, decision %s\n%s", code, len(rep.Attempts), rep.Attempts[0].Decision, out)
		}
	default:
		if code != 0 || len(rep.Attempts) != 2 || rep.Attempts[1].Account != "k2" || !strings.Contains(out, "ran on k2") {
			t.Errorf("no failover to k2: exit %d, %d attempts\n%s", code, len(rep.Attempts), out)
		}
	}
}

// runUnderPTY runs oauth-mux with a pty as its terminal (stdin, stdout, stderr) and returns its exit
// status and everything it wrote.
func runUnderPTY(t *testing.T, e *e2e, args []string) (int, string) {
	t.Helper()
	c := e.command(args...)
	ptmx, err := pty.StartWithSize(c, &pty.Winsize{Rows: 40, Cols: 200})
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	var out bytes.Buffer
	copied := make(chan struct{})
	go func() { _, _ = io.Copy(&out, ptmx); close(copied) }()
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		_ = c.Process.Kill()
		t.Fatalf("oauth-mux did not end; output so far:\n%s", out.String())
	}
	select {
	case <-copied:
	case <-time.After(2 * time.Second):
	}
	return waitStatus(t, err).ExitStatus(), out.String()
}
