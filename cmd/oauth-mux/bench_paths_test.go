//go:build unix

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// benchWorld is a sealed home with one codex account (its own config dir, a file secret) and a
// profile p over it: the codex pack's output rules apply to whatever the child prints.
type benchWorld struct {
	bin, dir, cfg string
	env           []string
}

func newBenchWorld(b *testing.B, accounts ...string) *benchWorld {
	b.Helper()
	bin, _, _ := buildOauthMux(b)
	dir := b.TempDir()
	home := filepath.Join(dir, "home")
	if len(accounts) == 0 {
		accounts = []string{"a1"}
	}
	var acc, refs string
	for i, a := range accounts {
		cd := filepath.Join(home, "c-"+a)
		if err := os.MkdirAll(cd, 0o700); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(cd, "auth.json"), []byte(`{"tokens": {"access_token": "tok", "refresh_token": "ref"}}`), 0o600); err != nil {
			b.Fatal(err)
		}
		if i > 0 {
			acc, refs = acc+",", refs+","
		}
		acc += fmt.Sprintf(`%q: {"priority": %d, "config_dir": %q, "secret": {"backend": "file", "path": %q}}`, a, 100-i, cd, filepath.Join(cd, "auth.json"))
		refs += fmt.Sprintf(`"codex:%s#codex-max"`, a)
	}
	cfg := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfg, []byte(`{"version": 1, "providers": {"codex": {"kind": "codex", "config_dir_env": "CODEX_HOME", "accounts": {`+
		acc+`}}}, "profiles": {"p": {"providers": [`+refs+`], "strategy": "f", "affinity_ttl_minutes": 0}}, "strategies": {"f": {"kind": "priority-failover"}}}`), 0o600); err != nil {
		b.Fatal(err)
	}
	env := append(os.Environ(), "HOME="+home, "OMUX_STATE_DIR="+filepath.Join(home, "state"), "OMUX_CONFIG=", "OMUX_ACTIVE_PROVIDER=",
		"OMUX="+bin+" --config "+cfg+" exec --profile p --")
	w := &benchWorld{bin: bin, dir: dir, cfg: cfg, env: env}
	w.sh(b, `$OMUX true`) // the first run creates the state dir
	return w
}

// sh runs script under sh in the world and returns its wall time.
func (w *benchWorld) sh(b *testing.B, script string) time.Duration {
	c := exec.Command("sh", "-c", script)
	c.Env, c.Dir = w.env, w.dir
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	t0 := time.Now()
	if err := c.Run(); err != nil {
		b.Fatalf("%s: %v\n%s", script, err, out.Bytes())
	}
	return time.Since(t0)
}

// writeFile writes size bytes of lines made by line(i) to name in the world's dir.
func (w *benchWorld) writeFile(b *testing.B, name string, size int, line func(i int) string) string {
	b.Helper()
	p := filepath.Join(w.dir, name)
	buf := make([]byte, 0, size+256)
	for i := 0; len(buf) < size; i++ {
		buf = append(buf, line(i)...)
	}
	if err := os.WriteFile(p, buf[:size], 0o600); err != nil {
		b.Fatal(err)
	}
	return p
}

// ansiLine is a coloured log line as build tools and agent CLIs print them.
func ansiLine(i int) string {
	return fmt.Sprintf("\x1b[2m2026-12-02T10:%02d:%02dZ\x1b[0m \x1b[32mINFO\x1b[0m \x1b[1mcompiling\x1b[0m crate-%d v0.%d.%d (/src/crates/c%d) in \x1b[36m%d.%02ds\x1b[0m\n",
		i/60%60, i%60, i%97, i%13, i%7, i%31, i%9, i%100)
}

// interleave runs ours and base alternately b.N times and reports the ratio of base's median to
// ours' (a throughput ratio: 1 is as fast as the baseline) and ours' median throughput.
func interleave(b *testing.B, bytes int64, ours, base func() time.Duration, more ...func(ours, base time.Duration)) {
	ous, bs := make([]time.Duration, 0, b.N), make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		ous = append(ous, ours())
		b.StopTimer()
		bs = append(bs, base())
		b.StartTimer()
	}
	b.StopTimer()
	mo, mb := median(ous), median(bs)
	b.ReportMetric(float64(mb)/float64(mo), "x-baseline")
	b.ReportMetric(float64(mo.Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(mb.Microseconds())/1000, "baseline-median-ms")
	if bytes > 0 {
		b.ReportMetric(float64(bytes)/mo.Seconds()/1e6, "MB/s")
	}
	for _, f := range more {
		f(mo, mb)
	}
}

// BenchmarkExecPipedStdin: a file piped through oauth-mux exec into a child that reads it all, as
// `producer | oauth-mux exec -- agent` runs, against one extra `cat` in the same place. Besides the
// ratio of the whole runs, net-x-baseline is the ratio of throughputs net of each side's run on empty
// input (start-up is measured by BenchmarkExecOverhead; at 8 MiB it is most of the run).
func BenchmarkExecPipedStdin(b *testing.B) {
	for _, size := range []int{8 << 20, 256 << 20} {
		b.Run(fmt.Sprintf("%dMiB", size>>20), func(b *testing.B) {
			w := newBenchWorld(b)
			f := w.writeFile(b, "in.log", size, ansiLine)
			var oursEmpty, baseEmpty []time.Duration
			interleave(b, int64(size),
				func() time.Duration {
					b.StopTimer()
					oursEmpty = append(oursEmpty, w.sh(b, `: | $OMUX sh -c 'cat >/dev/null'`))
					b.StartTimer()
					return w.sh(b, `cat `+f+` | $OMUX sh -c 'cat >/dev/null'`)
				},
				func() time.Duration {
					baseEmpty = append(baseEmpty, w.sh(b, `: | cat | sh -c 'cat >/dev/null'`))
					return w.sh(b, `cat `+f+` | cat | sh -c 'cat >/dev/null'`)
				},
				func(ours, base time.Duration) {
					no, nb := ours-median(oursEmpty), base-median(baseEmpty)
					b.ReportMetric(float64(nb)/float64(no), "net-x-baseline")
				})
		})
	}
}

// BenchmarkExecOutputANSI: a child writing 256 MiB of coloured log lines, oauth-mux's stdout a pipe
// and the codex pack's rules on, against one extra `cat`.
func BenchmarkExecOutputANSI(b *testing.B) {
	w := newBenchWorld(b)
	size := 256 << 20
	f := w.writeFile(b, "out.log", size, ansiLine)
	interleave(b, int64(size),
		func() time.Duration { return w.sh(b, `$OMUX cat `+f+` | cat >/dev/null`) },
		func() time.Duration { return w.sh(b, `cat `+f+` | cat | cat >/dev/null`) })
}

// BenchmarkExecFailover: the first account's child prints Codex's usage-limit notice and exits 1;
// oauth-mux records it and runs the second account's child. The metric is the gap between the first
// child's exit and the second child's start, against the same gap in `a; b` under sh.
func BenchmarkExecFailover(b *testing.B) {
	w := newBenchWorld(b, "a1", "a2")
	stamp := filepath.Join(w.dir, "stamps")
	// The child stamps its end (a1) or its start (a2) in microseconds; date +%s%N is GNU's.
	child := `if [ "$OMUX_ACTIVE_ACCOUNT" = a1 ]; then echo "ERROR: You've hit your usage limit. Try again later." >&2; date +%s%N >> ` + stamp + `.end; exit 1; fi; date +%s%N >> ` + stamp + `.start`
	if err := os.WriteFile(filepath.Join(w.dir, "child.sh"), []byte(child+"\n"), 0o700); err != nil {
		b.Fatal(err)
	}
	gap := func(script string) time.Duration {
		_ = os.Remove(stamp + ".end")
		_ = os.Remove(stamp + ".start")
		w.sh(b, script)
		end, start := readStamp(b, stamp+".end"), readStamp(b, stamp+".start")
		return time.Duration(start - end)
	}
	health := filepath.Join(w.dir, "home", "state")
	interleave(b, 0,
		func() time.Duration {
			// Each run starts from no recorded health, so a1 is tried first again.
			_ = os.RemoveAll(health)
			return gap(`$OMUX sh ./child.sh`)
		},
		func() time.Duration {
			return gap(`OMUX_ACTIVE_ACCOUNT=a1 sh ./child.sh; OMUX_ACTIVE_ACCOUNT=a2 sh ./child.sh`)
		})
}

func readStamp(b *testing.B, p string) int64 {
	b.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	if _, err := fmt.Sscan(string(data), &n); err != nil {
		b.Fatalf("%s: %q", p, data)
	}
	return n
}

// BenchmarkExecConcurrent: 64 `oauth-mux exec -- true` started at once on one state dir, against 64
// on a state dir each; the metric is the ratio of the runs' median wall times (1 is no cost of
// sharing: the health lock is not held through an fsync).
func BenchmarkExecConcurrent(b *testing.B) {
	const n = 64
	w := newBenchWorld(b)
	truePath, err := exec.LookPath("true")
	if err != nil {
		b.Skip("no true")
	}
	state := func(i int) string { return filepath.Join(w.dir, "home", fmt.Sprintf("state-%d", i)) }
	run := func(stateDir string) time.Duration {
		c := exec.Command(w.bin, "--config", w.cfg, "exec", "--profile", "p", "--", truePath)
		c.Env, c.Dir = append(append([]string{}, w.env...), "OMUX_STATE_DIR="+stateDir), w.dir
		t0 := time.Now()
		if out, err := c.CombinedOutput(); err != nil {
			b.Errorf("%v\n%s", err, out)
		}
		return time.Since(t0)
	}
	for i := range n {
		run(state(i)) // each separate state dir exists before the first round
	}
	round := func(dir func(i int) string) []time.Duration {
		ds := make([]time.Duration, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() { defer wg.Done(); ds[i] = run(dir(i)) }()
		}
		wg.Wait()
		return ds
	}
	var shared, separate []time.Duration
	b.ResetTimer()
	for range b.N {
		shared = append(shared, round(func(int) string { return state(0) })...)
		separate = append(separate, round(state)...)
	}
	b.StopTimer()
	ms, mp := median(shared), median(separate)
	b.ReportMetric(float64(ms)/float64(mp), "shared-over-separate")
	b.ReportMetric(float64(ms.Microseconds())/1000, "shared-p50-ms")
	b.ReportMetric(float64(mp.Microseconds())/1000, "separate-p50-ms")
}
