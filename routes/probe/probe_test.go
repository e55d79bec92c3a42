package probe

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/internal/testcfg"
	"github.com/oauth-mux/oauth-mux/routes"
	"github.com/oauth-mux/oauth-mux/state"
)

// A probe that proves an account dead stores its credential file's fingerprint for every backend
// that reads a file (file, sops, age), as exec does, so that a re-login revives it (SPEC §8.3).
func TestProbeDeadStoresFingerprintOfAgeSecret(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	var enc bytes.Buffer
	w, err := age.Encrypt(&enc, id.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(w, `{"access_token":"omux-canary-probe-age"}`)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	cred := filepath.Join(dir, "cred.age")
	if err := os.WriteFile(cred, enc.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testcfg.Load(t, fmt.Sprintf(`{
  "version": 1,
  "provider_definitions": {"acme": {"capabilities": [{"name": "id", "probe": {"transport": "http", "url": %q}}]}},
  "providers": {"acme": {"accounts": {"a1": {"secret": {"backend": "age", "path": %q, "identity": %q}}}}}
}`, srv.URL, cred, id.String()))
	plan, err := routes.Resolve(cfg, routes.Selector{Provider: "acme", Account: "a1"})
	if err != nil {
		t.Fatal(err)
	}
	stateDir := filepath.Join(dir, "state")
	if err := state.EnsureDir(stateDir); err != nil {
		t.Fatal(err)
	}
	store := state.Open(stateDir)
	rep, _ := Run(context.Background(), cfg, plan, store, Options{RunOptions: routes.RunOptions{StateDir: stateDir}})
	if len(rep.Routes) != 1 || rep.Routes[0].Verdict == nil || rep.Routes[0].Verdict.Class != classify.Dead {
		t.Fatalf("probe report: %+v", rep.Routes)
	}
	h, err := store.Load()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := h.DeadFingerprint("acme:a1"), state.Fingerprint(cred); got == "" || got != want {
		t.Fatalf("dead fingerprint %q, want the age file's %q", got, want)
	}
}

// A probe clears only what it tested (SPEC §5.5, issue 14): a successful quota probe (a real request
// of the capability) ends a quota window at once and says so in its event; a successful login probe
// leaves the window, and says that too.
func TestProbeClearsOnlyWhatItTested(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"ok": true}`)
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	cfg := testcfg.Load(t, fmt.Sprintf(`{
  "version": 1,
  "provider_definitions": {"acme": {"capabilities": [
    {"name": "chat", "probe": {"transport": "http", "url": %q, "tests": "quota"}},
    {"name": "status", "probe": {"transport": "http", "url": %q, "tests": "login"}}
  ]}},
  "providers": {"acme": {"accounts": {"a1": {"secret": {"backend": "env", "variable": "ACME_TOKEN"}}}}}
}`, srv.URL, srv.URL))
	stateDir := filepath.Join(dir, "state")
	if err := state.EnsureDir(stateDir); err != nil {
		t.Fatal(err)
	}
	store := state.Open(stateDir)
	now := time.Now()
	reset := now.Add(3 * time.Hour)
	for _, key := range []string{"acme:a1#chat", "acme:a1#status"} {
		if err := store.Apply(t.Context(), state.MarkVerdict{AccountKey: "acme:a1", RouteKey: key, At: now,
			Verdict: classify.Verdict{Class: classify.QuotaExhausted, ResetAt: &reset}, Scoring: state.DefaultScoring()}); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{"ACME_TOKEN=omux-canary-probe-window"}
	for _, capability := range []string{"chat", "status"} {
		plan, err := routes.Resolve(cfg, routes.Selector{Provider: "acme", Account: "a1", Capability: capability})
		if err != nil {
			t.Fatal(err)
		}
		rep, _ := Run(t.Context(), cfg, plan, store, Options{RunOptions: routes.RunOptions{StateDir: stateDir, Env: env}})
		if len(rep.Routes) != 1 || rep.Routes[0].Outcome != OutcomeUsable {
			t.Fatalf("%s probe: %+v", capability, rep.Routes)
		}
	}
	h, _ := store.Load()
	if st := h.Status("acme:a1", "acme:a1#chat", time.Now()); !st.Selectable {
		t.Errorf("a quota probe's success left the window: %+v", st)
	}
	if st := h.Status("acme:a1", "acme:a1#status", time.Now()); st.Selectable || st.SkipReason != state.QuotaExhausted {
		t.Errorf("a login probe's success ended the window: %+v", st)
	}
	evs, err := state.ReadEvents(stateDir, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for _, e := range evs {
		if e.Kind == state.KindRouteVerdict {
			got[e.Capability] = e.Fields["window_cleared"]
		}
	}
	if got["chat"] != true || got["status"] != false {
		t.Errorf("events' window_cleared: %v", got)
	}
}
