package inject

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/providers"
	"github.com/oauth-mux/oauth-mux/state"
	"golang.org/x/oauth2"
)

// cliRewrite plays the upstream CLI refreshing its own credential in the managed dir: it replaces the
// file by rename, as the real CLIs do, with a later mtime.
func cliRewrite(t *testing.T, p *Prepared, data []byte, at time.Time) {
	t.Helper()
	if err := state.WriteFileAtomic(p.CredentialPath, data, 0o600); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(p.CredentialPath, at, at)
}

func readString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWriteBackRewritten(t *testing.T) {
	ctx := context.Background()
	orig := credJSON("old-access", "old-refresh", time.Now().Add(-time.Hour))
	f := newFixture(t, providers.OwnerUpstreamCLILogin, orig)
	p, err := Prepare(ctx, f.req)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := p.WriteBack(ctx); err != nil || res.Action != WriteBackUnchanged || res.Warning() != "" {
		t.Fatalf("untouched: %+v %v", res, err)
	}
	fresh := credJSON(canary, "new-refresh", time.Now().Add(time.Hour))
	cliRewrite(t, p, fresh, time.Now().Add(time.Second))
	res, err := p.WriteBack(ctx)
	if err != nil || res.Action != WriteBackWritten || res.Capability != config.WriteReplaceFile || res.Conflict {
		t.Fatalf("rewritten: %+v %v", res, err)
	}
	if readString(t, f.secret) != string(fresh) {
		t.Fatal("the secret must hold the CLI's credential")
	}
	if fi, _ := os.Stat(f.secret); fi.Mode().Perm() != 0o640 {
		t.Fatalf("mode not kept: %v", fi.Mode())
	}
	// The next run sees nothing pending.
	p2, err := Prepare(ctx, f.req)
	if err != nil || p2.Pending.Action != WriteBackUnchanged {
		t.Fatalf("next run: %+v %v", p2.Pending, err)
	}
}

func TestWriteBackInvalid(t *testing.T) {
	ctx := context.Background()
	orig := credJSON("a", "r", time.Now().Add(time.Hour))
	f := newFixture(t, providers.OwnerUpstreamCLILogin, orig)
	p, _ := Prepare(ctx, f.req)
	cliRewrite(t, p, []byte("{half a file"), time.Now().Add(time.Second))
	res, err := p.WriteBack(ctx)
	if err != nil || res.Action != WriteBackInvalid || res.Warning() == "" {
		t.Fatalf("%+v %v", res, err)
	}
	if readString(t, f.secret) != string(orig) {
		t.Fatal("garbage must never replace the secret")
	}
}

func TestWriteBackReadOnly(t *testing.T) {
	ctx := context.Background()
	orig := credJSON("old-access", "old-refresh", time.Now().Add(time.Hour))
	f := newFixture(t, providers.OwnerUpstreamCLILogin, nil)
	f.req.AccountConfig.Secret = config.Secret{Backend: "env", Variable: "CRED"}
	f.req.Env = append(f.req.Env, "CRED="+string(orig))
	p, err := Prepare(ctx, f.req)
	if err != nil {
		t.Fatal(err)
	}
	fresh := credJSON("cli-access", "cli-refresh", time.Now().Add(2*time.Hour))
	cliRewrite(t, p, fresh, time.Now().Add(time.Second))
	res, err := p.WriteBack(ctx)
	if err != nil || res.Action != WriteBackReadOnly || res.Capability != config.WriteReadOnly || res.Warning() == "" {
		t.Fatalf("%+v %v", res, err)
	}
	// The CLI's copy (whose refresh token may have rotated the env's one dead) stays in use, run after run.
	for i := 0; i < 2; i++ {
		p, err = Prepare(ctx, f.req)
		if err != nil || p.Pending.Action != WriteBackReadOnly {
			t.Fatalf("run %d: %+v %v", i, p.Pending, err)
		}
		if envMap(t, p.Env)["FAKE_TOKEN"] != "cli-access" || readString(t, p.CredentialPath) != string(fresh) {
			t.Fatalf("run %d: the managed copy must be kept", i)
		}
	}
	// The user updates the env secret: theirs is the newer one and wins.
	f.req.Env = append(f.req.Env, "CRED="+string(credJSON("user-access", "user-refresh", time.Now().Add(3*time.Hour))))
	p, err = Prepare(ctx, f.req)
	if err != nil || p.Pending.Action != WriteBackKeptSecret || envMap(t, p.Env)["FAKE_TOKEN"] != "user-access" {
		t.Fatalf("updated secret: %+v %v", p.Pending, err)
	}
}

func TestWriteBackPendingAtNextRun(t *testing.T) {
	ctx := context.Background()
	orig := credJSON("a", "r", time.Now().Add(time.Hour))
	f := newFixture(t, providers.OwnerUpstreamCLILogin, orig)
	p, _ := Prepare(ctx, f.req) // `env`: the child outlives us, no WriteBack call
	fresh := credJSON("cli-access", "r2", time.Now().Add(2*time.Hour))
	cliRewrite(t, p, fresh, time.Now().Add(time.Second))
	res, err := WriteBackPending(ctx, f.req)
	if err != nil || res.Action != WriteBackWritten {
		t.Fatalf("%+v %v", res, err)
	}
	if readString(t, f.secret) != string(fresh) {
		t.Fatal("pending credential must be written back")
	}
	p, err = Prepare(ctx, f.req)
	if err != nil || p.Pending.Action != WriteBackUnchanged || envMap(t, p.Env)["FAKE_TOKEN"] != "cli-access" {
		t.Fatalf("%+v %v", p.Pending, err)
	}
}

func TestWriteBackPendingViaPrepare(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, providers.OwnerUpstreamCLILogin, credJSON("a", "r", time.Now().Add(time.Hour)))
	p, _ := Prepare(ctx, f.req)
	fresh := credJSON("cli-access", "r2", time.Now().Add(2*time.Hour))
	cliRewrite(t, p, fresh, time.Now().Add(time.Second))
	p, err := Prepare(ctx, f.req)
	if err != nil || p.Pending.Action != WriteBackWritten || readString(t, f.secret) != string(fresh) {
		t.Fatalf("%+v %v", p.Pending, err)
	}
}

func TestWriteBackKeepsNewerSecret(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, providers.OwnerUpstreamCLILogin, credJSON("a", "r", time.Now().Add(time.Hour)))
	p, _ := Prepare(ctx, f.req)
	now := time.Now()
	cliRewrite(t, p, credJSON("cli", "r2", now.Add(time.Hour)), now.Add(time.Second))
	// Meanwhile the user logged in elsewhere, later than the CLI's refresh.
	user := credJSON("user", "r3", now.Add(time.Hour))
	os.WriteFile(f.secret, user, 0o640)
	os.Chtimes(f.secret, now.Add(5*time.Second), now.Add(5*time.Second))
	res, err := p.WriteBack(ctx)
	if err != nil || res.Action != WriteBackKeptSecret || !res.Conflict || res.Warning() == "" {
		t.Fatalf("%+v %v", res, err)
	}
	if readString(t, f.secret) != string(user) || readString(t, p.CredentialPath) != string(user) {
		t.Fatal("the newer secret must win on both sides")
	}
}

func TestWriteBackNewerManagedWins(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, providers.OwnerUpstreamCLILogin, credJSON("a", "r", time.Now().Add(time.Hour)))
	p, _ := Prepare(ctx, f.req)
	now := time.Now()
	os.WriteFile(f.secret, credJSON("user", "r3", now.Add(time.Hour)), 0o640)
	os.Chtimes(f.secret, now.Add(time.Second), now.Add(time.Second))
	cli := credJSON("cli", "r2", now.Add(time.Hour))
	cliRewrite(t, p, cli, now.Add(5*time.Second))
	res, err := p.WriteBack(ctx)
	if err != nil || res.Action != WriteBackWritten || !res.Conflict || res.Warning() == "" {
		t.Fatalf("%+v %v", res, err)
	}
	if readString(t, f.secret) != string(cli) {
		t.Fatal("the newer CLI credential must be written back")
	}
}

// A concurrent writer holds the account lock and replaces the secret while WriteBack waits: WriteBack
// must wait for the lock, re-read inside it, and keep the newer secret.
func TestWriteBackWaitsForLockAndRereads(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, providers.OwnerUpstreamCLILogin, credJSON("a", "r", time.Now().Add(time.Hour)))
	p, _ := Prepare(ctx, f.req)
	now := time.Now()
	cliRewrite(t, p, credJSON("cli", "r2", now.Add(time.Hour)), now.Add(time.Second))

	lock, err := state.LockAccount(ctx, f.stateDir, "fake", "a1", false)
	if err != nil {
		t.Fatal(err)
	}
	type out struct {
		res WriteBackResult
		err error
	}
	done := make(chan out, 1)
	go func() {
		res, err := p.WriteBack(ctx)
		done <- out{res, err}
	}()
	select {
	case o := <-done:
		t.Fatalf("WriteBack did not wait for the lock: %+v %v", o.res, o.err)
	case <-time.After(100 * time.Millisecond):
	}
	user := credJSON("other-process", "r9", now.Add(time.Hour))
	if err := state.WriteFileAtomic(f.secret, user, 0o640); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(f.secret, now.Add(10*time.Second), now.Add(10*time.Second))
	lock.Release()
	o := <-done
	if o.err != nil || o.res.Action != WriteBackKeptSecret {
		t.Fatalf("%+v %v", o.res, o.err)
	}
	if readString(t, f.secret) != string(user) {
		t.Fatal("the concurrent writer's credential was overwritten")
	}
}

func TestWriteBackLockTimeout(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, providers.OwnerUpstreamCLILogin, credJSON("a", "r", time.Now().Add(time.Hour)))
	p, _ := Prepare(ctx, f.req)
	cliRewrite(t, p, credJSON("cli", "r2", time.Now().Add(time.Hour)), time.Now().Add(time.Second))
	lock, err := state.LockAccount(ctx, f.stateDir, "fake", "a1", false)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := p.WriteBack(cctx); err == nil {
		t.Fatal("want a lock error")
	}
}

func TestWriteBackTemplate(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, providers.OwnerUpstreamCLILogin, []byte("raw-"+canary))
	f.req.Definition.Injection.CredentialTemplate = `{"key":{{json .AccessToken}}}`
	p, err := Prepare(ctx, f.req)
	if err != nil {
		t.Fatal(err)
	}
	if got := readString(t, p.CredentialPath); got != `{"key":"raw-`+canary+`"}` {
		t.Fatalf("rendered %q", got)
	}
	cliRewrite(t, p, []byte(`{"key":"x"}`), time.Now().Add(time.Second))
	res, err := p.WriteBack(ctx)
	if err != nil || res.Action != WriteBackTemplate {
		t.Fatalf("%+v %v", res, err)
	}
	if readString(t, f.secret) != "raw-"+canary {
		t.Fatal("a template-rendered file must not replace the secret")
	}
}

// TestMergeCodexRefresh: a refresh of a Codex auth.json stores the answer's id_token and the
// refresh's instant where Codex reads them, keeping every other field.
func TestMergeCodexRefresh(t *testing.T) {
	def, _ := providers.Builtin("codex")
	raw := []byte(`{"OPENAI_API_KEY":null,"tokens":{"id_token":"old-id","access_token":"old-a","refresh_token":"old-r","account_id":"acct-1"},"last_refresh":"2026-01-01T00:00:00Z"}`)
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	nt := (&oauth2.Token{AccessToken: "new-a", RefreshToken: "new-r"}).WithExtra(map[string]any{"id_token": "new-id"})
	out, err := mergeToken(def.Credential, raw, "new-a", "new-r", nt, now)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Tokens      map[string]string `json:"tokens"`
		LastRefresh string            `json:"last_refresh"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"id_token": "new-id", "access_token": "new-a", "refresh_token": "new-r", "account_id": "acct-1"}
	if !maps.Equal(got.Tokens, want) || got.LastRefresh != "2026-12-03T10:00:00Z" {
		t.Errorf("merged = %s", out)
	}
}
