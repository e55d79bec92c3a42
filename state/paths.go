package state

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Dir resolves the state directory (SPEC §3.1): OMUX_STATE_DIR, else $XDG_STATE_HOME/oauth-mux,
// else on macOS ~/Library/Application Support/oauth-mux, else ~/.local/state/oauth-mux. getenv is
// passed in so that cmd can resolve against the environment it was handed, not the process's.
func Dir(getenv func(string) string) string {
	home := getenv("HOME")
	if home == "" && runtime.GOOS == "windows" {
		home = getenv("USERPROFILE")
	}
	if d := getenv("OMUX_STATE_DIR"); d != "" {
		return expandHome(d, home)
	}
	// The XDG spec says a relative XDG_* value is invalid and must be ignored.
	if x := getenv("XDG_STATE_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "oauth-mux")
	}
	if home == "" {
		// Only reached with a scrubbed environment; the process's own idea of home beats the cwd.
		home, _ = os.UserHomeDir()
	}
	if runtime.GOOS == "darwin" {
		return filepath.Join(home, "Library", "Application Support", "oauth-mux")
	}
	return filepath.Join(home, ".local", "state", "oauth-mux")
}

func expandHome(p, home string) string {
	if home == "" {
		return p
	}
	if p == "~" {
		return home
	}
	if strings.HasPrefix(p, "~/") {
		return filepath.Join(home, p[2:])
	}
	return p
}

// HomesDir is the managed config directory of one account (SPEC §6.1): <dir>/homes/<provider>/<account>,
// both names reduced to [A-Za-z0-9._-] so a name can never climb out of homes/.
func HomesDir(dir, provider, account string) string {
	return filepath.Join(dir, "homes", SafeName(provider), SafeName(account))
}

// SafeName maps every character outside [A-Za-z0-9._-] to '_' and refuses the names "." and ".."
// (they become "_" and "__"), so the result is always one plain path element.
func SafeName(s string) string {
	out := strings.Map(func(c rune) rune {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
			return c
		}
		return '_'
	}, s)
	switch out {
	case "":
		return "_"
	case ".":
		return "_"
	case "..":
		return "__"
	}
	return out
}
