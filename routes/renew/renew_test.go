package renew

import (
	"encoding/json"
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
	"github.com/oauth-mux/oauth-mux/inject"
	"github.com/oauth-mux/oauth-mux/internal/testcfg"
	"github.com/oauth-mux/oauth-mux/routes"
	"github.com/oauth-mux/oauth-mux/state"
)

func TestDueAt(t *testing.T) {
	issued := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	exp := issued.Add(time.Hour)
	due := DueAt("linear:a", exp, issued)
	// 75 % of an hour is 45 minutes; the stagger brings it at most 3 minutes (5 %) earlier.
	if due.After(issued.Add(45*time.Minute)) || due.Before(issued.Add(42*time.Minute)) {
		t.Fatalf("due at %v after issue, want within [42m, 45m]", due.Sub(issued))
	}
	if again := DueAt("linear:a", exp, issued); !again.Equal(due) {
		t.Fatal("the stagger is not stable for one account")
	}
	// Different accounts issued together spread out.
	seen := map[time.Time]bool{}
	for i := range 20 {
		seen[DueAt(fmt.Sprintf("linear:acct-%d", i), exp, issued)] = true
	}
	if len(seen) < 15 {
		t.Fatalf("20 accounts share only %d due times", len(seen))
	}
	// Long lives: the stagger is capped at 5 minutes.
	day := DueAt("linear:a", issued.Add(24*time.Hour), issued)
	if d := issued.Add(18 * time.Hour).Sub(day); d < 0 || d > 5*time.Minute {
		t.Fatalf("stagger %v on a day-long token, want within [0, 5m]", d)
	}
	// A file newer than its expiry: 30 s before expiry.
	if got := DueAt("linear:a", issued, issued.Add(time.Minute)); !got.Equal(issued.Add(-30 * time.Second)) {
		t.Fatalf("touched file: due %v", got)
	}
}

const refreshConfig = `{
  "version": 1,
  "provider_definitions": {"linear": {"auth": {"token_endpoint": "%s"}}},
  "providers": {
    "linear": {"accounts": {
      "a": {"secret": {"backend": "file", "path": "%s"}},
      "ro": {"secret": {"backend": "env", "variable": "LIN"}}
    }},
    "codex": {"accounts": {"m": {"secret": {"backend": "file", "path": "/nonexistent"}}}},
    "github": {"accounts": {"g": {"secret": {"backend": "env", "variable": "GH"}}}}
  }
}`

type refreshFixture struct {
	routes map[string]routes.Route
	store  *state.Store
	dir    string
	cred   string
	hits   atomic.Int64
	mode   atomic.Value // "rotate", "invalid_grant", "500"
}

func newRefreshFixture(t *testing.T) *refreshFixture {
	f := &refreshFixture{dir: t.TempDir()}
	f.mode.Store("rotate")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := f.hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		switch f.mode.Load() {
		case "invalid_grant":
			w.WriteHeader(400)
			fmt.Fprint(w, `{"error":"invalid_grant"}`)
		case "500":
			w.WriteHeader(500)
		default:
			fmt.Fprintf(w, `{"access_token":"new-at-%d","refresh_token":"new-rt-%d","expires_in":3600}`, n, n)
		}
	}))
	t.Cleanup(srv.Close)
	f.cred = filepath.Join(f.dir, "a.json")
	if err := os.WriteFile(f.cred, []byte(`{"access_token":"old-at","refresh_token":"old-rt","expires_at":1000}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testcfg.Load(t, fmt.Sprintf(refreshConfig, srv.URL, f.cred))
	rs, err := AccountRoutes(cfg, routes.Selector{})
	if err != nil {
		t.Fatal(err)
	}
	f.routes = map[string]routes.Route{}
	for _, r := range rs {
		f.routes[r.AccountKey()] = r
	}
	if len(f.routes) != 4 {
		t.Fatalf("AccountRoutes: %v", len(rs))
	}
	if err := state.EnsureDir(f.dir); err != nil {
		t.Fatal(err)
	}
	f.store = state.Open(f.dir)
	return f
}

func (f *refreshFixture) events(t *testing.T) []state.Event {
	evs, err := state.ReadEvents(f.dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestRefreshAdmission(t *testing.T) {
	f := newRefreshFixture(t)
	for key, want := range map[string]string{"linear:a": "", "linear:ro": routes.ReasonReadOnlyBackend,
		"codex:m": routes.ReasonUpstreamOwner, "github:g": routes.ReasonExternalOwner} {
		ok, reason, hints := routes.RefreshAdmission(f.routes[key])
		if ok != (want == "") || reason != want {
			t.Errorf("%s: admitted %v reason %q, want %q", key, ok, reason, want)
		}
		if !ok && len(hints) == 0 {
			t.Errorf("%s: no hint", key)
		}
	}
	if _, _, h := routes.RefreshAdmission(f.routes["codex:m"]); !strings.Contains(h[0], "codex login") {
		t.Errorf("codex hint %q does not name the login command", h[0])
	}
}

func TestAccount(t *testing.T) {
	f := newRefreshFixture(t)
	r := f.routes["linear:a"]
	opts := Options{Trigger: "refresh", Force: true}
	rec := &routes.Recorder{Store: f.store, StateDir: f.dir, Scoring: state.DefaultScoring()}

	res := Account(t.Context(), rec, r, opts)
	if res.Outcome != routes.RefreshRefreshed || !res.Refreshed || !res.Rotated || res.ExitCode != 0 || res.ExpiresAt == nil {
		t.Fatalf("rotate: %+v", res)
	}
	b, _ := json.Marshal(res)
	if strings.Contains(string(b), "new-") || strings.Contains(string(b), f.cred) {
		t.Fatalf("result JSON holds a token or a path: %s", b)
	}

	// 500: 204, nothing recorded, the file untouched.
	before, _ := os.ReadFile(f.cred)
	f.mode.Store("500")
	res = Account(t.Context(), rec, r, opts)
	if res.Outcome != routes.RefreshFailed || res.Reason != routes.ReasonNetwork || res.ExitCode != 204 {
		t.Fatalf("500: %+v", res)
	}
	if h, _ := f.store.Load(); h.Record("linear:a") != nil {
		t.Fatal("a 500 was recorded against the account")
	}

	// invalid_grant: 203, dead(token_revoked) with the file's fingerprint, the file untouched.
	f.mode.Store("invalid_grant")
	res = Account(t.Context(), rec, r, opts)
	if res.Outcome != routes.RefreshDead || res.Reason != string(classify.TokenRevoked) || res.ExitCode != 203 {
		t.Fatalf("invalid_grant: %+v", res)
	}
	after, _ := os.ReadFile(f.cred)
	if string(after) != string(before) {
		t.Fatal("invalid_grant changed the credential file")
	}
	h, _ := f.store.Load()
	if st := h.Status("linear:a", r.Key(), time.Now()); st.Selectable || st.Reason != string(classify.TokenRevoked) {
		t.Fatalf("after invalid_grant: %+v", st)
	}
	if h.DeadFingerprint("linear:a") != state.Fingerprint(f.cred) {
		t.Fatal("the dead record does not hold the file's fingerprint")
	}

	// Not admitted: no request.
	hits := f.hits.Load()
	res = Account(t.Context(), rec, f.routes["codex:m"], opts)
	if res.Outcome != routes.RefreshNotAdmitted || res.ExitCode != 0 || f.hits.Load() != hits {
		t.Fatalf("codex: %+v", res)
	}

	evs := f.events(t)
	var outcomes []string
	for _, e := range evs {
		if e.Kind != state.KindTokenRefresh {
			t.Fatalf("event kind %s", e.Kind)
		}
		outcomes = append(outcomes, e.Outcome)
		if _, ok := e.Fields["writeback_capability"]; !ok {
			t.Errorf("event without writeback_capability: %+v", e)
		}
		if _, ok := e.Fields["automatic_refresh_admitted"]; !ok {
			t.Errorf("event without automatic_refresh_admitted: %+v", e)
		}
	}
	if want := []string{routes.RefreshRefreshed, routes.RefreshFailed, routes.RefreshDead, routes.RefreshNotAdmitted}; !slices.Equal(outcomes, want) {
		t.Fatalf("event outcomes = %v, want %v", outcomes, want)
	}
	raw, _ := os.ReadFile(state.EventsPath(f.dir))
	if strings.Contains(string(raw), "new-") || strings.Contains(string(raw), "old-") || strings.Contains(string(raw), f.cred) {
		t.Fatalf("events hold a token or a path:\n%s", raw)
	}

	// Re-login: the file is replaced; routes.ReviveChangedIn shows it without writing, ReviveChanged stores it.
	if err := state.WriteFileAtomic(f.cred, []byte(`{"access_token":"relogin","refresh_token":"r2","expires_at":4102444800}`), 0o600); err != nil {
		t.Fatal(err)
	}
	h, _ = f.store.Load()
	if got := routes.ReviveChangedIn(h, []routes.Route{r, r}, time.Now()); len(got) != 1 || got[0] != "linear:a" {
		t.Fatalf("routes.ReviveChangedIn = %v", got)
	}
	if h2, _ := f.store.Load(); h2.DeadFingerprint("linear:a") == "" {
		t.Fatal("routes.ReviveChangedIn wrote the store")
	}
	got, err := ReviveChanged(t.Context(), f.store, []routes.Route{r}, time.Now())
	if err != nil || len(got) != 1 {
		t.Fatalf("ReviveChanged = %v, %v", got, err)
	}
	h, _ = f.store.Load()
	if st := h.Status("linear:a", r.Key(), time.Now()); !st.Selectable || !st.RevalidationNeeded {
		t.Fatalf("after re-login: %+v", st)
	}
	if got, _ := ReviveChanged(t.Context(), f.store, []routes.Route{r}, time.Now()); len(got) != 0 {
		t.Fatalf("revived twice: %v", got)
	}
}

func TestRecordRefresh(t *testing.T) {
	f := newRefreshFixture(t)
	a := f.routes["linear:a"]
	routes.RecordRefresh(t.Context(), &routes.Recorder{StateDir: f.dir, Profile: "p"}, a, nil, nil)                // nothing happened
	routes.RecordRefresh(t.Context(), &routes.Recorder{StateDir: f.dir, Profile: "p"}, a, &inject.Prepared{}, nil) // nothing due
	routes.RecordRefresh(t.Context(), &routes.Recorder{StateDir: f.dir, Profile: "p"}, a, &inject.Prepared{Refreshed: true}, nil)
	past := time.Now().Add(-time.Hour)
	routes.RecordRefresh(t.Context(), &routes.Recorder{StateDir: f.dir, Profile: "p"}, f.routes["codex:m"], &inject.Prepared{ExpiresAt: &past}, nil)
	routes.RecordRefresh(t.Context(), &routes.Recorder{StateDir: f.dir, Profile: "p"}, a, nil, &inject.RefreshError{Msg: "x", Network: true})
	routes.RecordRefresh(t.Context(), &routes.Recorder{StateDir: f.dir, Profile: "p"}, a, nil, &inject.CredentialError{Verdict: classify.Verdict{Class: classify.Dead,
		Reason: classify.TokenRevoked, Source: classify.SourceTokenRefresh}})
	routes.RecordRefresh(t.Context(), &routes.Recorder{StateDir: f.dir, Profile: "p"}, a, nil, &inject.CredentialError{Verdict: classify.Verdict{Class: classify.Dead,
		Reason: classify.CredentialUnavailable, Source: classify.SourceCredentialValidation}})
	var got []string
	for _, e := range f.events(t) {
		got = append(got, e.Provider+" "+e.Outcome+" "+e.Reason)
		if e.Profile != "p" || e.Fields["trigger"] != "prepare" {
			t.Errorf("event %+v", e)
		}
	}
	if want := []string{"linear refreshed ", "codex not_admitted upstream_cli_login",
		"linear failed network", "linear dead token_revoked"}; !slices.Equal(got, want) {
		t.Fatalf("events = %v, want %v", got, want)
	}
}

// TestWatchDelayed: a watch that starts after its delay still revives an account whose credential was
// replaced before it was up (its first comparison), and later replacements through fsnotify; a stop
// before the delay never starts it.
func TestWatchDelayed(t *testing.T) {
	f := newRefreshFixture(t)
	r := f.routes["linear:a"]
	f.mode.Store("invalid_grant")
	if res := Account(t.Context(), routes.AccountRecorder(testcfg.Load(t, `{"version": 1}`), f.store, f.dir, "", nil), r, Options{Trigger: "test", Force: true}); res.Outcome != routes.RefreshDead {
		t.Fatalf("refresh: %+v", res)
	}
	// Stopped before the delay: nothing is ever looked at.
	Watch(t.Context(), f.store, []routes.Route{r}, time.Hour, func([]string) { t.Error("a stopped watch revived") })()

	revived := make(chan []string, 4)
	stop := Watch(t.Context(), f.store, []routes.Route{r}, 50*time.Millisecond, func(keys []string) { revived <- keys })
	defer stop()
	if err := state.WriteFileAtomic(f.cred, []byte(`{"access_token":"relogin","refresh_token":"r2","expires_at":4102444800}`), 0o600); err != nil {
		t.Fatal(err)
	}
	select {
	case keys := <-revived:
		if len(keys) != 1 || keys[0] != "linear:a" {
			t.Fatalf("revived %v", keys)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a change made before the watch was up was never seen")
	}
	h, _ := f.store.Load()
	if st := h.Status("linear:a", r.Key(), time.Now()); !st.Selectable {
		t.Fatalf("after the re-login: %+v", st)
	}
}
