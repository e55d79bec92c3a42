package config

import (
	"slices"
	"time"

	"github.com/oauth-mux/oauth-mux/providers"
)

// Catalog is the provider catalog of this config: the built-ins with provider_definitions merged over
// them. It is built once per parsed config; a config built as a literal gets a fresh one per call.
// Edit ProviderDefinitions only before the first call.
func (c *Config) Catalog() *providers.Catalog {
	if c.catalog != nil {
		return c.catalog()
	}
	return providers.NewCatalog(c.ProviderDefinitions)
}

// Definition is the definition an account of the configured provider uses (by name, then kind,
// then generic; SPEC §5.1).
func (c *Config) Definition(providerName string) providers.Definition {
	return c.Catalog().Resolve(providerName, c.Providers[providerName].Kind)
}

// ConfigDirEnv is the variable that hands a provider's CLI its config dir (SPEC §6.1): the
// provider's config_dir_env, else its definition's; "" when the provider takes none.
func (c *Config) ConfigDirEnv(provider string) string {
	if p, ok := c.Providers[provider]; ok && p.ConfigDirEnv != "" {
		return p.ConfigDirEnv
	}
	return c.Definition(provider).Injection.ConfigDirEnv
}

// KindKnown reports whether the configured provider resolves to a built-in or config definition
// rather than the generic fallback.
func (c *Config) KindKnown(providerName string) bool {
	p, ok := c.Providers[providerName]
	if !ok {
		return false
	}
	name := p.Kind
	if name == "" {
		name = providerName
	}
	_, ok = c.Catalog().Lookup(name)
	return ok
}

// CanonicalCapability resolves a capability name or alias of a configured provider to its name.
// An empty name gives the provider's default capability ("" when it has none).
func (c *Config) CanonicalCapability(providerName, capability string) (string, bool) {
	def := c.Definition(providerName)
	if capability == "" {
		return def.DefaultCapability(), true
	}
	cp, ok := def.Capability(capability)
	if !ok {
		return "", false
	}
	return cp.Name, true
}

// Account finds provider:account.
func (c *Config) Account(providerName, account string) (Account, bool) {
	a, ok := c.Providers[providerName].Accounts[account]
	return a, ok
}

// SortedProviderNames lists the configured providers by name.
func (c *Config) SortedProviderNames() []string { return sortedNames(c.Providers) }

// SortedProfileNames lists the profiles by name.
func (c *Config) SortedProfileNames() []string { return sortedNames(c.Profiles) }

// SortedStrategyNames lists the strategies by name.
func (c *Config) SortedStrategyNames() []string { return sortedNames(c.Strategies) }

// SortedAccountNames lists a provider's accounts by name.
func (c *Config) SortedAccountNames(providerName string) []string {
	return sortedNames(c.Providers[providerName].Accounts)
}

// AccountRefs lists every configured account as provider:account refs (no capability), sorted.
func (c *Config) AccountRefs() []RouteRef {
	var refs []RouteRef
	for _, p := range c.SortedProviderNames() {
		for _, a := range c.SortedAccountNames(p) {
			refs = append(refs, RouteRef{Provider: p, Account: a})
		}
	}
	return refs
}

// ProfileRefs parses a profile's entries in order. Entries are validated at load; an entry that
// still fails to parse (a config built in code) is skipped.
func (c *Config) ProfileRefs(profile string) ([]RouteRef, bool) {
	p, ok := c.Profiles[profile]
	if !ok {
		return nil, false
	}
	refs := make([]RouteRef, 0, len(p.Providers))
	for _, e := range p.Providers {
		if r, err := ParseRouteRef(e); err == nil {
			refs = append(refs, r)
		}
	}
	return refs, true
}

// StrategyFor is the strategy a profile uses: its own, else defaults.strategy, else an unnamed
// priority-failover. The name is "" for the implicit one.
func (c *Config) StrategyFor(profile string) (string, Strategy) {
	name := c.Profiles[profile].Strategy
	if name == "" {
		name = c.Defaults.Strategy
	}
	if s, ok := c.Strategies[name]; ok && name != "" {
		return name, s
	}
	return "", Strategy{Kind: PriorityFailover}
}

// Strategy defaults (SPEC §3.2).
const (
	DefaultHealthDecayPerHour = 2
	DefaultRateLimitPenalty   = -10
	DefaultFailurePenalty     = -20
	DefaultSuccessBonus       = 1
	DefaultAffinityTTLMinutes = 20
	DefaultWarnAtPct          = 5
)

// Decay is health_decay_per_hour or its default.
func (s Strategy) Decay() int { return intOr(s.HealthDecayPerHour, DefaultHealthDecayPerHour) }

// RateLimitPenaltyOr is rate_limit_penalty or its default.
func (s Strategy) RateLimitPenaltyOr() int { return intOr(s.RateLimitPenalty, DefaultRateLimitPenalty) }

// FailurePenaltyOr is failure_penalty or its default.
func (s Strategy) FailurePenaltyOr() int { return intOr(s.FailurePenalty, DefaultFailurePenalty) }

// SuccessBonusOr is success_bonus or its default.
func (s Strategy) SuccessBonusOr() int { return intOr(s.SuccessBonus, DefaultSuccessBonus) }

// AffinityTTL is affinity_ttl_minutes or its default of 20 minutes; 0 turns affinity off.
func (p Profile) AffinityTTL() time.Duration {
	return time.Duration(intOr(p.AffinityTTLMinutes, DefaultAffinityTTLMinutes)) * time.Minute
}

// WarnAt is warn_at_pct or its default of 5.
func (q Quota) WarnAt() int { return intOr(q.WarnAtPct, DefaultWarnAtPct) }

// DefaultAllowedBudgets is what background work may spend when the config does not say.
var DefaultAllowedBudgets = []string{providers.BudgetFreeLocal, providers.BudgetFreeCommand}

// Budgets is allowed_budgets or the default [free_local, free_command].
func (d DaemonPolicy) Budgets() []string {
	if d.AllowedBudgets == nil {
		return slices.Clone(DefaultAllowedBudgets)
	}
	return slices.Clone(d.AllowedBudgets)
}

func intOr(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

func sortedNames[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
