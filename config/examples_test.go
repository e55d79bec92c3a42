package config

import (
	"io/fs"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/oauth-mux/oauth-mux/examples"
)

// SPEC §5.2: the capability names the built-ins offer, which the examples must use.
// specCapabilities are SPEC §5.2's capabilities and the per-model ones of copilot and gemini, whose
// quotas are per model.
var specCapabilities = []string{"codex-max", "codex-mini", "auth-status", "identity", "identity-api-key",
	"identity-pat", "file-metadata-plan", "status", "resource-metadata", "resource",
	"copilot-premium", "copilot-included", "gemini-pro", "gemini-flash"}

func TestEveryExampleValidates(t *testing.T) {
	names, err := fs.Glob(examples.FS, "*.json")
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := []string{"claude", "codex-max", "copilot", "demo", "figma-pat", "figma-plan", "figma", "flakehub",
		"gemini", "github", "linear-api-key", "linear", "mcp-http", "vercel"}
	for _, w := range wantFiles {
		if !slices.Contains(names, w+".config.json") {
			t.Errorf("examples/%s.config.json is missing", w)
		}
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			data, _ := fs.ReadFile(examples.FS, name)
			c, err := Parse(data, path.Join("examples", name), testEnv)
			if err != nil {
				t.Fatalf("invalid:\n%v", err)
			}
			if err := c.Strict(); err != nil {
				t.Fatalf("unknown keys:\n%v", err)
			}
			for _, pn := range c.SortedProfileNames() {
				refs, _ := c.ProfileRefs(pn)
				for _, r := range refs {
					if r.Capability != "" && c.ProviderDefinitions[r.Provider].Name == "" &&
						!slices.Contains(specCapabilities, r.Capability) {
						t.Errorf("profile %s uses capability %q that SPEC §5.2 does not list", pn, r.Capability)
					}
				}
			}
			// No example may carry a secret value: env secrets name variables, files are paths.
			for _, a := range c.AccountRefs() {
				acc, _ := c.Account(a.Provider, a.Account)
				if strings.HasPrefix(acc.Secret.Identity, "AGE-SECRET-KEY-") {
					t.Errorf("%s carries an inline age key", a)
				}
			}
		})
	}
}

func TestDemoExample(t *testing.T) {
	c, err := Parse(examples.Demo(), "demo.config.json", testEnv)
	if err != nil {
		t.Fatal(err)
	}
	if _, found := c.Catalog().Lookup("demo"); !found || len(c.ProviderDefinitions) != 1 {
		t.Fatal("demo must be defined in provider_definitions")
	}
	alpha, _ := c.Account("demo", "alpha")
	beta, _ := c.Account("demo", "beta")
	if alpha.Priority != 20 || beta.Priority != 10 || alpha.Secret.Variable != "OMUX_DEMO_ALPHA_TOKEN" ||
		beta.Secret.Variable != "OMUX_DEMO_BETA_TOKEN" {
		t.Fatalf("demo accounts: %+v %+v", alpha, beta)
	}
	def := c.Definition("demo")
	if _, ok := def.Capability("chat"); !ok {
		t.Fatal("demo has no chat capability")
	}
	if !slices.Contains(def.Injection.DirectEnv, [2]string{"DEMO_TOKEN", "access_token"}) {
		t.Fatalf("demo direct_env: %v", def.Injection.DirectEnv)
	}
	// Every output rule must match its fake CLI line, and only the quota line carries a reset.
	lines := map[string]string{
		"demo-usage-limit":   "demo: usage limit reached, resets in 2 hours",
		"demo-token-revoked": "demo: token revoked",
		"demo-overloaded":    "demo: overloaded (529)",
	}
	classes := map[string]string{
		"demo-usage-limit": "quota_exhausted", "demo-token-revoked": "dead", "demo-overloaded": "provider_degraded",
	}
	for _, r := range c.ProviderDefinitions["demo"].OutputRules {
		line, ok := lines[r.Name]
		if !ok {
			t.Errorf("unexpected rule %s", r.Name)
			continue
		}
		delete(lines, r.Name)
		re := mustCompile(t, r.Pattern)
		m := re.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("rule %s does not match %q", r.Name, line)
			continue
		}
		if string(r.Class.Class) != classes[r.Name] {
			t.Errorf("rule %s class %s", r.Name, r.Class.Class)
		}
		if r.ResetCapture != "" && m[re.SubexpIndex(r.ResetCapture)] != "in 2 hours" {
			t.Errorf("reset capture = %q", m[re.SubexpIndex(r.ResetCapture)])
		}
	}
	if len(lines) != 0 {
		t.Errorf("rules missing: %v", lines)
	}
	if r := c.ProviderDefinitions["demo"].OutputRules[1]; r.Class.Reason != "token_revoked" {
		t.Errorf("token revoked reason: %q", r.Class.Reason)
	}
}
