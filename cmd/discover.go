package cmd

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/providers"
	"github.com/oauth-mux/oauth-mux/routes/inventory"
	"github.com/oauth-mux/oauth-mux/state"
)

// DiscoverCmd is `discover`: which provider CLIs and logins this machine has, and which of them the
// config already uses. It looks at PATH, the names of environment variables and whether credential
// files exist (stat only): no file is opened, no value printed, no provider contacted.
type DiscoverCmd struct{}

type discoverBinary struct {
	Name  string  `json:"name"`
	Found bool    `json:"found"`
	Path  *string `json:"path"`
}

type discoverFile struct {
	Path   string `json:"path"`
	Exists bool   `json:"exists"`
}

type discoverProvider struct {
	Name               string           `json:"name"`
	DisplayName        string           `json:"display_name"`
	BuiltIn            bool             `json:"built_in"`
	Detected           bool             `json:"detected"`
	Configured         bool             `json:"configured"`
	ConfiguredAccounts int              `json:"configured_accounts"`
	Binaries           []discoverBinary `json:"binaries"`
	EnvMarkers         []string         `json:"env_markers"`
	CredentialFiles    []discoverFile   `json:"credential_files"`
}

// discoverOutput is `discover --json`; version, configured, config_path, state_dir,
// codex_configured, codex_max_configured and next_commands are the Zig version's names.
type discoverOutput struct {
	Version            string             `json:"version"`
	Configured         bool               `json:"configured"`
	ConfigValid        bool               `json:"config_valid"`
	ConfigPath         string             `json:"config_path"`
	StateDir           string             `json:"state_dir"`
	CodexConfigured    bool               `json:"codex_configured"`
	CodexMaxConfigured bool               `json:"codex_max_configured"`
	Providers          []discoverProvider `json:"providers"`
	NextCommands       []string           `json:"next_commands"`
}

// Run prints what was found. A missing or invalid config does not stop it (the machine can be
// described without one); the exit status is 0 whenever the inventory was printed.
func (DiscoverCmd) Run(app *App) error {
	cs := app.configState()
	out := buildDiscover(app, cs)
	if app.JSON {
		return writeJSON(app.Stdio.Out, out)
	}
	return writeDiscoverText(app.Stdio.Out, out, cs)
}

func buildDiscover(app *App, cs inventory.ConfigState) discoverOutput {
	cfg := cs.Cfg
	out := discoverOutput{
		Version: Version(), Configured: cs.Found, ConfigValid: cs.Valid, ConfigPath: cs.Path,
		StateDir: state.Dir(app.Getenv), CodexConfigured: inventory.CodexConfigured(cfg), CodexMaxConfigured: inventory.CodexMaxConfigured(cfg),
		Providers: []discoverProvider{},
	}
	catalog := providers.NewCatalog(nil)
	if cfg != nil {
		catalog = cfg.Catalog()
	}
	builtin := map[string]bool{}
	for _, n := range providers.BuiltinNames() {
		builtin[n] = true
	}
	// Which definition each configured provider uses, so a provider named "work-gh" of kind github
	// counts as github being configured.
	accountsByDef := map[string]int{}
	if cfg != nil {
		for name, p := range cfg.Providers {
			accountsByDef[cfg.Definition(name).Name] += len(p.Accounts)
		}
	}
	for _, name := range catalog.Names() {
		def, _ := catalog.Lookup(name)
		dp := discoverProvider{
			Name: name, DisplayName: def.DisplayName, BuiltIn: builtin[name],
			ConfiguredAccounts: accountsByDef[name], Binaries: []discoverBinary{}, EnvMarkers: []string{},
			CredentialFiles: []discoverFile{},
		}
		if dp.DisplayName == "" {
			dp.DisplayName = name
		}
		dp.Configured = dp.ConfiguredAccounts > 0
		for _, bin := range def.Detection.BinaryNames {
			b := discoverBinary{Name: bin}
			if p, err := providers.LookPath(bin, app.Getenv("PATH")); err == nil {
				b.Found, b.Path = true, &p
				dp.Detected = true
			}
			dp.Binaries = append(dp.Binaries, b)
		}
		for _, env := range def.Detection.EnvMarkers {
			// The name only: a marker such as GH_TOKEN holds a secret.
			if _, ok := app.Env.Lookup(env); ok {
				dp.EnvMarkers = append(dp.EnvMarkers, env)
				dp.Detected = true
			}
		}
		for _, path := range usualCredentialFiles(name, def, app.Getenv) {
			f := discoverFile{Path: path}
			// Stat only: whether a login exists is all discover needs; the file is never opened.
			if fi, err := os.Stat(path); err == nil && !fi.IsDir() {
				f.Exists = true
				dp.Detected = true
			}
			dp.CredentialFiles = append(dp.CredentialFiles, f)
		}
		out.Providers = append(out.Providers, dp)
	}
	out.NextCommands = discoverNext(out, cs)
	return out
}

func discoverNext(out discoverOutput, cs inventory.ConfigState) []string {
	codexSeen := false
	for _, p := range out.Providers {
		if p.Name == "codex" && p.Detected {
			codexSeen = true
		}
	}
	switch {
	case !cs.Found:
		next := []string{}
		if codexSeen {
			next = append(next, "oauth-mux init --codex-max")
		}
		return append(next, "oauth-mux init", "oauth-mux doctor")
	case !cs.Valid:
		return []string{"oauth-mux config validate", "oauth-mux doctor"}
	}
	next := []string{}
	if (codexSeen || out.CodexConfigured) && !out.CodexMaxConfigured {
		next = append(next, "oauth-mux codex config-candidate", "oauth-mux codex config-merge --candidate "+codexMaxCandidate(cs.Path))
	}
	return append(next, "oauth-mux doctor", "oauth-mux accounts list", "oauth-mux report --redacted")
}

// usualCredentialFiles lists where a provider's CLI keeps its login by default: the config dir its
// env marker names (when set) or its usual home, plus the credential file the definition names.
// Only files a CLI of this machine could have written are listed, never a path from the config.
func usualCredentialFiles(name string, def providers.Definition, getenv func(string) string) []string {
	home := getenv("HOME")
	join := func(dir string) string { return filepath.Join(dir, filepath.FromSlash(def.CredentialFilename())) }
	var dirs []string
	if env := def.Injection.ConfigDirEnv; env != "" && getenv(env) != "" {
		dirs = append(dirs, config.ExpandHome(getenv(env), home))
	}
	if home == "" {
		return uniq(mapStrings(dirs, join))
	}
	xdgConfig := getenv("XDG_CONFIG_HOME")
	if xdgConfig == "" {
		xdgConfig = filepath.Join(home, ".config")
	}
	xdgData := getenv("XDG_DATA_HOME")
	if xdgData == "" {
		xdgData = filepath.Join(home, ".local", "share")
	}
	var files []string
	switch name {
	case "codex":
		dirs = append(dirs, filepath.Join(home, ".codex"))
	case "claude":
		dirs = append(dirs, filepath.Join(home, ".claude"))
	case "gemini":
		dirs = append(dirs, home) // its credential file is .gemini/oauth_creds.json under the home
	case "github":
		ghDir := getenv("GH_CONFIG_DIR")
		if ghDir == "" {
			ghDir = filepath.Join(xdgConfig, "gh")
		}
		files = append(files, filepath.Join(ghDir, "hosts.yml"))
	case "vercel":
		if runtime.GOOS == "darwin" {
			files = append(files, filepath.Join(home, "Library", "Application Support", "com.vercel.cli", "auth.json"))
		} else {
			files = append(files, filepath.Join(xdgData, "com.vercel.cli", "auth.json"))
		}
	}
	return uniq(append(mapStrings(dirs, join), files...))
}

func mapStrings(in []string, f func(string) string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		out = append(out, f(s))
	}
	return out
}

func uniq(in []string) []string {
	seen := map[string]bool{}
	out := in[:0]
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func writeDiscoverText(w io.Writer, out discoverOutput, cs inventory.ConfigState) error {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("oauth-mux discover\n\n")
	switch {
	case !cs.Found:
		p("  config: missing at %s\n", out.ConfigPath)
	case !cs.Valid:
		p("  config: %s (invalid)\n", out.ConfigPath)
	default:
		p("  config: %s\n", out.ConfigPath)
	}
	p("  state:  %s\n\n", out.StateDir)
	for _, dp := range out.Providers {
		status := "not found"
		if dp.Detected {
			status = "found"
		}
		if dp.Configured {
			status += fmt.Sprintf(", configured (%d account%s)", dp.ConfiguredAccounts, plural(dp.ConfiguredAccounts))
		}
		p("  %s: %s\n", dp.Name, status)
		for _, b := range dp.Binaries {
			if b.Found {
				p("    binary %s: %s\n", b.Name, *b.Path)
			}
		}
		if len(dp.EnvMarkers) > 0 {
			p("    env: %s\n", strings.Join(dp.EnvMarkers, " "))
		}
		for _, f := range dp.CredentialFiles {
			if f.Exists {
				p("    login file: %s\n", f.Path)
			}
		}
	}
	if out.CodexConfigured {
		shape := "missing"
		if out.CodexMaxConfigured {
			shape = "configured"
		}
		p("\n  codex-max shape: %s\n", shape)
	}
	p("\n")
	printNext(w, out.NextCommands)
	return nil
}
