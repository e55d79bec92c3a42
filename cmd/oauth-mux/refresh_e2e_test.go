//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/oauth-mux/oauth-mux/testkit"
)

// These tests run the real oauth-mux binary (testscript.Main put it on PATH) as separate processes,
// for what a script cannot express: many processes at once, and a SIGKILL at a chosen instant.

// e2eTokenServer is a loopback token endpoint that counts requests and can hold its answer.
type e2eTokenServer struct {
	*httptest.Server
	count   atomic.Int64
	delay   atomic.Int64 // nanoseconds
	arrived chan struct{}
}

func newE2ETokenServer(t *testing.T, delay time.Duration) *e2eTokenServer {
	s := &e2eTokenServer{arrived: make(chan struct{}, 64)}
	s.delay.Store(int64(delay))
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := s.count.Add(1)
		s.arrived <- struct{}{}
		select {
		case <-time.After(time.Duration(s.delay.Load())):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"new-access-%d","refresh_token":"new-refresh-%d","token_type":"Bearer","expires_in":3600}`, n, n)
	}))
	t.Cleanup(s.Close)
	return s
}

type e2eEnv struct {
	dir, config, secret, state string
	env                        []string
}

// newE2EEnv writes a config with one linear account whose token endpoint is url, and the account's
// credential file with content.
func newE2EEnv(t *testing.T, url string, secret config, content string) *e2eEnv {
	t.Helper()
	if _, err := exec.LookPath("oauth-mux"); err != nil {
		t.Skip("oauth-mux is not on PATH (run through go test, whose TestMain puts it there)")
	}
	dir := t.TempDir()
	e := &e2eEnv{dir: dir, config: filepath.Join(dir, "config.json"), secret: filepath.Join(dir, "linear.json"),
		state: filepath.Join(dir, "state")}
	if secret == nil {
		secret = config{"backend": "file", "path": e.secret}
	}
	cfg := config{"version": 1,
		"provider_definitions": config{"linear": config{"auth": config{"token_endpoint": url}}},
		"providers":            config{"linear": config{"accounts": config{"work": config{"secret": secret}}}},
	}
	b, _ := json.Marshal(cfg)
	must(t, os.WriteFile(e.config, b, 0o600))
	if content != "" {
		must(t, os.WriteFile(e.secret, []byte(content), 0o600))
	}
	e.env = testkit.Environ(t, dir, "OMUX_STATE_DIR="+e.state, "OMUX_CONFIG="+e.config)
	return e
}

type config = map[string]any

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (e *e2eEnv) command(ctx context.Context, args ...string) *exec.Cmd {
	c := exec.CommandContext(ctx, "oauth-mux", args...)
	c.Env = e.env
	c.Dir = e.dir
	return c
}

const expiredLinear = `{
  "access_token": "CANARY-AT-OLD",
  "refresh_token": "CANARY-RT-OLD",
  "expires_at": 1000,
  "workspace": {"id": "w1", "tags": ["x"]}
}
`

// Eight `oauth-mux env` processes on one expired credential: one refresh request, eight new tokens.
func TestRefreshConcurrentEnvOneRequest(t *testing.T) {
	t.Parallel()
	srv := newE2ETokenServer(t, 300*time.Millisecond)
	e := newE2EEnv(t, srv.URL+"/token", nil, expiredLinear)
	must(t, os.Chmod(e.secret, 0o640))

	const n = 8
	outs := make([]string, n)
	errs := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := e.command(t.Context(), "env", "--provider", "linear", "--shell", "bash")
			var so, se bytes.Buffer
			c.Stdout, c.Stderr = &so, &se
			if err := c.Run(); err != nil {
				errs[i] = fmt.Sprintf("%v: %s", err, se.String())
			}
			outs[i] = so.String()
			if se.Len() > 0 && errs[i] == "" {
				errs[i] = "stderr: " + se.String()
			}
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != "" {
			t.Errorf("env #%d: %s", i, redact(errs[i]))
		}
		if !strings.Contains(outs[i], "export LINEAR_ACCESS_TOKEN='new-access-1'\n") {
			t.Errorf("env #%d did not print the new token:\n%s", i, redact(outs[i]))
		}
		if strings.Contains(outs[i], "CANARY") {
			t.Errorf("env #%d printed an old token", i)
		}
	}
	if got := srv.count.Load(); got != 1 {
		t.Errorf("%d refresh requests, want exactly 1", got)
	}
	b, err := os.ReadFile(e.secret)
	must(t, err)
	var m map[string]any
	must(t, json.Unmarshal(b, &m))
	if m["refresh_token"] != "new-refresh-1" || m["access_token"] != "new-access-1" {
		t.Errorf("credential after refresh: access %v refresh %v", m["access_token"] != nil, m["refresh_token"] != nil)
	}
	if ws, _ := m["workspace"].(map[string]any); ws == nil || ws["id"] != "w1" {
		t.Errorf("unknown field lost: %s", redact(string(b)))
	}
	if fi, err := os.Stat(e.secret); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("mode after refresh: %v %v, want 0640", fi.Mode().Perm(), err)
	}
	ev, err := os.ReadFile(filepath.Join(e.state, "repair-events.jsonl"))
	must(t, err)
	if c := strings.Count(string(ev), `"outcome":"refreshed"`); c != 1 {
		t.Errorf("%d refreshed events, want 1:\n%s", c, ev)
	}
	if strings.Contains(string(ev), "CANARY") || strings.Contains(string(ev), "new-") || strings.Contains(string(ev), e.secret) {
		t.Errorf("events hold a token or a path:\n%s", ev)
	}
}

// redact keeps failure messages free of the planted tokens' values (they are test values, but the
// rule is that test logs never show a token).
func redact(s string) string {
	for _, p := range []string{"CANARY-AT-OLD", "CANARY-RT-OLD"} {
		s = strings.ReplaceAll(s, p, "<redacted>")
	}
	return s
}

// A SIGKILL at any moment around the write-back leaves the old file or the new one, never a broken
// one, and never a lock that outlives the process.
func TestRefreshSIGKILLDuringWriteback(t *testing.T) {
	t.Parallel()
	const delay = 80 * time.Millisecond
	srv := newE2ETokenServer(t, delay)
	e := newE2EEnv(t, srv.URL+"/token", nil, expiredLinear)
	offsets := []time.Duration{0, 60, 75, 80, 82, 85, 88, 92, 100, 130}
	for i, off := range offsets {
		off *= time.Millisecond
		must(t, os.WriteFile(e.secret, []byte(expiredLinear), 0o600))
		before := srv.count.Load()
		c := e.command(context.Background(), "refresh", "--provider", "linear")
		must(t, c.Start())
		select {
		case <-srv.arrived:
		case <-time.After(10 * time.Second):
			c.Process.Kill()
			c.Wait()
			t.Fatalf("round %d: the refresh request never arrived", i)
		}
		time.Sleep(off)
		c.Process.Signal(syscall.SIGKILL)
		c.Wait()
		b, err := os.ReadFile(e.secret)
		must(t, err)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("round %d (kill %v after the request): the credential does not parse: %v", i, off, err)
		}
		n := before + 1
		old := m["access_token"] == "CANARY-AT-OLD" && m["refresh_token"] == "CANARY-RT-OLD"
		fresh := m["access_token"] == fmt.Sprintf("new-access-%d", n) && m["refresh_token"] == fmt.Sprintf("new-refresh-%d", n)
		if !old && !fresh || m["workspace"] == nil {
			t.Fatalf("round %d (kill %v): the credential is neither the old nor the new one", i, off)
		}
		t.Logf("round %d: kill %v after the request left the %s file", i, off, map[bool]string{true: "old", false: "new"}[old])
	}
	// The account lock died with the processes: a refresh now goes through at once.
	srv.delay.Store(0)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := e.command(ctx, "refresh", "--provider", "linear", "--json")
	out, err := c.Output()
	if err != nil || !bytes.Contains(out, []byte(`"outcome": "refreshed"`)) {
		t.Fatalf("refresh after the kills: %v\n%s", err, out)
	}
}

// An age-encrypted credential read in process with keys generated here, through `env`; a wrong
// identity is exit 202 naming the backend.
func TestAgeCredentialThroughEnv(t *testing.T) {
	t.Parallel()
	id, err := age.GenerateX25519Identity()
	must(t, err)
	other, err := age.GenerateX25519Identity()
	must(t, err)
	dir := t.TempDir()
	enc := filepath.Join(dir, "linear.json.age")
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, id.Recipient())
	must(t, err)
	fmt.Fprint(w, `{"access_token":"AGE-CANARY-AT","refresh_token":"AGE-CANARY-RT","expires_at":4102444800}`)
	must(t, w.Close())
	must(t, os.WriteFile(enc, buf.Bytes(), 0o600))
	keyFile := filepath.Join(dir, "key.txt")
	must(t, os.WriteFile(keyFile, []byte("# test key\n"+id.String()+"\n"), 0o600))

	for _, tc := range []struct{ name, identity string }{{"key file", keyFile}, {"inline", id.String()}} {
		e := newE2EEnv(t, "https://example.invalid/token", config{"backend": "age", "path": enc, "identity": tc.identity}, "")
		out, err := e.command(t.Context(), "env", "--provider", "linear", "--shell", "fish").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "set -gx LINEAR_ACCESS_TOKEN 'AGE-CANARY-AT';") {
			t.Errorf("%s: %v\n%s", tc.name, err, out)
		}
		if strings.Contains(string(out), "AGE-CANARY-RT") || strings.Contains(string(out), "AGE-SECRET-KEY") {
			t.Errorf("%s: env printed the refresh token or the identity", tc.name)
		}
	}
	e := newE2EEnv(t, "https://example.invalid/token", config{"backend": "age", "path": enc, "identity": other.String()}, "")
	c := e.command(t.Context(), "env", "--provider", "linear")
	var so, se bytes.Buffer
	c.Stdout, c.Stderr = &so, &se
	err = c.Run()
	if code := exitCodeOf(err); code != 202 && code != 201 {
		t.Errorf("wrong identity: exit %d, want 202 (or 201 when the dead account ends the routes)\n%s", code, se.String())
	}
	if !strings.Contains(se.String(), "age") || strings.Contains(se.String()+so.String(), "AGE-") {
		t.Errorf("wrong identity: the message must name the age backend and no key or token:\n%s", se.String())
	}
}

func exitCodeOf(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

// sopsBinary finds a real sops: on PATH, or where `go install` puts it.
func sopsBinary() string {
	if p, err := exec.LookPath("sops"); err == nil {
		return p
	}
	for _, d := range []string{os.Getenv("GOBIN"), filepath.Join(os.Getenv("HOME"), "go", "bin")} {
		if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil && d == "" {
			d = filepath.Join(strings.TrimSpace(string(out)), "bin")
		}
		if d == "" {
			continue
		}
		if p := filepath.Join(d, "sops"); fileExists(p) {
			return p
		}
	}
	return ""
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

// A sops-encrypted credential (age recipient) decrypted by a real sops binary, whole and at a key_path.
func TestSopsCredentialThroughEnv(t *testing.T) {
	t.Parallel()
	sops := sopsBinary()
	if sops == "" {
		t.Skip("sops is not installed: go install github.com/getsops/sops/v3/cmd/sops@v3.13.3 (.ci/run does)")
	}
	id, err := age.GenerateX25519Identity()
	must(t, err)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "keys.txt")
	must(t, os.WriteFile(keyFile, []byte(id.String()+"\n"), 0o600))
	plain := filepath.Join(dir, "plain.json")
	must(t, os.WriteFile(plain, []byte(`{"accounts":{"work":{"access_token":"SOPS-CANARY-AT","refresh_token":"SOPS-CANARY-RT","expires_at":4102444800}}}`), 0o600))
	enc := filepath.Join(dir, "secrets.enc.json")
	c := exec.Command(sops, "--encrypt", "--age", id.Recipient().String(), "--input-type", "json", "--output-type", "json", plain)
	c.Env = append(os.Environ(), "SOPS_DISABLE_VERSION_CHECK=1")
	out, err := c.Output()
	if err != nil {
		t.Fatalf("sops --encrypt: %v", err)
	}
	must(t, os.WriteFile(enc, out, 0o600))
	must(t, os.Remove(plain))
	if bytes.Contains(out, []byte("SOPS-CANARY")) {
		t.Fatal("sops did not encrypt the values")
	}

	e := newE2EEnv(t, "https://example.invalid/token", config{"backend": "sops", "path": enc, "key_path": "accounts.work"}, "")
	e.env = append(e.env, "SOPS_AGE_KEY_FILE="+keyFile, "SOPS_DISABLE_VERSION_CHECK=1",
		"PATH="+filepath.Dir(sops)+string(os.PathListSeparator)+os.Getenv("PATH"))
	got, err := e.command(t.Context(), "env", "--provider", "linear", "--shell", "bash").CombinedOutput()
	if err != nil || !strings.Contains(string(got), "export LINEAR_ACCESS_TOKEN='SOPS-CANARY-AT'") {
		t.Fatalf("env with a sops secret: %v\n%s", err, got)
	}
	if strings.Contains(string(got), "SOPS-CANARY-RT") {
		t.Error("env printed the refresh token")
	}

	// Without the key: exit 202 naming sops, no secret.
	e.env = append(e.env, "SOPS_AGE_KEY_FILE="+filepath.Join(dir, "missing.txt"))
	c2 := e.command(t.Context(), "env", "--provider", "linear")
	var se bytes.Buffer
	c2.Stderr = &se
	err = c2.Run()
	if code := exitCodeOf(err); code != 202 && code != 201 {
		t.Errorf("sops without its key: exit %d, want 202\n%s", code, se.String())
	}
	if !strings.Contains(se.String(), "sops") || strings.Contains(se.String(), "SOPS-CANARY") {
		t.Errorf("sops without its key: the message must name sops and no token:\n%s", se.String())
	}
}
