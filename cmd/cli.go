package cmd

import "github.com/alecthomas/kong"

// CLI is the grammar. Each command group lives in its own file; adding one is that file plus one
// field here, tagged with its help group (run, inspect, repair, setup) so --help lists it in place.
type CLI struct {
	Globals

	// run
	Exec ExecCmd `cmd:"" group:"run" help:"Run a command on the first healthy account; fail over when the account is spent."`
	Env  EnvCmd  `cmd:"" group:"run" help:"Print export lines for the first healthy account (eval \"$$(oauth-mux env …)\")."`
	Demo DemoCmd `cmd:"" group:"run" help:"Run the bundled demo: a failover between two fake accounts, no network."`

	// inspect
	Health HealthCmd `cmd:"" group:"inspect" help:"Show the recorded health of accounts and routes, or reset a key."`

	Doctor   DoctorCmd   `cmd:"" group:"inspect" help:"Check the config, health store and monthly runs; 'doctor runtime' checks local prerequisites."`
	Report   ReportCmd   `cmd:"" group:"inspect" help:"Print a shareable, redacted inventory (report --redacted)."`
	Discover DiscoverCmd `cmd:"" group:"inspect" help:"Find provider CLIs, env markers and login files on this machine (stat only)."`
	Accounts AccountsCmd `cmd:"" group:"inspect" help:"List configured accounts with secret backend, health and monthly runs."`
	Daemon   DaemonCmd   `cmd:"" group:"inspect" help:"Inspect background work: daemon events."`
	Route    RouteCmd    `cmd:"" group:"inspect" help:"Select or explain routes from recorded health and runtime readiness (no provider contacted)."`

	Providers ProvidersCmd `cmd:"" group:"inspect" help:"List built-in and configured providers: capabilities, probes, rules, repair owner."`

	Probe ProbeCmd `cmd:"" group:"repair" help:"Run capability probes down the candidates until a route is usable; record each verdict."`

	Refresh    RefreshCmd    `cmd:"" group:"repair" help:"Refresh the OAuth tokens oauth-mux owns, now."`
	Keepalive  KeepaliveCmd  `cmd:"" group:"repair" help:"Refresh owned tokens at 75% of their life (--once, or --loop until a signal)."`
	RepairPlan RepairPlanCmd `cmd:"" name:"repair-plan" group:"repair" help:"Show what would bring each route back, its cost and daemon admission (nothing runs)."`
	Repair     RepairCmd     `cmd:"" group:"repair" help:"Run the repair that brings a route back (repair run --confirm-repair)."`
	Setup      SetupCmd      `cmd:"" group:"setup" help:"First-run flows: setup codex."`
	Codex      CodexCmd      `cmd:"" group:"setup" help:"Codex subscription flows: CODEX_HOME per account, login, login status."`
	StayAfloat StayAfloatCmd `cmd:"" name:"stay-afloat" group:"repair" help:"Keep routes ready between runs without spending: plan ticks, take admitted actions (--execute), queue logins for you."`

	// setup
	Init        InitCmd        `cmd:"" group:"setup" help:"Write a starter config (never overwrites)."`
	Config      ConfigCmd      `cmd:"" group:"setup" help:"Validate or locate the config file."`
	Completions CompletionsCmd `cmd:"" group:"setup" help:"Print a shell completion script (bash, zsh, fish)."`
	Version     VersionCmd     `cmd:"" group:"setup" help:"Print the version."`
	Man         ManCmd         `cmd:"" group:"setup" help:"Print the manual page (roff), as packages install it: oauth-mux man > oauth-mux.1"`

	Complete  CompleteCmd  `cmd:"" name:"__complete" hidden:"" help:"Completion candidates for the shell scripts."`
	DemoChild DemoChildCmd `cmd:"" name:"__demo-child" hidden:"" help:"The demo's fake CLI (run by demo)."`
}

// Globals are the flags every command accepts.
type Globals struct {
	Config      string           `name:"config" placeholder:"PATH" help:"Config file (else $$OMUX_CONFIG; see config path)."`
	JSON        bool             `name:"json" help:"Print machine-readable JSON on stdout."`
	VersionFlag kong.VersionFlag `name:"version" help:"Print the version and exit."`
}

// commandGroups orders the help output. A group with no command yet is not shown.
var commandGroups = []kong.Group{
	{Key: "run", Title: "Run a command on a healthy account:"},
	{Key: "inspect", Title: "Inspect health, routes and accounts:"},
	{Key: "repair", Title: "Probe and repair accounts:"},
	{Key: "setup", Title: "Set up:"},
}
