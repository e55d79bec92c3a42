package providers

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/oauth-mux/oauth-mux/classify"
)

var wantBuiltins = []string{"claude", "codex", "copilot", "figma", "flakehub", "gemini", "github", "linear", "mcp", "vercel"}

func TestBuiltinNames(t *testing.T) {
	var got []string
	for _, d := range Builtins() {
		got = append(got, d.Name)
	}
	if !slices.Equal(got, wantBuiltins) {
		t.Fatalf("Builtins() names = %v, want %v", got, wantBuiltins)
	}
	if !slices.Equal(BuiltinNames(), wantBuiltins) {
		t.Fatalf("BuiltinNames() = %v", BuiltinNames())
	}
	if _, ok := Builtin("nope"); ok {
		t.Fatal("Builtin(nope) found something")
	}
	if _, ok := Builtin(GenericName); ok {
		t.Fatal("generic must not be a built-in provider")
	}
}

var placeholderRE = regexp.MustCompile(`\{\{([^}]*)\}\}`)
var placeholderNameRE = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// tokenMaterial is the SPEC §3.3 list of what must never sit in a probe's URL, body or argv.
var tokenMaterial = []string{"access_token=", "refresh_token=", "id_token=", "bearer ", "authorization:", "{{access_token}}", "{{refresh_token}}"}

// checkDefinition is the sanity a built-in must have; it returns one message per problem.
func checkDefinition(d Definition) []string {
	var bad []string
	add := func(format string, args ...any) {
		bad = append(bad, d.Name+": "+fmt.Sprintf(format, args...))
	}
	if d.DisplayName == "" {
		add("no display_name")
	}
	c := d.Credential
	if !slices.Contains([]string{"", UnitSeconds, UnitMilliseconds}, c.ExpiresAtUnit) {
		add("expires_at_unit %q", c.ExpiresAtUnit)
	}
	if !slices.Contains([]string{"", TokenBearer, TokenAPIKey}, c.TokenType) {
		add("token_type %q", c.TokenType)
	}
	if err := CheckCredentialFilename(d.Injection.CredentialFilename); err != nil {
		add("%v", err)
	}
	if d.Injection.CredentialTemplate != "" {
		if err := CheckCredentialTemplate(d.Injection.CredentialTemplate); err != nil {
			add("%v", err)
		}
	}
	for _, p := range d.Injection.DirectEnv {
		if p[0] == "" || !slices.Contains([]string{InjectAccessToken, InjectRefreshToken, InjectAPIKey}, p[1]) {
			add("direct_env pair %q", p)
		}
	}
	if !slices.Contains([]string{OwnerOAuthMuxRefresh, OwnerUpstreamCLILogin, OwnerExternalSecretOwner, OwnerManualOnly}, d.Repair.Owner) {
		add("repair owner %q", d.Repair.Owner)
	}
	if !slices.Contains([]string{"", RequireRotated, ReuseSubmittedIfOmited}, d.Repair.RefreshTokenResponse) {
		add("refresh_token_response %q", d.Repair.RefreshTokenResponse)
	}
	if d.Repair.Owner == OwnerUpstreamCLILogin && len(d.Repair.LoginCommand) == 0 {
		add("upstream_cli_login without a login_command")
	}
	seen := map[string]bool{}
	for _, cp := range d.Capabilities {
		for _, n := range append([]string{cp.Name}, cp.Aliases...) {
			if n == "" || strings.ContainsAny(n, ":# ") {
				add("capability name %q", n)
			}
			if seen[n] {
				add("capability name or alias %q used twice", n)
			}
			seen[n] = true
		}
		if cp.Probe == nil {
			// Only where no probe is to be had without spending the very quota the route tracks on
			// a model whose name keeps changing: copilot and gemini learn from exec alone.
			if d.Name != "copilot" && d.Name != "gemini" {
				add("capability %s has no probe", cp.Name)
			}
			continue
		}
		for _, m := range checkProbe(*cp.Probe) {
			add("capability %s: %s", cp.Name, m)
		}
	}
	for i, r := range d.FailureRules {
		if r.Name == "" {
			add("failure_rules[%d] has no name", i)
		}
		if r.Status == nil && r.StatusMin == nil && r.StatusMax == nil && r.RetryAfterGTE == nil &&
			r.RetryAfterLT == nil && r.HintEquals == nil && r.HintContains == nil {
			add("failure_rules[%d] has no matcher", i)
		}
		if r.StatusMin != nil && r.StatusMax != nil && *r.StatusMin > *r.StatusMax {
			add("failure_rules[%d] status range reversed", i)
		}
		if r.HintContains != nil && *r.HintContains == "" {
			add("failure_rules[%d] empty hint_contains matches everything", i)
		}
		if r.Class.Class == "" || !classify.ValidReason(r.Class.Class, r.Class.Reason) && r.Class.Class != classify.ProviderDegraded {
			add("failure_rules[%d] class %v", i, r.Class)
		}
	}
	return bad
}

func checkProbe(p Probe) []string {
	var bad []string
	if p.TimeoutMS == nil || *p.TimeoutMS <= 0 {
		bad = append(bad, "timeout_ms must be set and positive in the catalog")
	}
	if p.SuccessStatusMin != nil && p.SuccessStatusMax != nil && *p.SuccessStatusMin > *p.SuccessStatusMax {
		bad = append(bad, "success status range reversed")
	}
	if !slices.Contains(Budgets, p.Budget) || p.Budget == BudgetInteractive || p.Budget == BudgetMutating {
		bad = append(bad, "budget "+p.Budget)
	}
	if !slices.Contains([]string{"", AuthBearer, AuthAuthorizationHeader, AuthTokenHeader, AuthNone}, p.Auth) {
		bad = append(bad, "auth "+p.Auth)
	}
	if p.Auth == AuthTokenHeader && p.AuthHeader == "" {
		bad = append(bad, "token_header without auth_header")
	}
	var texts []string
	switch p.Transport {
	case "http":
		if !slices.Contains([]string{"", "GET", "POST", "HEAD"}, p.Method) {
			bad = append(bad, "method "+p.Method)
		}
		if p.Body != "" && p.Method != "POST" {
			bad = append(bad, "body without POST")
		}
		if p.Body != "" && !json.Valid([]byte(p.Body)) && p.ContentType == "application/json" {
			bad = append(bad, "body is not JSON")
		}
		// Either an https URL, or one placeholder that stands for a whole URL.
		if !strings.HasPrefix(p.URL, "https://") && !regexp.MustCompile(`^\{\{[A-Za-z0-9_]+\}\}$`).MatchString(p.URL) {
			bad = append(bad, "url "+p.URL)
		}
		if len(p.Command) > 0 {
			bad = append(bad, "http probe with a command")
		}
		texts = append(texts, p.URL, p.Body)
	case "command":
		if len(p.Command) == 0 || p.Command[0] == "" {
			bad = append(bad, "command probe without argv")
		}
		if p.URL != "" || p.Body != "" {
			bad = append(bad, "command probe with url/body")
		}
		texts = append(texts, p.Command...)
	default:
		bad = append(bad, "transport "+p.Transport)
	}
	for _, s := range texts {
		for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
			if !placeholderNameRE.MatchString(m[1]) {
				bad = append(bad, "placeholder "+m[0])
			}
		}
		low := strings.ToLower(s)
		for _, tm := range tokenMaterial {
			if strings.Contains(low, tm) {
				bad = append(bad, "token material "+tm)
			}
		}
	}
	return bad
}

func TestBuiltinsSane(t *testing.T) {
	for _, d := range Builtins() {
		for _, m := range checkDefinition(d) {
			t.Error(m)
		}
		if d.Generic() {
			t.Errorf("%s claims to be generic", d.Name)
		}
	}
}

// TestCheckDefinitionCatches keeps the sanity check honest: a broken definition must fail it.
func TestCheckDefinitionCatches(t *testing.T) {
	d, _ := Builtin("linear")
	d.Capabilities = append(d.Capabilities, Capability{Name: "identity", Probe: &Probe{
		Transport: "http", Method: "GET", Body: "x", URL: "http://x/?access_token=1", Budget: BudgetMutating,
	}})
	d.FailureRules = append(d.FailureRules, classify.HTTPRule{Name: "empty", Class: classify.RuleClass{Class: classify.RateLimited}})
	bad := strings.Join(checkDefinition(d), "\n")
	for _, want := range []string{"used twice", "body without POST", "token material", "budget mutating", "no matcher", "timeout_ms", "url http"} {
		if !strings.Contains(bad, want) {
			t.Errorf("checkDefinition missed %q in:\n%s", want, bad)
		}
	}
}

func intp(i int) *int { return &i }

func mustBuiltin(t *testing.T, name string) Definition {
	t.Helper()
	d, ok := Builtin(name)
	if !ok {
		t.Fatalf("no built-in %q", name)
	}
	return d
}

func probeOf(t *testing.T, d Definition, name string) Probe {
	t.Helper()
	c, ok := d.Capability(name)
	if !ok || c.Probe == nil {
		t.Fatalf("%s has no capability %q with a probe", d.Name, name)
	}
	return *c.Probe
}

// TestBuiltinFacts pins the SPEC §5.2 table.
func TestBuiltinFacts(t *testing.T) {
	codex := mustBuiltin(t, "codex")
	if codex.Credential.AccessTokenPath != "tokens.access_token" || codex.Credential.RefreshTokenPath != "tokens.refresh_token" ||
		codex.Credential.ExpiresFromJWTPath != "tokens.access_token" || codex.Credential.APIKeyPath != "OPENAI_API_KEY" ||
		!codex.Credential.APIKeyMetered {
		t.Errorf("codex credential = %+v", codex.Credential)
	}
	if codex.Injection.ConfigDirEnv != "CODEX_HOME" || codex.CredentialFilename() != "auth.json" ||
		!slices.Contains(codex.Injection.ScrubEnv, "OPENAI_API_KEY") {
		t.Errorf("codex injection = %+v", codex.Injection)
	}
	if codex.Repair.Owner != OwnerUpstreamCLILogin || !slices.Equal(codex.Repair.LoginCommand, []string{"codex", "login", "--device-auth"}) {
		t.Errorf("codex repair = %+v", codex.Repair)
	}
	// The endpoints and public client ids the CLIs refresh with, used only when a shared pool makes
	// oauth-mux the one refresher (the CLIs' own refresh otherwise). Codex: codex-rs login/auth
	// (REFRESH_TOKEN_URL, CLIENT_ID; its refresh answer carries id_token, and auth.json keeps
	// last_refresh), as documented by CodexBar's docs/codex-oauth.md (2025-12). Claude Code: the
	// client id and token URL of its OAuth flow, as third-party clients of it (opencode-anthropic-auth,
	// tokemon) use them (2025-2026). Neither is a public API: a config may override both.
	if codex.Auth.TokenEndpoint != "https://auth.openai.com/oauth/token" || codex.Auth.ClientID != "app_EMoamEEZ73f0CkXaXp7hrann" ||
		codex.Credential.IDTokenPath != "tokens.id_token" || codex.Credential.RefreshedAtPath != "last_refresh" {
		t.Errorf("codex auth = %+v, credential = %+v", codex.Auth, codex.Credential)
	}
	if claude := mustBuiltin(t, "claude"); claude.Auth.TokenEndpoint != "https://console.anthropic.com/v1/oauth/token" ||
		claude.Auth.ClientID != "9d1c250a-e61b-44d9-88ed-5944d1962f5e" || claude.Repair.Owner != OwnerUpstreamCLILogin {
		t.Errorf("claude auth = %+v", claude.Auth)
	}
	if codex.DefaultCapability() != "codex-max" {
		t.Errorf("codex default capability = %q", codex.DefaultCapability())
	}
	for _, name := range []string{"codex-max", "codex-mini"} {
		p := probeOf(t, codex, name)
		argv := strings.Join(p.Command, " ")
		if p.Transport != "command" || *p.TimeoutMS != 120000 || p.Budget != BudgetSpendProvider ||
			!strings.HasPrefix(argv, "codex exec --json --ephemeral") || !strings.Contains(argv, " -m ") ||
			p.Command[len(p.Command)-1] != "Reply exactly: OMUX_CODEX_PROBE" {
			t.Errorf("codex %s probe = %+v", name, p)
		}
	}

	claude := mustBuiltin(t, "claude")
	if claude.Credential.WrapperKey != "claudeAiOauth" || claude.Credential.ExpiresAtUnit != UnitMilliseconds ||
		claude.Credential.AccessTokenPath != "accessToken" || claude.Credential.RefreshTokenPath != "refreshToken" {
		t.Errorf("claude credential = %+v", claude.Credential)
	}
	if claude.Injection.ConfigDirEnv != "CLAUDE_CONFIG_DIR" || claude.CredentialFilename() != ".credentials.json" {
		t.Errorf("claude injection = %+v", claude.Injection)
	}
	for _, v := range []string{"ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"} {
		if !slices.Contains(claude.Injection.ScrubEnv, v) {
			t.Errorf("claude does not scrub %s", v)
		}
	}
	if p := probeOf(t, claude, "auth-status"); strings.Join(p.Command, " ") != "claude auth status --json" ||
		*p.TimeoutMS != 30000 || p.Budget != BudgetFreeCommand {
		t.Errorf("claude auth-status = %+v", p)
	}
	if !slices.Equal(claude.Repair.LoginCommand, []string{"claude", "/login"}) {
		t.Errorf("claude login = %v", claude.Repair.LoginCommand)
	}

	gh := mustBuiltin(t, "github")
	if !slices.Equal(gh.Injection.DirectEnv, [][2]string{{"GH_TOKEN", "access_token"}, {"GITHUB_TOKEN", "access_token"}}) {
		t.Errorf("github direct_env = %v", gh.Injection.DirectEnv)
	}
	if p := probeOf(t, gh, "identity"); p.URL != "https://api.github.com/user" || p.HintHeader != "x-ratelimit-remaining" ||
		p.Budget != BudgetCheapProvider {
		t.Errorf("github identity = %+v", p)
	}
	if gh.Repair.Owner != OwnerExternalSecretOwner || !slices.Contains(gh.Detection.BinaryNames, "gh") {
		t.Errorf("github repair/detection = %+v %+v", gh.Repair, gh.Detection)
	}

	linear := mustBuiltin(t, "linear")
	if linear.Auth.TokenEndpoint != "https://api.linear.app/oauth/token" || linear.Repair.Owner != OwnerOAuthMuxRefresh {
		t.Errorf("linear auth/repair = %+v %+v", linear.Auth, linear.Repair)
	}
	for _, name := range []string{"identity", "identity-api-key"} {
		p := probeOf(t, linear, name)
		if p.Method != "POST" || p.URL != "https://api.linear.app/graphql" || !p.HintBody ||
			p.Body != `{"query":"query Me { viewer { id name email } }"}` {
			t.Errorf("linear %s = %+v", name, p)
		}
	}
	if probeOf(t, linear, "identity-api-key").Auth != AuthAuthorizationHeader || probeOf(t, linear, "identity").Auth != AuthBearer {
		t.Error("linear probe auth modes")
	}

	if p := probeOf(t, mustBuiltin(t, "vercel"), "identity"); p.URL != "https://api.vercel.com/v2/user" {
		t.Errorf("vercel identity = %+v", p)
	}
	figma := mustBuiltin(t, "figma")
	if figma.Auth.TokenEndpoint != "https://api.figma.com/v1/oauth/token" {
		t.Errorf("figma token endpoint %q", figma.Auth.TokenEndpoint)
	}
	if p := probeOf(t, figma, "identity-pat"); p.Auth != AuthTokenHeader || p.AuthHeader != "X-Figma-Token" {
		t.Errorf("figma identity-pat = %+v", p)
	}
	if p := probeOf(t, figma, "file-metadata-plan"); p.URL != "https://api.figma.com/v1/files/{{OMUX_FIGMA_PLAN_FILE_KEY}}/meta" {
		t.Errorf("figma plan = %+v", p)
	}
	if p := probeOf(t, mustBuiltin(t, "flakehub"), "status"); strings.Join(p.Command, " ") != "determinate-nixd status" || p.Budget != BudgetFreeCommand {
		t.Errorf("flakehub status = %+v", p)
	}
	mcp := mustBuiltin(t, "mcp")
	if p := probeOf(t, mcp, "resource-metadata"); p.Auth != AuthNone || p.URL != "{{OMUX_MCP_RESOURCE_METADATA_URL}}" {
		t.Errorf("mcp resource-metadata = %+v", p)
	}
	if p := probeOf(t, mcp, "resource"); p.Auth != AuthBearer || p.HintHeader != "www-authenticate" {
		t.Errorf("mcp resource = %+v", p)
	}
	gemini := mustBuiltin(t, "gemini")
	if gemini.Injection.ConfigDirEnv != "GEMINI_CLI_HOME" || !strings.HasSuffix(gemini.CredentialFilename(), "oauth_creds.json") ||
		len(gemini.Capabilities) != 2 || gemini.DefaultCapability() != "gemini-pro" || !gemini.Credential.APIKeyMetered {
		t.Errorf("gemini = %+v", gemini)
	}
	copilot := mustBuiltin(t, "copilot")
	if copilot.Injection.ConfigDirEnv != "COPILOT_HOME" || copilot.DefaultCapability() != "copilot-premium" ||
		len(copilot.Injection.DirectEnv) != 1 || copilot.Injection.DirectEnv[0] != [2]string{"COPILOT_GITHUB_TOKEN", "access_token"} {
		t.Errorf("copilot = %+v", copilot)
	}
	want := map[string][]string{"codex": {"codex"}, "claude": {"claude"}, "github": {"gh"}, "vercel": {"vercel"},
		"flakehub": {"determinate-nixd"}, "gemini": {"gemini"}, "copilot": {"copilot"}}
	for name, bins := range want {
		if got := mustBuiltin(t, name).Detection.BinaryNames; !slices.Equal(got, bins) {
			t.Errorf("%s binary_names = %v, want %v", name, got, bins)
		}
	}
	envs := map[string]string{"linear": "LINEAR_ACCESS_TOKEN", "vercel": "VERCEL_TOKEN", "figma": "FIGMA_ACCESS_TOKEN", "mcp": "MCP_TOKEN"}
	for name, env := range envs {
		if got := mustBuiltin(t, name).Injection.DirectEnv; !slices.Equal(got, [][2]string{{env, InjectAccessToken}}) {
			t.Errorf("%s direct_env = %v", name, got)
		}
	}
}

// ruleFor returns the first rule of d that matches status and hint, a stand-in for classify.Judge's
// provider-rule pass so the catalog's rules can be tested without the judge.
func ruleFor(d Definition, status int, hint string) *classify.HTTPRule {
	for _, r := range d.FailureRules {
		if r.Status != nil && *r.Status != status ||
			r.StatusMin != nil && status < *r.StatusMin || r.StatusMax != nil && status > *r.StatusMax ||
			r.HintEquals != nil && hint != *r.HintEquals ||
			r.HintContains != nil && !strings.Contains(hint, *r.HintContains) {
			continue
		}
		return &r
	}
	return nil
}

func TestBuiltinFailureRules(t *testing.T) {
	cases := []struct {
		provider string
		status   int
		hint     string
		want     classify.RuleClass // zero: no provider rule (the generic table decides)
	}{
		{"github", 403, "0", classify.RuleClass{Class: classify.RateLimited}},
		{"github", 403, "4999", classify.RuleClass{}},
		{"github", 200, "0", classify.RuleClass{}},
		{"linear", 200, `{"errors":[{"message":"Cannot query field"}]}`, classify.RuleClass{Class: classify.Degraded, Reason: classify.SchemaInvalid}},
		{"linear", 200, `{"data":{"viewer":{"id":"x"}}}`, classify.RuleClass{}},
		{"linear", 400, `{"errors":[{"extensions":{"code":"RATELIMITED"}}]}`, classify.RuleClass{Class: classify.RateLimited}},
		{"linear", 400, `{"errors":[{"extensions":{"code":"AUTHENTICATION_ERROR"}}]}`, classify.RuleClass{Class: classify.Dead, Reason: classify.TokenRevoked}},
		{"claude", 0, `{"loggedIn": false, "authMethod": "none"}`, classify.RuleClass{Class: classify.Dead, Reason: classify.AuthPermanentlyFailed}},
		{"claude", 0, `{"loggedIn":false}`, classify.RuleClass{Class: classify.Dead, Reason: classify.AuthPermanentlyFailed}},
		{"claude", 0, `{"loggedIn": true}`, classify.RuleClass{}},
		{"mcp", 401, `Bearer error="invalid_target"`, classify.RuleClass{Class: classify.Degraded, Reason: classify.AudienceMismatch}},
		{"mcp", 401, `Bearer error="invalid_token", error_description="wrong audience"`, classify.RuleClass{Class: classify.Degraded, Reason: classify.AudienceMismatch}},
		{"mcp", 403, `Bearer error="insufficient_scope", scope="files:read"`, classify.RuleClass{Class: classify.Degraded, Reason: classify.ScopeInsufficient}},
		{"mcp", 401, `Bearer error="step_up_required"`, classify.RuleClass{Class: classify.Degraded, Reason: classify.StepUpRequired}},
		{"mcp", 401, `Bearer error="insufficient_user_authentication"`, classify.RuleClass{Class: classify.Degraded, Reason: classify.StepUpRequired}},
		{"mcp", 403, `Bearer error="authorization_pending"`, classify.RuleClass{Class: classify.Degraded, Reason: classify.PendingVerification}},
		{"mcp", 200, `Bearer error="insufficient_scope"`, classify.RuleClass{}},
		{"figma", 403, `{"status":403,"err":"Invalid token"}`, classify.RuleClass{Class: classify.Dead, Reason: classify.TokenRevoked}},
	}
	for _, tc := range cases {
		r := ruleFor(mustBuiltin(t, tc.provider), tc.status, tc.hint)
		var got classify.RuleClass
		if r != nil {
			got = r.Class
		}
		if got != tc.want {
			t.Errorf("%s %d %q: got %+v, want %+v", tc.provider, tc.status, tc.hint, got, tc.want)
		}
	}
}

// mutateAll changes every string, number, bool and slice element reachable from v (a pointer).
func mutateAll(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			mutateAll(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Field(i).CanSet() {
				mutateAll(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			mutateAll(v.Index(i))
		}
	case reflect.String:
		v.SetString(v.String() + "-MUTATED")
	case reflect.Int, reflect.Int64:
		v.SetInt(v.Int() + 7)
	case reflect.Bool:
		v.SetBool(!v.Bool())
	}
}

func snapshot(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBuiltinDeepCopy(t *testing.T) {
	before := snapshot(t, Builtins())
	for _, d := range Builtins() {
		mutateAll(reflect.ValueOf(&d))
	}
	for _, name := range wantBuiltins {
		d, _ := Builtin(name)
		mutateAll(reflect.ValueOf(&d))
		if c, ok := d.Capability(d.DefaultCapability()); ok {
			mutateAll(reflect.ValueOf(&c))
		}
	}
	cat := NewCatalog(nil)
	for _, name := range cat.Names() {
		d, _ := cat.Lookup(name)
		mutateAll(reflect.ValueOf(&d))
		r := cat.Resolve(name, "")
		mutateAll(reflect.ValueOf(&r))
	}
	if after := snapshot(t, Builtins()); after != before {
		t.Fatal("mutating copies changed the catalog")
	}
	if got := snapshot(t, mustCatalogLookup(t, NewCatalog(nil), "codex")); got != snapshot(t, mustBuiltin(t, "codex")) {
		t.Fatal("a fresh catalog differs from the built-in")
	}
}

func mustCatalogLookup(t *testing.T, c *Catalog, name string) Definition {
	t.Helper()
	d, ok := c.Lookup(name)
	if !ok {
		t.Fatalf("Lookup(%q) failed", name)
	}
	return d
}

func TestCapabilityLookup(t *testing.T) {
	codex := mustBuiltin(t, "codex")
	if c, ok := codex.Capability("mini"); !ok || c.Name != "codex-mini" {
		t.Errorf("alias lookup = %+v %v", c, ok)
	}
	if c, ok := codex.Capability("codex-max"); !ok || c.Name != "codex-max" {
		t.Errorf("name lookup = %+v %v", c, ok)
	}
	if _, ok := codex.Capability(""); ok {
		t.Error("empty name found a capability")
	}
	if _, ok := codex.Capability("identity"); ok {
		t.Error("codex has no identity capability")
	}
	// A name beats an alias of an earlier capability.
	d := Definition{Capabilities: []Capability{{Name: "a", Aliases: []string{"b"}}, {Name: "b"}}}
	if c, _ := d.Capability("b"); c.Name != "b" {
		t.Errorf("name should win over alias, got %q", c.Name)
	}
}

func TestGenericDefinition(t *testing.T) {
	g := GenericDefinition()
	if !g.Generic() || g.Credential.AccessTokenPath != "access_token" || g.Credential.RefreshTokenPath != "refresh_token" {
		t.Fatalf("generic = %+v", g)
	}
	if g.Injection.ConfigDirEnv != "" || len(g.Injection.DirectEnv) != 0 || len(g.Injection.ScrubEnv) != 0 {
		t.Fatalf("generic must inject nothing: %+v", g.Injection)
	}
}

func TestBuiltinOutputPacks(t *testing.T) {
	for _, name := range []string{"codex", "claude", "copilot", "gemini", "github"} {
		d := mustBuiltin(t, name)
		pack := classify.Pack(name)
		if len(pack) == 0 || !reflect.DeepEqual(d.OutputRules, pack) {
			t.Errorf("%s output rules (%d) are not classify.Pack(%q) (%d)", name, len(d.OutputRules), name, len(pack))
		}
	}
	for _, name := range []string{"linear", "mcp"} {
		if d := mustBuiltin(t, name); len(d.OutputRules) != 0 {
			t.Errorf("%s has output rules", name)
		}
	}
	// Output rules are deep-copied too.
	d := mustBuiltin(t, "github")
	for i := range d.OutputRules {
		for j := range d.OutputRules[i].ExitCodes {
			d.OutputRules[i].ExitCodes[j] = -1
		}
	}
	if reflect.DeepEqual(mustBuiltin(t, "github").OutputRules, d.OutputRules) {
		t.Error("output rule exit codes shared with the catalog")
	}
}

func TestBatch(t *testing.T) {
	for _, c := range []struct {
		provider string
		argv     []string
		want     bool
	}{
		{"codex", []string{"codex", "exec", "fix the tests"}, true},
		{"codex", []string{"codex", "-m", "gpt-5.5", "exec", "x"}, true},
		{"codex", []string{"codex"}, false},
		{"codex", []string{"codex", "please exec the tests"}, false},
		{"claude", []string{"claude", "-p", "hi", "--output-format", "json"}, true},
		{"claude", []string{"claude", "--print=hi"}, true},
		{"claude", []string{"claude"}, false},
		{"gemini", []string{"gemini", "--prompt", "x"}, true},
		{"copilot", []string{"copilot"}, false},
		{"github", []string{"gh", "pr", "create"}, true},
		{"linear", []string{"linear"}, false},
	} {
		if got := mustBuiltin(t, c.provider).Batch(c.argv); got != c.want {
			t.Errorf("%s %q: batch %v, want %v", c.provider, c.argv, got, c.want)
		}
	}
}
