package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/inject"
	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/providers"
	"github.com/oauth-mux/oauth-mux/routes"
	"github.com/oauth-mux/oauth-mux/routes/explain"
	"github.com/oauth-mux/oauth-mux/routes/renew"
	"github.com/oauth-mux/oauth-mux/state"
)

// RepairPlanCmd is `repair-plan [selectors]`: what would bring each route back, at what cost, and
// whether background work may do it. Nothing is run or changed.
type RepairPlanCmd struct{ Selectors }

// RepairCmd is `repair run`.
type RepairCmd struct {
	Run RepairRunCmd `cmd:"" help:"Run the first repair that would bring a route back (only with --confirm-repair)."`
}

// RepairRunCmd is `repair run [selectors] [--confirm-repair]` (SPEC §7): the mutation boundary.
type RepairRunCmd struct {
	Selectors
	ConfirmRepair bool `name:"confirm-repair" help:"Really run the repair (an upstream login, a token refresh). Without it nothing changes."`
}

// Run prints the repair plan.
func (c *RepairPlanCmd) Run(app *App) error {
	e, done, err := explainOrJSON(app, c.Selectors, explain.VerbRepairPlan)
	if done || err != nil {
		return err
	}
	w := app.Stdio.Out
	repairs := 0
	for _, r := range e.Routes {
		if r.Selectable && r.Action.Kind == explain.ActNone {
			fmt.Fprintf(w, "%s: selectable, nothing to repair\n", r.Key)
			continue
		}
		repairs++
		fmt.Fprintf(w, "%s: %s\n", r.Key, actionText(r.Action))
		fmt.Fprintf(w, "  daemon repair: %s\n", admissionText(r.Admission.DaemonRepair))
	}
	if repairs == 0 {
		fmt.Fprintln(w, "nothing to repair")
	}
	printNext(w, e.Next)
	return nil
}

// repairRunResult is the JSON of `repair run`.
type repairRunResult struct {
	Action    string                    `json:"action"`
	Outcome   string                    `json:"outcome"`
	Confirmed bool                      `json:"confirmed"`
	OK        bool                      `json:"ok"`
	Route     *string                   `json:"route"`
	Repair    *explain.Action           `json:"repair"`
	Refresh   *routes.RefreshResult     `json:"refresh,omitempty"`
	InProg    *explain.RepairInProgress `json:"repair_in_progress"`
	Selected  *explain.Selected         `json:"selected"`
	Message   string                    `json:"message"`
	Next      []string                  `json:"next"`
	ExitCode  int                       `json:"exit_code"`
}

// Run picks the repair and, when confirmed, runs it under the account lock. Every call is a
// repair_run event.
func (c *RepairRunCmd) Run(ctx context.Context, app *App) error {
	e, err := explainFor(app, c.Selectors, explain.VerbRepairPlan)
	if err != nil {
		return err
	}
	stateDir, store, err := app.State()
	if err != nil {
		return err
	}
	res := repairRunResult{Action: "repair_run", Confirmed: c.ConfirmRepair, Selected: e.Selected, Next: []string{}}
	choice := e.ChooseRepair()
	var target *explain.RouteReport
	switch {
	case choice.Outcome == explain.RepairNoop:
		res.Outcome, res.OK = explain.RepairNoop, true
		res.Message = fmt.Sprintf("%s is selectable: nothing to repair", e.Selected.Key)
		res.Next = e.Next
	case choice.Outcome == explain.RepairInProgressOut:
		target = choice.InProgress
		res.Outcome, res.InProg = explain.RepairInProgressOut, target.Runtime.RepairInProgress
		res.Message = inProgressMessage(target.Runtime.RepairInProgress)
		res.ExitCode = 1
	case choice.Outcome == explain.RepairNoAction:
		res.Outcome, res.ExitCode = explain.RepairNoAction, 1
		res.Message = "no repair oauth-mux can run would bring a route back"
		res.Next = e.Next
	default:
		target = choice.Target
		a := target.Action
		res.Repair = &a
		switch {
		case !c.ConfirmRepair:
			res.Outcome, res.ExitCode = explain.RepairNotConfirmed, 1
			res.Message = fmt.Sprintf("would run for %s: %s (pass --confirm-repair to run it)", target.Key, a.Command)
			res.Next = []string{repairCommand(c.Selectors)}
		case a.Interactive && app.JSON:
			res.Outcome, res.ExitCode = explain.RepairRefusedJSON, 2
			res.Message = fmt.Sprintf("%s is interactive: run it without --json so its prompts reach the terminal", a.Command)
		default:
			c.execute(ctx, app, stateDir, store, e, target, &res)
		}
	}
	if target != nil {
		r := target.Key
		res.Route = &r
	}
	appendRepairEvent(stateDir, e, target, &res)

	if app.JSON {
		if err := writeJSON(app.Stdio.Out, res); err != nil {
			return err
		}
		if res.ExitCode != 0 {
			return Exit(res.ExitCode)
		}
		return nil
	}
	if res.ExitCode != 0 {
		var hints []string
		for _, n := range res.Next {
			hints = append(hints, "run: "+n)
		}
		return Errorf(res.ExitCode, hints, "%s", res.Message)
	}
	fmt.Fprintf(app.Stdio.Out, "%s\n", res.Message)
	printNext(app.Stdio.Out, res.Next)
	return nil
}

func inProgressMessage(rip *explain.RepairInProgress) string {
	if rip == nil {
		return "a repair is already in progress"
	}
	if rip.StartedAt != nil {
		return fmt.Sprintf("repair_in_progress: %s is being repaired by another process since %s", rip.Account, rip.StartedAt.Format(time.RFC3339))
	}
	return fmt.Sprintf("repair_in_progress: %s is being repaired by another process", rip.Account)
}

func repairCommand(s Selectors) string {
	line := "oauth-mux repair run"
	return line + scopeFlags(s) + " --confirm-repair"
}

// execute runs the chosen repair: oauth-mux's own refresh, or the provider's login with the
// account's config dir, inheriting the terminal, while holding the account lock (non-blocking, so a
// second repair reports repair_in_progress instead of racing the first login).
func (c *RepairRunCmd) execute(ctx context.Context, app *App, stateDir string, store *state.Store, e *explain.Explanation, t *explain.RouteReport, res *repairRunResult) {
	cfg, _ := app.Config()
	if t.Action.Kind == explain.ActRefresh {
		c.refresh(ctx, app, cfg, stateDir, store, e, t, res)
		return
	}
	lock, err := state.LockAccount(ctx, stateDir, t.Provider, t.Account, false)
	if err != nil {
		var he *state.HeldError
		if errors.As(err, &he) {
			c.held(res, t, he.StartedAt)
			return
		}
		res.Outcome, res.ExitCode, res.Message = explain.RepairFailed, 1, fmt.Sprintf("account lock of %s: %v", t.Key, err)
		return
	}
	defer lock.Release()
	if !runLogin(ctx, app, t, res) {
		return
	}
	// A login that exits 0 without leaving its session files behind did not log in (a cancelled
	// device flow, a CLI that ignores the config dir variable).
	rd := explain.CheckReadiness(cfg, t.Provider, t.Account, explain.ReadinessOptions{Getenv: app.Getenv, StateDir: stateDir})
	for _, is := range rd.Issues {
		if is.Kind == explain.IssueSessionFileMissing {
			res.Outcome, res.ExitCode = explain.RepairFailed, 1
			res.Message = fmt.Sprintf("%s exited 0 but the session file %s is still missing: %s is not repaired", t.Action.Argv[0], is.Detail, t.Key)
			return
		}
	}
	// The login succeeded: the account is usable again but unconfirmed until a run or probe says so.
	now := time.Now()
	if err := store.Apply(ctx, &state.Revive{AccountKey: omux.Account(t.Provider, t.Account).String(), Reason: "repaired", At: now}); err != nil {
		fmt.Fprintf(app.Stdio.Err, "oauth-mux: warning: health store: %v\n", err)
	}
	res.Outcome, res.OK = explain.RepairSucceeded, true
	res.Message = fmt.Sprintf("%s repaired (%s)", t.Key, t.Action.Kind)
	probe := fmt.Sprintf("oauth-mux route explain --provider %s --account %s", t.Provider, t.Account)
	res.Next = []string{probe}
}

// refresh is the repair that is oauth-mux's own: a forced token refresh of the account.
func (c *RepairRunCmd) refresh(ctx context.Context, app *App, cfg *config.Config, stateDir string, store *state.Store, e *explain.Explanation, t *explain.RouteReport, res *repairRunResult) {
	if held, since := state.IsAccountLocked(stateDir, t.Provider, t.Account); held {
		c.held(res, t, since)
		return
	}
	plan, err := routes.Resolve(cfg, routes.Selector{Provider: t.Provider, Account: t.Account, Capability: t.Capability})
	if err != nil || len(plan.Routes) == 0 {
		res.Outcome, res.ExitCode, res.Message = explain.RepairFailed, 1, fmt.Sprintf("refresh of %s: %v", t.Key, err)
		return
	}
	// RefreshAccount takes the account lock itself (waiting): a flock is per open file, so this
	// process must not hold it at the same time.
	rec := routes.AccountRecorder(cfg, store, stateDir, e.Profile, app.notices())
	rr := renew.Account(ctx, rec, plan.Routes[0], renew.Options{Trigger: "repair",
		SecretEnv: inject.Env{Environ: app.Env, Stdin: app.Stdio.In}, Force: true})
	res.Refresh = &rr
	if rr.ExitCode == 0 {
		res.Outcome, res.OK, res.Message = explain.RepairSucceeded, true, fmt.Sprintf("%s refreshed", t.Key)
		return
	}
	res.Outcome, res.ExitCode, res.Message = explain.RepairFailed, rr.ExitCode, fmt.Sprintf("refresh of %s: %s", t.Key, rr.Message)
}

// runLogin runs the provider's login with the account's config dir, the terminal inherited (stdout
// to stderr under --json). It reports false, with res filled, when the login did not succeed.
func runLogin(ctx context.Context, app *App, t *explain.RouteReport, res *repairRunResult) bool {
	a := t.Action
	path, err := providers.LookPath(a.Argv[0], app.Getenv("PATH"))
	if err != nil {
		res.Outcome, res.ExitCode = explain.RepairExecutorNotFound, 127
		res.Message = fmt.Sprintf("%s: command not found on PATH", a.Argv[0])
		return false
	}
	// A login writes into the config dir; creating it is part of the confirmed repair.
	for _, dir := range a.Env {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			res.Outcome, res.ExitCode, res.Message = explain.RepairFailed, 1, fmt.Sprintf("config dir: %v", err)
			return false
		}
	}
	env := append([]string{}, app.Env...)
	for k, v := range a.Env {
		env = append(env, k+"="+v)
	}
	cmd := exec.CommandContext(ctx, path, a.Argv[1:]...)
	cmd.Args[0] = a.Argv[0]
	cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = env, app.Stdio.In, app.Stdio.Out, app.Stdio.Err
	if app.JSON {
		// JSON owns stdout; a non-interactive executor's chatter goes to stderr.
		cmd.Stdout = app.Stdio.Err
	}
	cmd.WaitDelay = 2 * time.Second
	fmt.Fprintf(app.Stdio.Err, "oauth-mux: repairing %s: %s\n", t.Key, a.Command)
	if err := cmd.Run(); err != nil {
		status := 1
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Exited() {
				status = ws.ExitStatus()
			}
		}
		res.Outcome, res.ExitCode = explain.RepairFailed, 1
		res.Message = fmt.Sprintf("%s exited with status %d: %s is not repaired", a.Argv[0], status, t.Key)
		return false
	}
	return true
}

func (c *RepairRunCmd) held(res *repairRunResult, t *explain.RouteReport, since time.Time) {
	rip := &explain.RepairInProgress{Account: omux.Account(t.Provider, t.Account).String()}
	if !since.IsZero() {
		s := since.UTC()
		rip.StartedAt = &s
	}
	res.Outcome, res.ExitCode, res.InProg = explain.RepairInProgressOut, 1, rip
	res.Message = inProgressMessage(rip)
}

// appendRepairEvent records the call: route identity, outcome and the action's kind — never the
// command line or the config dir (a path) or anything the executor printed.
func appendRepairEvent(stateDir string, e *explain.Explanation, t *explain.RouteReport, res *repairRunResult) {
	ev := state.Event{Kind: state.KindRepairRun, Profile: e.Profile, Outcome: res.Outcome,
		Fields: map[string]any{"confirmed": res.Confirmed, "exit_code": res.ExitCode}}
	if t != nil {
		ev.Provider, ev.Account, ev.Capability = t.Provider, t.Account, t.Capability
		ev.Reason = t.Action.Kind
		ev.Fields["interactive"] = t.Action.Interactive
		ev.Fields["mutating"] = t.Action.Mutating
		ev.Fields["budget"] = t.Action.Budget
	}
	_ = state.AppendEvent(stateDir, ev)
}
