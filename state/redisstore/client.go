// Package redisstore owns health shared by a pool of machines on Redis (or Valkey): the marks and
// clears of state's shared rules, kept per record key under the pool's hash tag (om:{pool}:…) with
// expiries at the instants they end, the one-read-per-second cache, the outbox of writes that could
// not reach the server, the offline status, and the per-account refresh leases, fences and sealed
// credential generations.
//
// It must not block a user's command: every call is bounded by the configured timeout, an error
// wraps state.ErrOffline, and after a failure the server is left alone for a while. It stores no
// token or credential in clear (a credential generation is sealed by the caller before it gets
// here), no output, path or argument. It never decides health itself: state's rules do.
package redisstore

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/state"
)

// DefaultTimeout bounds every call to the server.
const DefaultTimeout = 200 * time.Millisecond

// readEvery is how often one process reads the pool: at most once a second.
const readEvery = time.Second

// offlineFor is how long a process leaves a server alone after a call failed: one timeout per
// command, not one per call.
const offlineFor = 5 * time.Second

// Options configures a Client.
type Options struct {
	// URL is redis://[user@]host:port/db, rediss:// for TLS, or unix:///path.
	URL string
	// Password, when set, replaces any in the URL (from the environment variable the config names).
	Password string
	TLS      bool
	Pool     string
	// Host is this machine's name in the pool's evidence.
	Host    string
	Timeout time.Duration
	// Dir is the state dir: the outbox and the status file live there.
	Dir string
	Now func() time.Time
}

// Client is one process's connection to a pool.
type Client struct {
	rdb     *redis.Client
	opts    Options
	prefix  string
	address string

	mu       sync.Mutex
	cache    []cachedKey
	cachedAt time.Time
	downTill time.Time
	downErr  error
	warned   bool
	checked  bool
	notices  []string
	replayed bool
}

type cachedKey struct {
	key     state.SharedKey
	expires time.Time
}

// quiet drops go-redis's own log lines: they would land on the user's stderr, beside the child's
// output, once per failed dial; the client says what matters once, in its notices.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

var quietOnce sync.Once

// New makes a client; it does not connect (the first call does).
func New(o Options) (*Client, error) {
	quietOnce.Do(func() { redis.SetLogger(quiet{}) })
	if !omux.ValidPool(o.Pool) {
		return nil, fmt.Errorf("shared health: pool name %q must be letters, digits, '.', '_' or '-'", o.Pool)
	}
	ro, err := redis.ParseURL(o.URL)
	if err != nil {
		return nil, fmt.Errorf("shared health: the Redis URL does not parse: %s", redactURLError(err))
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Password != "" {
		ro.Password = o.Password
	}
	if o.TLS && ro.TLSConfig == nil {
		host, _, _ := net.SplitHostPort(ro.Addr)
		ro.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host}
	}
	ro.DialTimeout, ro.ReadTimeout, ro.WriteTimeout = o.Timeout, o.Timeout, o.Timeout
	ro.ContextTimeoutEnabled = true
	ro.MaxRetries = -1 // one try: a retry would double the wait of a command that must not wait
	ro.DialerRetries = 1
	// RESP2: no HELLO (nor the maintenance-notification handshake that RESP3 brings) before the
	// first command; a short command pays for each round trip.
	ro.Protocol = 2
	ro.PoolSize = 4
	ro.DisableIdentity = true
	c := &Client{rdb: redis.NewClient(ro), opts: o, prefix: "om:{" + o.Pool + "}:", address: ro.Addr}
	if ro.Network == "unix" {
		c.address = "unix:" + ro.Addr
	}
	return c, nil
}

// redactURLError keeps a parse error from repeating the URL, which may carry a password.
func redactURLError(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "://"); i >= 0 {
		return "check its scheme (redis://, rediss:// or unix://), host, port and database"
	}
	return msg
}

// Close closes the connections.
func (c *Client) Close() error { return c.rdb.Close() }

// Address is the server's address (never the URL, which may hold a password).
func (c *Client) Address() string { return c.address }

// Pool is the pool's name.
func (c *Client) Pool() string { return c.opts.Pool }

// Host is this machine's name in the pool.
func (c *Client) Host() string { return c.opts.Host }

func (c *Client) key(kind, name string) string { return c.prefix + kind + ":" + name }

// call runs fn with the timeout unless the server failed a moment ago; a failure is remembered,
// reported once as a notice, and recorded in the status file (since when the pool is offline).
func (c *Client) call(ctx context.Context, fn func(ctx context.Context) error) error {
	c.mu.Lock()
	if now := c.opts.Now(); now.Before(c.downTill) {
		err := c.downErr
		c.mu.Unlock()
		return err
	}
	c.mu.Unlock()
	cctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	err := fn(cctx)
	if err == nil || errors.Is(err, redis.Nil) {
		c.online()
		return nil
	}
	var re redis.Error
	if errors.As(err, &re) && !unavailable(re.Error()) {
		// The server answered: a script error is ours, not an outage.
		return fmt.Errorf("shared health: %w", err)
	}
	return c.offline(err)
}

// unavailable is whether a server's error reply means it cannot serve the pool now (loading its
// data, a read-only replica after a failover, no primary, a busy script, out of memory, refused
// credentials), which is an outage like a timeout: writes wait in the outbox.
func unavailable(reply string) bool {
	code, _, _ := strings.Cut(reply, " ")
	switch code {
	case "LOADING", "READONLY", "MASTERDOWN", "BUSY", "CLUSTERDOWN", "TRYAGAIN", "OOM", "NOAUTH", "WRONGPASS", "NOPERM", "NOREPLICAS", "MISCONF":
		return true
	}
	return false
}

func (c *Client) offline(err error) error {
	oerr := fmt.Errorf("%w: redis %s (pool %s): %v", state.ErrOffline, c.address, c.opts.Pool, describe(err))
	c.mu.Lock()
	c.downTill, c.downErr = c.opts.Now().Add(offlineFor), oerr
	first := !c.warned
	c.warned = true
	if first {
		c.notices = append(c.notices, fmt.Sprintf("shared health is offline (redis %s, pool %s: %s); going on with this machine's health", c.address, c.opts.Pool, describe(err)))
	}
	c.mu.Unlock()
	if first {
		c.writeStatus(false, describe(err))
	}
	return oerr
}

func (c *Client) online() {
	c.mu.Lock()
	first := !c.checked || c.downErr != nil
	c.checked = true
	c.downTill, c.downErr = time.Time{}, nil
	c.mu.Unlock()
	if first {
		c.writeStatus(true, "") // once per process: the file says offline only after an outage
	}
}

// describe is a network error in a few words (go-redis errors can be long and repeat the address).
func describe(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return "timed out"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "timed out"
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.Contains(msg, "dial") {
		msg = msg[i+2:]
	}
	return msg
}

// Notices are the client's one-time lines for the user (the pool went offline), each once.
func (c *Client) Notices() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.notices...)
}

// Ping measures one round trip.
func (c *Client) Ping(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	err := c.call(ctx, func(ctx context.Context) error { return c.rdb.Ping(ctx).Err() })
	return time.Since(start), err
}

// Read returns the pool's marks and clears: from the server at most once a second, from the cache
// in between (a cached key is dropped when the server's would have expired).
func (c *Client) Read(ctx context.Context) ([]state.SharedKey, error) {
	now := c.opts.Now()
	c.mu.Lock()
	if !c.cachedAt.IsZero() && now.Sub(c.cachedAt) < readEvery {
		out := make([]state.SharedKey, 0, len(c.cache))
		for _, k := range c.cache {
			if now.Before(k.expires) {
				out = append(out, k.key)
			}
		}
		c.mu.Unlock()
		return out, nil
	}
	c.mu.Unlock()
	c.replay(ctx)
	var raw []any
	err := c.call(ctx, func(ctx context.Context) error {
		v, err := readScript.Run(ctx, c.rdb, []string{c.key("idx", "records")}, c.prefix, now.UnixMilli()).Slice()
		raw = v
		return err
	})
	if err != nil {
		return nil, err
	}
	keys, cached := decodeRead(raw, now)
	c.mu.Lock()
	c.cache, c.cachedAt = cached, now
	c.mu.Unlock()
	return keys, nil
}

func decodeRead(raw []any, now time.Time) ([]state.SharedKey, []cachedKey) {
	var keys []state.SharedKey
	var cached []cachedKey
	for _, row := range raw {
		f, ok := row.([]any)
		if !ok || len(f) != 5 {
			continue
		}
		name, _ := f[0].(string)
		sk := state.SharedKey{Key: name}
		if cv, _ := f[1].(string); cv != "" {
			ms, host, _ := strings.Cut(cv, " ")
			if n, err := strconv.ParseInt(ms, 10, 64); err == nil {
				sk.Clear = &state.Clear{Key: name, ObservedAt: time.UnixMilli(n).UTC(), Host: host}
			}
		}
		life := max(asInt(f[2]), asInt(f[3]))
		members, _ := f[4].([]any)
		for _, m := range members {
			s, _ := m.(string)
			_, js, ok := strings.Cut(s, " ")
			var mk state.Mark
			if !ok || json.Unmarshal([]byte(js), &mk) != nil {
				continue // a member a newer version wrote in a shape this one does not read
			}
			mk.Key = name
			sk.Marks = append(sk.Marks, mk)
		}
		if sk.Clear == nil && len(sk.Marks) == 0 {
			continue
		}
		keys = append(keys, sk)
		exp := now.Add(time.Duration(life) * time.Millisecond)
		if life < 0 {
			exp = now.Add(readEvery) // no expiry: keep it as long as the cache lives
		}
		cached = append(cached, cachedKey{key: sk, expires: exp})
	}
	return keys, cached
}

func asInt(v any) int64 {
	n, _ := v.(int64)
	return n
}

// Write sends writes to the pool in one script call. A write that cannot reach the server goes to
// the outbox, replayed by the next call that can (the rules make a replay harmless).
func (c *Client) Write(ctx context.Context, ws []state.SharedWrite) error {
	if len(ws) == 0 {
		return nil
	}
	c.replay(ctx)
	err := c.send(ctx, ws)
	if errors.Is(err, state.ErrOffline) {
		if oerr := c.appendOutbox(ws); oerr != nil {
			return errors.Join(err, oerr)
		}
	}
	return err
}

func (c *Client) send(ctx context.Context, ws []state.SharedWrite) error {
	keys := []string{c.key("idx", "records")}
	args := []any{c.opts.Now().UnixMilli()}
	for _, w := range ws {
		name := w.Key()
		keys = append(keys, c.key("m", name), c.key("c", name))
		switch {
		case w.Mark != nil:
			m := *w.Mark
			m.Key = ""
			// The server orders by milliseconds (scores, clears): the mark says the same instant.
			m.ObservedAt = m.ObservedAt.Truncate(time.Millisecond)
			js, err := json.Marshal(m)
			if err != nil {
				return err
			}
			ends := w.Mark.Ends().UnixMilli()
			args = append(args, "m", name, w.Mark.ObservedAt.UnixMilli(), ends, strconv.FormatInt(ends, 10)+" "+string(js))
		case w.Clear != nil:
			at := w.Clear.ObservedAt
			args = append(args, "c", name, at.UnixMilli(), at.Add(state.ClearKeptFor).UnixMilli(), w.Clear.Host)
		}
	}
	// The cache stays: what this process wrote is in its local store already, which every read
	// merges the pool over, so a fresh read would only cost a round trip.
	return c.call(ctx, func(ctx context.Context) error { return writeScript.Run(ctx, c.rdb, keys, args...).Err() })
}

// OutboxPath is the file of writes waiting for the server.
func OutboxPath(dir string) string { return filepath.Join(dir, "shared-outbox.jsonl") }

// outboxLockWait bounds waiting for another process's append or replay: the outbox is a best
// effort, the user's command is not.
const outboxLockWait = 2 * time.Second

func (c *Client) appendOutbox(ws []state.SharedWrite) error {
	lctx, cancel := context.WithTimeout(context.Background(), outboxLockWait)
	defer cancel()
	l, err := state.LockNamed(lctx, c.opts.Dir, "shared-outbox", true)
	if err != nil {
		return fmt.Errorf("shared health outbox: %w", err)
	}
	defer l.Release()
	f, err := os.OpenFile(OutboxPath(c.opts.Dir), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("shared health outbox: %w", err)
	}
	b, err := encodeOutbox(ws)
	if err != nil {
		f.Close()
		return err
	}
	_, werr := f.Write(b)
	return errors.Join(werr, f.Sync(), f.Close())
}

// replay sends the outbox once per process, before the first read or write that reaches the
// server. Replayed writes obey the same rules as fresh ones, so a mark lifted meanwhile stays lifted.
func (c *Client) replay(ctx context.Context) {
	c.mu.Lock()
	done := c.replayed || c.opts.Now().Before(c.downTill)
	c.mu.Unlock()
	if done {
		return
	}
	if _, err := os.Stat(OutboxPath(c.opts.Dir)); err != nil {
		c.mu.Lock()
		c.replayed = true
		c.mu.Unlock()
		return
	}
	// Once per process, whatever the outcome, unless the server went away: what was not sent stays
	// in the outbox for a later process, and a write the server refuses is not retried on every call.
	if _, err := c.Replay(ctx); !errors.Is(err, state.ErrOffline) {
		c.mu.Lock()
		c.replayed = true
		c.mu.Unlock()
	}
}

// Replay sends every write in the outbox and empties it; it reports how many were sent. A line
// that does not parse (a torn append) is dropped; a batch the server refuses as such (not an
// outage) is dropped too, with the error, so that one bad line cannot hold the others back; what
// an outage kept from being sent stays for the next replay.
func (c *Client) Replay(ctx context.Context) (int, error) {
	lctx, cancel := context.WithTimeout(ctx, outboxLockWait)
	defer cancel()
	l, err := state.LockNamed(lctx, c.opts.Dir, "shared-outbox", true)
	if err != nil {
		return 0, fmt.Errorf("shared health outbox: %w", err)
	}
	defer l.Release()
	data, err := os.ReadFile(OutboxPath(c.opts.Dir))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	ws := parseOutbox(data)
	sent := 0
	var refused error
	for i := 0; i < len(ws); i += 64 {
		batch := ws[i:min(i+64, len(ws))]
		err := c.send(ctx, batch)
		if errors.Is(err, state.ErrOffline) {
			return sent, errors.Join(err, c.keepOutbox(ws[i:]))
		}
		if err != nil {
			refused = err
			continue
		}
		sent += len(batch)
	}
	return sent, errors.Join(refused, os.Remove(OutboxPath(c.opts.Dir)))
}

// keepOutbox replaces the outbox with the writes not yet sent.
func (c *Client) keepOutbox(ws []state.SharedWrite) error {
	b, err := encodeOutbox(ws)
	if err != nil {
		return err
	}
	return state.WriteFileAtomic(OutboxPath(c.opts.Dir), b, 0o600)
}

// encodeOutbox is ws as outbox lines, one JSON write each.
func encodeOutbox(ws []state.SharedWrite) ([]byte, error) {
	var b []byte
	for _, w := range ws {
		js, err := json.Marshal(w)
		if err != nil {
			return nil, err
		}
		b = append(append(b, js...), '\n')
	}
	return b, nil
}

func parseOutbox(data []byte) []state.SharedWrite {
	var ws []state.SharedWrite
	for line := range strings.SplitSeq(string(data), "\n") {
		var w state.SharedWrite
		if line == "" || json.Unmarshal([]byte(line), &w) != nil || w.Key() == "" || w.Mark != nil && w.Clear != nil {
			continue
		}
		ws = append(ws, w)
	}
	return ws
}

// Outboxed reports how many writes wait in the outbox of dir.
func Outboxed(dir string) int {
	data, err := os.ReadFile(OutboxPath(dir))
	if err != nil {
		return 0
	}
	return len(parseOutbox(data))
}
