package cmd

import (
	"context"
	"fmt"

	"github.com/oauth-mux/oauth-mux/inject"
	"github.com/oauth-mux/oauth-mux/routes"
)

// EnvCmd is `env [selectors] [--shell …] [--nested]` (SPEC §6.4): the first usable route's
// environment as shell assignments, for `eval "$(oauth-mux env …)"`.
type EnvCmd struct {
	Selectors
	Shell  string `name:"shell" enum:",bash,zsh,fish,ksh,posix,sh" default:"" help:"Shell dialect: bash, zsh, fish, ksh, posix, sh (default: $$OMUX_SHELL, defaults.shell, the running shell)." placeholder:"SHELL"`
	Nested bool   `help:"Allow env inside a child of exec for the same provider."`
}

// Run chooses and prepares a route exactly as exec does (one planner, one path) and prints the
// changes against this shell's environment. Its stdout is the one place oauth-mux prints secrets.
func (c *EnvCmd) Run(ctx context.Context, app *App) error {
	if app.JSON {
		// A JSON document of secrets invites logging it; shell code is what env is for.
		return usageError("env prints shell code and has no --json form; pick a dialect with --shell")
	}
	pl, err := app.plan(c.selector(""))
	if err != nil {
		return err
	}
	cfg, plan, stateDir, store := pl.cfg, pl.plan, pl.stateDir, pl.store
	planner := routes.NewPlanner(cfg, plan, store, routes.ExecOptions{RunOptions: app.runOptions(stateDir, app.notices()),
		Nested: c.Nested})
	prep, _, err := planner.PrepareFirst(ctx)
	if err != nil {
		return err
	}
	shell := inject.DetectShell(c.Shell, app.Getenv, cfg.Defaults.Shell)
	_, err = fmt.Fprint(app.Stdio.Out, inject.Format(prep.Set, prep.Unset, shell))
	return err
}
