package routes

import (
	"fmt"
	"strings"
	"testing"
)

func TestAttemptFormatsWithoutSecrets(t *testing.T) {
	const canary = "omux-canary-routes-8b2c"
	a := &Attempt{Number: 1, Route: Route{Provider: "codex", Account: "a1", Capability: "codex-max"},
		Argv: []string{"codex", "exec", "prompt " + canary}, Env: []string{"TOKEN=" + canary}}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, x := range []any{a, *a} {
			s := fmt.Sprintf(verb, x)
			if strings.Contains(s, canary) {
				t.Errorf("%s of %T shows the environment or the arguments (%d bytes)", verb, x, len(s))
			}
			if !strings.Contains(s, "codex:a1#codex-max") {
				t.Errorf("%s of %T lost the route key (%d bytes)", verb, x, len(s))
			}
		}
	}
}
