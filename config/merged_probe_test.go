package config

import (
	"strings"
	"testing"
)

// An override of a built-in probe may give only what it changes: validation judges the merged probe.
func TestOverrideOfBuiltinProbeIsValidatedMerged(t *testing.T) {
	const base = `{"version":1,
 "provider_definitions":{"github":{"capabilities":[{"name":"identity","probe":%s}]}},
 "providers":{"github":{"accounts":{"a":{"secret":{"backend":"env","variable":"GH"}}}}}}`
	for _, tt := range []struct {
		probe, wantErr string
	}{
		{`{"url":"http://127.0.0.1:9/user"}`, ""},
		{`{"url":"http://127.0.0.1:9/user","timeout_ms":0}`, "timeout_ms"},
		{`{"url":"http://127.0.0.1:9/user?access_token=x"}`, "token material"},
		{`{"transport":"command"}`, "command"},
	} {
		_, err := Parse([]byte(strings.Replace(base, "%s", tt.probe, 1)), "t.json", func(string) string { return "" })
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: unexpected error %v", tt.probe, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: error %v, want one mentioning %q", tt.probe, err, tt.wantErr)
		}
	}
}
