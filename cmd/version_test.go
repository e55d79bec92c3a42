package cmd

import (
	"runtime/debug"
	"testing"
)

// TestVersionFrom: oauth-mux's own binary takes its module version and VCS stamp; in a user's test
// binary (testkit) it takes the version the user's go.mod requires and never the user's commit.
func TestVersionFrom(t *testing.T) {
	stamp := []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}
	cases := []struct {
		name       string
		info       debug.BuildInfo
		v, c       string
		wantV, wnC string
	}{
		{"own, go install @v0.3.1", debug.BuildInfo{Main: debug.Module{Path: modulePath, Version: "v0.3.1"}}, "0.1.0-dev", "", "0.3.1", ""},
		{"own, a checkout", debug.BuildInfo{Main: debug.Module{Path: modulePath, Version: "(devel)"}, Settings: stamp}, "0.1.0-dev", "", "0.1.0-dev", "0123456789ab-dirty"},
		{"own, -X wins", debug.BuildInfo{Main: debug.Module{Path: modulePath, Version: "v0.3.1"}, Settings: stamp}, "0.2.0", "abc1234", "0.2.0", "abc1234"},
		{"a user's module", debug.BuildInfo{Main: debug.Module{Path: "example.com/mywrap", Version: "(devel)"}, Settings: stamp,
			Deps: []*debug.Module{{Path: "golang.org/x/sys", Version: "v0.48.0"}, {Path: modulePath, Version: "v0.2.0"}}}, "0.1.0-dev", "", "0.2.0", ""},
		{"a user's module, replaced", debug.BuildInfo{Main: debug.Module{Path: "example.com/mywrap"},
			Deps: []*debug.Module{{Path: modulePath, Version: "v0.0.0", Replace: &debug.Module{Path: "../oauth-mux"}}}}, "0.1.0-dev", "", "0.0.0", ""},
	}
	for _, c := range cases {
		v, cm := versionFrom(&c.info, c.v, c.c)
		if v != c.wantV || cm != c.wnC {
			t.Errorf("%s: %q %q, want %q %q", c.name, v, cm, c.wantV, c.wnC)
		}
	}
}
