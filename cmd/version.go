package cmd

import (
	"encoding/json"
	"fmt"
	"runtime/debug"
	"strings"
)

// version, commit and buildDate (RFC 3339) may be set at link time, as the releases do:
//
//	go build -ldflags "-X github.com/oauth-mux/oauth-mux/cmd.version=0.1.0 -X github.com/oauth-mux/oauth-mux/cmd.commit=abc1234"
//
// Without -X, commit comes from the VCS stamp of the build (absent under -buildvcs=false) and a
// module version from `go install …@vX.Y.Z` replaces the default.
var (
	version   = "0.1.0-dev"
	commit    = ""
	buildDate = ""
)

// Version is oauth-mux's version, e.g. "0.1.0-dev" (the value of OMUX_VERSION in a child's env).
func Version() string {
	v, _ := buildVersion()
	return v
}

// modulePath is oauth-mux's module: the main module of its own binary, a dependency of a user's test
// binary that runs it through testkit.
const modulePath = "github.com/oauth-mux/oauth-mux"

// buildVersion returns the version and the commit (possibly "" or with a "-dirty" suffix).
func buildVersion() (string, string) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return version, commit
	}
	return versionFrom(info, version, commit)
}

// versionFrom reads the build info for what -X did not set: the module version `go install …@vX.Y.Z`
// or a user's go.mod names, and, in oauth-mux's own binary only, the VCS stamp (in a user's binary
// the stamp is the user's commit, not ours).
func versionFrom(info *debug.BuildInfo, v, c string) (string, string) {
	mod, own := info.Main, info.Main.Path == modulePath || info.Main.Path == ""
	if !own {
		mod = debug.Module{}
		for _, d := range info.Deps {
			if d.Path == modulePath {
				mod = *d
				if d.Replace != nil && d.Replace.Version != "" {
					mod.Version = d.Replace.Version
				}
			}
		}
	}
	if v == "0.1.0-dev" && mod.Version != "" && mod.Version != "(devel)" {
		v = strings.TrimPrefix(mod.Version, "v")
	}
	if c == "" && own {
		var rev string
		var dirty bool
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" && dirty {
			rev += "-dirty"
		}
		c = rev
	}
	return v, c
}

func versionLine() string {
	v, c := buildVersion()
	if c == "" {
		return "oauth-mux " + v
	}
	return fmt.Sprintf("oauth-mux %s (%s)", v, c)
}

// VersionCmd prints the version.
type VersionCmd struct{}

// Run prints `oauth-mux <version> [(<commit>)]`, or {"version","commit"} with --json.
func (VersionCmd) Run(app *App) error {
	if app.JSON {
		v, c := buildVersion()
		return writeJSON(app.Stdio.Out, struct {
			Version string `json:"version"`
			Commit  string `json:"commit,omitempty"`
			Date    string `json:"date,omitempty"`
		}{v, c, buildDate})
	}
	_, err := fmt.Fprintln(app.Stdio.Out, versionLine())
	return err
}

// writeJSON prints v as indented JSON, without HTML escaping: commands and redactions such as
// `<command>` and `<redacted>` must read as themselves, for agents and for people alike.
func writeJSON(w interface{ Write([]byte) (int, error) }, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
