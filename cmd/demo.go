package cmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/examples"
	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/state"
)

// DemoCmd is `demo [--keep]` (SPEC §7): the bundled demo config run end to end through the real exec
// path — route choice, injection, a supervised child, the output judge, the health store, events and
// failover — with no accounts and no network, in a temporary state dir.
type DemoCmd struct {
	Keep bool `help:"Keep the demo's state dir (its health.json and events) instead of removing it."`
}

// demoChildCommand is the hidden mode the demo runs as its child: oauth-mux itself, re-executed.
const demoChildCommand = "__demo-child"

// The demo's fake tokens. They are not secrets, but the demo treats them as if they were: the suites
// check that they show up in no output, health or event, as a real token must not.
const (
	demoAlphaToken = "omux-demo-alpha-token-3f9c1b"
	demoBetaToken  = "omux-demo-beta-token-8a2d47"
)

// demoSummary is `demo --json`: what the run left behind.
type demoSummary struct {
	StateDir string             `json:"state_dir"`
	Kept     bool               `json:"kept"`
	ExitCode int                `json:"exit_code"`
	Health   state.HealthReport `json:"health"`
	Events   []state.Event      `json:"events"`
}

// Run executes `exec --profile demo -- oauth-mux __demo-child` against the embedded config in a fresh
// state dir, then shows what oauth-mux recorded.
func (c *DemoCmd) Run(ctx context.Context, app *App) (err error) {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("demo: cannot find the oauth-mux binary to run as the demo CLI: %w", err)
	}
	dir, err := os.MkdirTemp("", "oauth-mux-demo-")
	if err != nil {
		return fmt.Errorf("demo: temporary state dir: %w", err)
	}
	if !c.Keep {
		defer func() {
			if rerr := os.RemoveAll(dir); rerr != nil && err == nil {
				err = fmt.Errorf("demo: removing %s: %w", dir, rerr)
			}
		}()
	}

	// The child's stdout is the demo's show; with --json it moves to stderr so stdout stays one document.
	out := app.Stdio.Out
	if app.JSON {
		out = app.Stdio.Err
	}
	fmt.Fprintf(out, "demo: state dir %s\n", dir)
	fmt.Fprintln(out, "demo: profile demo tries demo:alpha#chat (priority 20), then demo:beta#chat (priority 10)")
	fmt.Fprintln(out, "demo: running: oauth-mux exec --profile demo -- demo-cli")

	child := newApp(demoEnv(app.Env, dir), Stdio{In: strings.NewReader(""), Out: out, Err: app.Stdio.Err})
	cfg, err := config.Parse(examples.Demo(), "demo.config.json", child.Getenv)
	if err != nil {
		return fmt.Errorf("demo: the bundled config is invalid (a bug): %w", err)
	}
	child.useConfig(cfg)
	ex := &ExecCmd{
		Selectors: Selectors{Profile: "demo"},
		PTY:       "never", Stderr: "pipe", OnLimit: "restart", WaitMax: 24 * time.Hour,
		// A demo run inside an exec child (of any provider) is still a demo, not an accident.
		Nested:  true,
		Command: []string{self, demoChildCommand},
	}
	runErr := ex.Run(ctx, child)
	if child.reraise != 0 {
		app.Reraise(child.reraise)
	}
	code := Report(io.Discard, runErr)

	h, herr := state.Open(dir).Load()
	if herr != nil {
		return herr
	}
	rep := h.Report("", time.Now())
	events, err := state.ReadEvents(dir, 0)
	if err != nil {
		return err
	}
	if app.JSON {
		if err := writeJSON(app.Stdio.Out, demoSummary{StateDir: dir, Kept: c.Keep, ExitCode: code, Health: rep, Events: events}); err != nil {
			return err
		}
		return runErr
	}

	var b strings.Builder
	b.WriteString("\ndemo: health recorded (oauth-mux health):\n")
	var hb strings.Builder
	_ = writeHealthText(&hb, rep, "", time.Now())
	indent(&b, hb.String())
	b.WriteString("demo: events recorded (repair-events.jsonl):\n")
	for _, e := range events {
		b.WriteString("  " + describeEvent(e) + "\n")
	}
	if c.Keep {
		fmt.Fprintf(&b, "demo: state dir %s (kept; look with: OMUX_STATE_DIR=%s oauth-mux health)\n", dir, dir)
	} else {
		fmt.Fprintf(&b, "demo: state dir %s (removed; pass --keep to keep it)\n", dir)
	}
	if _, err := io.WriteString(out, b.String()); err != nil {
		return err
	}
	return runErr
}

// demoEnv is the parent's environment for the demo run: its own state dir and fake tokens, and none of
// an enclosing oauth-mux child's markers.
func demoEnv(parent omux.Environ, dir string) omux.Environ {
	env := make([]string, 0, len(parent)+3)
	for _, kv := range parent {
		k, _, _ := strings.Cut(kv, "=")
		if k == "OMUX_STATE_DIR" || strings.HasPrefix(k, "OMUX_DEMO_") || strings.HasPrefix(k, "OMUX_ACTIVE_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "OMUX_STATE_DIR="+dir,
		"OMUX_DEMO_ALPHA_TOKEN="+demoAlphaToken, "OMUX_DEMO_BETA_TOKEN="+demoBetaToken)
}

// useConfig makes Config return cfg instead of loading a file (the demo's embedded config).
func (a *App) useConfig(cfg *config.Config) {
	a.cfgOnce.Do(func() { a.cfg = cfg })
}

func indent(b *strings.Builder, text string) {
	for line := range strings.Lines(text) {
		b.WriteString("  " + line)
	}
}

// describeEvent is one event row as a line: kind, route, outcome, then its other fields by name.
func describeEvent(e state.Event) string {
	s := fmt.Sprintf("%-14s %s  %s", e.Kind, e.Key(), e.Outcome)
	if e.Reason != "" {
		s += " (" + e.Reason + ")"
	}
	names := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if v := fmt.Sprint(e.Fields[k]); v != "" {
			s += " " + k + "=" + v
		}
	}
	return s
}

// DemoChildCmd is the demo's CLI: oauth-mux re-executed under exec. It plays an AI CLI whose account
// alpha has spent its usage window and whose account beta works.
type DemoChildCmd struct{}

// Run prints what the account it was given would print. It learns the account the way any CLI
// would: from the environment exec prepared (OMUX_ACTIVE_ACCOUNT, and DEMO_TOKEN from the secret).
func (DemoChildCmd) Run(app *App) error {
	out, errw := app.Stdio.Out, app.Stdio.Err
	account := app.Getenv("OMUX_ACTIVE_ACCOUNT")
	if app.Getenv("DEMO_TOKEN") == "" {
		fmt.Fprintln(errw, "demo: not signed in (no DEMO_TOKEN); run me through oauth-mux demo")
		return Exit(2)
	}
	fmt.Fprintf(out, "demo-cli 1.0 (account %s, token injected)\n", account)
	fmt.Fprintln(out, "> fix the failing test in parser_test.go")
	switch account {
	case "alpha":
		fmt.Fprintln(out, "reading parser.go, parser_test.go …")
		fmt.Fprintln(errw, "demo: usage limit reached, resets in 2 hours")
		return Exit(1)
	default:
		fmt.Fprintln(out, "reading parser.go, parser_test.go …")
		fmt.Fprintln(out, "edit parser.go: handle an empty input before indexing")
		fmt.Fprintln(out, "go test ./... ok")
		fmt.Fprintln(out, "done.")
		return nil
	}
}
