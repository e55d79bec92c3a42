// Package providers owns what oauth-mux knows about each provider (SPEC §5): the definition types, the
// built-in catalog shipped as embedded data, merging a config's provider_definitions over a built-in,
// resolving an account's definition, parsing credentials (JSON paths, JWT exp, units), and running a
// capability probe with a token it is given.
//
// It must not read secrets, touch the state dir or decide about failover: callers hand it tokens and
// take back evidence and verdicts.
package providers

import "strings"

import "github.com/oauth-mux/oauth-mux/classify"

// Definition describes one provider (SPEC §5.1). JSON field names are the config's.
type Definition struct {
	Name         string                `json:"name,omitempty"`
	DisplayName  string                `json:"display_name,omitempty"`
	Auth         Auth                  `json:"auth,omitzero"`
	Credential   Credential            `json:"credential,omitzero"`
	Injection    Injection             `json:"injection,omitzero"`
	Detection    Detection             `json:"detection,omitzero"`
	Runtime      Runtime               `json:"runtime,omitzero"`
	Repair       Repair                `json:"repair,omitzero"`
	Capabilities []Capability          `json:"capabilities,omitempty"`
	FailureRules []classify.HTTPRule   `json:"failure_rules,omitempty"`
	OutputRules  []classify.OutputRule `json:"output_rules,omitempty"`
}

// Auth holds the OAuth endpoints used for refresh and login.
type Auth struct {
	TokenEndpoint               string   `json:"token_endpoint,omitempty"`
	AuthorizationEndpoint       string   `json:"authorization_endpoint,omitempty"`
	DeviceAuthorizationEndpoint string   `json:"device_authorization_endpoint,omitempty"`
	ClientID                    string   `json:"client_id,omitempty"`
	Scopes                      []string `json:"scopes,omitempty"`
}

// Expiry units.
const (
	UnitSeconds      = "seconds"
	UnitMilliseconds = "milliseconds"
)

// Token types.
const (
	TokenBearer = "bearer"
	TokenAPIKey = "api_key"
)

// Credential says where the tokens sit in the credential JSON. Paths are dot-separated.
type Credential struct {
	AccessTokenPath    string `json:"access_token_path,omitempty"`  // default "access_token"
	RefreshTokenPath   string `json:"refresh_token_path,omitempty"` // default "refresh_token"
	ExpiresAtPath      string `json:"expires_at_path,omitempty"`
	ExpiresAtUnit      string `json:"expires_at_unit,omitempty"` // seconds (default) | milliseconds
	ExpiresInPath      string `json:"expires_in_path,omitempty"`
	ExpiresFromJWTPath string `json:"expires_from_jwt_path,omitempty"`
	// IDTokenPath and RefreshedAtPath are where a refresh stores the answer's id_token and the
	// instant of the refresh (RFC 3339), for a CLI that reads them (Codex's tokens.id_token and
	// last_refresh); empty paths are left alone.
	IDTokenPath     string `json:"id_token_path,omitempty"`
	RefreshedAtPath string `json:"refreshed_at_path,omitempty"`
	APIKeyPath      string `json:"api_key_path,omitempty"`
	WrapperKey      string `json:"wrapper_key,omitempty"`
	TokenType       string `json:"token_type,omitempty"` // bearer (default) | api_key
	// APIKeyMetered says an API key of this provider bills per use (Codex's OPENAI_API_KEY), so a
	// credential parsed as an API key is Metered and falls under the spend guard (SPEC §5.4). It is
	// catalog data rather than a guess from the key's shape.
	APIKeyMetered bool `json:"api_key_metered,omitempty"`
}

// Token kinds a direct_env pair can inject.
const (
	InjectAccessToken  = "access_token"
	InjectRefreshToken = "refresh_token"
	// InjectAPIKey sets the access token only when the credential is an API key. Codex needs
	// OPENAI_API_KEY in API-key mode and must not see a stray one in subscription mode: the variable is
	// scrubbed, and this pair puts it back for API-key accounts only.
	InjectAPIKey = "api_key"
)

// Injection says how a credential reaches the child.
type Injection struct {
	ConfigDirEnv       string      `json:"config_dir_env,omitempty"`
	CredentialFilename string      `json:"credential_filename,omitempty"` // default "credentials.json"
	CredentialTemplate string      `json:"credential_template,omitempty"`
	DirectEnv          [][2]string `json:"direct_env,omitempty"` // [ENV, access_token|refresh_token|api_key]
	ScrubEnv           []string    `json:"scrub_env,omitempty"`
}

// Detection names the binaries and env markers that reveal a provider on this machine.
type Detection struct {
	BinaryNames []string `json:"binary_names,omitempty"`
	EnvMarkers  []string `json:"env_markers,omitempty"`
	// BatchArgs are the arguments that put the CLI in print mode (`codex exec`, `claude -p`): it
	// prints and exits, so a run with one of them is judged at its exit and never stopped while it
	// runs, even from a terminal. "*" means every run is (gh). A flag also counts as "-p=…".
	BatchArgs []string `json:"batch_args,omitempty"`
}

// Batch reports whether argv (the program and its arguments) runs the CLI in print mode.
func (d Definition) Batch(argv []string) bool {
	for _, b := range d.Detection.BatchArgs {
		if b == "*" {
			return true
		}
		for _, a := range argv[min(1, len(argv)):] {
			if a == b || strings.HasPrefix(b, "-") && strings.HasPrefix(a, b+"=") {
				return true
			}
		}
	}
	return false
}

// Runtime lists what the provider's CLI needs locally.
type Runtime struct {
	RequiredBinaries []string `json:"required_binaries,omitempty"`
	EnvVars          []string `json:"env_vars,omitempty"`
	WritablePaths    []string `json:"writable_paths,omitempty"`
	SessionPaths     []string `json:"session_paths,omitempty"`
}

// Repair owners.
const (
	OwnerOAuthMuxRefresh     = "oauth_mux_refresh"
	OwnerUpstreamCLILogin    = "upstream_cli_login"
	OwnerExternalSecretOwner = "external_secret_owner"
	OwnerManualOnly          = "manual_only"
)

// Refresh token response handling.
const (
	RequireRotated         = "require_rotated"
	ReuseSubmittedIfOmited = "reuse_submitted_if_omitted"
)

// Repair says who repairs a broken credential and how.
type Repair struct {
	Owner                string   `json:"owner,omitempty"`
	LoginCommand         []string `json:"login_command,omitempty"`
	RefreshTokenResponse string   `json:"refresh_token_response,omitempty"`
}

// Capability is one thing an account can do, optionally with a probe.
type Capability struct {
	Name    string   `json:"name"`
	Aliases []string `json:"aliases,omitempty"`
	Probe   *Probe   `json:"probe,omitempty"`
}

// Budgets (SPEC §9).
const (
	BudgetFreeLocal     = "free_local"
	BudgetFreeCommand   = "free_command"
	BudgetCheapProvider = "cheap_provider"
	BudgetSpendProvider = "spend_provider"
	BudgetInteractive   = "interactive"
	BudgetMutating      = "mutating"
)

// Budgets lists every budget in order of cost.
var Budgets = []string{BudgetFreeLocal, BudgetFreeCommand, BudgetCheapProvider, BudgetSpendProvider,
	BudgetInteractive, BudgetMutating}

// Probe auth modes.
const (
	AuthBearer              = "bearer"
	AuthAuthorizationHeader = "authorization_header"
	AuthTokenHeader         = "token_header"
	AuthNone                = "none"
)

// Probe is a capability check (SPEC §5.1). Zero numeric fields take the defaults noted.
type Probe struct {
	Transport        string   `json:"transport"`        // http | command
	Method           string   `json:"method,omitempty"` // GET (default) | POST | HEAD
	URL              string   `json:"url,omitempty"`
	Body             string   `json:"body,omitempty"`
	ContentType      string   `json:"content_type,omitempty"`
	Command          []string `json:"command,omitempty"`
	Auth             string   `json:"auth,omitempty"` // bearer (default) | authorization_header | token_header | none
	AuthHeader       string   `json:"auth_header,omitempty"`
	TimeoutMS        *int     `json:"timeout_ms,omitempty"`         // default 30000
	SuccessStatusMin *int     `json:"success_status_min,omitempty"` // default 200
	SuccessStatusMax *int     `json:"success_status_max,omitempty"` // default 299
	HintHeader       string   `json:"hint_header,omitempty"`
	HintBody         bool     `json:"hint_body,omitempty"`
	Budget           string   `json:"budget,omitempty"`
	// Tests is what a success of the probe proves (ProbeTestsQuota, ProbeTestsLogin; "" is login).
	Tests string `json:"tests,omitempty"`
}

// What a probe tests. A success clears only what it tested: a quota probe (a real request of the
// capability, spending its quota) ends a rate-limit or quota window at once; a login probe (`claude
// auth status`, GET /user) proves the login and leaves every window in place, since a false or stale
// limit notice is corrected only by a request that would have hit the limit.
const (
	ProbeTestsQuota = "quota"
	ProbeTestsLogin = "login"
)

// ProbeTests lists the values of Probe.Tests.
var ProbeTests = []string{ProbeTestsQuota, ProbeTestsLogin}

// TestsQuota reports whether a success of the probe proves the capability's quota.
func (p Probe) TestsQuota() bool { return p.Tests == ProbeTestsQuota }
