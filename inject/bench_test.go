package inject

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/providers"
)

func BenchmarkFormat(b *testing.B) {
	set := map[string]string{}
	n := 0
	for i, v := range roundTripValues {
		k := "OMUX_B_" + string(rune('A'+i%26)) + string(rune('A'+i/26))
		set[k] = strings.Repeat(v, 8)
		n += len(set[k])
	}
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		Format(set, []string{"X", "Y"}, "bash")
	}
}

func BenchmarkPrepare(b *testing.B) {
	f := newFixture(b, providers.OwnerUpstreamCLILogin, credJSON("a", "r", time.Now().Add(time.Hour)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Prepare(context.Background(), f.req); err != nil {
			b.Fatal(err)
		}
	}
}
