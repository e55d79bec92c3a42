package routes

import (
	"cmp"
	"slices"
	"time"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/state"
)

// Scoring turns a strategy's numbers into the store's.
func Scoring(s config.Strategy) state.Scoring {
	return state.Scoring{DecayPerHour: s.Decay(), RateLimitPenalty: s.RateLimitPenaltyOr(),
		FailurePenalty: s.FailurePenaltyOr(), SuccessBonus: s.SuccessBonusOr()}
}

// Candidate is a route with its recorded health at one instant.
type Candidate struct {
	Route
	Status state.Status
	// Skip is why the attempt loop passes the route over: the status's skip reason, or "metered"
	// for the spend guard; "" when it may be tried.
	Skip  string
	Score int
}

// SkipMetered is the skip reason of the spend guard (SPEC §5.4).
const SkipMetered = "metered"

// Evaluate orders the plan's routes (SPEC §6.3) and marks the ones recorded health or the spend guard
// skip (§6.2.1). cursor is the profile's round-robin cursor. It does not change the store.
func Evaluate(p *Plan, h *state.Health, cursor int, now time.Time) []Candidate {
	sc := Scoring(p.Strategy)
	cands := make([]Candidate, len(p.Routes))
	for i, r := range p.Routes {
		c := Candidate{Route: r, Status: h.Status(r.AccountKey(), r.Key(), now), Score: h.Score(r.Key(), now, sc)}
		c.Skip = c.Status.SkipReason
		if c.Skip == "" && p.SpendRefused(r.Acct.Metered()) {
			c.Skip = SkipMetered
		}
		cands[i] = c
	}
	byPriority := func(a, b Candidate) int {
		return cmp.Or(cmp.Compare(b.Acct.Priority, a.Acct.Priority), cmp.Compare(a.Order, b.Order))
	}
	switch p.Strategy.Kind {
	case config.HealthWeighted:
		slices.SortStableFunc(cands, func(a, b Candidate) int {
			return cmp.Or(cmp.Compare(b.Score, a.Score), byPriority(a, b))
		})
	case config.RoundRobin:
		slices.SortStableFunc(cands, func(a, b Candidate) int { return cmp.Compare(a.Order, b.Order) })
		cands = rotateUsable(cands, cursor)
	default:
		slices.SortStableFunc(cands, byPriority)
	}
	if p.Profile != "" {
		if aff := h.Affinity(p.Profile, p.AffinityTTL, now); aff != "" {
			if i := slices.IndexFunc(cands, func(c Candidate) bool { return c.Key() == aff && c.Skip == "" }); i > 0 {
				first := cands[i]
				copy(cands[1:i+1], cands[:i])
				cands[0] = first
			}
		}
	}
	return cands
}

// rotateUsable starts the listing at the cursor's usable route and keeps skipped routes last, so
// consecutive runs spread over the healthy accounts.
func rotateUsable(cands []Candidate, cursor int) []Candidate {
	var usable, skipped []Candidate
	for _, c := range cands {
		if c.Skip == "" {
			usable = append(usable, c)
		} else {
			skipped = append(skipped, c)
		}
	}
	if n := len(usable); n > 0 {
		k := ((cursor % n) + n) % n
		usable = append(usable[k:], usable[:k]...)
	}
	return append(usable, skipped...)
}
