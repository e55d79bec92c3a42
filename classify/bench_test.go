package classify

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

func reportCPU(b *testing.B, start time.Duration, bytes int64) {
	if d := cpuTime() - start; d > 0 {
		b.ReportMetric(float64(bytes)*float64(b.N)/d.Seconds()/1e6, "cpu-MB/s")
	}
}

// benchLog builds about n bytes of what a coding CLI prints under a pty: coloured build, test and
// git output, tool calls, and now and then a line with words the rules care about (limit, token,
// rate, error, 429) that must not hit.
func benchLog(n int) []byte {
	lines := []string{
		"\x1b[32m✓\x1b[0m \x1b[2mpkg/router\x1b[0m TestRouteSelect/priority-failover \x1b[2m(0.01s)\x1b[0m",
		"\x1b[1m\x1b[34m⏺\x1b[0m \x1b[1mBash\x1b[0m(go test ./... -run TestLimiter -count=1)",
		"  ⎿  \x1b[31mFAIL\x1b[0m github.com/acme/api/limiter [build failed]",
		"\x1b[33mwarning\x1b[0m: unused variable `retryAfter` in src/client/rate.rs:42:9",
		"\x1b[36mcommit 3f2a9c1\x1b[0m Merge branch 'feature/token-refresh' into main",
		"npm \x1b[33mWARN\x1b[0m deprecated inflight@1.0.6: This module is not supported, and leaks memory.",
		"\x1b]8;;file:///src/app/server.go\x1b\\server.go\x1b]8;;\x1b\\:118: handler returned 429 for /api/v1/items?page=3",
		"    expected: \x1b[32m\"usage within limit\"\x1b[0m, actual: \x1b[31m\"limit exceeded for tenant 42\"\x1b[0m",
		"\x1b[2K\x1b[1G[=========>          ] 48% 12.3 MiB/s eta 3s",
		"INFO  2026-09-17T14:30:00Z request_id=9f1c method=GET path=/v1/models status=200 duration=12ms",
		"⏺ I'll update the OAuth token refresh logic so the API error is retried with backoff.",
		"diff --git a/internal/quota/window.go b/internal/quota/window.go",
	}
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "%s\r\n", lines[i%len(lines)])
	}
	return b.Bytes()
}

// typedRing is a run's input ring holding what a user typed: the taps of exec always have one.
func typedRing() *InputRing {
	r := NewInputRing(nil)
	r.Write([]byte("fix the failing limiter test; the usage limit reached message must say when it resets\r"))
	return r
}

// BenchmarkTap measures the tap as exec runs it: every pack, the input ring, the event judge looking
// at the first lines; scripts/bench-tap-vs.sh REF compares it with an earlier tree in the same run.
func BenchmarkTap(b *testing.B) {
	var rules []OutputRule
	for _, p := range PackNames() {
		rules = append(rules, Pack(p)...)
	}
	m, err := Compile(rules)
	if err != nil {
		b.Fatal(err)
	}
	for _, size := range []int{4 << 10, 32 << 10} {
		data := benchLog(1 << 20)
		b.Run(fmt.Sprintf("AllPacks/write%dK", size>>10), func(b *testing.B) {
			tap := m.Tap(Stdout, nil).WithInput(typedRing())
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				for p := data; len(p) > 0; {
					n := min(size, len(p))
					tap.Write(p[:n])
					p = p[n:]
				}
			}
			reportCPU(b, start, int64(len(data)))
			if len(tap.Hits()) != 0 {
				b.Fatalf("benchmark log hit %+v", tap.Hits()[0])
			}
		})
	}
	plain := bytes.Repeat([]byte("ok  \tgithub.com/acme/api/handlers\t0.412s\tcoverage: 81.2% of statements\n"), 1<<14)
	b.Run("AllPacks/plain32K", func(b *testing.B) {
		tap := m.Tap(Stdout, nil).WithInput(typedRing())
		b.SetBytes(int64(len(plain)))
		b.ReportAllocs()
		start := cpuTime()
		for b.Loop() {
			for p := plain; len(p) > 0; {
				n := min(32<<10, len(p))
				tap.Write(p[:n])
				p = p[n:]
			}
		}
		reportCPU(b, start, int64(len(plain)))
	})
}

// BenchmarkTapEvents: a `codex exec --json` stream, where the event judge reads every line.
func BenchmarkTapEvents(b *testing.B) {
	m, err := Compile(Pack("codex"))
	if err != nil {
		b.Fatal(err)
	}
	var stream bytes.Buffer
	for stream.Len() < 1<<20 {
		stream.WriteString(`{"type":"item.completed","item":{"id":"item_3","type":"command_execution","command":"bash -lc 'go test ./...'","aggregated_output":"ok  \tgithub.com/acme/api\t0.41s\n","exit_code":0,"status":"completed"}}` + "\n")
		stream.WriteString(`{"type":"item.completed","item":{"id":"item_4","type":"agent_message","text":"The tests pass; I left a note that the usage limit reached message must name the reset."}}` + "\n")
	}
	stream.WriteString(`{"type":"turn.completed","usage":{"input_tokens":1200,"output_tokens":300}}` + "\n")
	data := stream.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		tap := m.Tap(Stdout, nil).WithInput(typedRing())
		for p := data; len(p) > 0; {
			n := min(32<<10, len(p))
			tap.Write(p[:n])
			p = p[n:]
		}
		tap.Flush()
		if s := tap.Structured(); len(s) != 1 || s[0].Class.Class != Success {
			b.Fatalf("structured %+v", s)
		}
	}
	reportCPU(b, start, int64(len(data)))
}
