// Package inventory describes what is configured and recorded, without running or contacting
// anything: the accounts with their secret backend, managed dir, health and monthly runs, the state
// of the config file, and the health store as a read-only snapshot. accounts list, doctor, report and
// discover render what it builds.
//
// It must not read a secret, create a file or directory (an inventory leaves no trace on a machine
// that never ran oauth-mux), or print.
package inventory

import (
	"errors"
	"sort"
	"time"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/policy"
	"github.com/oauth-mux/oauth-mux/state"
)

// Account is one row of `accounts list --json`. Field names follow the Zig version where it had
// them (priority, secret_backend, config_dir_set, tags).
type Account struct {
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
	Health          *HealthSummary `json:"health"`
	Routes          []RouteHealth  `json:"routes"`
	Quota           policy.Quota   `json:"quota"`
}

// HealthSummary is the recorded liveness of one key, with the timer that belongs to its state.
// Expired says the timer lies in the past: the route is selectable again but unconfirmed.
type HealthSummary struct {
	State        string  `json:"state"`
	Availability *string `json:"availability"`
	Reason       *string `json:"reason"`
	Until        *string `json:"until"`
	Expired      bool    `json:"expired"`
	Score        int     `json:"score"`
	Circuit      string  `json:"circuit"`
}

type RouteHealth struct {
	Key string `json:"key"`
	HealthSummary
}

// Opt is s as an optional JSON string: nil when empty.
func Opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Summarize describes a recorded key; nil when the key has no record.
func Summarize(rec *state.Record, now time.Time) *HealthSummary {
	if rec == nil {
		return nil
	}
	l := rec.Liveness
	hs := &HealthSummary{State: l.State, Reason: Opt(l.Reason), Score: rec.Score, Circuit: rec.Circuit.State}
	if hs.Circuit == "" {
		hs.Circuit = state.CircuitClosed
	}
	if l.State == state.StateLive {
		hs.Availability = Opt(l.Availability)
	}
	if _, until := l.Timer(); until != nil {
		hs.Until = Opt(until.UTC().Format(time.RFC3339))
		hs.Expired = !until.After(now)
	}
	return hs
}

// LoadHealth reads the health store of the invocation's state dir without creating anything: an
// inventory command must leave no trace on a machine that never ran oauth-mux. A damaged store is
// moved aside by Load itself; its warnings are returned for the caller to show.
func LoadHealth(getenv func(string) string) (dir string, h *state.Health, warnings []string, err error) {
	dir = state.Dir(getenv)
	store := state.Open(dir)
	h, err = store.Load()
	if err != nil {
		return dir, state.NewHealth(), store.Warnings(), err
	}
	return dir, h, store.Warnings(), nil
}

// Accounts is the inventory of every configured account (of provider only, when it is not "").
func Accounts(cfg *config.Config, provider, stateDir string, h *state.Health, now time.Time) []Account {
	var out []Account
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
			e := Account{
				Key: key, Provider: pname, Account: aname, Kind: kind, Definition: def.Name,
				Priority: acct.Priority, Tags: append([]string{}, acct.Tags...), Metered: acct.Metered(),
				SecretBackend: acct.Secret.Backend, WriteCapability: acct.Secret.WriteCapability(),
				ConfigDirSet: acct.ConfigDir != "", ConfigDirEnv: Opt(dirEnv), Routes: []RouteHealth{},
			}
			switch {
			case acct.ConfigDir != "":
				e.ConfigDir = Opt(acct.ConfigDir)
			case dirEnv != "":
				e.ConfigDir = Opt(state.HomesDir(stateDir, pname, aname))
				e.ManagedDir = true
			}
			runs := 0
			if h != nil {
				e.Health = Summarize(h.Record(key), now)
				keys := routeKeys[key]
				sort.Strings(keys)
				for _, rk := range keys {
					e.Routes = append(e.Routes, RouteHealth{Key: rk, HealthSummary: *Summarize(h.Record(rk), now)})
				}
				runs = h.MonthlyRuns(key, now)
			}
			e.Quota = policy.QuotaOf(acct, runs)
			out = append(out, e)
		}
	}
	return out
}

// ConfigState classifies the result of loading the config for the diagnostic commands (doctor,
// report, discover), which describe a missing or broken config instead of failing on it.
type ConfigState struct {
	Path     string
	Found    bool
	Valid    bool
	Error    string // "" | not_found | invalid | unreadable | too_large
	Problems []config.Problem
	Err      error
	Cfg      *config.Config // may be non-nil with Valid false: validation failed, but it parsed
}

// ClassifyConfig describes the outcome of loading the config at path.
func ClassifyConfig(path string, cfg *config.Config, err error) ConfigState {
	cs := ConfigState{Path: path, Cfg: cfg, Err: err}
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

// CodexConfigured and CodexMaxConfigured keep the Zig version's meaning of codex_configured and
// codex_max_configured: a provider named codex, and the three-account shape `init --codex-max` writes
// (accounts max-1..3 in both the codex-max and the codex-mini profile).
func CodexConfigured(cfg *config.Config) bool {
	if cfg == nil {
		return false
	}
	_, ok := cfg.Providers["codex"]
	return ok
}

func CodexMaxConfigured(cfg *config.Config) bool {
	if !CodexConfigured(cfg) {
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

func CountAccounts(cfg *config.Config) int {
	n := 0
	if cfg != nil {
		for _, p := range cfg.Providers {
			n += len(p.Accounts)
		}
	}
	return n
}
