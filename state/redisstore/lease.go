package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/oauth-mux/oauth-mux/state"
)

// ErrLeaseLost is returned by a commit whose lease expired or was taken over: another machine may
// be refreshing, so the holder must not store (or have sent) anything.
var ErrLeaseLost = errors.New("the refresh lease was lost")

// ErrGenerationMoved is returned by a commit when the pool's generation is no longer the one the
// writer read: another machine stored a newer credential first.
var ErrGenerationMoved = state.ErrGenerationMoved

// Lease is this machine's hold on one account's refresh across the pool. Fence numbers only grow,
// so a holder that slept past its lease cannot be mistaken for the one that took it over.
type Lease struct {
	c       *Client
	account string
	fence   int64
	gen     int64
	ttl     time.Duration
}

// Fence is the lease's number; Generation is the account's generation when the lease was taken.
func (l *Lease) Fence() int64      { return l.fence }
func (l *Lease) Generation() int64 { return l.gen }

func (c *Client) leaseKeys(account string) (lease, fence, gen, cred string) {
	return c.key("lease", account), c.key("fence", account), c.key("gen", account), c.key("cred", account)
}

// Acquire takes account's refresh lease for ttl. When another machine holds it, the lease is nil
// and heldFor is what remains of the other's lease; gen is the account's current generation either
// way. An unreachable pool is an error wrapping state.ErrOffline.
func (c *Client) Acquire(ctx context.Context, account string, ttl time.Duration) (l *Lease, heldFor time.Duration, gen int64, err error) {
	lk, fk, gk, _ := c.leaseKeys(account)
	var out []int64
	err = c.call(ctx, func(ctx context.Context) error {
		v, err := acquireScript.Run(ctx, c.rdb, []string{lk, fk, gk}, ttl.Milliseconds(), c.opts.Host).Int64Slice()
		out = v
		return err
	})
	if err != nil {
		return nil, 0, 0, err
	}
	if len(out) != 3 {
		return nil, 0, 0, fmt.Errorf("shared health: the acquire script answered %d values", len(out))
	}
	if out[0] == 0 {
		return nil, time.Duration(out[1]) * time.Millisecond, out[2], nil
	}
	return &Lease{c: c, account: account, fence: out[0], gen: out[2], ttl: ttl}, 0, out[2], nil
}

// Remaining is what is left of the lease on the server: 0 when it expired or another machine holds
// the account now. The holder calls it just before it sends a refresh.
func (l *Lease) Remaining(ctx context.Context) (time.Duration, error) {
	lk, _, _, _ := l.c.leaseKeys(l.account)
	var ms int64
	err := l.c.call(ctx, func(ctx context.Context) error {
		v, err := checkScript.Run(ctx, l.c.rdb, []string{lk}, l.fence).Int64()
		ms = v
		return err
	})
	if ms < 0 {
		ms = 0
	}
	return time.Duration(ms) * time.Millisecond, err
}

// Commit stores sealed as the account's next generation while the lease holds and the generation
// is still the one it read; it returns the new generation, above own (the generation this machine
// holds, which a pool that lost its data no longer knows).
func (l *Lease) Commit(ctx context.Context, sealed []byte, own int64) (int64, error) {
	return l.c.commit(ctx, l.account, l.fence, l.gen, own, sealed)
}

// CommitAfter stores sealed as the generation after gen without a lease: a credential a CLI rotated
// by itself, written back after the child exited, or a refresh whose commit could not reach the
// pool. It fails with ErrGenerationMoved when another machine stored one first.
func (c *Client) CommitAfter(ctx context.Context, account string, gen, own int64, sealed []byte) (int64, error) {
	return c.commit(ctx, account, 0, gen, own, sealed)
}

func (c *Client) commit(ctx context.Context, account string, fence, gen, own int64, sealed []byte) (int64, error) {
	lk, _, gk, ck := c.leaseKeys(account)
	var out []int64
	err := c.call(ctx, func(ctx context.Context) error {
		v, err := commitScript.Run(ctx, c.rdb, []string{lk, gk, ck}, fence, gen, sealed, own).Int64Slice()
		out = v
		return err
	})
	if err != nil {
		return 0, err
	}
	switch {
	case len(out) == 1:
		return out[0], nil
	case len(out) == 2 && out[0] == -1:
		return out[1], ErrLeaseLost
	case len(out) == 2 && out[0] == -2:
		return out[1], ErrGenerationMoved
	}
	return 0, fmt.Errorf("shared health: the commit script answered %v", out)
}

// Release drops the lease if this machine still holds it (a best effort: it expires anyway).
func (l *Lease) Release(ctx context.Context) {
	lk, _, _, _ := l.c.leaseKeys(l.account)
	_ = l.c.call(ctx, func(ctx context.Context) error {
		return releaseScript.Run(ctx, l.c.rdb, []string{lk}, l.fence).Err()
	})
}

// Latest returns account's current generation and its sealed credential (nil before the first
// commit). It bypasses the read cache: a credential must be the newest.
func (c *Client) Latest(ctx context.Context, account string) (int64, []byte, error) {
	_, _, gk, ck := c.leaseKeys(account)
	var vals []any
	err := c.call(ctx, func(ctx context.Context) error {
		v, err := c.rdb.MGet(ctx, gk, ck).Result()
		vals = v
		return err
	})
	if err != nil || len(vals) != 2 {
		return 0, nil, err
	}
	var gen int64
	if s, ok := vals[0].(string); ok {
		gen, _ = strconv.ParseInt(s, 10, 64)
	}
	var sealed []byte
	if s, ok := vals[1].(string); ok {
		sealed = []byte(s)
	}
	return gen, sealed, nil
}
