package cmd

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/oauth-mux/oauth-mux/routes/probe"
)

// ProbeCmd is `probe [selectors]` (SPEC §7): run capability probes down the candidates until one
// route is usable, recording each verdict. Running it is the user's consent to the probes' budgets
// (a codex probe spends a little of the account's quota).
//
// Exit status: 0 when a route is usable; 201 when none is; 202, 203 or 204 when the only route that
// could be probed failed on its secret, its token refresh, or the network — causes that say nothing
// about the account and that a pipeline handles differently.
type ProbeCmd struct {
	Selectors
}

// Run probes.
func (c *ProbeCmd) Run(ctx context.Context, app *App) error {
	pl, err := app.plan(c.selector(""))
	if err != nil {
		return err
	}
	cfg, plan, stateDir, store := pl.cfg, pl.plan, pl.stateDir, pl.store
	for _, w := range store.Warnings() {
		fmt.Fprintf(app.Stdio.Err, "oauth-mux: warning: %s\n", w)
	}
	rep, perr := probe.Run(ctx, cfg, plan, store, probe.Options{RunOptions: app.runOptions(stateDir, app.notices())})
	if app.JSON {
		if err := writeJSON(app.Stdio.Out, rep); err != nil {
			return err
		}
		return perr
	}
	for _, r := range rep.Routes {
		fmt.Fprintln(app.Stdio.Out, probeLine(r))
	}
	if rep.Usable != nil {
		fmt.Fprintf(app.Stdio.Out, "usable: %s\n", *rep.Usable)
	}
	return perr
}

// probeLine is one route of the text output: key, outcome, verdict and what it rests on.
func probeLine(r probe.Result) string {
	parts := []string{r.Key, r.Outcome}
	if v := r.Verdict; v != nil {
		s := v.String()
		if v.ResetAt != nil {
			s += " until " + v.ResetAt.UTC().Format(time.RFC3339)
		} else if v.RetryAfterS > 0 {
			s += fmt.Sprintf(" retry after %ds", v.RetryAfterS)
		}
		parts = append(parts, s)
		if v.Rule != "" {
			parts = append(parts, "rule "+v.Rule)
		}
	}
	if e := r.Evidence; e != nil {
		switch {
		case e.TimedOut:
			parts = append(parts, fmt.Sprintf("%s timed out after %dms", e.Transport, e.DurationMS))
		case e.Transport == "http":
			parts = append(parts, fmt.Sprintf("http %d", e.Status))
		case e.ExitCode != nil && e.Signal == 0:
			parts = append(parts, fmt.Sprintf("%s exit %d", e.Program, *e.ExitCode))
		case e.Signal != 0:
			parts = append(parts, fmt.Sprintf("%s signal %d", e.Program, e.Signal))
		}
	}
	if r.Skip != "" {
		parts = append(parts, r.Skip)
	}
	if r.Error != "" {
		parts = append(parts, r.Error)
	}
	return strings.Join(parts, "  ")
}
