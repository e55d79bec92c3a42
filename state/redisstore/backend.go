package redisstore

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/oauth-mux/oauth-mux/state"
)

// Backend is the health of a pool: this machine's file store, with the pool's marks and clears laid
// over it on every read. Writes go to the file first (the file is the truth this machine runs on),
// then to the pool; a pool that cannot be reached leaves the write in the outbox and the command
// goes on.
type Backend struct {
	Local  *state.Store
	Client *Client

	mu       sync.Mutex
	warnings []string
}

// NewBackend is local shared through c.
func NewBackend(local *state.Store, c *Client) *Backend { return &Backend{Local: local, Client: c} }

// Snapshot is the local store with the pool merged over it. An offline pool gives the local store
// and no error: the notice says it once.
func (b *Backend) Snapshot(ctx context.Context) (*state.Health, error) {
	h, err := b.Local.Load()
	if err != nil || h == nil {
		return h, err
	}
	keys, serr := b.Client.Read(ctx)
	if serr != nil {
		return h, nil
	}
	h.MergeShared(keys, b.Client.opts.Now())
	return h, nil
}

// Apply writes ops to the local store, then what they changed of the shared health to the pool. A
// reset forgets the key across the pool, also where only other machines recorded it.
func (b *Backend) Apply(ctx context.Context, ops ...state.Op) error {
	host := b.Client.Host()
	ops = append(b.adoptions(ctx, ops), ops...) // a clone: the caller's ops keep their evidence as given
	var resets []*state.Reset
	for i, op := range ops {
		switch o := op.(type) {
		case state.MarkVerdict:
			o.Evidence.Host = host
			ops[i] = o
		case *state.Reset:
			resets = append(resets, o)
		}
	}
	var ws []state.SharedWrite
	err := b.Local.ApplyThen(func(h *state.Health, ran func() bool) {
		var routeKeys []string
		for _, r := range resets {
			routeKeys = append(routeKeys, h.RouteKeysOf(r.Key)...)
		}
		if ran() {
			ws = state.SharedWrites(h, host, routeKeys, ops...)
		}
	}, ops...)
	if err != nil {
		return err
	}
	if len(resets) > 0 {
		covered := map[string]bool{}
		for _, w := range ws {
			if w.Clear != nil {
				covered[w.Clear.Key] = true
			}
		}
		for _, r := range resets {
			ws = append(ws, b.poolReset(ctx, r, covered)...)
		}
	}
	if werr := b.Client.Write(ctx, ws); werr != nil && !errors.Is(werr, state.ErrOffline) {
		return werr
	}
	return nil
}

// adoptions are the pool's dead marks of the accounts ops would revive on a changed credential,
// to be recorded on this machine first with the fingerprint its credential has now (see
// state.AdoptDead); they cost no round trip when the pool was read in the last second.
func (b *Backend) adoptions(ctx context.Context, ops []state.Op) []state.Op {
	var revives []*state.Revive
	for _, op := range ops {
		if rv, ok := op.(*state.Revive); ok && rv.Fingerprint != "" {
			revives = append(revives, rv)
		}
	}
	if len(revives) == 0 {
		return nil
	}
	keys, err := b.Client.Read(ctx)
	if err != nil {
		return nil
	}
	now := b.Client.opts.Now()
	var out []state.Op
	for _, rv := range revives {
		if m := state.StandingDead(keys, rv.AccountKey, now); m != nil {
			out = append(out, state.AdoptDead{Mark: *m, Fingerprint: rv.Fingerprint})
		}
	}
	return out
}

// poolReset clears the keys under a reset that the pool holds marks for and the local reset did
// not clear already (keys only other machines recorded, or routes this machine never ran), and
// marks the reset found when there were any.
func (b *Backend) poolReset(ctx context.Context, r *state.Reset, covered map[string]bool) []state.SharedWrite {
	keys, err := b.Client.Read(ctx)
	if err != nil {
		return nil
	}
	now := b.Client.opts.Now().UTC()
	var ws []state.SharedWrite
	for _, k := range keys {
		under := k.Key == r.Key || strings.HasPrefix(k.Key, r.Key+"#") && !strings.Contains(r.Key, "#")
		if under && len(k.Marks) > 0 && !covered[k.Key] {
			covered[k.Key] = true
			ws = append(ws, state.SharedWrite{Clear: &state.Clear{Key: k.Key, ObservedAt: now, Host: b.Client.Host()}})
		}
	}
	r.Found = r.Found || len(ws) > 0
	return ws
}

// AppendEvent appends to this machine's events log: events are a machine's own history.
func (b *Backend) AppendEvent(ctx context.Context, ev state.Event) error {
	return b.Local.AppendEvent(ctx, ev)
}

// LockAccount takes this machine's account lock; the pool's refresh lease is Lease.
func (b *Backend) LockAccount(ctx context.Context, provider, account string, wait bool) (*state.Lock, error) {
	return b.Local.LockAccount(ctx, provider, account, wait)
}

// Warnings are the local store's and the pool's notices, in the order they first appeared: the
// list only grows, so a caller that printed the first n prints only what came after.
func (b *Backend) Warnings() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, w := range append(b.Local.Warnings(), b.Client.Notices()...) {
		if !slices.Contains(b.warnings, w) {
			b.warnings = append(b.warnings, w)
		}
	}
	return slices.Clone(b.warnings)
}

var _ state.Backend = (*Backend)(nil)
