package oauthmux_test

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// allowedImports is DESIGN.md's package table: which project packages each may import. A package
// missing from the table may import nothing of the project (internal/testcfg is test support that only
// tests import). cmd, cmd/oauth-mux and testkit are checked separately.
var allowedImports = map[string][]string{
	"classify":  {"internal/omux"},
	"providers": {"classify", "internal/omux", "internal/lookpath"},
	"config":    {"providers", "classify", "internal/omux"},
	"state":     {"classify", "internal/omux"},
	"policy":    {"classify", "config", "providers", "supervise", "internal/omux"},
	"inject":    {"config", "providers", "state", "classify", "internal/omux"},
	"routes":    {"config", "providers", "state", "policy", "inject", "classify", "supervise", "internal/omux"},
	"supervise": {"classify", "internal/omux", "internal/lookpath"},
	"examples":  {},
}

const module = "github.com/oauth-mux/oauth-mux"

type listedPackage struct {
	ImportPath string
	Imports    []string
}

// TestImportDirection fails when a project import runs against the design's table, when anything but
// cmd/oauth-mux imports cmd, or when anything but cmd imports kong. It reads the direct imports of the
// non-test files, which is where the direction matters (tests may reach further down, not up).
func TestImportDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for dec.More() {
		var p listedPackage
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		seen++
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, "github.com/alecthomas/kong") && rel != "cmd" {
				t.Errorf("%s imports kong: only cmd may", p.ImportPath)
			}
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			dep := strings.TrimPrefix(imp, module+"/")
			if err := importAllowed(rel, dep); err != "" {
				t.Errorf("%s imports %s: %s", p.ImportPath, imp, err)
			}
		}
	}
	if seen < 2 {
		t.Fatalf("go list listed %d packages", seen)
	}
}

func importAllowed(from, dep string) string {
	top := func(s string) string { s, _, _ = strings.Cut(s, "/"); return s }
	switch {
	case dep == "cmd" || strings.HasPrefix(dep, "cmd/"):
		// testkit runs the real CLI inside users' test binaries, as cmd/oauth-mux runs it in ours.
		if from != "cmd/oauth-mux" && from != "testkit" {
			return "nothing imports cmd except cmd/oauth-mux and testkit"
		}
		return ""
	case from == "testkit" && dep == "testkit/fakecli":
		return ""
	case top(dep) == "testkit" || strings.HasPrefix(dep, "internal/testcfg"):
		return dep + " is test support" // the product, cmd included, never imports it
	case from == "cmd" || strings.HasPrefix(from, "cmd/"):
		return "" // the composition root may import anything else
	case top(from) == "testkit":
		return from + " may import nothing of the project but cmd and testkit/fakecli"
	case from == "internal/testcfg":
		return "" // test support may reach down to what it builds for tests
	case strings.HasPrefix(from, "internal/"):
		return "internal packages are leaves: " + from + " may import nothing of the project"
	case strings.HasPrefix(dep, "internal/"):
		// The shared leaves (omux, lookpath): each package lists the ones it uses.
		if _, ok := allowedImports[top(from)]; !ok || !slices.Contains(allowedImports[top(from)], dep) {
			return "package " + from + " does not list " + dep + " in the design's table"
		}
		return ""
	case top(from) == top(dep):
		return "" // a package's own subpackages
	}
	allowed, ok := allowedImports[top(from)]
	if !ok {
		return "package " + from + " is not in the design's table (add it to DESIGN.md and allowedImports)"
	}
	if !slices.Contains(allowed, top(dep)) {
		return "against the design's import direction (" + top(from) + " may import " + strings.Join(allowed, ", ") + ")"
	}
	return ""
}

// TestImportRules checks the checker: a table that lets everything through would pass silently.
func TestImportRules(t *testing.T) {
	bad := [][2]string{
		{"classify", "providers"}, {"providers", "config"}, {"state", "config"}, {"supervise", "routes"},
		{"routes", "cmd"}, {"config", "state"}, {"policy", "inject"}, {"inject", "routes"}, {"classify", "testkit/fakecli"}, {"routes", "testkit"}, {"testkit/fakecli", "classify"}, {"testkit", "routes"}, {"cmd", "testkit"}, {"cmd", "testkit/fakecli"}, {"cmd/oauth-mux", "testkit"},
		{"internal/omux", "classify"}, {"examples", "internal/omux"},
	}
	for _, b := range bad {
		if importAllowed(b[0], b[1]) == "" {
			t.Errorf("%s → %s allowed, want refused", b[0], b[1])
		}
	}
	good := [][2]string{{"cmd", "routes"}, {"cmd/oauth-mux", "cmd"}, {"routes", "inject"}, {"config", "providers"}, {"providers/catalog", "classify"}, {"state", "internal/omux"}, {"classify", "internal/omux"}, {"testkit", "cmd"}, {"testkit", "testkit/fakecli"}}
	for _, g := range good {
		if msg := importAllowed(g[0], g[1]); msg != "" {
			t.Errorf("%s → %s refused: %s", g[0], g[1], msg)
		}
	}
}
