package classify

import (
	"testing"
	"time"
)

func TestParseReset(t *testing.T) {
	// Thursday 2026-09-17 14:30 UTC.
	now := time.Date(2026, 9, 17, 14, 30, 0, 0, time.UTC)
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	ny, _ := time.LoadLocation("America/New_York")
	cases := []struct {
		in   string
		loc  *time.Location
		want string // RFC 3339, "" = unparseable
	}{
		{"|1755615600", time.UTC, "2025-08-19T15:00:00Z"},
		{"1755615600", time.UTC, "2025-08-19T15:00:00Z"},
		{"Claude AI usage limit reached|1755615600", time.UTC, "2025-08-19T15:00:00Z"},
		{"1755615600000", time.UTC, "2025-08-19T15:00:00Z"},
		{"3:05 PM", time.UTC, "2026-09-17T15:05:00Z"},
		{"3:05 PM.", time.UTC, "2026-09-17T15:05:00Z"},
		{"2:05 pm", time.UTC, "2026-09-18T14:05:00Z"}, // passed today: tomorrow
		{"2:30 pm", time.UTC, "2026-09-18T14:30:00Z"}, // exactly now is not "next"
		{"12:50am", time.UTC, "2026-09-18T00:50:00Z"},
		{"12pm", time.UTC, "2026-09-18T12:00:00Z"},
		{"15:45", time.UTC, "2026-09-17T15:45:00Z"},
		{"resets 5am", time.UTC, "2026-09-18T05:00:00Z"},
		{"resets 5am", ny, "2026-09-18T09:00:00Z"},
		{"Sep 19th, 2026 10:09 AM", time.UTC, "2026-09-19T10:09:00Z"},
		{"Sep 19th, 2026 10:09 AM", ny, "2026-09-19T14:09:00Z"},
		{"try again at Sep 19th, 2026 10:09 AM.", time.UTC, "2026-09-19T10:09:00Z"},
		{"try again at 3:05 PM", time.UTC, "2026-09-17T15:05:00Z"},
		{"resets Oct 31, 9am", time.UTC, "2026-10-31T09:00:00Z"},
		{"resets Sep 1, 9am", time.UTC, "2027-09-01T09:00:00Z"}, // next occurrence
		{"resets Sep 15 at 7pm", time.UTC, "2027-09-15T19:00:00Z"},
		{"Jul 27 at 4:30am (Asia/Calcutta)", time.UTC, "2027-07-26T23:00:00Z"},
		{"resets 3:50pm (Asia/Tokyo)", ny, "2026-09-18T06:50:00Z"}, // 23:30 JST now → tomorrow 15:50 JST
		{"resets 3:50pm", tokyo, "2026-09-18T06:50:00Z"},
		{"5pm (Europe/Warsaw)", time.UTC, "2026-09-17T15:00:00Z"},
		{"Your limit will reset at 5pm (Europe/Warsaw).", time.UTC, "2026-09-17T15:00:00Z"},
		{"Jun 7, 4pm (Europe/Rome)", time.UTC, "2027-06-07T14:00:00Z"},
		{"Feb 29, 9am", time.UTC, "2028-02-29T09:00:00Z"},
		{"in 4 days 6 hours 37 minutes", time.UTC, "2026-09-21T21:07:00Z"},
		{"try again in 5 days 22 hours 11 minutes.", time.UTC, "2026-09-23T12:41:00Z"},
		{"in 2 hours", time.UTC, "2026-09-17T16:30:00Z"},
		{"in 5m", time.UTC, "2026-09-17T14:35:00Z"},
		{"in 1h 30m", time.UTC, "2026-09-17T16:00:00Z"},
		{"in 4hr 29min", time.UTC, "2026-09-17T18:59:00Z"},
		{"in 90 seconds", time.UTC, "2026-09-17T14:31:30Z"},
		{"2026-09-19T10:09:00Z", time.UTC, "2026-09-19T10:09:00Z"},
		{"Oct 31", time.UTC, "2026-10-31T00:00:00Z"},
		// Unparseable.
		{"", time.UTC, ""},
		{"soon", time.UTC, ""},
		{"5", time.UTC, ""},
		{"13pm", time.UTC, ""},
		{"25:00", time.UTC, ""},
		{"9:75 am", time.UTC, ""},
		{"Feb 30, 9am", time.UTC, ""},
		{"Feb 29, 2027 9am", time.UTC, ""},
		{"3pm (Mars/Olympus_Mons)", time.UTC, ""},
		{"at 10 de jul", time.UTC, ""},
		{"in a moment", time.UTC, ""},
		{"123456789", time.UTC, ""},
	}
	for _, c := range cases {
		got, ok := ParseReset(c.in, now, c.loc)
		if c.want == "" {
			if ok {
				t.Errorf("ParseReset(%q) = %v, want unparseable", c.in, got)
			}
			continue
		}
		want, _ := time.Parse(time.RFC3339, c.want)
		if !ok || !got.Equal(want) {
			t.Errorf("ParseReset(%q, %s) = %v, %v; want %v", c.in, c.loc, got.UTC(), ok, want)
		}
	}
}

// A time across a DST change is the wall-clock time of that day, not now + 24h.
func TestParseResetDST(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	now := time.Date(2026, 11, 1, 1, 30, 0, 0, ny) // the first 1:30 EDT of the fall-back night
	got, ok := ParseReset("1:00 am", now, ny)
	want := time.Date(2026, 11, 2, 1, 0, 0, 0, ny)
	if !ok || !got.Equal(want) {
		t.Fatalf("got %v %v, want %v", got, ok, want)
	}
}

func FuzzParseReset(f *testing.F) {
	for _, s := range []string{"|1755615600", "3:05 PM", "Sep 19th, 2026 10:09 AM", "resets 5am",
		"resets Oct 31, 9am", "resets 3:50pm (Asia/Tokyo)", "in 4 days 6 hours 37 minutes", "in 5m",
		"try again at Jul 5th, 2026 8:19 PM.", "12:50am (America/Los_Angeles)"} {
		f.Add(s)
	}
	now := time.Date(2026, 9, 17, 14, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ParseReset(s, now, time.UTC)
		if !ok {
			return
		}
		// A relative reset never lies before now; absolute ones with a year may.
		if got.IsZero() {
			t.Fatalf("ParseReset(%q) ok with a zero time", s)
		}
		again, ok2 := ParseReset(s, now, time.UTC)
		if !ok2 || !again.Equal(got) {
			t.Fatalf("ParseReset(%q) not deterministic", s)
		}
	})
}
