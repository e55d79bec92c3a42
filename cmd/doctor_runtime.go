package cmd

import (
	"fmt"
	"io"
	"strings"

	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/routes"
	"github.com/oauth-mux/oauth-mux/routes/explain"
	"github.com/oauth-mux/oauth-mux/routes/repair"
	"github.com/oauth-mux/oauth-mux/state"
)

// DoctorRuntimeCmd is `doctor runtime [selectors]` (SPEC §7): the local prerequisites of each
// account in scope — required binaries on PATH, config dirs (present, a directory, writable), session
// files, repair locks. It stats files and never reads one; no provider is contacted and nothing is
// created but a marker file that proves a config dir writable and is removed at once.
//
// Scope: with no selector, every configured account; with --profile/--provider/--account/
// --capability, only the accounts of the routes they select, so an unrelated stale account cannot
// fail a profile's check. Exit status: 0 when every account in scope is ready, 1 otherwise
// (the report is printed either way).
type DoctorRuntimeCmd struct{ Selectors }

type runtimeScope struct {
	Profile    *string `json:"profile"`
	Provider   *string `json:"provider"`
	Account    *string `json:"account"`
	Capability *string `json:"capability"`
}

type runtimeRoute struct {
	Key        string `json:"key"`
	Provider   string `json:"provider"`
	Account    string `json:"account"`
	Capability string `json:"capability"`
	Ready      bool   `json:"ready"`
	State      string `json:"state"`
}

type runtimeReport struct {
	Action        string              `json:"action"`
	OK            bool                `json:"ok"`
	Scope         runtimeScope        `json:"scope"`
	ReadyAccounts int                 `json:"ready_accounts"`
	TotalAccounts int                 `json:"total_accounts"`
	Accounts      []explain.Readiness `json:"accounts"`
	RouteReports  []runtimeRoute      `json:"route_reports"`
	HealthBackend healthBackend       `json:"health_backend"`
	Next          []string            `json:"next"`
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (c *DoctorRuntimeCmd) scoped() bool {
	return c.Profile != "" || c.Provider != "" || c.Account != "" || c.Capability != ""
}

// Run checks the accounts in scope.
func (c *DoctorRuntimeCmd) Run(app *App) error {
	cfg, err := app.Config()
	if err != nil {
		return err
	}
	rep := runtimeReport{Action: "runtime", Accounts: []explain.Readiness{}, RouteReports: []runtimeRoute{}, Next: []string{}}
	type acct struct{ provider, account string }
	var accts []acct
	seen := map[omux.AccountKey]bool{}
	add := func(p, a string) {
		if k := omux.Account(p, a); !seen[k] {
			seen[k] = true
			accts = append(accts, acct{p, a})
		}
	}
	var plan *routes.Plan
	if c.scoped() {
		if plan, err = routes.Resolve(cfg, c.selector("")); err != nil {
			return err
		}
		rep.Scope = runtimeScope{Profile: optString(plan.Profile), Provider: optString(c.Provider),
			Account: optString(c.Account), Capability: optString(c.Capability)}
		for _, r := range plan.Routes {
			add(r.Provider, r.Account)
		}
	} else {
		for _, ref := range cfg.AccountRefs() {
			add(ref.Provider, ref.Account)
		}
	}

	dir := state.Dir(app.Getenv)
	byKey := map[string]explain.Readiness{}
	for _, a := range accts {
		r := explain.CheckReadiness(cfg, a.provider, a.account, explain.ReadinessOptions{Getenv: app.Getenv, StateDir: dir})
		byKey[omux.Account(a.provider, a.account).String()] = r
		rep.Accounts = append(rep.Accounts, r)
		if r.Ready {
			rep.ReadyAccounts++
		}
	}
	rep.TotalAccounts = len(rep.Accounts)
	rep.OK = rep.ReadyAccounts == rep.TotalAccounts
	if plan != nil {
		for _, r := range plan.Routes {
			rd := byKey[r.AccountKey()]
			rep.RouteReports = append(rep.RouteReports, runtimeRoute{Key: r.Key(), Provider: r.Provider,
				Account: r.Account, Capability: r.Capability, Ready: rd.Ready, State: rd.State})
		}
	}
	rep.HealthBackend = app.checkHealthBackend(cfg, dir)
	rep.Next = runtimeNext(rep.Accounts, c.Selectors)

	if app.JSON {
		if err := writeJSON(app.Stdio.Out, rep); err != nil {
			return err
		}
	} else {
		c.printRuntime(app.Stdio.Out, rep)
	}
	if !rep.OK {
		return Exit(1)
	}
	return nil
}

// printRuntime is doctor runtime's text: the count, then each account with what was found.
func (c *DoctorRuntimeCmd) printRuntime(w io.Writer, rep runtimeReport) {
	scope := "every configured account"
	if c.scoped() {
		scope = "scope " + strings.TrimSpace(scopeWords(c.Selectors))
	}
	fmt.Fprintf(w, "runtime: %d of %d accounts ready (%s)\n", rep.ReadyAccounts, rep.TotalAccounts, scope)
	for _, r := range rep.Accounts {
		state := "ready"
		if !r.Ready {
			state = strings.ReplaceAll(r.State, "_", " ")
		}
		fmt.Fprintf(w, "%s:%s  %s\n", r.Provider, r.Account, state)
		for _, b := range r.RequiredBinaries {
			if b.Found {
				fmt.Fprintf(w, "  binary %s: %s\n", b.Name, b.Path)
			}
		}
		if r.ConfigDir != "" && r.ConfigDirExists && r.ConfigDirWritable {
			fmt.Fprintf(w, "  config dir %s (%s): writable\n", r.ConfigDir, r.ConfigDirEnv)
		} else if r.ConfigDirManaged && !r.ConfigDirExists {
			fmt.Fprintf(w, "  config dir %s (%s): managed, created at the first exec\n", r.ConfigDir, r.ConfigDirEnv)
		}
		for _, is := range r.Issues {
			fmt.Fprintf(w, "  problem: %s\n", issueText(is))
		}
		for _, msg := range r.Warnings {
			fmt.Fprintf(w, "  warning: %s\n", msg)
		}
		if r.RepairInProgress != nil {
			fmt.Fprintf(w, "  %s\n", repair.InProgressMessage(r.RepairInProgress))
		}
	}
	fmt.Fprintf(w, "health backend: %s\n", rep.HealthBackend.text())
	printNext(w, rep.Next)
}

func scopeWords(s Selectors) string {
	var b strings.Builder
	for _, kv := range [][2]string{{"profile", s.Profile}, {"provider", s.Provider}, {"account", s.Account}, {"capability", s.Capability}} {
		if kv[1] != "" {
			fmt.Fprintf(&b, " %s %s", kv[0], kv[1])
		}
	}
	return b.String()
}

// runtimeNext names the fixes: install a missing binary, else repair (an upstream login creates the
// config dir and the session files).
func runtimeNext(rs []explain.Readiness, sel Selectors) []string {
	var next []string
	missing := map[string]bool{}
	needRepair := false
	for _, r := range rs {
		for _, is := range r.Issues {
			switch is.Kind {
			case explain.IssueBinaryMissing:
				if !missing[is.Detail] {
					missing[is.Detail] = true
					next = append(next, fmt.Sprintf("install %s and put it on PATH", is.Detail))
				}
			case explain.IssueConfigDirMissing, explain.IssueSessionFileMissing:
				needRepair = true
			}
		}
	}
	if needRepair {
		next = append(next, "oauth-mux repair-plan"+scopeFlags(sel))
	}
	if next == nil {
		next = []string{}
	}
	return next
}

func scopeFlags(s Selectors) string {
	var b strings.Builder
	for _, kv := range [][2]string{{"--profile", s.Profile}, {"--provider", s.Provider}, {"--account", s.Account}, {"--capability", s.Capability}} {
		if kv[1] != "" {
			fmt.Fprintf(&b, " %s %s", kv[0], kv[1])
		}
	}
	return b.String()
}
