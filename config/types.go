// Package config owns the oauth-mux config file (SPEC §3): its schema (compatible with the Zig
// oauth-mux), where it is looked up, loading with a size cap and `~` expansion, validation that reports
// every problem with its JSON path, the `init` templates, and the specs of secret backends with their
// write capability.
//
// It must not read secrets, run probes or touch the state dir: it describes, it does not act.
package config

import "github.com/oauth-mux/oauth-mux/providers"

// Config is a loaded config file, version 1.
type Config struct {
	Version             int                             `json:"version"`
	Defaults            Defaults                        `json:"defaults,omitzero"`
	Policy              Policy                          `json:"policy,omitzero"`
	ProviderDefinitions map[string]providers.Definition `json:"provider_definitions,omitempty"`
	Providers           map[string]Provider             `json:"providers,omitempty"`
	Profiles            map[string]Profile              `json:"profiles,omitempty"`
	Strategies          map[string]Strategy             `json:"strategies,omitempty"`
	Shared              Shared                          `json:"shared,omitzero"`

	// Path is the file the config was loaded from ("" for an embedded one).
	Path string `json:"-"`
	// Unknown lists the JSON paths of keys the schema does not know (warned about; --strict refuses).
	Unknown []string `json:"-"`
	// UnknownNear maps an unknown key's path to the known key beside it that it most likely misspells.
	UnknownNear map[string]string `json:"-"`

	// catalog is built once per parsed config (see Catalog).
	catalog func() *providers.Catalog
}

// Defaults applies when a command line does not say.
type Defaults struct {
	Provider   string `json:"provider,omitempty"`
	Strategy   string `json:"strategy,omitempty"`
	Profile    string `json:"profile,omitempty"`
	Capability string `json:"capability,omitempty"`
	Shell      string `json:"shell,omitempty"`
	Daemon     *bool  `json:"daemon,omitempty"`
}

// Policy governs background work (SPEC §9).
type Policy struct {
	Daemon DaemonPolicy `json:"daemon,omitzero"`
}

// DaemonPolicy lists what background work may spend. A nil AllowedBudgets means the default
// [free_local, free_command].
type DaemonPolicy struct {
	AllowedBudgets   []string `json:"allowed_budgets,omitempty"`
	AllowInteractive bool     `json:"allow_interactive,omitempty"`
	AllowMutating    bool     `json:"allow_mutating,omitempty"`
}

// Provider is one configured provider with its accounts.
type Provider struct {
	Kind         string             `json:"kind,omitempty"`
	ConfigDirEnv string             `json:"config_dir_env,omitempty"`
	Accounts     map[string]Account `json:"accounts"`
}

// Account is one login of a provider.
type Account struct {
	Priority  int      `json:"priority,omitempty"`
	Secret    Secret   `json:"secret"`
	ConfigDir string   `json:"config_dir,omitempty"`
	Quota     *Quota   `json:"quota,omitempty"`
	Tags      []string `json:"tags,omitempty"`
}

// Metered reports whether the account bills per use (tagged "metered").
func (a Account) Metered() bool {
	for _, t := range a.Tags {
		if t == "metered" {
			return true
		}
	}
	return false
}

// Quota is a monthly run budget the user sets for an account.
type Quota struct {
	MonthlyLimit *int `json:"monthly_limit,omitempty"`
	WarnAtPct    *int `json:"warn_at_pct,omitempty"` // default 5
}

// Secret backends.
const (
	BackendFile     = "file"
	BackendEnv      = "env"
	BackendCommand  = "command"
	BackendKeychain = "keychain"
	BackendSops     = "sops"
	BackendAge      = "age"
	BackendStdin    = "stdin"
)

// Write capabilities of a secret backend.
const (
	WriteReplaceFile = "replace_file"
	WriteReadOnly    = "read_only"
)

// Secret says where an account's credential lives. Which fields apply depends on Backend.
type Secret struct {
	Backend  string   `json:"backend"`
	Path     string   `json:"path,omitempty"`     // file, sops, age
	Variable string   `json:"variable,omitempty"` // env
	Command  []string `json:"command,omitempty"`  // command
	Service  string   `json:"service,omitempty"`  // keychain
	Account  string   `json:"account,omitempty"`  // keychain
	KeyPath  string   `json:"key_path,omitempty"` // sops
	Identity string   `json:"identity,omitempty"` // age: inline AGE-SECRET-KEY-… or a path
}

// WriteCapability is what oauth-mux may do to write a refreshed credential back.
func (s Secret) WriteCapability() string {
	if s.Backend == BackendFile {
		return WriteReplaceFile
	}
	return WriteReadOnly
}

// Profile is an ordered list of routes serving one purpose.
type Profile struct {
	Providers          []string `json:"providers"`
	Strategy           string   `json:"strategy,omitempty"`
	AffinityTTLMinutes *int     `json:"affinity_ttl_minutes,omitempty"` // default 20
	AllowMetered       bool     `json:"allow_metered,omitempty"`
}

// Strategy kinds.
const (
	PriorityFailover = "priority-failover"
	HealthWeighted   = "health-weighted"
	RoundRobin       = "round-robin"
)

// Strategy orders routes and sets score arithmetic. Nil numbers take the SPEC defaults (decay 2,
// rate-limit penalty −10, failure penalty −20, success bonus 1).
type Strategy struct {
	Kind               string `json:"kind"`
	MaxRetries         *int   `json:"max_retries,omitempty"`
	HealthDecayPerHour *int   `json:"health_decay_per_hour,omitempty"`
	RateLimitPenalty   *int   `json:"rate_limit_penalty,omitempty"`
	FailurePenalty     *int   `json:"failure_penalty,omitempty"`
	SuccessBonus       *int   `json:"success_bonus,omitempty"`
}
