package classify

import (
	"bytes"
	"encoding/json"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Structured results (SPEC §5.5(1)). When a CLI prints machine-readable events, their fields are the
// evidence and the text inside an answer is not:
//
//   - Claude Code `-p --output-format json` prints one result object and `stream-json` one event per
//     line ({"type":"system"|"assistant"|"user"|"stream_event"|"rate_limit_event"|"result",…}). A
//     result with is_error false is success whatever its text says; with is_error true its result
//     text (and api_error_status) is judged by the provider's rules. A rate_limit_event whose status
//     is "rejected" is a spent window with its resetsAt.
//   - Codex `exec --json` (codex-rs/exec/src/exec_events.rs) prints thread.*, turn.*, item.* and
//     error events. turn.completed is success; error and turn.failed are judged by their message and
//     the structured error beside it (usage_limit_reached with resets_at / resets_in_seconds); an
//     "error" event that says "Reconnecting..." is the CLI retrying by itself. An item of type
//     "error" is a non-fatal notice.
//
// A tap takes a stream for an event stream only when it is JSON from its first non-blank line: every
// line before the first event ({"type":"…" at the first column) opens a JSON object (the legacy Codex
// stream begins with its config and prompt), at most eventProbeLines of them. An answer that shows a
// JSON line after some prose stays text. The tap reads only the event types above and skips the
// free-text rules on event lines.

// Rule names of the structured judges.
const (
	RuleCodexTurnCompleted   = "codex-jsonl-turn-completed"
	RuleCodexTurnFailed      = "codex-jsonl-turn-failed"
	RuleClaudeResultOK       = "claude-json-result"
	RuleClaudeResultError    = "claude-json-result-error"
	RuleClaudeRateLimit      = "claude-json-rate-limit-rejected"
	RuleClaudeStatus         = "claude-json-api-error-status"
	RuleClaudeAssistantError = "claude-json-assistant-error"
)

const (
	evUnknown uint8 = iota
	evOn
	evOff
)

// eventProbeLines is how many JSON lines may come before the first event of an event stream.
const eventProbeLines = 16

var eventPrefix = []byte(`{"type":"`)

// isEventLine reports whether line opens a JSON event ({"type":"…) at its first column, or an array
// of them (what Claude Code's --output-format json prints with --verbose, anthropics/claude-code#84784),
// or a legacy Codex event ({"id":"0","msg":{"type":…}}, codex exec --json before openai/codex#4525).
// The CLIs print events unindented: an indented one is text, such as an answer quoting an event.
func isEventLine(line []byte) bool {
	if len(line) > 0 && line[0] == '[' {
		line = line[1:]
	}
	return bytes.HasPrefix(line, eventPrefix) || isLegacyCodexEvent(line)
}

var legacyPrefix, legacyMsg = []byte(`{"id":"`), []byte(`"msg":{"type":"`)

func isLegacyCodexEvent(line []byte) bool {
	if !bytes.HasPrefix(line, legacyPrefix) {
		return false
	}
	i := bytes.IndexByte(line[len(legacyPrefix):], '"')
	return i >= 0 && bytes.HasPrefix(line[len(legacyPrefix)+i+1:], append([]byte{','}, legacyMsg...))
}

// eventJudge is what a tap learned from a stream's events.
type eventJudge struct {
	events      int
	completed   bool   // a turn.completed or a result with is_error false
	doneRule    string // the rule name of that success
	unknownFail bool   // a failed turn or error result nobody recognised
	failRule    string
	best        *Hit // the strongest route failure
}

// succeeded records a completed turn or a successful result: what failed before it was not fatal
// (a dropped stream the CLI recovered from, a rejected window the run got past).
func (j *eventJudge) succeeded(rule string) {
	j.completed, j.doneRule, j.unknownFail, j.best = true, rule, false, nil
}

// eventLines feeds the complete lines of body to the event judge while the stream is, or may be, an
// event stream.
func (t *Tap) eventLines(body []byte) {
	for len(body) > 0 && t.evMode != evOff {
		nl := bytes.IndexByte(body, '\n')
		t.eventLine(body[:nl])
		body = body[nl+1:]
	}
}

func (t *Tap) eventLine(line []byte) {
	line = bytes.TrimRight(line, " \t\r")
	if len(bytes.TrimSpace(line)) == 0 {
		return
	}
	if t.evMode == evUnknown {
		if !isEventLine(line) {
			if t.evSeen++; line[0] != '{' || t.evSeen >= eventProbeLines {
				t.evMode = evOff
			}
			return
		}
		t.evMode, t.events = evOn, &eventJudge{}
	}
	if line[0] == '[' && isEventLine(line) {
		t.eventArray(line)
		t.arrayCut = t.cut
		return
	}
	t.oneEvent(line)
}

// cutLineEnded is called when a line cut at MaxLine ends. A --verbose array of Claude Code carries
// every message and tool result and often passes MaxLine; its result, the last element, is what
// decides, so it is read from the end of the stream's tail.
func (t *Tap) cutLineEnded() {
	if !t.arrayCut {
		return
	}
	t.arrayCut = false
	tail := t.Tail()
	i := bytes.LastIndex(tail, []byte(`{"type":"result"`))
	if i < 0 {
		return
	}
	t.oneEvent(bytes.TrimRight(tail[i:], " \t\r\n]"))
}

// eventArray judges the events of a JSON array, as far as the line goes.
func (t *Tap) eventArray(line []byte) {
	dec := json.NewDecoder(bytes.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return
	}
	for dec.More() {
		var raw json.RawMessage
		if dec.Decode(&raw) != nil {
			return
		}
		var b bytes.Buffer
		if json.Compact(&b, raw) == nil {
			t.oneEvent(b.Bytes())
		}
	}
}

func (t *Tap) oneEvent(line []byte) {
	if isLegacyCodexEvent(line) {
		var ev struct {
			Msg struct {
				Type    string `json:"type"`
				Message string `json:"message"`
			} `json:"msg"`
		}
		decodePartial(line, &ev)
		switch ev.Msg.Type {
		case "error":
			t.events.events++
			t.judgeMessage(ev.Msg.Message, "", RuleCodexTurnFailed)
		case "task_complete":
			t.events.events++
			t.events.succeeded(RuleCodexTurnCompleted)
		default:
			t.events.events++
		}
		return
	}
	if !bytes.HasPrefix(line, eventPrefix) {
		return
	}
	rest := line[len(eventPrefix):]
	q := bytes.IndexByte(rest, '"')
	if q < 0 {
		return
	}
	t.judgeEvent(string(rest[:q]), line)
}

// judgeEvent reads one event of a known type.
func (t *Tap) judgeEvent(typ string, line []byte) {
	j := t.events
	switch typ {
	case "thread.started", "turn.started", "item.started", "item.updated", "item.completed",
		"request_user_input", "system", "user", "stream_event":
		j.events++
	case "assistant":
		j.events++
		// A message the CLI made up for an API error (model "<synthetic>") carries an error code; an
		// answer of the model carries none and is never evidence.
		var ev struct {
			Error   string `json:"error"`
			Message struct {
				Model   string `json:"model"`
				Content []struct {
					Type string `json:"type"`
					Text string `json:"text"`
				} `json:"content"`
			} `json:"message"`
		}
		decodePartial(line, &ev)
		if ev.Error == "" || ev.Message.Model != "<synthetic>" {
			return
		}
		var text strings.Builder
		for _, c := range ev.Message.Content {
			if c.Type == "text" {
				text.WriteString(c.Text + " ")
			}
		}
		if h, ok := t.m.judgeText(text.String()); ok && isRouteClass(h.Class.Class) {
			t.keepEvent(h)
		} else if c, ok := assistantErrorClass[ev.Error]; ok {
			t.keepEvent(Hit{Rule: -1, Name: RuleClaudeAssistantError, Class: c})
		}
	case "turn.completed":
		j.events++
		// A turn that completed after an error shows the error was not fatal.
		j.succeeded(RuleCodexTurnCompleted)
	case "turn.failed", "error":
		j.events++
		var ev struct {
			Message        string          `json:"message"`
			Error          json.RawMessage `json:"error"`
			CodexErrorInfo json.RawMessage `json:"codex_error_info"`
		}
		decodePartial(line, &ev)
		msg := ev.Message
		if typ == "turn.failed" || msg == "" {
			msg = errorMessage(ev.Error)
		}
		if typ == "error" && codexReconnecting().MatchString(msg) {
			return
		}
		t.judgeMessage(msg, string(ev.Error)+" "+string(ev.CodexErrorInfo), RuleCodexTurnFailed)
	case "result":
		j.events++
		var ev struct {
			Subtype        string          `json:"subtype"`
			IsError        *bool           `json:"is_error"`
			Result         json.RawMessage `json:"result"`
			APIErrorStatus json.RawMessage `json:"api_error_status"`
			Error          json.RawMessage `json:"error"`
		}
		decodePartial(line, &ev)
		if ev.IsError == nil {
			return
		}
		if !*ev.IsError {
			j.succeeded(RuleClaudeResultOK)
			return
		}
		var text string
		_ = json.Unmarshal(ev.Result, &text)
		if text == "" {
			text = errorMessage(ev.Error)
		}
		if t.judgeMessage(text, string(ev.Error), RuleClaudeResultError) {
			return
		}
		// An error result whose text no rule knows: its HTTP status still says whose failure it is.
		if c, ok := statusClass(ev.APIErrorStatus); ok {
			j.unknownFail = false
			t.keepEvent(Hit{Rule: -1, Name: RuleClaudeStatus, Class: c})
		}
	case "rate_limit_event":
		j.events++
		var ev struct {
			Info *rateLimitInfo `json:"rate_limit_info"`
			rateLimitInfo
		}
		decodePartial(line, &ev)
		info := ev.rateLimitInfo
		if ev.Info != nil {
			info = *ev.Info
		}
		if info.Status != "rejected" {
			return // allowed, allowed_warning: a warning is not a failure
		}
		h := Hit{Rule: -1, Name: RuleClaudeRateLimit, Class: quota}
		if info.ResetsAt > 0 {
			h.Reset = strconv.FormatInt(info.ResetsAt, 10)
		}
		t.keepEvent(h)
	}
}

type rateLimitInfo struct {
	Status   string `json:"status"`
	ResetsAt int64  `json:"resetsAt"`
}

// statusClass maps an API error status (a JSON number or string) to the class the generic HTTP
// table gives it (SPEC §5.3): only a 401 is the whole login's.
func statusClass(raw json.RawMessage) (RuleClass, bool) {
	s := strings.Trim(string(bytes.TrimSpace(raw)), `"`)
	n, err := strconv.Atoi(s)
	if err != nil {
		return RuleClass{}, false
	}
	switch {
	case n == 429:
		return rateLimit, true
	case n == 401:
		return dead(TokenRevoked), true
	case n == 403:
		return degraded(TierInsufficient), true // no hint to say more (SPEC §5.3)
	case n == 402:
		return degraded(SubscriptionPaused), true
	case n == 404:
		return degraded(TierInsufficient), true
	case n == 529 || n >= 500 && n <= 599:
		return provDown, true
	}
	return RuleClass{}, false
}

// assistantErrorClass maps the error codes of Claude Code's synthetic assistant messages
// (SDKAssistantMessageError in @anthropic-ai/claude-agent-sdk sdk.d.ts) to classes; codes that are
// the user's own request (invalid_request, max_output_tokens, unknown) are absent.
var assistantErrorClass = map[string]RuleClass{
	"authentication_failed":  dead(AuthPermanentlyFailed),
	"oauth_org_not_allowed":  dead(AuthPermanentlyFailed),
	"billing_error":          degraded(SubscriptionPaused),
	"account_on_hold":        degraded(SubscriptionPaused),
	"verification_required":  degraded(PendingVerification),
	"rate_limit":             rateLimit,
	"overloaded":             provDown,
	"server_error":           provDown,
	"model_not_found":        degraded(TierInsufficient),
	"cloud_credential_error": dead(CredentialUnavailable),
}

// judgeMessage judges the message of a failed event with the tap's own rules (the words a CLI
// prints are the same inside an event), plus the raw structured error beside it where the reset
// lives. It reports whether a route failure was found; otherwise the failure is unexplained.
func (t *Tap) judgeMessage(msg, structured, failRule string) bool {
	j := t.events
	h, ok := t.m.judgeText(msg + " " + structured)
	if !ok || !isRouteClass(h.Class.Class) {
		j.unknownFail, j.failRule = true, failRule
		return false
	}
	if h.Reset == "" {
		h.Reset = jsonReset(structured)
	}
	if h.Reset == "" {
		h.Reset = tryAgain().FindString(msg)
	}
	t.keepEvent(h)
	return true
}

func (t *Tap) keepEvent(h Hit) {
	h.Structured, h.Stream = true, t.stream
	h.Line = ""
	if b := t.events.best; b == nil || precedence(h.Class.Class) > precedence(b.Class.Class) {
		t.events.best = &h
	}
}

// judgeText runs the rules over one message (newlines folded) and returns its strongest hit, as
// Judge would rank it at a failed exit.
func (m *Matcher) judgeText(text string) (Hit, bool) {
	sub := m.Tap(AnyStream, nil)
	sub.noEvent = true
	_, _ = sub.Write([]byte(strings.NewReplacer("\n", " ", "\r", " ").Replace(text)))
	sub.Flush()
	return m.strongest(sub.hits, 1)
}

// Structured returns what the stream's events said, strongest first: a route failure, or a success
// or an unexplained failure (child_failure) of the run; nil when the stream had no events.
func (t *Tap) Structured() []Hit {
	j := t.events
	if j == nil {
		return nil
	}
	switch {
	case j.best != nil:
		return []Hit{*j.best}
	case j.unknownFail:
		return []Hit{{Rule: -1, Name: j.failRule, Class: userFail, Stream: t.stream, Structured: true}}
	case j.completed:
		return []Hit{{Rule: -1, Name: j.doneRule, Class: neverFail, Stream: t.stream, Structured: true}}
	}
	return nil
}

// EventStream is what a whole JSON event stream said (JudgeEvents).
type EventStream struct {
	// Recognized is true when at least one line was an event of a known type.
	Recognized bool
	Events     int
	Completed  bool // a turn completed, or a result said is_error false
	Failed     bool // a failure was seen
	// Verdict is the stream's judgement; its Class is "" when the stream ended undecided (no
	// terminal event: the CLI was cut off).
	Verdict Verdict
}

// JudgeEvents judges a whole event stream read from r (a probe's `codex exec --json` output, say)
// with a tap in event mode from its first line: the structured judges exec's taps use, m's rules for
// the messages. Lines that are not events count for nothing, so stderr noise mixed in does no harm;
// a line longer than MaxLine is read up to MaxLine.
func JudgeEvents(r io.Reader, m *Matcher, now time.Time, loc *time.Location) EventStream {
	t := m.Tap(AnyStream, nil)
	t.evMode, t.events = evOn, &eventJudge{}
	_, _ = io.Copy(t, r) // the tap never fails a write; a read error ends the stream
	t.Flush()
	j := t.events
	es := EventStream{Recognized: j.events > 0, Events: j.events, Completed: j.completed,
		Failed: j.best != nil || j.unknownFail}
	if s := t.Structured(); len(s) > 0 {
		es.Verdict = m.verdictOf(s[0], s, now, loc)
	}
	return es
}

// decodePartial fills the fields of v from the top-level keys of the JSON object in line, as far as
// the line goes: a line cut at MaxLine (a long answer in a result) still yields the keys before the
// cut. Keys that do not decode are skipped.
func decodePartial(line []byte, v any) {
	if json.Unmarshal(line, v) == nil {
		return
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return
	}
	fields := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		key, ok := tok.(string)
		if !ok {
			break
		}
		var raw json.RawMessage
		if dec.Decode(&raw) != nil {
			break
		}
		fields[key] = raw
	}
	if b, err := json.Marshal(fields); err == nil {
		_ = json.Unmarshal(b, v)
	}
}

// errorMessage reads the message of an error value: {"message":…} or a bare string.
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
	codexReconnecting = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*Reconnecting\.\.\.`) })
	tryAgain          = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)try again (?:at|in) [^.]*(?:\.\d[^.]*)?`)
	})
	jsonResetRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`\\?"(resets_at|resetsAt|resets_in_seconds|resetsInSeconds)\\?"\s*:\s*(\d+)`)
	})
)

// jsonReset finds a reset inside raw JSON: resets_at / resetsAt (epoch) or resets_in_seconds, as a
// text ParseReset reads.
func jsonReset(raw string) string {
	m := jsonResetRE().FindStringSubmatch(raw)
	if m == nil {
		return ""
	}
	if strings.HasPrefix(strings.ToLower(m[1]), "resets_in") || m[1] == "resetsInSeconds" {
		return "in " + m[2] + " seconds"
	}
	return m[2]
}

// noticeGlyphs are what CLIs print before a notice of their own: Claude Code's ⎿, Codex's ■ and ⚠,
// Copilot's ✗, Gemini's ✕, and common status marks. Not ⏺ and •: the TUIs put them before the
// model's own messages.
const noticeGlyphs = "⎿●■▪⚠✗✘×✕✖!▶►🖐\uFE0F"

// noticeLabels are the lower-cased labels a CLI puts before its own error line.
var noticeLabels = []string{"error", "api error", "fatal", "gh", "codex", "claude", "copilot", "gemini"}

// framed reports whether prefix (what precedes a match on its line) is a CLI's own framing of a
// notice: nothing (the notice opens the line), or a mark, with blanks around it: notice glyphs, one
// bracketed stamp, one label such as "Error:". Indentation alone is not framing (TUIs indent the
// model's answers and the code blocks in them), a match after other words is in the middle of a
// sentence (an answer quoting it), and a line after a prompt (">") is the user's input.
func framed(prefix []byte) bool {
	if len(prefix) == 0 {
		return true
	}
	p := bytes.TrimLeft(prefix, " \t")
	marked := false
	if len(p) > 0 && p[0] == '[' {
		if i := bytes.IndexByte(p, ']'); i > 0 && i <= 64 {
			p, marked = p[i+1:], true
		}
	}
	p = bytes.TrimLeft(p, " \t")
	q := trimGlyphs(p)
	marked = marked || len(q) < len(p) // a glyph went
	p = q
	if len(p) == 0 {
		return marked
	}
	label, rest, ok := bytes.Cut(p, []byte(":"))
	if !ok || len(bytes.TrimSpace(trimGlyphs(rest))) > 0 {
		return false
	}
	l := strings.ToLower(strings.TrimSpace(string(label)))
	for _, x := range noticeLabels {
		if l == x {
			return true
		}
	}
	return false
}

func trimGlyphs(p []byte) []byte {
	for len(p) > 0 {
		r, n := utf8.DecodeRune(p)
		if r == ' ' || r == '\t' || r != utf8.RuneError && strings.ContainsRune(noticeGlyphs, r) {
			p = p[n:]
			continue
		}
		break
	}
	return p
}
