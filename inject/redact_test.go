package inject

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/providers"
)

// A Prepared holds the child's environment, the credential as read and the request; a stray %v of
// one (a debug line, a wrapped error) must show none of it.
func TestPreparedFormatsWithoutSecrets(t *testing.T) {
	f := newFixture(t, providers.OwnerUpstreamCLILogin, credJSON(canary, "refresh-"+canary, time.Now().Add(time.Hour)))
	f.req.Env = append(f.req.Env, "USER_PROMPT="+canary)
	p, err := Prepare(context.Background(), f.req)
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, x := range []any{p, *p} {
			if s := fmt.Sprintf(verb, x); strings.Contains(s, canary) || strings.Contains(s, f.secret) {
				// The text itself is not logged: it holds the canary.
				t.Errorf("%s of %T shows a secret or the credential path (%d bytes)", verb, x, len(s))
			}
		}
	}
	if s := fmt.Sprint(p); !strings.Contains(s, "fake:a1") {
		t.Errorf("String should still name the account (%d bytes)", len(s))
	}
}
