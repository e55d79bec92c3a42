package afloat

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/internal/testcfg"
	"github.com/oauth-mux/oauth-mux/routes"
	"github.com/oauth-mux/oauth-mux/state"
)

type world struct {
	t        *testing.T
	dir      string
	store    *state.Store
	requests atomic.Int64
	opts     Options
}

// newWorld is a state dir, a loopback server that counts every request, and a config of template
// (its %[1]s is the server's URL, %[2]s a counter file a command probe appends to).
func newWorld(t *testing.T, template, sel string) *world {
	w := &world{t: t, dir: t.TempDir()}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.requests.Add(1)
		fmt.Fprint(rw, `{"ok": true}`)
	}))
	t.Cleanup(srv.Close)
	stateDir := filepath.Join(w.dir, "state")
	if err := state.EnsureDir(stateDir); err != nil {
		t.Fatal(err)
	}
	cfg := testcfg.Load(t, fmt.Sprintf(template, srv.URL, filepath.Join(w.dir, "probes")))
	plan, err := routes.Resolve(cfg, routes.Selector{Profile: sel})
	if err != nil {
		t.Fatal(err)
	}
	w.store = state.Open(stateDir)
	env := omux.Environ{"PATH=" + os.Getenv("PATH"), "HOME=" + w.dir, "ACME_TOKEN=omux-canary-afloat"}
	w.opts = Options{Config: cfg, Plan: plan, Store: w.store, StateDir: stateDir, Mode: "once",
		RunOptions: routes.RunOptions{Env: env, StateDir: stateDir, Dir: w.dir}}
	return w
}

func (w *world) tick(execute bool) *Tick {
	w.t.Helper()
	o := w.opts
	o.Execute = execute
	tk, err := Run(w.t.Context(), o)
	if err != nil {
		w.t.Fatal(err)
	}
	return tk
}

func (w *world) mark(key string, v classify.Verdict, at time.Time) {
	w.t.Helper()
	p, a, _, _ := omux.Split(key)
	if err := w.store.Apply(w.t.Context(), state.MarkVerdict{AccountKey: omux.Account(p, a).String(), RouteKey: key, Verdict: v,
		At: at, Scoring: state.DefaultScoring()}); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) probesRun() int {
	data, _ := os.ReadFile(filepath.Join(w.dir, "probes"))
	return strings.Count(string(data), "\n")
}

func routeOf(t *testing.T, tk *Tick, key string) Route {
	t.Helper()
	for _, r := range tk.Routes {
		if r.Key == key {
			return r
		}
	}
	t.Fatalf("no route %s in the tick", key)
	return Route{}
}

const twoAccounts = `{
  "version": 1,
  "provider_definitions": {"acme": {"capabilities": [{"name": "chat", "probe": {"transport": "http", "url": %[1]q, "budget": "cheap_provider"}}]}},
  "providers": {"acme": {"accounts": {
    "a1": {"priority": 20, "secret": {"backend": "env", "variable": "ACME_TOKEN"}},
    "a2": {"priority": 10, "secret": {"backend": "env", "variable": "ACME_TOKEN"}}
  }}},
  "profiles": {"p": {"providers": ["acme:a1#chat", "acme:a2#chat"]}}
}`

// After a failover the spent route waits for its reset, the other carries the profile; a plan-only
// tick contacts nothing and changes nothing.
func TestTickAfterFailover(t *testing.T) {
	w := newWorld(t, twoAccounts, "p")
	now := time.Now()
	reset := now.Add(2 * time.Hour).Truncate(time.Second)
	w.mark("acme:a1#chat", classify.Verdict{Class: classify.QuotaExhausted, ResetAt: &reset}, now)
	w.mark("acme:a2#chat", classify.Verdict{Class: classify.Success}, now)
	before, _ := os.ReadFile(state.Open(w.opts.StateDir).Path())
	tk := w.tick(false)
	if !tk.Afloat || tk.Selected == nil || tk.Selected.Key != "acme:a2#chat" || tk.Executed || tk.ExecutionMode != ModePlanOnly {
		t.Fatalf("tick: afloat %v selected %+v executed %v mode %s", tk.Afloat, tk.Selected, tk.Executed, tk.ExecutionMode)
	}
	a1 := routeOf(t, tk, "acme:a1#chat")
	if a1.Phase != PhaseObserve || a1.ScheduleReason != ScheduleWaitUntil || a1.NextTickAfter == nil || !a1.NextTickAfter.Equal(reset) {
		t.Fatalf("the spent route: %+v", a1)
	}
	if tk.Summary.NextTickAfter == nil || !tk.Summary.NextTickAfter.Equal(reset) || tk.Summary.WakeRoute != "acme:a1#chat" {
		t.Fatalf("summary %+v", tk.Summary)
	}
	if a2 := routeOf(t, tk, "acme:a2#chat"); a2.Phase != PhaseNone || a2.ScheduleReason != ScheduleNoAction {
		t.Fatalf("the live route: %+v", a2)
	}
	after, _ := os.ReadFile(state.Open(w.opts.StateDir).Path())
	if w.requests.Load() != 0 || string(before) != string(after) {
		t.Fatalf("a plan-only tick made %d requests or changed the store", w.requests.Load())
	}
}

// The default policy refuses a cheap_provider probe: planned, not run, even with --execute.
func TestTickRefusesSpend(t *testing.T) {
	w := newWorld(t, twoAccounts, "p")
	tk := w.tick(true)
	for _, r := range tk.Routes {
		if r.Phase != PhaseProbe || r.Admission.Allowed || r.Admission.Reason != "budget_not_allowed" {
			t.Fatalf("route %+v", r)
		}
	}
	if tk.Executed || w.requests.Load() != 0 {
		t.Fatalf("executed %v with %d requests under a policy that refuses the budget", tk.Executed, w.requests.Load())
	}
}

const commandProbes = `{
  "version": 1,
  "provider_definitions": {"acme": {"capabilities": [{"name": "chat", "probe": {"transport": "command",
    "command": ["sh", "-c", "echo probe >> %[2]s"], "budget": "free_command", "tests": "quota"}}]}},
  "providers": {"acme": {"accounts": {
    "a1": {"priority": 20, "secret": {"backend": "env", "variable": "ACME_TOKEN"}},
    "a2": {"priority": 10, "secret": {"backend": "env", "variable": "ACME_TOKEN"}}
  }}},
  "profiles": {"p": {"providers": ["acme:a1#chat", "acme:a2#chat"]}},
  "_url": %[1]q
}`

// Execute mode takes exactly one admitted action per tick, then reads the state again.
func TestTickExecutesOneProbePerTick(t *testing.T) {
	w := newWorld(t, strings.Replace(commandProbes, `,
  "_url": %[1]q`, "%.0[1]s", 1), "p")
	tk := w.tick(true)
	if !tk.Executed || len(tk.Executions) != 1 || tk.Executions[0].Route != "acme:a1#chat" || tk.Executions[0].Outcome != "usable" || w.probesRun() != 1 {
		t.Fatalf("first tick: executed %v %+v, %d probes", tk.Executed, tk.Executions, w.probesRun())
	}
	if r := routeOf(t, tk, "acme:a1#chat"); r.Phase != PhaseNone || !r.Selectable {
		t.Fatalf("after its probe a1 is %+v (the tick must read the state again)", r)
	}
	tk = w.tick(true)
	if len(tk.Executions) != 1 || tk.Executions[0].Route != "acme:a2#chat" || w.probesRun() != 2 {
		t.Fatalf("second tick: %+v, %d probes", tk.Executions, w.probesRun())
	}
	tk = w.tick(true)
	if tk.Executed || w.probesRun() != 2 {
		t.Fatalf("a third tick with nothing to probe ran %+v", tk.Executions)
	}
}

const deadLogin = `{
  "version": 1,
  "providers": {"codex": {"kind": "codex", "config_dir_env": "CODEX_HOME", "accounts": {
    "a1": {"secret": {"backend": "env", "variable": "ACME_TOKEN"}}
  }}},
  "profiles": {"p": {"providers": ["codex:a1#codex-max"]}},
  "_u": %[1]q, "_p": %[2]q
}`

// An interactive re-login is never run: execute mode queues one handoff with oauth-mux's repair
// command (no path), later ticks report it pending instead of queueing again, and a tick that finds
// the route recovered resolves it.
func TestTickHandoffQueuedOnce(t *testing.T) {
	w := newWorld(t, strings.Replace(deadLogin, `,
  "_u": %[1]q, "_p": %[2]q`, "%.0[1]s%.0[2]s", 1), "p")
	// A codex on PATH, so that the runtime is ready and only the login is missing.
	bin := filepath.Join(w.dir, "bin")
	if err := os.MkdirAll(bin, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "codex"), []byte("#!/bin/sh\nexit 0\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	w.opts.RunOptions.Env = append(w.opts.RunOptions.Env, "PATH="+bin+":"+os.Getenv("PATH"))
	w.mark("codex:a1#codex-max", classify.Verdict{Class: classify.Dead, Reason: classify.TokenRevoked}, time.Now())
	if tk := w.tick(false); routeOf(t, tk, "codex:a1#codex-max").Handoff != nil {
		t.Fatal("a plan-only tick queued a handoff")
	}
	tk := w.tick(true)
	r := routeOf(t, tk, "codex:a1#codex-max")
	if tk.Executed || r.Phase != PhaseRepair || r.Handoff == nil || r.Handoff.Status != state.HandoffQueued ||
		r.Handoff.Command != "oauth-mux repair run --provider codex --account a1 --capability codex-max --confirm-repair" {
		t.Fatalf("execute tick: executed %v route %+v handoff %+v", tk.Executed, r, r.Handoff)
	}
	id := r.Handoff.ID
	tk = w.tick(true)
	if h := routeOf(t, tk, "codex:a1#codex-max").Handoff; h == nil || h.ID != id || tk.Summary.HandoffsPending != 1 {
		t.Fatalf("second tick: handoff %+v, summary %+v", h, tk.Summary)
	}
	hs, _ := state.LoadHandoffs(w.opts.StateDir)
	if len(hs.Handoffs) != 1 {
		t.Fatalf("%d handoffs after two ticks, want 1", len(hs.Handoffs))
	}
	evs, _ := state.ReadEvents(w.opts.StateDir, 0)
	queued := 0
	for _, e := range evs {
		if e.Kind == state.KindDaemonHandoff && e.Outcome == state.HandoffQueued {
			queued++
		}
	}
	if queued != 1 {
		t.Fatalf("%d daemon_handoff queued events, want 1", queued)
	}
	// The user logged in elsewhere and a run succeeded: the next tick resolves the handoff.
	w.mark("codex:a1#codex-max", classify.Verdict{Class: classify.Success}, time.Now())
	if err := w.store.Apply(t.Context(), &state.Revive{AccountKey: "codex:a1", Reason: "repaired", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	w.tick(true)
	hs, _ = state.LoadHandoffs(w.opts.StateDir)
	if h := hs.Find(id); h == nil || h.Status != state.HandoffResolved || h.ResolvedBy != "route_recovered" {
		t.Fatalf("after recovery: %+v", h)
	}
	// Dead again: a new handoff. The user clears it; later ticks do not ask again until the route
	// goes down anew.
	w.mark("codex:a1#codex-max", classify.Verdict{Class: classify.Dead, Reason: classify.TokenRevoked}, time.Now())
	tk = w.tick(true)
	h := routeOf(t, tk, "codex:a1#codex-max").Handoff
	if h == nil || h.ID == id {
		t.Fatalf("a new death queued %+v", h)
	}
	if err := state.UpdateHandoffs(w.opts.StateDir, func(hs *state.Handoffs) (bool, error) {
		x := hs.Find(h.ID)
		x.Status, x.ResolvedBy, x.UpdatedAt = state.HandoffCleared, "user", time.Now().UTC()
		return true, nil
	}); err != nil {
		t.Fatal(err)
	}
	if tk = w.tick(true); routeOf(t, tk, "codex:a1#codex-max").Handoff != nil {
		t.Fatal("a cleared handoff came back on the next tick")
	}
	hs, _ = state.LoadHandoffs(w.opts.StateDir)
	if len(hs.Handoffs) != 2 {
		t.Fatalf("%d handoffs, want 2", len(hs.Handoffs))
	}
}

// A loop leaves a route alone for ActionBackoff after it took the route's action, whatever came of
// it: a probe that errs (its program is missing) is not taken again on the next tick.
func TestTickBackoffAfterAnAction(t *testing.T) {
	w := newWorld(t, strings.Replace(strings.Replace(commandProbes, `"sh", "-c", "echo probe >> %[2]s"`, `"omux-no-such-program"`, 1), `,
  "_url": %[1]q`, "%.0[1]s%.0[2]s", 1), "p")
	w.opts.Backoff = map[string]time.Time{}
	tk := w.tick(true)
	if len(tk.Executions) != 1 || tk.Executions[0].Route != "acme:a1#chat" || tk.Executions[0].Outcome != "error" {
		t.Fatalf("first tick: %+v", tk.Executions)
	}
	tk = w.tick(true)
	if len(tk.Executions) != 1 || tk.Executions[0].Route != "acme:a2#chat" {
		t.Fatalf("second tick took %+v, want a2's probe (a1 rests)", tk.Executions)
	}
	a1 := routeOf(t, tk, "acme:a1#chat")
	if a1.NextTickAfter == nil || a1.NextTickAfter.Before(time.Now().Add(ActionBackoff-time.Minute)) {
		t.Fatalf("a1's schedule during its rest: %+v", a1.NextTickAfter)
	}
	if tk = w.tick(true); tk.Executed {
		t.Fatalf("third tick took %+v while both rest", tk.Executions)
	}
	if tk.Wake(time.Hour, time.Now()) < ActionBackoff-time.Minute {
		t.Fatalf("the loop would wake after %v while both routes rest", tk.Wake(time.Hour, time.Now()))
	}
}

// An expired window wants a request of the capability; a login probe cannot confirm it, so the
// route waits for its next run instead of being probed again and again.
func TestTickExpiredWindowNotProbedByLogin(t *testing.T) {
	w := newWorld(t, strings.Replace(strings.Replace(commandProbes, `, "tests": "quota"`, ``, 1), `,
  "_url": %[1]q`, "%.0[1]s", 1), "p")
	past := time.Now().Add(-time.Minute)
	w.mark("acme:a1#chat", classify.Verdict{Class: classify.QuotaExhausted, ResetAt: &past}, time.Now().Add(-time.Hour))
	w.mark("acme:a2#chat", classify.Verdict{Class: classify.Success}, time.Now())
	tk := w.tick(true)
	if r := routeOf(t, tk, "acme:a1#chat"); r.Phase != PhaseObserve || r.ScheduleReason != ScheduleQuotaPoll || tk.Executed {
		t.Fatalf("expired window with a login probe: %+v, executed %v", r, tk.Executed)
	}
}
