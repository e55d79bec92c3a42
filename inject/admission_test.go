package inject

import (
	"testing"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/providers"
)

func TestRefreshRefusal(t *testing.T) {
	own := providers.Definition{Repair: providers.Repair{Owner: providers.OwnerOAuthMuxRefresh},
		Auth: providers.Auth{TokenEndpoint: "https://auth.example/token"}}
	file := config.Secret{Backend: config.BackendFile, Path: "/x"}
	noEndpoint := own
	noEndpoint.Auth.TokenEndpoint = ""
	for _, c := range []struct {
		name   string
		def    providers.Definition
		secret config.Secret
		want   string
	}{
		{"ours, file secret", own, file, ""},
		{"a read-only backend", own, config.Secret{Backend: config.BackendEnv, Variable: "T"}, RefusedReadOnlyBackend},
		{"no token endpoint", noEndpoint, file, RefusedNoTokenEndpoint},
		{"the CLI's own login", providers.Definition{Repair: providers.Repair{Owner: providers.OwnerUpstreamCLILogin}}, file, RefusedUpstreamOwner},
		{"manual", providers.Definition{Repair: providers.Repair{Owner: providers.OwnerManualOnly}}, file, RefusedManualOnly},
		{"its issuer", providers.Definition{Repair: providers.Repair{Owner: providers.OwnerExternalSecretOwner}}, file, RefusedExternalOwner},
		{"no owner at all", providers.Definition{}, file, RefusedExternalOwner},
	} {
		if got := RefreshRefusal(c.def, c.secret); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
