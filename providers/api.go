package providers

import "time"

// This file is the contract other packages build against. The providers helper replaces the stub
// bodies with the real implementation (it may move them to other files, keeping the signatures).

// Builtins returns deep copies of the built-in definitions, sorted by name.
func Builtins() []Definition { return nil }

// Builtin returns a deep copy of the built-in definition called name.
func Builtin(name string) (Definition, bool) { return Definition{}, false }

// Merge lays over on top of base (SPEC §5.1): scalars replace, capabilities merge by name, over's rules
// are judged before base's.
func Merge(base, over Definition) Definition { return base }

// Catalog resolves definitions: the built-ins with a config's provider_definitions merged over them.
type Catalog struct {
	defs map[string]Definition
}

// NewCatalog builds a catalog from the built-ins and a config's provider_definitions.
func NewCatalog(configDefs map[string]Definition) *Catalog { return &Catalog{} }

// Lookup returns the definition called name (built-in, merged, or config-only).
func (c *Catalog) Lookup(name string) (Definition, bool) { d, ok := c.defs[name]; return d, ok }

// Resolve finds an account's definition by its provider's name, then its kind, then the generic one.
func (c *Catalog) Resolve(providerName, kind string) Definition { return Definition{} }

// Names lists every definition name, sorted.
func (c *Catalog) Names() []string { return nil }

// Capability finds a capability by name or alias.
func (d Definition) Capability(name string) (Capability, bool) { return Capability{}, false }

// DefaultCapability is the first capability's name, or "" when the provider has none.
func (d Definition) DefaultCapability() string { return "" }

// Token is a parsed credential. It must never be printed or logged.
type Token struct {
	AccessToken  string
	RefreshToken string
	ExpiresAt    *time.Time // nil when unknown
	APIKey       bool       // the secret is an API key (raw, api_key_path, or token_type api_key)
	Metered      bool       // an API key that bills per use (Codex OPENAI_API_KEY)
}

// ParseCredential reads a credential as the definition describes it. modTime anchors expires_in.
func ParseCredential(def Definition, raw []byte, modTime time.Time) (Token, error) {
	return Token{}, nil
}
