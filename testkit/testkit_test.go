//go:build unix

// This file is the example to copy: a TestMain that registers testkit's programs and a test that runs
// the scripts in testdata/script. The scripts test a user's wrapper (wrapper.txtar) and what testkit
// promises (sealed.txtar, commands.txtar).
package testkit_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/oauth-mux/oauth-mux/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m, nil) }

func TestScripts(t *testing.T) {
	// What a developer's shell exports must never reach a script. testscript passes little of the
	// test's environment today; sealed.txtar checks these stay out whatever it passes tomorrow.
	t.Setenv("OMUX_CONFIG", "/nonexistent/outer-config.json")
	t.Setenv("FAKECLI_CODEX_SCRIPT", "/nonexistent/outer.script")
	t.Setenv("OMUX_EXEC_CHILD", "1")
	testscript.Run(t, testkit.Params("testdata/script"))
}

// TestEnviron: the os/exec form is sealed too: only PATH comes from the test's environment, the
// overrides win, and the dirs a run needs exist.
func TestEnviron(t *testing.T) {
	t.Setenv("OMUX_TESTKIT_CANARY", "outer-canary-5d1e")
	work := t.TempDir()
	env := testkit.Environ(t, work, "OMUX_STATE_DIR="+filepath.Join(work, "state"), "EXTRA=1")
	get := func(k string) string {
		for _, kv := range env {
			if name, v, _ := strings.Cut(kv, "="); name == k {
				return v
			}
		}
		return "<unset>"
	}
	if got := get("HOME"); got != filepath.Join(work, "home") {
		t.Errorf("HOME=%s, want it inside the work dir", got)
	}
	if got := get("OMUX_STATE_DIR"); got != filepath.Join(work, "state") {
		t.Errorf("OMUX_STATE_DIR=%s: the override did not win", got)
	}
	if get("PATH") != os.Getenv("PATH") || get("EXTRA") != "1" {
		t.Errorf("PATH or EXTRA not passed: %q %q", get("PATH"), get("EXTRA"))
	}
	if slices.ContainsFunc(env, func(kv string) bool { return strings.Contains(kv, "outer-canary") }) {
		t.Error("the test's own environment leaked into Environ")
	}
	for _, d := range []string{"home", "run"} {
		if fi, err := os.Stat(filepath.Join(work, d)); err != nil || !fi.IsDir() {
			t.Errorf("%s was not created: %v", d, err)
		}
	}
	// The registered oauth-mux runs in it (this test binary under that name, on PATH in TestMain).
	oauthMux, err := exec.LookPath("oauth-mux")
	if err != nil {
		t.Skip("oauth-mux not on PATH: run through go test")
	}
	cmd := exec.Command(oauthMux, "config", "path")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("oauth-mux config path: %v\n%s", err, out)
	}
	if !strings.HasPrefix(strings.TrimSpace(string(out)), work) {
		t.Errorf("oauth-mux config path = %s, want a path inside %s", out, work)
	}
}

// TestExitStatus: status's names for how a real process ended.
func TestExitStatus(t *testing.T) {
	for _, c := range []struct{ script, want string }{{"exit 3", "3"}, {"kill -TERM $$", "SIGTERM"}, {"kill -KILL $$", "SIGKILL"}} {
		err := exec.Command("sh", "-c", c.script).Run()
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("%s: %v, want an exit error", c.script, err)
		}
		if got := testkit.ExitStatus(ee); got != c.want {
			t.Errorf("%s: ExitStatus = %s, want %s", c.script, got, c.want)
		}
	}
}

// TestReadmeExample: the README's example script is failover.txtar (after its first comment line),
// so the example a user copies is one that passes.
func TestReadmeExample(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile(filepath.Join("testdata", "script", "failover.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := strings.Cut(string(script), "\n")
	const intro = "A script (`testdata/script/failover.txtar`) where the first account hits Codex's usage limit:\n\n```\n"
	_, after, ok := strings.Cut(string(readme), intro)
	if !ok {
		t.Fatal("the README no longer introduces the example script")
	}
	block, _, _ := strings.Cut(after, "```\n")
	if block != body {
		t.Errorf("the README's example differs from testdata/script/failover.txtar:\nREADME:\n%s\nscript:\n%s", block, body)
	}
}

// TestAsAnotherModule is what a user does: a module of its own requiring oauth-mux (here replaced by
// this checkout), the README's TestMain and test, and the README's script, run by `go test` offline
// from the module cache. It proves testkit works from outside the module (no internal package in
// its API) and that the README's code compiles and passes.
func TestAsAnotherModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds another module's test binary")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, code, ok := strings.Cut(string(readme), "```go\npackage mywrap_test\n")
	if !ok {
		t.Fatal("the README no longer shows the test file of package mywrap_test")
	}
	code, _, _ = strings.Cut(code, "```\n")
	script, err := os.ReadFile(filepath.Join("testdata", "script", "failover.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	mod := t.TempDir()
	files := map[string]string{
		"go.mod":                         "module example.com/mywrap\n\ngo 1.26\n\nrequire github.com/oauth-mux/oauth-mux v0.0.0\n\nreplace github.com/oauth-mux/oauth-mux => " + root + "\n",
		"go.sum":                         string(sum),
		"wrap_test.go":                   "package mywrap_test\n" + code,
		"testdata/script/failover.txtar": string(script),
		// A test binary carries no module versions or VCS stamp: oauth-mux says it is a
		// development build, and never names the user's commit as its own.
		"testdata/script/version.txtar": "exec oauth-mux version\nstdout '^oauth-mux 0\\.1\\.0-dev$'\n",
	}
	for name, text := range files {
		path := filepath.Join(mod, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(goBin, "test", "-count=1", "-v", "./...")
	cmd.Dir = mod
	// Offline: every module comes from the cache this checkout's build filled.
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go test in a user's module: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestWrapper/failover") || !strings.Contains(string(out), "--- PASS: TestWrapper/version") {
		t.Errorf("the user's script did not run:\n%s", out)
	}
}
