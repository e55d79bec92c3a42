package providers_test

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/providers"
)

// codexFixture is a recorded `codex exec --json` stream with its "# key: value" header.
type codexFixture struct {
	name   string
	meta   map[string]string
	stream []byte
}

func loadCodexFixtures(t testing.TB) []codexFixture {
	t.Helper()
	files, err := filepath.Glob("testdata/probe/codex/*.jsonl")
	if err != nil || len(files) == 0 {
		t.Fatalf("no codex fixtures: %v", err)
	}
	var out []codexFixture
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fx := codexFixture{name: filepath.Base(f), meta: map[string]string{}, stream: data}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			line := sc.Text()
			if !strings.HasPrefix(line, "# ") {
				break
			}
			if k, v, ok := strings.Cut(line[2:], ": "); ok {
				fx.meta[k] = v
			}
		}
		if fx.meta["source"] == "" || fx.meta["expect"] == "" {
			t.Fatalf("%s: every fixture names its source and expected verdict", fx.name)
		}
		out = append(out, fx)
	}
	return out
}

func TestCodexJSONLFixtures(t *testing.T) {
	t.Parallel()
	for _, fx := range loadCodexFixtures(t) {
		t.Run(fx.name, func(t *testing.T) {
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			if s := fx.meta["now"]; s != "" {
				var err error
				if now, err = time.Parse(time.RFC3339, s); err != nil {
					t.Fatal(err)
				}
			}
			cs := providers.JudgeCodexJSONL(bytes.NewReader(fx.stream), now, time.UTC)
			if !cs.Recognized {
				t.Fatal("the stream was not recognised as codex events")
			}
			got := cs.Verdict.String()
			if cs.Verdict.Class == "" {
				got = "undecided"
			}
			if got != fx.meta["expect"] {
				t.Errorf("verdict %s, want %s", got, fx.meta["expect"])
			}
			if r := fx.meta["rule"]; r != "" && cs.Verdict.Rule != r {
				t.Errorf("rule %q, want %q", cs.Verdict.Rule, r)
			}
			if want := fx.meta["reset_at"]; want != "" {
				if cs.Verdict.ResetAt == nil || cs.Verdict.ResetAt.UTC().Format(time.RFC3339) != want {
					t.Errorf("reset_at %v, want %s", cs.Verdict.ResetAt, want)
				}
			}
			// The judge reads a stream in any chunking: the same bytes one at a time.
			slow := providers.JudgeCodexJSONL(&oneByteReader{b: fx.stream}, now, time.UTC)
			if slow.Verdict.String() != cs.Verdict.String() || slow.Events != cs.Events {
				t.Errorf("byte-wise read gives %s/%d, whole gives %s/%d", slow.Verdict, slow.Events, cs.Verdict, cs.Events)
			}
		})
	}
}

type oneByteReader struct{ b []byte }

func (r *oneByteReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, os.ErrClosed
	}
	p[0] = r.b[0]
	r.b = r.b[1:]
	return 1, nil
}

func TestCodexJSONLNotAStream(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "codex ok\n", `{"loggedIn": true}`, "{broken\n", `{"type":"something.else"}`} {
		cs := providers.JudgeCodexJSONL(strings.NewReader(in), time.Now(), time.UTC)
		if cs.Recognized || cs.Verdict.Class != "" {
			t.Errorf("%q: %+v, want nothing recognised", in, cs)
		}
	}
	// A giant line (a command's output in an item) is skipped, and the stream still judged.
	big := `{"type":"item.completed","item":{"type":"command_execution","aggregated_output":"` + strings.Repeat("x", 2<<20) + `"}}` + "\n" +
		`{"type":"turn.completed","usage":{}}` + "\n"
	if cs := providers.JudgeCodexJSONL(strings.NewReader(big), time.Now(), time.UTC); cs.Verdict.Class != classify.Success {
		t.Errorf("after a 2 MiB line: %+v", cs)
	}
	// The strongest route failure wins over a completed turn.
	mixed := `{"type":"turn.completed","usage":{}}` + "\n" + `{"type":"turn.failed","error":{"message":"Quota exceeded. Check your plan and billing details."}}` + "\n"
	if cs := providers.JudgeCodexJSONL(strings.NewReader(mixed), time.Now(), time.UTC); cs.Verdict.String() != "degraded(subscription_paused)" {
		t.Errorf("mixed: %s", cs.Verdict)
	}
}

func BenchmarkJudgeCodexJSONL(b *testing.B) {
	var all []byte
	for _, fx := range loadCodexFixtures(b) {
		all = append(all, fx.stream...)
	}
	b.SetBytes(int64(len(all)))
	now := time.Now()
	for b.Loop() {
		providers.JudgeCodexJSONL(bytes.NewReader(all), now, time.UTC)
	}
}
