package cmd

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/policy"
	"github.com/oauth-mux/oauth-mux/routes"
	"github.com/oauth-mux/oauth-mux/routes/explain"
	"github.com/oauth-mux/oauth-mux/state"
)

// RouteCmd is `route select|explain [selectors]` (SPEC §7): the no-spend planners. They read the
// health store and stat(2) the accounts' runtime; they read no secret and contact no provider.
type RouteCmd struct {
	Select  RouteSelectCmd  `cmd:"" help:"Name the route a command would start on, from recorded health and runtime readiness (exit 201 when none)."`
	Explain RouteExplainCmd `cmd:"" help:"Explain every route: selectable or why not, the repair action, write-back and daemon admission."`
}

// RouteSelectCmd is `route select`.
type RouteSelectCmd struct{ Selectors }

// RouteExplainCmd is `route explain`.
type RouteExplainCmd struct{ Selectors }

// explain builds the planners' view of the selected routes. It creates nothing: a missing state
// dir is an empty store, and the account locks are only tested.
// explainOrJSON is the start of every explain-based command: the explanation, written as JSON (done)
// under --json, else with its header printed for the text that follows.
func explainOrJSON(app *App, sel Selectors, verb string) (e *explain.Explanation, done bool, err error) {
	if e, err = explainFor(app, sel, verb); err != nil {
		return nil, false, err
	}
	if app.JSON {
		return e, true, writeJSON(app.Stdio.Out, e)
	}
	printHeader(app.Stdio.Out, e)
	return e, false, nil
}

func explainFor(app *App, sel Selectors, verb string) (*explain.Explanation, error) {
	cfg, err := app.Config()
	if err != nil {
		return nil, err
	}
	plan, err := routes.Resolve(cfg, sel.selector(""))
	if err != nil {
		return nil, err
	}
	dir := state.Dir(app.Getenv)
	store, err := app.healthOf(cfg, dir, state.Open(dir))
	if err != nil {
		return nil, err
	}
	h, err := store.Snapshot(context.Background())
	for _, w := range store.Warnings() {
		fmt.Fprintf(app.Stdio.Err, "oauth-mux: warning: %s\n", w)
	}
	if err != nil {
		fmt.Fprintf(app.Stdio.Err, "oauth-mux: warning: health store: %v\n", err)
		h = nil
	}
	now := time.Now()
	// A re-login since an account died shows as probe_needed at once (SPEC §8.3); the fingerprint is
	// metadata only, so this reads no credential, and the store is left to the next run to update.
	routes.ReviveChangedIn(h, plan.Routes, now)
	return explain.Explain(cfg, plan, h, explain.ExplainOptions{Getenv: app.Getenv, StateDir: dir, Now: now, Verb: verb}), nil
}

// Run prints the selected route; exit 201 when nothing is selectable.
func (c *RouteSelectCmd) Run(app *App) error {
	e, err := explainFor(app, c.Selectors, explain.VerbSelect)
	if err != nil {
		return err
	}
	if app.JSON {
		if err := writeJSON(app.Stdio.Out, e); err != nil {
			return err
		}
		if e.Selected == nil {
			return Exit(omux.ExitNoRoute)
		}
		return nil
	}
	if e.Selected == nil {
		return Errorf(omux.ExitNoRoute, nextHints(e), "nothing selectable for %s", e.Label)
	}
	fmt.Fprintf(app.Stdio.Out, "selected: %s\n", e.Selected.Key)
	printNext(app.Stdio.Out, e.Next[:1])
	return nil
}

// Run prints every route with its state, action, write-back and admission.
func (c *RouteExplainCmd) Run(app *App) error {
	e, done, err := explainOrJSON(app, c.Selectors, explain.VerbExplain)
	if done || err != nil {
		return err
	}
	w := app.Stdio.Out
	for _, r := range e.Routes {
		printRoute(w, r)
	}
	if e.Selected != nil {
		fmt.Fprintf(w, "selected: %s\n", e.Selected.Key)
	} else {
		fmt.Fprintf(w, "selected: none\n")
	}
	printNext(w, e.Next)
	return nil
}

func printHeader(w io.Writer, e *explain.Explanation) {
	strat := e.Strategy
	if strat == "" {
		strat = config.PriorityFailover
	}
	fmt.Fprintf(w, "routes of %s (strategy %s)\n", e.Label, strat)
	fmt.Fprintf(w, "policy: daemon budgets %s; interactive %s; mutating %s\n",
		strings.Join(e.Policy.AllowedBudgets, ", "), allowed(e.Policy.AllowInteractive), allowed(e.Policy.AllowMutating))
}

func allowed(b bool) string {
	if b {
		return "allowed"
	}
	return "not allowed"
}

func printRoute(w io.Writer, r explain.RouteReport) {
	fmt.Fprintf(w, "%s\n", r.Key)
	if r.Selectable {
		fmt.Fprintf(w, "  selectable: yes (%s)\n", livenessText(r.Liveness))
	} else {
		if lt := livenessText(r.Liveness); lt != r.SkipReason {
			fmt.Fprintf(w, "  selectable: no, %s (%s)\n", r.SkipReason, lt)
		} else {
			fmt.Fprintf(w, "  selectable: no, %s\n", r.SkipReason)
		}
	}
	if r.Runtime != nil {
		for _, is := range r.Runtime.Issues {
			fmt.Fprintf(w, "  runtime: %s\n", issueText(is))
		}
	}
	fmt.Fprintf(w, "  action: %s\n", actionText(r.Action))
	wb := "not admitted"
	if r.Writeback.AutomaticRefreshAdmitted {
		wb = "admitted"
	}
	fmt.Fprintf(w, "  writeback: %s, automatic refresh %s (%s)\n", r.Writeback.Capability, wb, r.Writeback.Reason)
	fmt.Fprintf(w, "  daemon: probe %s; repair %s\n", admissionText(r.Admission.DaemonProbe), admissionText(r.Admission.DaemonRepair))
}

func livenessText(l explain.LivenessSummary) string {
	s := l.State
	if l.Availability != "" && l.Availability != state.Available {
		s += "/" + l.Availability
	}
	if l.Reason != "" {
		s += " " + l.Reason
	}
	for _, t := range []struct {
		word string
		at   *time.Time
	}{{"resets at", l.WindowResetsAt}, {"until", l.Until}, {"retry at", l.RetryAt}} {
		if t.at != nil {
			s += " " + t.word + " " + t.at.Format(time.RFC3339)
			break
		}
	}
	if l.Host != "" {
		s += " (seen on " + l.Host + ")"
	}
	return s
}

func issueText(is explain.Issue) string {
	switch is.Kind {
	case explain.IssueBinaryMissing:
		return fmt.Sprintf("binary %s not found on PATH", is.Detail)
	case explain.IssueConfigDirMissing:
		return fmt.Sprintf("config dir %s is missing", is.Detail)
	case explain.IssueConfigDirNotDir:
		return fmt.Sprintf("config dir %s is not a directory", is.Detail)
	case explain.IssueConfigDirNotWritable:
		return fmt.Sprintf("config dir %s is not writable", is.Detail)
	case explain.IssueSessionFileMissing:
		return fmt.Sprintf("session file %s is missing", is.Detail)
	case explain.IssueRepairInProgress:
		return fmt.Sprintf("a repair of %s is in progress", is.Detail)
	}
	return is.Kind + " " + is.Detail
}

func actionText(a explain.Action) string {
	s := a.Kind
	if a.Command != "" {
		s += ": " + a.Command
	}
	var notes []string
	if a.WaitUntil != nil {
		notes = append(notes, "until "+a.WaitUntil.Format(time.RFC3339))
	} else if a.RetryAfterS != nil {
		notes = append(notes, fmt.Sprintf("retry after %ds", *a.RetryAfterS))
	}
	if a.Kind != explain.ActNone {
		notes = append(notes, "budget "+a.Budget)
	}
	if a.Interactive {
		notes = append(notes, "interactive")
	}
	if a.Mutating {
		notes = append(notes, "mutating")
	}
	if len(notes) > 0 {
		s += " (" + strings.Join(notes, ", ") + ")"
	}
	return s
}

func admissionText(a policy.Admission) string {
	if a.Allowed {
		return "admitted"
	}
	return "refused (" + a.Reason + ")"
}

func printNext(w io.Writer, next []string) {
	for _, n := range next {
		fmt.Fprintf(w, "next: %s\n", n)
	}
}

func nextHints(e *explain.Explanation) []string {
	var hints []string
	for _, n := range e.Next {
		hints = append(hints, "run: "+n)
	}
	label := "--profile " + e.Profile
	if e.Profile == "" {
		label = "--provider " + e.Label
	}
	return append(hints, "see why: oauth-mux route explain "+label)
}
