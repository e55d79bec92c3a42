package inject

import (
	"fmt"

	"github.com/oauth-mux/oauth-mux/providers"
)

// Token is the credential Prepare checked (and refreshed) for this attempt, for a caller that must
// present it itself: a capability probe sends it in a request header. It holds secrets: never print
// or log it (its String redacts).
func (p *Prepared) Token() (providers.Token, error) {
	return providers.ParseCredential(p.req.Definition, p.secretRead.Data, p.secretRead.ModTime)
}

// String names the account and counts what was prepared. Env, Set and the unexported request and
// secret hold credentials (and fmt prints unexported fields raw, past their own String methods), so a
// stray %v of a Prepared, or of a struct holding one by value, must not reach them.
func (p Prepared) String() string {
	return fmt.Sprintf("inject.Prepared{%s:%s, %d env, %d set, %d unset, managed=%t, refreshed=%t}",
		p.req.Provider, p.req.Account, len(p.Env), len(p.Set), len(p.Unset), p.CredentialPath != "", p.Refreshed)
}

// GoString keeps %#v as quiet as %v.
func (p Prepared) GoString() string { return p.String() }
