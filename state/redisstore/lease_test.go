package redisstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/internal/testredis"
	"github.com/oauth-mux/oauth-mux/state"
)

func TestLeaseOneHolderAndFencedTakeover(t *testing.T) {
	srv := testredis.Start(t)
	ctx := context.Background()
	a := newMachine(t, srv, "runner-a", "").b.Client
	b := newMachine(t, srv, "runner-b", "").b.Client
	const account = "claude:team"

	la, _, gen, err := a.Acquire(ctx, account, 300*time.Millisecond)
	if err != nil || la == nil || gen != 0 {
		t.Fatalf("A acquire: lease %v gen %d err %v", la, gen, err)
	}
	lb, held, _, err := b.Acquire(ctx, account, 300*time.Millisecond)
	if err != nil || lb != nil || held <= 0 || held > 300*time.Millisecond {
		t.Fatalf("B acquire while A holds: lease %v held %v err %v", lb, held, err)
	}
	if rem, err := la.Remaining(ctx); err != nil || rem <= 0 {
		t.Fatalf("A remaining = %v, %v", rem, err)
	}

	// A sleeps past its lease (a stopped process): B takes over with a higher fence.
	time.Sleep(350 * time.Millisecond)
	lb, _, _, err = b.Acquire(ctx, account, 5*time.Second)
	if err != nil || lb == nil || lb.Fence() <= la.Fence() {
		t.Fatalf("B takeover: lease %v err %v (A fence %d)", lb, err, la.Fence())
	}
	if rem, err := la.Remaining(ctx); err != nil || rem != 0 {
		t.Fatalf("A's lease after takeover: remaining %v err %v, want 0", rem, err)
	}
	if _, err := la.Commit(ctx, []byte("sealed-by-a")); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("A commit after takeover: %v, want ErrLeaseLost", err)
	}
	g, err := lb.Commit(ctx, []byte("sealed-by-b"))
	if err != nil || g != 1 {
		t.Fatalf("B commit: gen %d err %v", g, err)
	}
	la.Release(ctx) // A's release must not drop B's lease
	if rem, _ := lb.Remaining(ctx); rem <= 0 {
		t.Fatal("A's release dropped B's lease")
	}
	lb.Release(ctx)
	if rem, _ := lb.Remaining(ctx); rem != 0 {
		t.Fatal("release left the lease")
	}
	gen, sealed, err := a.Latest(ctx, account)
	if err != nil || gen != 1 || string(sealed) != "sealed-by-b" {
		t.Fatalf("latest = %d %q %v", gen, sealed, err)
	}

	// A write-back without a lease commits only over the generation its writer read.
	if _, err := a.CommitAfter(ctx, account, 0, []byte("stale")); !errors.Is(err, ErrGenerationMoved) {
		t.Fatalf("write-back over a moved generation: %v", err)
	}
	if g, err := a.CommitAfter(ctx, account, 1, []byte("rotated-by-cli")); err != nil || g != 2 {
		t.Fatalf("write-back: gen %d err %v", g, err)
	}
	// A lease taken before that write-back reads generation 1; its commit is refused.
	lc, _, gen, _ := b.Acquire(ctx, account, time.Second)
	if gen != 2 || lc == nil {
		t.Fatalf("acquire reads generation %d", gen)
	}
}

func TestLeaseOffline(t *testing.T) {
	srv := testredis.Start(t)
	c := newMachine(t, srv, "runner-a", "").b.Client
	srv.Kill()
	start := time.Now()
	if _, _, _, err := c.Acquire(context.Background(), "codex:work", time.Second); !errors.Is(err, state.ErrOffline) {
		t.Fatal("acquire against a dead server succeeded")
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("acquire against a dead server took %v", d)
	}
	if _, _, err := c.Latest(context.Background(), "codex:work"); err == nil {
		t.Fatal("latest against a dead server succeeded")
	}
}
