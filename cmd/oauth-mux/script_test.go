//go:build unix

// The end-to-end suites: testscript runs every testdata/script/*.txtar against the real oauth-mux
// (this test binary re-executed under that name) and the fake CLIs, through testkit as a user's own
// suite would. See testdata/script/README.md for the commands a script may use.
package main

import (
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/oauth-mux/oauth-mux/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m, nil) }

func TestScripts(t *testing.T) {
	t.Parallel()
	testscript.Run(t, scriptParams("testdata/script"))
}

// scriptParams are testkit's parameters plus what only this repository's suites need: $EXAMPLES and
// the loopback servers.
func scriptParams(dir string) testscript.Params {
	p := testkit.Params(dir)
	p.Setup = setupEnv
	p.Cmds["tokenserver"] = cmdTokenserver
	p.Cmds["tokenserver-count"] = cmdTokenserverCount
	p.Cmds["apiserver"] = cmdAPIServer
	return p
}

// setupEnv is testkit.Setup plus EXAMPLES, the repository's examples/ (read-only by convention:
// scripts validate and run them).
func setupEnv(env *testscript.Env) error {
	if err := testkit.Setup(env); err != nil {
		return err
	}
	examples, err := filepath.Abs(filepath.Join("..", "..", "examples"))
	env.Setenv("EXAMPLES", examples)
	return err
}
