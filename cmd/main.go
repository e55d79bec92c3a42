package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"github.com/alecthomas/kong"
	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/supervise"
)

// Stdio are the three streams of one invocation. In production they are the process's *os.File
// streams (StdStdio); code that needs a terminal type-asserts to *os.File (see IsTerminal).
type Stdio struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// StdStdio returns the process's own streams.
func StdStdio() Stdio { return Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr} }

// Main runs one oauth-mux invocation and returns its exit status. args excludes the program name.
func Main(args []string, env omux.Environ, stdio Stdio) int {
	code, _ := Run(args, env, stdio)
	return code
}

// Program is the whole oauth-mux process: Run on the process's arguments, environment and streams,
// then its end, which comes only after Run returned (the terminal restored, locks released,
// credentials written back): the re-raise of the signal that killed the child (SPEC §6.1), else
// os.Exit with the status. It is what cmd/oauth-mux's main and testkit's in-test oauth-mux run.
func Program() {
	code, sig := Run(os.Args[1:], os.Environ(), StdStdio())
	if sig != 0 {
		supervise.Reraise(sig)
	}
	os.Exit(code)
}

// Run is Main plus the signal the process should re-raise on itself after every deferred clean-up has
// run (SPEC §6.1: a child killed by the SIGINT/SIGHUP/SIGTERM oauth-mux received makes oauth-mux die
// of it too). reraise is 0 when there is nothing to re-raise; commands ask for it with App.Reraise.
func Run(args []string, env omux.Environ, stdio Stdio) (code int, reraise syscall.Signal) {
	app := newApp(env, stdio)
	code = run(app, args)
	if app.pool != nil {
		app.pool.Close()
	}
	return code, app.reraise
}

// exitRequest is how kong's Exit hook (help, --version) unwinds back into run without os.Exit.
type exitRequest struct{ code int }

// kongUsageError is kong's own exit status for a parse error; SPEC §10 says 2.
const kongUsageError = 80

// kongOptions configures a parser of either grammar (CLI, or execCLI for the fast path) the same way.
func kongOptions(app *App, stdout, stderr io.Writer) []kong.Option {
	return []kong.Option{
		kong.Name("oauth-mux"),
		kong.Description("Run AI-harness and API CLIs on the first healthy account, and fail over when an account is spent."),
		kong.Writers(stdout, stderr),
		kong.Exit(func(c int) { panic(exitRequest{c}) }),
		kong.ExplicitGroups(commandGroups),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true, NoExpandSubcommands: true}),
		kong.Vars{"version": versionLine()},
		kong.Bind(app),
		kong.BindTo(context.Background(), (*context.Context)(nil)),
	}
}

func run(app *App, args []string) int {
	app.args = args
	return runWith(app, args, true)
}

// runWith is run, with the exec fast path optional so a test can hold the two grammars to the same
// results.
func runWith(app *App, args []string, fast bool) (code int) {
	defer func() {
		if r := recover(); r != nil {
			req, ok := r.(exitRequest)
			if !ok {
				panic(r)
			}
			code = req.code
			if code == kongUsageError {
				code = 2
			}
		}
	}()

	if kctx, ok := parseExec(app, args); fast && ok {
		if err := kctx.Run(); err != nil {
			return Report(app.Stdio.Err, err)
		}
		return 0
	}

	cli := &CLI{}
	parser, err := kong.New(cli, kongOptions(app, app.Stdio.Out, app.Stdio.Err)...)
	if err != nil {
		// The grammar is ours: a failure here is a bug, not a user error.
		fmt.Fprintf(app.Stdio.Err, "oauth-mux: error: internal: %v\n", err)
		return 1
	}
	app.parser = parser
	app.Globals = &cli.Globals

	if len(args) == 0 {
		// Like `go`: a bare invocation is a usage error, but a helpful one.
		parser.Stdout = app.Stdio.Err
		func() {
			defer func() { _ = recover() }() // the help hook's exit request; the status is ours
			_, _ = parser.Parse([]string{"--help"})
		}()
		return 2
	}

	kctx, err := parser.Parse(args)
	if err != nil {
		fmt.Fprintf(app.Stdio.Err, "oauth-mux: error: %s\n", firstLine(err.Error()))
		hint := "run 'oauth-mux --help' for usage"
		var pe *kong.ParseError
		if errors.As(err, &pe) && pe.Context != nil {
			if path := commandPath(pe.Context.Selected()); path != "" {
				hint = fmt.Sprintf("run 'oauth-mux %s --help' for usage", path)
			}
		}
		fmt.Fprintf(app.Stdio.Err, "oauth-mux: hint: %s\n", hint)
		return 2
	}
	if err := kctx.Run(); err != nil {
		return Report(app.Stdio.Err, err)
	}
	return 0
}

// execCLI is the grammar of `exec` alone. Building kong's model of the whole CLI (every command,
// flag and tag, by reflection, each allocation a fresh page in a new process) was about a third of a
// cold `oauth-mux exec`'s CPU; exec is the command whose start-up is on the user's path every time,
// so it is parsed with this grammar first. The Exec field must stay the CLI's (a test compares them).
type execCLI struct {
	Globals
	Exec ExecCmd `cmd:"" group:"run" help:"Run a command on the first healthy account; fail over when the account is spent."`
}

// parseExec parses args with execCLI when they name the exec command. It reports false, having
// printed nothing and changed nothing, for anything the small grammar does not accept cleanly: a
// parse error, --help or --version (whose output describes the whole CLI). The caller then parses
// args with the full grammar, so every message and exit status is the full grammar's.
func parseExec(app *App, args []string) (kctx *kong.Context, ok bool) {
	if !namesExec(args) {
		return nil, false
	}
	cli := &execCLI{}
	parser, err := kong.New(cli, kongOptions(app, io.Discard, io.Discard)...)
	if err != nil {
		return nil, false
	}
	defer func() {
		if r := recover(); r != nil {
			if _, exit := r.(exitRequest); !exit {
				panic(r)
			}
			kctx, ok = nil, false
		}
	}()
	kctx, err = parser.Parse(args)
	if err != nil {
		return nil, false
	}
	parser.Stdout, parser.Stderr = app.Stdio.Out, app.Stdio.Err
	app.parser = parser
	app.Globals = &cli.Globals
	return kctx, true
}

// namesExec reports whether the first word after the global flags is "exec": the only case in which
// parseExec is worth trying.
func namesExec(args []string) bool {
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "exec":
			return true
		case a == "--config":
			i++ // its value
		case strings.HasPrefix(a, "--config="), a == "--json":
		default:
			return false
		}
	}
	return false
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// commandPath is the command words leading to n ("config validate"), without kong's alias decoration.
func commandPath(n *kong.Node) string {
	var words []string
	for ; n != nil; n = n.Parent {
		if n.Type == kong.CommandNode {
			words = append([]string{n.Name}, words...)
		}
	}
	return strings.Join(words, " ")
}
