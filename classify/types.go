// Package classify owns the verdict vocabulary of oauth-mux (SPEC §2.1): the closed set of verdict
// classes and reasons, the HTTP and output rule types that providers declare, the built-in output
// packs, the streaming output tap that watches a supervised child (with the structured judges of the
// CLIs' JSON events and the ring of recent input that is never evidence), reset-time parsing, and
// Judge, which turns evidence into a verdict by the evidence rules of SPEC §5.5.
//
// It must not know about accounts, routes, files or processes: it judges bytes, statuses and headers
// handed to it and returns values. It imports nothing from the project.
package classify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Class is a verdict class. The names are part of the JSON contract.
type Class string

const (
	Success          Class = "success"
	ChildFailure     Class = "child_failure"
	RateLimited      Class = "rate_limited"
	QuotaExhausted   Class = "quota_exhausted"
	ProviderDegraded Class = "provider_degraded"
	Degraded         Class = "degraded"
	Dead             Class = "dead"
)

// Reason refines the degraded and dead classes.
type Reason string

// Reasons of a degraded verdict.
const (
	TierInsufficient    Reason = "tier_insufficient"
	SubscriptionPaused  Reason = "subscription_paused"
	ScopeInsufficient   Reason = "scope_insufficient"
	AudienceMismatch    Reason = "audience_mismatch"
	SchemaInvalid       Reason = "schema_invalid"
	TermsRequired       Reason = "terms_required"
	StepUpRequired      Reason = "step_up_required"
	PendingVerification Reason = "pending_verification"
	Unknown4xx          Reason = "unknown_4xx"
	// ReasonProviderDegraded is the reason recorded on a route whose provider is degraded.
	ReasonProviderDegraded Reason = "provider_degraded"
)

// Reasons of a dead verdict.
const (
	TokenRevoked          Reason = "token_revoked"
	AccountDeleted        Reason = "account_deleted"
	AuthPermanentlyFailed Reason = "auth_permanently_failed"
	CredentialUnavailable Reason = "credential_unavailable"
	CredentialExpired     Reason = "credential_expired"
)

// DegradedReasons and DeadReasons list the closed sets, in SPEC order.
var (
	DegradedReasons = []Reason{TierInsufficient, SubscriptionPaused, ScopeInsufficient, AudienceMismatch,
		SchemaInvalid, TermsRequired, StepUpRequired, PendingVerification, Unknown4xx}
	DeadReasons = []Reason{TokenRevoked, AccountDeleted, AuthPermanentlyFailed, CredentialUnavailable,
		CredentialExpired}
)

// Source says where the evidence behind a verdict came from.
type Source string

const (
	SourceChildOutput          Source = "supervised_child_output"
	SourceProbe                Source = "capability_probe"
	SourceCredentialValidation Source = "credential_validation"
	SourceTokenRefresh         Source = "token_refresh"
)

// Scope is the health key a verdict is recorded against.
type Scope int

const (
	ScopeNone    Scope = iota // child_failure: nothing recorded
	ScopeRoute                // provider:account#capability
	ScopeAccount              // provider:account, dominating every route of the account
)

// Verdict is the judgement of one child run, probe or credential check.
type Verdict struct {
	Class       Class      `json:"class"`
	Reason      Reason     `json:"reason,omitempty"`
	Rule        string     `json:"rule,omitempty"`
	ResetAt     *time.Time `json:"reset_at,omitempty"`
	RetryAfterS int        `json:"retry_after_s,omitempty"`
	Source      Source     `json:"source,omitempty"`
}

// Scope tells which key the verdict marks (SPEC §2.1).
func (v Verdict) Scope() Scope {
	switch v.Class {
	case Success, RateLimited, QuotaExhausted, ProviderDegraded, Degraded:
		return ScopeRoute
	case Dead:
		return ScopeAccount
	default:
		return ScopeNone
	}
}

// IsRouteFailure reports whether the verdict belongs to the account or route rather than to the
// user's work, so that exec should move on to another route.
func (v Verdict) IsRouteFailure() bool {
	switch v.Class {
	case RateLimited, QuotaExhausted, ProviderDegraded, Degraded, Dead:
		return true
	}
	return false
}

// String renders "class" or "class(reason)".
func (v Verdict) String() string {
	if v.Reason != "" && v.Class != ProviderDegraded {
		return fmt.Sprintf("%s(%s)", v.Class, v.Reason)
	}
	return string(v.Class)
}

// ValidReason reports whether r belongs to class c.
func ValidReason(c Class, r Reason) bool {
	var set []Reason
	switch c {
	case Degraded:
		set = DegradedReasons
	case Dead:
		set = DeadReasons
	default:
		return r == ""
	}
	for _, x := range set {
		if x == r {
			return true
		}
	}
	return false
}

// RuleClass is the class a rule produces, in the tagged-union JSON of SPEC §5.1:
//
//	{"dead":"token_revoked"} {"degraded":"scope_insufficient"} {"rate_limited":{}}
//	{"quota_exhausted":{}} {"provider_degraded":{}} {"success":{}} {"failure":{}}
//
// "failure" is the user's own failure (child_failure).
type RuleClass struct {
	Class  Class
	Reason Reason
}

// MarshalJSON writes the tagged union.
func (c RuleClass) MarshalJSON() ([]byte, error) {
	switch c.Class {
	case Dead, Degraded:
		return json.Marshal(map[string]Reason{string(c.Class): c.Reason})
	case ChildFailure:
		return []byte(`{"failure":{}}`), nil
	case "":
		return []byte("null"), nil
	default:
		return []byte(`{"` + string(c.Class) + `":{}}`), nil
	}
}

// UnmarshalJSON reads the tagged union; a bare string ("rate_limited") is accepted too.
func (c *RuleClass) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		return c.set(s, nil)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("class must be an object with one key such as {\"rate_limited\":{}}")
	}
	if len(m) != 1 {
		return fmt.Errorf("class must have exactly one key, got %d", len(m))
	}
	for k, v := range m {
		return c.set(k, v)
	}
	return nil
}

func (c *RuleClass) set(k string, v json.RawMessage) error {
	switch Class(k) {
	case Dead, Degraded:
		var r Reason
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("class %q needs a reason string", k)
		}
		if !ValidReason(Class(k), r) {
			return fmt.Errorf("unknown %s reason %q", k, r)
		}
		*c = RuleClass{Class: Class(k), Reason: r}
	case RateLimited, QuotaExhausted, ProviderDegraded, Success:
		*c = RuleClass{Class: Class(k)}
		if Class(k) == ProviderDegraded {
			c.Reason = ReasonProviderDegraded
		}
	case "failure", ChildFailure:
		*c = RuleClass{Class: ChildFailure}
	default:
		return fmt.Errorf("unknown class %q", k)
	}
	return nil
}

// HTTPRule judges a probe's HTTP answer (SPEC §5.1 failure_rules). Every set matcher must hold.
type HTTPRule struct {
	Name          string    `json:"name,omitempty"`
	Status        *int      `json:"status,omitempty"`
	StatusMin     *int      `json:"status_min,omitempty"`
	StatusMax     *int      `json:"status_max,omitempty"`
	RetryAfterGTE *int      `json:"retry_after_gte,omitempty"`
	RetryAfterLT  *int      `json:"retry_after_lt,omitempty"`
	HintEquals    *string   `json:"hint_equals,omitempty"`
	HintContains  *string   `json:"hint_contains,omitempty"`
	Class         RuleClass `json:"class"`
}

// Stream names the output stream an output rule watches.
type Stream string

const (
	Stdout    Stream = "stdout"
	Stderr    Stream = "stderr"
	AnyStream Stream = "any"
)

// OutputRule judges a supervised child's output (SPEC §5.1 output_rules). Pattern is RE2. A rule with
// ExitCodes matches only when the child ended with one of them. ResetCapture names the pattern's group
// that holds a reset time. AtExit0 lets the rule fail a child that exited 0 when it matches in the
// final lines of a stream: only for a CLI known to print a fatal error and still exit 0 (SPEC §5.5(2)).
type OutputRule struct {
	Name         string    `json:"name"`
	Stream       Stream    `json:"stream,omitempty"`
	ExitCodes    []int     `json:"exit_codes,omitempty"`
	Pattern      string    `json:"pattern"`
	Class        RuleClass `json:"class"`
	ResetCapture string    `json:"reset_capture,omitempty"`
	AtExit0      bool      `json:"at_exit_0,omitempty"`
}
