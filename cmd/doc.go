// Package cmd is oauth-mux's command line and its composition root: the kong grammar, one file per
// command group, and Main, which turns an argument list, an environment and three streams into an exit
// status.
//
// Adding a command is a one-file change plus one line in the CLI struct (cli.go): write a struct whose
// Run method takes the dependencies it needs (*App, context.Context) and returns an error, and add a
// field tagged `cmd:"" group:"run|inspect|repair|setup"` to CLI.
//
// Errors carry their own exit status (an ExitCode() int method) and next steps (Hints() []string);
// Main renders them as `oauth-mux: error: …` / `oauth-mux: hint: …` on stderr. Nothing below Main
// calls os.Exit, prints to os.Stdout/os.Stderr directly or reads os.Getenv: everything comes from the
// App, so deferred clean-ups (terminal restore, locks, write-back) always run and tests can call Main
// in process.
//
// cmd may import every project package; no project package may import cmd (except cmd/oauth-mux), and
// only cmd imports kong.
package cmd
