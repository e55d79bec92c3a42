package providers

import (
	"io"
	"sync"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
)

// The event stream of `codex exec --json` (openai/codex codex-rs/exec/src/exec_events.rs): one JSON
// object per line with a "type". What the stream says matters more than the exit status: the CLI has
// exited 0 after a failed turn, and the usage-limit text travels only inside an event. The judge is
// classify's structured judge, the same code exec's taps run on a live child (SPEC §5.5(1)); recorded
// streams with their sources sit in providers/testdata/probe/codex/.

// Rule names of the Codex JSONL judge.
const (
	RuleCodexTurnCompleted = classify.RuleCodexTurnCompleted
	RuleCodexTurnFailed    = classify.RuleCodexTurnFailed
)

// CodexStream is what a codex exec --json stream said.
type CodexStream = classify.EventStream

var codexMatcher = sync.OnceValue(func() *classify.Matcher {
	m, err := classify.Compile(classify.Pack("codex"))
	if err != nil {
		panic("providers: codex output pack: " + err.Error())
	}
	return m
})

// JudgeCodexJSONL judges a `codex exec --json` stream with the built-in codex rules: turn.completed
// is success; error and turn.failed events are judged by their message and structured error —
// usage_limit_exceeded and "You've hit your usage limit … try again at …" are quota_exhausted with the
// reset time (in loc for times without a zone), revoked logins are dead, retry limits rate_limited or
// provider_degraded. Lines that are not JSON are ignored.
func JudgeCodexJSONL(r io.Reader, now time.Time, loc *time.Location) CodexStream {
	return judgeEvents(r, codexMatcher(), now, loc)
}

func judgeEvents(r io.Reader, m *classify.Matcher, now time.Time, loc *time.Location) CodexStream {
	cs := classify.JudgeEvents(r, m, now, loc)
	if cs.Verdict.Class != "" {
		cs.Verdict.Source = classify.SourceProbe
	}
	return cs
}
