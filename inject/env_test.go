package inject

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/providers"
	"github.com/oauth-mux/oauth-mux/state"
)

// fakeDef is a hand-built definition so the tests do not depend on the built-in catalog's data.
func fakeDef(owner string) providers.Definition {
	return providers.Definition{
		Name: "fakecli",
		Credential: providers.Credential{
			AccessTokenPath: "tokens.access", RefreshTokenPath: "tokens.refresh",
			ExpiresAtPath: "expires_at", APIKeyPath: "API_KEY",
		},
		Injection: providers.Injection{
			ConfigDirEnv: "FAKE_HOME", CredentialFilename: "auth.json",
			DirectEnv: [][2]string{{"FAKE_TOKEN", "access_token"}, {"FAKE_API_KEY", "api_key"}},
			ScrubEnv:  []string{"OTHER_KEY", "FAKE_API_KEY"},
		},
		Repair: providers.Repair{Owner: owner},
	}
}

func credJSON(access, refresh string, exp time.Time) []byte {
	return fmt.Appendf(nil, `{"tokens":{"access":%q,"refresh":%q},"expires_at":%d,"extra":"kept"}`, access, refresh, exp.Unix())
}

type fixture struct {
	t        testing.TB
	stateDir string
	secret   string
	req      Request
}

func newFixture(t testing.TB, owner string, cred []byte) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{t: t, stateDir: filepath.Join(dir, "state"), secret: filepath.Join(dir, "secret.json")}
	if err := os.WriteFile(f.secret, cred, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := state.EnsureDir(f.stateDir); err != nil {
		t.Fatal(err)
	}
	f.req = Request{
		Env:      []string{"PATH=/usr/bin:/bin", "HOME=/home/u", "OTHER_KEY=stale", "FAKE_TOKEN=stale", "FAKE_API_KEY=stale", "HOME=/home/dup", "OMUX_ACTIVE_PROFILE=outer"},
		Provider: "fake", Account: "a1",
		AccountConfig: config.Account{Secret: config.Secret{Backend: "file", Path: f.secret}},
		Definition:    fakeDef(owner),
		Capability:    "chat", Attempt: 2, Version: "1.2.3",
		StateDir: f.stateDir,
	}
	return f
}

func envMap(t *testing.T, env []string) map[string]string {
	t.Helper()
	m := map[string]string{}
	var names []string
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := m[k]; dup {
			t.Fatalf("duplicate %s in env", k)
		}
		m[k] = v
		names = append(names, k)
	}
	if !slices.IsSorted(names) {
		t.Fatalf("env not sorted: %v", names)
	}
	return m
}

func TestPrepareManaged(t *testing.T) {
	cred := credJSON(canary, "refresh-"+canary, time.Now().Add(time.Hour))
	f := newFixture(t, providers.OwnerUpstreamCLILogin, cred)
	p, err := Prepare(context.Background(), f.req)
	if err != nil {
		t.Fatal(err)
	}
	m := envMap(t, p.Env)
	home := state.HomesDir(f.stateDir, "fake", "a1")
	want := map[string]string{
		"FAKE_HOME": home, "FAKE_TOKEN": canary, "HOME": "/home/dup", "PATH": "/usr/bin:/bin",
		EnvActiveProvider: "fake", EnvActiveAccount: "a1", EnvActiveCapability: "chat", EnvAttempt: "2", EnvVersion: "1.2.3",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %q, want %q", k, m[k], v)
		}
	}
	for _, k := range []string{"OTHER_KEY", "FAKE_API_KEY", EnvActiveProfile} {
		if _, ok := m[k]; ok {
			t.Errorf("%s must be removed", k)
		}
	}
	if len(m) != len(want) {
		t.Errorf("unexpected extra variables: %v", m)
	}
	if !slices.Equal(p.Unset, []string{"FAKE_API_KEY", EnvActiveProfile, "OTHER_KEY"}) {
		t.Errorf("Unset = %v", p.Unset)
	}
	if p.Set["FAKE_HOME"] != home || p.Set["FAKE_TOKEN"] != canary {
		t.Errorf("Set = %v", p.Set)
	}
	fi, err := os.Stat(home)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("managed dir: %v %v", err, fi.Mode())
	}
	fi, err = os.Stat(filepath.Join(home, "auth.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credential file: %v %v", err, fi.Mode())
	}
	if b, _ := os.ReadFile(p.CredentialPath); string(b) != string(cred) {
		t.Fatalf("credential file holds %q", b)
	}
	if p.CredentialFingerprint == "" || p.CredentialFingerprint != state.Fingerprint(p.CredentialPath) {
		t.Fatal("fingerprint must be the state package's")
	}
	if p.ExpiresAt == nil || p.Metered {
		t.Fatalf("ExpiresAt %v Metered %v", p.ExpiresAt, p.Metered)
	}
	// A dir left world-readable by someone is tightened on the next run.
	os.Chmod(home, 0o755)
	if _, err := Prepare(context.Background(), f.req); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(home); fi.Mode().Perm() != 0o700 {
		t.Fatalf("managed dir mode %v", fi.Mode().Perm())
	}
}

func TestPrepareAPIKeyAndConfigDir(t *testing.T) {
	f := newFixture(t, providers.OwnerUpstreamCLILogin, []byte(`{"API_KEY":"`+canary+`"}`))
	f.req.AccountConfig.ConfigDir = "/somewhere/else"
	f.req.Profile = "p1"
	p, err := Prepare(context.Background(), f.req)
	if err != nil {
		t.Fatal(err)
	}
	m := envMap(t, p.Env)
	if m["FAKE_HOME"] != "/somewhere/else" || p.CredentialPath != "" {
		t.Fatalf("config_dir must be used as is: %q %q", m["FAKE_HOME"], p.CredentialPath)
	}
	if m["FAKE_API_KEY"] != canary || m["FAKE_TOKEN"] != canary || m[EnvActiveProfile] != "p1" {
		t.Fatalf("an API key fills access_token and api_key pairs: %v", m)
	}
	if _, err := os.Stat(state.HomesDir(f.stateDir, "fake", "a1")); err == nil {
		t.Fatal("no managed dir for an account with config_dir")
	}
}

func TestPrepareMetered(t *testing.T) {
	f := newFixture(t, providers.OwnerUpstreamCLILogin, credJSON("a", "r", time.Now().Add(time.Hour)))
	f.req.AccountConfig.Tags = []string{"metered"}
	p, err := Prepare(context.Background(), f.req)
	if err != nil || !p.Metered {
		t.Fatalf("tagged metered: %v %v", err, p)
	}
}

func wantDead(t *testing.T, err error, reason classify.Reason) *CredentialError {
	t.Helper()
	var ce *CredentialError
	if !errors.As(err, &ce) {
		t.Fatalf("want *CredentialError, got %v", err)
	}
	if ce.Verdict.Class != classify.Dead || ce.Verdict.Reason != reason {
		t.Fatalf("verdict %v, want dead(%s)", ce.Verdict, reason)
	}
	if strings.Contains(err.Error(), canary) {
		t.Fatalf("error leaks: %v", err)
	}
	return ce
}

func TestPrepareUnreadable(t *testing.T) {
	f := newFixture(t, providers.OwnerUpstreamCLILogin, nil)
	os.Remove(f.secret)
	_, err := Prepare(context.Background(), f.req)
	ce := wantDead(t, err, classify.CredentialUnavailable)
	if ce.Verdict.Source != classify.SourceCredentialValidation {
		t.Fatalf("source %s", ce.Verdict.Source)
	}
	var ec exitCoder
	if !errors.As(err, &ec) || ec.ExitCode() != 202 {
		t.Fatal("an unreadable secret maps to 202 when it is the last word")
	}
	os.WriteFile(f.secret, []byte("not json "+canary), 0o600)
	_, err = Prepare(context.Background(), f.req)
	wantDead(t, err, classify.CredentialUnavailable)
}

func TestPrepareExpired(t *testing.T) {
	past := time.Now().Add(-time.Hour)
	// Upstream-owned: launched anyway.
	f := newFixture(t, providers.OwnerUpstreamCLILogin, credJSON(canary, "r", past))
	if _, err := Prepare(context.Background(), f.req); err != nil {
		t.Fatalf("upstream-owned expired credential must launch: %v", err)
	}
	for _, owner := range []string{providers.OwnerExternalSecretOwner, providers.OwnerManualOnly, ""} {
		f := newFixture(t, owner, credJSON(canary, "r", past))
		_, err := Prepare(context.Background(), f.req)
		ce := wantDead(t, err, classify.CredentialExpired)
		if len(ce.Hints()) == 0 {
			t.Fatal("want a hint")
		}
	}
	// oauth_mux_refresh without a refresh token or endpoint: dead with a hint.
	f = newFixture(t, providers.OwnerOAuthMuxRefresh, credJSON(canary, "", past))
	_, err := Prepare(context.Background(), f.req)
	wantDead(t, err, classify.CredentialExpired)
	// Read-only backend: refreshing would lose a rotated token.
	f = newFixture(t, providers.OwnerOAuthMuxRefresh, nil)
	f.req.Definition.Auth.TokenEndpoint = "https://127.0.0.1:1/token"
	f.req.AccountConfig.Secret = config.Secret{Backend: "env", Variable: "CRED"}
	f.req.Env = append(f.req.Env, "CRED="+string(credJSON(canary, "r", past)))
	_, err = Prepare(context.Background(), f.req)
	ce := wantDead(t, err, classify.CredentialExpired)
	if !strings.Contains(ce.Error(), "read-only") {
		t.Fatalf("say why: %v", ce)
	}
}

func tokenServer(t *testing.T, handler func(w http.ResponseWriter, form map[string]string)) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		r.ParseForm()
		form := map[string]string{}
		for k := range r.PostForm {
			form[k] = r.PostForm.Get(k)
		}
		handler(w, form)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestPrepareRefresh(t *testing.T) {
	past := time.Now().Add(-time.Hour)
	srv, calls := tokenServer(t, func(w http.ResponseWriter, form map[string]string) {
		if form["grant_type"] != "refresh_token" || form["refresh_token"] != "old-refresh" || form["client_id"] != "cid" {
			http.Error(w, `{"error":"invalid_request"}`, 400)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"new-access","refresh_token":"new-refresh","expires_in":3600,"token_type":"bearer"}`)
	})
	f := newFixture(t, providers.OwnerOAuthMuxRefresh, credJSON(canary, "old-refresh", past))
	f.req.Definition.Auth = providers.Auth{TokenEndpoint: srv.URL, ClientID: "cid"}
	p, err := Prepare(context.Background(), f.req)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Refreshed || calls.Load() != 1 {
		t.Fatalf("refreshed=%v calls=%d", p.Refreshed, calls.Load())
	}
	if envMap(t, p.Env)["FAKE_TOKEN"] != "new-access" {
		t.Fatal("the child gets the refreshed token")
	}
	var got map[string]any
	b, _ := os.ReadFile(f.secret)
	json.Unmarshal(b, &got)
	tokens := got["tokens"].(map[string]any)
	if tokens["access"] != "new-access" || tokens["refresh"] != "new-refresh" || got["extra"] != "kept" {
		t.Fatalf("merged credential: %s", b)
	}
	exp := got["expires_at"].(float64)
	if d := time.Until(time.Unix(int64(exp), 0)); d < 50*time.Minute || d > 70*time.Minute {
		t.Fatalf("expiry %v away", d)
	}
	if fi, _ := os.Stat(f.secret); fi.Mode().Perm() != 0o640 {
		t.Fatalf("mode not kept: %v", fi.Mode())
	}
	// Fresh now: no second call.
	if p, err = Prepare(context.Background(), f.req); err != nil || p.Refreshed || calls.Load() != 1 {
		t.Fatalf("second prepare: %v refreshed=%v calls=%d", err, p.Refreshed, calls.Load())
	}
}

func TestRefreshFailures(t *testing.T) {
	past := time.Now().Add(-time.Hour)
	cases := []struct {
		name   string
		status int
		body   string
		check  func(t *testing.T, err error)
	}{
		{"invalid_grant", 400, `{"error":"invalid_grant","error_description":"` + canary + `"}`, func(t *testing.T, err error) {
			ce := wantDead(t, err, classify.TokenRevoked)
			if ce.Verdict.Source != classify.SourceTokenRefresh {
				t.Fatalf("source %s", ce.Verdict.Source)
			}
		}},
		{"5xx", 503, `{"error":"` + canary + `"}`, func(t *testing.T, err error) {
			var re *RefreshError
			if !errors.As(err, &re) || re.ExitCode() != 204 {
				t.Fatalf("want RefreshError 204, got %v", err)
			}
		}},
		{"4xx", 401, `{"error":"invalid_client"}`, func(t *testing.T, err error) {
			var re *RefreshError
			if !errors.As(err, &re) || re.ExitCode() != 203 || !strings.Contains(err.Error(), "invalid_client") {
				t.Fatalf("want RefreshError 203, got %v", err)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, _ := tokenServer(t, func(w http.ResponseWriter, _ map[string]string) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(c.status)
				fmt.Fprint(w, c.body)
			})
			f := newFixture(t, providers.OwnerOAuthMuxRefresh, credJSON(canary, "old-"+canary, past))
			f.req.Definition.Auth = providers.Auth{TokenEndpoint: srv.URL}
			_, err := Prepare(context.Background(), f.req)
			if err == nil {
				t.Fatal("want an error")
			}
			if strings.Contains(err.Error(), canary) {
				t.Fatalf("error leaks: %v", err)
			}
			c.check(t, err)
			if b, _ := os.ReadFile(f.secret); string(b) != string(credJSON(canary, "old-"+canary, past)) {
				t.Fatal("a failed refresh must not touch the secret")
			}
		})
	}
	// Network down.
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	f := newFixture(t, providers.OwnerOAuthMuxRefresh, credJSON(canary, "old", past))
	f.req.Definition.Auth = providers.Auth{TokenEndpoint: url}
	_, err := Prepare(context.Background(), f.req)
	var re *RefreshError
	if !errors.As(err, &re) || re.ExitCode() != 204 {
		t.Fatalf("want 204, got %v", err)
	}
}

func TestRefreshRequireRotated(t *testing.T) {
	srv, _ := tokenServer(t, func(w http.ResponseWriter, _ map[string]string) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"new","expires_in":60}`)
	})
	f := newFixture(t, providers.OwnerOAuthMuxRefresh, credJSON("a", "r", time.Now().Add(-time.Minute)))
	f.req.Definition.Auth.TokenEndpoint = srv.URL
	f.req.Definition.Repair.RefreshTokenResponse = providers.RequireRotated
	_, err := Prepare(context.Background(), f.req)
	var re *RefreshError
	if !errors.As(err, &re) || re.ExitCode() != 203 {
		t.Fatalf("want 203, got %v", err)
	}
	// Without require_rotated the old refresh token is kept.
	f.req.Definition.Repair.RefreshTokenResponse = ""
	if _, err := Prepare(context.Background(), f.req); err != nil {
		t.Fatal(err)
	}
	var got struct{ Tokens map[string]string }
	b, _ := os.ReadFile(f.secret)
	json.Unmarshal(b, &got)
	if got.Tokens["access"] != "new" || got.Tokens["refresh"] != "r" {
		t.Fatalf("got %s", b)
	}
}

func TestRefreshRefusesCleartext(t *testing.T) {
	if err := checkEndpoint("http://auth.example.com/token"); err == nil {
		t.Fatal("a refresh token must not travel in clear text")
	}
	for _, ok := range []string{"https://auth.example.com/token", "http://127.0.0.1:9/t", "http://localhost/t", "http://[::1]:8/t"} {
		if err := checkEndpoint(ok); err != nil {
			t.Fatalf("%s: %v", ok, err)
		}
	}
}

func TestCheckNesting(t *testing.T) {
	// A shell that evaluated `oauth-mux env` has the markers but is no child of exec.
	if err := CheckNesting([]string{"OMUX_ACTIVE_PROVIDER=codex", "OMUX_ACTIVE_ACCOUNT=a"}, "codex", false); err != nil {
		t.Fatalf("a shell after eval \"$(oauth-mux env)\" is refused: %v", err)
	}
	env := []string{"OMUX_ACTIVE_PROVIDER=codex", "OMUX_EXEC_CHILD=1"}
	err := CheckNesting(env, "codex", false)
	var ne *NestingError
	if !errors.As(err, &ne) || ne.ExitCode() != 1 || len(ne.Hints()) == 0 || !strings.Contains(ne.Hints()[0], "--nested") {
		t.Fatalf("got %v", err)
	}
	if CheckNesting(env, "codex", true) != nil || CheckNesting(env, "claude", false) != nil || CheckNesting(nil, "codex", false) != nil {
		t.Fatal("only same-provider nesting without --nested is refused")
	}
}

func TestPrepareRejectsBadNames(t *testing.T) {
	f := newFixture(t, providers.OwnerUpstreamCLILogin, credJSON("a", "r", time.Now().Add(time.Hour)))
	f.req.Definition.Injection.DirectEnv = [][2]string{{"BAD;rm -rf", "access_token"}}
	if _, err := Prepare(context.Background(), f.req); err == nil {
		t.Fatal("an env name that cannot be quoted must be refused")
	}
	f.req.Definition.Injection.DirectEnv = nil
	f.req.Definition.Injection.CredentialFilename = "../escape.json"
	if _, err := Prepare(context.Background(), f.req); err == nil {
		t.Fatal("a credential file outside the managed dir must be refused")
	}
}
