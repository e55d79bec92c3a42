package classify

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

func claudeMatcher(t testing.TB) *Matcher {
	t.Helper()
	m, err := Compile(Pack("claude"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func judgeStream(m *Matcher, exit int, out string, chunk int) Verdict {
	tap := m.Tap(Stdout, nil)
	b := []byte(out)
	for len(b) > 0 {
		n := len(b)
		if chunk > 0 {
			n = min(chunk, n)
		}
		tap.Write(b[:n])
		b = b[n:]
	}
	tap.Flush()
	ev := Evidence{ExitCode: exit, Hits: tap.Hits(), Structured: tap.Structured()}
	return Judge(ev, m, time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC), time.UTC)
}

func TestStructuredClaude(t *testing.T) {
	m := claudeMatcher(t)
	long := strings.Repeat("The limiter now prints 5-hour limit reached ∙ resets 5am. ", 3000) // past MaxLine
	cases := []struct {
		name, out string
		exit      int
		want      string
	}{
		{"answer quoting a notice, failed exit", `{"type":"result","subtype":"success","is_error":false,"result":"5-hour limit reached ∙ resets 5am","session_id":"s"}` + "\n", 1, "child_failure"},
		{"answer quoting a notice, exit 0", `{"type":"result","subtype":"success","is_error":false,"result":"You've hit your limit · resets 2pm"}`, 0, "success"},
		{"error result at exit 0", `{"type":"result","subtype":"success","is_error":true,"result":"API Error: Rate limit reached"}`, 0, "rate_limited"},
		{"error result, status only", `{"type":"result","subtype":"success","is_error":true,"result":"something new","api_error_status":529}`, 1, "provider_degraded"},
		{"error result nobody knows", `{"type":"result","subtype":"error_max_turns","is_error":true,"result":""}`, 1, "child_failure"},
		{"a result line cut at MaxLine still decides", `{"type":"result","subtype":"success","is_error":false,"result":"` + long + `"}`, 0, "success"},
		{"a cut error line keeps its leading fields", `{"type":"result","subtype":"success","is_error":true,"api_error_status":429,"result":"` + long + `"}`, 1, "rate_limited"},
		{"rejected window", `{"type":"rate_limit_event","rate_limit_info":{"status":"rejected","resetsAt":1782907200,"rateLimitType":"five_hour"}}` + "\n" +
			`{"type":"result","subtype":"success","is_error":true,"result":"You've hit your limit · resets 2pm"}`, 1, "quota_exhausted"},
		{"allowed warning is a heartbeat", `{"type":"rate_limit_event","rate_limit_info":{"status":"allowed_warning","resetsAt":1782907200}}` + "\n" +
			`{"type":"result","subtype":"success","is_error":false,"result":"done"}`, 0, "success"},
		{"model answer in an assistant event is no evidence", `{"type":"assistant","message":{"model":"claude-opus-4-1","content":[{"type":"text","text":"OAuth token revoked · Please run /login"}]}}` + "\n" +
			`{"type":"result","subtype":"error_during_execution","is_error":true,"result":""}`, 1, "child_failure"},
		{"synthetic assistant error", `{"type":"assistant","message":{"model":"<synthetic>","content":[{"type":"text","text":"odd new words"}]},"error":"authentication_failed"}`, 1, "dead(auth_permanently_failed)"},
		{"verbose array ending in an answer", `[{"type":"system","subtype":"init"},{"type":"assistant","message":{"model":"m","content":[{"type":"text","text":"5-hour limit reached ∙ resets 5am"}]}},{"type":"result","subtype":"success","is_error":false,"result":"5-hour limit reached ∙ resets 5am"}]`, 1, "child_failure"},
		{"verbose array ending in an error", `[{"type":"system","subtype":"init"},{"type":"result","subtype":"success","is_error":true,"result":"You've hit your session limit · resets 5pm"}]`, 1, "quota_exhausted"},
		{"free text after the events still counts", `{"type":"system","subtype":"init"}` + "\n" + `OAuth token revoked · Please run /login` + "\n", 1, "dead(token_revoked)"},
		{"a 403 is the route's", `{"type":"result","subtype":"success","is_error":true,"result":"permission_error: not for your organization","api_error_status":403}`, 1, "degraded(tier_insufficient)"},
		{"a rejected window the run got past", `{"type":"rate_limit_event","rate_limit_info":{"status":"rejected","resetsAt":1782907200}}` + "\n" +
			`{"type":"result","subtype":"success","is_error":false,"result":"done on the overage"}`, 0, "success"},
		{"a verbose array past MaxLine is decided by its last element", `[{"type":"system","subtype":"init"},{"type":"assistant","message":{"model":"m","content":[{"type":"text","text":"` + long + `"}]}},{"type":"result","subtype":"success","is_error":true,"result":"You've hit your session limit · resets 3pm (UTC)"}]` + "\n", 1, "quota_exhausted"},
		// Prose first, then a JSON line an answer shows: the stream is text, and exit 0 is final.
		{"an answer showing an event", "The failing turn printed:\n" + `{"type":"turn.failed","error":{"message":"You've hit your usage limit. Try again in 3 hours."}}` + "\n", 0, "success"},
		{"an answer showing a result", "Here is the JSON:\n" + `{"type":"result","is_error":true,"result":"Claude AI usage limit reached|1755615600"}` + "\n", 0, "success"},
	}
	for _, c := range cases {
		for _, chunk := range []int{0, 1, 4096} {
			if got := judgeStream(m, c.exit, c.out, chunk).String(); got != c.want {
				t.Errorf("%s (chunks of %d): %s, want %s", c.name, chunk, got, c.want)
			}
		}
	}
}

func TestStructuredReset(t *testing.T) {
	m := claudeMatcher(t)
	v := judgeStream(m, 1, `{"type":"rate_limit_event","rate_limit_info":{"status":"rejected","resetsAt":1782907200}}`, 0)
	if v.Class != QuotaExhausted || v.ResetAt == nil || v.ResetAt.Unix() != 1782907200 {
		t.Fatalf("%+v", v)
	}
	// A reset inside a JSON string ends with the string.
	v = judgeStream(m, 1, `{"type":"result","subtype":"success","is_error":true,"result":"5-hour limit reached ∙ resets 5am","session_id":"s"}`, 0)
	if v.ResetAt == nil || v.ResetAt.Format(time.RFC3339) != "2026-07-02T05:00:00Z" {
		t.Fatalf("reset %v", v.ResetAt)
	}
	// The same text on a line that is not an event: the capture stops at the string's end too.
	v = judgeStream(m, 1, `Error: {"message":"5-hour limit reached ∙ resets 5am","code":429}`, 0)
	if v.ResetAt == nil || v.ResetAt.Format(time.RFC3339) != "2026-07-02T05:00:00Z" {
		t.Fatalf("reset in a JSON string on a text line %v (%s)", v.ResetAt, v)
	}
}

// A stream that is not JSON never turns on the event judge, and the judge stops looking after a few
// lines: its cost on ordinary output is one check per line of the first ones.
func TestStructuredOffForText(t *testing.T) {
	m := claudeMatcher(t)
	tap := m.Tap(Stdout, nil)
	tap.Write(bytes.Repeat([]byte("ordinary output line\n"), eventProbeLines+1))
	tap.Write([]byte(`{"type":"result","subtype":"success","is_error":true,"result":"API Error: Rate limit reached"}` + "\n"))
	tap.Flush()
	if s := tap.Structured(); s != nil || tap.evMode != evOff {
		t.Fatalf("event judge on a text stream: %+v mode %d", s, tap.evMode)
	}
}

func FuzzStructured(f *testing.F) {
	f.Add([]byte(`{"type":"result","subtype":"success","is_error":true,"result":"API Error: Rate limit reached"}`))
	f.Add([]byte(`[{"type":"system"},{"type":"result","is_error":false,"result":"x"}]`))
	f.Add([]byte(`{"type":"rate_limit_event","rate_limit_info":{"status":"rejected","resetsAt":99999999999}}`))
	f.Add([]byte(`{"type":"turn.failed","error":{"message":"You've hit your usage limit. Try again at 3:05 PM."}}`))
	f.Add([]byte(`{"type":"error","message":"Reconnecting... 1/5"}` + "\n" + `{"type":"turn.completed"}`))
	f.Add([]byte(`{"type":"assistant","message":{"model":"<synthetic>","content":[{"type":"text"}]},"error":"rate_limit"}`))
	var rules []OutputRule
	for _, p := range PackNames() {
		rules = append(rules, Pack(p)...)
	}
	m, err := Compile(rules)
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		whole := JudgeEvents(bytes.NewReader(data), m, now, time.UTC)
		slow := JudgeEvents(&byteReader{data}, m, now, time.UTC)
		if whole.Verdict.String() != slow.Verdict.String() || whole.Events != slow.Events {
			t.Fatalf("chunking changes the verdict: %s/%d vs %s/%d", whole.Verdict, whole.Events, slow.Verdict, slow.Events)
		}
		if whole.Verdict.Class != "" && !whole.Recognized {
			t.Fatalf("a verdict from no event: %+v", whole)
		}
		tap := m.Tap(Stdout, nil)
		tap.Write(data)
		tap.Flush()
		v := Judge(Evidence{ExitCode: 0, Hits: tap.Hits(), Structured: tap.Structured()}, m, now, time.UTC)
		if v.Class == "" {
			t.Fatal("no verdict")
		}
	})
}

type byteReader struct{ b []byte }

func (r *byteReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, errEOF
	}
	p[0] = r.b[0]
	r.b = r.b[1:]
	return 1, nil
}

var errEOF = io.EOF
