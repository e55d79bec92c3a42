package config

import (
	"path/filepath"
	"runtime"
	"strings"
)

// goos is a variable so that tests can walk the macOS branch of the lookup on any machine.
var goos = runtime.GOOS

// ConfigDir is the directory that holds config.json (SPEC §3.1): OMUX_CONFIG_DIR, else
// $XDG_CONFIG_HOME/oauth-mux, else (macOS) ~/Library/Application Support/oauth-mux, else
// ~/.config/oauth-mux. HOME comes from getenv, not from the process, so tests and `init` agree.
func ConfigDir(getenv func(string) string) string {
	getenv = orNoEnv(getenv)
	home := getenv("HOME")
	if d := getenv("OMUX_CONFIG_DIR"); d != "" {
		return expandHome(d, home)
	}
	// The XDG base-dir spec says relative values are invalid and must be ignored.
	if x := getenv("XDG_CONFIG_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "oauth-mux")
	}
	switch goos {
	case "darwin":
		return filepath.Join(home, "Library", "Application Support", "oauth-mux")
	case "windows":
		if a := getenv("APPDATA"); a != "" {
			return filepath.Join(a, "oauth-mux")
		}
	}
	return filepath.Join(home, ".config", "oauth-mux")
}

// DataDir is where `init --codex-max` puts managed account homes: $XDG_DATA_HOME/oauth-mux, else
// ~/.local/share/oauth-mux. When XDG_DATA_HOME is unset the result keeps a literal "~/" prefix so a
// written config stays portable across machines and is expanded at load time.
func DataDir(getenv func(string) string) string {
	getenv = orNoEnv(getenv)
	if x := getenv("XDG_DATA_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "oauth-mux")
	}
	return "~/.local/share/oauth-mux"
}

// ExpandHome expands "~" and "~/…" with home; "~user" forms and every other path are returned as is.
func ExpandHome(p, home string) string { return expandHome(p, home) }

func expandHome(p, home string) string {
	if home == "" {
		return p
	}
	if p == "~" {
		return home
	}
	if strings.HasPrefix(p, "~/") || (goos == "windows" && strings.HasPrefix(p, `~\`)) {
		return filepath.Join(home, p[2:])
	}
	return p
}

// needsHome reports whether p would be expanded when a home is known.
func needsHome(p string) bool {
	return p == "~" || strings.HasPrefix(p, "~/") || (goos == "windows" && strings.HasPrefix(p, `~\`))
}
