//go:build unix

package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

var (
	benchBinOnce sync.Once
	benchBin     string
	benchFloor   string
	benchEmpty   string
	benchBinErr  error
)

// floorMain is a program that links every package oauth-mux links and runs their initialisation, but
// does nothing: what starting a binary of oauth-mux's size costs before any of its own work.
const floorMain = "package main\n\nimport _ \"github.com/oauth-mux/oauth-mux/cmd\"\n\nfunc main() {}\n"

// emptyMain is the least any Go program costs to start.
const emptyMain = "package main\n\nfunc main() {}\n"

// buildOauthMux builds the real cmd/oauth-mux once per test binary, as `just build` does (static,
// CGO_ENABLED=0): the benchmark measures the shipped program, not the test binary (whose start-up also
// runs every test package's init). Beside it, the floor program and the empty one, compiled from an
// overlay so that nothing is written into the source tree.
func buildOauthMux(b *testing.B) (bin, floor, empty string) {
	b.Helper()
	benchBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "omux-bench")
		if err != nil {
			benchBinErr = err
			return
		}
		benchBin, benchFloor, benchEmpty = filepath.Join(dir, "oauth-mux"), filepath.Join(dir, "floor"), filepath.Join(dir, "empty")
		// The package dir is cmd/oauth-mux; the builds run from the module root.
		wd, err := filepath.Abs(filepath.Join("..", ".."))
		if err != nil {
			benchBinErr = err
			return
		}
		floorSrc, emptySrc, overlay := filepath.Join(dir, "floor.go"), filepath.Join(dir, "empty.go"), filepath.Join(dir, "overlay.json")
		ov, _ := json.Marshal(map[string]map[string]string{"Replace": {
			filepath.Join(wd, "internal", "benchfloor", "main.go"): floorSrc,
			filepath.Join(wd, "internal", "benchempty", "main.go"): emptySrc,
		}})
		if err := errors.Join(os.WriteFile(floorSrc, []byte(floorMain), 0o600), os.WriteFile(emptySrc, []byte(emptyMain), 0o600), os.WriteFile(overlay, ov, 0o600)); err != nil {
			benchBinErr = err
			return
		}
		for _, args := range [][]string{
			{"build", "-o", benchBin, "./cmd/oauth-mux"},
			{"build", "-overlay", overlay, "-o", benchFloor, "./internal/benchfloor"},
			{"build", "-overlay", overlay, "-o", benchEmpty, "./internal/benchempty"},
		} {
			c := exec.Command("go", args...)
			c.Dir = wd
			c.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := c.CombinedOutput(); err != nil {
				benchBinErr = &buildError{err, string(out)}
				return
			}
		}
	})
	if benchBinErr != nil {
		b.Fatal(benchBinErr)
	}
	return benchBin, benchFloor, benchEmpty
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkExecOverhead is the latency oauth-mux exec adds to a no-op child: each iteration runs `true`
// directly and `oauth-mux exec -- true`, and the metrics are the medians (a mean would be dominated by
// the odd fsync stall of a shared disk). Target: added-median-ms ≤ 5.
func BenchmarkExecOverhead(b *testing.B) {
	bin, floor, empty := buildOauthMux(b)
	truePath, err := exec.LookPath("true")
	if err != nil {
		b.Skip("no true")
	}
	for _, bc := range []struct{ name, account string }{
		// An account with its own config dir: nothing to write before the child starts.
		{"config_dir", `"a1": {"config_dir": "~/c1", "secret": {"backend": "file", "path": "~/c1/auth.json"}}`},
		// A managed config dir under the state dir: the credential is copied there for each run.
		{"managed", `"a1": {"secret": {"backend": "file", "path": "~/c1/auth.json"}}`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			dir := b.TempDir()
			home := filepath.Join(dir, "home")
			if err := os.MkdirAll(filepath.Join(home, "c1"), 0o700); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(home, "c1", "auth.json"), []byte(`{"tokens": {"access_token": "tok", "refresh_token": "ref"}}`), 0o600); err != nil {
				b.Fatal(err)
			}
			cfg := filepath.Join(dir, "config.json")
			if err := os.WriteFile(cfg, []byte(`{"version": 1, "providers": {"codex": {"kind": "codex", "config_dir_env": "CODEX_HOME", "accounts": {`+
				bc.account+`}}}, "profiles": {"p": {"providers": ["codex:a1#codex-max"]}}}`), 0o600); err != nil {
				b.Fatal(err)
			}
			env := append(os.Environ(), "HOME="+home, "OMUX_STATE_DIR="+filepath.Join(home, "state"), "OMUX_CONFIG=", "OMUX_ACTIVE_PROVIDER=")
			run := func(name string, args ...string) time.Duration {
				c := exec.Command(name, args...)
				c.Env, c.Dir = env, dir
				t0 := time.Now()
				if out, err := c.CombinedOutput(); err != nil {
					b.Fatalf("%s: %v\n%s", name, err, out)
				}
				return time.Since(t0)
			}
			run(bin, "--config", cfg, "exec", "--profile", "p", "--", truePath) // the first run creates the state dir
			direct := make([]time.Duration, 0, b.N)
			wrapped := make([]time.Duration, 0, b.N)
			version := make([]time.Duration, 0, b.N)
			floors := make([]time.Duration, 0, b.N)
			empties := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				direct = append(direct, run(truePath))
				wrapped = append(wrapped, run(bin, "--config", cfg, "exec", "--profile", "p", "--", truePath))
				b.StopTimer()
				version = append(version, run(bin, "version"))
				floors = append(floors, run(floor))
				empties = append(empties, run(empty))
				b.StartTimer()
			}
			b.StopTimer()
			md, mw, mv, mf, me := median(direct), median(wrapped), median(version), median(floors), median(empties)
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
			b.ReportMetric(ms(mw), "median-ms")
			b.ReportMetric(ms(md), "direct-median-ms")
			b.ReportMetric(ms(mw-md), "added-median-ms")
			// What exec adds beyond starting the binary at all (`oauth-mux version`: runtime, package
			// init, kong): config, catalog, store, prepare, the child's start and the record.
			b.ReportMetric(ms(mw-mv-md), "exec-work-median-ms")
			// Starting a binary that links what oauth-mux links and does nothing, over `true`: the
			// part of the added latency that is the platform's, not exec's.
			b.ReportMetric(ms(mf-md), "floor-added-median-ms")
			// Starting an empty Go program, over `true`.
			b.ReportMetric(ms(me-md), "empty-go-added-median-ms")
		})
	}
}
