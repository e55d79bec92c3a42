package inject

import (
	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/providers"
)

// Why oauth-mux may not refresh a credential itself (SPEC §8.2); part of the JSON contract of
// token_refresh events and `refresh --json`.
const (
	RefusedUpstreamOwner   = "upstream_cli_login"    // the provider's CLI refreshes its own login
	RefusedExternalOwner   = "external_secret_owner" // whoever issued the secret renews it
	RefusedManualOnly      = "manual_only"
	RefusedReadOnlyBackend = "read_only_backend" // a refreshed token could not be kept
	RefusedNoTokenEndpoint = "no_token_endpoint"
)

// RefreshRefusal is the one rule of whether oauth-mux may refresh a credential itself: "" when it may,
// else why not. The definition's repair owner must be oauth-mux, the secret's backend must take a
// rewritten file (a rotated refresh token is kept or the next run holds a dead one), and the
// provider must have a token endpoint.
func RefreshRefusal(def providers.Definition, secret config.Secret) string {
	switch def.Repair.Owner {
	case providers.OwnerOAuthMuxRefresh:
	case providers.OwnerUpstreamCLILogin:
		return RefusedUpstreamOwner
	case providers.OwnerManualOnly:
		return RefusedManualOnly
	default:
		return RefusedExternalOwner
	}
	switch {
	case def.Auth.TokenEndpoint == "":
		return RefusedNoTokenEndpoint
	case secret.WriteCapability() != config.WriteReplaceFile:
		return RefusedReadOnlyBackend
	}
	return ""
}
