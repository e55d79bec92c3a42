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
