// Package examples holds the example configs shipped with oauth-mux: one per built-in provider (the
// Zig oauth-mux's format, version 1) and the self-contained demo config that `oauth-mux demo` runs.
// They are embedded so that a binary from `go install` carries them.
//
// It must not import project packages or hold real credentials: every secret is a path, a variable
// name or a command, never a value. config's tests validate every file here.
package examples

import "embed"

// FS holds every *.json config in this directory.
//
//go:embed *.json
var FS embed.FS

// Demo is the demo config: provider "demo" defined in provider_definitions, accounts alpha and beta
// (tokens from OMUX_DEMO_ALPHA_TOKEN and OMUX_DEMO_BETA_TOKEN, injected as DEMO_TOKEN), profile "demo".
func Demo() []byte {
	b, err := FS.ReadFile("demo.config.json")
	if err != nil {
		panic("examples: demo config not embedded: " + err.Error())
	}
	return b
}
