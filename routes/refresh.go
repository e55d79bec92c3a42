package routes

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/inject"
	"github.com/oauth-mux/oauth-mux/internal/omux"
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
	// Warning is what went wrong around a refresh that succeeded (the shared pool did not take it).
	Warning string   `json:"warning,omitempty"`
	Hints   []string `json:"hints,omitempty"`
	// ExitCode is the exit status this result stands for: 0, or 202, 203, 204 (SPEC §10).
	ExitCode int `json:"exit_code"`
}

// Key is the account key.
func (r RefreshResult) Key() string { return omux.Account(r.Provider, r.Account).String() }

// Fail fills outcome, reason, message, hints and exit code from inject.Refresh's error.
func (res *RefreshResult) Fail(err error) {
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

// RefreshEvent appends the token_refresh row (SPEC §4.3): outcome, reason, the write-back
// capability and whether automatic refresh is admitted; never a token or a path.
func (rec *Recorder) RefreshEvent(ctx context.Context, trigger string, r Route, res RefreshResult, now time.Time) {
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
	rec.Event(ctx, acct, state.Event{Ts: now, Kind: state.KindTokenRefresh, Outcome: res.Outcome, Reason: res.Reason, Fields: fields})
}

// RecordRefresh records the token_refresh event of a credential prepared for exec or env (SPEC §8.2):
// Prepare refreshed it (refreshed), the refresh failed (dead with the verdict's reason, or failed),
// or oauth-mux was not allowed to refresh a credential that is expiring (not_admitted: the CLI or
// the secret's owner refreshes it). Health verdicts are the planner's to record; this writes only the
// event. Nothing is recorded when no refresh was due.
func RecordRefresh(ctx context.Context, rec *Recorder, r Route, prep *inject.Prepared, err error) {
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
			res.Fail(err)
		case errors.As(err, &re):
			res.Fail(err)
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
	rec.RefreshEvent(ctx, "prepare", r, res, now)
}

// ReviveOps are the revivals SPEC §8.3 asks for on the accounts of rs that keep their credential in
// a file: each revives its account if it is dead and the file's fingerprint changed since. The
// fingerprints are read here, outside any store lock: they hash file contents.
func ReviveOps(rs []Route, now time.Time) []state.Op {
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

// Revived lists, sorted, the account keys that ops revived.
func Revived(ops []state.Op) []string {
	var out []string
	for _, op := range ops {
		if rv, ok := op.(*state.Revive); ok && rv.Revived {
			out = append(out, rv.AccountKey)
		}
	}
	sort.Strings(out)
	return out
}

// ReviveChangedIn is ReviveChanged on a store already loaded, for the no-spend planners (route
// explain/select) that show what the next run will do without writing the store: a dead account whose
// credential file changed since it died shows as probe_needed. h may be nil (no store).
func ReviveChangedIn(h *state.Health, rs []Route, now time.Time) []string {
	if h == nil {
		return nil
	}
	ops := ReviveOps(rs, now)
	h.Run(ops...)
	return Revived(ops)
}
