// Package testcfg is test support: it parses a config the way the routes suites need one, with no
// environment, failing the test on a bad one. Nothing but tests imports it.
package testcfg

import (
	"testing"

	"github.com/oauth-mux/oauth-mux/config"
)

// Load parses data as a config file named test.json with an empty environment.
func Load(t testing.TB, data string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(data), "test.json", func(string) string { return "" })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}
