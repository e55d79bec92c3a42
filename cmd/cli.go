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

	// setup
	Init        InitCmd        `cmd:"" group:"setup" help:"Write a starter config (never overwrites)."`
	Config      ConfigCmd      `cmd:"" group:"setup" help:"Validate or locate the config file."`
	Completions CompletionsCmd `cmd:"" group:"setup" help:"Print a shell completion script (bash, zsh, fish)."`
	Version     VersionCmd     `cmd:"" group:"setup" help:"Print the version."`

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
