package cmd

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/state"
	"github.com/oauth-mux/oauth-mux/state/redisstore"
)

// sharedPool is the client of the pool this invocation shares health with, or nil when health stays
// on this machine (no shared.redis in the config and no OMUX_REDIS_URL). It does not connect: the
// first read or write does, bounded by the pool's timeout.
func (a *App) sharedPool(cfg *config.Config, dir string) (*redisstore.Client, error) {
	a.poolOnce.Do(func() {
		r := config.SharedRedisFrom(cfg, a.Getenv)
		if r == nil {
			return
		}
		if msg := config.CheckRedisURL(r.URL); msg != "" {
			a.poolErr = Errorf(omux.ExitConfig, nil, "shared health: the Redis URL %s", msg)
			return
		}
		var password string
		if r.PasswordEnv != "" {
			password = a.Getenv(r.PasswordEnv)
		}
		a.pool, a.poolErr = redisstore.New(redisstore.Options{URL: r.URL, Password: password, TLS: r.TLS, Pool: r.Pool,
			Host: a.hostID(r), Timeout: r.Timeout(), Dir: dir})
		if a.poolErr != nil {
			a.poolErr = Errorf(omux.ExitConfig, nil, "%v", a.poolErr)
		}
	})
	return a.pool, a.poolErr
}

// hostID is this machine's name in a pool's evidence: the config's, OMUX_HOST_ID, or the hostname.
func (a *App) hostID(r *config.SharedRedis) string {
	if r != nil && r.Host != "" {
		return r.Host
	}
	if h := a.Getenv("OMUX_HOST_ID"); h != "" {
		return h
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "unknown-host"
}

// healthOf is the health backend over local: local itself, or local shared with the pool.
func (a *App) healthOf(cfg *config.Config, dir string, local *state.Store) (state.Backend, error) {
	pool, err := a.sharedPool(cfg, dir)
	if err != nil || pool == nil {
		return local, err
	}
	return redisstore.NewBackend(local, pool), nil
}

// describePool is the pool in a few words for doctor and notices (never the URL, which may hold a
// password).
func describePool(c *redisstore.Client) string {
	return fmt.Sprintf("redis %s, pool %s, host %s", c.Address(), c.Pool(), c.Host())
}

// healthBackend is doctor's view of where health lives (doctor and doctor runtime, JSON
// "health_backend"): the file store alone, or a pool with its reachability as measured now.
type healthBackend struct {
	// Kind is "file" or "redis".
	Kind      string   `json:"kind"`
	Address   string   `json:"address,omitempty"`
	Pool      string   `json:"pool,omitempty"`
	Host      string   `json:"host,omitempty"`
	Reachable *bool    `json:"reachable,omitempty"`
	LatencyMS *float64 `json:"latency_ms,omitempty"`
	// OfflineSince is the first failure of the outage this state dir last saw (none while online).
	OfflineSince *time.Time `json:"offline_since,omitempty"`
	LastError    string     `json:"last_error,omitempty"`
	// Outbox counts the writes waiting for the server.
	Outbox int `json:"outbox"`
	// RefreshShared says refreshes are the pool's (recipient and identity set); without it each
	// machine refreshes alone, which a provider that rotates refresh tokens punishes.
	RefreshShared bool   `json:"refresh_shared"`
	Error         string `json:"error,omitempty"`
}

// checkHealthBackend pings the pool once (bounded by its timeout) and reads the state dir's outbox
// and offline status. It sends no mark and replays nothing: doctor only looks.
func (a *App) checkHealthBackend(cfg *config.Config, dir string) healthBackend {
	pool, err := a.sharedPool(cfg, dir)
	if err != nil {
		return healthBackend{Kind: "redis", Error: err.Error()}
	}
	if pool == nil {
		return healthBackend{Kind: "file"}
	}
	hb := healthBackend{Kind: "redis", Address: pool.Address(), Pool: pool.Pool(), Host: pool.Host(), Outbox: redisstore.Outboxed(dir),
		RefreshShared: a.fleet() != nil}
	// The status file before the ping: a ping that succeeds clears it.
	st := redisstore.ReadStatus(dir)
	lat, perr := pool.Ping(context.Background())
	ok := perr == nil
	hb.Reachable = &ok
	if ok {
		ms := float64(lat.Microseconds()) / 1000
		hb.LatencyMS = &ms
	} else {
		hb.LastError = perr.Error()
		st = redisstore.ReadStatus(dir)
	}
	if st.Offline && !ok {
		since := st.OfflineSince
		hb.OfflineSince = &since
	}
	return hb
}

// text is the backend in one line for doctor's text.
func (hb healthBackend) text() string {
	switch {
	case hb.Kind == "file":
		return "this machine's file store (no shared pool)"
	case hb.Error != "":
		return "shared pool misconfigured: " + hb.Error
	}
	s := fmt.Sprintf("redis %s, pool %s, host %s: ", hb.Address, hb.Pool, hb.Host)
	if hb.Reachable != nil && *hb.Reachable {
		s += fmt.Sprintf("reachable, %.2f ms", *hb.LatencyMS)
	} else {
		s += "offline (" + hb.LastError + ")"
		if hb.OfflineSince != nil {
			s += " since " + hb.OfflineSince.UTC().Format(time.RFC3339)
		}
	}
	if hb.Outbox > 0 {
		s += fmt.Sprintf("; %d write%s waiting in the outbox", hb.Outbox, plural(hb.Outbox))
	}
	if !hb.RefreshShared {
		s += "; refreshes not shared (set shared.redis.recipient and identity)"
	}
	return s
}
