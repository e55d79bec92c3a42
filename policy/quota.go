package policy

import (
	"fmt"

	"github.com/oauth-mux/oauth-mux/config"
)

// Quota compares the runs oauth-mux counted for an account this calendar month with the account's
// quota.monthly_limit (SPEC §3.2). Its JSON is part of `accounts list --json`, `doctor --json` and
// `report --json`.
type Quota struct {
	RunsThisMonth int  `json:"runs_this_month"`
	MonthlyLimit  *int `json:"monthly_limit"`
	WarnAtPct     int  `json:"warn_at_pct"`
	// Status: unlimited (no limit set), ok, near_limit (within warn_at_pct of the limit),
	// limit_reached (runs >= limit).
	Status string `json:"status"`
}

// Quota states.
const (
	QuotaUnlimited    = "unlimited"
	QuotaOK           = "ok"
	QuotaNearLimit    = "near_limit"
	QuotaLimitReached = "limit_reached"
)

// QuotaOf is the account's quota state after runs runs this month.
func QuotaOf(acct config.Account, runs int) Quota {
	q := Quota{RunsThisMonth: runs, WarnAtPct: config.DefaultWarnAtPct, Status: QuotaUnlimited}
	if acct.Quota == nil {
		return q
	}
	q.WarnAtPct = acct.Quota.WarnAt()
	if acct.Quota.MonthlyLimit == nil {
		return q
	}
	limit := *acct.Quota.MonthlyLimit
	q.MonthlyLimit = &limit
	// Integer arithmetic so that 95 of 100 at 5 % warns exactly, with no float rounding at the edge.
	switch {
	case runs >= limit:
		q.Status = QuotaLimitReached
	case (limit-runs)*100 <= limit*q.WarnAtPct:
		q.Status = QuotaNearLimit
	default:
		q.Status = QuotaOK
	}
	return q
}

// Warning is the quota's one-line warning about account key, "" when there is nothing to say.
func (q Quota) Warning(key string) string {
	switch q.Status {
	case QuotaNearLimit:
		return fmt.Sprintf("%s: %d of %d monthly runs used (within %d%% of quota.monthly_limit)", key, q.RunsThisMonth, *q.MonthlyLimit, q.WarnAtPct)
	case QuotaLimitReached:
		return fmt.Sprintf("%s: %d of %d monthly runs used (quota.monthly_limit reached)", key, q.RunsThisMonth, *q.MonthlyLimit)
	}
	return ""
}
