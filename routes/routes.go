// Package routes owns the routes of a run: which `provider:account#capability` candidates a command
// line and config give (SPEC §5.2 provider choice), which of them recorded health lets through
// (§6.2.1, with the spend guard), the order strategies and affinity give them (§6.3), and the Planner
// that hands the supervisor its next attempt and records what became of it through the Recorder.
// What grew around the same routes has a sub-package each: routes/explain (readiness, explain,
// repair choice), routes/probe, and routes/renew (the refresh of whole accounts, keepalive timing).
//
// It must not touch terminals or print (cmd talks to the user; routes hands it plain lines, warnings
// and hints through a Notifier, and errors with hints) and must not run the user's command
// (supervise does): the only processes it starts are capability probes, through providers.RunProbe,
// and secret commands, through inject.
package routes

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/providers"
)

// Selector is what the command line says about the routes to use.
type Selector struct {
	Profile    string
	Provider   string
	Account    string
	Capability string
	Strategy   string
	// Program is the target command's argv[0]; its base name picks a provider as a last resort.
	Program string
}

// Route is one candidate: an account of a provider, serving one capability.
type Route struct {
	Provider   string
	Account    string
	Capability string // "" when the provider has no capabilities
	Kind       string
	Def        providers.Definition
	Acct       config.Account
	// Order is the route's position in the profile (or provider) listing.
	Order int
}

// Key is the route key provider:account#capability (the account key when there is no capability).
func (r Route) Key() string {
	return omux.Route(r.Provider, r.Account, r.Capability).String()
}

// AccountKey is provider:account.
func (r Route) AccountKey() string { return omux.Account(r.Provider, r.Account).String() }

// ProbeTestsQuota reports whether the route's probe is a real request of its capability, whose
// success proves its quota (providers.Probe.Tests); false when it has no probe.
func (r Route) ProbeTestsQuota() bool {
	c, ok := r.Def.Capability(r.Capability)
	return ok && c.Probe != nil && c.Probe.TestsQuota()
}

// Plan is the resolved set of candidate routes for one command.
type Plan struct {
	// Profile is the profile's name, "" when routes came from a provider.
	Profile string
	// Label names the plan in messages: the profile, or the provider.
	Label        string
	StrategyName string
	Strategy     config.Strategy
	AllowMetered bool
	AffinityTTL  time.Duration
	// Explicit is true when the user named the account: the spend guard then lets it through.
	Explicit bool
	Routes   []Route
}

// SpendRefused is the spend guard (SPEC §5.4): a metered account is passed over unless the profile
// allows metered accounts or the user named the account.
func (p *Plan) SpendRefused(metered bool) bool { return metered && !p.AllowMetered && !p.Explicit }

// NoChoiceError says the command line and config name no profile or provider.
type NoChoiceError struct{ Program string }

func (e *NoChoiceError) Error() string {
	return "no profile or provider to use: pass --profile or --provider"
}

// Hints names where the choice can come from.
func (e *NoChoiceError) Hints() []string {
	return []string{"set defaults.profile in the config, or name a profile with --profile (see: oauth-mux config path)"}
}

// SelectError is a selector that names something the config lacks.
type SelectError struct {
	Msg  string
	Hint []string
}

func (e *SelectError) Error() string { return e.Msg }

// Hints are the next steps cmd prints under the error.
func (e *SelectError) Hints() []string { return e.Hint }

// programProviders maps a target program's name to the provider it implies.
var programProviders = map[string]string{
	"codex": "codex", "claude": "claude", "gemini": "gemini", "vercel": "vercel", "gh": "github", "copilot": "copilot",
}

// programProvider is the provider whose CLI program is (by its base name, without a Windows .exe),
// "" for any other program.
func programProvider(program string) string {
	if program == "" {
		return ""
	}
	base := filepath.Base(program)
	if ext := filepath.Ext(base); strings.EqualFold(ext, ".exe") {
		base = base[:len(base)-len(ext)]
	}
	return programProviders[base]
}

// Resolve expands a selector into candidate routes, in listing order (SPEC §5.2): --profile, else
// --provider, else defaults.profile, else the target program's provider, else defaults.provider.
// When the program is a known provider's CLI, only routes of that provider are kept: one provider's
// account is never injected into another provider's CLI (*ProgramError when none is left).
func Resolve(cfg *config.Config, sel Selector) (*Plan, error) {
	plan, err := resolve(cfg, sel)
	if err != nil {
		return nil, err
	}
	want := programProvider(sel.Program)
	if want == "" {
		return plan, nil
	}
	kept := slices.DeleteFunc(slices.Clone(plan.Routes), func(r Route) bool { return !r.serves(want) })
	if len(kept) == 0 {
		return nil, programError(cfg, plan, sel, want)
	}
	plan.Routes = kept
	return plan, nil
}

func resolve(cfg *config.Config, sel Selector) (*Plan, error) {
	switch {
	case sel.Profile != "":
		return fromProfile(cfg, sel.Profile, sel)
	case sel.Provider != "":
		return fromProvider(cfg, sel.Provider, sel)
	case cfg.Defaults.Profile != "":
		return fromProfile(cfg, cfg.Defaults.Profile, sel)
	}
	if p := programProvider(sel.Program); p != "" {
		if _, configured := cfg.Providers[p]; configured {
			return fromProvider(cfg, p, sel)
		}
	}
	if cfg.Defaults.Provider != "" {
		return fromProvider(cfg, cfg.Defaults.Provider, sel)
	}
	return nil, &NoChoiceError{Program: sel.Program}
}

// serves reports whether r's account belongs to the provider whose CLI is named: by the provider's
// kind or by the definition it runs on (a provider "work" of kind codex serves codex).
func (r Route) serves(provider string) bool {
	return r.Kind == provider || r.Def.Name == provider
}

// ProgramError refuses to run a known provider's CLI on routes of other providers only (exit 2, a
// usage error): the child would get another provider's credentials and its failures would be
// recorded against the wrong account.
type ProgramError struct {
	Program, Provider, Label string
	Hint                     []string
}

func (e *ProgramError) Error() string {
	return fmt.Sprintf("%s is the %s CLI, but %s has no %s route; oauth-mux will not run it with another provider's account",
		e.Program, e.Provider, e.Label, e.Provider)
}

// Hints name a profile or provider that has such a route.
func (e *ProgramError) Hints() []string { return e.Hint }

// ExitCode is 2: the command line names the wrong profile for its program.
func (e *ProgramError) ExitCode() int { return omux.ExitUsage }

func programError(cfg *config.Config, plan *Plan, sel Selector, want string) *ProgramError {
	label := "profile " + strconv.Quote(plan.Label)
	if plan.Profile == "" {
		label = "provider " + strconv.Quote(plan.Label)
	}
	e := &ProgramError{Program: filepath.Base(sel.Program), Provider: want, Label: label}
	var profiles []string
	for _, name := range slices.Sorted(maps.Keys(cfg.Profiles)) {
		refs, _ := cfg.ProfileRefs(name)
		for _, ref := range refs {
			if prov, ok := cfg.Providers[ref.Provider]; ok && (ref.Provider == want || prov.Kind == want || cfg.Definition(ref.Provider).Name == want) {
				profiles = append(profiles, name)
				break
			}
		}
	}
	switch {
	case len(profiles) > 0:
		e.Hint = append(e.Hint, fmt.Sprintf("use a profile with a %s route: oauth-mux exec --profile %s -- %s …", want, profiles[0], e.Program))
		if len(profiles) > 1 {
			e.Hint = append(e.Hint, "profiles with a "+want+" route: "+strings.Join(profiles, ", "))
		}
	default:
		var provs []string
		for _, name := range slices.Sorted(maps.Keys(cfg.Providers)) {
			if p := cfg.Providers[name]; name == want || p.Kind == want {
				provs = append(provs, name)
			}
		}
		if len(provs) > 0 {
			e.Hint = append(e.Hint, fmt.Sprintf("name the provider: oauth-mux exec --provider %s -- %s …", provs[0], e.Program))
		} else {
			e.Hint = append(e.Hint, fmt.Sprintf("the config has no %s provider; add one with its accounts (see: oauth-mux providers list)", want))
		}
	}
	return e
}

func fromProfile(cfg *config.Config, name string, sel Selector) (*Plan, error) {
	prof, ok := cfg.Profiles[name]
	refs, _ := cfg.ProfileRefs(name)
	if !ok {
		hint := "the config has no profiles; name a provider with --provider"
		if names := slices.Sorted(maps.Keys(cfg.Profiles)); len(names) > 0 {
			hint = "the config's profiles: " + strings.Join(names, ", ")
		}
		return nil, &SelectError{Msg: fmt.Sprintf("unknown profile %q", name), Hint: []string{hint}}
	}
	plan := &Plan{Profile: name, Label: name, AllowMetered: prof.AllowMetered, AffinityTTL: prof.AffinityTTL(),
		Explicit: sel.Account != ""}
	plan.StrategyName, plan.Strategy = cfg.StrategyFor(name)
	if err := plan.overrideStrategy(cfg, sel.Strategy); err != nil {
		return nil, err
	}
	for i, ref := range refs {
		if sel.Provider != "" && ref.Provider != sel.Provider || sel.Account != "" && ref.Account != sel.Account {
			continue
		}
		r, err := newRoute(cfg, ref, i)
		if err != nil {
			return nil, err
		}
		if sel.Capability != "" && r.Capability != canonical(cfg, ref.Provider, sel.Capability) {
			continue
		}
		plan.Routes = append(plan.Routes, r)
	}
	if len(plan.Routes) == 0 {
		return nil, &SelectError{Msg: fmt.Sprintf("profile %q has no route matching %s", name, sel.describe())}
	}
	return plan, nil
}

func fromProvider(cfg *config.Config, name string, sel Selector) (*Plan, error) {
	prov, ok := cfg.Providers[name]
	if !ok {
		return nil, &SelectError{Msg: fmt.Sprintf("unknown provider %q", name)}
	}
	plan := &Plan{Label: name, AffinityTTL: time.Duration(config.DefaultAffinityTTLMinutes) * time.Minute,
		Explicit: sel.Account != "", Strategy: config.Strategy{Kind: config.PriorityFailover}}
	if cfg.Defaults.Strategy != "" {
		plan.StrategyName, plan.Strategy = cfg.Defaults.Strategy, cfg.Strategies[cfg.Defaults.Strategy]
	}
	if err := plan.overrideStrategy(cfg, sel.Strategy); err != nil {
		return nil, err
	}
	capName := sel.Capability
	if capName == "" && cfg.Defaults.Capability != "" {
		if c, ok := cfg.CanonicalCapability(name, cfg.Defaults.Capability); ok {
			capName = c
		}
	}
	names := cfg.SortedAccountNames(name)
	if sel.Account != "" {
		if _, ok := prov.Accounts[sel.Account]; !ok {
			return nil, &SelectError{Msg: fmt.Sprintf("unknown account %q of provider %q", sel.Account, name)}
		}
		names = []string{sel.Account}
	}
	for i, acct := range names {
		r, err := newRoute(cfg, config.RouteRef{Provider: name, Account: acct, Capability: capName}, i)
		if err != nil {
			return nil, err
		}
		plan.Routes = append(plan.Routes, r)
	}
	if len(plan.Routes) == 0 {
		return nil, &SelectError{Msg: fmt.Sprintf("provider %q has no accounts", name)}
	}
	return plan, nil
}

func (p *Plan) overrideStrategy(cfg *config.Config, name string) error {
	if name == "" {
		return nil
	}
	if s, ok := cfg.Strategies[name]; ok {
		p.StrategyName, p.Strategy = name, s
		return nil
	}
	// A bare kind is accepted too, so `--strategy round-robin` works without a named strategy.
	switch name {
	case config.PriorityFailover, config.HealthWeighted, config.RoundRobin:
		p.StrategyName, p.Strategy = name, config.Strategy{Kind: name}
		return nil
	}
	return &SelectError{Msg: fmt.Sprintf("unknown strategy %q", name)}
}

func (s Selector) describe() string {
	var parts []string
	for _, kv := range [][2]string{{"provider", s.Provider}, {"account", s.Account}, {"capability", s.Capability}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+" "+kv[1])
		}
	}
	if len(parts) == 0 {
		return "the selection"
	}
	return strings.Join(parts, ", ")
}

func canonical(cfg *config.Config, provider, capName string) string {
	if c, ok := cfg.CanonicalCapability(provider, capName); ok {
		return c
	}
	return capName
}

func newRoute(cfg *config.Config, ref config.RouteRef, order int) (Route, error) {
	prov, ok := cfg.Providers[ref.Provider]
	if !ok {
		return Route{}, &SelectError{Msg: fmt.Sprintf("unknown provider %q", ref.Provider)}
	}
	acct, ok := prov.Accounts[ref.Account]
	if !ok {
		return Route{}, &SelectError{Msg: fmt.Sprintf("unknown account %q of provider %q", ref.Account, ref.Provider)}
	}
	def := cfg.Definition(ref.Provider)
	capName := ref.Capability
	if capName == "" {
		capName = def.DefaultCapability()
	} else if c, ok := def.Capability(capName); ok {
		capName = c.Name
	} else if len(def.Capabilities) > 0 {
		return Route{}, &SelectError{Msg: fmt.Sprintf("provider %q has no capability %q", ref.Provider, capName)}
	} else {
		capName = ""
	}
	kind := prov.Kind
	if kind == "" {
		kind = ref.Provider
	}
	return Route{Provider: ref.Provider, Account: ref.Account, Capability: capName, Kind: kind, Def: def,
		Acct: acct, Order: order}, nil
}
