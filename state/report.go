package state

import (
	"sort"
	"time"

	"github.com/oauth-mux/oauth-mux/internal/omux"
)

// HealthReport is the JSON of `oauth-mux health --json` (SPEC §7).
type HealthReport struct {
	Accounts []ReportEntry `json:"accounts"`
}

// ReportEntry is one key of the report. Capability is null on account keys.
type ReportEntry struct {
	Key          string          `json:"key"`
	Provider     string          `json:"provider"`
	Account      string          `json:"account"`
	Capability   *string         `json:"capability"`
	Score        int             `json:"score"`
	Successes    int             `json:"successes"`
	Failures     int             `json:"failures"`
	RateLimits   int             `json:"rate_limits"`
	Circuit      string          `json:"circuit"`
	Liveness     ReportLiveness  `json:"liveness"`
	LastEvidence *ReportEvidence `json:"last_evidence"`
}

// ReportLiveness has exactly one of the three timers, the one the state uses. Availability is null
// unless the state is live; Reason is null when there is none.
type ReportLiveness struct {
	State          string  `json:"state"`
	Availability   *string `json:"availability"`
	Reason         *string `json:"reason"`
	Since          string  `json:"since"`
	RetryAt        string  `json:"retry_at,omitempty"`
	Until          string  `json:"until,omitempty"`
	WindowResetsAt string  `json:"window_resets_at,omitempty"`
}

// ReportEvidence is Evidence with RFC 3339 UTC times.
type ReportEvidence struct {
	Source      string `json:"source,omitempty"`
	ObservedAt  string `json:"observed_at"`
	ExitStatus  *int   `json:"exit_status,omitempty"`
	HTTPStatus  int    `json:"http_status,omitempty"`
	Rule        string `json:"rule,omitempty"`
	RetryAfterS int    `json:"retry_after_s,omitempty"`
	Verdict     string `json:"verdict,omitempty"`
	Decision    string `json:"decision,omitempty"`
	Host        string `json:"host,omitempty"`
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func strp(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Report lists every key (of filterProvider only, when it is not ""), sorted by key. Scores are
// shown with DefaultScoring's decay applied up to now, and circuits as they stand at now; liveness is
// the recorded one (an expired window still shows, with its time in the past).
func (h *Health) Report(filterProvider string, now time.Time) HealthReport {
	rep := HealthReport{Accounts: []ReportEntry{}}
	keys := make([]string, 0, len(h.Records))
	for k := range h.Records {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	decay := DefaultScoring().DecayPerHour
	for _, k := range keys {
		r := h.Records[k]
		provider, account, capability, isRoute := omux.Split(k)
		if filterProvider != "" && provider != filterProvider {
			continue
		}
		score, _ := r.decayedScore(now, decay)
		e := ReportEntry{
			Key: k, Provider: provider, Account: account,
			Score: clampScore(score), Successes: r.Successes, Failures: r.Failures, RateLimits: r.RateLimits,
			Circuit: r.circuitAt(now),
		}
		if isRoute {
			e.Capability = &capability
		}
		l := r.Liveness
		e.Liveness = ReportLiveness{State: l.State, Reason: strp(l.Reason), Since: rfc3339(l.Since)}
		if l.State == StateLive {
			e.Liveness.Availability = strp(l.Availability)
		}
		switch kind, at := l.Timer(); kind {
		case TimerRetry:
			e.Liveness.RetryAt = rfc3339(*at)
		case TimerUntil:
			e.Liveness.Until = rfc3339(*at)
		case TimerWindow:
			e.Liveness.WindowResetsAt = rfc3339(*at)
		}
		if ev := r.LastEvidence; ev != nil {
			e.LastEvidence = &ReportEvidence{
				Source: string(ev.Source), ObservedAt: rfc3339(ev.ObservedAt), ExitStatus: ev.ExitStatus,
				HTTPStatus: ev.HTTPStatus, Rule: ev.Rule, RetryAfterS: ev.RetryAfterS, Verdict: ev.Verdict,
				Decision: ev.Decision, Host: ev.Host,
			}
		}
		rep.Accounts = append(rep.Accounts, e)
	}
	return rep
}
