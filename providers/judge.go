package providers

import (
	"net/http"
	"strings"

	"github.com/oauth-mux/oauth-mux/classify"
)

// Generic HTTP judgement (SPEC §5.3). The rule names below appear in recorded evidence, so a user
// reading `oauth-mux health` can tell a provider rule from the generic table.
const (
	RuleHTTPSuccess          = "http-success"
	RuleHTTPRateLimited      = "http-429"
	RuleHTTPQuotaExhausted   = "http-429-long-retry-after"
	RuleHTTPUnauthorized     = "http-401"
	RuleHTTPForbidden        = "http-403"
	RuleHTTPScope            = "http-403-scope"
	RuleHTTPStepUp           = "http-403-step-up"
	RuleHTTPPending          = "http-403-pending"
	RuleHTTPTerms            = "http-403-terms"
	RuleHTTPServerError      = "http-5xx"
	RuleHTTPOtherClientError = "http-4xx"
	RuleHTTPUnexpected       = "http-unexpected-status"
)

// DefaultRetryAfterS is the wait a 429 without Retry-After implies, and LongRetryAfterS the longest
// wait that is still a burst limit rather than a spent usage window (SPEC §5.3).
const (
	DefaultRetryAfterS = 30
	LongRetryAfterS    = 3600
)

// NoRetryAfter is the retryAfter argument of JudgeHTTP when the answer had no usable Retry-After.
const NoRetryAfter = -1

// JudgeHTTP judges a probe's answer (SPEC §5.3): the provider's rules first, in order, then the
// generic table. status is the HTTP status (or the status a command probe's end maps to), body the
// capped response body, retryAfter the Retry-After in seconds (NoRetryAfter when absent). The hint
// the rules see is the probe's hint_header value, or the body when hint_body is set.
//
// A rule that matches decides, even for a status inside the probe's success range: a 200 whose
// body says the login is gone is not a success. Without a matching rule, a status inside the
// success range (default 200..299) is a success. The verdict's Source is capability_probe.
func JudgeHTTP(status int, headers http.Header, body []byte, retryAfter int, rules []classify.HTTPRule, p Probe) classify.Verdict {
	hint := probeHint(headers, body, p)
	for _, r := range rules {
		if !ruleMatches(r, status, retryAfter, hint) {
			continue
		}
		v := classify.Verdict{Class: r.Class.Class, Reason: r.Class.Reason, Rule: r.Name, Source: classify.SourceProbe}
		if v.Rule == "" {
			v.Rule = "failure_rules"
		}
		if (v.Class == classify.RateLimited || v.Class == classify.QuotaExhausted) && retryAfter > 0 {
			v.RetryAfterS = retryAfter
		}
		return v
	}
	lo, hi := p.successRange()
	if status >= lo && status <= hi {
		return classify.Verdict{Class: classify.Success, Rule: RuleHTTPSuccess, Source: classify.SourceProbe}
	}
	return genericHTTP(status, retryAfter, hint)
}

func genericHTTP(status, retryAfter int, hint string) classify.Verdict {
	v := classify.Verdict{Source: classify.SourceProbe}
	deg := func(r classify.Reason, rule string) classify.Verdict {
		v.Class, v.Reason, v.Rule = classify.Degraded, r, rule
		return v
	}
	switch {
	case status >= 200 && status <= 299:
		v.Class, v.Rule = classify.Success, RuleHTTPSuccess
	case status == http.StatusTooManyRequests:
		ra := retryAfter
		if ra < 0 {
			ra = DefaultRetryAfterS
		}
		v.RetryAfterS = ra
		if ra <= LongRetryAfterS {
			v.Class, v.Rule = classify.RateLimited, RuleHTTPRateLimited
		} else {
			v.Class, v.Rule = classify.QuotaExhausted, RuleHTTPQuotaExhausted
		}
	case status == http.StatusUnauthorized:
		v.Class, v.Reason, v.Rule = classify.Dead, classify.TokenRevoked, RuleHTTPUnauthorized
	case status == http.StatusForbidden:
		h := strings.ToLower(hint)
		switch {
		case strings.Contains(h, "insufficient_scope") || strings.Contains(h, "scope"):
			return deg(classify.ScopeInsufficient, RuleHTTPScope)
		case strings.Contains(h, "step_up") || strings.Contains(h, "step-up") ||
			strings.Contains(h, "insufficient_user_authentication"):
			return deg(classify.StepUpRequired, RuleHTTPStepUp)
		case strings.Contains(h, "pending") || strings.Contains(h, "verification"):
			return deg(classify.PendingVerification, RuleHTTPPending)
		case strings.Contains(h, "terms"):
			return deg(classify.TermsRequired, RuleHTTPTerms)
		}
		return deg(classify.TierInsufficient, RuleHTTPForbidden)
	case status >= 500 && status <= 599:
		v.Class, v.Reason, v.Rule = classify.ProviderDegraded, classify.ReasonProviderDegraded, RuleHTTPServerError
	case status >= 400 && status <= 499:
		return deg(classify.Unknown4xx, RuleHTTPOtherClientError)
	default:
		// 1xx and 3xx outside the success range: the endpoint did not answer the probe as it should,
		// which says nothing about the account. unknown_4xx is the closed set's nearest name.
		return deg(classify.Unknown4xx, RuleHTTPUnexpected)
	}
	return v
}

func probeHint(headers http.Header, body []byte, p Probe) string {
	switch {
	case p.HintHeader != "":
		return headers.Get(p.HintHeader)
	case p.HintBody:
		return string(body)
	}
	return ""
}

// ruleMatches says whether every matcher a rule sets holds. hint_equals compares the trimmed hint
// exactly; hint_contains looks for the text case-insensitively, since providers change the case of
// their error codes more readily than their wording. A retry_after matcher needs a Retry-After.
func ruleMatches(r classify.HTTPRule, status, retryAfter int, hint string) bool {
	if r.Status != nil && status != *r.Status {
		return false
	}
	if r.StatusMin != nil && status < *r.StatusMin {
		return false
	}
	if r.StatusMax != nil && status > *r.StatusMax {
		return false
	}
	if r.RetryAfterGTE != nil && (retryAfter < 0 || retryAfter < *r.RetryAfterGTE) {
		return false
	}
	if r.RetryAfterLT != nil && (retryAfter < 0 || retryAfter >= *r.RetryAfterLT) {
		return false
	}
	if r.HintEquals != nil && strings.TrimSpace(hint) != *r.HintEquals {
		return false
	}
	if r.HintContains != nil && !containsFold(hint, *r.HintContains) {
		return false
	}
	return r.Class.Class != ""
}

func containsFold(s, sub string) bool {
	if sub == "" {
		return true
	}
	if strings.Contains(s, sub) {
		return true
	}
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// successRange is the probe's success status range with its defaults.
func (p Probe) successRange() (int, int) {
	lo, hi := 200, 299
	if p.SuccessStatusMin != nil {
		lo = *p.SuccessStatusMin
	}
	if p.SuccessStatusMax != nil {
		hi = *p.SuccessStatusMax
	}
	return lo, hi
}
