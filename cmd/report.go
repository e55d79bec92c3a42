package cmd

import (
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/policy"
	"github.com/oauth-mux/oauth-mux/routes/inventory"
	"github.com/oauth-mux/oauth-mux/state"
)

// ReportCmd is `report --redacted [--include-paths]`: an inventory meant to be pasted into a bug
// report. It is only ever redacted — --redacted is required so that nobody expects an unredacted
// variant to exist — and it holds no secret in any mode: secrets are described by their backend.
// Without --include-paths every path and secret location (file path, variable name, command, keychain
// service) is "<redacted>"; with it they are shown, but never a command's arguments or an inline age
// identity.
type ReportCmd struct {
	Redacted     bool `help:"Required: the report is always redacted (say so explicitly)."`
	IncludePaths bool `name:"include-paths" help:"Show config, state and secret locations (path, variable name, argv[0]) instead of <redacted>."`
}

const redacted = "<redacted>"

type reportPaths struct {
	Config string `json:"config"`
	State  string `json:"state"`
	Health string `json:"health"`
}

type reportConfig struct {
	Configured          bool     `json:"configured"`
	Valid               bool     `json:"valid"`
	Error               *string  `json:"error"`
	Providers           int      `json:"providers"`
	Accounts            int      `json:"accounts"`
	Profiles            int      `json:"profiles"`
	Strategies          int      `json:"strategies"`
	ProviderDefinitions int      `json:"provider_definitions"`
	ValidationMessages  []string `json:"validation_messages"`
}

type reportAccount struct {
	Name            string                   `json:"name"`
	Key             string                   `json:"key"`
	Priority        int                      `json:"priority"`
	Tags            []string                 `json:"tags"`
	Metered         bool                     `json:"metered"`
	SecretBackend   string                   `json:"secret_backend"`
	SecretLocation  *string                  `json:"secret_location"`
	WriteCapability string                   `json:"write_capability"`
	ConfigDirSet    bool                     `json:"config_dir_set"`
	ConfigDir       *string                  `json:"config_dir"`
	Health          *inventory.HealthSummary `json:"health"`
	Quota           policy.Quota             `json:"quota"`
}

type reportProvider struct {
	Name         string          `json:"name"`
	Kind         string          `json:"kind"`
	Definition   string          `json:"definition"`
	RepairOwner  string          `json:"repair_owner"`
	ConfigDirEnv *string         `json:"config_dir_env"`
	Accounts     []reportAccount `json:"accounts"`
}

type reportProfile struct {
	Name               string   `json:"name"`
	Strategy           *string  `json:"strategy"`
	StrategyKind       string   `json:"strategy_kind"`
	AffinityTTLMinutes int      `json:"affinity_ttl_minutes"`
	AllowMetered       bool     `json:"allow_metered"`
	Routes             []string `json:"routes"`
}

type reportHealth struct {
	Key string `json:"key"`
	inventory.HealthSummary
}

type reportPolicy struct {
	AllowedBudgets   []string `json:"allowed_budgets"`
	AllowInteractive bool     `json:"allow_interactive"`
	AllowMutating    bool     `json:"allow_mutating"`
}

type reportEvents struct {
	Count            int            `json:"count"`
	Last24h          int            `json:"last_24h"`
	SkippedMalformed int            `json:"skipped_malformed"`
	ByKind           map[string]int `json:"by_kind"`
}

// reportOutput is `report --redacted --json`. version, os, arch, redacted, include_paths, paths,
// config{…}, providers[].accounts[] (name, priority, secret_backend, secret_location, config_dir_set,
// config_dir, tags), health and next_commands are the Zig version's names.
type reportOutput struct {
	Version      string           `json:"version"`
	Commit       string           `json:"commit,omitempty"`
	OS           string           `json:"os"`
	Arch         string           `json:"arch"`
	Redacted     bool             `json:"redacted"`
	IncludePaths bool             `json:"include_paths"`
	Paths        reportPaths      `json:"paths"`
	Config       reportConfig     `json:"config"`
	Providers    []reportProvider `json:"providers"`
	Profiles     []reportProfile  `json:"profiles"`
	Health       []reportHealth   `json:"health"`
	Policy       reportPolicy     `json:"policy"`
	Events       reportEvents     `json:"events"`
	Warnings     []string         `json:"warnings"`
	NextCommands []string         `json:"next_commands"`
}

// Run prints the report. Like doctor it describes a missing or invalid config instead of failing on
// it (that is when a report is most needed), and exits 0 whenever the report was printed.
func (c ReportCmd) Run(app *App) error {
	if !c.Redacted {
		return Errorf(omux.ExitUsage, []string{"run `oauth-mux report --redacted` (add --include-paths to show locations)"},
			"report is only available redacted: pass --redacted")
	}
	cs := app.configState()
	out := buildReport(app, cs, c.IncludePaths, time.Now())
	if app.JSON {
		return writeJSON(app.Stdio.Out, out)
	}
	return writeReportText(app.Stdio.Out, out)
}

func buildReport(app *App, cs inventory.ConfigState, includePaths bool, now time.Time) reportOutput {
	v, commit := buildVersion()
	stateDir, h, hwarn, herr := inventory.LoadHealth(app.Getenv)
	show := func(s string) string {
		if includePaths {
			return s
		}
		return redacted
	}
	out := reportOutput{
		Version: v, Commit: commit, OS: runtime.GOOS, Arch: runtime.GOARCH, Redacted: true, IncludePaths: includePaths,
		Paths:     reportPaths{Config: show(cs.Path), State: show(stateDir), Health: show(state.Open(stateDir).Path())},
		Providers: []reportProvider{}, Profiles: []reportProfile{}, Health: []reportHealth{},
		Warnings: append([]string{}, hwarn...), NextCommands: []string{"oauth-mux doctor --json", "oauth-mux accounts list --json", "oauth-mux health --json"},
	}
	if herr != nil {
		out.Warnings = append(out.Warnings, "health store: "+herr.Error())
	}
	if !includePaths {
		// Store warnings name the store's path; the report's reader does not need it.
		for i, w := range out.Warnings {
			out.Warnings[i] = strings.ReplaceAll(w, stateDir, "<state>")
		}
	}
	out.Config = reportConfig{Configured: cs.Found, Valid: cs.Valid, Error: inventory.Opt(cs.Error), ValidationMessages: []string{}}
	for _, p := range cs.Problems {
		msg := p.String()
		if p.Path == "" {
			msg = p.Msg
		}
		if !includePaths {
			msg = strings.ReplaceAll(msg, cs.Path, "<config>")
		}
		out.Config.ValidationMessages = append(out.Config.ValidationMessages, msg)
	}

	cfg := cs.Cfg
	policy := config.DaemonPolicy{}
	if cfg != nil {
		policy = cfg.Policy.Daemon
		out.Config.Providers, out.Config.Accounts = len(cfg.Providers), inventory.CountAccounts(cfg)
		out.Config.Profiles, out.Config.Strategies = len(cfg.Profiles), len(cfg.Strategies)
		out.Config.ProviderDefinitions = len(cfg.ProviderDefinitions)
		out.Providers = reportProviders(cfg, stateDir, h, now, includePaths)
		out.Profiles = reportProfiles(cfg)
	}
	out.Policy = reportPolicy{AllowedBudgets: policy.Budgets(), AllowInteractive: policy.AllowInteractive, AllowMutating: policy.AllowMutating}
	keys := make([]string, 0, len(h.Records))
	for k := range h.Records {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if hs := inventory.Summarize(h.Record(k), now); hs != nil {
			out.Health = append(out.Health, reportHealth{Key: k, HealthSummary: *hs})
		}
	}
	var ok bool
	if out.Events, ok = reportEventCounts(stateDir, now); !ok {
		out.Warnings = append(out.Warnings, "events log could not be read")
	}
	if !cs.Found {
		out.NextCommands = []string{"oauth-mux init", "oauth-mux discover", "oauth-mux doctor"}
	}
	return out
}

// reportProfiles lists each profile with its strategy, as the report shows them.
func reportProfiles(cfg *config.Config) []reportProfile {
	out := []reportProfile{}
	for _, name := range cfg.SortedProfileNames() {
		prof := cfg.Profiles[name]
		sname, strat := cfg.StrategyFor(name)
		kind := strat.Kind
		if kind == "" {
			kind = config.PriorityFailover
		}
		out = append(out, reportProfile{
			Name: name, Strategy: inventory.Opt(sname), StrategyKind: kind,
			AffinityTTLMinutes: int(prof.AffinityTTL() / time.Minute), AllowMetered: prof.AllowMetered,
			Routes: append([]string{}, prof.Providers...),
		})
	}
	return out
}

// reportEventCounts counts the events log by kind and over the last day; ok is false when it could
// not be read.
func reportEventCounts(stateDir string, now time.Time) (reportEvents, bool) {
	out := reportEvents{ByKind: map[string]int{}}
	evs, skipped, err := state.ReadEventsSkipped(stateDir, 0)
	out.Count, out.SkippedMalformed = len(evs), skipped
	for _, ev := range evs {
		out.ByKind[ev.Kind]++
		if now.Sub(ev.Ts) <= 24*time.Hour {
			out.Last24h++
		}
	}
	return out, err == nil
}

func reportProviders(cfg *config.Config, stateDir string, h *state.Health, now time.Time, includePaths bool) []reportProvider {
	var out []reportProvider
	byProvider := map[string][]inventory.Account{}
	for _, e := range inventory.Accounts(cfg, "", stateDir, h, now) {
		byProvider[e.Provider] = append(byProvider[e.Provider], e)
	}
	for _, pname := range cfg.SortedProviderNames() {
		prov := cfg.Providers[pname]
		def := cfg.Definition(pname)
		rp := reportProvider{Name: pname, Kind: prov.Kind, Definition: def.Name, RepairOwner: def.Repair.Owner, Accounts: []reportAccount{}}
		if rp.Kind == "" {
			rp.Kind = pname
		}
		for _, e := range byProvider[pname] {
			acct := prov.Accounts[e.Account]
			ra := reportAccount{
				Name: e.Account, Key: e.Key, Priority: e.Priority, Tags: e.Tags, Metered: e.Metered,
				SecretBackend: e.SecretBackend, WriteCapability: e.WriteCapability, ConfigDirSet: e.ConfigDirSet,
				Health: e.Health, Quota: e.Quota,
			}
			loc := secretLocation(acct.Secret)
			if loc != "" && !includePaths {
				loc = redacted
			}
			ra.SecretLocation = inventory.Opt(loc)
			if e.ConfigDir != nil {
				ra.ConfigDir = inventory.Opt(redacted)
				if includePaths {
					ra.ConfigDir = e.ConfigDir
				}
			}
			if rp.ConfigDirEnv == nil {
				rp.ConfigDirEnv = e.ConfigDirEnv
			}
			rp.Accounts = append(rp.Accounts, ra)
		}
		out = append(out, rp)
	}
	return out
}

// secretLocation is where a secret lives, named without its content: a file's path, a variable's
// name, a command's argv[0] (its arguments may carry a passphrase or a vault path), a keychain
// service. An age identity may be an inline key and is never shown.
func secretLocation(s config.Secret) string {
	switch s.Backend {
	case config.BackendFile, config.BackendSops, config.BackendAge:
		return s.Path
	case config.BackendEnv:
		return s.Variable
	case config.BackendCommand:
		if len(s.Command) > 0 {
			return s.Command[0]
		}
	case config.BackendKeychain:
		return s.Service
	}
	return ""
}

func writeReportText(w io.Writer, out reportOutput) error {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("oauth-mux report (redacted")
	if out.IncludePaths {
		p(", with paths")
	}
	p(")\n\n")
	ver := out.Version
	if out.Commit != "" {
		ver += " (" + out.Commit + ")"
	}
	p("  version:  %s\n", ver)
	p("  platform: %s/%s\n", out.OS, out.Arch)
	p("  config:   %s\n", out.Paths.Config)
	p("  state:    %s\n", out.Paths.State)
	c := out.Config
	switch {
	case !c.Configured:
		p("  status:   no config\n")
	case !c.Valid:
		p("  status:   invalid (%d problem%s)\n", len(c.ValidationMessages), plural(len(c.ValidationMessages)))
		for _, m := range c.ValidationMessages {
			p("    %s\n", m)
		}
	default:
		p("  status:   valid\n")
	}
	p("  counts:   providers=%d accounts=%d profiles=%d strategies=%d provider_definitions=%d\n",
		c.Providers, c.Accounts, c.Profiles, c.Strategies, c.ProviderDefinitions)
	p("  policy:   daemon budgets=%s interactive=%t mutating=%t\n", strings.Join(out.Policy.AllowedBudgets, ","), out.Policy.AllowInteractive, out.Policy.AllowMutating)

	writeReportProviders(p, out.Providers)
	writeReportProfiles(p, out.Profiles)
	p("\n  health:\n")
	if len(out.Health) == 0 {
		p("    no health recorded yet\n")
	}
	for _, hh := range out.Health {
		p("    %s  %s\n", hh.Key, summaryText(&hh.HealthSummary))
	}
	p("\n  events: %d (%d in the last 24h", out.Events.Count, out.Events.Last24h)
	if out.Events.SkippedMalformed > 0 {
		p(", %d malformed lines skipped", out.Events.SkippedMalformed)
	}
	p(")\n")
	for _, msg := range out.Warnings {
		p("warning: %s\n", msg)
	}
	p("\n")
	printNext(w, out.NextCommands)
	return nil
}

// writeReportProviders is the report's providers and their accounts.
func writeReportProviders(p func(string, ...any), providers []reportProvider) {
	if len(providers) > 0 {
		p("\n  providers:\n")
	}
	for _, rp := range providers {
		p("    %s kind=%s definition=%s repair=%s accounts=%d\n", rp.Name, rp.Kind, rp.Definition, rp.RepairOwner, len(rp.Accounts))
		for _, a := range rp.Accounts {
			line := fmt.Sprintf("      %s priority=%d secret=%s(%s)", a.Name, a.Priority, a.SecretBackend, a.WriteCapability)
			if a.SecretLocation != nil {
				line += " at " + *a.SecretLocation
			}
			if a.ConfigDir != nil {
				line += " config_dir=" + *a.ConfigDir
			}
			if len(a.Tags) > 0 {
				line += " tags=" + strings.Join(a.Tags, ",")
			}
			if a.Health != nil {
				line += " account_health=" + summaryText(a.Health)
			}
			line += " runs=" + quotaText(a.Quota)
			p("%s\n", line)
		}
	}
}

// writeReportProfiles is the report's profiles and their routes.
func writeReportProfiles(p func(string, ...any), profiles []reportProfile) {
	if len(profiles) > 0 {
		p("\n  profiles:\n")
	}
	for _, pr := range profiles {
		strat := pr.StrategyKind
		if pr.Strategy != nil {
			strat = *pr.Strategy + " (" + pr.StrategyKind + ")"
		}
		p("    %s strategy=%s affinity=%dm", pr.Name, strat, pr.AffinityTTLMinutes)
		if pr.AllowMetered {
			p(" allow_metered")
		}
		p("\n")
		for _, r := range pr.Routes {
			p("      %s\n", r)
		}
	}
}
