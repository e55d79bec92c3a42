//go:build unix

package supervise

import (
	"bytes"
	"testing"
)

// FuzzToCRLF checks the raw-terminal translation: every "\n" gains a "\r" before it, nothing else
// changes, so removing the added "\r"s gives the input back.
func FuzzToCRLF(f *testing.F) {
	for _, s := range []string{"", "\n", "a\nb", "a\r\nb\n\n", "no newline", "\x1b[31mred\x1b[0m\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		got := toCRLF([]byte("prefix"), p)
		if !bytes.HasPrefix(got, []byte("prefix")) {
			t.Fatal("dst prefix lost")
		}
		got = got[len("prefix"):]
		if len(got) != len(p)+bytes.Count(p, []byte("\n")) {
			t.Fatalf("length %d for %q", len(got), p)
		}
		if back := bytes.ReplaceAll(got, []byte("\r\n"), []byte("\n")); !bytes.Equal(back, p) {
			t.Fatalf("%q -> %q", p, got)
		}
	})
}
