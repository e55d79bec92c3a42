package inject

import "github.com/oauth-mux/oauth-mux/providers"

// Token is the credential Prepare checked (and refreshed) for this attempt, for a caller that must
// present it itself: a capability probe sends it in a request header. It holds secrets: never print
// or log it (its String redacts).
func (p *Prepared) Token() (providers.Token, error) {
	return providers.ParseCredential(p.req.Definition, p.secretRead.Data, p.secretRead.ModTime)
}
