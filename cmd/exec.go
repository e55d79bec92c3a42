package cmd

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"time"
	"unicode"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/inject"
	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/routes"
	"github.com/oauth-mux/oauth-mux/routes/renew"
	"github.com/oauth-mux/oauth-mux/state"
	"github.com/oauth-mux/oauth-mux/supervise"
)

// Selectors are the route selection flags shared by exec, env and the inspect commands.
type Selectors struct {
	Profile    string `short:"p" help:"Profile to take routes from." placeholder:"NAME"`
	Provider   string `help:"Provider to use (all its accounts, or --account)." placeholder:"NAME"`
	Account    string `help:"Only this account." placeholder:"NAME"`
	Capability string `help:"Only routes of this capability." placeholder:"NAME"`
	Strategy   string `help:"Order routes by this strategy (a configured name or priority-failover, health-weighted, round-robin)." placeholder:"NAME"`
}

func (s Selectors) selector(program string) routes.Selector {
	return routes.Selector{Profile: s.Profile, Provider: s.Provider, Account: s.Account,
		Capability: s.Capability, Strategy: s.Strategy, Program: program}
}

// ExecCmd is `exec [selectors] [flags] -- CMD ARGS…` (SPEC §6).
type ExecCmd struct {
	Selectors
	PTY         string        `name:"pty" enum:"auto,always,never" default:"auto" help:"Run the child under a pty: auto (when stdin and stdout are terminals), always, never."`
	Stderr      string        `name:"stderr" enum:"pipe,pty" default:"pipe" help:"Keep the child's stderr on its own pipe (judged apart) or merge it into the pty."`
	MaxAttempts int           `name:"max-attempts" default:"0" help:"Start at most N children (default: every candidate route)." placeholder:"N"`
	Wait        bool          `help:"When no route is left, sleep until the earliest reset and go on."`
	WaitMax     time.Duration `name:"wait-max" default:"24h" help:"Longest --wait." placeholder:"DURATION"`
	OnLimit     string        `name:"on-limit" enum:"restart,ignore" default:"restart" help:"When a running child shows a terminal limit: restart it on the next route, or ignore."`
	Nested      bool          `help:"Allow exec inside a child of exec for the same provider."`
	JSONReport  string        `name:"json-report" type:"path" help:"Write a JSON report of the attempts to FILE (no arguments, output or tokens)." placeholder:"FILE"`
	Command     []string      `arg:"" passthrough:"" name:"command" help:"The command to run, after --."`
}

// Run supervises the command (SPEC §6.2).
func (c *ExecCmd) Run(ctx context.Context, app *App) error {
	argv := c.Command
	if len(argv) > 0 && strings.HasPrefix(argv[0], "-") && argv[0] != "--" {
		// Kong hands an unknown flag before "--" to the command: `--profle p -- codex` would run
		// "--profle". No program is named like a flag.
		return unknownExecFlag(argv[0])
	}
	if n := len(app.args); n >= len(argv) {
		// The passthrough words are the invocation's last ones: take them as given, byte for byte.
		argv = app.args[n-len(argv):]
	}
	if len(argv) > 0 && argv[0] == "--" {
		argv = argv[1:]
	}
	if len(argv) == 0 {
		return usageError("exec needs a command after --")
	}
	if app.JSON {
		// stdout is the child's: JSON of ours would be mixed into its output.
		return Errorf(omux.ExitUsage, []string{"write the run's report as JSON to a file with --json-report FILE"},
			"--json does not apply to exec: its stdout is the command's")
	}
	if c.MaxAttempts < 0 {
		return usageError("--max-attempts must be 0 or more")
	}
	pl, err := app.plan(c.selector(argv[0]))
	if err != nil {
		return err
	}
	cfg, plan, stateDir, store := pl.cfg, pl.plan, pl.stateDir, pl.store

	sess, err := supervise.NewSession(supervise.SessionOptions{
		Stdin: app.Stdio.In, Stdout: app.Stdio.Out, Stderr: app.Stdio.Err,
		PTY: supervise.PTYMode(c.PTY), StderrMode: supervise.StderrMode(c.Stderr), OnLimit: supervise.OnLimit(c.OnLimit),
	})
	if err != nil {
		return err
	}
	defer sess.Close()
	notify := notices{sess.Stderr()}
	planner := routes.NewPlanner(cfg, plan, store, routes.ExecOptions{RunOptions: app.runOptions(stateDir, notify),
		Argv: argv, MaxAttempts: c.MaxAttempts, Wait: c.Wait, WaitMax: c.WaitMax, Nested: c.Nested})
	defer renew.Watch(ctx, store, plan.Routes, renew.WatchDelay, nil)() // a re-login during a long child revives its account (SPEC §8.3)
	// The run's writes are visible at once and durable by the time it ends: a failover starts the
	// next child while the verdict is synced, and no run holds the health lock through an fsync.
	pl.local.SetLateSync(true)
	res := supervise.Loop(ctx, sess, planner, supervise.LoopOptions{})
	sess.Close()
	pl.local.SetLateSync(false) // first: a revive the watch makes from here on is durable itself
	if err := pl.local.Sync(); err != nil {
		notify.Warn(err.Error())
	}

	if c.JSONReport != "" {
		reason := ""
		if res.Err != nil {
			reason = res.Err.Error()
		}
		if err := writeJSONFile(c.JSONReport, planner.Report(res.ExitCode, firstLine(reason))); err != nil {
			notify.Warn("--json-report: " + err.Error())
		}
	}
	app.Reraise(res.ReraiseSignal)
	if res.Err != nil {
		return res.Err
	}
	if res.ExitCode != 0 {
		return Exit(res.ExitCode)
	}
	return nil
}

// State is the state dir (created 0700) and its health store.
func (a *App) State() (string, *state.Store, error) {
	dir := state.Dir(a.Getenv)
	if err := state.EnsureDir(dir); err != nil {
		return "", nil, fmt.Errorf("state dir %s: %w", dir, err)
	}
	return dir, state.Open(dir), nil
}

// planned is where every route-running command (exec, env, probe) starts: the config, the routes the
// selectors give, and the state dir with its store.
type planned struct {
	cfg      *config.Config
	plan     *routes.Plan
	stateDir string
	// store is the health the run reads and writes: local, or local shared with a pool.
	store state.Backend
	// local is this machine's file store (its sync is the run's to time).
	local *state.Store
}

// plan loads the config, resolves sel and opens the state dir (created 0700).
func (a *App) plan(sel routes.Selector) (*planned, error) {
	cfg, err := a.Config()
	if err != nil {
		return nil, err
	}
	plan, err := routes.Resolve(cfg, sel)
	if err != nil {
		return nil, err
	}
	dir, local, err := a.State()
	if err != nil {
		return nil, err
	}
	store, err := a.healthOf(cfg, dir, local)
	if err != nil {
		return nil, err
	}
	return &planned{cfg: cfg, plan: plan, stateDir: dir, store: store, local: local}, nil
}

// accountPlan is plan for the account-level commands (refresh, keepalive): one route per account,
// and the recorder of what becomes of them.
func (a *App) accountPlan(sel routes.Selector) ([]routes.Route, *routes.Recorder, error) {
	cfg, err := a.Config()
	if err != nil {
		return nil, nil, err
	}
	rs, err := renew.AccountRoutes(cfg, sel)
	if err != nil {
		return nil, nil, err
	}
	stateDir, local, err := a.State()
	if err != nil {
		return nil, nil, err
	}
	store, err := a.healthOf(cfg, stateDir, local)
	if err != nil {
		return nil, nil, err
	}
	return rs, routes.AccountRecorder(cfg, store, stateDir, sel.Profile, a.notices()), nil
}

// runOptions is what routes needs of this invocation to prepare routes: its environment, working
// directory, version and state dir, and where lines for the user go.
func (a *App) runOptions(stateDir string, notify routes.Notifier) routes.RunOptions {
	wd, _ := os.Getwd()
	o := routes.RunOptions{Env: a.Env, Dir: wd, Version: Version(), StateDir: stateDir, Notify: notify}
	if f := a.fleet(); f != nil {
		o.Refresh = &inject.RefreshOptions{Fleet: f}
	}
	return o
}

// notices renders routes' lines on this invocation's stderr.
func (a *App) notices() notices { return notices{a.Stdio.Err} }

// notices is routes.Notifier as oauth-mux prints its own lines: "oauth-mux: …", "oauth-mux: warning:
// …", "oauth-mux: hint: …", one per line.
type notices struct{ w io.Writer }

func (n notices) Info(msg string) { fmt.Fprintf(n.w, "oauth-mux: %s\n", msg) }
func (n notices) Warn(msg string) { fmt.Fprintf(n.w, "oauth-mux: warning: %s\n", msg) }
func (n notices) Hint(msg string) { fmt.Fprintf(n.w, "oauth-mux: hint: %s\n", msg) }

func usageError(msg string) error { return Errorf(omux.ExitUsage, nil, "%s", msg) }

// unknownExecFlag is the usage error for a word before the command that no flag of exec is, with
// the nearest flag.
func unknownExecFlag(word string) error {
	name, _, _ := strings.Cut(strings.TrimLeft(word, "-"), "=")
	hints := []string{"the command goes after the flags and --: oauth-mux exec [flags] -- CMD ARGS…"}
	if best := config.Nearest(name, execFlagNames(), 3); best != "" {
		hints = append([]string{"did you mean --" + best + "?"}, hints...)
	}
	return Errorf(omux.ExitUsage, hints, "unknown flag %s of exec", word)
}

// execFlagNames are the long flags of exec, as kong names them (the name tag, else the field in
// kebab case).
func execFlagNames() []string {
	var names []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			switch {
			case f.Anonymous:
				walk(f.Type)
			case f.Tag.Get("arg") != "":
			case f.Tag.Get("name") != "":
				names = append(names, f.Tag.Get("name"))
			default:
				names = append(names, kebab(f.Name))
			}
		}
	}
	walk(reflect.TypeFor[ExecCmd]())
	return append(names, "config", "json")
}

func kebab(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) && i > 0 {
			b.WriteByte('-')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// writeJSONFile writes v the way writeJSON prints it, replacing path atomically (0600).
func writeJSONFile(path string, v any) error {
	var b bytes.Buffer
	if err := writeJSON(&b, v); err != nil {
		return err
	}
	return state.WriteFileAtomic(path, b.Bytes(), 0o600)
}

// Help is the detail `oauth-mux exec --help` shows under the flags.
func (c *ExecCmd) Help() string {
	return `Examples:
  oauth-mux exec --profile codex-max -- codex exec "fix the tests"
  oauth-mux exec --profile claude-max -- claude
  oauth-mux exec --provider github --account work -- gh pr list
  oauth-mux exec --profile codex-max --wait --json-report run.json -- codex exec "…"

The child's output reaches you unchanged. It is run again on the next account only when the
failure is the account's (a spent window, a dead login), never after it exited 0 on its own.

Exit status: the last child's, exactly (128+N after signal N); 126/127 when the program cannot
run; 201 when no route is left; 200 for an invalid config; 202 secret, 203 refresh, 204 network.`
}
