package config

// This file is the contract other packages build against. The config helper replaces the stub bodies
// (it may move them to other files, keeping the signatures).

// Problem is one validation finding.
type Problem struct {
	Path string // JSON path, e.g. profiles.codex-max.providers[1]; or file:line:col for syntax
	Msg  string
}

// Errors is every problem of one config; Error() renders one "config error: <path>: <msg>" line each.
type Errors struct{ Problems []Problem }

func (e *Errors) Error() string { return "" }

// ExitCode is 200 for any config error.
func (e *Errors) ExitCode() int { return 200 }

// Locate finds the config file path by SPEC §3.1 (flag, OMUX_CONFIG, OMUX_CONFIG_DIR, XDG_CONFIG_HOME,
// macOS, ~/.config). getenv is os.Getenv in production.
func Locate(flag string, getenv func(string) string) string { return "" }

// Load reads, parses and validates the file at path (1 MiB cap, ~ expansion). A validation or syntax
// failure returns *Errors.
func Load(path string, getenv func(string) string) (*Config, error) { return nil, nil }

// Parse parses and validates config bytes; name is used in syntax error positions.
func Parse(data []byte, name string, getenv func(string) string) (*Config, error) { return nil, nil }

// RouteRef is a parsed "provider:account#capability".
type RouteRef struct{ Provider, Account, Capability string }

// ParseRouteRef parses "provider:account" or "provider:account#capability".
func ParseRouteRef(s string) (RouteRef, error) { return RouteRef{}, nil }
