package config

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/oauth-mux/oauth-mux/examples"
)

// FuzzLoadConfig feeds arbitrary bytes through parsing and validation. Neither may panic, and the
// outcome must be coherent: a nil error means a config with no problems; *Errors always renders one
// "config error:" line per problem.
func FuzzLoadConfig(f *testing.F) {
	names, _ := fs.Glob(examples.FS, "*.json")
	for _, n := range names {
		b, _ := fs.ReadFile(examples.FS, n)
		f.Add(b)
	}
	f.Add([]byte(base))
	f.Add(Starter(testEnv))
	f.Add(CodexMax(testEnv))
	for _, s := range []string{"", "{", "[]", "null", `{"version":1}`, `{"version":1,"providers":{"":{}}}`,
		`{"version":"1"}`, "{\"version\":1,\n\"providers\": ]}", `{"version":1,"profiles":{"p":{"providers":["a:b#c#d"]}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "fuzz.json", testEnv)
		if err == nil {
			if c == nil {
				t.Fatal("nil config without an error")
			}
			if verr := c.Validate(); verr != nil {
				t.Fatalf("Parse accepted what Validate refuses: %v", verr)
			}
			_ = c.Strict()
			for _, p := range c.SortedProfileNames() {
				c.ProfileRefs(p)
			}
			return
		}
		var es *Errors
		if !errors.As(err, &es) {
			t.Fatalf("Parse error is %T, not *Errors", err)
		}
		if len(es.Problems) == 0 {
			t.Fatal("*Errors without problems")
		}
		if n := strings.Count(es.Error(), "config error: "); n < len(es.Problems) {
			t.Fatalf("%d lines for %d problems", n, len(es.Problems))
		}
	})
}
