package routes

import (
	"context"
	"errors"
	"hash/fnv"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/inject"
	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/providers"
	"github.com/oauth-mux/oauth-mux/state"
)

// Outcomes of a token refresh: the `outcome` of a token_refresh event and of `refresh --json`.
const (
	RefreshRefreshed   = "refreshed"     // a new access token was stored
	RefreshFresh       = "fresh"         // nothing to do: another process refreshed it, or it is not due
	RefreshNotAdmitted = "not_admitted"  // oauth-mux may not refresh this credential (SPEC §8.2)
	RefreshDead        = "dead"          // the refresh proved the credential dead (reason says why)
	RefreshFailed      = "failed"        // no proof of death: network, 5xx, lock timeout, a bad answer
	RefreshSecretError = "secret_failed" // the secret could not be read or written
)

// Reasons a refresh is not admitted or failed, beside the dead verdict reasons.
const (
	ReasonUpstreamOwner   = inject.RefusedUpstreamOwner
	ReasonExternalOwner   = inject.RefusedExternalOwner
	ReasonManualOnly      = inject.RefusedManualOnly
	ReasonReadOnlyBackend = inject.RefusedReadOnlyBackend
	ReasonNoTokenEndpoint = inject.RefusedNoTokenEndpoint
	ReasonNetwork         = "network"
	ReasonRefreshFailed   = "refresh_failed"
)

// RefreshAdmission says whether oauth-mux may refresh r's credential itself (SPEC §8.2): the
// provider's repair owner is oauth_mux_refresh, it has a token endpoint, and the secret's backend can
// be written (a refresh rotates the refresh token; a store we cannot write would keep a dead one).
// When it may not, reason is a short name and hints say who refreshes it instead.
func RefreshAdmission(r Route) (admitted bool, reason string, hints []string) {
	switch reason = inject.RefreshRefusal(r.Def, r.Acct.Secret); reason {
	case "":
		return true, "", nil
	case ReasonUpstreamOwner:
		hints = loginHints(r)
	case ReasonManualOnly:
		hints = []string{"renew the credential of " + r.AccountKey() + " by hand and update its secret"}
	case ReasonNoTokenEndpoint:
		hints = []string{"set auth.token_endpoint in provider_definitions." + r.Provider + " of the config"}
	case ReasonReadOnlyBackend:
		hints = []string{"the " + r.Acct.Secret.Backend + " backend is read-only: refresh the token at its source, or keep the credential in a file secret"}
	default:
		hints = []string{"renew the credential of " + r.AccountKey() + " at its source (its owner refreshes it, not oauth-mux)"}
	}
	return false, reason, hints
}

func loginHints(r Route) []string {
	if lc := r.Def.Repair.LoginCommand; len(lc) > 0 {
		return []string{"its CLI refreshes it; to log in again: " + strings.Join(lc, " ")}
	}
	return []string{"its CLI refreshes it; log in to " + r.Provider + " again when it stops working"}
}

// RefreshOptions configure RefreshAccount.
type RefreshOptions struct {
	// Trigger says who asked (refresh, keepalive); an event field.
	Trigger string
	// SecretEnv is what secret backends read.
	SecretEnv inject.Env
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Force refreshes even a token far from expiry (the refresh command).
	Force bool
	// Due decides, inside the account lock, whether the token still needs refreshing (keepalive).
	Due func(tok providers.Token, modTime, now time.Time) bool
	// HTTPClient posts the grant; nil means a 30 s client.
	HTTPClient *http.Client
}

// RefreshResult is what became of one account's refresh. It holds no token and no path, so it can be
// printed as JSON.
type RefreshResult struct {
	Provider            string     `json:"provider"`
	Account             string     `json:"account"`
	Admitted            bool       `json:"automatic_refresh_admitted"`
	WritebackCapability string     `json:"writeback_capability"`
	Outcome             string     `json:"outcome"`
	Reason              string     `json:"reason,omitempty"`
	Refreshed           bool       `json:"refreshed"`
	Rotated             bool       `json:"rotated"`
	ExpiresAt           *time.Time `json:"expires_at"`
	// NextRefreshAt is when keepalive refreshes the token next (keepalive only).
	NextRefreshAt *time.Time `json:"next_refresh_at,omitempty"`
	Message       string     `json:"message,omitempty"`
	Hints         []string   `json:"hints,omitempty"`
	// ExitCode is the exit status this result stands for: 0, or 202, 203, 204 (SPEC §10).
	ExitCode int `json:"exit_code"`
}

// Key is the account key.
func (r RefreshResult) Key() string { return omux.Account(r.Provider, r.Account).String() }

// NotAdmitted is the result for a route oauth-mux may not refresh; nothing is read.
func NotAdmitted(r Route) RefreshResult {
	_, reason, hints := RefreshAdmission(r)
	return RefreshResult{Provider: r.Provider, Account: r.Account, WritebackCapability: r.Acct.Secret.WriteCapability(),
		Outcome: RefreshNotAdmitted, Reason: reason, Hints: hints,
		Message: "not refreshed by oauth-mux (" + strings.ReplaceAll(reason, "_", " ") + ")"}
}

// RefreshAccount refreshes one admitted account (SPEC §8.2) and records what happened: a
// token_refresh event always, and dead(token_revoked) on the account key when the token endpoint
// refused the refresh token (the credential file is left as it was, its fingerprint stored so a
// re-login revives it). A route that is not admitted gives NotAdmitted(r) and its event.
func RefreshAccount(ctx context.Context, rec *Recorder, r Route, o RefreshOptions) RefreshResult {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	if ok, _, _ := RefreshAdmission(r); !ok {
		res := NotAdmitted(r)
		recordRefreshEvent(rec, o.Trigger, r, res, now())
		return res
	}
	res := RefreshResult{Provider: r.Provider, Account: r.Account, Admitted: true, WritebackCapability: r.Acct.Secret.WriteCapability()}
	rr, err := inject.Refresh(ctx, inject.RefreshRequest{
		Provider: r.Provider, Account: r.Account, Secret: r.Acct.Secret, Definition: r.Def,
		StateDir: rec.StateDir, SecretEnv: o.SecretEnv, Now: o.Now,
		Options: &inject.RefreshOptions{HTTPClient: o.HTTPClient, Force: o.Force, Due: o.Due},
	})
	if err == nil {
		res.Refreshed, res.Rotated, res.ExpiresAt = rr.Refreshed, rr.Rotated, utc(rr.Token.ExpiresAt)
		res.Outcome = RefreshFresh
		if rr.Refreshed {
			res.Outcome = RefreshRefreshed
		}
	} else {
		classifyRefreshError(&res, err)
		var ce *inject.CredentialError
		if errors.As(err, &ce) && ce.Verdict.Class == classify.Dead {
			ev := state.Evidence{Decision: "refresh", Fingerprint: state.Fingerprint(inject.CredentialFile(r.Acct.Secret))}
			if uerr := rec.Verdict(ctx, r, ce.Verdict, ev, now()); uerr != nil {
				res.Hints = append(res.Hints, "the health store could not be updated: "+uerr.Error())
			}
		}
	}
	recordRefreshEvent(rec, o.Trigger, r, res, now())
	return res
}

// classifyRefreshError fills outcome, reason, message, hints and exit code from Refresh's error.
func classifyRefreshError(res *RefreshResult, err error) {
	res.Message = err.Error()
	var h interface{ Hints() []string }
	if errors.As(err, &h) {
		res.Hints = append(res.Hints, h.Hints()...)
	}
	var ce *inject.CredentialError
	var re *inject.RefreshError
	var se *inject.SecretError
	switch {
	case errors.Is(err, inject.ErrNotAdmitted):
		res.Outcome, res.Reason, res.Admitted, res.ExitCode = RefreshNotAdmitted, ReasonReadOnlyBackend, false, 0
	case errors.As(err, &ce):
		res.Outcome, res.Reason = RefreshDead, string(ce.Verdict.Reason)
		res.ExitCode = omux.ExitRefresh
		if errors.As(err, &se) {
			res.Outcome, res.ExitCode = RefreshSecretError, omux.ExitSecret
		}
	case errors.As(err, &se):
		res.Outcome, res.Reason, res.ExitCode = RefreshSecretError, "secret_write_failed", omux.ExitSecret
	case errors.As(err, &re):
		res.Outcome, res.Reason, res.ExitCode = RefreshFailed, ReasonRefreshFailed, re.ExitCode()
		if re.Network {
			res.Reason = ReasonNetwork
		}
		if errors.Is(err, state.ErrLockTimeout) {
			res.Reason = "lock_timeout"
		}
	default:
		res.Outcome, res.Reason, res.ExitCode = RefreshFailed, ReasonRefreshFailed, omux.ExitRefresh
	}
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Second)
	return &u
}

// recordRefreshEvent appends the token_refresh row (SPEC §4.3): outcome, reason, the write-back
// capability and whether automatic refresh is admitted; never a token or a path.
func recordRefreshEvent(rec *Recorder, trigger string, r Route, res RefreshResult, now time.Time) {
	fields := map[string]any{
		"writeback_capability":       res.WritebackCapability,
		"automatic_refresh_admitted": res.Admitted,
		"rotated":                    res.Rotated,
	}
	if trigger != "" {
		fields["trigger"] = trigger
	}
	// A refresh is about the whole account: the event names no capability.
	acct := r
	acct.Capability = ""
	rec.Event(acct, state.Event{Ts: now, Kind: state.KindTokenRefresh, Outcome: res.Outcome, Reason: res.Reason, Fields: fields})
}

// RecordRefresh records the token_refresh event of a credential prepared for exec or env (SPEC §8.2):
// Prepare refreshed it (refreshed), the refresh failed (dead with the verdict's reason, or failed),
// or oauth-mux was not allowed to refresh a credential that is expiring (not_admitted: the CLI or
// the secret's owner refreshes it). Health verdicts are the planner's to record; this writes only the
// event. Nothing is recorded when no refresh was due.
func RecordRefresh(rec *Recorder, r Route, prep *inject.Prepared, err error) {
	now := time.Now()
	res := RefreshResult{Provider: r.Provider, Account: r.Account, WritebackCapability: r.Acct.Secret.WriteCapability()}
	res.Admitted, _, _ = RefreshAdmission(r)
	switch {
	case err != nil:
		var ce *inject.CredentialError
		var re *inject.RefreshError
		switch {
		case errors.As(err, &ce) && ce.Verdict.Reason == classify.CredentialExpired:
			// Expired, and nobody here may refresh it.
			res.Outcome, res.Reason = RefreshNotAdmitted, string(classify.CredentialExpired)
		case errors.As(err, &ce) && ce.Verdict.Source == classify.SourceTokenRefresh:
			classifyRefreshError(&res, err)
		case errors.As(err, &re):
			classifyRefreshError(&res, err)
		default:
			return // a secret that cannot be read is not a refresh
		}
	case prep == nil:
		return
	case prep.Refreshed:
		res.Outcome = RefreshRefreshed
		res.ExpiresAt = utc(prep.ExpiresAt)
	case prep.ExpiresAt != nil && !prep.ExpiresAt.After(now.Add(inject.RefreshLead)) && !res.Admitted:
		res.Outcome = RefreshNotAdmitted
		_, res.Reason, _ = RefreshAdmission(r)
	default:
		return
	}
	recordRefreshEvent(rec, "prepare", r, res, now)
}

// reviveOps are the revivals SPEC §8.3 asks for on the accounts of rs that keep their credential in
// a file: each revives its account if it is dead and the file's fingerprint changed since. The
// fingerprints are read here, outside any store lock: they hash file contents.
func reviveOps(rs []Route, now time.Time) []state.Op {
	var ops []state.Op
	seen := map[string]bool{}
	for _, r := range rs {
		k := r.AccountKey()
		if seen[k] {
			continue
		}
		seen[k] = true
		if f := inject.CredentialFile(r.Acct.Secret); f != "" {
			if fp := state.Fingerprint(f); fp != "" {
				ops = append(ops, &state.Revive{AccountKey: k, Fingerprint: fp, At: now})
			}
		}
	}
	return ops
}

// revived lists, sorted, the account keys that ops revived.
func revived(ops []state.Op) []string {
	var out []string
	for _, op := range ops {
		if rv, ok := op.(*state.Revive); ok && rv.Revived {
			out = append(out, rv.AccountKey)
		}
	}
	sort.Strings(out)
	return out
}

// ReviveChanged moves every dead account of the routes whose credential file changed since it died to
// probe_needed (SPEC §8.3), in one store operation, and returns the revived account keys. The exec
// Planner does this itself; keepalive and refresh call this.
func ReviveChanged(ctx context.Context, store state.Backend, rs []Route, now time.Time) ([]string, error) {
	ops := reviveOps(rs, now)
	if len(ops) == 0 {
		return nil, nil
	}
	h, err := store.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	// Most calls find nothing to revive: try the ops on the snapshot first, so the store is written
	// only when one applies (Apply runs them again on the stored health, and sets Revived anew).
	if !h.Run(ops...) {
		return nil, nil
	}
	if err := store.Apply(ctx, ops...); err != nil {
		return nil, err
	}
	return revived(ops), nil
}

// ReviveChangedIn is ReviveChanged on a store already loaded, for the no-spend planners (route
// explain/select) that show what the next run will do without writing the store: a dead account whose
// credential file changed since it died shows as probe_needed. h may be nil (no store).
func ReviveChangedIn(h *state.Health, rs []Route, now time.Time) []string {
	if h == nil {
		return nil
	}
	ops := reviveOps(rs, now)
	h.Run(ops...)
	return revived(ops)
}

// AccountRoutes lists one route per account for the account-level commands (refresh, keepalive):
// the accounts a selector names, or every configured account when it names nothing.
func AccountRoutes(cfg *config.Config, sel Selector) ([]Route, error) {
	var rs []Route
	if sel.Profile == "" && sel.Provider == "" && sel.Account == "" && sel.Capability == "" {
		for _, prov := range cfg.SortedProviderNames() {
			if len(cfg.Providers[prov].Accounts) == 0 {
				continue
			}
			p, err := Resolve(cfg, Selector{Provider: prov})
			if err != nil {
				return nil, err
			}
			rs = append(rs, p.Routes...)
		}
	} else {
		p, err := Resolve(cfg, sel)
		if err != nil {
			return nil, err
		}
		rs = p.Routes
	}
	seen := map[string]bool{}
	out := rs[:0:0]
	for _, r := range rs {
		if seen[r.AccountKey()] {
			continue
		}
		seen[r.AccountKey()] = true
		out = append(out, r)
	}
	return out, nil
}

// KeepaliveShare is the share of a token's life after which keepalive refreshes it (SPEC §8.2).
const KeepaliveShare = 0.75

// maxStagger bounds the per-account offset that spreads refreshes of many accounts apart.
const maxStagger = 5 * time.Minute

// KeepaliveDueAt is when keepalive refreshes a token (SPEC §8.2 "75 % of its life"): its life runs
// from issued — the credential file's mtime, which a refresh (ours or the CLI's) rewrites — to its
// expiry. Each account's time is brought forward by a stable offset of up to 5 % of the life (at
// most 5 minutes) derived from its key, so accounts issued together do not all refresh in the same
// instant. A token whose file is newer than its expiry (touched, copied) is due inject.RefreshLead before expiry.
func KeepaliveDueAt(key string, expiresAt, issued time.Time) time.Time {
	life := expiresAt.Sub(issued)
	if life <= 0 {
		return expiresAt.Add(-inject.RefreshLead)
	}
	due := issued.Add(time.Duration(float64(life) * KeepaliveShare))
	window := min(life/20, maxStagger)
	if window > 0 {
		h := fnv.New32a()
		h.Write([]byte(key))
		due = due.Add(-time.Duration(uint64(h.Sum32()) % uint64(window)))
	}
	return due
}
