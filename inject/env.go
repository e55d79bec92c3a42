package inject

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/providers"
	"github.com/oauth-mux/oauth-mux/state"
)

// Variables oauth-mux sets on every child (SPEC §6.1).
const (
	EnvActiveProvider   = "OMUX_ACTIVE_PROVIDER"
	EnvActiveAccount    = "OMUX_ACTIVE_ACCOUNT"
	EnvActiveCapability = "OMUX_ACTIVE_CAPABILITY"
	EnvActiveProfile    = "OMUX_ACTIVE_PROFILE"
	EnvAttempt          = "OMUX_ATTEMPT"
	EnvVersion          = "OMUX_VERSION"
	// EnvExecChild is set only in the children of exec, never by env: a shell that evaluated
	// `oauth-mux env` has the markers above but is no child of exec, and may run exec.
	EnvExecChild = "OMUX_EXEC_CHILD"
)

// RefreshLead is how close to expiry a token oauth-mux refreshes itself is refreshed (SPEC §8.2).
const RefreshLead = 30 * time.Second

// Request is everything Prepare needs for one attempt on one account.
type Request struct {
	// Env is the parent's environment, the base of the child's.
	Env omux.Environ
	// Provider and Account name the account; AccountConfig is its config entry.
	Provider, Account string
	AccountConfig     config.Account
	// ConfigDirEnv, when set, overrides Definition.Injection.ConfigDirEnv (a provider's config_dir_env
	// in the config file).
	ConfigDirEnv string
	// Definition is the account's resolved provider definition.
	Definition providers.Definition
	// Capability, Profile, Attempt (1-based) and Version mark the child (OMUX_ACTIVE_*).
	Capability, Profile string
	Attempt             int
	Version             string
	// StateDir holds homes/ and locks/.
	StateDir string
	// SecretEnv is what secret backends read; its zero value uses Env for variables and commands.
	SecretEnv Env
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Refresh configures token refresh for oauth_mux_refresh providers (nil: defaults).
	Refresh *RefreshOptions
}

func (r *Request) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Request) secretEnv() Env {
	e := r.SecretEnv
	if e.Environ == nil {
		e.Environ = r.Env
	}
	return e
}

func (r *Request) configDirEnv() string {
	if r.ConfigDirEnv != "" {
		return r.ConfigDirEnv
	}
	return r.Definition.Injection.ConfigDirEnv
}

// Prepared is the child's world for one attempt. Env holds secrets: never print or log it.
type Prepared struct {
	// Env is the child's complete environment: sorted by name, one entry per name.
	Env omux.Environ
	// Set and Unset are the changes against the parent's environment, for the env command.
	Set   map[string]string
	Unset []string
	// Metered is true for an account that bills per use (an API key, or tagged metered).
	Metered bool
	// ExpiresAt is the credential's expiry, nil when unknown.
	ExpiresAt *time.Time
	// ConfigDir is the directory given in the provider's config_dir_env ("" when none).
	ConfigDir string
	// CredentialPath is the managed credential file ("" when the account has no managed dir), and
	// CredentialFingerprint the fingerprint of what Prepare wrote there.
	CredentialPath        string
	CredentialFingerprint string
	// Pending is what Prepare did with a credential an earlier run's CLI left in the managed dir.
	Pending WriteBackResult
	// Refreshed is true when Prepare refreshed the token (the caller records a token_refresh event).
	Refreshed bool
	// RefreshWarning is what went wrong around a refresh that succeeded, for stderr ("" when nothing).
	RefreshWarning string

	req         Request
	home        string   // the managed dir, "" when none
	secretRead  Secret   // the secret as read (or refreshed) before launch
	written     [32]byte // sha256 of the managed credential file as Prepare left it
	renderedTpl bool     // the managed file came from credential_template, not the secret's bytes
	fleet       Fleet    // the shared pool of a CLI-owned credential, nil when none
	poolGen     int64    // the pool's generation the credential was taken at
}

// CheckNesting refuses an exec inside an exec child of the same provider (SPEC §6.1) unless nested.
func CheckNesting(parentEnv omux.Environ, provider string, nested bool) error {
	if nested {
		return nil
	}
	mark, _ := parentEnv.Lookup(EnvExecChild)
	if v, ok := parentEnv.Lookup(EnvActiveProvider); ok && v == provider && mark != "" {
		return &NestingError{Provider: provider}
	}
	return nil
}

func (r *Request) deadErr(reason classify.Reason, msg string, err error, hints ...string) *CredentialError {
	return &CredentialError{
		Provider: r.Provider, Account: r.Account,
		Verdict: classify.Verdict{Class: classify.Dead, Reason: reason, Source: classify.SourceCredentialValidation},
		Msg:     msg, Err: err, hints: hints,
	}
}

// Prepare reads the account's secret, checks the credential before launch and builds the child's
// environment (SPEC §6.1). A credential that cannot be used is a *CredentialError carrying the dead
// verdict to record; any other error (a bad definition, an unwritable state dir) is the caller's to
// report.
func Prepare(ctx context.Context, req Request) (*Prepared, error) {
	if err := checkNames(req); err != nil {
		return nil, err
	}
	p := &Prepared{req: req}

	sec, err := ReadSecret(ctx, req.AccountConfig.Secret, req.secretEnv())
	if err != nil {
		return nil, req.deadErr(classify.CredentialUnavailable, "credential unavailable", err)
	}

	// A managed dir holds the credential the CLI sees; an earlier run's CLI may have refreshed it.
	dirEnv := req.configDirEnv()
	managed := dirEnv != "" && req.AccountConfig.ConfigDir == ""
	var home string
	var backendSum [32]byte
	keepBackendSum := false
	if managed {
		if req.StateDir == "" {
			return nil, errors.New("inject: no state dir for the managed config dir")
		}
		home = state.HomesDir(req.StateDir, req.Provider, req.Account)
		p.home = home
		p.CredentialPath = filepath.Join(home, filepath.FromSlash(req.Definition.CredentialFilename()))
		res, eff, err := reconcilePending(ctx, req, sec, home, p.CredentialPath)
		if err != nil {
			return nil, err
		}
		p.Pending = res
		if res.Action == WriteBackReadOnly {
			// The record keeps the backend's own sum, so the next run still knows the CLI's copy is the newer.
			backendSum = sha256.Sum256(sec.Data)
			keepBackendSum = true
		}
		sec = eff
	}

	tok, err := providers.ParseCredential(req.Definition, sec.Data, sec.ModTime)
	if err != nil {
		return nil, req.deadErr(classify.CredentialUnavailable, "credential does not parse", err)
	}
	if tok, sec, err = p.checkExpiry(ctx, tok, sec); err != nil {
		return nil, err
	}
	p.secretRead = sec
	if !keepBackendSum {
		backendSum = sha256.Sum256(sec.Data)
	}
	p.ExpiresAt = tok.ExpiresAt
	p.Metered = tok.Metered || req.AccountConfig.Metered()

	set := map[string]string{}
	var unset []string
	if dirEnv != "" {
		switch {
		case req.AccountConfig.ConfigDir != "":
			p.ConfigDir = req.AccountConfig.ConfigDir
		default:
			p.ConfigDir = home
			if err := p.writeManaged(sec, tok, backendSum); err != nil {
				return nil, err
			}
		}
		set[dirEnv] = p.ConfigDir
	}
	dset, dunset := req.Definition.Env(tok)
	unset = append(unset, dunset...)
	for _, kv := range dset {
		set[kv[0]] = kv[1]
	}
	for _, pair := range req.Definition.Injection.DirectEnv {
		if _, ok := set[pair[0]]; !ok {
			// A direct variable this credential does not fill must not reach the child from the
			// parent either: it would belong to another login (or bill an API key).
			unset = append(unset, pair[0])
		}
	}
	mark := [][2]string{
		{EnvActiveProvider, req.Provider}, {EnvActiveAccount, req.Account},
		{EnvActiveCapability, req.Capability}, {EnvActiveProfile, req.Profile},
		{EnvVersion, req.Version},
	}
	if req.Attempt > 0 {
		mark = append(mark, [2]string{EnvAttempt, strconv.Itoa(req.Attempt)})
	} else {
		mark = append(mark, [2]string{EnvAttempt, ""})
	}
	for _, m := range mark {
		if m[1] != "" {
			set[m[0]] = m[1]
		} else {
			unset = append(unset, m[0])
		}
	}
	p.Set = set
	p.Unset = dedupUnset(unset, set)
	p.Env = buildEnv(req.Env, set, p.Unset)
	return p, nil
}

func checkNames(req Request) error {
	inj := req.Definition.Injection
	names := append([]string{}, inj.ScrubEnv...)
	if d := req.configDirEnv(); d != "" {
		names = append(names, d)
	}
	for _, p := range inj.DirectEnv {
		names = append(names, p[0])
		switch p[1] {
		case providers.InjectAccessToken, providers.InjectRefreshToken, providers.InjectAPIKey:
		default:
			return fmt.Errorf("provider %s: direct_env %s: unknown token kind %q", req.Definition.Name, p[0], p[1])
		}
	}
	for _, n := range names {
		if !ValidEnvName(n) {
			return fmt.Errorf("provider %s: %q is not a valid environment variable name", req.Definition.Name, n)
		}
	}
	if err := providers.CheckCredentialFilename(inj.CredentialFilename); err != nil {
		return fmt.Errorf("provider %s: %w", req.Definition.Name, err)
	}
	return nil
}

func dedupUnset(unset []string, set map[string]string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, k := range unset {
		if _, ok := set[k]; ok || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// buildEnv starts from the parent's environment (the last assignment of a name wins, as in exec.Cmd),
// removes unset and replaces set, and sorts by name.
func buildEnv(parent omux.Environ, set map[string]string, unset []string) omux.Environ {
	m := map[string]string{}
	for _, kv := range parent {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" || strings.IndexByte(kv, 0) >= 0 {
			continue
		}
		m[k] = v
	}
	for _, k := range unset {
		delete(m, k)
	}
	for k, v := range set {
		m[k] = strings.ReplaceAll(v, "\x00", "")
	}
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Slice(out, func(i, j int) bool {
		a, _, _ := strings.Cut(out[i], "=")
		b, _, _ := strings.Cut(out[j], "=")
		return a < b
	})
	return out
}

// checkExpiry applies SPEC §6.1 "Credentials before launch".
func (p *Prepared) checkExpiry(ctx context.Context, tok providers.Token, sec Secret) (providers.Token, Secret, error) {
	req := &p.req
	if tok.ExpiresAt == nil {
		return tok, sec, nil
	}
	now := req.now()
	owner := req.Definition.Repair.Owner
	switch owner {
	case providers.OwnerUpstreamCLILogin:
		if req.Refresh != nil && req.Refresh.Fleet != nil {
			return p.poolCLI(ctx, tok, sec)
		}
		// The CLI refreshes its own credential; an expired one is its business.
		return tok, sec, nil
	case providers.OwnerOAuthMuxRefresh:
		if tok.ExpiresAt.After(now.Add(RefreshLead)) {
			return tok, sec, nil
		}
		if why := refreshBlocked(req, tok); why != "" {
			if !tok.ExpiresAt.After(now) {
				return tok, sec, req.deadErr(classify.CredentialExpired, "credential expired and "+why, nil,
					fmt.Sprintf("log in again and update the account's secret, then run `oauth-mux probe --provider %s --account %s`", req.Provider, req.Account))
			}
			return tok, sec, nil // about to expire, but still good for now
		}
		res, err := Refresh(ctx, RefreshRequest{
			Provider: req.Provider, Account: req.Account, Secret: req.AccountConfig.Secret,
			Definition: req.Definition, StateDir: req.StateDir, SecretEnv: req.secretEnv(),
			Now: req.Now, Options: req.Refresh,
		})
		if err != nil {
			// A *CredentialError carries dead(token_revoked); a *RefreshError (network, 5xx, lock
			// timeout) is no proof of death: the caller moves on without recording a verdict.
			return tok, sec, err
		}
		p.Refreshed, p.RefreshWarning = res.Refreshed, res.Warning
		return res.Token, res.Secret, nil
	default:
		if tok.ExpiresAt.After(now) {
			return tok, sec, nil
		}
		hint := fmt.Sprintf("renew the credential of %s:%s at its source, then run `oauth-mux probe --provider %s --account %s`",
			req.Provider, req.Account, req.Provider, req.Account)
		return tok, sec, req.deadErr(classify.CredentialExpired, "credential expired and nobody refreshes it", nil, hint)
	}
}

// refreshBlocked says why oauth-mux may not refresh this credential, or "" when it may.
func refreshBlocked(req *Request, tok providers.Token) string {
	if tok.RefreshToken == "" {
		return "it holds no refresh token"
	}
	switch RefreshRefusal(req.Definition, req.AccountConfig.Secret) {
	case RefusedNoTokenEndpoint:
		return "the provider has no token endpoint"
	case RefusedReadOnlyBackend:
		return fmt.Sprintf("its %s backend is read-only, so a refreshed token could not be kept", req.AccountConfig.Secret.Backend)
	}
	return ""
}

// writeManaged creates the managed dir (0700) and writes the credential file (0600): the secret's own
// bytes, or the definition's credential_template rendered (providers.RenderCredential).
func (p *Prepared) writeManaged(sec Secret, tok providers.Token, backendSum [32]byte) error {
	// Every dir from the state dir down is made (or tightened to) 0700 and checked not to be a link, so
	// a planted link cannot send the credential, or a chmod, out of the state dir.
	for _, dir := range []string{p.home, filepath.Dir(p.CredentialPath)} {
		if err := state.EnsurePrivateDir(p.req.StateDir, dir); err != nil {
			return fmt.Errorf("managed config dir: %w", err)
		}
	}
	data, err := providers.RenderCredential(p.req.Definition, tok, sec.Data)
	if err != nil {
		return fmt.Errorf("provider %s: %w", p.req.Definition.Name, err)
	}
	p.renderedTpl = p.req.Definition.Injection.CredentialTemplate != ""
	// Only a plain file is read or chmod-ed in place; anything else is replaced by the atomic write
	// (a rename replaces a link itself, not its target).
	var cur []byte
	fi, err := os.Lstat(p.CredentialPath)
	if err == nil && fi.Mode().IsRegular() {
		cur, err = os.ReadFile(p.CredentialPath)
	} else if err == nil {
		err = errors.New("not a plain file")
	}
	if err != nil || !bytes.Equal(cur, data) {
		if err := state.WriteFileAtomic(p.CredentialPath, data, 0o600); err != nil {
			return fmt.Errorf("managed credential: %w", err)
		}
	} else if err := os.Chmod(p.CredentialPath, 0o600); err != nil {
		return fmt.Errorf("managed credential: %w", err)
	}
	p.written = sha256.Sum256(data)
	p.CredentialFingerprint = state.Fingerprint(p.CredentialPath)
	return writeBaseFull(p.home, base{managed: p.written, secret: backendSum, template: p.renderedTpl})
}
