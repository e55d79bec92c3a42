package explain

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/internal/testcfg"
	"github.com/oauth-mux/oauth-mux/policy"
	"github.com/oauth-mux/oauth-mux/routes"
	"github.com/oauth-mux/oauth-mux/state"
	"github.com/oauth-mux/oauth-mux/testkit/fakecli"
)

// explainWorld is a codex config whose accounts have their own CODEX_HOME, a PATH with a codex
// binary, and a state dir.
type explainWorld struct {
	dir, bin, stateDir string
	homes              map[string]string
}

func newExplainWorld(t *testing.T, extra string) (*explainWorld, string) {
	t.Helper()
	w := &explainWorld{dir: t.TempDir(), homes: map[string]string{}}
	w.bin = filepath.Join(w.dir, "bin")
	w.stateDir = filepath.Join(w.dir, "state")
	if err := os.MkdirAll(w.bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := fakecli.WriteExecutable(filepath.Join(w.bin, "codex"), []byte("#!/bin/sh\n")); err != nil {
		t.Fatal(err)
	}
	var accts []string
	for i, a := range []string{"a1", "a2", "a3"} {
		h := filepath.Join(w.dir, a)
		w.homes[a] = h
		if err := os.MkdirAll(h, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(h, "auth.json"), []byte(`{}`), 0o600); err != nil {
			t.Fatal(err)
		}
		accts = append(accts, fmt.Sprintf(`%q: {"priority": %d, "config_dir": %q, "secret": {"backend": "file", "path": %q}}`,
			a, 30-10*i, h, filepath.Join(h, "auth.json")))
	}
	cfg := fmt.Sprintf(`{"version": 1, %s
  "providers": {"codex": {"kind": "codex", "config_dir_env": "CODEX_HOME", "accounts": {%s}}},
  "profiles": {"p": {"providers": ["codex:a1#codex-max", "codex:a2#codex-max", "codex:a3#codex-max"]}}}`,
		extra, strings.Join(accts, ","))
	return w, cfg
}

func (w *explainWorld) getenv(k string) string {
	if k == "PATH" {
		return w.bin
	}
	return ""
}

func TestCheckReadiness(t *testing.T) {
	w, data := newExplainWorld(t, "")
	cfg := testcfg.Load(t, data)
	opts := ReadinessOptions{Getenv: w.getenv, StateDir: w.stateDir}

	r := CheckReadiness(cfg, "codex", "a1", opts)
	if !r.Ready || r.State != RuntimeReady || !r.ConfigDirWritable || len(r.Issues) != 0 {
		t.Fatalf("a ready account: %+v", r)
	}
	if r.RequiredBinaries[0].Path != filepath.Join(w.bin, "codex") {
		t.Errorf("binary path %q", r.RequiredBinaries[0].Path)
	}
	// The write check leaves nothing behind.
	ents, _ := os.ReadDir(w.homes["a1"])
	if len(ents) != 1 {
		t.Errorf("config dir holds %d entries after the check, want 1 (auth.json)", len(ents))
	}

	// No codex on PATH; a2's config dir is a file; a3 has no session file.
	opts.Getenv = func(string) string { return filepath.Join(w.dir, "nowhere") }
	if r := CheckReadiness(cfg, "codex", "a1", opts); r.Ready || !r.has(IssueBinaryMissing) {
		t.Errorf("missing binary not reported: %+v", r.Issues)
	}
	opts.Getenv = w.getenv
	os.RemoveAll(w.homes["a2"])
	os.WriteFile(w.homes["a2"], nil, 0o600)
	if r := CheckReadiness(cfg, "codex", "a2", opts); r.Ready || !r.has(IssueConfigDirNotDir) {
		t.Errorf("config dir as a file not reported: %+v", r.Issues)
	}
	os.Remove(filepath.Join(w.homes["a3"], "auth.json"))
	if r := CheckReadiness(cfg, "codex", "a3", opts); r.Ready || !r.has(IssueSessionFileMissing) {
		t.Errorf("missing session file not reported: %+v", r.Issues)
	}
	os.RemoveAll(w.homes["a3"])
	if r := CheckReadiness(cfg, "codex", "a3", opts); !r.has(IssueConfigDirMissing) {
		t.Errorf("missing config dir not reported: %+v", r.Issues)
	}
	if _, err := os.Stat(w.homes["a3"]); err == nil {
		t.Errorf("the readiness check created the config dir")
	}

	// A held account lock is repair_in_progress with its start time.
	lock, err := state.LockAccount(context.Background(), w.stateDir, "codex", "a1", false)
	if err != nil {
		t.Fatal(err)
	}
	r = CheckReadiness(cfg, "codex", "a1", opts)
	lock.Release()
	if r.State != RuntimeRepairInProgress || r.RepairInProgress == nil || r.RepairInProgress.Account != "codex:a1" ||
		r.RepairInProgress.StartedAt == nil {
		t.Errorf("held lock: %+v", r.RepairInProgress)
	}
	if r := CheckReadiness(cfg, "codex", "a1", opts); !r.Ready {
		t.Errorf("released lock still reported: %+v", r.Issues)
	}
}

func TestExplainActions(t *testing.T) {
	w, data := newExplainWorld(t, "")
	cfg := testcfg.Load(t, data)
	plan, err := routes.Resolve(cfg, routes.Selector{Profile: "p"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	opts := ExplainOptions{Getenv: w.getenv, StateDir: w.stateDir, Now: now}

	// Nothing recorded: nothing selectable, every route needs a (spend_provider) probe.
	e := Explain(cfg, plan, nil, opts)
	if e.OK || e.Selected != nil {
		t.Fatalf("unrecorded routes selected: %+v", e.Selected)
	}
	for _, r := range e.Routes {
		if r.SkipReason != SkipUnrecorded || r.Action.Kind != ActProbeNeeded || r.Action.Budget != "spend_provider" ||
			r.Admission.DaemonProbe.Reason != policy.BudgetNotAllowed {
			t.Errorf("%s: %+v %+v", r.Key, r.Action, r.Admission)
		}
	}

	h := state.NewHealth()
	sc := state.DefaultScoring()
	reset := now.Add(2 * time.Hour)
	h.ApplyVerdict("codex:a1", "codex:a1#codex-max", classify.Verdict{Class: classify.QuotaExhausted, ResetAt: &reset},
		state.Evidence{ObservedAt: now}, now, sc)
	h.ApplyVerdict("codex:a2", "codex:a2#codex-max", classify.Verdict{Class: classify.Dead, Reason: classify.TokenRevoked},
		state.Evidence{ObservedAt: now}, now, sc)
	h.ApplyVerdict("codex:a3", "codex:a3#codex-max", classify.Verdict{Class: classify.Success}, state.Evidence{ObservedAt: now}, now, sc)
	e = Explain(cfg, plan, h, opts)
	if e.Selected == nil || e.Selected.Key != "codex:a3#codex-max" {
		t.Fatalf("selected %+v", e.Selected)
	}
	by := map[string]RouteReport{}
	for _, r := range e.Routes {
		by[r.Account] = r
	}
	if a := by["a1"].Action; a.Kind != ActWaitForQuota || a.WaitUntil == nil || !a.WaitUntil.Equal(reset) ||
		a.RetryAfterS == nil || *a.RetryAfterS != 7200 {
		t.Errorf("quota: %+v", a)
	}
	a2 := by["a2"]
	if a2.SkipReason != state.SkipDead || a2.Liveness.Key != "codex:a2" || a2.Action.Kind != ActReauth ||
		!a2.Action.Interactive || !a2.Action.Mutating ||
		a2.Action.Command != "CODEX_HOME="+w.homes["a2"]+" codex login --device-auth" ||
		a2.Admission.DaemonRepair.Reason != policy.InteractiveNotAllowed {
		t.Errorf("dead: %+v %+v", a2.Action, a2.Admission)
	}
	if wb := a2.Writeback; wb.Capability != "replace_file" || wb.AutomaticRefreshAdmitted || wb.Reason != writebackUpstream {
		t.Errorf("writeback %+v", wb)
	}
	if by["a3"].Action.Kind != ActNone || by["a3"].SkipReason != SkipAvailable {
		t.Errorf("live: %+v", by["a3"])
	}
	if c := e.ChooseRepair(); c.Outcome != RepairNoop {
		t.Errorf("a selectable route must make repair a no-op: %+v", c)
	}

	// Without a3, the repair is a2's login; once a2's lock is held, it is repair_in_progress.
	plan.Routes = plan.Routes[:2]
	e = Explain(cfg, plan, h, opts)
	if c := e.ChooseRepair(); c.Target == nil || c.Target.Account != "a2" {
		t.Fatalf("repair choice %+v", c)
	}
	lock, err := state.LockAccount(context.Background(), w.stateDir, "codex", "a2", false)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	e = Explain(cfg, plan, h, opts)
	if c := e.ChooseRepair(); c.Outcome != RepairInProgressOut || c.InProgress.Account != "a2" {
		t.Errorf("repair choice under a held lock %+v", c)
	}

	// The expired window is revalidation_needed: selectable, but a probe should confirm it.
	later := reset.Add(time.Minute)
	opts.Now = later
	plan.Routes = plan.Routes[:1]
	e = Explain(cfg, plan, h, opts)
	if r := e.Routes[0]; !r.Selectable || r.Liveness.State != LivenessRevalidation || r.Action.Kind != ActProbeNeeded {
		t.Errorf("expired quota: %+v", r)
	}
}

func TestWritebackOf(t *testing.T) {
	_, data := newExplainWorld(t, "")
	cfg := testcfg.Load(t, data)
	a, _ := cfg.Account("codex", "a1")
	for _, tc := range []struct {
		owner, backend, reason string
		admitted               bool
	}{
		{"oauth_mux_refresh", "file", writebackReplaceFile, true},
		{"oauth_mux_refresh", "env", writebackReadOnly, false},
		{"upstream_cli_login", "file", writebackUpstream, false},
		{"external_secret_owner", "file", writebackExternal, false},
		{"manual_only", "file", writebackManual, false},
	} {
		s := a.Secret
		s.Backend = tc.backend
		if tc.backend == "env" {
			s.Variable = "X"
		}
		got := WritebackOf(s, tc.owner)
		if got.AutomaticRefreshAdmitted != tc.admitted || got.Reason != tc.reason {
			t.Errorf("%s/%s: %+v", tc.owner, tc.backend, got)
		}
	}
}

func TestShellLine(t *testing.T) {
	got := shellLine(map[string]string{"CODEX_HOME": "/a b/c"}, []string{"codex", "login", "it's"})
	want := `CODEX_HOME='/a b/c' codex login 'it'\''s'`
	if got != want {
		t.Errorf("shellLine = %s, want %s", got, want)
	}
}
