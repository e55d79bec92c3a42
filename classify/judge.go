package classify

import (
	"sort"
	"time"
)

// Evidence is what a supervised child left behind: how it ended, the hits of its streams' taps and
// what their structured results said.
type Evidence struct {
	ExitCode int   // the exit status; for a signal death the caller's convention (e.g. 128+N)
	Signal   int   // the signal that killed the child, 0 when it exited
	Hits     []Hit // free-text hits of every stream, in any order, with Tail set (Tap.Hits)
	// Structured holds what the streams' structured results said (Tap.Structured).
	Structured []Hit
	// Live is the framed terminal hit an interactive child showed while it ran (Tap.Live), and
	// Stopped says the supervisor stopped the child for it (--on-limit restart).
	Live    *Hit
	Stopped bool
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

// Judge turns evidence into a verdict with the evidence rules of SPEC §5.5, in this order:
//
//  1. Structured results decide. A route failure a structured result reports (a Claude result with
//     is_error true and a known error, a rejected rate_limit_event, a failed Codex turn) wins, at any
//     exit status; so does the framed limit an interactive child was stopped for (ev.Stopped).
//  2. A structured success at exit 0 is success.
//  3. Exit 0 is final for free text: a child that exited 0 by itself is success, unless a rule
//     marked at_exit_0 matched in the last FinalLines lines of a stream.
//  4. At a non-zero exit (or a signal death) only hits in the final lines count (Hit.Tail). A rule
//     with exit_codes counts only when it lists the status; one without a pattern matches on the
//     status alone (gh exits 4 when it needs a login). A success or failure hit on a line suppresses
//     the route classes on the same line (the CLI retrying by itself, the user's own error quoting a
//     status). Among route hits the strongest class wins (dead > quota_exhausted > rate_limited >
//     provider_degraded > degraded), then the lower rule index (config rules come before built-ins),
//     then the earlier hit. Without one, the run is the user's own failure (child_failure).
//
// The reset time is the first of the winning class's hits whose reset text parses.
func Judge(ev Evidence, m *Matcher, now time.Time, loc *time.Location) Verdict {
	exit0 := ev.ExitCode == 0 && ev.Signal == 0
	var first []Hit
	structuredFail, structuredOK := "", ""
	for _, h := range ev.Structured {
		h = m.resolve(h)
		switch c := h.Class.Class; {
		case isRouteClass(c):
			first = append(first, h)
		case c == ChildFailure:
			structuredFail = h.Name
		case c == Success:
			structuredOK = h.Name
		}
	}
	if ev.Stopped && ev.Live != nil {
		first = append(first, m.liveLine(ev)...)
	}
	if best, ok := m.strongest(first, ev.ExitCode); ok {
		// The reset may be on another line of the notice ("Access resets at 3:45 PM PST.").
		all := first
		for _, h := range ev.Hits {
			if h.Tail && h.Rule >= 0 && h.Rule < len(m.rules) {
				all = append(all, h)
			}
		}
		return m.verdictOf(best, all, now, loc)
	}
	if exit0 && structuredOK != "" {
		return Verdict{Class: Success, Rule: structuredOK, Source: SourceChildOutput}
	}
	var text []Hit
	for _, h := range ev.Hits {
		if h.Rule < 0 || h.Rule >= len(m.rules) || !h.Tail {
			continue
		}
		if exit0 && (!m.rules[h.Rule].AtExit0 || !h.Final) {
			continue
		}
		text = append(text, h)
	}
	if !exit0 {
		for i, r := range m.rules {
			if r.Pattern == "" && exitMatches(r.ExitCodes, ev.ExitCode) {
				text = append(text, Hit{Rule: i, Name: r.Name, Class: r.Class, LineNo: -1, Tail: true})
			}
		}
	}
	best, ok := m.strongest(text, ev.ExitCode)
	switch {
	case ok && isRouteClass(best.Class.Class):
		return m.verdictOf(best, text, now, loc)
	case exit0:
		return Verdict{Class: Success, Source: SourceChildOutput}
	case ok && best.Class.Class == ChildFailure:
		return Verdict{Class: ChildFailure, Rule: best.Name, Source: SourceChildOutput}
	case structuredFail != "":
		return Verdict{Class: ChildFailure, Rule: structuredFail, Source: SourceChildOutput}
	}
	return Verdict{Class: ChildFailure, Source: SourceChildOutput}
}

// LiveVerdict is the verdict of the framed terminal limit an interactive child showed while it ran
// (ev.Live), for --on-limit ignore: the verdict is recorded while the child's own exit decides the run.
func LiveVerdict(ev Evidence, m *Matcher, now time.Time, loc *time.Location) (Verdict, bool) {
	if ev.Live == nil {
		return Verdict{}, false
	}
	hits := m.liveLine(ev)
	best, _ := m.strongest(hits, ev.ExitCode)
	return m.verdictOf(best, hits, now, loc), true
}

// liveLine is the live hit and the route hits on its line: the notice it was stopped for, as a
// whole (a framed "Your access token could not be refreshed because your refresh token was
// revoked" is a revoked token).
func (m *Matcher) liveLine(ev Evidence) []Hit {
	l := m.resolve(*ev.Live)
	hits := []Hit{l}
	for _, h := range ev.Hits {
		if h.Stream == l.Stream && h.LineNo == l.LineNo && h.Rule != l.Rule && isRouteClass(m.resolve(h).Class.Class) {
			hits = append(hits, h)
		}
	}
	return hits
}

// resolve takes a hit's class and name from its rule (a hit that names a rule of m); a hit of a
// structured judge (Rule -1) carries its own.
func (m *Matcher) resolve(h Hit) Hit {
	if h.Rule >= 0 && h.Rule < len(m.rules) {
		r := &m.rules[h.Rule]
		h.Class, h.Name = r.Class, r.Name
	}
	return h
}

// strongest ranks hits as Judge does: hits of rules whose exit_codes do not list exit are left out,
// a success or failure hit suppresses the route classes on its line, then class precedence, the
// lower rule index and the earlier hit decide. ok is false when no hit is left.
func (m *Matcher) strongest(hits []Hit, exit int) (Hit, bool) {
	type cand struct {
		h     Hit
		order int
	}
	neutral := map[lineKey]bool{}
	var cands []cand
	for i, h := range hits {
		if h.Rule >= 0 && h.Rule < len(m.rules) && !exitMatches(m.rules[h.Rule].ExitCodes, exit) {
			continue
		}
		h = m.resolve(h)
		if c := h.Class.Class; (c == Success || c == ChildFailure) && !h.Structured {
			neutral[lineKey{h.Stream, h.LineNo}] = true
		}
		cands = append(cands, cand{h, i})
	}
	kept := cands[:0]
	for _, c := range cands {
		if isRouteClass(c.h.Class.Class) && c.h.LineNo > 0 && !c.h.Structured && neutral[lineKey{c.h.Stream, c.h.LineNo}] {
			continue
		}
		kept = append(kept, c)
	}
	if len(kept) == 0 {
		return Hit{}, false
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
	return kept[0].h, true
}

// verdictOf makes the verdict of the winning hit best, taking the reset from the first hit of its
// class among all whose reset text parses.
func (m *Matcher) verdictOf(best Hit, all []Hit, now time.Time, loc *time.Location) Verdict {
	v := Verdict{Class: best.Class.Class, Reason: best.Class.Reason, Rule: best.Name, Source: SourceChildOutput}
	if v.Class == ChildFailure || v.Class == Success {
		v.Reason = ""
		return v
	}
	for _, h := range append([]Hit{best}, all...) {
		h = m.resolve(h)
		if h.Class.Class != best.Class.Class || h.Reset == "" && h.More == "" {
			continue
		}
		if at, ok := m.parseHitReset(h, now, loc); ok {
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

// parseHitReset reads a hit's reset; when it does not parse on its own line, the line and the next
// one (a notice the terminal wrapped) are matched again as one.
func (m *Matcher) parseHitReset(h Hit, now time.Time, loc *time.Location) (time.Time, bool) {
	if at, ok := ParseReset(h.Reset, now, loc); ok {
		return at, true
	}
	if h.More == "" || h.Rule < 0 || h.Rule >= len(m.rules) || m.resetIdx[h.Rule] < 0 {
		return time.Time{}, false
	}
	joined := h.Line + " " + h.More
	ci := m.resetIdx[h.Rule]
	sub := m.res[h.Rule]().FindStringSubmatchIndex(joined)
	if sub == nil || sub[2*ci] < 0 {
		return time.Time{}, false
	}
	return ParseReset(joined[sub[2*ci]:sub[2*ci+1]], now, loc)
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
