package inject

import (
	"context"
	"errors"
	"time"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/providers"
	"github.com/oauth-mux/oauth-mux/state"
)

// The credentials whose rotation breaks fleets are the CLI-owned ones (codex, claude): each
// machine's CLI refreshes its own copy, and the first refresh makes every other machine's refresh
// token a used one. In a shared pool oauth-mux keeps one lineage of such a credential: before
// launch the pool's newest generation is adopted into the account's secret (and so into the
// managed config dir); a token that expires within the pool's margin is refreshed ahead by this
// machine as the lease holder, so that no child starts with a credential its CLI would refresh;
// after the child, a credential the CLI rotated anyway is stored as the next generation.

// poolCLI is checkExpiry for a CLI-owned credential in a shared pool. A secret oauth-mux cannot
// write (read-only backend) keeps the machine's own lineage: the pool's generation could not be
// kept. Without a token endpoint (or a refresh token) nothing is refreshed ahead; the CLI does it
// and the write-back shares it. While the pool cannot be reached, a token within the margin is not
// used: the error sends the planner to the next account.
func (p *Prepared) poolCLI(ctx context.Context, tok providers.Token, sec Secret) (providers.Token, Secret, error) {
	req := &p.req
	f := req.Refresh.Fleet
	if req.AccountConfig.Secret.WriteCapability() != config.WriteReplaceFile || req.StateDir == "" {
		return tok, sec, nil
	}
	key := omux.Account(req.Provider, req.Account).String()
	opts := *req.Refresh
	margin := f.RefreshMargin()
	opts.Force = false
	opts.Due = func(t providers.Token, _, now time.Time) bool {
		return t.ExpiresAt != nil && !t.ExpiresAt.After(now.Add(margin))
	}
	def := req.Definition
	opts.adoptOnly = def.Auth.TokenEndpoint == "" || checkEndpoint(def.Auth.TokenEndpoint) != nil
	rr := RefreshRequest{Provider: req.Provider, Account: req.Account, Secret: req.AccountConfig.Secret,
		Definition: def, StateDir: req.StateDir, SecretEnv: req.secretEnv(), Now: req.Now, Options: &opts}

	lctx, cancel := context.WithTimeout(ctx, lockWait)
	defer cancel()
	lock, err := state.LockAccount(lctx, req.StateDir, req.Provider, req.Account, true)
	if err != nil {
		return tok, sec, &RefreshError{Msg: "account lock of " + key, Err: err}
	}
	defer lock.Release()
	sec, tok, err = readToken(ctx, rr)
	if err != nil {
		return tok, sec, err
	}
	p.fleet = f
	p.poolGen = readGeneration(req.StateDir, key)
	if p.Pending.Action == WriteBackWritten {
		// An earlier run's CLI (env's child) rotated the credential: it is the pool's next generation.
		w, _ := p.shareRotatedLocked(ctx, sec.Data)
		p.RefreshWarning = w
	}
	res, err := refreshInPool(ctx, rr, opts, RefreshResult{Capability: rr.Secret.WriteCapability()}, sec, tok, req.now)
	p.poolGen = readGeneration(req.StateDir, key)
	if err != nil {
		return tok, sec, err
	}
	p.Refreshed = res.Refreshed
	p.RefreshWarning = joinWarnings(p.RefreshWarning, res.Warning)
	return res.Token, res.Secret, nil
}

// shareRotatedLocked stores a credential the CLI rotated as the generation after the one this run
// started from, inside the account lock. When another machine stored one first, both rotated the
// same credential: the account is suspect (conflict), and the pool's generation is adopted by the
// next run. When the pool cannot be reached the credential is kept sealed for the next command.
func (p *Prepared) shareRotatedLocked(ctx context.Context, data []byte) (warning string, conflict bool) {
	req := &p.req
	key := omux.Account(req.Provider, req.Account).String()
	sealed, err := p.fleet.Seal(data)
	if err != nil {
		return key + ": the credential its CLI refreshed could not be sealed for the pool, so the other machines still hold the used refresh token: " + err.Error(), false
	}
	own := readGeneration(req.StateDir, key)
	g, err := p.fleet.CommitAfter(ctx, key, p.poolGen, max(own, p.poolGen), sealed)
	switch {
	case err == nil:
		writeGeneration(req.StateDir, key, g)
		p.poolGen = g
		return "", false
	case errors.Is(err, state.ErrGenerationMoved):
		return key + ": its CLI refreshed the credential here while another machine of the pool stored a newer one; the account is suspect until a run succeeds, and the pool's credential is used next", true
	}
	if perr := savePending(req.StateDir, pending{Key: key, After: p.poolGen, Sealed: sealed}); perr != nil {
		err = errors.Join(err, perr)
	}
	return key + ": the credential its CLI refreshed did not reach the pool (" + err.Error() + "); this machine shares it when the pool answers", false
}

// sharePool shares, after the child, a credential its CLI rotated and that was written back.
func (p *Prepared) sharePool(ctx context.Context, data []byte) (warning string, conflict bool) {
	req := &p.req
	lctx, cancel := context.WithTimeout(ctx, lockWait)
	defer cancel()
	lock, err := state.LockAccount(lctx, req.StateDir, req.Provider, req.Account, true)
	if err != nil {
		return "sharing the refreshed credential with the pool: " + err.Error(), false
	}
	defer lock.Release()
	return p.shareRotatedLocked(ctx, data)
}

func joinWarnings(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
