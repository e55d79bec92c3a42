package providers

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/oauth-mux/oauth-mux/classify"
)

// The built-in catalog is data, one file per provider, so that a reviewer can compare it with the
// SPEC §5.2 table and a user can copy a file into provider_definitions as a starting point.
//
// Choices that JSON cannot explain itself:
//   - codex probes pass --skip-git-repo-check: a probe runs in whatever directory oauth-mux was started
//     in, and `codex exec` refuses to run outside a trusted git repository without it. The models are
//     the current frontier and mini models of developers.openai.com/codex/models (gpt-5.5,
//     gpt-5.4-mini); a config can override a capability's probe when they change.
//   - codex scrubs OPENAI_API_KEY and CODEX_API_KEY so a subscription account is not silently billed
//     through a key the parent shell happens to export; the direct_env pair of kind "api_key" puts
//     OPENAI_API_KEY back for API-key accounts only (see Definition.Env).
//   - claude also scrubs CLAUDE_CODE_OAUTH_TOKEN: Claude Code prefers that variable over the
//     credentials in CLAUDE_CONFIG_DIR, so an inherited one would pin every account to one login.
//   - claude "loggedIn": false is dead(auth_permanently_failed), not token_revoked: `claude auth
//     status` says only that no usable login exists in that config dir (never logged in, logged out,
//     or revoked), and the one honest account-level reason for "the login is gone" is that one. Two
//     rules cover the spaced and compact JSON spellings because rules match literally.
//   - linear answers GraphQL errors with HTTP 200. An authenticated 200 whose body holds "errors"
//     means the probe's query was not answered as written, which is schema_invalid: the route is
//     suspect, the account is not (unknown_4xx would misname a 200, tier_insufficient would claim a
//     plan problem the body does not show). RATELIMITED and AUTHENTICATION_ERROR codes are matched
//     first because Linear reports both inside a GraphQL error body too.
//   - mcp rules are limited to 4xx because the hint is the WWW-Authenticate header, which a 2xx never
//     needs; insufficient_scope precedes the loose "audience" match so an error_description that
//     mentions an audience cannot hide a scope problem. RFC 9470's insufficient_user_authentication is
//     the standard spelling of step-up.
//   - figma answers a bad token with 403 "Invalid token", which the generic table would call
//     tier_insufficient.
//   - gemini keeps oauth_creds.json in $GEMINI_CLI_HOME/.gemini/ (gemini-cli's homedir() honours
//     GEMINI_CLI_HOME since v0.25.0 and appends .gemini), hence the relative credential_filename. An
//     API-key account ({"GEMINI_API_KEY": …} or a raw key) gets GEMINI_API_KEY and is metered; an
//     inherited key is scrubbed, since GEMINI_API_KEY would otherwise bill every run. Its daily quotas
//     are per model, so its capabilities are the model families (gemini-pro, gemini-flash).
//   - copilot (GitHub Copilot CLI) reads COPILOT_GITHUB_TOKEN before GH_TOKEN and GITHUB_TOKEN and
//     before its stored login, and keeps its state in COPILOT_HOME. A premium-request quota spent
//     leaves the models included in the plan usable, hence copilot-premium and copilot-included. The
//     token is the account's secret (a raw gho_ / github_pat_ token, or {"oauth_token": …}); Copilot
//     refuses classic ghp_ tokens.
//   - required_binaries lists what a capability probe or the repair command runs; github, vercel,
//     linear, figma and mcp are probed over HTTP and work with any client, so they require nothing.
//
//go:embed catalog/*.json
var catalogFS embed.FS

// GenericName is the name of the definition an account falls back to when neither its provider's
// name nor its kind names a definition (SPEC §5.1).
const GenericName = "generic"

// The output rule packs for supervised children live in classify (the output vocabulary is
// classify's) and are joined to the catalog here, by provider name, at load time: codex, claude,
// copilot, gemini and github have packs (SPEC §5.4); classify.Pack returns nil for the others.
//
// Each file is decoded the first time its definition is asked for: a run that uses one provider
// decodes one file. Decoding the whole catalog up front (reflection over every definition, in a fresh
// process) was ~3% of a cold `oauth-mux exec`'s CPU, for eight definitions it never looked at.
var builtinFiles = sync.OnceValues(func() (map[string]func() (Definition, error), error) {
	entries, err := catalogFS.ReadDir("catalog")
	if err != nil {
		return nil, err
	}
	files := make(map[string]func() (Definition, error), len(entries))
	for _, e := range entries {
		file := e.Name()
		files[strings.TrimSuffix(file, path.Ext(file))] = sync.OnceValues(func() (Definition, error) { return decodeBuiltin(file) })
	}
	return files, nil
})

func decodeBuiltin(file string) (Definition, error) {
	data, err := catalogFS.ReadFile("catalog/" + file)
	if err != nil {
		return Definition{}, err
	}
	// Strict decoding: a misspelt key in the catalog would otherwise vanish silently.
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var d Definition
	if err := dec.Decode(&d); err != nil {
		return Definition{}, fmt.Errorf("catalog/%s: %w", file, err)
	}
	if want := strings.TrimSuffix(file, path.Ext(file)); d.Name != want {
		return Definition{}, fmt.Errorf("catalog/%s: name %q does not match the file name", file, d.Name)
	}
	d.OutputRules = append(d.OutputRules, classify.Pack(d.Name)...)
	return d, nil
}

// builtin returns the shared decoded built-in called name: callers clone it before handing it out.
func builtin(name string) (Definition, bool) {
	files, err := builtinFiles()
	if err != nil {
		// The catalog is compiled in and covered by tests: a failure here is a build defect.
		panic("providers: built-in catalog: " + err.Error())
	}
	load, ok := files[name]
	if !ok {
		return Definition{}, false
	}
	d, err := load()
	if err != nil {
		panic("providers: built-in catalog: " + err.Error())
	}
	return d, true
}

// isBuiltin reports whether a built-in is called name, without decoding it.
func isBuiltin(name string) bool {
	files, err := builtinFiles()
	if err != nil {
		panic("providers: built-in catalog: " + err.Error())
	}
	_, ok := files[name]
	return ok
}

// builtins decodes every built-in definition (shared: callers clone).
func builtins() map[string]Definition {
	names := BuiltinNames()
	defs := make(map[string]Definition, len(names))
	for _, n := range names {
		defs[n], _ = builtin(n)
	}
	return defs
}

// Builtins returns deep copies of the built-in definitions, sorted by name.
func Builtins() []Definition {
	defs := builtins()
	out := make([]Definition, 0, len(defs))
	for _, d := range defs {
		out = append(out, d.Clone())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Builtin returns a deep copy of the built-in definition called name.
func Builtin(name string) (Definition, bool) {
	d, ok := builtin(name)
	if !ok {
		return Definition{}, false
	}
	return d.Clone(), true
}

// BuiltinNames lists the built-in provider names, sorted.
func BuiltinNames() []string {
	files, err := builtinFiles()
	if err != nil {
		panic("providers: built-in catalog: " + err.Error())
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// GenericDefinition is the fallback definition: tokens at access_token / refresh_token, expiry at
// expires_at or expires_in, nothing injected but the OMUX_ACTIVE_* markers callers always set, and no
// one who can repair it but the user.
func GenericDefinition() Definition {
	return Definition{
		Name:        GenericName,
		DisplayName: "Generic OAuth credential",
		Credential: Credential{
			AccessTokenPath:  "access_token",
			RefreshTokenPath: "refresh_token",
			ExpiresAtPath:    "expires_at",
			ExpiresInPath:    "expires_in",
			TokenType:        TokenBearer,
		},
		Repair: Repair{Owner: OwnerManualOnly},
	}
}

// Generic reports whether d is the generic fallback definition (possibly with a config's
// "generic" definition merged over it).
func (d Definition) Generic() bool { return d.Name == GenericName }

// Catalog resolves definitions: the built-ins with a config's provider_definitions merged over them.
type Catalog struct {
	// defs are the config's definitions, each merged over the built-in of its name if there is one;
	// a built-in the config does not mention is read from the shared decoded catalog when asked for.
	defs    map[string]Definition
	generic Definition
}

// NewCatalog builds a catalog from the built-ins and a config's provider_definitions. A definition
// whose key names a built-in is merged over it; a new key stands alone, named by its key (the key wins
// over a different "name" inside the definition, because the config refers to it by the key).
func NewCatalog(configDefs map[string]Definition) *Catalog {
	c := &Catalog{defs: make(map[string]Definition, len(configDefs)), generic: GenericDefinition()}
	for name, over := range configDefs {
		var d Definition
		switch base, ok := builtin(name); {
		case ok:
			d = Merge(base.Clone(), over)
		case name == GenericName:
			d = Merge(c.generic, over)
			c.generic = d.Clone()
		default:
			d = over.Clone()
		}
		d.Name = name
		c.defs[name] = d
	}
	return c
}

// Lookup returns a deep copy of the definition called name (built-in, merged, or config-only).
func (c *Catalog) Lookup(name string) (Definition, bool) {
	d, ok := c.defs[name]
	if !ok {
		if d, ok = builtin(name); !ok {
			return Definition{}, false
		}
	}
	return d.Clone(), true
}

// Resolve finds an account's definition by its provider's name, then its kind, then the generic one.
// The result is a deep copy; its Name is the definition's, not the provider's.
func (c *Catalog) Resolve(providerName, kind string) Definition {
	if d, ok := c.Lookup(providerName); ok {
		return d
	}
	if kind != "" {
		if d, ok := c.Lookup(kind); ok {
			return d
		}
	}
	return c.generic.Clone()
}

// Names lists every definition name, sorted. The generic fallback is listed only when the config
// defines "generic" itself.
func (c *Catalog) Names() []string {
	names := BuiltinNames()
	for n := range c.defs {
		if !isBuiltin(n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}
