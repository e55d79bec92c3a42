package supervise

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
)

// Throughput: a producer writes N bytes, one relay passes them to /dev/null. Ours relays through
// Session.Run (and the tap); the baseline relays through cat ("head | cat", os/exec joining the pipe).

const (
	pipeBytes = 256 << 20
	ptyBytes  = 64 << 20
)

func devNull(b *testing.B) *os.File {
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return f
}

// textProducer writes pipeBytes of log-like lines (cat of one 8 MiB file, 32 times): what the tap
// has to read line by line, unlike /dev/zero's one endless line.
func textProducer(b *testing.B) []string {
	f := filepath.Join(b.TempDir(), "log.txt")
	line := "2026-05-01T10:00:00Z INFO test pkg/foo TestBar (0.01s): ok, no rate limit here, tokens used 1234\n"
	if err := os.WriteFile(f, []byte(strings.Repeat(line, (8<<20)/len(line)+1)[:8<<20]), 0o600); err != nil {
		b.Fatal(err)
	}
	argv := []string{"cat"}
	for range pipeBytes / (8 << 20) {
		argv = append(argv, f)
	}
	return argv
}

func head(n int) []string { return []string{"head", "-c", strconv.Itoa(n), "/dev/zero"} }

func BenchmarkPipePassthroughRun(b *testing.B) {
	s := newSession(b, SessionOptions{Stdout: devNull(b), Stderr: devNull(b), PTY: PTYNever})
	b.SetBytes(pipeBytes)
	for b.Loop() {
		if o := s.Run(context.Background(), Attempt{Argv: head(pipeBytes)}); o.ExitCode != 0 {
			b.Fatal(o)
		}
	}
}

// With the codex pack's rules tapping stdout and stderr, as exec runs it.
func BenchmarkPipePassthroughRunTapped(b *testing.B) {
	m, err := classify.Compile(classify.Pack("codex"))
	if err != nil {
		b.Fatal(err)
	}
	s := newSession(b, SessionOptions{Stdout: devNull(b), Stderr: devNull(b), PTY: PTYNever})
	b.SetBytes(pipeBytes)
	for b.Loop() {
		o := s.Run(context.Background(), Attempt{Argv: textProducer(b), Matcher: m})
		if o.ExitCode != 0 {
			b.Fatal(o)
		}
	}
}

func BenchmarkPipePassthroughCat(b *testing.B) { benchCat(b, head(pipeBytes)) }

func BenchmarkPipePassthroughCatText(b *testing.B) { benchCat(b, textProducer(b)) }

func BenchmarkPipePassthroughRunText(b *testing.B) {
	s := newSession(b, SessionOptions{Stdout: devNull(b), Stderr: devNull(b), PTY: PTYNever})
	argv := textProducer(b)
	b.SetBytes(pipeBytes)
	for b.Loop() {
		if o := s.Run(context.Background(), Attempt{Argv: argv}); o.ExitCode != 0 {
			b.Fatal(o)
		}
	}
}

func benchCat(b *testing.B, producer []string) {
	null := devNull(b)
	b.SetBytes(pipeBytes)
	for b.Loop() {
		prod := exec.Command(producer[0], producer[1:]...)
		relay := exec.Command("cat")
		r, w, err := os.Pipe()
		if err != nil {
			b.Fatal(err)
		}
		prod.Stdout, relay.Stdin, relay.Stdout = w, r, null
		if err := prod.Start(); err != nil {
			b.Fatal(err)
		}
		if err := relay.Start(); err != nil {
			b.Fatal(err)
		}
		w.Close()
		r.Close()
		if err := prod.Wait(); err != nil {
			b.Fatal(err)
		}
		if err := relay.Wait(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPTYPassthroughRun(b *testing.B) {
	s := newSession(b, SessionOptions{Stdout: devNull(b), Stderr: devNull(b), PTY: PTYAlways})
	b.SetBytes(ptyBytes)
	for b.Loop() {
		if o := s.Run(context.Background(), Attempt{Argv: head(ptyBytes)}); o.ExitCode != 0 {
			b.Fatal(o)
		}
	}
}

func BenchmarkPTYPassthroughScript(b *testing.B) {
	if _, err := exec.LookPath("script"); err != nil {
		b.Skip("no script(1)")
	}
	null := devNull(b)
	b.SetBytes(ptyBytes)
	for b.Loop() {
		c := exec.Command("script", "-qec", "head -c "+strconv.Itoa(ptyBytes)+" /dev/zero", "/dev/null")
		c.Stdout = null
		if err := c.Run(); err != nil {
			b.Fatal(err)
		}
	}
}

// Latency: what Run adds to starting and reaping a no-op child. The median is reported as median-ns.
func benchLatency(b *testing.B, run func()) {
	var d []time.Duration
	for b.Loop() {
		t := time.Now()
		run()
		d = append(d, time.Since(t))
	}
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2].Nanoseconds()), "median-ns")
}

func BenchmarkLatencyRunTrue(b *testing.B) {
	s := newSession(b, SessionOptions{PTY: PTYNever})
	benchLatency(b, func() {
		if o := s.Run(context.Background(), Attempt{Argv: []string{"true"}}); o.ExitCode != 0 {
			b.Fatal(o)
		}
	})
}

func BenchmarkLatencyExecTrue(b *testing.B) {
	benchLatency(b, func() {
		if err := exec.Command("true").Run(); err != nil {
			b.Fatal(err)
		}
	})
}
