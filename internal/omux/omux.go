// Package omux is the small vocabulary every layer of oauth-mux shares: the health keys of accounts
// and routes, the exit statuses oauth-mux itself gives (SPEC §10), and the environment list a
// command runs in.
//
// It must stay a leaf: it imports nothing of the project and holds no logic beyond building and
// splitting keys and reading an environment list, so that every package can use it without an
// import cycle.
package omux

import "strings"

// AccountKey is the health key of a whole account: "provider:account".
type AccountKey string

// RouteKey is the health key of one capability of an account: "provider:account#capability", or the
// account key itself when the provider has no capabilities.
type RouteKey string

// Account builds the account key of provider and account.
func Account(provider, account string) AccountKey { return AccountKey(provider + ":" + account) }

// Route builds the route key; an empty capability gives the account key.
func Route(provider, account, capability string) RouteKey {
	if capability == "" {
		return RouteKey(Account(provider, account))
	}
	return RouteKey(string(Account(provider, account)) + "#" + capability)
}

func (k AccountKey) String() string { return string(k) }
func (k RouteKey) String() string   { return string(k) }

// Account is the account part of the route key ("codex:max-1#codex-max" → "codex:max-1").
func (k RouteKey) Account() AccountKey {
	s, _, _ := strings.Cut(string(k), "#")
	return AccountKey(s)
}

// Split parses provider:account[#capability]; isRoute says a capability part was present. It never
// fails: a key without ':' is all provider.
func Split(key string) (provider, account, capability string, isRoute bool) {
	acc, capability, isRoute := strings.Cut(key, "#")
	provider, account, _ = strings.Cut(acc, ":")
	return provider, account, capability, isRoute
}

// Environ is an environment list ("KEY=value", as os.Environ gives it). oauth-mux hands one down to
// every layer instead of reading the process's own: tests run it in process with an environment of
// their own.
type Environ []string

// Lookup reads key: the last assignment wins, as in exec and getenv(3) on a de-duplicated list.
func (e Environ) Lookup(key string) (string, bool) {
	for i := len(e) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(e[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

// Get is Lookup without the flag: "" when key is unset.
func (e Environ) Get(key string) string {
	v, _ := e.Lookup(key)
	return v
}

// The exit statuses oauth-mux gives of its own (a child's status passes through unchanged).
const (
	ExitGeneral = 1   // any error without a status of its own
	ExitUsage   = 2   // unknown command or flag, a missing argument, a refused combination
	ExitConfig  = 200 // the config is invalid, unreadable or too large
	ExitNoRoute = 201 // no route left, nothing selectable
	ExitSecret  = 202 // reading, decrypting or writing a secret failed
	ExitRefresh = 203 // a token refresh failed (refused, invalid_grant, account lock held)
	ExitNetwork = 204 // a network error
)

// ValidPool reports whether name may name a shared-health pool: 1–64 of letters, digits, '.', '_'
// and '-', so that it can sit in a Redis hash tag ({pool}) and in a file name.
func ValidPool(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, c := range name {
		if !(c == '.' || c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
