package classify

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/internal/fixture"
)

func loadFixtures(t testing.TB) map[string][]fixture.Fixture {
	t.Helper()
	fs, err := fixture.Load("testdata/fixtures")
	if err != nil {
		t.Fatal(err)
	}
	all := map[string][]fixture.Fixture{}
	for _, f := range fs {
		all[f.Pack] = append(all[f.Pack], f)
	}
	return all
}

// colourise dresses each line the way a TUI would: SGR colours, an OSC 8 hyperlink, a charset
// switch, and CRLF line ends.
func colourise(out []byte) []byte {
	var b bytes.Buffer
	for _, line := range bytes.SplitAfter(out, []byte("\n")) {
		text, nl := bytes.CutSuffix(line, []byte("\n"))
		if len(text) > 0 {
			b.WriteString("\x1b[1;31m\x1b]8;;https://example.com\x07\x1b(B")
			half := len(text) / 2
			b.Write(text[:half])
			b.WriteString("\x1b[0m\x1b]8;;\x1b\\")
			b.Write(text[half:])
			b.WriteString("\x1b[K")
		}
		if nl {
			b.WriteString("\r\n")
		}
	}
	return b.Bytes()
}

// evidenceTap is what supervise reads evidence from: a Tap or a TailTap.
type evidenceTap interface {
	Write([]byte) (int, error)
	Flush()
	Hits() []Hit
	Structured() []Hit
	Live() *Hit
}

func runFixture(t *testing.T, m *Matcher, f fixture.Fixture, input []byte, chunk int) Verdict {
	t.Helper()
	return runFixtureTap(t, m, f, m.Tap(Stream(f.Stream), nil), input, chunk)
}

func runFixtureTap(t *testing.T, m *Matcher, f fixture.Fixture, tap evidenceTap, input []byte, chunk int) Verdict {
	t.Helper()
	switch {
	case chunk < 0:
		for _, line := range bytes.SplitAfter(input, []byte("\n")) {
			tap.Write(line)
		}
	case chunk == 0:
		tap.Write(input)
	default:
		for len(input) > 0 {
			n := min(chunk, len(input))
			tap.Write(input[:n])
			input = input[n:]
		}
	}
	tap.Flush()
	return Judge(fixtureEvidence(f, tap), m, f.Now, f.Loc)
}

// fixtureEvidence gathers a tap's evidence as supervise does: an interactive run is stopped on the
// first framed terminal hit.
func fixtureEvidence(f fixture.Fixture, taps ...evidenceTap) Evidence {
	ev := Evidence{ExitCode: f.Exit}
	for _, t := range taps {
		ev.Hits = append(ev.Hits, t.Hits()...)
		ev.Structured = append(ev.Structured, t.Structured()...)
		if l := t.Live(); l != nil && f.Interactive && ev.Live == nil {
			ev.Live, ev.Stopped = l, true
		}
	}
	return ev
}

func TestFixtures(t *testing.T) {
	all := loadFixtures(t)
	for pack := range all {
		if Pack(pack) == nil {
			t.Errorf("fixtures of %s, which has no pack", pack)
		}
	}
	for _, pack := range PackNames() {
		m, err := Compile(Pack(pack))
		if err != nil {
			t.Fatal(err)
		}
		// The matcher exec uses: built on its first tap.
		lazy := CompileLazy(Pack(pack))
		if len(all[pack]) < 5 {
			t.Errorf("pack %s has only %d fixtures", pack, len(all[pack]))
		}
		for _, f := range all[pack] {
			t.Run(f.Name(), func(t *testing.T) {
				type variant struct {
					name  string
					in    []byte
					chunk int
					tail  bool
				}
				variants := []variant{
					{"plain", f.Out, 0, false},
					{"ansi-crlf", colourise(f.Out), 0, false},
					{"ansi-bytewise", colourise(f.Out), 1, false},
					{"ansi-chunks-7", colourise(f.Out), 7, false},
					{"line-per-write", f.Out, -1, false},
				}
				if !f.Interactive {
					// Judged from its tail at the end, as a batch run or a run on pipes is: the same
					// verdict, also after a megabyte of log lines has pushed the start out of the ring
					// (an event stream is JSON from its first line, so it takes no such prefix).
					variants = append(variants, variant{"tail-plain", f.Out, 0, true},
						variant{"tail-ansi-chunks-7", colourise(f.Out), 7, true}, variant{"tail-line-per-write", f.Out, -1, true})
					if !bytes.HasPrefix(bytes.TrimSpace(f.Out), []byte("{")) && !bytes.HasPrefix(bytes.TrimSpace(f.Out), []byte("[")) {
						variants = append(variants, variant{"tail-after-noise", append(logNoise(1<<20), colourise(f.Out)...), 4096, true})
					}
				}
				for _, v := range variants {
					var got Verdict
					if v.tail {
						got = runFixtureTap(t, lazy, f, lazy.TailTap(Stream(f.Stream), nil, time.Time{}), v.in, v.chunk)
					} else {
						got = runFixture(t, m, f, v.in, v.chunk)
					}
					if got.String() != f.Expect {
						t.Errorf("%s: verdict %s, want %s (source %s)", v.name, got, f.Expect, f.Source)
					}
					if f.Rule != "" && got.Rule != f.Rule {
						t.Errorf("%s: rule %q, want %q", v.name, got.Rule, f.Rule)
					}
					switch {
					case f.Reset == "":
					case f.Reset == "none":
						if got.ResetAt != nil {
							t.Errorf("%s: reset %v, want none", v.name, got.ResetAt)
						}
					default:
						want, _ := time.Parse(time.RFC3339, f.Reset)
						if got.ResetAt == nil || !got.ResetAt.Equal(want) {
							t.Errorf("%s: reset %v, want %v", v.name, got.ResetAt, want)
						}
					}
				}
			})
		}
	}
}

// logNoise is about n bytes of coloured build-log lines that no pack matches.
func logNoise(n int) []byte {
	var b []byte
	for i := 0; len(b) < n; i++ {
		b = fmt.Appendf(b, "\x1b[32mINFO\x1b[0m compiling crate-%d v0.%d.0 in %d.%02ds\n", i, i%9, i%5, i%100)
	}
	return b
}

// Every fixture of one pack must not trip another pack into a route verdict it does not mean:
// a Codex usage limit is not a GitHub failure. (Cross-pack noise is what a combined matcher sees.)
func TestFixturesAllPacksTogether(t *testing.T) {
	var rules []OutputRule
	for _, p := range PackNames() {
		rules = append(rules, Pack(p)...)
	}
	m, err := Compile(rules)
	if err != nil {
		t.Fatal(err)
	}
	for _, fs := range loadFixtures(t) {
		for _, f := range fs {
			got := runFixture(t, m, f, colourise(f.Out), 3)
			if got.String() != f.Expect {
				t.Errorf("%s with every pack: %s, want %s", f.Name(), got, f.Expect)
			}
		}
	}
}

// fixtureScore judges every fixture (plain and ANSI-dressed, with its pack and with every pack
// together) and counts: a positive is right only with its exact verdict; a negative that comes out
// as a route failure is a false failover.
type fixtureScore struct {
	positives, negatives, truePos, falsePos, wrongClass, missed int
}

func (s fixtureScore) precision() float64 {
	return float64(s.truePos) / float64(max(1, s.truePos+s.falsePos+s.wrongClass))
}
func (s fixtureScore) recall() float64 { return float64(s.truePos) / float64(max(1, s.positives)) }

func scoreFixtures(t testing.TB) fixtureScore {
	var all []OutputRule
	for _, p := range PackNames() {
		all = append(all, Pack(p)...)
	}
	together, err := Compile(all)
	if err != nil {
		t.Fatal(err)
	}
	var s fixtureScore
	for pack, fs := range loadFixtures(t) {
		own, err := Compile(Pack(pack))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			for _, m := range []*Matcher{own, together} {
				for _, in := range [][]byte{f.Out, colourise(f.Out)} {
					tap := m.Tap(Stream(f.Stream), nil)
					tap.Write(in)
					tap.Flush()
					got := Judge(fixtureEvidence(f, tap), m, f.Now, f.Loc)
					switch {
					case f.Negative():
						s.negatives++
						if got.IsRouteFailure() {
							s.falsePos++
						}
					default:
						s.positives++
						switch {
						case got.String() == f.Expect:
							s.truePos++
						case got.IsRouteFailure():
							s.wrongClass++
						default:
							s.missed++
						}
					}
				}
			}
		}
	}
	return s
}

// TestFixtureScore: no negative may fail over and no positive may be missed; -v prints the figures.
func TestFixtureScore(t *testing.T) {
	s := scoreFixtures(t)
	t.Logf("%d judgements (%d positive, %d negative): precision %.3f, recall %.3f; %d false failovers, %d wrong class, %d missed",
		s.positives+s.negatives, s.positives, s.negatives, s.precision(), s.recall(), s.falsePos, s.wrongClass, s.missed)
	if s.falsePos+s.wrongClass+s.missed > 0 {
		t.Errorf("precision %.3f, recall %.3f", s.precision(), s.recall())
	}
}

// BenchmarkFixtureScore reports the precision and recall over the fixtures, and what judging them
// costs.
func BenchmarkFixtureScore(b *testing.B) {
	var s fixtureScore
	for b.Loop() {
		s = scoreFixtures(b)
	}
	n := s.positives + s.negatives
	b.ReportMetric(s.precision(), "precision")
	b.ReportMetric(s.recall(), "recall")
	b.ReportMetric(float64(s.positives), "positives")
	b.ReportMetric(float64(s.negatives), "negatives")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(max(1, n)), "ns/judgement")
}
