package cmd

import (
	"context"
	"fmt"
	"time"

	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/routes/codexflow"
	"github.com/oauth-mux/oauth-mux/routes/explain"
	"github.com/oauth-mux/oauth-mux/routes/probe"
	"github.com/oauth-mux/oauth-mux/routes/repair"
	"github.com/oauth-mux/oauth-mux/state"
)

// CodexCmd groups the Codex subscription flows: one CODEX_HOME per ChatGPT account.
type CodexCmd struct {
	BootstrapDirs  CodexBootstrapDirsCmd  `cmd:"" name:"bootstrap-dirs" help:"Make each codex account's CODEX_HOME (0700)."`
	Login          CodexLoginCmd          `cmd:"" help:"Run 'codex login' for an account with its CODEX_HOME (the terminal is yours)."`
	LoginDevice    CodexLoginDeviceCmd    `cmd:"" name:"login-device" help:"Run 'codex login --device-auth' for an account (a code to enter on any device)."`
	LoginStatus    CodexLoginStatusCmd    `cmd:"" name:"login-status" help:"Ask 'codex login status' of one account, or of all (no spend)."`
	LoginStatusAll CodexLoginStatusAllCmd `cmd:"" name:"login-status-all" help:"Ask 'codex login status' of every codex account (no spend)."`

	Onboard         CodexOnboardCmd         `cmd:"" help:"From codex accounts in the config to a covered profile: dirs, logins (asks before each), check, the exec line."`
	LiveQA          CodexLiveQACmd          `cmd:"" name:"live-qa" help:"Probe every codex route for real (spends: --confirm-spend) and report coverage per capability."`
	ProbeAll        CodexLiveQACmd          `cmd:"" name:"probe-all" help:"The same as live-qa: every codex route's probe, with coverage."`
	Canary          CodexCanaryCmd          `cmd:"" help:"Check the Codex setup without spending: dirs, login status, runtime, health, repair plan; exit 1 when a capability has no ready account."`
	ConfigCandidate CodexConfigCandidateCmd `cmd:"" name:"config-candidate" help:"Write the Codex Max config shape beside the active config (never overwrites)."`
	ConfigMerge     CodexConfigMergeCmd     `cmd:"" name:"config-merge" help:"Merge a candidate's codex provider and profiles into the active config (backup kept; nothing else changes)."`
}

// codexAccounts are the config's codex accounts (only one when named).
func (a *App) codexAccounts(only string) ([]codexflow.Account, string, error) {
	cfg, err := a.Config()
	if err != nil {
		return nil, "", err
	}
	dir := state.Dir(a.Getenv)
	accts, err := codexflow.Accounts(cfg, dir, only)
	if err != nil {
		return nil, "", Errorf(omux.ExitGeneral, []string{"list them with: oauth-mux accounts list --provider codex"}, "%v", err)
	}
	return accts, dir, nil
}

// CodexBootstrapDirsCmd is `codex bootstrap-dirs`.
type CodexBootstrapDirsCmd struct{}

// Run makes the dirs; exit 1 when one could not be made.
func (c CodexBootstrapDirsCmd) Run(app *App) error {
	accts, _, err := app.codexAccounts("")
	if err != nil {
		return err
	}
	res := codexflow.BootstrapDirs(accts)
	failed := 0
	for _, r := range res {
		if r.Error != "" {
			failed++
		}
	}
	if app.JSON {
		if err := writeJSON(app.Stdio.Out, struct {
			Dirs []codexflow.DirResult `json:"dirs"`
		}{res}); err != nil {
			return err
		}
	} else {
		for _, r := range res {
			what := "exists"
			switch {
			case r.Error != "":
				what = "error: " + r.Error
			case r.Created:
				what = "created"
			}
			fmt.Fprintf(app.Stdio.Out, "%s  CODEX_HOME=%s  %s %s\n", r.Key, r.CodexHome, what, r.Mode)
		}
	}
	if failed > 0 {
		return Exit(omux.ExitGeneral)
	}
	return nil
}

// CodexLoginCmd is `codex login|login-device [ACCOUNT]`.
type CodexLoginCmd struct {
	Account string `arg:"" optional:"" help:"The account (default: the only codex account)."`
}

// CodexLoginDeviceCmd is `codex login-device [ACCOUNT]`.
type CodexLoginDeviceCmd struct {
	Account string `arg:"" optional:"" help:"The account (default: the only codex account)."`
}

// Run logs one account in with the device flow.
func (c *CodexLoginDeviceCmd) Run(ctx context.Context, app *App) error {
	return codexLogin(ctx, app, c.Account, true)
}

// Run logs one account in with the real codex, the terminal inherited, under the account lock.
func (c *CodexLoginCmd) Run(ctx context.Context, app *App) error {
	return codexLogin(ctx, app, c.Account, false)
}

func codexLogin(ctx context.Context, app *App, account string, device bool) error {
	accts, _, err := app.codexAccounts(account)
	if err != nil {
		return err
	}
	if len(accts) > 1 {
		return Errorf(omux.ExitUsage, []string{"name one: oauth-mux codex login ACCOUNT"}, "%d codex accounts: say which to log in", len(accts))
	}
	dir, store, err := app.State()
	if err != nil {
		return err
	}
	cfg, _ := app.Config()
	r := codexflow.Login(ctx, accts[0], device, app.repairOptions(cfg, store, dir, ""))
	a := accts[0]
	kind := "codex_login"
	if device {
		kind = "codex_login_device"
	}
	ev := repair.Event("", &explain.RouteReport{Provider: a.Provider, Account: a.Account,
		Action: explain.Action{Kind: kind, Budget: "interactive", Interactive: true, Mutating: true}}, true, r, time.Now())
	_ = store.AppendEvent(ctx, ev)
	if app.JSON {
		if err := writeJSON(app.Stdio.Out, r); err != nil {
			return err
		}
	} else if r.ExitCode == 0 {
		fmt.Fprintln(app.Stdio.Out, r.Message)
	}
	if r.ExitCode != 0 {
		if app.JSON {
			return Exit(r.ExitCode)
		}
		return Errorf(r.ExitCode, nil, "%s", r.Message)
	}
	return nil
}

// CodexLoginStatusCmd is `codex login-status [ACCOUNT]`.
type CodexLoginStatusCmd struct {
	Account string `arg:"" optional:"" help:"The account (default: all)."`
}

// Run asks each account; exit 1 when one is not logged in.
func (c CodexLoginStatusCmd) Run(ctx context.Context, app *App) error {
	return loginStatus(ctx, app, c.Account)
}

// CodexLoginStatusAllCmd is `codex login-status-all`.
type CodexLoginStatusAllCmd struct{}

// Run asks every account.
func (CodexLoginStatusAllCmd) Run(ctx context.Context, app *App) error {
	return loginStatus(ctx, app, "")
}

func loginStatus(ctx context.Context, app *App, only string) error {
	accts, _, err := app.codexAccounts(only)
	if err != nil {
		return err
	}
	var out []codexflow.Status
	bad := 0
	for _, a := range accts {
		st := codexflow.LoginStatus(ctx, app.Env, a)
		if st.Status != codexflow.LoggedIn {
			bad++
		}
		out = append(out, st)
	}
	if app.JSON {
		if err := writeJSON(app.Stdio.Out, struct {
			Accounts []codexflow.Status `json:"accounts"`
			LoggedIn int                `json:"logged_in"`
			Total    int                `json:"total"`
		}{out, len(out) - bad, len(out)}); err != nil {
			return err
		}
	} else {
		for _, st := range out {
			line := fmt.Sprintf("%s  %s", st.Key, st.Status)
			if st.Method != "" {
				line += " (" + st.Method + ")"
			}
			if st.Error != "" {
				line += ": " + st.Error
			}
			fmt.Fprintln(app.Stdio.Out, line)
		}
		for _, st := range out {
			if st.Status == codexflow.LoggedOut {
				fmt.Fprintf(app.Stdio.Out, "next: oauth-mux codex login %s\n", st.Account.Account)
			}
		}
	}
	if bad > 0 {
		return Exit(omux.ExitGeneral)
	}
	return nil
}

// CodexCanaryCmd is `codex canary [selectors]`: the no-spend check of the Codex setup (dirs, login
// status, runtime readiness, recorded health and the repair plan) in one report.
type CodexCanaryCmd struct {
	Selectors
}

// Run checks; exit 1 when a capability has no ready account.
func (c CodexCanaryCmd) Run(ctx context.Context, app *App) error {
	sel := c.Selectors
	if sel.Profile == "" && sel.Provider == "" {
		sel.Provider = "codex"
	}
	accts, _, err := app.codexAccounts(sel.Account)
	if err != nil {
		return err
	}
	e, err := explainFor(app, sel, explain.VerbExplain)
	if err != nil {
		return err
	}
	rep := codexflow.RunCanary(ctx, app.Env, accts, e)
	if app.JSON {
		if err := writeJSON(app.Stdio.Out, rep); err != nil {
			return err
		}
	} else {
		w := app.Stdio.Out
		for _, d := range rep.Dirs {
			state := d.Mode
			if d.Error != "" {
				state = d.Error
			}
			fmt.Fprintf(w, "dir    %s  CODEX_HOME=%s  %s\n", d.Key, d.CodexHome, state)
		}
		for _, st := range rep.LoginStatus {
			fmt.Fprintf(w, "login  %s  %s\n", st.Key, st.Status)
		}
		for _, r := range rep.Routes {
			fmt.Fprintf(w, "route  %s  %s  %s\n", r.Key, r.SkipReason, r.Action.Kind)
		}
		for _, cv := range rep.Capabilities {
			fmt.Fprintf(w, "cover  %s  %d of %d ready\n", cv.Capability, len(cv.Ready), cv.Routes)
		}
		verdict := "ok: every capability has a ready account"
		if !rep.OK {
			verdict = fmt.Sprintf("not ok: %d capabilit%s without a ready account", rep.Uncovered, map[bool]string{true: "y", false: "ies"}[rep.Uncovered == 1])
		}
		fmt.Fprintln(w, verdict)
		printNext(w, rep.NextCommands)
	}
	if !rep.OK {
		return Exit(omux.ExitGeneral)
	}
	return nil
}

// CodexLiveQACmd is `codex live-qa [selectors] --confirm-spend` and `codex probe-all`: every codex
// route's probe, a real `codex exec` each, with the coverage per capability.
type CodexLiveQACmd struct {
	Selectors
	ConfirmSpend bool `name:"confirm-spend" help:"Consent to the real calls (each probe is a codex exec that spends the plan's quota); or set OMUX_LIVE_QA_CONFIRM=spend-real-calls."`
}

// Run probes; exit 1 when a capability is uncovered, 2 without consent.
func (c CodexLiveQACmd) Run(ctx context.Context, app *App) error {
	if !c.ConfirmSpend && app.Getenv("OMUX_LIVE_QA_CONFIRM") != codexflow.LiveQAConfirm {
		return Errorf(omux.ExitUsage, []string{"pass --confirm-spend, or set OMUX_LIVE_QA_CONFIRM=" + codexflow.LiveQAConfirm,
			"for a check that spends nothing: oauth-mux codex canary"}, "live-qa makes real calls (a codex exec per route) and needs your consent")
	}
	sel := c.Selectors
	if sel.Profile == "" && sel.Provider == "" {
		sel.Provider = "codex"
	}
	pl, err := app.plan(sel.selector(""))
	if err != nil {
		return err
	}
	qa := codexflow.ProbeAll(ctx, pl.cfg, pl.plan, pl.store, probe.Options{RunOptions: app.runOptions(pl.stateDir, app.notices())})
	if app.JSON {
		if err := writeJSON(app.Stdio.Out, qa); err != nil {
			return err
		}
	} else {
		for _, r := range qa.Routes {
			line := fmt.Sprintf("%s  %s", r.Key, r.Outcome)
			if r.Verdict != nil {
				line += "  " + r.Verdict.String()
			}
			fmt.Fprintln(app.Stdio.Out, line)
		}
		for _, cv := range qa.Capabilities {
			fmt.Fprintf(app.Stdio.Out, "cover  %s  %d of %d usable\n", cv.Capability, len(cv.Ready), cv.Routes)
		}
		fmt.Fprintf(app.Stdio.Out, "%d routes unavailable, %d capabilities uncovered\n", qa.RoutesUnavailable, qa.CapabilitiesUncovered)
	}
	if !qa.OK {
		return Exit(omux.ExitGeneral)
	}
	return nil
}
