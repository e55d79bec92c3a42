package providers

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
)

// The event stream of `codex exec --json` (openai/codex codex-rs/exec/src/exec_events.rs): one JSON
// object per line with a "type" — thread.started, turn.started, item.started/updated/completed,
// turn.completed {usage}, turn.failed {error:{message}}, and error {message}. What the stream says
// matters more than the exit status: the CLI has exited 0 after a failed turn, and the usage-limit
// text travels only inside an event. Recorded streams with their sources sit in
// providers/testdata/probe/codex/.
//
// Choices:
//   - An "error" event whose message starts "Reconnecting..." is the CLI retrying by itself
//     (openai/codex#32984): it is not terminal and judges nothing.
//   - An "item.completed" of item type "error" is a non-fatal notice (exec_events.rs ErrorItem).
//   - Messages (with the structured error and codex_error_info beside them) are judged by the codex
//     output pack, the rules exec applies to a live child: the words the TUI prints, the backend's
//     usage_limit_reached / usage_limit_exceeded codes, the Responses API's 401.
//   - Among the verdicts a stream yields, the strongest route failure wins; without one, a
//     turn.completed is success, and a failed turn with a message nobody recognises is the user's
//     failure (child_failure), which a probe then judges by its exit status.

// Rule names of the Codex JSONL judge.
const (
	RuleCodexTurnCompleted = "codex-jsonl-turn-completed"
	RuleCodexTurnFailed    = "codex-jsonl-turn-failed"
)

// MaxCodexLine is the longest event line the judge reads; a longer one (a huge command output in
// an item) is skipped, not buffered.
const MaxCodexLine = 1 << 20

// CodexStream is what a codex exec --json stream said.
type CodexStream struct {
	// Recognized is true when at least one line was a codex event (thread.*, turn.*, item.*, error).
	Recognized bool
	Events     int
	Completed  bool // a turn.completed was seen
	Failed     bool // a turn.failed or a terminal error event was seen
	// Verdict is the stream's judgement; its Class is "" when the stream ended undecided (no
	// terminal event: the CLI was cut off).
	Verdict classify.Verdict
}

type codexEvent struct {
	Type    string          `json:"type"`
	Message string          `json:"message"`
	Error   json.RawMessage `json:"error"`
	Item    *struct {
		Type string `json:"type"`
	} `json:"item"`
	CodexErrorInfo json.RawMessage `json:"codex_error_info"`
}

var codexPack = sync.OnceValue(func() *classify.Matcher {
	m, err := classify.Compile(classify.Pack("codex"))
	if err != nil {
		panic("providers: codex output pack: " + err.Error())
	}
	return m
})

var codexReconnecting = regexp.MustCompile(`^\s*Reconnecting\.\.\.`)

// JudgeCodexJSONL judges a `codex exec --json` stream (SPEC §5.1): turn.completed is success;
// error and turn.failed events are judged by their message — usage_limit_exceeded and "You've hit
// your usage limit … try again at …" are quota_exhausted with the reset time (classify.ParseReset,
// in loc for times without a zone), revoked logins are dead, retry limits rate_limited or
// provider_degraded. Lines that are not JSON are ignored, so stderr noise mixed in does no harm.
// exec uses it too when a child writes such a stream.
func JudgeCodexJSONL(r io.Reader, now time.Time, loc *time.Location) CodexStream {
	var cs CodexStream
	var best classify.Verdict
	unknownFailure := false
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, tooLong, err := readLine(br)
		if len(line) > 0 && !tooLong {
			judgeCodexLine(line, now, loc, &cs, &best, &unknownFailure)
		}
		if err != nil {
			break
		}
	}
	switch {
	case best.Class != "":
		cs.Verdict = best
	case unknownFailure:
		cs.Verdict = classify.Verdict{Class: classify.ChildFailure, Rule: RuleCodexTurnFailed, Source: classify.SourceProbe}
	case cs.Completed:
		cs.Verdict = classify.Verdict{Class: classify.Success, Rule: RuleCodexTurnCompleted, Source: classify.SourceProbe}
	}
	return cs
}

// readLine returns one line without its newline; tooLong says it passed MaxCodexLine and was
// dropped.
func readLine(br *bufio.Reader) (line []byte, tooLong bool, err error) {
	var buf []byte
	for {
		chunk, isPrefix, err := br.ReadLine()
		if !tooLong {
			if len(buf)+len(chunk) > MaxCodexLine {
				tooLong, buf = true, nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		if err != nil {
			return buf, tooLong, err
		}
		if !isPrefix {
			return buf, tooLong, nil
		}
	}
}

func judgeCodexLine(line []byte, now time.Time, loc *time.Location, cs *CodexStream, best *classify.Verdict, unknownFailure *bool) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' {
		return
	}
	var ev codexEvent
	if json.Unmarshal(line, &ev) != nil {
		return
	}
	var msg string
	terminal := false
	switch {
	case ev.Type == "turn.completed":
		// A turn that completed after an unexplained error shows the error was not fatal.
		cs.Completed, *unknownFailure = true, false
	case ev.Type == "turn.failed":
		msg, terminal = errorMessage(ev.Error), true
	case ev.Type == "error":
		if codexReconnecting.MatchString(ev.Message) {
			break
		}
		msg, terminal = ev.Message, true
	case strings.HasPrefix(ev.Type, "thread.") || strings.HasPrefix(ev.Type, "turn.") ||
		strings.HasPrefix(ev.Type, "item.") || ev.Type == "request_user_input":
	default:
		return
	}
	cs.Recognized = true
	cs.Events++
	if !terminal {
		return
	}
	cs.Failed = true
	v := judgeCodexMessage(msg, string(ev.CodexErrorInfo)+string(ev.Error), now, loc)
	if v.Class == "" {
		*unknownFailure = true
		return
	}
	if rank(v.Class) > rank(best.Class) {
		*best = v
	}
}

func errorMessage(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var e struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &e) == nil && e.Message != "" {
		return e.Message
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return ""
}

var (
	codexTryAgain = regexp.MustCompile(`(?i)try again (?:at|in) [^.]*(?:\.\d[^.]*)?`)
)

// judgeCodexMessage judges one error message; structured is the raw error object and
// codex_error_info, where the machine-readable code lives when the CLI sends one. The words and codes
// are the codex output pack's, the same rules exec applies to a live child, so the two never disagree
// (TestCodexJSONLAgreesWithExecTap).
func judgeCodexMessage(msg, structured string, now time.Time, loc *time.Location) classify.Verdict {
	m := codexPack()
	tap := m.Tap(classify.AnyStream, nil)
	tap.Write([]byte(strings.NewReplacer("\n", " ", "\r", " ").Replace(msg + " " + structured)))
	tap.Flush()
	if v := classify.Judge(classify.Evidence{ExitCode: 1, Hits: tap.Hits()}, m, now, loc); v.IsRouteFailure() {
		v.Source = classify.SourceProbe
		if v.Class == classify.QuotaExhausted && v.ResetAt == nil {
			if t := codexTryAgain.FindString(msg); t != "" {
				if at, ok := classify.ParseReset(t, now, loc); ok {
					v.ResetAt = &at
				}
			}
		}
		return v
	}
	return classify.Verdict{}
}

// rank orders route classes by how much they say about the account (as classify.Judge does).
func rank(c classify.Class) int {
	switch c {
	case classify.Dead:
		return 5
	case classify.QuotaExhausted:
		return 4
	case classify.RateLimited:
		return 3
	case classify.ProviderDegraded:
		return 2
	case classify.Degraded:
		return 1
	}
	return 0
}
