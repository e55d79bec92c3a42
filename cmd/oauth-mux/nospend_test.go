//go:build unix

// The no-spend promise (SPEC §7, §9) as a test: the operator commands that only look — route
// select|explain, repair-plan, doctor runtime (and, added by their owners, doctor, report, discover,
// accounts list) — contact no provider, read no credential and print no token.
//
// The world makes each kind of spending observable: every built-in probe URL and token endpoint used
// here points at a loopback server that counts requests; file credentials are named pipes (a reader
// would block, so a read hangs the command and the test times out); a command secret touches a marker
// file when it runs; env secrets and the pipes' would-be contents carry canaries.
package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/cmd"
	"github.com/oauth-mux/oauth-mux/state"
	"github.com/oauth-mux/oauth-mux/testkit"
)

// noSpendCanary is in every secret of the world; it must appear in no output.
const noSpendCanary = "NOSPEND-CANARY-7f3a"

// noSpendWorld is a config whose every secret read or provider request is observable.
type noSpendWorld struct {
	Dir      string
	Config   string
	Env      []string
	Marker   string // created when the command secret runs
	requests atomic.Int64
}

// Requests is how many requests reached the loopback provider.
func (w *noSpendWorld) Requests() int64 { return w.requests.Load() }

func newNoSpendWorld(t *testing.T) *noSpendWorld {
	t.Helper()
	w := &noSpendWorld{Dir: t.TempDir()}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.requests.Add(1)
		rw.WriteHeader(http.StatusOK)
		fmt.Fprint(rw, `{"access_token":"`+noSpendCanary+`"}`)
	}))
	t.Cleanup(srv.Close)

	home := filepath.Join(w.Dir, "home")
	codexHome := filepath.Join(home, "codex-1")
	for _, d := range []string{home, codexHome} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// Named pipes: open(2) for reading blocks until a writer comes, and none ever does.
	fifos := map[string]string{
		"gh":    filepath.Join(home, "gh-token.json"),
		"codex": filepath.Join(codexHome, "auth.json"),
	}
	for _, p := range fifos {
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
	}
	w.Marker = filepath.Join(w.Dir, "command-secret-ran")
	cfg := fmt.Sprintf(`{
  "version": 1,
  "defaults": {"profile": "all"},
  "policy": {"daemon": {"allowed_budgets": ["free_local", "free_command", "cheap_provider", "spend_provider"], "allow_interactive": true, "allow_mutating": true}},
  "provider_definitions": {
    "github": {"capabilities": [{"name": "identity", "probe": {"transport": "http", "method": "GET", "url": %[1]q, "budget": "cheap_provider"}}]},
    "linear": {"auth": {"token_endpoint": %[1]q},
               "capabilities": [{"name": "identity", "probe": {"transport": "http", "method": "POST", "url": %[1]q, "body": "{}", "budget": "cheap_provider"}}]}
  },
  "providers": {
    "github": {"accounts": {
      "gh1": {"secret": {"backend": "file", "path": %[2]q}},
      "gh2": {"secret": {"backend": "env", "variable": "OMUX_NOSPEND_GH2"}}}},
    "linear": {"accounts": {
      "l1": {"secret": {"backend": "command", "command": ["sh", "-c", "touch %[3]s; echo '{\"access_token\":\"%[4]s\",\"refresh_token\":\"%[4]s\",\"expires_in\":1}'"]}}}},
    "codex": {"kind": "codex", "config_dir_env": "CODEX_HOME", "accounts": {
      "c1": {"config_dir": %[5]q, "secret": {"backend": "file", "path": %[6]q}}}}
  },
  "profiles": {"all": {"providers": ["github:gh1#identity", "github:gh2#identity", "linear:l1#identity", "codex:c1#codex-max"]}}
}`, srv.URL+"/api", fifos["gh"], w.Marker, noSpendCanary, codexHome, fifos["codex"])
	w.Config = filepath.Join(w.Dir, "config.json")
	if err := os.WriteFile(w.Config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	stateDir := filepath.Join(home, ".local", "state", "oauth-mux")
	w.Env = testkit.Environ(t, w.Dir, "HOME="+home, "OMUX_CONFIG="+w.Config, "OMUX_STATE_DIR="+stateDir,
		"OMUX_CONFIG_DIR="+filepath.Join(home, "cfg"), "OMUX_NOSPEND_GH2="+noSpendCanary)

	// Recorded health of every kind, so the planners have dead accounts (whose credential a reviver
	// would fingerprint, i.e. read) and spent routes to explain.
	now := time.Now()
	store := state.Open(stateDir)
	if err := state.EnsureDir(stateDir); err != nil {
		t.Fatal(err)
	}
	reset := now.Add(2 * time.Hour)
	if err := store.Update(func(h *state.Health) error {
		sc := state.DefaultScoring()
		h.ApplyVerdict("codex:c1", "codex:c1#codex-max", classify.Verdict{Class: classify.Dead, Reason: classify.TokenRevoked},
			state.Evidence{ObservedAt: now, Fingerprint: "0123456789abcdef"}, now, sc)
		h.ApplyVerdict("github:gh2", "github:gh2#identity", classify.Verdict{Class: classify.QuotaExhausted, ResetAt: &reset},
			state.Evidence{ObservedAt: now}, now, sc)
		h.ApplyVerdict("linear:l1", "linear:l1#identity", classify.Verdict{Class: classify.Dead, Reason: classify.CredentialExpired},
			state.Evidence{ObservedAt: now}, now, sc)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return w
}

// noSpendCommands are the commands the promise covers. Owners of other no-spend commands append
// theirs (doctor, report --redacted, discover, accounts list); each runs with and without --json.
var noSpendCommands = [][]string{
	{"route", "select"},
	{"route", "select", "--profile", "all"},
	{"route", "explain"},
	{"route", "explain", "--provider", "codex"},
	{"route", "explain", "--profile", "all", "--capability", "identity"},
	{"repair-plan"},
	{"repair-plan", "--provider", "linear", "--account", "l1"},
	{"doctor", "runtime"},
	{"doctor", "runtime", "--profile", "all"},
	{"doctor"},
	{"report", "--redacted"},
	{"report", "--redacted", "--include-paths"},
	{"discover"},
	{"accounts", "list"},
	{"accounts", "list", "--provider", "codex"},
	{"daemon", "events"},
	// Plan-only ticks, what to run next, the handoff list and the daemon status.
	{"stay-afloat", "--once", "--profile", "all"},
	{"stay-afloat", "--once", "--provider", "codex"},
	{"stay-afloat", "next", "--profile", "all"},
	{"stay-afloat", "handoffs"},
	{"daemon", "status"},
}

// run runs one oauth-mux invocation in process and fails the test if it does not return in time
// (a credential read would block on a named pipe forever).
func (w *noSpendWorld) run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- cmd.Main(args, w.Env, cmd.Stdio{In: strings.NewReader(""), Out: &out, Err: &errb})
	}()
	select {
	case code = <-done:
	case <-time.After(20 * time.Second):
		// The goroutine stays blocked on the pipe; the test binary exits at the end anyway.
		t.Fatalf("oauth-mux %s: no answer after 20s (did it open a credential?)", strings.Join(args, " "))
	}
	return out.String(), errb.String(), code
}

// assertNoSpend runs args (and args --json) and checks the promise.
func (w *noSpendWorld) assertNoSpend(t *testing.T, args ...string) {
	t.Helper()
	for _, a := range [][]string{args, append(append([]string{}, args...), "--json")} {
		before := w.Requests()
		stdout, stderr, code := w.run(t, a...)
		name := strings.Join(a, " ")
		if n := w.Requests() - before; n != 0 {
			t.Errorf("%s: %d requests reached the provider", name, n)
		}
		if _, err := os.Stat(w.Marker); err == nil {
			t.Errorf("%s: the command secret ran", name)
		}
		if strings.Contains(stdout+stderr, noSpendCanary) {
			t.Errorf("%s: a canary was printed", name)
		}
		if code >= 200 && code != 201 || code == 2 {
			t.Errorf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", name, code, stdout, stderr)
		}
	}
}

func TestNoSpend(t *testing.T) {
	w := newNoSpendWorld(t)
	for _, args := range noSpendCommands {
		t.Run(strings.Join(args, "_"), func(t *testing.T) {
			w.assertNoSpend(t, args...)
		})
	}
	// The world is live: a command that does spend is seen spending (so the checks above can fail).
	t.Run("control", func(t *testing.T) {
		_, _, _ = w.run(t, "health", "--reset", "linear:l1")
		stdout, stderr, _ := w.run(t, "exec", "--provider", "linear", "--", "true")
		if _, err := os.Stat(w.Marker); err != nil {
			t.Errorf("exec did not read the command secret: the marker cannot catch a read\n%s%s", stdout, stderr)
		}
	})
}
