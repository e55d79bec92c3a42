package classify

import (
	"regexp"
	"testing"
)

// Compile parses instead of compiling (the expressions compile on first use); it must accept, reject
// and resolve reset captures exactly as compiling would.
func FuzzCompileLikeRegexp(f *testing.F) {
	for _, p := range PackNames() {
		for _, r := range Pack(p) {
			if r.Pattern != "" {
				f.Add(r.Pattern, r.ResetCapture)
			}
		}
	}
	f.Add(`(`, "")
	f.Add(`x(?P<a>y)(?P<a>z)`, "a")
	f.Add(`x{1001}`, "")
	f.Fuzz(func(t *testing.T, pattern, capture string) {
		if pattern == "" {
			return // an exit-code rule, not an expression (TestCompileErrors)
		}
		m, err := Compile([]OutputRule{{Name: "r", Pattern: pattern, ResetCapture: capture, Class: quota}})
		re, rerr := regexp.Compile(pattern)
		switch {
		case rerr != nil:
			ce, ok := err.(*CompileError)
			if !ok || ce.Err.Error() != rerr.Error() {
				t.Fatalf("Compile(%q) = %v, regexp.Compile: %v", pattern, err, rerr)
			}
		case capture != "" && re.SubexpIndex(capture) < 0:
			if err == nil {
				t.Fatalf("Compile(%q) accepted reset capture %q, which is no group", pattern, capture)
			}
		case err != nil:
			t.Fatalf("Compile(%q, %q): %v; regexp.Compile accepts it", pattern, capture, err)
		default:
			if got := m.res[0]().String(); got != pattern {
				t.Fatalf("compiled %q, want %q", got, pattern)
			}
			want := -1
			if capture != "" {
				want = re.SubexpIndex(capture)
			}
			if m.resetIdx[0] != want {
				t.Fatalf("reset capture %q of %q: index %d, want %d", capture, pattern, m.resetIdx[0], want)
			}
		}
	})
}
