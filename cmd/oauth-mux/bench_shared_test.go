//go:build unix

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/internal/testredis"
)

// BenchmarkExecSharedHealth: `oauth-mux exec -- true` with health shared on a Redis on loopback
// (one batched read, one clear written by the success) against the same run on the file store
// alone, interleaved. over-file-store is the ratio of the medians (target ≤ 1.1).
func BenchmarkExecSharedHealth(b *testing.B) {
	srv := testredis.Start(b)
	w := newBenchWorld(b)
	truePath, err := exec.LookPath("true")
	if err != nil {
		b.Skip("no true")
	}
	run := func(extra ...string) func() time.Duration {
		return func() time.Duration {
			c := exec.Command(w.bin, "--config", w.cfg, "exec", "--profile", "p", "--", truePath)
			c.Env, c.Dir = append(append([]string{}, w.env...), extra...), w.dir
			t0 := time.Now()
			if out, err := c.CombinedOutput(); err != nil {
				b.Fatalf("%v\n%s", err, out)
			}
			return time.Since(t0)
		}
	}
	shared := run("OMUX_REDIS_URL="+srv.URL(), "OMUX_HOST_ID=bench")
	shared() // the pool's scripts are loaded once per server
	interleave(b, 0, shared, run(), func(ours, base time.Duration) {
		b.ReportMetric(float64(ours)/float64(base), "over-file-store")
	})
}

// BenchmarkSharedConcurrentMarks: 64 processes on 4 machines (state dirs and host ids), each
// hitting a Codex usage limit on its own account at once; every mark must reach the pool, directly
// or through its machine's outbox. lost-marks is how many did not (target 0); outboxed-per-round is
// how many writes the load pushed past the 200 ms timeout into an outbox.
func BenchmarkSharedConcurrentMarks(b *testing.B) {
	const n, machines = 64, 4
	srv := testredis.Start(b)
	accounts := make([]string, n)
	for i := range accounts {
		accounts[i] = fmt.Sprintf("a%d", i)
	}
	w := newBenchWorld(b, accounts...)
	stateOf := func(m int) string { return filepath.Join(w.dir, "home", fmt.Sprintf("machine-%d", m)) }
	if _, err := exec.LookPath("codex"); err != nil {
		b.Skip("the fake codex is not on PATH (run through go test, whose TestMain installs it)")
	}
	// Each account's fake codex prints Codex's real usage-limit line and fails.
	for _, a := range accounts {
		script := "err " + codexLimit + "\nexit 1\n"
		if err := os.WriteFile(filepath.Join(w.dir, "home", "c-"+a, "fakecli.script"), []byte(script), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	lost, outboxed := 0, 0
	var walls []time.Duration
	for range b.N {
		b.StopTimer()
		if _, err := srv.CLI("FLUSHALL"); err != nil {
			b.Fatal(err)
		}
		for m := range machines {
			os.RemoveAll(stateOf(m))
		}
		b.StartTimer()
		var wg sync.WaitGroup
		t0 := time.Now()
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := exec.Command(w.bin, "--config", w.cfg, "exec", "--provider", "codex", "--account", accounts[i], "--capability", "codex-max",
					"--", "codex", "exec", "fix the tests")
				c.Env = append(append([]string{}, w.env...), "OMUX_STATE_DIR="+stateOf(i%machines),
					"OMUX_REDIS_URL="+srv.URL(), fmt.Sprintf("OMUX_HOST_ID=machine-%d", i%machines))
				c.Dir = w.dir
				if out, err := c.CombinedOutput(); exitCodeOf(err) != 201 { // the limit, and no route left
					b.Errorf("%s: %v\n%s", accounts[i], err, out)
				}
			}()
		}
		wg.Wait()
		walls = append(walls, time.Since(t0))
		b.StopTimer()
		// A write that timed out under the load waits in its machine's outbox; the machine's next
		// oauth-mux replays it. Count those, let each machine replay, then count the pool's marks.
		for m := range machines {
			data, _ := os.ReadFile(filepath.Join(stateOf(m), "shared-outbox.jsonl"))
			outboxed += strings.Count(string(data), "\n")
			c := exec.Command(w.bin, "health", "--shared")
			c.Env = append(append([]string{}, w.env...), "OMUX_STATE_DIR="+stateOf(m), "OMUX_REDIS_URL="+srv.URL(), fmt.Sprintf("OMUX_HOST_ID=machine-%d", m))
			if out, err := c.CombinedOutput(); err != nil {
				b.Fatalf("health --shared: %v\n%s", err, out)
			}
		}
		keys, err := srv.CLI("--scan", "--pattern", "om:{default}:m:*")
		if err != nil {
			b.Fatal(err)
		}
		lost += n - len(strings.Fields(keys))
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(lost), "lost-marks")
	b.ReportMetric(float64(outboxed)/float64(b.N), "outboxed-per-round")
	b.ReportMetric(float64(median(walls).Microseconds())/1000, "round-ms")
}
