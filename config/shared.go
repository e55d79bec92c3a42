package config

import (
	"net/url"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/oauth-mux/oauth-mux/internal/omux"
)

// Shared is health shared by the machines of a pool (a CI fleet, a team): route cooldowns, dead
// accounts, open circuits and one refresher per account. Without it every machine keeps its own.
type Shared struct {
	Redis *SharedRedis `json:"redis,omitempty"`
}

// SharedRedis is a pool on Redis (or Valkey).
type SharedRedis struct {
	// URL is redis://[user@]host:port/db, rediss:// for TLS, or unix:///path. It never holds the
	// password: a config is read by people, copied into issues, and printed by doctor.
	URL string `json:"url,omitempty"`
	// Pool names the machines sharing health; the same accounts under two pools never meet.
	Pool string `json:"pool,omitempty"`
	// PasswordEnv names the environment variable holding the server's password (AUTH).
	PasswordEnv string `json:"password_env,omitempty"`
	TLS         bool   `json:"tls,omitempty"`
	// TimeoutMS bounds every call to the server (default 200): past it, the pool is offline.
	TimeoutMS int `json:"timeout_ms,omitempty"`
	// Host is this machine's name in the pool's evidence (default OMUX_HOST_ID, else the hostname).
	Host string `json:"host,omitempty"`
	// Recipient is the pool's age public key (age1…): a refreshed credential is stored sealed to it.
	Recipient string `json:"recipient,omitempty"`
	// Identity is where this machine reads the pool's age identity, to open a credential another
	// machine refreshed (any secret backend).
	Identity *Secret `json:"identity,omitempty"`
	// LeaseMS is how long one machine holds an account's refresh (default 45000).
	LeaseMS int `json:"lease_ms,omitempty"`
	// RefreshMarginMinutes: an account's access token expiring within this margin is refreshed
	// before a child starts, under the lease (default 30).
	RefreshMarginMinutes int `json:"refresh_margin_minutes,omitempty"`
}

// Defaults of a shared pool.
const (
	DefaultSharedTimeout       = 200 * time.Millisecond
	DefaultSharedLease         = 45 * time.Second
	DefaultSharedRefreshMargin = 30 * time.Minute
	// DefaultPool is the pool of a server named only by OMUX_REDIS_URL.
	DefaultPool = "default"
)

// Timeout is the per-call bound.
func (r *SharedRedis) Timeout() time.Duration {
	if r.TimeoutMS > 0 {
		return time.Duration(r.TimeoutMS) * time.Millisecond
	}
	return DefaultSharedTimeout
}

// Lease is the refresh lease's life.
func (r *SharedRedis) Lease() time.Duration {
	if r.LeaseMS > 0 {
		return time.Duration(r.LeaseMS) * time.Millisecond
	}
	return DefaultSharedLease
}

// RefreshMargin is how close to its expiry an access token is refreshed ahead.
func (r *SharedRedis) RefreshMargin() time.Duration {
	if r.RefreshMarginMinutes > 0 {
		return time.Duration(r.RefreshMarginMinutes) * time.Minute
	}
	return DefaultSharedRefreshMargin
}

// SharedRedisFrom is the pool this invocation uses: the config's, with OMUX_REDIS_URL (when set)
// replacing its URL or naming a server for a config that has none (pool "default"). nil means
// health stays on this machine.
func SharedRedisFrom(c *Config, getenv func(string) string) *SharedRedis {
	var r SharedRedis
	if c != nil && c.Shared.Redis != nil {
		r = *c.Shared.Redis
	}
	if u := getenv("OMUX_REDIS_URL"); u != "" {
		r.URL = u
	}
	if r.URL == "" {
		return nil
	}
	if r.Pool == "" {
		r.Pool = DefaultPool
	}
	return &r
}

func (v *validator) shared() {
	r := v.c.Shared.Redis
	if r == nil {
		return
	}
	const path = "shared.redis"
	if r.URL == "" {
		v.add(path+".url", "missing: the server as redis://host:port/db, rediss://… for TLS, or unix:///path (or set OMUX_REDIS_URL)")
	} else if msg := CheckRedisURL(r.URL); msg != "" {
		v.add(path+".url", "%s", msg)
	}
	if r.Pool == "" {
		v.add(path+".pool", "missing: name the pool the machines share (letters, digits, '.', '_', '-')")
	} else if !omux.ValidPool(r.Pool) {
		v.add(path+".pool", "%q must be 1–64 letters, digits, '.', '_' or '-'", r.Pool)
	}
	if r.PasswordEnv != "" && !isEnvName(r.PasswordEnv) {
		v.add(path+".password_env", "%q is not an environment variable name", r.PasswordEnv)
	}
	if r.TimeoutMS < 0 || r.TimeoutMS > 60000 {
		v.add(path+".timeout_ms", "must be between 1 and 60000, got %d", r.TimeoutMS)
	}
	if r.LeaseMS != 0 && (r.LeaseMS < 1000 || r.LeaseMS > 600000) {
		v.add(path+".lease_ms", "must be between 1000 and 600000, got %d", r.LeaseMS)
	}
	if r.RefreshMarginMinutes < 0 || r.RefreshMarginMinutes > 24*60 {
		v.add(path+".refresh_margin_minutes", "must be between 1 and 1440, got %d", r.RefreshMarginMinutes)
	}
	if strings.ContainsAny(r.Host, " \t\r\n") || len(r.Host) > 128 {
		v.add(path+".host", "must be up to 128 characters without spaces")
	}
	if r.Recipient != "" {
		if _, err := age.ParseX25519Recipient(r.Recipient); err != nil {
			v.add(path+".recipient", "not an age public key (age1…): %v", err)
		}
	}
	if (r.Recipient == "") != (r.Identity == nil) {
		v.add(path, "set \"recipient\" and \"identity\" together: the pool's key seals a refreshed credential, each machine's identity opens it")
	}
	if r.Identity != nil {
		v.secret(path+".identity", *r.Identity)
	}
}

// CheckRedisURL says what is wrong with a Redis URL ("" when nothing). It never repeats the URL,
// which may hold a password.
func CheckRedisURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "does not parse as a URL (want redis://host:port/db, rediss://… or unix:///path)"
	}
	switch u.Scheme {
	case "redis", "rediss":
		if u.Host == "" {
			return "names no host (want redis://host:port/db)"
		}
	case "unix":
		if u.Path == "" {
			return "names no socket path (want unix:///path/to/redis.sock)"
		}
	default:
		return "scheme must be redis://, rediss:// or unix://"
	}
	if _, ok := u.User.Password(); ok {
		return "holds a password: move it to an environment variable and name it in \"password_env\""
	}
	return ""
}
