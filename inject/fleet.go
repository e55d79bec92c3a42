package inject

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/providers"
	"github.com/oauth-mux/oauth-mux/state"
)

// Fleet is an account's refresh shared by the machines of a pool: a lease so that one machine
// refreshes, and generations of the credential, sealed to the pool's key, so that the others adopt
// the rotated credential instead of presenting a refresh token that has been used (which revokes
// the whole token family at most providers). Every call is bounded; an unreachable pool is an error
// wrapping state.ErrOffline.
type Fleet interface {
	// Latest is the account's generation and its sealed credential (nil before the first).
	Latest(ctx context.Context, account string) (gen int64, sealed []byte, err error)
	// Acquire takes the account's lease; a nil lease with heldFor > 0 means another machine holds it.
	Acquire(ctx context.Context, account string) (lease FleetLease, heldFor time.Duration, err error)
	// CommitAfter stores sealed as the generation after gen without a lease: a credential rotated
	// outside one (by a CLI, or by a refresh whose commit did not reach the pool). It fails
	// wrapping state.ErrGenerationMoved when another machine stored one first. own is the
	// generation this machine holds: the new one is above it.
	CommitAfter(ctx context.Context, account string, gen, own int64, sealed []byte) (int64, error)
	// Seal encrypts a credential to the pool's key; Open decrypts one with this machine's identity.
	Seal(plain []byte) ([]byte, error)
	Open(sealed []byte) ([]byte, error)
	// RefreshMargin is how close to its expiry a CLI-owned access token is refreshed ahead.
	RefreshMargin() time.Duration
}

// FleetLease is this machine's hold on an account's refresh.
type FleetLease interface {
	// Generation is the account's generation when the lease was taken.
	Generation() int64
	// Remaining is what is left of the lease; 0 when another machine took it over.
	Remaining(ctx context.Context) (time.Duration, error)
	// Commit stores the next generation (above own, the one this machine holds), if the lease
	// still holds and nobody stored one since.
	Commit(ctx context.Context, sealed []byte, own int64) (int64, error)
	Release(ctx context.Context)
}

// ErrPoolOffline is wrapped by the refusal to refresh a pool's account while the pool cannot be
// reached: a machine alone cannot know whether another already rotated the refresh token.
var ErrPoolOffline = errors.New("the shared pool is offline")

// pollEvery is how often a machine waiting for another's refresh looks for the new generation.
const pollEvery = 50 * time.Millisecond

// refreshInPool is Refresh for an account of a shared pool, inside this machine's account lock:
// adopt a newer generation; when the token is still due, refresh as the lease holder (re-checking
// the lease just before sending, committing only over the generation it read), or wait for the
// holder's generation and adopt it.
func refreshInPool(ctx context.Context, rr RefreshRequest, opts RefreshOptions, res RefreshResult, sec Secret, tok providers.Token, now func() time.Time) (RefreshResult, error) {
	f := opts.Fleet
	key := omux.Account(rr.Provider, rr.Account).String()
	due := func(tok providers.Token, sec Secret) bool { return opts.Force || opts.due(tok, sec.ModTime, now()) }
	offline := func(err error) (RefreshResult, error) {
		if !due(tok, sec) {
			res.Token, res.Secret = tok, sec
			return res, nil
		}
		return res, &RefreshError{Msg: key + ": not refreshed by this machine alone", Network: true,
			Err: fmt.Errorf("%w: %w", ErrPoolOffline, err)}
	}
	// A refresh of an earlier run that did not reach the pool goes first: until it does, the
	// other machines hold a refresh token this one used.
	if w, err := flushPending(ctx, rr.StateDir, f, key); err != nil {
		return offline(err)
	} else if w != "" {
		res.Warning = w
	}
	local := readGeneration(rr.StateDir, key)
	adoptNewer := func(gen int64, sealed []byte) error {
		if gen <= local || sealed == nil {
			return nil
		}
		s, t, err := adopt(ctx, rr, f, sealed, gen)
		if err != nil {
			return err
		}
		sec, tok, local, res.Adopted = s, t, gen, true
		return nil
	}
	// catchUp adopts the pool's newest generation; done says the token needs no refresh after it.
	catchUp := func() (done bool, err error) {
		gen, sealed, err := f.Latest(ctx, key)
		if err != nil {
			_, err = offline(err)
			return err == nil, err
		}
		if err := adoptNewer(gen, sealed); err != nil {
			return false, err
		}
		return !due(tok, sec), nil
	}
	if done, err := catchUp(); err != nil || done || opts.adoptOnly {
		return resultOf(res, tok, sec, err)
	}
	var deadline time.Time
	var lease FleetLease
	for {
		l, heldFor, err := f.Acquire(ctx, key)
		if err != nil {
			return offline(err)
		}
		if l != nil {
			lease = l
			break
		}
		if deadline.IsZero() {
			// Long enough for the holder's lease to run out and another machine's to be taken.
			deadline = now().Add(max(lockWait, heldFor+time.Second))
		}
		// Another machine is refreshing: its generation is what this one uses.
		gen, sealed, err := f.Latest(ctx, key)
		if err != nil {
			return offline(err)
		}
		if gen > local && sealed != nil {
			if err := adoptNewer(gen, sealed); err != nil {
				return res, err
			}
			res.Token, res.Secret = tok, sec
			return res, nil
		}
		if now().After(deadline) {
			return res, &RefreshError{Msg: fmt.Sprintf("%s: another machine of the pool holds the refresh lease (%s left)", key, heldFor.Round(time.Millisecond))}
		}
		select {
		case <-ctx.Done():
			return res, &RefreshError{Msg: key + ": waiting for another machine's refresh", Err: ctx.Err()}
		case <-time.After(min(pollEvery, max(heldFor, time.Millisecond))):
		}
	}
	defer lease.Release(context.WithoutCancel(ctx))
	if g := lease.Generation(); g > local {
		// A generation landed between the read and the lease.
		if done, err := catchUp(); err != nil || done {
			return resultOf(res, tok, sec, err)
		}
	}
	return sendAsHolder(ctx, rr, opts, res, sec, tok, now, lease, key)
}

// resultOf is res with the credential in use, or the error alone.
func resultOf(res RefreshResult, tok providers.Token, sec Secret, err error) (RefreshResult, error) {
	if err != nil {
		return res, err
	}
	res.Token, res.Secret = tok, sec
	return res, nil
}

// sendAsHolder refreshes as the lease holder: only with enough lease left for the request to end
// before it expires (a holder that was stopped past its lease sends nothing), and commits the
// result as the next generation.
func sendAsHolder(ctx context.Context, rr RefreshRequest, opts RefreshOptions, res RefreshResult, sec Secret, tok providers.Token, now func() time.Time, lease FleetLease, key string) (RefreshResult, error) {
	rem, err := lease.Remaining(ctx)
	if err != nil || rem < minLeaseToSend {
		return res, &RefreshError{Msg: key + ": the refresh lease ran out before the request was sent (another machine may be refreshing); nothing was sent", Err: err}
	}
	// The request must end inside the lease: past it another machine may send the same token.
	client := &http.Client{Timeout: min(30*time.Second, rem-minLeaseToSend/2)}
	if opts.HTTPClient != nil {
		c := *opts.HTTPClient
		c.Timeout = min(client.Timeout, nonZero(c.Timeout, client.Timeout))
		client = &c
	}
	opts.HTTPClient = client
	res, err = exchange(ctx, rr, opts, res, sec, tok, now)
	if err != nil {
		return res, err
	}
	sealed, err := opts.Fleet.Seal(res.Secret.Data)
	if err != nil {
		res.Warning = key + ": the refreshed credential could not be sealed for the pool, so the other machines still hold the used refresh token: " + err.Error()
		return res, nil
	}
	own := readGeneration(rr.StateDir, key)
	g, err := lease.Commit(ctx, sealed, own)
	switch {
	case err == nil:
		writeGeneration(rr.StateDir, key, g)
	case errors.Is(err, state.ErrGenerationMoved):
		res.Warning = key + ": another machine stored a credential while this one refreshed; the next run takes the pool's"
	default:
		// Kept sealed and committed by the next run that reaches the pool, before anything else.
		if perr := savePending(rr.StateDir, pending{Key: key, After: lease.Generation(), Sealed: sealed}); perr != nil {
			err = errors.Join(err, perr)
		}
		res.Warning = key + ": the refreshed credential did not reach the pool (" + err.Error() + "); this machine shares it when the pool answers"
	}
	return res, nil
}

// minLeaseToSend is the least lease left at which a holder still sends a refresh.
const minLeaseToSend = 500 * time.Millisecond

func nonZero(d, fallback time.Duration) time.Duration {
	if d == 0 {
		return fallback
	}
	return d
}

// adopt opens the pool's generation gen and makes it this machine's credential.
func adopt(ctx context.Context, rr RefreshRequest, f Fleet, sealed []byte, gen int64) (Secret, providers.Token, error) {
	plain, err := f.Open(sealed)
	if err != nil {
		return Secret{}, providers.Token{}, &RefreshError{Msg: "the pool's credential could not be opened with this machine's identity", Err: err}
	}
	if _, err := providers.ParseCredential(rr.Definition, plain, time.Now()); err != nil {
		return Secret{}, providers.Token{}, &RefreshError{Msg: "the pool's credential does not parse", Err: err}
	}
	if err := WriteSecret(rr.Secret, plain); err != nil {
		return Secret{}, providers.Token{}, err
	}
	sec, tok, err := readToken(ctx, rr)
	if err != nil {
		return sec, tok, err
	}
	writeGeneration(rr.StateDir, omux.Account(rr.Provider, rr.Account).String(), gen)
	return sec, tok, nil
}

// generationPath is where this machine remembers which generation of an account it holds.
func generationPath(dir, key string) string {
	return filepath.Join(dir, "pool", state.SafeName(key)+".generation")
}

func readGeneration(dir, key string) int64 {
	b, err := os.ReadFile(generationPath(dir, key))
	if err != nil {
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n < 0 {
		return 0 // a torn or edited file: this machine adopts the pool's generation
	}
	return n
}

func writeGeneration(dir, key string, gen int64) {
	p := generationPath(dir, key)
	if os.MkdirAll(filepath.Dir(p), 0o700) == nil {
		_ = state.WriteFileAtomic(p, []byte(strconv.FormatInt(gen, 10)+"\n"), 0o600)
	}
}

// pending is a refreshed credential, sealed, that this machine could not commit to the pool: the
// generation after After.
type pending struct {
	Key    string `json:"key"`
	After  int64  `json:"after"`
	Sealed []byte `json:"sealed"`
}

func pendingPath(dir, key string) string {
	return filepath.Join(dir, "pool", state.SafeName(key)+".pending")
}

func savePending(dir string, p pending) error {
	js, err := json.Marshal(p)
	if err != nil {
		return err
	}
	path := pendingPath(dir, p.Key)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return state.WriteFileAtomic(path, js, 0o600)
}

func readPending(path string) (pending, bool) {
	b, err := os.ReadFile(path)
	var p pending
	if err != nil || json.Unmarshal(b, &p) != nil || p.Key == "" || len(p.Sealed) == 0 {
		return pending{}, false
	}
	return p, true
}

// flushPending commits account key's pending credential, inside its account lock. It returns a
// warning when another machine stored one first (the pool's wins: its holder refreshed from the
// pool's credential) and an error, the pending credential kept, when the pool cannot be reached.
func flushPending(ctx context.Context, dir string, f Fleet, key string) (string, error) {
	path := pendingPath(dir, key)
	p, ok := readPending(path)
	if !ok || p.Key != key {
		return "", nil
	}
	own := readGeneration(dir, key)
	g, err := f.CommitAfter(ctx, key, p.After, max(own, p.After), p.Sealed)
	var warning string
	switch {
	case err == nil:
		writeGeneration(dir, key, g)
	case errors.Is(err, state.ErrGenerationMoved):
		warning = key + ": another machine stored a newer credential before this machine's refresh reached the pool; this machine takes the pool's"
	default:
		return "", err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return warning, err
	}
	return warning, nil
}

// FlushPending commits the credentials this machine refreshed while the pool could not be reached,
// each inside its account lock (an account locked by another process is left to it). It returns
// one line per account for the user.
func FlushPending(ctx context.Context, dir string, f Fleet) []string {
	paths, _ := filepath.Glob(filepath.Join(dir, "pool", "*.pending"))
	var out []string
	for _, path := range paths {
		p, ok := readPending(path)
		if !ok {
			continue
		}
		provider, account, _ := strings.Cut(p.Key, ":")
		lock, err := state.LockAccount(ctx, dir, provider, account, false)
		if err != nil {
			continue
		}
		w, err := flushPending(ctx, dir, f, p.Key)
		lock.Release()
		switch {
		case w != "":
			out = append(out, w)
		case err != nil && !errors.Is(err, state.ErrOffline):
			out = append(out, p.Key+": the credential refreshed here could not be shared with the pool: "+err.Error())
		}
	}
	return out
}
