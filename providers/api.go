package providers

import "time"

// This file holds the contract other packages build against; the catalog lives in catalog.go,
// merging in merge.go, credential parsing in credential.go.

// Merge lays over on top of base (SPEC §5.1): scalars of over replace base's when set; lists of
// values (scopes, env names, binaries, argv) are replaced by over's when over's is non-empty;
// capabilities merge by name (an over capability whose name is a base capability's name or alias is
// merged into it, new ones are appended in over's order); over's failure and output rules are judged
// before base's. Neither argument is modified and the result shares no memory with them.
func Merge(base, over Definition) Definition { return merge(base, over) }

// Capability finds a capability by name, then by alias. The result is a deep copy.
func (d Definition) Capability(name string) (Capability, bool) {
	if name == "" {
		return Capability{}, false
	}
	for _, c := range d.Capabilities {
		if c.Name == name {
			return c.clone(), true
		}
	}
	for _, c := range d.Capabilities {
		for _, a := range c.Aliases {
			if a == name {
				return c.clone(), true
			}
		}
	}
	return Capability{}, false
}

// DefaultCapability is the first capability's name, or "" when the provider has none.
func (d Definition) DefaultCapability() string {
	if len(d.Capabilities) == 0 {
		return ""
	}
	return d.Capabilities[0].Name
}

// Token is a parsed credential. It must never be printed or logged: String and GoString redact it,
// so a stray %v cannot leak it.
type Token struct {
	AccessToken  string
	RefreshToken string
	ExpiresAt    *time.Time // nil when unknown
	APIKey       bool       // the secret is an API key (raw, api_key_path, or token_type api_key)
	Metered      bool       // an API key that bills per use (Codex OPENAI_API_KEY)
}

// ParseCredential reads a credential as the definition describes it. modTime anchors expires_in
// (callers without a file time pass time.Now(); a zero modTime leaves a relative expiry unknown).
// Errors are *CredentialError and never contain token material.
func ParseCredential(def Definition, raw []byte, modTime time.Time) (Token, error) {
	return parseCredential(def, raw, modTime)
}
