package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

func mustCompile(t *testing.T, p string) *regexp.Regexp {
	t.Helper()
	re, err := regexp.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	return re
}

func TestStarterValidates(t *testing.T) {
	c, err := Parse(Starter(testEnv), "starter", testEnv)
	if err != nil {
		t.Fatalf("starter invalid:\n%v", err)
	}
	a, ok := c.Account("github", "personal")
	if !ok || a.Secret.Backend != BackendEnv || a.Secret.Variable != "GH_TOKEN" || c.Defaults.Profile == "" {
		t.Fatalf("starter: %+v", c)
	}
}

func TestCodexMaxTemplate(t *testing.T) {
	for _, tt := range []struct {
		name string
		env  func(string) string
		dir  string // expected config_dir of max-2 after loading
	}{
		{"default data home", env("HOME", "/home/u"), "/home/u/.local/share/oauth-mux/codex/max-2"},
		{"XDG_DATA_HOME", env("HOME", "/home/u", "XDG_DATA_HOME", "/data"), "/data/oauth-mux/codex/max-2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			data := CodexMax(tt.env)
			c, err := Parse(data, "codex-max", tt.env)
			if err != nil {
				t.Fatalf("invalid:\n%v\n%s", err, data)
			}
			for i, prio := range []int{30, 20, 10} {
				name := []string{"max-1", "max-2", "max-3"}[i]
				a, ok := c.Account("codex", name)
				if !ok || a.Priority != prio || a.Secret.Backend != BackendFile ||
					a.Secret.Path != filepath.Join(a.ConfigDir, "auth.json") {
					t.Errorf("%s: %+v", name, a)
				}
			}
			if a, _ := c.Account("codex", "max-2"); a.ConfigDir != tt.dir {
				t.Errorf("config_dir = %q, want %q", a.ConfigDir, tt.dir)
			}
			for prof, capName := range map[string]string{"codex-max": "codex-max", "codex-mini": "codex-mini"} {
				refs, ok := c.ProfileRefs(prof)
				if !ok || len(refs) != 3 {
					t.Fatalf("profile %s: %v", prof, refs)
				}
				for _, r := range refs {
					if r.Capability != capName {
						t.Errorf("profile %s route %s", prof, r)
					}
				}
				if _, s := c.StrategyFor(prof); s.Kind != HealthWeighted {
					t.Errorf("profile %s strategy %s", prof, s.Kind)
				}
			}
		})
	}
}

func TestWriteNew(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	p := filepath.Join(dir, "config.json")
	if err := WriteNew(p, []byte("one")); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", st.Mode(), err)
	}
	if dst, _ := os.Stat(dir); dst.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %v", dst.Mode())
	}
	err = WriteNew(p, []byte("two"))
	var ee *ExistsError
	if !errors.As(err, &ee) || err.Error() != p+" exists" || ee.ExitCode() != 1 || !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second WriteNew = %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "one" {
		t.Fatalf("overwritten: %q", b)
	}
	// A dangling symlink must not be followed to create a file elsewhere.
	link := filepath.Join(dir, "link.json")
	target := filepath.Join(dir, "target.json")
	if err := os.Symlink(target, link); err != nil {
		t.Skip(err)
	}
	if err := WriteNew(link, []byte("x")); !errors.As(err, &ee) {
		t.Fatalf("WriteNew through a dangling symlink = %v", err)
	}
	if _, err := os.Stat(target); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("symlink target was created")
	}
}
