//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/oauth-mux/oauth-mux/internal/testredis"
	"github.com/oauth-mux/oauth-mux/testkit"
)

// familyServer is a token endpoint that rotates refresh tokens and, like the providers whose
// rotation breaks fleets, revokes the whole family when a used refresh token comes back.
type familyServer struct {
	*httptest.Server
	mu           sync.Mutex
	current      string
	used         map[string]bool
	revoked      bool
	requests     int
	invalidGrant int
	// gate, when set, runs before each request is answered (outside the lock).
	gate func()
}

func newFamilyServer(t *testing.T, first string) *familyServer {
	s := &familyServer{current: first, used: map[string]bool{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		rt := r.PostForm.Get("refresh_token")
		if s.gate != nil {
			s.gate()
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.requests++
		if s.used[rt] || s.revoked || rt != s.current {
			s.revoked = true
			s.invalidGrant++
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"invalid_grant","error_description":"refresh token reused: family revoked"}`)
			return
		}
		s.used[rt] = true
		s.current = fmt.Sprintf("rotated-refresh-%d", s.requests)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"rotated-access-%d","refresh_token":%q,"token_type":"Bearer","expires_in":3600}`, s.requests, s.current)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *familyServer) counts() (requests, invalid int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests, s.invalidGrant
}

// fleetMachine is one machine of a pool with one account.
type fleetMachine struct {
	dir, secret, state string
	env                []string
}

// fleetAccount is the one account every machine of a fleet holds: its provider and name, the
// secret file's name in the machine's dir and what the file holds at first.
type fleetAccount struct{ provider, name, file, cred string }

// newFleet is a pool of machines sharing one linear account, refreshed by oauth-mux against the
// token endpoint tokenURL.
func newFleet(t *testing.T, srv *testredis.Server, tokenURL string, machines int, leaseMS int) []*fleetMachine {
	t.Helper()
	return newMachines(t, srv, tokenURL, machines, leaseMS, fleetAccount{"linear", "work", "linear.json", expiredLinear})
}

// newMachines sets up machines of one pool (an HOME, state dir and host id each; one age identity
// for the pool), each holding acct, the provider's token endpoint pointed at tokenURL. leaseMS 0 is
// the default lease.
func newMachines(t *testing.T, srv *testredis.Server, tokenURL string, machines, leaseMS int, acct fleetAccount) []*fleetMachine {
	t.Helper()
	if _, err := exec.LookPath("oauth-mux"); err != nil {
		t.Skip("oauth-mux is not on PATH")
	}
	id, err := age.GenerateX25519Identity()
	must(t, err)
	var out []*fleetMachine
	for i := range machines {
		dir := t.TempDir()
		m := &fleetMachine{dir: dir, secret: filepath.Join(dir, acct.file), state: filepath.Join(dir, "state")}
		redis := config{"url": srv.URL(), "pool": "fleet", "timeout_ms": 3000, "recipient": id.Recipient().String(),
			"identity": config{"backend": "env", "variable": "POOL_AGE_IDENTITY"}}
		if leaseMS > 0 {
			redis["lease_ms"] = leaseMS
		}
		cfg := config{"version": 1,
			"provider_definitions": config{acct.provider: config{"auth": config{"token_endpoint": tokenURL}}},
			"providers":            config{acct.provider: config{"accounts": config{acct.name: config{"secret": config{"backend": "file", "path": m.secret}}}}},
			"shared":               config{"redis": redis},
		}
		b, _ := json.Marshal(cfg)
		must(t, os.WriteFile(filepath.Join(dir, "config.json"), b, 0o600))
		must(t, os.WriteFile(m.secret, []byte(acct.cred), 0o600))
		m.env = testkit.Environ(t, dir, "OMUX_STATE_DIR="+m.state, "OMUX_CONFIG="+filepath.Join(dir, "config.json"),
			fmt.Sprintf("OMUX_HOST_ID=machine-%d", i), "POOL_AGE_IDENTITY="+id.String())
		out = append(out, m)
	}
	return out
}

// expire moves the machine's credential's expiry into the past, keeping the rest of it.
func (m *fleetMachine) expire(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile(m.secret)
	must(t, err)
	var cred map[string]any
	must(t, json.Unmarshal(b, &cred))
	cred["expires_at"] = 1000
	b, _ = json.Marshal(cred)
	must(t, os.WriteFile(m.secret, b, 0o600))
}

func (m *fleetMachine) command(t *testing.T, args ...string) *exec.Cmd {
	c := exec.CommandContext(t.Context(), "oauth-mux", args...)
	c.Env, c.Dir = m.env, m.dir
	return c
}

// TestFleetOneRefreshPerGeneration: 20 processes on 4 machines, one expired token whose refresh
// token rotates and is single-use: exactly one refresh request, no invalid_grant, every process
// gets the new token, and no token is in Redis in clear.
func TestFleetOneRefreshPerGeneration(t *testing.T) {
	t.Parallel()
	srv := testredis.Start(t)
	tokens := newFamilyServer(t, "CANARY-RT-OLD")
	fleet := newFleet(t, srv, tokens.URL+"/token", 4, 0)

	const perMachine = 5
	var wg sync.WaitGroup
	results := make([]string, len(fleet)*perMachine)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := fleet[i%len(fleet)].command(t, "env", "--provider", "linear", "--shell", "bash")
			var so, se bytes.Buffer
			c.Stdout, c.Stderr = &so, &se
			if err := c.Run(); err != nil {
				results[i] = fmt.Sprintf("error %v: %s", err, se.String())
				return
			}
			results[i] = so.String()
		}()
	}
	wg.Wait()
	for i, r := range results {
		if !strings.Contains(r, "export LINEAR_ACCESS_TOKEN='rotated-access-1'") {
			t.Errorf("process %d (machine %d) did not get the refreshed token:\n%s", i, i%len(fleet), redact(r))
		}
	}
	if req, bad := tokens.counts(); req != 1 || bad != 0 {
		t.Errorf("%d refresh requests and %d invalid_grant, want 1 and 0", req, bad)
	}
	for i, m := range fleet {
		b, err := os.ReadFile(m.secret)
		must(t, err)
		if !strings.Contains(string(b), "rotated-refresh-1") {
			t.Errorf("machine %d does not hold the rotated refresh token", i)
		}
	}

	// The next generation: every machine's token expires again; one more request, still no reuse.
	for _, m := range fleet {
		m.expire(t)
	}
	for _, m := range fleet {
		c := m.command(t, "env", "--provider", "linear", "--shell", "bash")
		if out, err := c.CombinedOutput(); err != nil || !strings.Contains(string(out), "rotated-access-2") {
			t.Errorf("second generation: %v\n%s", err, redact(string(out)))
		}
	}
	if req, bad := tokens.counts(); req != 2 || bad != 0 {
		t.Errorf("after the second expiry: %d requests and %d invalid_grant, want 2 and 0", req, bad)
	}
	scanRedisForTokens(t, srv, "CANARY", "rotated-access", "rotated-refresh")
}

// scanRedisForTokens reads every key and value of the server and fails on any of the needles.
func scanRedisForTokens(t *testing.T, srv *testredis.Server, needles ...string) {
	t.Helper()
	keys, err := srv.CLI("--scan")
	must(t, err)
	if strings.TrimSpace(keys) == "" {
		t.Fatal("the pool left no keys to scan")
	}
	var all strings.Builder
	for _, k := range strings.Fields(keys) {
		all.WriteString(k + "\n")
		typ, _ := srv.CLI("TYPE", k)
		var v string
		switch typ {
		case "string":
			v, _ = srv.CLI("GET", k)
		case "zset":
			v, _ = srv.CLI("ZRANGE", k, "0", "-1", "WITHSCORES")
		default:
			v, _ = srv.CLI("DUMP", k)
		}
		all.WriteString(v + "\n")
	}
	for _, n := range needles {
		if strings.Contains(all.String(), n) {
			t.Errorf("Redis holds %q in clear", n)
		}
	}
}

// TestFleetStoppedHolderDoesNotSend: a lease holder stopped (SIGSTOP) past its lease is taken over
// by another machine, and sends nothing when it resumes. With Redis gone nobody refreshes.
func TestFleetStoppedHolderDoesNotSend(t *testing.T) {
	t.Parallel()
	srv := testredis.Start(t)
	tokens := newFamilyServer(t, "CANARY-RT-OLD")
	fleet := newFleet(t, srv, tokens.URL+"/token", 2, 1000)
	a, b := fleet[0], fleet[1]

	holder := a.command(t, "refresh")
	holder.Env = append(holder.Env, "OMUX_TEST_STOP_AFTER_LEASE=1")
	var hout bytes.Buffer
	holder.Stdout, holder.Stderr = &hout, &hout
	must(t, holder.Start())
	deadline := time.Now().Add(10 * time.Second)
	for !stopped(holder.Process.Pid) {
		if time.Now().After(deadline) {
			t.Fatalf("the holder never stopped:\n%s", hout.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(1200 * time.Millisecond) // past the 1 s lease

	if out, err := b.command(t, "refresh").CombinedOutput(); err != nil {
		t.Fatalf("B could not take the lease over: %v\n%s", err, redact(string(out)))
	}
	if req, _ := tokens.counts(); req != 1 {
		t.Fatalf("%d requests after B's refresh, want 1", req)
	}
	must(t, holder.Process.Signal(syscall.SIGCONT))
	err := holder.Wait()
	if req, bad := tokens.counts(); req != 1 || bad != 0 {
		t.Errorf("the resumed holder sent: %d requests, %d invalid_grant (exit %v)\n%s", req, bad, err, redact(hout.String()))
	}
	if !strings.Contains(hout.String(), "lease") {
		t.Errorf("the resumed holder does not say it lost its lease:\n%s", redact(hout.String()))
	}

	// Redis down, A's token expired: A is not refreshed alone.
	a.expire(t)
	srv.Kill()
	out, err := a.command(t, "env", "--provider", "linear", "--shell", "bash").CombinedOutput()
	if err == nil {
		t.Errorf("env on an expired pool account with Redis down succeeded:\n%s", redact(string(out)))
	}
	if req, _ := tokens.counts(); req != 1 {
		t.Errorf("a refresh was sent while the pool was offline (%d requests)", req)
	}
	if !strings.Contains(string(out), "offline") {
		t.Errorf("env does not say the pool is offline:\n%s", redact(string(out)))
	}
}

// stopped reports whether pid is stopped (state T in /proc, or ps elsewhere).
func stopped(pid int) bool {
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		return len(f) > 0 && f[0] == "T"
	}
	out, err := exec.Command("ps", "-o", "state=", "-p", fmt.Sprint(pid)).Output()
	return err == nil && strings.HasPrefix(strings.TrimSpace(string(out)), "T")
}

// TestFleetRefreshOutlivesAnOutage: Redis dies while the holder's refresh is in flight, so the
// rotated credential cannot be committed. It is kept sealed on that machine and committed by its
// next command, before another machine (whose copy holds the used refresh token) would refresh.
// Redis then loses its data (FLUSHALL): the next generation is still adopted by every machine.
func TestFleetRefreshOutlivesAnOutage(t *testing.T) {
	t.Parallel()
	srv := testredis.Start(t)
	tokens := newFamilyServer(t, "CANARY-RT-OLD")
	inFlight, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	tokens.gate = func() { once.Do(func() { close(inFlight); <-release }) }
	fleet := newFleet(t, srv, tokens.URL+"/token", 2, 0)
	a, b := fleet[0], fleet[1]

	holder := a.command(t, "refresh")
	var hout bytes.Buffer
	holder.Stdout, holder.Stderr = &hout, &hout
	must(t, holder.Start())
	select {
	case <-inFlight:
	case <-time.After(20 * time.Second):
		t.Fatal("the refresh request never came")
	}
	srv.Kill()
	close(release)
	if err := holder.Wait(); err != nil {
		t.Fatalf("the refresh failed with the pool gone after the request: %v\n%s", err, redact(hout.String()))
	}
	if !strings.Contains(hout.String(), "did not reach the pool") {
		t.Errorf("refresh does not say its credential did not reach the pool:\n%s", redact(hout.String()))
	}
	if p, _ := filepath.Glob(filepath.Join(a.state, "pool", "*.pending")); len(p) != 1 {
		t.Fatalf("pending credentials on A: %v, want one", p)
	}

	srv.Restart() // empty: the server kept nothing
	if out, err := a.command(t, "env", "--provider", "linear", "--shell", "bash").CombinedOutput(); err != nil {
		t.Fatalf("A's next command: %v\n%s", err, redact(string(out)))
	}
	if p, _ := filepath.Glob(filepath.Join(a.state, "pool", "*.pending")); len(p) != 0 {
		t.Fatalf("A's pending credential was not committed: %v", p)
	}
	out, err := b.command(t, "env", "--provider", "linear", "--shell", "bash").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "rotated-access-1") {
		t.Fatalf("B did not adopt A's refresh: %v\n%s", err, redact(string(out)))
	}
	if req, bad := tokens.counts(); req != 1 || bad != 0 {
		t.Fatalf("%d requests and %d invalid_grant after the outage, want 1 and 0", req, bad)
	}

	// Redis loses everything again; both tokens expire: one refresh, and the other machine adopts it
	// although it holds a generation number from before the loss.
	_, err = srv.CLI("FLUSHALL")
	must(t, err)
	a.expire(t)
	b.expire(t)
	for i, m := range []*fleetMachine{a, b} {
		out, err := m.command(t, "env", "--provider", "linear", "--shell", "bash").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "rotated-access-2") {
			t.Errorf("machine %d after the data loss: %v\n%s", i, err, redact(string(out)))
		}
	}
	if req, bad := tokens.counts(); req != 2 || bad != 0 {
		t.Errorf("%d requests and %d invalid_grant after the data loss, want 2 and 0", req, bad)
	}
}

// claudeCred is a Claude Code credential file expiring at exp.
func claudeCred(access, refresh string, exp time.Time) string {
	return fmt.Sprintf(`{"claudeAiOauth":{"accessToken":%q,"refreshToken":%q,"expiresAt":%d,"scopes":["user:inference"]}}`, access, refresh, exp.UnixMilli())
}

// newClaudeFleet is a pool of machines sharing one Claude Code account (a credential its own CLI
// refreshes), whose token endpoint is the loopback familyServer.
func newClaudeFleet(t *testing.T, srv *testredis.Server, tokenURL string, machines int, cred string) []*fleetMachine {
	t.Helper()
	return newMachines(t, srv, tokenURL, machines, 0, fleetAccount{"claude", "team", "claude.json", cred})
}

// managed is the credential file the machine's claude child sees.
func (m *fleetMachine) managed() string {
	return filepath.Join(m.state, "homes", "claude", "team", ".credentials.json")
}

// claude runs `exec -- claude` on the machine with the child's steps in script (none: "claude ok").
func (m *fleetMachine) claude(t *testing.T, script string) *exec.Cmd {
	c := m.command(t, "exec", "--provider", "claude", "--", "claude", "-p", "hi")
	if script != "" {
		f := filepath.Join(t.TempDir(), "claude.script")
		must(t, os.WriteFile(f, []byte(script), 0o600))
		c.Env = append(c.Env, "FAKECLI_CLAUDE_SCRIPT="+f)
	}
	return c
}

func fileHas(t *testing.T, path, needle string) bool {
	t.Helper()
	b, err := os.ReadFile(path)
	return err == nil && strings.Contains(string(b), needle)
}

// TestFleetCLIOwnedCredential: a Claude Code credential shared by a pool. The first machine
// refreshes it ahead (its token expires within the 30 min margin) as the one holder, the second
// adopts that generation into its managed config dir before launch; a credential the CLI rotates
// by itself is written back as the next generation and adopted by the other machine; two machines
// rotating at once make the loser suspect; with Redis gone the account is used until its token
// nears expiry and then skipped, never refreshed alone.
func TestFleetCLIOwnedCredential(t *testing.T) {
	t.Parallel()
	srv := testredis.Start(t)
	tokens := newFamilyServer(t, "CANARY-RT-OLD")
	fleet := newClaudeFleet(t, srv, tokens.URL+"/token", 2, claudeCred("CANARY-AT-OLD", "CANARY-RT-OLD", time.Now().Add(10*time.Minute)))
	a, b := fleet[0], fleet[1]

	if out, err := a.claude(t, "").CombinedOutput(); err != nil || !strings.Contains(string(out), "claude ok") {
		t.Fatalf("A's run: %v\n%s", err, redact(string(out)))
	}
	if !fileHas(t, a.managed(), "rotated-access-1") {
		t.Fatal("A's child did not start with the credential refreshed ahead")
	}
	if out, err := b.claude(t, "").CombinedOutput(); err != nil {
		t.Fatalf("B's run: %v\n%s", err, redact(string(out)))
	}
	if !fileHas(t, b.managed(), "rotated-access-1") || !fileHas(t, b.secret, "rotated-refresh-1") {
		t.Fatal("B did not adopt the pool's generation before launch")
	}
	if req, bad := tokens.counts(); req != 1 || bad != 0 {
		t.Fatalf("%d refresh requests and %d invalid_grant, want 1 and 0", req, bad)
	}

	// B's CLI rotates the credential itself: the next generation, which A adopts.
	later := time.Now().Add(2 * time.Hour)
	if out, err := b.claude(t, "write "+b.managed()+" "+claudeCred("cli-access-b", "cli-refresh-b", later)+"\n").CombinedOutput(); err != nil {
		t.Fatalf("B's rotating run: %v\n%s", err, redact(string(out)))
	}
	if out, err := a.claude(t, "").CombinedOutput(); err != nil {
		t.Fatalf("A's run after B's rotation: %v\n%s", err, redact(string(out)))
	}
	if !fileHas(t, a.managed(), "cli-access-b") || !fileHas(t, a.secret, "cli-refresh-b") {
		t.Fatal("A did not adopt the credential B's CLI rotated")
	}

	// Both CLIs rotate at once: A's child rotates and waits; B rotates and stores first.
	gate := filepath.Join(t.TempDir(), "go")
	holdA := a.claude(t, "write "+a.managed()+" "+claudeCred("cli-access-a2", "cli-refresh-a2", later)+"\nwaitfile "+gate+"\n")
	var aout bytes.Buffer
	holdA.Stdout, holdA.Stderr = &aout, &aout
	must(t, holdA.Start())
	for deadline := time.Now().Add(10 * time.Second); !fileHas(t, a.managed(), "cli-access-a2"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("A's child never rotated:\n%s", redact(aout.String()))
		}
	}
	if out, err := b.claude(t, "write "+b.managed()+" "+claudeCred("cli-access-b2", "cli-refresh-b2", later)+"\n").CombinedOutput(); err != nil {
		t.Fatalf("B's second rotating run: %v\n%s", err, redact(string(out)))
	}
	must(t, os.WriteFile(gate, nil, 0o600))
	if err := holdA.Wait(); err != nil {
		t.Fatalf("A's rotating run: %v\n%s", err, redact(aout.String()))
	}
	if !strings.Contains(aout.String(), "suspect") {
		t.Errorf("A does not say the account is suspect after the conflict:\n%s", redact(aout.String()))
	}
	hj, err := a.command(t, "health", "--json").CombinedOutput()
	if err != nil || !strings.Contains(string(hj), `"reason": "credential_conflict"`) {
		t.Errorf("A's health after the conflict does not mark the account suspect: %v\n%s", err, redact(string(hj)))
	}
	if out, err := a.claude(t, "").CombinedOutput(); err != nil || !fileHas(t, a.managed(), "cli-access-b2") {
		t.Errorf("A's next run does not take the pool's credential: %v\n%s", err, redact(string(out)))
	}

	// Redis gone: a token far from expiry is used; one within the margin is not.
	srv.Kill()
	if out, err := a.claude(t, "").CombinedOutput(); err != nil || !strings.Contains(string(out), "claude ok") {
		t.Errorf("A offline with a good token: %v\n%s", err, redact(string(out)))
	}
	must(t, os.WriteFile(a.secret, []byte(claudeCred("cli-access-b2", "cli-refresh-b2", time.Now().Add(5*time.Minute))), 0o600))
	out, err := a.claude(t, "").CombinedOutput()
	if err == nil || strings.Contains(string(out), "claude ok") {
		t.Errorf("A offline with a token near expiry ran the child: %v\n%s", err, redact(string(out)))
	}
	if !strings.Contains(string(out), "offline") || strings.Contains(string(out), "redis: ") {
		t.Errorf("A does not say (once, in its own words) that the pool is offline:\n%s", redact(string(out)))
	}
	if req, bad := tokens.counts(); req != 1 || bad != 0 {
		t.Errorf("%d refresh requests and %d invalid_grant in the end, want 1 and 0", req, bad)
	}
}
