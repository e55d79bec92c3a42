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
	if _, err := la.Commit(ctx, []byte("sealed-by-a"), 0); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("A commit after takeover: %v, want ErrLeaseLost", err)
	}
	g, err := lb.Commit(ctx, []byte("sealed-by-b"), 0)
	if err != nil || g <= 0 {
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
	if err != nil || gen != g || string(sealed) != "sealed-by-b" {
		t.Fatalf("latest = %d %q %v", gen, sealed, err)
	}

	// A write-back without a lease commits only over the generation its writer read.
	if _, err := a.CommitAfter(ctx, account, 0, 0, []byte("stale")); !errors.Is(err, ErrGenerationMoved) {
		t.Fatalf("write-back over a moved generation: %v", err)
	}
	g2, err := a.CommitAfter(ctx, account, g, g, []byte("rotated-by-cli"))
	if err != nil || g2 <= g {
		t.Fatalf("write-back: gen %d after %d, err %v", g2, g, err)
	}
	lc, _, gen, _ := b.Acquire(ctx, account, time.Second)
	if gen != g2 || lc == nil {
		t.Fatalf("acquire reads generation %d, want %d", gen, g2)
	}
}

// A pool whose server lost its data starts its generations again above every one a machine holds,
// so a machine that kept an old generation number still adopts the next credential.
func TestGenerationsOutliveDataLoss(t *testing.T) {
	srv := testredis.Start(t)
	ctx := context.Background()
	a := newMachine(t, srv, "runner-a", "").b.Client
	const account = "codex:work"
	var held int64
	for range 3 {
		l, _, gen, err := a.Acquire(ctx, account, time.Second)
		if err != nil || l == nil {
			t.Fatalf("acquire: %v", err)
		}
		if held, err = l.Commit(ctx, []byte("sealed"), gen); err != nil {
			t.Fatal(err)
		}
		l.Release(ctx)
	}
	if _, err := srv.CLI("FLUSHALL"); err != nil {
		t.Fatal(err)
	}
	l, _, gen, err := a.Acquire(ctx, account, time.Second)
	if err != nil || l == nil || gen != 0 {
		t.Fatalf("acquire after the flush: gen %d err %v", gen, err)
	}
	// The writer holds an even higher generation than the server's clock would give (a skewed server).
	own := time.Now().Add(time.Hour).UnixMilli()
	g, err := l.Commit(ctx, []byte("sealed-after-loss"), own)
	if err != nil || g <= held || g <= own {
		t.Fatalf("commit after the flush: gen %d (held %d, own %d) err %v", g, held, own, err)
	}
	// Another machine that held generation `held` before the loss sees a newer one.
	if latest, _, _ := a.Latest(ctx, account); latest != g {
		t.Fatalf("latest %d, want %d", latest, g)
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
