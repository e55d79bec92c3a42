package policy

import (
	"testing"

	"github.com/oauth-mux/oauth-mux/config"
)

func intp(n int) *int { return &n }

func TestQuotaOf(t *testing.T) {
	cases := []struct {
		limit, warn *int
		runs        int
		want        string
	}{
		{nil, nil, 500, QuotaUnlimited},
		{intp(100), nil, 94, QuotaOK},
		{intp(100), nil, 95, QuotaNearLimit}, // 5 left of 100 at the default 5 %: the edge warns
		{intp(100), nil, 99, QuotaNearLimit},
		{intp(100), nil, 100, QuotaLimitReached},
		{intp(100), nil, 130, QuotaLimitReached},
		{intp(2000), intp(10), 1799, QuotaOK},
		{intp(2000), intp(10), 1800, QuotaNearLimit},
		{intp(0), nil, 0, QuotaLimitReached},
		{intp(3), intp(0), 2, QuotaOK},
		{intp(3), intp(100), 0, QuotaNearLimit},
	}
	for _, c := range cases {
		acct := config.Account{Quota: &config.Quota{MonthlyLimit: c.limit, WarnAtPct: c.warn}}
		if c.limit == nil && c.warn == nil {
			acct.Quota = nil
		}
		q := QuotaOf(acct, c.runs)
		if q.Status != c.want {
			t.Errorf("limit=%v warn=%v runs=%d: status %q, want %q", c.limit, c.warn, c.runs, q.Status, c.want)
		}
		if (q.Warning("k") != "") != (c.want == QuotaNearLimit || c.want == QuotaLimitReached) {
			t.Errorf("limit=%v runs=%d: warning %q for status %q", c.limit, c.runs, q.Warning("k"), q.Status)
		}
	}
}
