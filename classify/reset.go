package classify

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	// Zone names in reset texts ("resets 3:50pm (Asia/Tokyo)") must resolve on machines without a
	// zoneinfo database (Windows, scratch containers).
	_ "time/tzdata"
)

// The reset expressions are compiled on first use: every oauth-mux command links this package, and
// most runs never parse a reset (compiling them at init cost ~1 ms of each start).
var resetRE = sync.OnceValue(func() *resetExprs {
	return &resetExprs{
		zone:     regexp.MustCompile(`\(\s*([A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*)\s*\)\s*$`),
		prefix:   regexp.MustCompile(`^(?:(?:your )?limits? will reset at|try again at|try again in|resets? at|resets? on|resets?|reset|at|on)\b[\s:]*`),
		relative: regexp.MustCompile(`^(?:in|wait|after)\s+((?:\d+\s*(?:days?|d|hours?|hrs?|hr|h|minutes?|mins?|min|m|seconds?|secs?|sec|s)\b[\s,]*(?:and\s+)?)+)$`),
		relPart:  regexp.MustCompile(`(\d+)\s*(days?|d|hours?|hrs?|hr|h|minutes?|mins?|min|m|seconds?|secs?|sec|s)\b`),
		absolute: regexp.MustCompile(`^(?:(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s*(\d{4}))?(?:\s*,\s*|\s+at\s+|\s+|$))?(?:(\d{1,2})(?::(\d{2}))?\s*([ap])\.?\s*m\.?)?$`),
		abbr:     regexp.MustCompile(`\s((?:[PMCE][SD]T)|UTC|GMT)([+-]\d{1,2}(?::\d{2})?)?\s*$`),
		clock24:  regexp.MustCompile(`^(?:(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s*(\d{4}))?(?:\s*,\s*|\s+at\s+|\s+))?(\d{1,2}):(\d{2})$`),
	}
})

type resetExprs struct{ zone, prefix, relative, relPart, absolute, abbr, clock24 *regexp.Regexp }

// abbrOffsets are the zone abbreviations Intl's en-US short names print ("3:45 PM PST", "GMT+2"),
// in hours east of UTC.
var abbrOffsets = map[string]int{"PST": -8, "PDT": -7, "MST": -7, "MDT": -6, "CST": -6, "CDT": -5,
	"EST": -5, "EDT": -4, "UTC": 0, "GMT": 0}

// zoneAbbr is the fixed zone of an abbreviation and an optional "+H[:MM]" offset after it.
func zoneAbbr(name, off string) (*time.Location, bool) {
	h, ok := abbrOffsets[name]
	if !ok {
		return nil, false
	}
	secs := h * 3600
	if off != "" {
		sign := 1
		if off[0] == '-' {
			sign = -1
		}
		hs, ms, _ := strings.Cut(off[1:], ":")
		oh, err := strconv.Atoi(hs)
		if err != nil || oh > 14 {
			return nil, false
		}
		om := 0
		if ms != "" {
			if om, err = strconv.Atoi(ms); err != nil || om > 59 {
				return nil, false
			}
		}
		secs += sign * (oh*3600 + om*60)
	}
	return time.FixedZone(name+off, secs), true
}

var months = map[string]time.Month{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7,
	"aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}

// ParseReset reads a reset time as the CLIs print it and returns it as an absolute instant:
//
//	1755615600, |1755615600, 1755615600000 (epoch seconds or milliseconds)
//	3:05 PM · 5am · 15:30                  (the next such time after now)
//	Sep 19th, 2026 10:09 AM · Oct 31, 9am · Sep 15 at 7pm (a date without a year: its next occurrence)
//	resets 3:50pm (Asia/Tokyo)             (a trailing IANA zone is honoured; otherwise loc)
//	in 4 days 6 hours 37 minutes · in 2 hours · in 5m · wait 2 minutes · after 5s
//	3:45 PM PST · 9am GMT+2                (US zone abbreviations and GMT/UTC offsets)
//	try again at …, try again in …, your limit will reset at …, 2026-09-19T10:09:00Z
//
// It reports false for anything else.
func ParseReset(s string, now time.Time, loc *time.Location) (time.Time, bool) {
	if loc == nil {
		loc = time.Local
	}
	// A reset captured inside a JSON string ends with the string, not with the line.
	if i := strings.IndexAny(s, "\"\\"); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '|'); i >= 0 {
		s = strings.TrimSpace(s[i+1:])
	}
	s = strings.TrimRight(s, ". ")
	if len(s) == 0 || len(s) > 200 {
		return time.Time{}, false
	}
	if t, ok := parseEpoch(s); ok {
		return t, true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	if m := resetRE().zone.FindStringSubmatchIndex(s); m != nil {
		z, err := time.LoadLocation(s[m[2]:m[3]])
		if err != nil {
			return time.Time{}, false
		}
		loc = z
		s = strings.TrimSpace(s[:m[0]])
	}
	if m := resetRE().abbr.FindStringSubmatchIndex(s); m != nil {
		off := ""
		if m[4] >= 0 {
			off = s[m[4]:m[5]]
		}
		if z, ok := zoneAbbr(s[m[2]:m[3]], off); ok {
			loc = z
			s = strings.TrimSpace(s[:m[0]])
		}
	}
	l := strings.ToLower(strings.Join(strings.Fields(s), " "))
	for {
		p := resetRE().prefix.FindStringIndex(l)
		if p == nil || p[1] == 0 {
			break
		}
		// "try again in …" keeps its "in": the relative form needs it.
		if strings.HasPrefix(l, "try again in") {
			l = l[len("try again "):]
			break
		}
		l = l[p[1]:]
	}
	if m := resetRE().relative.FindStringSubmatch(l); m != nil {
		var d time.Duration
		for _, p := range resetRE().relPart.FindAllStringSubmatch(m[1], -1) {
			n, err := strconv.Atoi(p[1])
			if err != nil || n > 10000 {
				return time.Time{}, false
			}
			switch unit := p[2]; {
			case strings.HasPrefix(unit, "d"):
				d += time.Duration(n) * 24 * time.Hour
			case strings.HasPrefix(unit, "h"):
				d += time.Duration(n) * time.Hour
			case strings.HasPrefix(unit, "m"):
				d += time.Duration(n) * time.Minute
			default:
				d += time.Duration(n) * time.Second
			}
		}
		return now.Add(d), true
	}
	var mon, day, year, hour, min, ampm string
	if m := resetRE().absolute.FindStringSubmatch(l); m != nil {
		mon, day, year, hour, min, ampm = m[1], m[2], m[3], m[4], m[5], m[6]
	} else if m := resetRE().clock24.FindStringSubmatch(l); m != nil {
		mon, day, year, hour, min = m[1], m[2], m[3], m[4], m[5]
	} else {
		return time.Time{}, false
	}
	if mon == "" && hour == "" {
		return time.Time{}, false
	}
	h, mi := 0, 0
	if hour != "" {
		h, _ = strconv.Atoi(hour)
		if min != "" {
			mi, _ = strconv.Atoi(min)
		}
		if mi > 59 {
			return time.Time{}, false
		}
		switch ampm {
		case "a", "p":
			if h < 1 || h > 12 {
				return time.Time{}, false
			}
			h %= 12
			if ampm == "p" {
				h += 12
			}
		default:
			if h > 23 {
				return time.Time{}, false
			}
		}
	}
	local := now.In(loc)
	if mon == "" {
		t := time.Date(local.Year(), local.Month(), local.Day(), h, mi, 0, 0, loc)
		if !t.After(now) {
			t = time.Date(local.Year(), local.Month(), local.Day()+1, h, mi, 0, 0, loc)
		}
		return t, true
	}
	d, _ := strconv.Atoi(day)
	month := months[mon]
	if d < 1 || d > daysIn(month, 2024) {
		return time.Time{}, false
	}
	if year != "" {
		y, _ := strconv.Atoi(year)
		if d > daysIn(month, y) {
			return time.Time{}, false
		}
		return time.Date(y, month, d, h, mi, 0, 0, loc), true
	}
	for y := local.Year(); y <= local.Year()+8; y++ {
		if d > daysIn(month, y) {
			continue
		}
		if t := time.Date(y, month, d, h, mi, 0, 0, loc); t.After(now) {
			return t, true
		}
	}
	return time.Time{}, false
}

func daysIn(m time.Month, y int) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func parseEpoch(s string) (time.Time, bool) {
	if len(s) != 10 && len(s) != 13 {
		return time.Time{}, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return time.Time{}, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	if len(s) == 13 {
		return time.UnixMilli(n).UTC(), true
	}
	return time.Unix(n, 0).UTC(), true
}
