package cmd

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/policy"
	"github.com/oauth-mux/oauth-mux/state"
)

// AccountsCmd groups the account inventory commands.
type AccountsCmd struct {
	List AccountsListCmd `cmd:"" help:"List configured accounts with their secret backend, health and monthly runs (no provider contacted, no secret read)."`
}

// AccountsListCmd is `accounts list [--provider P]`.
type AccountsListCmd struct {
	Provider string `help:"Only accounts of this provider." placeholder:"NAME"`
}

// accountEntry is one row of `accounts list --json`. Field names follow the Zig version where it had
// them (priority, secret_backend, config_dir_set, tags).
type accountEntry struct {
	Key             string         `json:"key"`
	Provider        string         `json:"provider"`
	Account         string         `json:"account"`
	Kind            string         `json:"kind"`
	Definition      string         `json:"definition"`
	Priority        int            `json:"priority"`
	Tags            []string       `json:"tags"`
	Metered         bool           `json:"metered"`
	SecretBackend   string         `json:"secret_backend"`
	WriteCapability string         `json:"write_capability"`
	ConfigDirSet    bool           `json:"config_dir_set"`
	ConfigDir       *string        `json:"config_dir"`
	ConfigDirEnv    *string        `json:"config_dir_env"`
	ManagedDir      bool           `json:"config_dir_managed"`
	Health          *healthSummary `json:"health"`
	Routes          []routeHealth  `json:"routes"`
	Quota           policy.Quota   `json:"quota"`
}

// healthSummary is the recorded liveness of one key, with the timer that belongs to its state.
// Expired says the timer lies in the past: the route is selectable again but unconfirmed.
type healthSummary struct {
	State        string  `json:"state"`
	Availability *string `json:"availability"`
	Reason       *string `json:"reason"`
	Until        *string `json:"until"`
	Expired      bool    `json:"expired"`
	Score        int     `json:"score"`
	Circuit      string  `json:"circuit"`
}

type routeHealth struct {
	Key string `json:"key"`
	healthSummary
}

// quotaText is a quota as text outputs show it: "12/100 near_limit", or the run count alone.
func quotaText(q policy.Quota) string {
	if q.MonthlyLimit == nil {
		return fmt.Sprintf("%d", q.RunsThisMonth)
	}
	s := fmt.Sprintf("%d/%d", q.RunsThisMonth, *q.MonthlyLimit)
	if q.Status != policy.QuotaOK {
		s += " " + q.Status
	}
	return s
}

func strp(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// summarize describes a recorded key; nil when the key has no record.
func summarize(rec *state.Record, now time.Time) *healthSummary {
	if rec == nil {
		return nil
	}
	l := rec.Liveness
	hs := &healthSummary{State: l.State, Reason: strp(l.Reason), Score: rec.Score, Circuit: rec.Circuit.State}
	if hs.Circuit == "" {
		hs.Circuit = state.CircuitClosed
	}
	if l.State == state.StateLive {
		hs.Availability = strp(l.Availability)
	}
	if _, until := l.Timer(); until != nil {
		hs.Until = strp(until.UTC().Format(time.RFC3339))
		hs.Expired = !until.After(now)
	}
	return hs
}

// text renders a summary the way text outputs show it: "live/quota_exhausted until T".
func (hs *healthSummary) text() string {
	if hs == nil {
		return "unrecorded"
	}
	s := hs.State
	if hs.Availability != nil {
		s += "/" + *hs.Availability
	}
	if hs.Reason != nil {
		s += "(" + *hs.Reason + ")"
	}
	if hs.Until != nil {
		s += " until " + *hs.Until
		if hs.Expired {
			s += " (expired)"
		}
	}
	return s
}

// loadHealth reads the health store of the invocation's state dir without creating anything: an
// inventory command must leave no trace on a machine that never ran oauth-mux. A damaged store is
// moved aside by Load itself; its warnings are returned for the caller to show.
func loadHealth(app *App) (dir string, h *state.Health, warnings []string, err error) {
	dir = state.Dir(app.Getenv)
	store := state.Open(dir)
	h, err = store.Load()
	if err != nil {
		return dir, state.NewHealth(), store.Warnings(), err
	}
	return dir, h, store.Warnings(), nil
}

// accountEntries describes every configured account (of provider only, when it is not "").
func accountEntries(cfg *config.Config, provider, stateDir string, h *state.Health, now time.Time) []accountEntry {
	var out []accountEntry
	routeKeys := map[string][]string{}
	if h != nil {
		for key := range h.Records {
			if ak := state.AccountKeyOf(key); ak != key {
				routeKeys[ak] = append(routeKeys[ak], key)
			}
		}
	}
	for _, pname := range cfg.SortedProviderNames() {
		if provider != "" && pname != provider {
			continue
		}
		prov := cfg.Providers[pname]
		def := cfg.Definition(pname)
		dirEnv := cfg.ConfigDirEnv(pname)
		kind := prov.Kind
		if kind == "" {
			kind = pname
		}
		for _, aname := range cfg.SortedAccountNames(pname) {
			acct := prov.Accounts[aname]
			key := config.RouteRef{Provider: pname, Account: aname}.AccountKey()
			e := accountEntry{
				Key: key, Provider: pname, Account: aname, Kind: kind, Definition: def.Name,
				Priority: acct.Priority, Tags: append([]string{}, acct.Tags...), Metered: acct.Metered(),
				SecretBackend: acct.Secret.Backend, WriteCapability: acct.Secret.WriteCapability(),
				ConfigDirSet: acct.ConfigDir != "", ConfigDirEnv: strp(dirEnv), Routes: []routeHealth{},
			}
			switch {
			case acct.ConfigDir != "":
				e.ConfigDir = strp(acct.ConfigDir)
			case dirEnv != "":
				e.ConfigDir = strp(state.HomesDir(stateDir, pname, aname))
				e.ManagedDir = true
			}
			runs := 0
			if h != nil {
				e.Health = summarize(h.Record(key), now)
				keys := routeKeys[key]
				sort.Strings(keys)
				for _, rk := range keys {
					e.Routes = append(e.Routes, routeHealth{Key: rk, healthSummary: *summarize(h.Record(rk), now)})
				}
				runs = h.MonthlyRuns(key, now)
			}
			e.Quota = policy.QuotaOf(acct, runs)
			out = append(out, e)
		}
	}
	return out
}

// Run lists the accounts. It reads the config and the health store, never a secret: the secret is
// described by its backend and what oauth-mux may write back to it.
func (c AccountsListCmd) Run(app *App) error {
	cfg, err := app.Config()
	if err != nil {
		return err
	}
	if c.Provider != "" {
		if _, ok := cfg.Providers[c.Provider]; !ok {
			return Errorf(omux.ExitGeneral, []string{"configured providers: " + strings.Join(cfg.SortedProviderNames(), ", ")},
				"unknown provider %q", c.Provider)
		}
	}
	stateDir, h, warnings, herr := loadHealth(app)
	for _, w := range warnings {
		fmt.Fprintf(app.Stdio.Err, "oauth-mux: warning: %s\n", w)
	}
	if herr != nil {
		fmt.Fprintf(app.Stdio.Err, "oauth-mux: warning: health store: %v\n", herr)
	}
	now := time.Now()
	entries := accountEntries(cfg, c.Provider, stateDir, h, now)
	if entries == nil {
		entries = []accountEntry{}
	}
	if app.JSON {
		return writeJSON(app.Stdio.Out, struct {
			Accounts []accountEntry `json:"accounts"`
		}{entries})
	}
	return writeAccountsText(app.Stdio.Out, entries)
}

func writeAccountsText(w io.Writer, entries []accountEntry) error {
	if len(entries) == 0 {
		_, err := fmt.Fprintln(w, "no accounts configured")
		return err
	}
	var warns []string
	for _, e := range entries {
		line := fmt.Sprintf("%s  kind=%s priority=%d secret=%s(%s)", e.Key, e.Kind, e.Priority, e.SecretBackend, e.WriteCapability)
		if len(e.Tags) > 0 {
			line += " tags=" + strings.Join(e.Tags, ",")
		}
		if e.Metered {
			line += " metered"
		}
		if e.ConfigDir != nil {
			label := "config_dir"
			if e.ManagedDir {
				label = "managed_dir"
			}
			line += fmt.Sprintf(" %s=%s", label, *e.ConfigDir)
		}
		// The account key is only recorded when the whole account failed (dead) or revived; without
		// such a record the routes below say how the account is doing.
		if e.Health != nil || len(e.Routes) == 0 {
			line += " health=" + e.Health.text()
		}
		line += " runs=" + quotaText(e.Quota)
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
		for _, r := range e.Routes {
			fmt.Fprintf(w, "  %s  %s\n", r.Key, r.healthSummary.text())
		}
		if msg := e.Quota.Warning(e.Key); msg != "" {
			warns = append(warns, msg)
		}
	}
	for _, msg := range warns {
		fmt.Fprintf(w, "warning: %s\n", msg)
	}
	return nil
}

// configState classifies the result of loading the config for the diagnostic commands (doctor,
// report, discover), which describe a missing or broken config instead of failing on it.
type configState struct {
	Path     string
	Found    bool
	Valid    bool
	Error    string // "" | not_found | invalid | unreadable | too_large
	Problems []config.Problem
	Err      error
	Cfg      *config.Config // may be non-nil with Valid false: validation failed, but it parsed
}

func loadConfigState(app *App) configState {
	cs := configState{Path: app.ConfigPath()}
	cfg, err := app.Config()
	cs.Cfg, cs.Err = cfg, err
	var (
		nf   *config.NotFoundError
		errs *config.Errors
		big  *config.TooLargeError
	)
	switch {
	case err == nil:
		cs.Found, cs.Valid = true, true
	case errors.As(err, &nf):
		cs.Error = "not_found"
	case errors.As(err, &errs):
		cs.Found, cs.Error, cs.Problems = true, "invalid", errs.Problems
	case errors.As(err, &big):
		cs.Found, cs.Error = true, "too_large"
		cs.Problems = []config.Problem{{Msg: err.Error()}}
	default:
		cs.Found, cs.Error = true, "unreadable"
		cs.Problems = []config.Problem{{Msg: err.Error()}}
	}
	return cs
}

// codexConfigured and codexMaxConfigured keep the Zig version's meaning of codex_configured and
// codex_max_configured: a provider named codex, and the three-account shape `init --codex-max` writes
// (accounts max-1..3 in both the codex-max and the codex-mini profile).
func codexConfigured(cfg *config.Config) bool {
	if cfg == nil {
		return false
	}
	_, ok := cfg.Providers["codex"]
	return ok
}

func codexMaxConfigured(cfg *config.Config) bool {
	if !codexConfigured(cfg) {
		return false
	}
	prov := cfg.Providers["codex"]
	if prov.Kind != "" && prov.Kind != "codex" {
		return false
	}
	for _, a := range []string{"max-1", "max-2", "max-3"} {
		if _, ok := prov.Accounts[a]; !ok {
			return false
		}
		for _, p := range []string{"codex-max", "codex-mini"} {
			if !profileHas(cfg, p, "codex:"+a+"#"+p) {
				return false
			}
		}
	}
	return true
}

func profileHas(cfg *config.Config, profile, ref string) bool {
	for _, entry := range cfg.Profiles[profile].Providers {
		if entry == ref {
			return true
		}
	}
	return false
}

func countAccounts(cfg *config.Config) int {
	n := 0
	if cfg != nil {
		for _, p := range cfg.Providers {
			n += len(p.Accounts)
		}
	}
	return n
}
