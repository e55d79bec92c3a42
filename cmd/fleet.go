package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"filippo.io/age"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/inject"
	"github.com/oauth-mux/oauth-mux/state"
	"github.com/oauth-mux/oauth-mux/state/redisstore"
)

// fleet is the pool's refresh coordination for this invocation, or nil: without a pool, or without
// the pool's age recipient and identity (a rotated credential is only ever shared sealed). The
// first call shares what this machine refreshed while the pool was offline, before anything else.
func (a *App) fleet() inject.Fleet {
	a.fleetOnce.Do(func() {
		f := a.newFleet()
		if f == nil {
			return
		}
		a.fleetV = f
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		for _, w := range inject.FlushPending(ctx, state.Dir(a.Getenv), f) {
			a.notices().Warn(w)
		}
	})
	return a.fleetV
}

func (a *App) newFleet() *poolFleet {
	cfg, err := a.Config()
	if err != nil {
		return nil
	}
	r := config.SharedRedisFrom(cfg, a.Getenv)
	if r == nil || r.Recipient == "" || r.Identity == nil {
		return nil
	}
	pool, err := a.sharedPool(cfg, state.Dir(a.Getenv))
	if err != nil || pool == nil {
		return nil
	}
	rcpt, err := age.ParseX25519Recipient(r.Recipient)
	if err != nil {
		return nil
	}
	return &poolFleet{app: a, pool: pool, recipient: rcpt, identity: *r.Identity, lease: r.Lease(), margin: r.RefreshMargin()}
}

// poolFleet is inject.Fleet on a redisstore client, sealing with age.
type poolFleet struct {
	app       *App
	pool      *redisstore.Client
	recipient age.Recipient
	identity  config.Secret
	lease     time.Duration
	margin    time.Duration

	once sync.Once
	ids  []age.Identity
	err  error
}

func (f *poolFleet) Latest(ctx context.Context, account string) (int64, []byte, error) {
	return f.pool.Latest(ctx, account)
}

func (f *poolFleet) Acquire(ctx context.Context, account string) (inject.FleetLease, time.Duration, error) {
	l, held, _, err := f.pool.Acquire(ctx, account, f.lease)
	if err != nil || l == nil {
		return nil, held, err
	}
	if f.app.Getenv("OMUX_TEST_STOP_AFTER_LEASE") == "1" {
		stopSelf() // the tests' way to freeze a holder between its lease and its request
	}
	return l, 0, nil
}

func (f *poolFleet) CommitAfter(ctx context.Context, account string, gen, own int64, sealed []byte) (int64, error) {
	return f.pool.CommitAfter(ctx, account, gen, own, sealed)
}

func (f *poolFleet) RefreshMargin() time.Duration { return f.margin }

func (f *poolFleet) Seal(plain []byte) ([]byte, error) {
	var b bytes.Buffer
	w, err := age.Encrypt(&b, f.recipient)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(plain); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (f *poolFleet) Open(sealed []byte) ([]byte, error) {
	f.once.Do(func() {
		sec, err := inject.ReadSecret(context.Background(), f.identity, inject.Env{Environ: f.app.Env})
		if err != nil {
			f.err = fmt.Errorf("the pool's identity: %w", err)
			return
		}
		ids, err := age.ParseIdentities(strings.NewReader(string(sec.Data)))
		if err != nil {
			f.err = errors.New("the pool's identity is not an age identity (AGE-SECRET-KEY-…)")
			return
		}
		f.ids = ids
	})
	if f.err != nil {
		return nil, f.err
	}
	r, err := age.Decrypt(bytes.NewReader(sealed), f.ids...)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}
