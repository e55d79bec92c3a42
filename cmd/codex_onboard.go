package cmd

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/routes/codexflow"
)

// CodexOnboardCmd is `codex onboard` (also `setup codex`): from a config with codex accounts to a
// covered profile. It makes each CODEX_HOME, asks before each login a logged-out account needs (or
// logs in all with --yes), checks the logins again, runs discover, and ends with the exec line.
type CodexOnboardCmd struct {
	Yes     bool   `name:"yes" short:"y" help:"Log in every logged-out account without asking."`
	Browser bool   `name:"browser" help:"Use codex's browser login instead of the device code flow."`
	Profile string `name:"profile" default:"codex-max" help:"The profile the exec line names." placeholder:"NAME"`
}

// onboardOutput is `codex onboard --json`.
type onboardOutput struct {
	Dirs        []codexflow.DirResult `json:"dirs"`
	Logins      []onboardLogin        `json:"logins"`
	LoginStatus []codexflow.Status    `json:"login_status"`
	LoggedIn    int                   `json:"logged_in"`
	Total       int                   `json:"total"`
	ExecLine    string                `json:"exec_line"`
}

type onboardLogin struct {
	Account string `json:"account"`
	Outcome string `json:"outcome"` // succeeded | failed | skipped
	Message string `json:"message,omitempty"`
}

// Run onboards; exit 1 when no account is logged in at the end.
func (c *CodexOnboardCmd) Run(ctx context.Context, app *App) error {
	accts, _, err := app.codexAccounts("")
	if err != nil {
		return err
	}
	if app.JSON && !c.Yes {
		return usageError("codex onboard --json cannot ask before each login: pass --yes, or run it without --json")
	}
	out := onboardOutput{Dirs: codexflow.BootstrapDirs(accts), Logins: []onboardLogin{}}
	say := func(format string, args ...any) {
		if !app.JSON {
			fmt.Fprintf(app.Stdio.Out, format, args...)
		}
	}
	for _, d := range out.Dirs {
		if d.Error != "" {
			return Errorf(omux.ExitGeneral, nil, "CODEX_HOME of %s (%s): %s", d.Key, d.CodexHome, d.Error)
		}
		say("dir    %s  CODEX_HOME=%s  %s\n", d.Key, d.CodexHome, d.Mode)
	}
	answers := bufio.NewReader(app.Stdio.In)
	for _, a := range accts {
		st := codexflow.LoginStatus(ctx, app.Env, a)
		if st.Ready() {
			say("login  %s  logged in\n", a.Key)
			continue
		}
		if !c.Yes && !ask(app.Stdio.Out, answers, !IsTerminal(app.Stdio.In), fmt.Sprintf("log in %s now (codex login%s)? [y/N] ", a.Key, map[bool]string{true: "", false: " --device-auth"}[c.Browser])) {
			out.Logins = append(out.Logins, onboardLogin{Account: a.Key, Outcome: "skipped"})
			continue
		}
		dir, store, err := app.State()
		if err != nil {
			return err
		}
		cfg, _ := app.Config()
		r := codexflow.Login(ctx, a, !c.Browser, app.repairOptions(cfg, store, dir, ""))
		l := onboardLogin{Account: a.Key, Outcome: "succeeded", Message: r.Message}
		if r.ExitCode != 0 {
			l.Outcome = "failed"
		}
		out.Logins = append(out.Logins, l)
		say("login  %s  %s\n", a.Key, l.Outcome)
	}
	for _, a := range accts {
		st := codexflow.LoginStatus(ctx, app.Env, a)
		out.LoginStatus = append(out.LoginStatus, st)
		if st.Ready() {
			out.LoggedIn++
		}
	}
	out.Total = len(accts)
	out.ExecLine = "oauth-mux exec --profile " + c.Profile + " -- codex"
	if app.JSON {
		if err := writeJSON(app.Stdio.Out, out); err != nil {
			return err
		}
	} else {
		say("%d of %d accounts logged in\n", out.LoggedIn, out.Total)
		if cs := app.configState(); cs.Valid {
			d := buildDiscover(app, cs)
			say("discover: codex_max_configured=%v\n", d.CodexMaxConfigured)
		}
		if out.LoggedIn > 0 {
			say("run: %s\n", out.ExecLine)
		}
	}
	if out.LoggedIn == 0 {
		if app.JSON {
			return Exit(omux.ExitGeneral)
		}
		return Errorf(omux.ExitGeneral, []string{"log one in with: oauth-mux codex login ACCOUNT"}, "no codex account is logged in")
	}
	return nil
}

// ask prints question and reads a yes (y, yes) from answers; anything else, or no input, is no. An
// answer that was not typed at a terminal is echoed, so the transcript reads as a dialogue.
func ask(w io.Writer, answers *bufio.Reader, echo bool, question string) bool {
	fmt.Fprint(w, question)
	line, _ := answers.ReadString('\n')
	if echo {
		fmt.Fprintln(w, strings.TrimSpace(line))
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true
	}
	return false
}

// SetupCmd groups the first-run flows: `setup codex` is `codex onboard`.
type SetupCmd struct {
	Codex CodexOnboardCmd `cmd:"" help:"Set up Codex accounts: dirs, logins (asks before each), check, the exec line (codex onboard)."`
}
