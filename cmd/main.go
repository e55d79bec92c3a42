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
func Main(args []string, env []string, stdio Stdio) int {
	code, _ := Run(args, env, stdio)
	return code
}

// Run is Main plus the signal the process should re-raise on itself after every deferred clean-up has
// run (SPEC §6.1: a child killed by the SIGINT/SIGHUP/SIGTERM oauth-mux received makes oauth-mux die
// of it too). reraise is 0 when there is nothing to re-raise; commands ask for it with App.Reraise.
func Run(args []string, env []string, stdio Stdio) (code int, reraise syscall.Signal) {
	app := newApp(env, stdio)
	code = run(app, args)
	return code, app.reraise
}

// exitRequest is how kong's Exit hook (help, --version) unwinds back into run without os.Exit.
type exitRequest struct{ code int }

// kongUsageError is kong's own exit status for a parse error; SPEC §10 says 2.
const kongUsageError = 80

func run(app *App, args []string) (code int) {
	cli := &CLI{}
	ctx := context.Background()
	parser, err := kong.New(cli,
		kong.Name("oauth-mux"),
		kong.Description("Run AI-harness and API CLIs on the first healthy account, and fail over when an account is spent."),
		kong.Writers(app.Stdio.Out, app.Stdio.Err),
		kong.Exit(func(c int) { panic(exitRequest{c}) }),
		kong.ExplicitGroups(commandGroups),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true, NoExpandSubcommands: true}),
		kong.Vars{"version": versionLine()},
		kong.Bind(app),
		kong.BindTo(ctx, (*context.Context)(nil)),
	)
	if err != nil {
		// The grammar is ours: a failure here is a bug, not a user error.
		fmt.Fprintf(app.Stdio.Err, "oauth-mux: error: internal: %v\n", err)
		return 1
	}
	app.parser = parser
	app.Globals = &cli.Globals

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
