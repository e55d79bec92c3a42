package classify

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func mustCompile(t testing.TB, rules ...OutputRule) *Matcher {
	t.Helper()
	m, err := Compile(rules)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var limitRule = OutputRule{Name: "limit", Pattern: `usage limit(?: until (?P<reset>\S+))?`, Class: quota, ResetCapture: "reset"}

func TestTapStripsEscapesAndSplitsLines(t *testing.T) {
	m := mustCompile(t, limitRule)
	in := "\x1b[1;31mred\x1b[0m plain\r\n" + // SGR, CRLF
		"\x1b]0;window title\x07title gone\n" + // OSC with BEL
		"\x1b]8;;https://x.test\x1b\\link\x1b]8;;\x1b\\ text\n" + // OSC 8 with ST
		"\x1b(Bcharset\x1b)0 \x1b7saved\x1b8\n" + // charset designations, single-char escapes
		"\x1bP1$r0m\x1b\\dcs gone\n" + // DCS string
		"progress 10%\rprogress 20%\r\x1b[Kdone\n" // lone CR is a line break
	want := "red plain\ntitle gone\nlink text\ncharset saved\ndcs gone\nprogress 10%\nprogress 20%\ndone\n"
	for _, chunk := range []int{0, 1, 2, 3, 5, 13} {
		tap := m.Tap(Stdout, nil)
		writeChunks(tap, []byte(in), chunk)
		if got := string(tap.Tail()); got != want {
			t.Errorf("chunk %d: tail\n%q\nwant\n%q", chunk, got, want)
		}
		if tap.Lines() != 8 {
			t.Errorf("chunk %d: %d lines, want 8", chunk, tap.Lines())
		}
	}
}

func writeChunks(tap *Tap, in []byte, chunk int) {
	if chunk <= 0 {
		tap.Write(in)
		return
	}
	for len(in) > 0 {
		n := min(chunk, len(in))
		if n2, err := tap.Write(in[:n]); n2 != n || err != nil {
			panic("short write")
		}
		in = in[n:]
	}
}

func TestTapHitAcrossEscapesAndWrites(t *testing.T) {
	m := mustCompile(t, limitRule)
	var seen []Hit
	tap := m.Tap(Stderr, func(h Hit) { seen = append(seen, h) })
	writeChunks(tap, []byte("noise\n\x1b[33musage\x1b[0m limit until 5pm\x1b[K\r\nmore\n"), 1)
	hits := tap.Hits()
	if len(seen) == 1 {
		// Hits marks the final lines and the next line of a reset at the end of its line; the callback
		// ran before either was known.
		seen[0].Tail, seen[0].Final, seen[0].More = true, true, "more"
	}
	if len(hits) != 1 || !reflect.DeepEqual(hits, seen) {
		t.Fatalf("hits %+v, callback %+v", hits, seen)
	}
	h := hits[0]
	if h.Name != "limit" || h.LineNo != 2 || h.Line != "usage limit until 5pm" || h.Reset != "5pm" || h.Stream != Stderr {
		t.Fatalf("hit %+v", h)
	}
}

func TestTapFlushJudgesLastLine(t *testing.T) {
	m := mustCompile(t, limitRule)
	tap := m.Tap(Stdout, nil)
	tap.Write([]byte("first\nUSAGE LIMIT is case-sensitive\nusage limit"))
	if len(tap.Hits()) != 0 {
		t.Fatalf("unterminated line judged early: %+v", tap.Hits())
	}
	tap.Flush()
	if h := tap.Hits(); len(h) != 1 || h[0].LineNo != 3 {
		t.Fatalf("after Flush: %+v", h)
	}
}

func TestTapCaseInsensitivePrefilter(t *testing.T) {
	m := mustCompile(t,
		OutputRule{Name: "ci", Pattern: `(?i)credit balance is too low`, Class: degraded(SubscriptionPaused)},
		OutputRule{Name: "kelvin", Pattern: `(?i)kelvin scale`, Class: rateLimit},
	)
	tap := m.Tap(Stdout, nil)
	// U+212A KELVIN SIGN folds to k: the prefilter must not drop the line.
	tap.Write([]byte("Your CREDIT Balance Is Too Low\n\u212Aelvin SCALE\n"))
	got := tap.Hits()
	if len(got) != 2 || got[0].Name != "ci" || got[1].Name != "kelvin" {
		t.Fatalf("hits %+v", got)
	}
}

func TestTapStreamFilter(t *testing.T) {
	m := mustCompile(t,
		OutputRule{Name: "err-only", Stream: Stderr, Pattern: `boom`, Class: rateLimit},
		OutputRule{Name: "out-only", Stream: Stdout, Pattern: `boom`, Class: rateLimit},
		OutputRule{Name: "both", Pattern: `boom`, Class: rateLimit},
	)
	names := func(s Stream) []string {
		tap := m.Tap(s, nil)
		tap.Write([]byte("boom\n"))
		var out []string
		for _, h := range tap.Hits() {
			out = append(out, h.Name)
		}
		return out
	}
	if got := names(Stderr); !reflect.DeepEqual(got, []string{"err-only", "both"}) {
		t.Errorf("stderr: %v", got)
	}
	if got := names(Stdout); !reflect.DeepEqual(got, []string{"out-only", "both"}) {
		t.Errorf("stdout: %v", got)
	}
	if got := names(AnyStream); !reflect.DeepEqual(got, []string{"err-only", "out-only", "both"}) {
		t.Errorf("merged pty stream: %v", got)
	}
}

func TestTapNeverFailureSuppressesLine(t *testing.T) {
	m := mustCompile(t,
		OutputRule{Name: "retrying", Pattern: `Retrying in \d+`, Class: neverFail},
		OutputRule{Name: "overloaded", Pattern: `overloaded_error`, Class: provDown},
	)
	tap := m.Tap(Stdout, nil)
	tap.Write([]byte("overloaded_error · Retrying in 4 seconds\noverloaded_error\n"))
	h := tap.Hits()
	if len(h) != 2 || h[0].Name != "retrying" || h[1].Name != "overloaded" || h[1].LineNo != 2 {
		t.Fatalf("hits %+v", h)
	}
}

func TestTapLongLineIsCut(t *testing.T) {
	m := mustCompile(t, limitRule)
	long := strings.Repeat("x", MaxLine-len("usage limit")) + "usage limit" + " and usage limit past the cut" + "\nusage limit\n"
	for _, chunk := range []int{0, 1000, 4096, MaxLine - 1} {
		tap := m.Tap(Stdout, nil)
		writeChunks(tap, []byte(long), chunk)
		h := tap.Hits()
		if len(h) != 2 || h[0].LineNo != 1 || h[1].LineNo != 2 || len(h[0].Line) != maxHitLine {
			t.Fatalf("chunk %d: %d hits %+v", chunk, len(h), h)
		}
	}
	tap := m.Tap(Stdout, nil)
	tap.Write([]byte(strings.Repeat("y", MaxLine+10) + "usage limit\n"))
	if len(tap.Hits()) != 0 {
		t.Fatalf("text past MaxLine was judged")
	}
}

func TestTapUnterminatedOSCDoesNotHideOutput(t *testing.T) {
	m := mustCompile(t, limitRule)
	tap := m.Tap(Stdout, nil)
	tap.Write([]byte("\x1b]0;never terminated\nusage limit\n"))
	tap.Write([]byte("\x1b]" + strings.Repeat("z", 2*maxEscString) + "usage limit\n"))
	if n := len(tap.Hits()); n != 2 {
		t.Fatalf("%d hits, want 2", n)
	}
}

func TestTapTailBounded(t *testing.T) {
	m := mustCompile(t, limitRule)
	tap := m.Tap(Stdout, nil)
	var all bytes.Buffer
	for i := 0; i < 20000; i++ {
		line := fmt.Sprintf("line %d\n", i)
		all.WriteString(line)
		tap.Write([]byte(line))
	}
	got := tap.Tail()
	want := all.Bytes()[all.Len()-TailSize:]
	if !bytes.Equal(got, want) {
		t.Fatalf("tail of %d bytes does not end the output", len(got))
	}
}

func TestTapHitsBoundedKeepStrongest(t *testing.T) {
	m := mustCompile(t,
		OutputRule{Name: "retrying", Pattern: `Retrying in`, Class: neverFail},
		limitRule,
	)
	calls := 0
	tap := m.Tap(Stdout, func(Hit) { calls++ })
	for i := 0; i < 200; i++ {
		tap.Write([]byte("Retrying in 1 seconds\n"))
	}
	tap.Write([]byte("usage limit\n"))
	h := tap.Hits()
	if len(h) != MaxHits || calls != 201 || h[len(h)-1].Name != "limit" {
		t.Fatalf("%d hits, %d calls, last %+v", len(h), calls, h[len(h)-1])
	}
}

func TestTapZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	var rules []OutputRule
	for _, p := range PackNames() {
		rules = append(rules, Pack(p)...)
	}
	m := mustCompile(t, rules...)
	tap := m.Tap(Stdout, nil)
	chunk := benchLog(32 << 10)
	tap.Write(chunk)
	allocs := testing.AllocsPerRun(50, func() { tap.Write(chunk) })
	if allocs != 0 {
		t.Fatalf("%v allocations per 32 KiB write", allocs)
	}
}

func TestPackRulesHaveLiterals(t *testing.T) {
	for _, p := range PackNames() {
		m := mustCompile(t, Pack(p)...)
		for i, kws := range m.Keywords() {
			r := m.rules[i]
			if r.Pattern != "" && len(kws) == 0 {
				t.Errorf("%s/%s has no prefilter literal", p, r.Name)
			}
		}
		if len(m.always) != 0 {
			t.Errorf("%s: rules checked on every line: %v", p, m.always)
		}
	}
	if Pack("nope") != nil || !reflect.DeepEqual(PackNames(), []string{"claude", "codex", "copilot", "gemini", "github"}) {
		t.Fatal("pack names")
	}
	p := Pack("github")
	p[3].ExitCodes[0] = 99
	if Pack("github")[3].ExitCodes[0] != 4 {
		t.Fatal("Pack shares its slices")
	}
}

func TestRequiredLiterals(t *testing.T) {
	cases := map[string][]literal{
		`You've hit your usage limit`:         {{"You've hit your usage limit", false}},
		`API Error: 429\b|"rate_limit_error"`: {{`"rate_limit_error"`, false}, {"API Error: 429", false}},
		`(?i)Credit balance`:                  {{"credit balance", true}},
		`(?i)kelvin`:                          {{"elvin", true}},
		`a+b*`:                                {{"a", false}},
		`x?`:                                  nil,
		`\d+`:                                 nil,
		`(foo|\d)`:                            nil,
		`line1\nline2longer`:                  {{"line2longer", false}},
		// RE2 factors "You" out of the alternatives; the literals join it again with each branch.
		`Your workspace is out|You hit your spend cap|(?:You're|You’re) out of credits`: {
			{"You hit your spend cap", false}, {"You're", false}, {"Your workspace is out", false}, {"You’re", false}},
		// A short common word alone is a poor literal when a longer one is there.
		`You(?:'|’)ve hit your usage`: {{"ve hit your usage", false}},
	}
	for pat, want := range cases {
		if got := requiredLiterals(pat); !reflect.DeepEqual(got, want) {
			t.Errorf("requiredLiterals(%q) = %v, want %v", pat, got, want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	for _, r := range []OutputRule{
		{Name: "bad", Pattern: `(`},
		{Name: "no-pattern"},
		{Name: "bad-capture", Pattern: `x(?P<a>y)`, ResetCapture: "b"},
	} {
		_, err := Compile([]OutputRule{limitRule, r})
		var ce *CompileError
		if err == nil || !asCompileError(err, &ce) || ce.Index != 1 || ce.Name != r.Name {
			t.Errorf("%s: %v", r.Name, err)
		}
	}
}

func asCompileError(err error, ce **CompileError) bool {
	e, ok := err.(*CompileError)
	*ce = e
	return ok
}

type hitKey struct {
	Rule, LineNo int
	Line, Reset  string
}

func hitKeys(hs []Hit) []hitKey {
	var out []hitKey
	for _, h := range hs {
		out = append(out, hitKey{h.Rule, h.LineNo, h.Line, h.Reset})
	}
	return out
}

func FuzzTap(f *testing.F) {
	var rules []OutputRule
	for _, p := range PackNames() {
		rules = append(rules, Pack(p)...)
	}
	rules = append(rules, OutputRule{Name: "ci", Pattern: `(?i)quota`, Class: quota})
	m, err := Compile(rules)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte("\x1b[31mYou've hit your usage limit. Upgrade to Pro or try again in 5m.\x1b[0m\r\n"), uint64(1))
	f.Add([]byte("Claude AI usage limit reached|1755615600"), uint64(7))
	f.Add([]byte("\x1b]8;;u\x1b\\API Error: 529 Overloaded\r\rRetrying in 4 seconds… (attempt 1/10)\n"), uint64(3))
	f.Add([]byte("HTTP 401: Bad credentials (https://api.github.com/graphql)\n\x1b(0x\x1bP..."), uint64(11))
	f.Fuzz(func(t *testing.T, in []byte, seed uint64) {
		whole := m.Tap(Stdout, nil)
		whole.Write(in)
		whole.Flush()
		split := m.Tap(Stdout, nil)
		r := rand.New(rand.NewPCG(seed, seed>>7))
		for rest := in; len(rest) > 0; {
			n := 1 + r.IntN(len(rest))
			if r.IntN(4) == 0 {
				n = min(n, 3)
			}
			split.Write(rest[:n])
			rest = rest[n:]
		}
		split.Flush()
		if len(whole.Tail()) > TailSize {
			t.Fatalf("tail %d bytes", len(whole.Tail()))
		}
		if !bytes.Equal(whole.Tail(), split.Tail()) {
			t.Fatalf("tails differ:\n%q\n%q", whole.Tail(), split.Tail())
		}
		if a, b := hitKeys(whole.Hits()), hitKeys(split.Hits()); !reflect.DeepEqual(a, b) {
			t.Fatalf("hits differ by chunking:\n%+v\n%+v", a, b)
		}
		if whole.Lines() != split.Lines() || len(whole.Hits()) > MaxHits {
			t.Fatalf("lines %d vs %d, %d hits", whole.Lines(), split.Lines(), len(whole.Hits()))
		}
	})
}
