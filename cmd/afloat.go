package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/inject"
	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/routes"
	"github.com/oauth-mux/oauth-mux/routes/afloat"
	"github.com/oauth-mux/oauth-mux/state"
)

// StayAfloatCmd is `stay-afloat`: the no-spend loop that keeps routes ready between runs (SPEC §9).
// Without a subcommand it ticks (--once or --loop).
type StayAfloatCmd struct {
	Tick     StayAfloatTickCmd     `cmd:"" default:"withargs" help:"One tick or a loop of them (the default: stay-afloat --once …): plan, and with --execute take one admitted action."`
	Next     StayAfloatNextCmd     `cmd:"" help:"Print what to run now: the exec line on the selected route, or the repair to do first."`
	Handoffs StayAfloatHandoffsCmd `cmd:"" help:"List the repairs queued for you (interactive logins background work may not run)."`
	Handoff  StayAfloatHandoffCmd  `cmd:"" help:"Acknowledge, clear or resolve a queued handoff."`
}

// StayAfloatTickCmd is `stay-afloat --once|--loop [--iterations N] [--interval-ms MS] [--execute]`.
type StayAfloatTickCmd struct {
	Selectors
	Once       bool `name:"once" xor:"mode" required:"" help:"One tick, then exit."`
	Loop       bool `name:"loop" xor:"mode" required:"" help:"Tick until SIGINT or SIGTERM (or --iterations)."`
	Iterations int  `name:"iterations" help:"Stop --loop after N ticks (0: no limit)." placeholder:"N"`
	IntervalMS int  `name:"interval-ms" default:"60000" help:"Longest sleep between ticks of --loop; a tick sleeps less when a route is due sooner." placeholder:"MS"`
	Execute    bool `name:"execute" help:"Take at most one admitted, non-interactive action per tick (such as a free_command probe) and queue handoffs; without it nothing runs or changes."`
}

// Run ticks. With --json, --once prints the tick as JSON and --loop one JSON line per tick.
func (c *StayAfloatTickCmd) Run(ctx context.Context, app *App) error {
	if c.Iterations < 0 || c.IntervalMS < 0 {
		return usageError("--iterations and --interval-ms must be 0 or more")
	}
	if c.Loop && c.IntervalMS == 0 && c.Iterations == 0 {
		return usageError("--interval-ms 0 needs --iterations: an endless loop without a pause would spin")
	}
	o, err := app.tickOptions(c.Selectors, c.Execute)
	if err != nil {
		return err
	}
	o.Mode = "once"
	if c.Loop {
		o.Mode, o.Backoff = "loop", map[string]time.Time{}
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	for i := 0; ; i++ {
		o.Index = i
		t, err := afloat.Run(ctx, o)
		if err != nil {
			return err
		}
		if err := writeTick(app, t, c.Loop); err != nil {
			return err
		}
		if c.Once || c.Iterations > 0 && i+1 >= c.Iterations {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil // a signal ends the loop cleanly
		case <-time.After(t.Wake(time.Duration(c.IntervalMS)*time.Millisecond, time.Now())):
		}
	}
}

// tickOptions resolves the plan and the state a tick looks at.
func (a *App) tickOptions(sel Selectors, execute bool) (afloat.Options, error) {
	pl, err := a.plan(sel.selector(""))
	if err != nil {
		return afloat.Options{}, err
	}
	return a.tickWith(pl.cfg, pl.plan, pl.store, pl.stateDir, execute), nil
}

// tickWith is a tick over plan with this invocation's environment, streams and notices.
func (a *App) tickWith(cfg *config.Config, plan *routes.Plan, store state.Backend, dir string, execute bool) afloat.Options {
	return afloat.Options{Config: cfg, Plan: plan, Store: store, StateDir: dir, RunOptions: a.runOptions(dir, a.notices()),
		SecretEnv: inject.Env{Environ: a.Env, Stdin: a.Stdio.In}, Execute: execute}
}

func writeTick(app *App, t *afloat.Tick, lines bool) error {
	if app.JSON && lines {
		return writeJSONLine(app.Stdio.Out, t)
	}
	if app.JSON {
		return writeJSON(app.Stdio.Out, t)
	}
	w := app.Stdio.Out
	fmt.Fprintf(w, "tick %d (%s, %s): %s\n", t.TickIndex, t.Mode, t.ExecutionMode, t.Claim)
	for _, x := range t.Executions {
		line := fmt.Sprintf("  ran %s on %s: %s", x.Kind, x.Route, x.Outcome)
		if x.Error != "" {
			line += " (" + x.Error + ")"
		}
		fmt.Fprintln(w, line)
	}
	for _, r := range t.Routes {
		fmt.Fprintf(w, "  %s  %s  %s  %s\n", r.Key, r.Phase, r.Action.Kind, tickSchedule(r))
		if r.Handoff != nil {
			fmt.Fprintf(w, "    handoff %s (%s): run %s\n", r.Handoff.ID, r.Handoff.Status, r.Handoff.Command)
		}
	}
	return nil
}

func tickSchedule(r afloat.Route) string {
	adm := "admitted"
	if !r.Admission.Allowed {
		adm = "refused: " + r.Admission.Reason
	}
	s := r.Admission.Of + " " + adm
	if r.EvidenceHost != "" {
		s += "; seen on " + r.EvidenceHost
	}
	if r.NextTickAfter != nil {
		s += "; next " + r.NextTickAfter.UTC().Format(time.RFC3339) + " (" + r.ScheduleReason + ")"
	}
	return s
}

// StayAfloatNextCmd is `stay-afloat next [selectors]`.
type StayAfloatNextCmd struct {
	Selectors
}

// nextOutput is `stay-afloat next --json`.
type nextOutput struct {
	Action  string     `json:"action"` // exec | repair | wait | none
	Route   string     `json:"route,omitempty"`
	Argv    []string   `json:"argv,omitempty"`
	Command string     `json:"command,omitempty"`
	Until   *time.Time `json:"until,omitempty"`
	Reason  string     `json:"reason,omitempty"`
}

// Run plans one tick (nothing runs) and says what to do now. It exits 201 when nothing can run now.
func (c *StayAfloatNextCmd) Run(ctx context.Context, app *App) error {
	o, err := app.tickOptions(c.Selectors, false)
	if err != nil {
		return err
	}
	o.Mode = "next"
	t, err := afloat.Run(ctx, o)
	if err != nil {
		return err
	}
	out := nextOf(t, c.Selectors)
	if app.JSON {
		if err := writeJSON(app.Stdio.Out, out); err != nil {
			return err
		}
	} else {
		switch out.Action {
		case "exec":
			fmt.Fprintf(app.Stdio.Out, "%s -- COMMAND…   (on %s)\n", strings.Join(out.Argv, " "), out.Route)
		case "repair":
			fmt.Fprintf(app.Stdio.Out, "repair %s first: %s\n", out.Route, out.Command)
		case "wait":
			fmt.Fprintf(app.Stdio.Out, "wait until %s for %s (%s)\n", out.Until.UTC().Format(time.RFC3339), out.Route, out.Reason)
		default:
			fmt.Fprintln(app.Stdio.Out, t.Claim)
		}
	}
	if out.Action != "exec" {
		return Exit(omux.ExitNoRoute)
	}
	return nil
}

func nextOf(t *afloat.Tick, sel Selectors) nextOutput {
	if t.Selected != nil {
		argv := append([]string{"oauth-mux", "exec"}, selectorFlags(sel)...)
		return nextOutput{Action: "exec", Route: t.Selected.Key, Argv: argv}
	}
	for _, r := range t.Routes {
		if r.Phase == afloat.PhaseRepair && r.Action.Command != "" {
			cmd := r.Action.Command
			if r.Handoff != nil {
				cmd = r.Handoff.Command
			}
			return nextOutput{Action: "repair", Route: r.Key, Command: cmd, Reason: r.Action.Kind}
		}
	}
	if t.Summary.NextTickAfter != nil && t.Summary.ScheduleReason != afloat.ScheduleNoAction {
		return nextOutput{Action: "wait", Route: t.Summary.WakeRoute, Until: t.Summary.NextTickAfter, Reason: t.Summary.ScheduleReason}
	}
	return nextOutput{Action: "none", Reason: t.Claim}
}

// selectorFlags are the selectors as exec flags.
func selectorFlags(s Selectors) []string {
	var out []string
	for _, f := range [][2]string{{"--profile", s.Profile}, {"--provider", s.Provider}, {"--account", s.Account},
		{"--capability", s.Capability}, {"--strategy", s.Strategy}} {
		if f[1] != "" {
			out = append(out, f[0], f[1])
		}
	}
	return out
}

// StayAfloatHandoffsCmd is `stay-afloat handoffs [--all]`.
type StayAfloatHandoffsCmd struct {
	All bool `help:"Include cleared and resolved handoffs."`
}

// Run lists the handoffs, oldest first.
func (c *StayAfloatHandoffsCmd) Run(app *App) error {
	hs, err := state.LoadHandoffs(state.Dir(app.Getenv))
	if err != nil {
		return err
	}
	list := []state.Handoff{}
	for _, h := range hs.Handoffs {
		if c.All || h.Pending() {
			list = append(list, h)
		}
	}
	if app.JSON {
		return writeJSON(app.Stdio.Out, struct {
			Handoffs []state.Handoff `json:"handoffs"`
		}{list})
	}
	if len(list) == 0 {
		_, err := fmt.Fprintln(app.Stdio.Out, "no handoffs pending")
		return err
	}
	for _, h := range list {
		fmt.Fprintf(app.Stdio.Out, "%s  %s  %s  %s  queued %s\n  run: %s\n", h.ID, h.Status, h.Route, h.Kind,
			h.QueuedAt.UTC().Format(time.RFC3339), h.Command)
	}
	return nil
}

// StayAfloatHandoffCmd is `stay-afloat handoff ack|clear|resolve ID`.
type StayAfloatHandoffCmd struct {
	Verb string `arg:"" enum:"ack,clear,resolve" help:"ack (seen: it stays pending), clear (dismissed) or resolve (done)."`
	ID   string `arg:"" help:"The handoff's id (stay-afloat handoffs)."`
}

// Run changes the handoff's status and records it as a daemon_handoff event.
func (c *StayAfloatHandoffCmd) Run(ctx context.Context, app *App) error {
	dir, store, err := app.State()
	if err != nil {
		return err
	}
	status := map[string]string{"ack": state.HandoffAcked, "clear": state.HandoffCleared, "resolve": state.HandoffResolved}[c.Verb]
	var found *state.Handoff
	now := time.Now().UTC()
	err = state.UpdateHandoffs(dir, func(hs *state.Handoffs) (bool, error) {
		h := hs.Find(c.ID)
		if h == nil {
			return false, nil
		}
		if !h.Pending() {
			found = h
			return false, nil
		}
		h.Status, h.UpdatedAt = status, now
		switch status {
		case state.HandoffAcked:
			h.AckedAt = &now
		default:
			h.ResolvedBy = "user"
		}
		cp := *h
		found = &cp
		return true, nil
	})
	if err != nil {
		return err
	}
	if found == nil {
		return Errorf(omux.ExitGeneral, []string{"list them with: oauth-mux stay-afloat handoffs --all"}, "no handoff %q", c.ID)
	}
	if found.Status != status {
		return Errorf(omux.ExitGeneral, nil, "handoff %s is already %s", found.ID, found.Status)
	}
	provider, account, capability, _ := omux.Split(found.Route)
	_ = store.AppendEvent(ctx, state.Event{Kind: state.KindDaemonHandoff, Provider: provider, Account: account, Capability: capability,
		Outcome: status, Reason: found.Kind, Fields: map[string]any{"handoff_id": found.ID}})
	if app.JSON {
		return writeJSON(app.Stdio.Out, found)
	}
	_, err = fmt.Fprintf(app.Stdio.Out, "handoff %s %s\n", found.ID, status)
	return err
}

// writeJSONLine prints v as one line of JSON (a --loop's ticks are JSON lines).
func writeJSONLine(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
