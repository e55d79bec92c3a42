package classify

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

type fixture struct {
	path, source, expect, rule string
	// interactive: the text is a TUI session's screen; the run is stopped on a framed terminal limit
	// as supervise does for an interactive child with --on-limit restart.
	interactive bool
	exit        int
	stream      Stream
	now         time.Time
	loc         *time.Location
	reset       string
	out         []byte
}

func loadFixtures(t testing.TB) map[string][]fixture {
	t.Helper()
	all := map[string][]fixture{}
	files, err := filepath.Glob("testdata/fixtures/*/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, path := range files {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		head, body, ok := bytes.Cut(raw, []byte("---\n"))
		if !ok {
			t.Fatalf("%s: no --- line", path)
		}
		f := fixture{path: path, out: body, stream: Stderr, loc: time.UTC}
		sc := bufio.NewScanner(bytes.NewReader(head))
		for sc.Scan() {
			k, v, _ := strings.Cut(strings.TrimPrefix(sc.Text(), "# "), ": ")
			switch k {
			case "source":
				f.source = v
			case "expect":
				f.expect = v
			case "rule":
				f.rule = v
			case "exit":
				f.exit, _ = strconv.Atoi(v)
			case "stream":
				f.stream = Stream(v)
			case "now":
				f.now, err = time.Parse(time.RFC3339, v)
			case "loc":
				f.loc, err = time.LoadLocation(v)
			case "reset_at":
				f.reset = v
			case "mode":
				if v != "interactive" {
					t.Fatalf("%s: unknown mode %q", path, v)
				}
				f.interactive = true
			case "note":
			default:
				t.Fatalf("%s: unknown header %q", path, k)
			}
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
		}
		if f.source == "" || f.expect == "" {
			t.Fatalf("%s: needs source and expect", path)
		}
		pack := filepath.Base(filepath.Dir(path))
		all[pack] = append(all[pack], f)
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

func runFixture(t *testing.T, m *Matcher, f fixture, input []byte, chunk int) Verdict {
	t.Helper()
	tap := m.Tap(f.stream, nil)
	if chunk <= 0 {
		tap.Write(input)
	} else {
		for len(input) > 0 {
			n := min(chunk, len(input))
			tap.Write(input[:n])
			input = input[n:]
		}
	}
	tap.Flush()
	return Judge(fixtureEvidence(f, tap), m, f.now, f.loc)
}

// fixtureEvidence gathers a tap's evidence as supervise does: an interactive run is stopped on the
// first framed terminal hit.
func fixtureEvidence(f fixture, taps ...*Tap) Evidence {
	ev := Evidence{ExitCode: f.exit}
	for _, t := range taps {
		ev.Hits = append(ev.Hits, t.Hits()...)
		ev.Structured = append(ev.Structured, t.Structured()...)
		if l := t.Live(); l != nil && f.interactive && ev.Live == nil {
			ev.Live, ev.Stopped = l, true
		}
	}
	return ev
}

func TestFixtures(t *testing.T) {
	all := loadFixtures(t)
	total := 0
	for _, pack := range PackNames() {
		m, err := Compile(Pack(pack))
		if err != nil {
			t.Fatal(err)
		}
		if len(all[pack]) < 5 {
			t.Errorf("pack %s has only %d fixtures", pack, len(all[pack]))
		}
		for _, f := range all[pack] {
			total++
			t.Run(strings.TrimSuffix(strings.TrimPrefix(f.path, "testdata/fixtures/"), ".txt"), func(t *testing.T) {
				variants := []struct {
					name  string
					in    []byte
					chunk int
				}{
					{"plain", f.out, 0},
					{"ansi-crlf", colourise(f.out), 0},
					{"ansi-bytewise", colourise(f.out), 1},
					{"ansi-chunks-7", colourise(f.out), 7},
				}
				for _, v := range variants {
					got := runFixture(t, m, f, v.in, v.chunk)
					if got.String() != f.expect {
						t.Errorf("%s: verdict %s, want %s (source %s)", v.name, got, f.expect, f.source)
					}
					if f.rule != "" && got.Rule != f.rule {
						t.Errorf("%s: rule %q, want %q", v.name, got.Rule, f.rule)
					}
					switch {
					case f.reset == "":
					case f.reset == "none":
						if got.ResetAt != nil {
							t.Errorf("%s: reset %v, want none", v.name, got.ResetAt)
						}
					default:
						want, _ := time.Parse(time.RFC3339, f.reset)
						if got.ResetAt == nil || !got.ResetAt.Equal(want) {
							t.Errorf("%s: reset %v, want %v", v.name, got.ResetAt, want)
						}
					}
				}
			})
		}
	}
	if total != len(all["codex"])+len(all["claude"])+len(all["github"]) {
		t.Errorf("fixtures outside the packs: %v", all)
	}
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
	for pack, fs := range loadFixtures(t) {
		for _, f := range fs {
			got := runFixture(t, m, f, colourise(f.out), 3)
			if got.String() != f.expect {
				t.Errorf("%s/%s with every pack: %s, want %s", pack, filepath.Base(f.path), got, f.expect)
			}
		}
	}
}
