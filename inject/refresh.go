package inject

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/providers"
	"github.com/oauth-mux/oauth-mux/state"
)

// RefreshOptions tunes Refresh. The zero value is the production behaviour.
type RefreshOptions struct {
	// HTTPClient posts the refresh grant; nil means a client with a 30 s timeout.
	HTTPClient *http.Client
	// Force refreshes a token that is not yet within 30 s of expiry (the refresh command's "now").
	Force bool
	// Due, when set, replaces the 30 s test of whether the token, re-read inside the lock, still needs
	// a refresh: keepalive refreshes at 75 % of a token's life, and a second keepalive that waited
	// for the lock must see that the first one already did. modTime is the credential's ModTime.
	Due func(tok providers.Token, modTime, now time.Time) bool
	// Fleet, when set, makes the refresh one machine's for the whole pool (see Fleet).
	Fleet Fleet

	// adoptOnly: in a pool, take the pool's newer generation but never send a refresh (a CLI-owned
	// credential whose provider names no token endpoint: its CLI refreshes it).
	adoptOnly bool
}

// RefreshRequest names the account whose credential to refresh.
type RefreshRequest struct {
	Provider, Account string
	Secret            config.Secret
	Definition        providers.Definition
	StateDir          string
	SecretEnv         Env
	Now               func() time.Time
	Options           *RefreshOptions
}

// RefreshResult is the credential after Refresh. Token and Secret hold secrets; the other fields are
// what a token_refresh event records.
type RefreshResult struct {
	Token  providers.Token
	Secret Secret
	// Refreshed is false when the token was still good inside the lock (another process refreshed it).
	Refreshed bool
	// Rotated is true when the answer carried a new refresh token.
	Rotated bool
	// Capability is the secret's write capability (writeback_capability in the event).
	Capability string
	// Adopted is true when the credential became the pool's newer generation, which another
	// machine refreshed.
	Adopted bool
	// Warning is what went wrong after a refresh that succeeded (the pool refused its generation).
	Warning string
}

// ErrNotAdmitted is wrapped by the RefreshError for a credential oauth-mux does not own: the
// provider's CLI or an external owner refreshes it (a not_admitted token_refresh event).
var ErrNotAdmitted = errors.New("refresh not admitted")

// Refresh renews an oauth_mux_refresh credential with the OAuth refresh grant (SPEC §8.2): under the
// account lock (waiting up to 30 s), re-reading the secret inside it, merging the answer into the
// existing JSON (unknown fields, the expiry's unit and the file mode kept; a rotated refresh token
// stored; an answer without one keeps the old one unless the definition requires rotation), and
// replacing the file atomically. invalid_grant is a *CredentialError with dead(token_revoked); a
// network failure or a 5xx is a *RefreshError with exit 204; other failures exit 203.
func Refresh(ctx context.Context, rr RefreshRequest) (RefreshResult, error) {
	def := rr.Definition
	res := RefreshResult{Capability: rr.Secret.WriteCapability()}
	now := time.Now
	if rr.Now != nil {
		now = rr.Now
	}
	opts := RefreshOptions{}
	if rr.Options != nil {
		opts = *rr.Options
	}
	key := omux.Account(rr.Provider, rr.Account).String()
	switch RefreshRefusal(def, rr.Secret) {
	case "":
	case RefusedReadOnlyBackend:
		return res, &RefreshError{Msg: fmt.Sprintf("%s: the %s backend is read-only, so a refreshed token could not be kept", key, rr.Secret.Backend), Err: ErrNotAdmitted}
	case RefusedNoTokenEndpoint:
		return res, &RefreshError{Msg: fmt.Sprintf("provider %s has no token endpoint", def.Name)}
	default:
		return res, &RefreshError{Msg: fmt.Sprintf("%s is refreshed by its owner (%s), not by oauth-mux", key, ownerName(def.Repair.Owner)), Err: ErrNotAdmitted}
	}
	endpoint := def.Auth.TokenEndpoint
	if err := checkEndpoint(endpoint); err != nil {
		return res, &RefreshError{Msg: err.Error()}
	}

	lctx, cancel := context.WithTimeout(ctx, lockWait)
	defer cancel()
	lock, err := state.LockAccount(lctx, rr.StateDir, rr.Provider, rr.Account, true)
	if err != nil {
		return res, &RefreshError{Msg: "account lock of " + key, Err: err}
	}
	defer lock.Release()

	// Inside the lock: another process may have refreshed while we waited.
	sec, tok, err := readToken(ctx, rr)
	if err != nil {
		return res, err
	}
	if opts.Fleet != nil {
		return refreshInPool(ctx, rr, opts, res, sec, tok, now)
	}
	if !opts.Force && !opts.due(tok, sec.ModTime, now()) {
		res.Token, res.Secret = tok, sec
		return res, nil
	}
	return exchange(ctx, rr, opts, res, sec, tok, now)
}

// due is whether tok, re-read inside the lock, still needs a refresh.
func (o RefreshOptions) due(tok providers.Token, modTime, now time.Time) bool {
	if o.Due != nil {
		return o.Due(tok, modTime, now)
	}
	return tok.Expired(now, RefreshLead)
}

// readToken reads and parses the account's credential.
func readToken(ctx context.Context, rr RefreshRequest) (Secret, providers.Token, error) {
	sec, err := ReadSecret(ctx, rr.Secret, rr.SecretEnv)
	if err != nil {
		return sec, providers.Token{}, &CredentialError{Provider: rr.Provider, Account: rr.Account, Msg: "credential unavailable", Err: err,
			Verdict: classify.Verdict{Class: classify.Dead, Reason: classify.CredentialUnavailable, Source: classify.SourceCredentialValidation}}
	}
	tok, err := providers.ParseCredential(rr.Definition, sec.Data, sec.ModTime)
	if err != nil {
		return sec, tok, &CredentialError{Provider: rr.Provider, Account: rr.Account, Msg: "credential does not parse", Err: err,
			Verdict: classify.Verdict{Class: classify.Dead, Reason: classify.CredentialUnavailable, Source: classify.SourceCredentialValidation}}
	}
	return sec, tok, nil
}

// exchange posts the refresh grant for tok and writes the answer back into the secret.
func exchange(ctx context.Context, rr RefreshRequest, opts RefreshOptions, res RefreshResult, sec Secret, tok providers.Token, now func() time.Time) (RefreshResult, error) {
	def := rr.Definition
	if tok.RefreshToken == "" {
		if !tok.Expired(now(), 0) {
			// A forced refresh of a live token without a refresh token proves nothing about it.
			return res, &RefreshError{Msg: "the credential holds no refresh token"}
		}
		return res, &CredentialError{Provider: rr.Provider, Account: rr.Account, Msg: "credential expired and holds no refresh token",
			Verdict: classify.Verdict{Class: classify.Dead, Reason: classify.CredentialExpired, Source: classify.SourceTokenRefresh}}
	}

	client := opts.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	cfg := oauth2.Config{
		ClientID: def.Auth.ClientID,
		Scopes:   def.Auth.Scopes,
		// Public clients: the client_id travels in the form, and no guess-and-retry of the auth style
		// (which would post the refresh token twice).
		Endpoint: oauth2.Endpoint{TokenURL: def.Auth.TokenEndpoint, AuthStyle: oauth2.AuthStyleInParams},
	}
	octx := context.WithValue(ctx, oauth2.HTTPClient, client)
	nt, err := cfg.TokenSource(octx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		return res, refreshFailure(rr, err)
	}
	if nt.AccessToken == "" {
		return res, &RefreshError{Msg: "the token endpoint answered without an access token"}
	}
	// x/oauth2 fills an omitted refresh_token with the submitted one, so "same" means omitted or reused.
	res.Rotated = nt.RefreshToken != "" && nt.RefreshToken != tok.RefreshToken
	newRefresh := tok.RefreshToken
	if res.Rotated {
		newRefresh = nt.RefreshToken
	} else if def.Repair.RefreshTokenResponse == providers.RequireRotated {
		return res, &RefreshError{Msg: "the token endpoint did not rotate the refresh token, which the provider definition requires"}
	}
	merged, err := mergeToken(def.Credential, sec.Data, nt.AccessToken, newRefresh, nt, now())
	if err != nil {
		return res, &RefreshError{Msg: err.Error()}
	}
	if err := WriteSecret(rr.Secret, merged); err != nil {
		return res, err
	}
	after, err := ReadSecret(ctx, rr.Secret, rr.SecretEnv)
	if err != nil {
		return res, err
	}
	ntok, err := providers.ParseCredential(def, after.Data, after.ModTime)
	if err != nil {
		return res, &RefreshError{Msg: "the refreshed credential does not parse", Err: err}
	}
	res.Token, res.Secret, res.Refreshed = ntok, after, true
	return res, nil
}

func ownerName(o string) string {
	if o == "" {
		return "unset"
	}
	return o
}

// checkEndpoint refuses to send a refresh token in clear text anywhere but to this machine.
func checkEndpoint(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return errors.New("token endpoint is not a URL")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if host == "localhost" {
			return nil
		}
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			return nil
		}
	}
	return fmt.Errorf("token endpoint must be https (got %s://%s)", u.Scheme, u.Host)
}

// refreshFailure sorts a failed grant: invalid_grant proves the refresh token dead; a 5xx or no answer
// at all is the network's fault. The endpoint's body is never kept.
func refreshFailure(rr RefreshRequest, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		if re.ErrorCode == "invalid_grant" {
			return &CredentialError{Provider: rr.Provider, Account: rr.Account,
				Msg:     "the refresh token was refused (invalid_grant)",
				Verdict: classify.Verdict{Class: classify.Dead, Reason: classify.TokenRevoked, Source: classify.SourceTokenRefresh},
				hints:   loginHints(rr),
			}
		}
		if status >= 500 {
			return &RefreshError{Msg: fmt.Sprintf("token endpoint answered HTTP %d", status), Network: true}
		}
		code := re.ErrorCode
		if code != "" && !isOAuthCode(code) {
			code = ""
		}
		if code != "" {
			return &RefreshError{Msg: fmt.Sprintf("token endpoint answered HTTP %d (%s)", status, code)}
		}
		return &RefreshError{Msg: fmt.Sprintf("token endpoint answered HTTP %d", status)}
	}
	if errors.Is(err, context.Canceled) {
		return &RefreshError{Msg: "cancelled", Err: context.Canceled}
	}
	// Transport errors (*url.Error) carry the endpoint URL and the cause, never the form body.
	return &RefreshError{Msg: "cannot reach the token endpoint", Network: true, Err: err}
}

// isOAuthCode keeps an error code only when it looks like RFC 6749's [a-z_] codes, so a server
// echoing input cannot put a token into our message.
func isOAuthCode(s string) bool {
	if len(s) > 40 {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && c != '_' {
			return false
		}
	}
	return true
}

func loginHints(rr RefreshRequest) []string {
	if lc := rr.Definition.Repair.LoginCommand; len(lc) > 0 {
		return []string{"log in again: " + strings.Join(lc, " ") + ", then update the account's secret"}
	}
	return []string{fmt.Sprintf("log in to %s again and update the secret of %s:%s", rr.Definition.Name, rr.Provider, rr.Account)}
}

// mergeToken writes the new tokens and expiry into the existing credential JSON at the definition's
// paths (inside the wrapper object when present), keeping every other field and the expiry's unit.
func mergeToken(c providers.Credential, raw []byte, access, refresh string, nt *oauth2.Token, now time.Time) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var root map[string]any
	if err := dec.Decode(&root); err != nil || root == nil {
		return nil, errors.New("the credential is not a JSON object, so a refreshed token cannot be merged into it")
	}
	obj := root
	if c.WrapperKey != "" {
		if w, ok := root[c.WrapperKey].(map[string]any); ok {
			obj = w
		}
	}
	accessPath := c.AccessTokenPath
	if accessPath == "" {
		accessPath = "access_token"
	}
	refreshPath := c.RefreshTokenPath
	if refreshPath == "" {
		refreshPath = "refresh_token"
	}
	if err := setPath(obj, accessPath, access); err != nil {
		return nil, err
	}
	if err := setPath(obj, refreshPath, refresh); err != nil {
		return nil, err
	}
	if id, _ := nt.Extra("id_token").(string); id != "" && c.IDTokenPath != "" {
		if err := setPath(obj, c.IDTokenPath, id); err != nil {
			return nil, err
		}
	}
	if c.RefreshedAtPath != "" {
		if err := setPath(obj, c.RefreshedAtPath, now.UTC().Format(time.RFC3339Nano)); err != nil {
			return nil, err
		}
	}
	exp := nt.Expiry
	if exp.IsZero() && nt.ExpiresIn > 0 {
		exp = now.Add(time.Duration(nt.ExpiresIn) * time.Second)
	}
	if !exp.IsZero() {
		switch {
		case c.ExpiresAtPath != "":
			old, _ := providers.LookupPath(obj, c.ExpiresAtPath)
			var v any
			switch o := old.(type) {
			case string:
				if _, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(o)); err == nil {
					v = exp.UTC().Format(time.RFC3339)
				}
			case json.Number:
				// Keep the unit the file already used when the definition leaves it open.
				if c.ExpiresAtUnit == "" {
					if f, err := o.Float64(); err == nil && f >= 1e11 {
						v = json.Number(fmt.Sprint(exp.UnixMilli()))
					}
				}
			}
			if v == nil {
				if c.ExpiresAtUnit == providers.UnitMilliseconds {
					v = json.Number(fmt.Sprint(exp.UnixMilli()))
				} else {
					v = json.Number(fmt.Sprint(exp.Unix()))
				}
			}
			if err := setPath(obj, c.ExpiresAtPath, v); err != nil {
				return nil, err
			}
		case c.ExpiresInPath != "":
			// The file's mtime anchors expires_in, and the file is written now.
			secs := int64(exp.Sub(now).Round(time.Second) / time.Second)
			if secs < 1 {
				secs = 1
			}
			if err := setPath(obj, c.ExpiresInPath, json.Number(fmt.Sprint(secs))); err != nil {
				return nil, err
			}
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if bytes.Contains(raw, []byte("\n ")) || bytes.Contains(raw, []byte("\n\t")) {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(root); err != nil {
		return nil, errors.New("cannot encode the refreshed credential")
	}
	out := buf.Bytes()
	if !bytes.HasSuffix(raw, []byte("\n")) {
		out = bytes.TrimSuffix(out, []byte("\n"))
	}
	return out, nil
}

// setPath stores v at a definition's dot path (the paths providers.LookupPath reads), creating the
// objects on the way; a segment that holds something else than an object is an error.
func setPath(obj map[string]any, p string, v any) error {
	segs := strings.Split(p, ".")
	cur := obj
	for i, seg := range segs[:len(segs)-1] {
		next, ok := cur[seg]
		if !ok || next == nil {
			m := map[string]any{}
			cur[seg] = m
			cur = m
			continue
		}
		m, ok := next.(map[string]any)
		if !ok {
			return fmt.Errorf("cannot store a refreshed token at %q: %q is not an object", p, strings.Join(segs[:i+1], "."))
		}
		cur = m
	}
	cur[segs[len(segs)-1]] = v
	return nil
}
