package config

import (
	"cmp"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/providers"
)

// Validate checks an in-memory config (SPEC §3.3) and returns *Errors with every problem, or nil.
// Parse and Load call it; code that builds or edits a config (config merge, tests) calls it directly.
func (c *Config) Validate() error {
	if probs := c.problems(); len(probs) > 0 {
		return newErrors(probs)
	}
	return nil
}

// UnknownKeys is one problem per key the schema does not know ("unknown key", with the known key it
// most likely misspells), in path order: `config validate` prints them as warnings.
func (c *Config) UnknownKeys() []Problem {
	if len(c.Unknown) == 0 {
		return nil
	}
	probs := make([]Problem, len(c.Unknown))
	for i, k := range c.Unknown {
		probs[i] = Problem{Path: k, Msg: "unknown key"}
		if near := c.UnknownNear[k]; near != "" {
			probs[i].Msg += fmt.Sprintf("; did you mean %q?", near)
		}
	}
	return newErrors(probs).Problems
}

// Strict returns *Errors listing every unknown key, or nil: `config validate --strict`.
func (c *Config) Strict() error {
	if probs := c.UnknownKeys(); len(probs) > 0 {
		return &Errors{Problems: probs}
	}
	return nil
}

func newErrors(probs []Problem) *Errors {
	probs = slices.Clone(probs)
	slices.SortStableFunc(probs, func(a, b Problem) int {
		return cmp.Or(comparePaths(a.Path, b.Path), strings.Compare(a.Msg, b.Msg))
	})
	probs = slices.Compact(probs)
	return &Errors{Problems: probs}
}

// comparePaths orders JSON paths naturally, so providers[2] sorts before providers[10].
func comparePaths(a, b string) int {
	for a != "" && b != "" {
		if isDigit(a[0]) && isDigit(b[0]) {
			na, ra := leadingDigits(a)
			nb, rb := leadingDigits(b)
			if c := cmp.Compare(len(strings.TrimLeft(na, "0")), len(strings.TrimLeft(nb, "0"))); c != 0 {
				return c
			}
			if c := strings.Compare(strings.TrimLeft(na, "0"), strings.TrimLeft(nb, "0")); c != 0 {
				return c
			}
			a, b = ra, rb
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func leadingDigits(s string) (digits, rest string) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return s[:i], s[i:]
}

// Shells are the env dialects defaults.shell may name (SPEC §6.4).
var Shells = []string{"bash", "zsh", "fish", "ksh", "posix", "sh"}

// StrategyKinds are the route ordering strategies (SPEC §6.3).
var StrategyKinds = []string{PriorityFailover, HealthWeighted, RoundRobin}

// Backends are the secret backends (SPEC §8.1).
var Backends = []string{BackendFile, BackendEnv, BackendCommand, BackendKeychain, BackendSops, BackendAge, BackendStdin}

// isEnvName reports whether s is a portable environment variable name: [A-Za-z_][A-Za-z0-9_]*. (A
// loop, not a package-level regexp: every command would compile that at start-up.)
func isEnvName(s string) bool {
	return s != "" && (s[0] < '0' || s[0] > '9') && isWord(s)
}

// isWord reports whether s is one or more of [A-Za-z0-9_] (a placeholder's name).
func isWord(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}

// tokenMarkers are substrings (matched case-insensitively) that mean a probe carries credential
// material in its URL, body or argv. Probes get tokens only through their auth setting, so that a
// config, a report or a log line can never hold one.
var tokenMarkers = []string{
	"access_token=", "refresh_token=", "id_token=", "client_secret=", "api_key=", "apikey=",
	"password=", "bearer ", "authorization:", "x-api-key:", "private-token:",
	"{{access_token}}", "{{refresh_token}}", "{{id_token}}", "{{token}}", "{{api_key}}",
	"{{client_secret}}", "{{secret}}", "{{password}}",
}

// TokenMaterial reports the first token marker found in s, case-insensitively.
func TokenMaterial(s string) (string, bool) {
	l := strings.ToLower(s)
	for _, m := range tokenMarkers {
		if strings.Contains(l, m) {
			return m, true
		}
	}
	return "", false
}

type validator struct {
	c     *Config
	cat   *providers.Catalog
	probs []Problem
}

func (v *validator) add(path, format string, args ...any) {
	v.probs = append(v.probs, Problem{Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (c *Config) problems() []Problem {
	v := &validator{c: c, cat: c.Catalog()}
	if c.Version != 1 {
		if c.Version == 0 {
			v.add("version", "missing or 0; this oauth-mux reads version 1")
		} else {
			v.add("version", "unsupported version %d; this oauth-mux reads version 1", c.Version)
		}
	}
	v.defaults()
	v.policy()
	for _, name := range sortedNames(c.ProviderDefinitions) {
		v.definition(name, c.ProviderDefinitions[name])
	}
	for _, name := range sortedNames(c.Providers) {
		v.provider(name, c.Providers[name])
	}
	for _, name := range sortedNames(c.Profiles) {
		v.profile(name, c.Profiles[name])
	}
	for _, name := range sortedNames(c.Strategies) {
		v.strategy(name, c.Strategies[name])
	}
	v.shared()
	return v.probs
}

// name checks a map key used as a name: it appears in route keys, so ':' and '#' would make them
// ambiguous.
func (v *validator) name(path, what, name string) {
	switch {
	case name == "":
		v.add(path, "%s name must not be empty", what)
	case strings.ContainsAny(name, ":#"):
		v.add(path, "%s name %q must not contain ':' or '#'", what, name)
	}
}

func (v *validator) defaults() {
	d := v.c.Defaults
	if d.Provider != "" {
		if _, ok := v.c.Providers[d.Provider]; !ok {
			v.add("defaults.provider", "unknown provider %q", d.Provider)
		}
	}
	if d.Strategy != "" {
		if _, ok := v.c.Strategies[d.Strategy]; !ok {
			v.add("defaults.strategy", "unknown strategy %q", d.Strategy)
		}
	}
	if d.Profile != "" {
		if _, ok := v.c.Profiles[d.Profile]; !ok {
			v.add("defaults.profile", "unknown profile %q", d.Profile)
		}
	}
	if d.Capability != "" {
		v.defaultCapability(d.Capability)
	}
	if d.Shell != "" && !slices.Contains(Shells, d.Shell) {
		v.add("defaults.shell", "unknown shell %q (want %s)", d.Shell, strings.Join(Shells, ", "))
	}
}

func (v *validator) defaultCapability(capName string) {
	if strings.ContainsAny(capName, ":#") {
		v.add("defaults.capability", "capability name %q must not contain ':' or '#'", capName)
		return
	}
	if p := v.c.Defaults.Provider; p != "" {
		if _, ok := v.c.Providers[p]; ok && v.kindKnown(p) {
			if _, ok := v.c.Definition(p).Capability(capName); !ok {
				v.add("defaults.capability", "unknown capability %q of provider %q", capName, p)
			}
		}
		return
	}
	// With no default provider the capability must at least mean something to one configured provider.
	if len(v.c.Providers) == 0 {
		return
	}
	for name := range v.c.Providers {
		if _, ok := v.c.Definition(name).Capability(capName); ok {
			return
		}
	}
	v.add("defaults.capability", "unknown capability %q: no configured provider has it", capName)
}

func (v *validator) policy() {
	for i, b := range v.c.Policy.Daemon.AllowedBudgets {
		if !slices.Contains(providers.Budgets, b) {
			v.add(fmt.Sprintf("policy.daemon.allowed_budgets[%d]", i), "unknown budget %q (want %s)", b, strings.Join(providers.Budgets, ", "))
		}
	}
}

// kindKnown reports whether a configured provider resolves to a real (built-in or config) definition.
func (v *validator) kindKnown(provider string) bool {
	p := v.c.Providers[provider]
	if p.Kind != "" {
		_, ok := v.cat.Lookup(p.Kind)
		return ok
	}
	_, ok := v.cat.Lookup(provider)
	return ok
}

func (v *validator) provider(name string, p Provider) {
	path := keyPath("providers", name)
	v.name(path, "provider", name)
	known := strings.Join(v.cat.Names(), ", ")
	if p.Kind != "" {
		if _, ok := v.cat.Lookup(p.Kind); !ok {
			v.add(keyPath(path, "kind"), "unknown provider kind %q (known: %s; or define it in provider_definitions)", p.Kind, known)
		}
	} else if _, ok := v.cat.Lookup(name); !ok {
		v.add(path, "unknown provider kind %q: set \"kind\" to one of %s, or define %q in provider_definitions", name, known, name)
	}
	if p.ConfigDirEnv != "" && !isEnvName(p.ConfigDirEnv) {
		v.add(keyPath(path, "config_dir_env"), "%q is not an environment variable name", p.ConfigDirEnv)
	}
	if len(p.Accounts) == 0 {
		v.add(keyPath(path, "accounts"), "provider %q has no accounts", name)
	}
	for _, an := range sortedNames(p.Accounts) {
		v.account(keyPath(keyPath(path, "accounts"), an), an, p.Accounts[an])
	}
}

func (v *validator) account(path, name string, a Account) {
	v.name(path, "account", name)
	v.secret(keyPath(path, "secret"), a.Secret)
	if q := a.Quota; q != nil {
		if q.MonthlyLimit != nil && *q.MonthlyLimit <= 0 {
			v.add(path+".quota.monthly_limit", "must be greater than 0, got %d", *q.MonthlyLimit)
		}
		if q.WarnAtPct != nil && (*q.WarnAtPct < 0 || *q.WarnAtPct > 100) {
			v.add(path+".quota.warn_at_pct", "must be between 0 and 100, got %d", *q.WarnAtPct)
		}
	}
	for i, t := range a.Tags {
		if strings.TrimSpace(t) == "" {
			v.add(fmt.Sprintf("%s[%d]", keyPath(path, "tags"), i), "tag must not be empty")
		}
	}
}

// secret checks that each backend has what it needs. Messages never repeat field values: an age
// identity may be an inline key.
func (v *validator) secret(path string, s Secret) {
	need := func(field, val string) {
		if strings.TrimSpace(val) == "" {
			v.add(keyPath(path, field), "the %s backend needs %q", s.Backend, field)
		}
	}
	switch s.Backend {
	case BackendFile, BackendSops:
		need("path", s.Path)
	case BackendEnv:
		need("variable", s.Variable)
		if s.Variable != "" && !isEnvName(s.Variable) {
			v.add(keyPath(path, "variable"), "%q is not an environment variable name", s.Variable)
		}
	case BackendCommand:
		if len(s.Command) == 0 || s.Command[0] == "" {
			v.add(keyPath(path, "command"), "the command backend needs a non-empty argv (\"command\": [\"program\", \"arg\"…])")
		}
	case BackendKeychain:
		need("service", s.Service)
		need("account", s.Account)
	case BackendAge:
		need("path", s.Path)
		need("identity", s.Identity)
	case BackendStdin:
	case "":
		v.add(keyPath(path, "backend"), "missing secret backend (want %s)", strings.Join(Backends, ", "))
	default:
		v.add(keyPath(path, "backend"), "unknown secret backend %q (want %s)", s.Backend, strings.Join(Backends, ", "))
	}
}

func (v *validator) profile(name string, p Profile) {
	path := keyPath("profiles", name)
	v.name(path, "profile", name)
	if len(p.Providers) == 0 {
		v.add(keyPath(path, "providers"), "profile %q has no providers", name)
	}
	seen := map[string]int{}
	for i, entry := range p.Providers {
		ep := fmt.Sprintf("%s[%d]", keyPath(path, "providers"), i)
		if j, dup := seen[entry]; dup {
			v.add(ep, "duplicate route %q (also providers[%d])", entry, j)
			continue
		}
		seen[entry] = i
		v.routeEntry(ep, entry)
	}
	if p.Strategy != "" {
		if _, ok := v.c.Strategies[p.Strategy]; !ok {
			v.add(keyPath(path, "strategy"), "unknown strategy %q", p.Strategy)
		}
	}
	if p.AffinityTTLMinutes != nil && *p.AffinityTTLMinutes < 0 {
		v.add(keyPath(path, "affinity_ttl_minutes"), "must be 0 or more, got %d", *p.AffinityTTLMinutes)
	}
}

func (v *validator) routeEntry(path, entry string) {
	ref, err := ParseRouteRef(entry)
	if err != nil {
		v.add(path, "%v", err)
		return
	}
	prov, ok := v.c.Providers[ref.Provider]
	if !ok {
		v.add(path, "unknown provider %q", ref.Provider)
		return
	}
	if _, ok := prov.Accounts[ref.Account]; !ok {
		v.add(path, "unknown account %q of provider %q", ref.Account, ref.Provider)
	}
	if ref.Capability == "" || !v.kindKnown(ref.Provider) {
		return // an unknown kind is reported on the provider; its capabilities are unknowable
	}
	def := v.c.Definition(ref.Provider)
	if _, ok := def.Capability(ref.Capability); ok {
		return
	}
	if len(def.Capabilities) == 0 {
		v.add(path, "unknown capability %q: provider %q has no capabilities", ref.Capability, ref.Provider)
		return
	}
	names := make([]string, len(def.Capabilities))
	for i, cp := range def.Capabilities {
		names[i] = cp.Name
	}
	v.add(path, "unknown capability %q of provider %q (known: %s)", ref.Capability, ref.Provider, strings.Join(names, ", "))
}

func (v *validator) strategy(name string, s Strategy) {
	path := keyPath("strategies", name)
	v.name(path, "strategy", name)
	if !slices.Contains(StrategyKinds, s.Kind) {
		if s.Kind == "" {
			v.add(keyPath(path, "kind"), "missing strategy kind (want %s)", strings.Join(StrategyKinds, ", "))
		} else {
			v.add(keyPath(path, "kind"), "unknown strategy kind %q (want %s)", s.Kind, strings.Join(StrategyKinds, ", "))
		}
	}
	rng := func(field string, p *int, lo, hi int) {
		if p != nil && (*p < lo || *p > hi) {
			v.add(keyPath(path, field), "must be between %d and %d, got %d", lo, hi, *p)
		}
	}
	if s.MaxRetries != nil && *s.MaxRetries < 0 {
		v.add(keyPath(path, "max_retries"), "must be 0 or more, got %d", *s.MaxRetries)
	}
	rng("health_decay_per_hour", s.HealthDecayPerHour, 0, 100)
	rng("rate_limit_penalty", s.RateLimitPenalty, -100, 0)
	rng("failure_penalty", s.FailurePenalty, -100, 0)
	rng("success_bonus", s.SuccessBonus, 0, 100)
}

func (v *validator) definition(key string, d providers.Definition) {
	path := keyPath("provider_definitions", key)
	v.name(path, "provider definition", key)
	if d.Name != "" && d.Name != key {
		v.add(keyPath(path, "name"), "name %q differs from its key %q", d.Name, key)
	}
	cr := d.Credential
	if cr.ExpiresAtUnit != "" && cr.ExpiresAtUnit != providers.UnitSeconds && cr.ExpiresAtUnit != providers.UnitMilliseconds {
		v.add(path+".credential.expires_at_unit", "unknown unit %q (want seconds or milliseconds)", cr.ExpiresAtUnit)
	}
	if cr.TokenType != "" && cr.TokenType != providers.TokenBearer && cr.TokenType != providers.TokenAPIKey {
		v.add(path+".credential.token_type", "unknown token type %q (want bearer or api_key)", cr.TokenType)
	}
	inj := d.Injection
	if inj.ConfigDirEnv != "" && !isEnvName(inj.ConfigDirEnv) {
		v.add(path+".injection.config_dir_env", "%q is not an environment variable name", inj.ConfigDirEnv)
	}
	for i, pair := range inj.DirectEnv {
		pp := fmt.Sprintf("%s[%d]", path+".injection.direct_env", i)
		if !isEnvName(pair[0]) {
			v.add(pp, "%q is not an environment variable name", pair[0])
		}
		switch pair[1] {
		case providers.InjectAccessToken, providers.InjectRefreshToken, providers.InjectAPIKey:
		default:
			v.add(pp, "unknown token %q (want access_token, refresh_token or api_key)", pair[1])
		}
	}
	for i, e := range inj.ScrubEnv {
		if !isEnvName(e) {
			v.add(fmt.Sprintf("%s[%d]", path+".injection.scrub_env", i), "%q is not an environment variable name", e)
		}
	}
	// Both would otherwise pass validation and fail every exec on the provider at launch.
	if err := providers.CheckCredentialFilename(inj.CredentialFilename); err != nil {
		v.add(path+".injection.credential_filename", "%q must be a clean relative path inside the config dir", inj.CredentialFilename)
	}
	if inj.CredentialTemplate != "" {
		if err := providers.CheckCredentialTemplate(inj.CredentialTemplate); err != nil {
			v.add(path+".injection.credential_template", "does not parse: %s", strings.TrimPrefix(err.Error(), "credential_template: "))
		}
	}
	switch d.Repair.Owner {
	case "", providers.OwnerOAuthMuxRefresh, providers.OwnerUpstreamCLILogin, providers.OwnerExternalSecretOwner, providers.OwnerManualOnly:
	default:
		v.add(path+".repair.owner", "unknown repair owner %q", d.Repair.Owner)
	}
	switch d.Repair.RefreshTokenResponse {
	case "", providers.RequireRotated, providers.ReuseSubmittedIfOmited:
	default:
		v.add(path+".repair.refresh_token_response", "unknown refresh_token_response %q", d.Repair.RefreshTokenResponse)
	}
	names := map[string]string{} // capability name or alias → where it was declared
	for i, cp := range d.Capabilities {
		cpath := fmt.Sprintf("%s[%d]", keyPath(path, "capabilities"), i)
		v.name(keyPath(cpath, "name"), "capability", cp.Name)
		for j, n := range append([]string{cp.Name}, cp.Aliases...) {
			if n == "" {
				continue
			}
			where := keyPath(cpath, "name")
			if j > 0 {
				where = fmt.Sprintf("%s[%d]", keyPath(cpath, "aliases"), j-1)
				v.name(where, "capability alias", n)
			}
			if prev, dup := names[n]; dup {
				v.add(where, "capability name %q is already used at %s", n, prev)
			} else {
				names[n] = where
			}
		}
		if cp.Probe != nil {
			v.probe(keyPath(cpath, "probe"), mergedProbe(key, cp))
		}
	}
	for i, r := range d.FailureRules {
		v.httpRule(fmt.Sprintf("%s[%d]", keyPath(path, "failure_rules"), i), r)
	}
	for i, r := range d.OutputRules {
		v.outputRule(fmt.Sprintf("%s[%d]", keyPath(path, "output_rules"), i), r)
	}
}

// mergedProbe is the probe a capability ends up with: an override of a built-in capability's probe
// (say, only its url, pointed at a staging server) is merged over the built-in one first, so it need
// not repeat the transport and the rest.
func mergedProbe(defName string, cp providers.Capability) providers.Probe {
	base, ok := providers.Builtin(defName)
	if !ok {
		return *cp.Probe
	}
	if bc, ok := base.Capability(cp.Name); !ok || bc.Probe == nil {
		return *cp.Probe
	}
	merged := providers.Merge(base, providers.Definition{Name: defName, Capabilities: []providers.Capability{cp}})
	if mc, ok := merged.Capability(cp.Name); ok && mc.Probe != nil {
		return *mc.Probe
	}
	return *cp.Probe
}

func (v *validator) probe(path string, p providers.Probe) {
	switch p.Transport {
	case "http":
		if strings.TrimSpace(p.URL) == "" {
			v.add(keyPath(path, "url"), "an http probe needs a url")
		} else {
			v.probeURL(keyPath(path, "url"), p.URL)
		}
	case "command":
		if len(p.Command) == 0 || p.Command[0] == "" {
			v.add(keyPath(path, "command"), "a command probe needs a non-empty argv")
		}
	case "":
		v.add(keyPath(path, "transport"), "missing transport (want http or command)")
	default:
		v.add(keyPath(path, "transport"), "unknown transport %q (want http or command)", p.Transport)
	}
	switch p.Method {
	case "", "GET", "HEAD":
		if p.Body != "" {
			v.add(keyPath(path, "body"), "a body needs method POST")
		}
	case "POST":
	default:
		v.add(keyPath(path, "method"), "unknown method %q (want GET, POST or HEAD)", p.Method)
	}
	switch p.Auth {
	case "", providers.AuthBearer, providers.AuthAuthorizationHeader, providers.AuthNone:
	case providers.AuthTokenHeader:
		if p.AuthHeader == "" {
			v.add(keyPath(path, "auth_header"), "auth token_header needs auth_header (the header's name)")
		}
	default:
		v.add(keyPath(path, "auth"), "unknown auth %q (want bearer, authorization_header, token_header or none)", p.Auth)
	}
	if p.TimeoutMS != nil && *p.TimeoutMS <= 0 {
		v.add(keyPath(path, "timeout_ms"), "must be greater than 0, got %d", *p.TimeoutMS)
	}
	lo, hi := 200, 299
	if p.SuccessStatusMin != nil {
		lo = *p.SuccessStatusMin
	}
	if p.SuccessStatusMax != nil {
		hi = *p.SuccessStatusMax
	}
	if lo > hi {
		v.add(path, "success_status_min %d is above success_status_max %d", lo, hi)
	}
	if p.Budget != "" {
		switch {
		case !slices.Contains(providers.Budgets, p.Budget):
			v.add(keyPath(path, "budget"), "unknown budget %q (want %s)", p.Budget, strings.Join(providers.Budgets, ", "))
		case p.Budget == providers.BudgetInteractive || p.Budget == providers.BudgetMutating:
			v.add(keyPath(path, "budget"), "a probe may not have budget %q: probes run unattended and must not change anything", p.Budget)
		}
	}
	if p.Tests != "" && !slices.Contains(providers.ProbeTests, p.Tests) {
		v.add(keyPath(path, "tests"), "unknown value %q (want %s: what a success of the probe proves)", p.Tests, strings.Join(providers.ProbeTests, " or "))
	}
	v.noTokens(keyPath(path, "url"), p.URL)
	v.noTokens(keyPath(path, "body"), p.Body)
	v.placeholders(keyPath(path, "body"), p.Body)
	for i, a := range p.Command {
		ap := fmt.Sprintf("%s[%d]", keyPath(path, "command"), i)
		v.noTokens(ap, a)
		v.placeholders(ap, a)
	}
}

func (v *validator) probeURL(path, u string) {
	v.placeholders(path, u)
	if strings.Contains(u, "{{") {
		return // resolved at probe time; the prober checks that the values are URL-safe
	}
	pu, err := url.Parse(u)
	if err != nil {
		v.add(path, "not a URL")
		return
	}
	if pu.Scheme != "https" && pu.Scheme != "http" {
		v.add(path, "want an http or https URL")
	} else if pu.Host == "" {
		v.add(path, "the URL has no host")
	}
	if pu.User != nil {
		v.add(path, "the URL carries user info; credentials reach a probe only through its auth setting")
	}
}

func (v *validator) noTokens(path, s string) {
	if m, ok := TokenMaterial(s); ok {
		v.add(path, "carries token material (%q); a probe gets its token only through its auth setting", m)
	}
}

// placeholders checks every {{NAME}} in s.
func (v *validator) placeholders(path, s string) {
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			return
		}
		s = s[i+2:]
		j := strings.Index(s, "}}")
		if j < 0 {
			v.add(path, "unclosed placeholder \"{{\"")
			return
		}
		if name := s[:j]; !isWord(name) {
			v.add(path, "placeholder %s must be {{NAME}} with NAME of A-Z, a-z, 0-9 and _", strconv.Quote("{{"+name+"}}"))
		}
		s = s[j+2:]
	}
}

func (v *validator) httpRule(path string, r classify.HTTPRule) {
	if r.Status == nil && r.StatusMin == nil && r.StatusMax == nil && r.RetryAfterGTE == nil &&
		r.RetryAfterLT == nil && r.HintEquals == nil && r.HintContains == nil {
		v.add(path, "a failure rule needs at least one matcher (status, status_min, status_max, retry_after_gte, retry_after_lt, hint_equals, hint_contains)")
	}
	status := func(field string, p *int) {
		if p != nil && (*p < 100 || *p > 599) {
			v.add(keyPath(path, field), "HTTP status %d is outside 100..599", *p)
		}
	}
	status("status", r.Status)
	status("status_min", r.StatusMin)
	status("status_max", r.StatusMax)
	if r.StatusMin != nil && r.StatusMax != nil && *r.StatusMin > *r.StatusMax {
		v.add(path, "status_min %d is above status_max %d", *r.StatusMin, *r.StatusMax)
	}
	if r.RetryAfterGTE != nil && *r.RetryAfterGTE < 0 {
		v.add(keyPath(path, "retry_after_gte"), "must be 0 or more, got %d", *r.RetryAfterGTE)
	}
	if r.RetryAfterLT != nil && *r.RetryAfterLT < 0 {
		v.add(keyPath(path, "retry_after_lt"), "must be 0 or more, got %d", *r.RetryAfterLT)
	}
	if r.RetryAfterGTE != nil && r.RetryAfterLT != nil && *r.RetryAfterGTE >= *r.RetryAfterLT {
		v.add(path, "retry_after_gte %d must be below retry_after_lt %d", *r.RetryAfterGTE, *r.RetryAfterLT)
	}
	if r.Class.Class == "" {
		v.add(keyPath(path, "class"), "missing class, e.g. {\"rate_limited\":{}}")
	}
}

func (v *validator) outputRule(path string, r classify.OutputRule) {
	if strings.TrimSpace(r.Name) == "" {
		v.add(keyPath(path, "name"), "an output rule needs a name")
	}
	switch r.Stream {
	case "", classify.Stdout, classify.Stderr, classify.AnyStream:
	default:
		v.add(keyPath(path, "stream"), "unknown stream %q (want stdout, stderr or any)", r.Stream)
	}
	for i, ec := range r.ExitCodes {
		if ec < 0 || ec > 255 {
			v.add(fmt.Sprintf("%s[%d]", keyPath(path, "exit_codes"), i), "exit code %d is outside 0..255", ec)
		}
	}
	if r.Class.Class == "" {
		v.add(keyPath(path, "class"), "missing class, e.g. {\"quota_exhausted\":{}}")
	}
	if r.AtExit0 && (r.Class.Class == classify.Success || r.Class.Class == classify.ChildFailure || r.Pattern == "") {
		v.add(keyPath(path, "at_exit_0"), "at_exit_0 is for a pattern that fails a run the CLI ended with 0: it needs a pattern and a class such as {\"quota_exhausted\":{}}")
	}
	if r.Pattern == "" {
		v.add(keyPath(path, "pattern"), "an output rule needs a pattern")
		return
	}
	re, err := regexp.Compile(r.Pattern)
	if err != nil {
		v.add(keyPath(path, "pattern"), "not an RE2 pattern: %v", err)
		return
	}
	if r.ResetCapture != "" && re.SubexpIndex(r.ResetCapture) < 0 {
		v.add(keyPath(path, "reset_capture"), "the pattern has no group named %q (write (?P<%s>…))", r.ResetCapture, r.ResetCapture)
	}
}
