//go:build unix

package supervise

import (
	"fmt"
	"strings"
	"testing"
)

func TestAttemptFormatsWithoutSecrets(t *testing.T) {
	const canary = "omux-canary-supervise-5d1e"
	a := Attempt{Argv: []string{"codex", "exec", "prompt " + canary}, Env: []string{"TOKEN=" + canary},
		Label: "codex:a1#codex-max", Number: 2}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, x := range []any{a, &a, []Attempt{a}} {
			s := fmt.Sprintf(verb, x)
			if strings.Contains(s, canary) {
				t.Errorf("%s of %T shows the environment or the arguments (%d bytes)", verb, x, len(s))
			}
			if !strings.Contains(s, "codex:a1#codex-max") {
				t.Errorf("%s of %T lost the label (%d bytes)", verb, x, len(s))
			}
		}
	}
}
