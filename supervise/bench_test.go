//go:build unix

package supervise

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
)

// Throughput: a producer writes N bytes and one relay passes them on to /dev/null. Ours relays through
// Session.Run; the baseline is the tool the target names (cat in "producer | cat", script(1) for a
// pty). The machine these run on is shared and its speed drifts by tens of percent within minutes, so
// each comparison runs ours and the baseline alternately, in the same iterations, and reports the
// ratio of their median times (above 1: ours is faster) beside each side's median throughput.

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

// versus times ours and theirs alternately (which goes first alternates too) and reports both
// medians as MB/s and their ratio.
func versus(b *testing.B, bytes int, theirName string, ours, theirs func()) {
	var to, tt []time.Duration
	timed := func(f func(), into *[]time.Duration) {
		t := time.Now()
		f()
		*into = append(*into, time.Since(t))
	}
	i := 0
	for b.Loop() {
		if i%2 == 0 {
			timed(ours, &to)
			timed(theirs, &tt)
		} else {
			timed(theirs, &tt)
			timed(ours, &to)
		}
		i++
	}
	mo, mt := medianOf(to), medianOf(tt)
	mbps := func(d time.Duration) float64 { return float64(bytes) / 1e6 / d.Seconds() }
	b.ReportMetric(mbps(mo), "ours-MB/s")
	b.ReportMetric(mbps(mt), theirName+"-MB/s")
	b.ReportMetric(mt.Seconds()/mo.Seconds(), "ratio")
}

func medianOf(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
}

// runRelay runs producer under s, failing the benchmark unless it exits 0.
func runRelay(b *testing.B, s *Session, a Attempt) func() {
	return func() {
		if o := s.Run(context.Background(), a); o.ExitCode != 0 {
			b.Fatal(o)
		}
	}
}

// catRelay runs "producer | cat > /dev/null", os/exec joining the pipe.
func catRelay(b *testing.B, producer []string) func() {
	null := devNull(b)
	return func() {
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

// Log lines written by cat (128 KiB writes): "cat log | oauth-mux exec -- …" against "cat log | cat".
func BenchmarkPipePassthroughVsCat(b *testing.B) {
	s := newSession(b, SessionOptions{Stdout: devNull(b), Stderr: devNull(b), PTY: PTYNever})
	argv := textProducer(b)
	versus(b, pipeBytes, "cat", runRelay(b, s, Attempt{Argv: argv}), catRelay(b, argv))
}

// /dev/zero written 8 KiB at a time by head: many small chunks, each a wake-up of the relay.
func BenchmarkPipePassthroughSmallWritesVsCat(b *testing.B) {
	s := newSession(b, SessionOptions{Stdout: devNull(b), Stderr: devNull(b), PTY: PTYNever})
	versus(b, pipeBytes, "cat", runRelay(b, s, Attempt{Argv: head(pipeBytes)}), catRelay(b, head(pipeBytes)))
}

// The child writes to a pty: oauth-mux's relay of the master against script(1)'s.
func BenchmarkPTYPassthroughVsScript(b *testing.B) {
	if _, err := exec.LookPath("script"); err != nil {
		b.Skip("no script(1)")
	}
	null := devNull(b)
	s := newSession(b, SessionOptions{Stdout: null, Stderr: null, PTY: PTYAlways})
	script := func() {
		c := exec.Command("script", "-qec", "head -c "+strconv.Itoa(ptyBytes)+" /dev/zero", "/dev/null")
		c.Stdout = null
		if err := c.Run(); err != nil {
			b.Fatal(err)
		}
	}
	versus(b, ptyBytes, "script", runRelay(b, s, Attempt{Argv: head(ptyBytes)}), script)
}

// With the codex pack's rules tapping stdout and stderr, as exec runs it.
func BenchmarkPipePassthroughTapped(b *testing.B) {
	m, err := classify.Compile(classify.Pack("codex"))
	if err != nil {
		b.Fatal(err)
	}
	s := newSession(b, SessionOptions{Stdout: devNull(b), Stderr: devNull(b), PTY: PTYNever})
	argv := textProducer(b)
	b.SetBytes(pipeBytes)
	for b.Loop() {
		if o := s.Run(context.Background(), Attempt{Argv: argv, Matcher: m}); o.ExitCode != 0 {
			b.Fatal(o)
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
	b.ReportMetric(float64(medianOf(d).Nanoseconds()), "median-ns")
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

// What a reader spends when the stream runs dry: dryRetries raw reads (with yields) before it sleeps
// in poll. Each op is one dry spell: a byte arrives only after the reader has gone to sleep.
func BenchmarkStreamReaderDrySpell(b *testing.B) {
	r, w, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	wakeR, wakeW, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	defer wakeR.Close()
	defer wakeW.Close()
	sr := newStreamReader(r, wakeR, new(atomic.Bool))
	buf := make([]byte, 1)
	// A stream that has carried data: only then does the reader retry before it sleeps.
	if _, err := w.Write([]byte{'x'}); err != nil {
		b.Fatal(err)
	}
	if _, err := sr.Read(buf); err != nil {
		b.Fatal(err)
	}
	var spin time.Duration
	for b.Loop() {
		t := time.Now()
		// With nothing to read, wait returns when the wake pipe is readable: make it so, then time
		// the retries that come before it.
		if _, err := wakeW.Write([]byte{0}); err != nil {
			b.Fatal(err)
		}
		if _, err := sr.Read(buf); err != errSessionClosed {
			b.Fatal(err)
		}
		spin += time.Since(t)
		if _, err := wakeR.Read(buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(spin.Microseconds())/float64(b.N), "µs/dry-spell")
}
