package inject

import (
	"fmt"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/internal/omux"
)

// SecretError is a secret backend that could not deliver (SPEC §8.1). Its text names the backend and
// what is missing, never the secret; Err, when set, is an error built from paths and statuses only.
type SecretError struct {
	Backend string
	Msg     string
	Err     error
}

func (e *SecretError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("secret backend %s: %s: %v", e.Backend, e.Msg, e.Err)
	}
	return fmt.Sprintf("secret backend %s: %s", e.Backend, e.Msg)
}

func (e *SecretError) Unwrap() error { return e.Err }

// ExitCode is 202: a secret read or decrypt failed (SPEC §10).
func (e *SecretError) ExitCode() int { return omux.ExitSecret }

func secretErr(backend, format string, args ...any) *SecretError {
	return &SecretError{Backend: backend, Msg: fmt.Sprintf(format, args...)}
}

// CredentialError says an account's credential cannot be used for a launch (SPEC §6.1 "Credentials
// before launch"). It is not a reason to stop: the caller records Verdict against the account key and
// moves to the next route. Err is the cause (a *SecretError for an unreadable secret, a *RefreshError
// for a refresh that failed), so the exit code of a lone failing account follows the cause.
type CredentialError struct {
	Provider, Account string
	Verdict           classify.Verdict
	Msg               string
	Err               error
	hints             []string
}

func (e *CredentialError) Error() string {
	s := fmt.Sprintf("account %s:%s: %s", e.Provider, e.Account, e.Msg)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *CredentialError) Unwrap() error { return e.Err }

// Hints are the next steps for a user (for example the refresh or login command).
func (e *CredentialError) Hints() []string { return e.hints }

// NestingError refuses an exec inside an exec child of the same provider (SPEC §6.1).
type NestingError struct{ Provider string }

func (e *NestingError) Error() string {
	return fmt.Sprintf("already inside an oauth-mux child for provider %q", e.Provider)
}

// ExitCode is 1: a general error.
func (e *NestingError) ExitCode() int { return omux.ExitGeneral }

// Hints tells how to nest on purpose.
func (e *NestingError) Hints() []string {
	return []string{"pass --nested to run it anyway (the inner run picks its own account)"}
}

// RefreshError is a token refresh that failed without proving the credential dead (SPEC §8.2): a
// network failure or a 5xx exits 204, anything else 203. The token endpoint's body is never kept.
type RefreshError struct {
	Msg     string
	Network bool
	Err     error
}

func (e *RefreshError) Error() string {
	if e.Err != nil {
		return "token refresh failed: " + e.Msg + ": " + e.Err.Error()
	}
	return "token refresh failed: " + e.Msg
}

func (e *RefreshError) Unwrap() error { return e.Err }

// ExitCode is 204 for a network failure or a server error, 203 otherwise.
func (e *RefreshError) ExitCode() int {
	if e.Network {
		return omux.ExitNetwork
	}
	return omux.ExitRefresh
}
