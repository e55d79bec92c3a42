package providers_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/providers"
)

// exec judges a supervised `codex exec --json` child with the tap on its live output, which finds
// the event stream by itself; the probe reads a finished stream with JudgeEvents. Both must reach the
// same route verdict on every recorded stream, or a failure the probe sees would slip past exec (or
// the reverse).
func TestCodexJSONLAgreesWithExecTap(t *testing.T) {
	def, ok := providers.Builtin("codex")
	if !ok {
		t.Fatal("no codex definition")
	}
	m, err := classify.Compile(def.OutputRules)
	if err != nil {
		t.Fatal(err)
	}
	for _, fx := range loadCodexFixtures(t) {
		t.Run(fx.name, func(t *testing.T) {
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			if s := fx.meta["now"]; s != "" {
				now, _ = time.Parse(time.RFC3339, s)
			}
			want := providers.JudgeCodexJSONL(bytes.NewReader(fx.stream), now, time.UTC).Verdict
			// The fixture's "# " header is not part of what codex prints.
			var stream []byte
			for _, line := range bytes.SplitAfter(fx.stream, []byte("\n")) {
				if !bytes.HasPrefix(line, []byte("# ")) {
					stream = append(stream, line...)
				}
			}
			tap := m.Tap(classify.Stdout, nil)
			tap.Write(stream)
			tap.Flush()
			// codex exec exits 1 after a failed turn and 0 after a completed one.
			exit := 0
			if want.IsRouteFailure() || want.Class == classify.ChildFailure {
				exit = 1
			}
			got := classify.Judge(classify.Evidence{ExitCode: exit, Hits: tap.Hits(), Structured: tap.Structured()}, m, now, time.UTC)
			if want.Class == "" {
				return // the JSONL judge is undecided (a cut-off stream): nothing to agree on
			}
			if got.Class != want.Class || got.Reason != want.Reason {
				t.Fatalf("exec's tap says %s, the JSONL judge says %s", got, want)
			}
			if want.ResetAt != nil && (got.ResetAt == nil || !got.ResetAt.Equal(*want.ResetAt)) {
				t.Fatalf("reset %v, JSONL judge %v", got.ResetAt, want.ResetAt)
			}
		})
	}
}
