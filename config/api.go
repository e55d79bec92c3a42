package config

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/oauth-mux/oauth-mux/internal/omux"
)

// Problem is one validation finding.
type Problem struct {
	Path string // JSON path, e.g. profiles.codex-max.providers[1]; or file:line:col for syntax
	Msg  string
}

// String renders the problem as one "config error: <path>: <msg>" line.
func (p Problem) String() string {
	if p.Path == "" {
		return "config error: " + p.Msg
	}
	return "config error: " + p.Path + ": " + p.Msg
}

// Errors is every problem of one config; Error() renders one "config error: <path>: <msg>" line each.
type Errors struct{ Problems []Problem }

func (e *Errors) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// ExitCode is 200 for any config error.
func (e *Errors) ExitCode() int { return omux.ExitConfig }

// Locate finds the config file path by SPEC §3.1 (flag, OMUX_CONFIG, OMUX_CONFIG_DIR, XDG_CONFIG_HOME,
// macOS, ~/.config). getenv is os.Getenv in production.
func Locate(flag string, getenv func(string) string) string {
	getenv = orNoEnv(getenv)
	home := getenv("HOME")
	if flag != "" {
		return expandHome(flag, home)
	}
	if p := getenv("OMUX_CONFIG"); p != "" {
		return expandHome(p, home)
	}
	return filepath.Join(ConfigDir(getenv), "config.json")
}

// Load reads, parses and validates the file at path (1 MiB cap, ~ expansion). A validation or syntax
// failure returns *Errors; a missing file returns *NotFoundError, an oversized one *TooLargeError.
// On validation problems the parsed config is returned alongside the *Errors so that diagnostics
// (doctor) can still describe it; callers that act on a config must treat any error as fatal.
func Load(path string, getenv func(string) string) (*Config, error) {
	data, err := readCapped(path)
	if err != nil {
		return nil, err
	}
	c, err := Parse(data, path, getenv)
	if c != nil {
		c.Path = path
	}
	return c, err
}

// Parse parses and validates config bytes; name is used in syntax error positions. It returns the
// config together with *Errors when only validation failed, and a nil config on a syntax or type error.
func Parse(data []byte, name string, getenv func(string) string) (*Config, error) {
	getenv = orNoEnv(getenv)
	if name == "" {
		name = "config"
	}
	c, probs := decode(data, name)
	if len(probs) > 0 {
		return nil, newErrors(probs)
	}
	probs = c.expandPaths(getenv("HOME"))
	probs = append(probs, c.problems()...)
	if len(probs) > 0 {
		return c, newErrors(probs)
	}
	return c, nil
}

// RouteRef is a parsed "provider:account#capability".
type RouteRef struct{ Provider, Account, Capability string }

// ParseRouteRef parses "provider:account" or "provider:account#capability".
func ParseRouteRef(s string) (RouteRef, error) {
	rest, capability, hasCap := strings.Cut(s, "#")
	prov, acct, ok := strings.Cut(rest, ":")
	switch {
	case !ok:
		return RouteRef{}, fmt.Errorf("route %q: want provider:account or provider:account#capability", s)
	case prov == "":
		return RouteRef{}, fmt.Errorf("route %q: empty provider name", s)
	case acct == "":
		return RouteRef{}, fmt.Errorf("route %q: empty account name", s)
	case strings.Contains(acct, ":"):
		return RouteRef{}, fmt.Errorf("route %q: more than one ':'", s)
	case hasCap && capability == "":
		return RouteRef{}, fmt.Errorf("route %q: empty capability after '#'", s)
	case strings.Contains(capability, "#"):
		return RouteRef{}, fmt.Errorf("route %q: more than one '#'", s)
	}
	return RouteRef{Provider: prov, Account: acct, Capability: capability}, nil
}

// AccountKey is "provider:account", the health key of the whole account.
func (r RouteRef) AccountKey() string { return omux.Account(r.Provider, r.Account).String() }

// String renders "provider:account" or "provider:account#capability".
func (r RouteRef) String() string {
	return omux.Route(r.Provider, r.Account, r.Capability).String()
}

// orNoEnv makes a nil getenv mean an empty environment rather than a panic.
func orNoEnv(getenv func(string) string) func(string) string {
	if getenv == nil {
		return func(string) string { return "" }
	}
	return getenv
}
