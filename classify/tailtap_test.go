package classify

import (
	"fmt"
	"testing"
	"time"
)

func codexMatcher(t *testing.T) *Matcher {
	t.Helper()
	m, err := Compile(Pack("codex"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

const codexLimit = "■ You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing) or try again in 4 days 6 hours 37 minutes.\n"

func judgeTail(m *Matcher, d *TailTap, exit int, now time.Time) Verdict {
	d.Flush()
	return Judge(Evidence{ExitCode: exit, Hits: d.Hits(), Structured: d.Structured()}, m, now, time.UTC)
}

// TestTailTapJudgesTheTail: a notice among the last lines counts, one a megabyte before the end does
// not (SPEC §5.5(3)), exactly as the streaming tap judges them.
func TestTailTapJudgesTheTail(t *testing.T) {
	m := codexMatcher(t)
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	noise := logNoise(1 << 20)
	for _, tc := range []struct {
		name string
		out  []byte
		want Class
	}{
		{"notice at the end", append(append([]byte{}, noise...), codexLimit...), QuotaExhausted},
		{"notice long before the end", append([]byte(codexLimit), noise...), ChildFailure},
		{"short stream", []byte("working\n" + codexLimit), QuotaExhausted},
	} {
		d := m.TailTap(Stdout, nil, time.Time{})
		for p := tc.out; len(p) > 0; {
			n := min(len(p), 32<<10)
			d.Write(p[:n])
			p = p[n:]
		}
		if got := judgeTail(m, d, 1, now); got.Class != tc.want {
			t.Errorf("%s: tail tap %s, want %s", tc.name, got, tc.want)
		}
		tap := m.Tap(Stdout, nil)
		tap.Write(tc.out)
		tap.Flush()
		if got := Judge(Evidence{ExitCode: 1, Hits: tap.Hits()}, m, now, time.UTC); got.Class != tc.want {
			t.Errorf("%s: streaming tap %s, want %s", tc.name, got, tc.want)
		}
	}
}

// TestTailTapReadsEventStreamsWhole: a stream that is JSON events from its first line is judged as it
// streams, so a rejected rate_limit_event early in a long stream still decides.
func TestTailTapReadsEventStreamsWhole(t *testing.T) {
	m, err := Compile(Pack("claude"))
	if err != nil {
		t.Fatal(err)
	}
	d := m.TailTap(Stdout, nil, time.Time{})
	d.Write([]byte(`{"type":"rate_limit_event","rate_limit_info":{"status":"rejected","resetsAt":1778565600,"rateLimitType":"five_hour"}}` + "\n"))
	for i := 0; i < 5000; i++ {
		d.Write(fmt.Appendf(nil, `{"type":"assistant","message":{"role":"assistant","content":[{"type":"text","text":"step %d of a long answer"}]}}`+"\n", i))
	}
	if d.head == nil {
		t.Fatal("an event stream left the streaming judge")
	}
	got := judgeTail(m, d, 1, time.Date(2026, 5, 12, 3, 0, 0, 0, time.UTC))
	if got.Class != QuotaExhausted || got.ResetAt == nil {
		t.Fatalf("verdict %s, want quota_exhausted with its reset", got)
	}
}

// TestTailTapInputWindowCoversTheAttempt: judged at the end, a match counts as piped in when its text
// reached stdin at any time since the given start, however long the run took.
func TestTailTapInputWindowCoversTheAttempt(t *testing.T) {
	m := codexMatcher(t)
	start := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	clock := start
	ring := NewInputRing(func() time.Time { return clock })
	ring.Write([]byte(codexLimit))
	clock = start.Add(30 * time.Minute) // the child worked for half an hour before it echoed its input
	d := m.TailTap(Stdout, ring, start.Add(-InputWindow))
	d.Write([]byte("you said:\n" + codexLimit))
	if got := judgeTail(m, d, 1, clock); got.Class != ChildFailure {
		t.Fatalf("piped-in text judged as %s", got)
	}
	other := NewInputRing(func() time.Time { return clock })
	other.Write([]byte("fix the failing tests in ./cmd\n"))
	d = m.TailTap(Stdout, other, start.Add(-InputWindow))
	d.Write([]byte("you said:\n" + codexLimit))
	if got := judgeTail(m, d, 1, clock); got.Class != QuotaExhausted {
		t.Fatalf("a notice that was not input judged as %s", got)
	}
}
