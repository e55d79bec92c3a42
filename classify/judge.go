package classify

import (
	"sort"
	"time"
)

// Evidence is what a supervised child left behind: how it ended and the hits of its streams' taps.
type Evidence struct {
	ExitCode int   // the exit status; for a signal death the caller's convention (e.g. 128+N)
	Signal   int   // the signal that killed the child, 0 when it exited
	Hits     []Hit // hits of every stream, in any order
}

// precedence orders classes when several rules hit: the verdict that says most about the account wins.
// dead > quota_exhausted > rate_limited > provider_degraded > degraded > child_failure > success.
func precedence(c Class) int {
	switch c {
	case Dead:
		return 6
	case QuotaExhausted:
		return 5
	case RateLimited:
		return 4
	case ProviderDegraded:
		return 3
	case Degraded:
		return 2
	case ChildFailure:
		return 1
	}
	return 0
}

func isRouteClass(c Class) bool { return precedence(c) >= 2 }

type lineKey struct {
	stream Stream
	line   int
}

// Judge turns evidence into a verdict (SPEC §2.1):
//
//   - A hit counts only when its rule has no exit_codes or lists ev.ExitCode. A rule with exit_codes
//     and no pattern matches on the exit code alone (gh exits 4 when it needs a login).
//   - A success or failure hit on a line suppresses the route classes on the same line (the CLI
//     retrying by itself, the user's own error quoting a status).
//   - Among route hits the strongest class wins (dead > quota_exhausted > rate_limited >
//     provider_degraded > degraded), then the lower rule index (config rules come before built-ins),
//     then the earlier hit. The reset time is the first of that class's hits whose capture parses.
//   - Without a route hit: a failure hit gives child_failure; otherwise exit 0 without a signal is
//     success and anything else (a non-zero status, a signal death) is child_failure. A success hit
//     never turns a failed exit into success: it only says its line is not a failure.
func Judge(ev Evidence, m *Matcher, now time.Time, loc *time.Location) Verdict {
	type cand struct {
		h     Hit
		order int
	}
	neutral := map[lineKey]bool{}
	var cands []cand
	for i, h := range ev.Hits {
		if h.Rule < 0 || h.Rule >= len(m.rules) {
			continue
		}
		r := &m.rules[h.Rule]
		if !exitMatches(r.ExitCodes, ev.ExitCode) {
			continue
		}
		h.Class = r.Class
		h.Name = r.Name
		if c := r.Class.Class; c == Success || c == ChildFailure {
			neutral[lineKey{h.Stream, h.LineNo}] = true
		}
		cands = append(cands, cand{h, i})
	}
	for i, r := range m.rules {
		if r.Pattern == "" && exitMatches(r.ExitCodes, ev.ExitCode) {
			cands = append(cands, cand{Hit{Rule: i, Name: r.Name, Class: r.Class, LineNo: -1}, len(ev.Hits) + i})
		}
	}
	kept := cands[:0]
	for _, c := range cands {
		if isRouteClass(c.h.Class.Class) && c.h.LineNo > 0 && neutral[lineKey{c.h.Stream, c.h.LineNo}] {
			continue
		}
		kept = append(kept, c)
	}
	sort.SliceStable(kept, func(i, j int) bool {
		a, b := kept[i], kept[j]
		if pa, pb := precedence(a.h.Class.Class), precedence(b.h.Class.Class); pa != pb {
			return pa > pb
		}
		if a.h.Rule != b.h.Rule {
			return a.h.Rule < b.h.Rule
		}
		return a.order < b.order
	})
	if len(kept) > 0 && precedence(kept[0].h.Class.Class) >= precedence(ChildFailure) {
		best := kept[0].h
		v := Verdict{Class: best.Class.Class, Reason: best.Class.Reason, Rule: best.Name, Source: SourceChildOutput}
		if v.Class == ChildFailure {
			v.Reason = ""
			return v
		}
		for _, c := range kept {
			if c.h.Class.Class != best.Class.Class || c.h.Reset == "" {
				continue
			}
			if at, ok := ParseReset(c.h.Reset, now, loc); ok {
				at = at.UTC()
				v.ResetAt = &at
				if d := at.Sub(now); d > 0 && (v.Class == RateLimited || v.Class == QuotaExhausted) {
					v.RetryAfterS = int((d + time.Second - 1) / time.Second)
				}
				break
			}
		}
		return v
	}
	if ev.ExitCode == 0 && ev.Signal == 0 {
		return Verdict{Class: Success, Source: SourceChildOutput}
	}
	return Verdict{Class: ChildFailure, Source: SourceChildOutput}
}

func exitMatches(codes []int, code int) bool {
	if len(codes) == 0 {
		return true
	}
	for _, c := range codes {
		if c == code {
			return true
		}
	}
	return false
}
