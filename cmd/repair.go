package cmd

import (
	"context"
	"fmt"
	"time"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/routes"
	"github.com/oauth-mux/oauth-mux/routes/explain"
	"github.com/oauth-mux/oauth-mux/routes/repair"
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
		res.Message = repair.InProgressMessage(target.Runtime.RepairInProgress)
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
			cfg, _ := app.Config()
			r := repair.Run(ctx, target, app.repairOptions(cfg, store, stateDir, e.Profile))
			res.Outcome, res.ExitCode, res.OK, res.Message, res.Refresh, res.InProg = r.Outcome, r.ExitCode, r.OK, r.Message, r.Refresh, r.InProg
			if r.Next != nil {
				res.Next = r.Next
			}
		}
	}
	if target != nil {
		r := target.Key
		res.Route = &r
	}
	ev := repair.Event(e.Profile, target, c.ConfirmRepair, repair.Result{Outcome: res.Outcome, ExitCode: res.ExitCode}, time.Now())
	_ = store.AppendEvent(ctx, ev)

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

// repairOptions runs a repair with this invocation's environment and terminal (its stdout to
// stderr under --json).
func (a *App) repairOptions(cfg *config.Config, store state.Backend, dir, profile string) repair.Options {
	return repair.Options{Config: cfg, Store: store, StateDir: dir, Profile: profile, Env: a.Env, Stdin: a.Stdio.In,
		Stdout: a.Stdio.Out, Stderr: a.Stdio.Err, JSONOut: a.JSON, Notify: a.notices(), Fleet: a.fleet()}
}

func repairCommand(s Selectors) string {
	line := "oauth-mux repair run"
	return line + scopeFlags(s) + " --confirm-repair"
}
