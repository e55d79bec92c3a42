//go:build unix

package main

// The no-spend promise of the inventory commands (SPEC §7): doctor, report, discover, accounts list
// and daemon events contact no provider, run no secret command or probe binary, open no credential
// file and print no secret. The test makes every one of those observable:
//   - provider endpoints (probe URLs, token endpoints) point at a loopback server that counts requests;
//   - credential files, at configured and at the CLIs' usual places, are FIFOs: stat works, but an
//     open(2) for reading blocks until a writer comes, and the test's writer goroutine notices it;
//   - the secret command and the probe binaries (codex, claude, gh on PATH) leave a marker file when run;
//   - canary tokens sit in the environment, in the config (an inline age identity) and behind every
//     FIFO, and must appear in no output.

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/cmd"
	"github.com/oauth-mux/oauth-mux/state"
	"github.com/oauth-mux/oauth-mux/testkit"
	"github.com/oauth-mux/oauth-mux/testkit/fakecli"
)

const (
	canaryEnv      = "ghp_CANARYenv0000000000000000000000"
	canaryFile     = "CANARY-file-token-4b1d"
	canaryIdentity = "AGE-SECRET-KEY-1CANARYQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ"
)

// fifoWatch is a credential file that reports being opened. Its writer goroutine blocks in open(2)
// until some process opens the FIFO for reading; then it writes a canary and records the open.
type fifoWatch struct {
	path   string
	opened atomic.Bool
	done   chan struct{}
	stop   atomic.Bool
}

func newFIFO(t *testing.T, path string) *fifoWatch {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	f := &fifoWatch{path: path, done: make(chan struct{})}
	go func() {
		defer close(f.done)
		w, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer w.Close()
		if !f.stop.Load() {
			f.opened.Store(true)
			_, _ = w.Write([]byte(`{"access_token":"` + canaryFile + `"}`))
		}
	}()
	t.Cleanup(func() {
		// Release the writer: our own non-blocking read open is the reader it waits for.
		f.stop.Store(true)
		if r, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
			<-f.done
			r.Close()
		}
	})
	return f
}

func TestNoSpendInventory(t *testing.T) {
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.WriteHeader(http.StatusTeapot)
	}))
	defer srv.Close()

	work := t.TempDir()
	home := filepath.Join(work, "home")
	stateDir := filepath.Join(work, "state")
	bin := filepath.Join(work, "bin")
	marker := filepath.Join(work, "ran")
	for _, d := range []string{home, bin} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// Probe binaries and the secret command: running any of them is spending (or reading a secret).
	for _, name := range []string{"codex", "claude", "gh", "secret-helper"} {
		script := "#!/bin/sh\necho " + name + " >> " + marker + "\necho " + canaryFile + "\n"
		if err := fakecli.WriteExecutable(filepath.Join(bin, name), []byte(script)); err != nil {
			t.Fatal(err)
		}
	}

	var fifos []*fifoWatch
	fifo := func(p string) string { fifos = append(fifos, newFIFO(t, p)); return p }
	codexDir := filepath.Join(home, "codex-a1")
	fifo(filepath.Join(codexDir, "auth.json"))                // the account's config dir credential
	fifo(filepath.Join(home, ".codex", "auth.json"))          // discover's usual place
	fifo(filepath.Join(home, ".claude", ".credentials.json")) // discover's usual place
	fifo(filepath.Join(home, ".config", "gh", "hosts.yml"))   // discover's usual place
	linearSecret := fifo(filepath.Join(work, "linear.json"))  // an oauth_mux_refresh credential
	ageSecret := fifo(filepath.Join(work, "secret.age"))      // an age-encrypted credential
	ghSecret := fifo(filepath.Join(work, "gh-token.json"))    // a file secret of a probed provider

	cfg := `{
  "version": 1,
  "provider_definitions": {
    "github": {"capabilities": [{"name": "identity", "probe": {"transport": "http", "url": "` + srv.URL + `/user", "budget": "cheap_provider"}}]},
    "linear": {"auth": {"token_endpoint": "` + srv.URL + `/oauth/token"},
               "capabilities": [{"name": "identity", "probe": {"transport": "http", "method": "POST", "url": "` + srv.URL + `/graphql", "body": "{}"}}]}
  },
  "providers": {
    "codex": {"kind": "codex", "config_dir_env": "CODEX_HOME", "accounts": {
      "a1": {"priority": 20, "config_dir": "` + codexDir + `", "secret": {"backend": "file", "path": "` + filepath.Join(codexDir, "auth.json") + `"},
             "quota": {"monthly_limit": 10}},
      "a2": {"priority": 10, "secret": {"backend": "command", "command": ["secret-helper", "--token-for", "a2"]}}
    }},
    "github": {"accounts": {
      "env": {"secret": {"backend": "env", "variable": "GH_TOKEN"}},
      "file": {"secret": {"backend": "file", "path": "` + ghSecret + `"}}
    }},
    "linear": {"accounts": {
      "l1": {"secret": {"backend": "file", "path": "` + linearSecret + `"}},
      "l2": {"secret": {"backend": "age", "path": "` + ageSecret + `", "identity": "` + canaryIdentity + `"}}
    }}
  },
  "profiles": {"codex-max": {"providers": ["codex:a1#codex-max", "codex:a2#codex-max"]},
               "gh": {"providers": ["github:env#identity", "github:file#identity"]}}
}`
	cfgPath := filepath.Join(work, "config.json")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}

	// Recorded health and events, so the commands walk those paths too.
	if err := state.EnsureDir(stateDir); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	reset := now.Add(time.Hour)
	err := state.Open(stateDir).Update(func(h *state.Health) error {
		h.Apply("codex:a1#codex-max", classify.Verdict{Class: classify.QuotaExhausted, ResetAt: &reset}, state.Evidence{ObservedAt: now}, now, state.DefaultScoring())
		h.Apply("github:env", classify.Verdict{Class: classify.Dead, Reason: classify.TokenRevoked}, state.Evidence{ObservedAt: now}, now, state.DefaultScoring())
		for range 9 {
			h.CountRun("codex:a1", now)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := state.AppendEvent(stateDir, state.Event{Kind: state.KindExecFailover, Provider: "codex", Account: "a1", Capability: "codex-max", Outcome: "fail_over", Reason: "quota_exhausted"}); err != nil {
		t.Fatal(err)
	}

	env := testkit.Environ(t, work, "HOME="+home, "PATH="+bin+":/usr/bin:/bin", "OMUX_STATE_DIR="+stateDir, "OMUX_CONFIG="+cfgPath,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "XDG_DATA_HOME="+filepath.Join(home, ".local", "share"),
		"GH_TOKEN="+canaryEnv, "OPENAI_API_KEY="+canaryEnv, "LINEAR_ACCESS_TOKEN="+canaryEnv,
		"HTTPS_PROXY="+srv.URL, "HTTP_PROXY="+srv.URL)
	commands := [][]string{
		{"doctor"}, {"doctor", "--json"},
		{"report", "--redacted"}, {"report", "--redacted", "--json"},
		{"report", "--redacted", "--include-paths"}, {"report", "--redacted", "--include-paths", "--json"},
		{"discover"}, {"discover", "--json"},
		{"accounts", "list"}, {"accounts", "list", "--json"}, {"accounts", "list", "--provider", "linear"},
		{"daemon", "events"}, {"daemon", "events", "--json"},
	}
	for _, args := range commands {
		name := strings.Join(args, " ")
		var out, errOut bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		done := make(chan int, 1)
		go func() { done <- cmd.Main(args, env, cmd.Stdio{In: strings.NewReader(""), Out: &out, Err: &errOut}) }()
		var code int
		select {
		case code = <-done:
		case <-ctx.Done():
			// A command blocked in open(2) on a FIFO: it tried to read a credential.
			cancel()
			t.Fatalf("%s: did not finish (blocked opening a credential file?)", name)
		}
		cancel()
		if code != 0 {
			t.Errorf("%s: exit %d\nstderr: %s", name, code, errOut.String())
		}
		all := out.String() + errOut.String()
		for _, canary := range []string{canaryEnv, canaryFile, canaryIdentity, "CANARY"} {
			if strings.Contains(all, canary) {
				t.Errorf("%s: output holds canary %q:\n%s", name, canary, all)
			}
		}
		if strings.Contains(all, "--token-for") {
			t.Errorf("%s: output holds a secret command's arguments:\n%s", name, all)
		}
		if out.Len() == 0 {
			t.Errorf("%s: printed nothing", name)
		}
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("the loopback provider saw %d requests; want 0", n)
	}
	for _, f := range fifos {
		if f.opened.Load() {
			t.Errorf("credential file %s was opened", f.path)
		}
	}
	if b, err := os.ReadFile(marker); err == nil {
		t.Errorf("a probe binary or secret command ran: %s", b)
	} else if !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}

	// The test can fail: reading one of the FIFOs the way a secret backend would is noticed.
	t.Run("detector", func(t *testing.T) {
		probe := newFIFO(t, filepath.Join(work, "detector.json"))
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, _ := os.ReadFile(probe.path)
			if !bytes.Contains(b, []byte(canaryFile)) {
				t.Errorf("read %q from the detector FIFO", b)
			}
		}()
		wg.Wait()
		<-probe.done
		if !probe.opened.Load() {
			t.Fatal("the FIFO detector missed an open")
		}
	})
}
