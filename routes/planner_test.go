package routes

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/internal/testcfg"
	"github.com/oauth-mux/oauth-mux/state"
	"github.com/oauth-mux/oauth-mux/supervise"
)

const plannerConfig = `{
  "version": 1,
  "providers": {"codex": {"kind": "codex", "config_dir_env": "CODEX_HOME", "accounts": {
    "a1": {"priority": 20, "config_dir": "DIR/c1", "secret": {"backend": "file", "path": "DIR/c1/auth.json"}},
    "a2": {"priority": 10, "config_dir": "DIR/c2", "secret": {"backend": "file", "path": "DIR/c2/auth.json"}}
  }}},
  "profiles": {"p": {"providers": ["codex:a1#codex-max", "codex:a2#codex-max"]}}
}`

// Codex's own usage-limit notice (classify/testdata/fixtures/codex/usage-limit-wait-for-reset.txt).
const codexLimit = "🖐 You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing), or wait for limits to reset (every 5h and every week.).\n"

type plannerFixture struct {
	t     *testing.T
	dir   string
	store *state.Store
	now   time.Time
}

func newPlannerFixture(t *testing.T) *plannerFixture {
	f := &plannerFixture{t: t, dir: t.TempDir(), now: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)}
	for _, a := range []string{"c1", "c2"} {
		if err := os.MkdirAll(filepath.Join(f.dir, a), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(f.dir, a, "auth.json"), []byte(`{"tokens":{"access_token":"tok-`+a+`"}}`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f.store = state.Open(filepath.Join(f.dir, "state"))
	return f
}

func (f *plannerFixture) planner() *Planner {
	cfg := testcfg.Load(f.t, strings.ReplaceAll(plannerConfig, "DIR", f.dir))
	plan, err := Resolve(cfg, Selector{Profile: "p", Program: "codex"})
	if err != nil {
		f.t.Fatal(err)
	}
	return NewPlanner(cfg, plan, f.store, ExecOptions{Argv: []string{"codex", "exec", "hi"}, RunOptions: RunOptions{
		Env: []string{"PATH=/usr/bin"}, StateDir: filepath.Join(f.dir, "state"),
		Now: func() time.Time { return f.now }, Loc: time.UTC,
	}})
}

// outcome is what the supervisor would report for a child that printed stderr and exited with code.
func outcome(a supervise.Attempt, code int, stderr string) supervise.Outcome {
	tap := a.Matcher.Tap(classify.Stderr, nil)
	_, _ = tap.Write([]byte(stderr))
	tap.Flush()
	return supervise.Outcome{ExitCode: code, Evidence: classify.Evidence{Hits: tap.Hits()}, Replayable: true}
}

func (f *plannerFixture) liveness(key string) state.Liveness {
	h, err := f.store.Load()
	if err != nil || h.Record(key) == nil {
		f.t.Fatalf("no record of %s (%v)", key, err)
	}
	return h.Record(key).Liveness
}

// TestPlannerNextRecord drives the planner as the supervisor's loop does, over a real store and a
// fixed clock: the limit on a1 fails over to a2, a success ends the run and wins affinity, a child
// that exits 0 after printing limit words is never run again, a start error is no route's fault, a
// limit with stdin that cannot be replayed ends the run, and with every route spent Next ends the
// run with the 201 error.
func TestPlannerNextRecord(t *testing.T) {
	f := newPlannerFixture(t)
	p := f.planner()
	steps := []struct {
		label  string
		code   int
		stderr string
		want   supervise.Action
		msg    string
	}{
		{"codex:a1#codex-max", 1, codexLimit, supervise.Retry, "codex:a1#codex-max quota_exhausted"},
		{"codex:a2#codex-max", 0, "done\n", supervise.Done, ""},
	}
	for i, s := range steps {
		a, d, err := p.Next(t.Context())
		if err != nil || d.Action != supervise.Run || a.Label != s.label || a.Number != i+1 {
			t.Fatalf("step %d: Next = %v %+v %v, want Run on %s", i, a, d, err, s.label)
		}
		if !slices.Contains(a.Env, "CODEX_HOME="+filepath.Join(f.dir, "c"+s.label[7:8])) {
			t.Errorf("step %d: the child's env has no CODEX_HOME of its account", i)
		}
		d = p.Record(t.Context(), a, outcome(a, s.code, s.stderr))
		if d.Action != s.want || !strings.HasPrefix(d.Message, s.msg) {
			t.Fatalf("step %d: Record = %v %q, want %v %q", i, d.Action, d.Message, s.want, s.msg)
		}
	}
	if l := f.liveness("codex:a1#codex-max"); l.Availability != state.QuotaExhausted {
		t.Errorf("a1 after its limit: %+v", l)
	}
	if l := f.liveness("codex:a2#codex-max"); l.State != state.StateLive || l.Availability != state.Available {
		t.Errorf("a2 after its success: %+v", l)
	}
	rep := p.Report(0, "")
	if len(rep.Attempts) != 2 || rep.Attempts[0].Decision != "fail_over" || rep.Attempts[1].Verdict.Class != "success" {
		t.Errorf("report %+v", rep.Attempts)
	}

	// The next run starts on a2 (affinity; a1 is in its window). Limit words from a child that exited
	// 0 do not undo its success.
	p = f.planner()
	a, d, err := p.Next(t.Context())
	if err != nil || d.Action != supervise.Run || a.Label != "codex:a2#codex-max" {
		t.Fatalf("second run: Next = %v %+v %v", a, d, err)
	}
	if d := p.Record(t.Context(), a, outcome(a, 0, codexLimit)); d.Action != supervise.Done {
		t.Fatalf("exit 0 with limit words: %v %q, want Done", d.Action, d.Message)
	}

	// A program that could not be started is no route's fault: Exit with its error, nothing recorded.
	p = f.planner()
	a, _, _ = p.Next(t.Context())
	notFound := &supervise.ExecError{Name: "codex", Code: 127, What: "command not found"}
	if d := p.Record(t.Context(), a, supervise.Outcome{ExitCode: 127, Err: notFound}); d.Action != supervise.Exit || d.Err != notFound || d.ExitCode != 127 {
		t.Fatalf("start error: %+v", d)
	}

	// stdin that could not be kept for a replay: the limit is recorded, but the run ends on it.
	p = f.planner()
	a, d, err = p.Next(t.Context())
	if err != nil || d.Action != supervise.Run {
		t.Fatalf("Next: %+v %v", d, err)
	}
	o := outcome(a, 1, codexLimit)
	o.Replayable = false
	if d := p.Record(t.Context(), a, o); d.Action != supervise.Done ||
		!strings.HasSuffix(d.Message, "; not restarting: stdin was larger than 8 MiB and cannot be replayed") {
		t.Fatalf("non-replayable stdin: %v %q", d.Action, d.Message)
	}

	// Both accounts are in their windows now: Next ends the next run with the no-route error.
	f.now = f.now.Add(time.Minute)
	p = f.planner()
	_, d, err = p.Next(t.Context())
	var nre *NoRouteError
	if err != nil || d.Action != supervise.Exit || !errors.As(d.Err, &nre) || nre.ExitCode() != 201 {
		t.Fatalf("nothing left: %+v %v", d, err)
	}
}
