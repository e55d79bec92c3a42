package codexflow

import (
	"context"
	"sort"

	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/routes/explain"
)

// Coverage is one capability of the canary: the accounts ready for it now.
type Coverage struct {
	Capability string   `json:"capability"`
	Routes     int      `json:"routes"`
	Ready      []string `json:"ready"`
	Covered    bool     `json:"covered"`
}

// Canary is `codex canary`: the no-spend check of a Codex setup, in one report.
type Canary struct {
	Action string `json:"action"`
	OK     bool   `json:"ok"`
	// Dirs says for each account whether its CODEX_HOME exists (nothing is created).
	Dirs         []DirResult           `json:"dirs"`
	LoginStatus  []Status              `json:"login_status"`
	Capabilities []Coverage            `json:"capabilities"`
	Routes       []explain.RouteReport `json:"routes"`
	Selected     *explain.Selected     `json:"selected"`
	Uncovered    int                   `json:"capabilities_uncovered"`
	NextCommands []string              `json:"next_commands"`
	Explanation  *explain.Explanation  `json:"-"`
}

// RunCanary asks each account's login status (`codex login status`, no spend) and folds it into the
// explanation of the codex routes (recorded health and runtime readiness): a capability is covered
// when some account is selectable (or merely unrecorded), its runtime ready and its login alive. Nothing is created, probed
// or run beyond the login status.
func RunCanary(ctx context.Context, env omux.Environ, accts []Account, e *explain.Explanation) *Canary {
	c := &Canary{Action: "codex_canary", Dirs: []DirResult{}, LoginStatus: []Status{}, Capabilities: []Coverage{},
		Routes: e.Routes, Selected: e.Selected, NextCommands: []string{}, Explanation: e}
	loggedIn := map[string]bool{}
	for _, a := range accts {
		c.Dirs = append(c.Dirs, dirState(a))
		st := LoginStatus(ctx, env, a)
		c.LoginStatus = append(c.LoginStatus, st)
		loggedIn[a.Key] = st.Ready()
		switch {
		case c.Dirs[len(c.Dirs)-1].Error != "":
			c.NextCommands = append(c.NextCommands, "oauth-mux codex bootstrap-dirs")
		case st.Status == LoggedOut || st.Method == "api_key":
			c.NextCommands = append(c.NextCommands, "oauth-mux codex login "+a.Account)
		}
	}
	byCap := map[string]*Coverage{}
	for _, r := range e.Routes {
		cv := byCap[r.Capability]
		if cv == nil {
			cv = &Coverage{Capability: r.Capability, Ready: []string{}}
			byCap[r.Capability] = cv
		}
		cv.Routes++
		// Unrecorded counts: its login is alive and its runtime ready, and its first run proves it.
		usable := r.Selectable || r.SkipReason == explain.SkipUnrecorded
		if usable && (r.Runtime == nil || r.Runtime.Ready) && loggedIn[omux.Account(r.Provider, r.Account).String()] {
			cv.Ready = append(cv.Ready, r.Key)
		}
	}
	c.Capabilities, c.Uncovered = coverageOf(byCap)
	c.OK = c.Uncovered == 0 && len(c.Capabilities) > 0
	if !c.OK {
		c.NextCommands = append(c.NextCommands, "oauth-mux repair-plan --provider codex")
	}
	return c
}

// coverageOf lists the capabilities in order, each covered when some route is ready, and counts
// the uncovered ones.
func coverageOf(byCap map[string]*Coverage) (out []Coverage, uncovered int) {
	caps := make([]string, 0, len(byCap))
	for k := range byCap {
		caps = append(caps, k)
	}
	sort.Strings(caps)
	out = []Coverage{}
	for _, k := range caps {
		cv := byCap[k]
		cv.Covered = len(cv.Ready) > 0
		if !cv.Covered {
			uncovered++
		}
		out = append(out, *cv)
	}
	return out, uncovered
}

// dirState reports an account's CODEX_HOME without creating it.
func dirState(a Account) DirResult {
	r := DirResult{Account: a}
	if st := statMode(a.CodexHome); st != "" {
		r.Mode = st
	} else {
		r.Error = "missing (oauth-mux codex bootstrap-dirs makes it)"
	}
	return r
}
