package supervise

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"testing"
	"time"
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

func BenchmarkPipePassthroughCat(b *testing.B) {
	null := devNull(b)
	b.SetBytes(pipeBytes)
	for b.Loop() {
		prod := exec.Command(head(pipeBytes)[0], head(pipeBytes)[1:]...)
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
