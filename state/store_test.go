package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
)

// The test binary doubles as a helper process: with OMUX_STATE_HELPER set it runs one job against
// OMUX_STATE_HELPER_DIR instead of the tests, so the cross-process tests use real separate processes.
func TestMain(m *testing.M) {
	switch os.Getenv("OMUX_STATE_HELPER") {
	case "":
		os.Exit(m.Run())
	case "increment":
		n, _ := strconv.Atoi(os.Getenv("OMUX_STATE_HELPER_N"))
		if err := incrementN(Open(os.Getenv("OMUX_STATE_HELPER_DIR")), n); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	case "loop":
		s := Open(os.Getenv("OMUX_STATE_HELPER_DIR"))
		os.WriteFile(filepath.Join(os.Getenv("OMUX_STATE_HELPER_DIR"), "ready"), nil, 0o600)
		for i := 0; ; i++ {
			if err := s.Update(func(h *Health) error {
				// Grow and shrink the store so a torn write would show.
				k := fmt.Sprintf("p:a%d#c", i%50)
				apply(h, k, classify.Verdict{Class: classify.RateLimited}, time.Now())
				if i%7 == 0 {
					h.Reset(fmt.Sprintf("p:a%d", (i/7)%50))
				}
				h.CountRun("p:a", time.Now())
				return nil
			}); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
	case "holdlock":
		l, err := LockAccount(t0Ctx(), os.Getenv("OMUX_STATE_HELPER_DIR"), "codex", "max-1", false)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("locked")
		os.Stdin.Read(make([]byte, 1)) // hold until the parent closes our stdin
		l.Release()
		os.Exit(0)
	}
	os.Exit(2)
}

func incrementN(s *Store, n int) error {
	for range n {
		if err := s.Update(func(h *Health) error {
			h.CountRun("p:a", t0)
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

func helper(t *testing.T, job, dir string, extra ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "OMUX_STATE_HELPER="+job, "OMUX_STATE_HELPER_DIR="+dir)
	cmd.Env = append(cmd.Env, extra...)
	cmd.Stderr = os.Stderr
	return cmd
}

func TestUpdateGoroutinesLoseNothing(t *testing.T) {
	dir := fastTempDir(t)
	s := Open(dir)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() { errs <- incrementN(s, 50) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	h, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := h.MonthlyRuns("p:a", t0); got != 16*50 {
		t.Fatalf("counter %d, want %d", got, 16*50)
	}
}

func TestUpdateProcessesLoseNothing(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("flock semantics tested on unix")
	}
	dir := fastTempDir(t)
	var cmds []*exec.Cmd
	for range 16 {
		c := helper(t, "increment", dir, "OMUX_STATE_HELPER_N=50")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, c)
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	h, err := Open(dir).Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := h.MonthlyRuns("p:a", t0); got != 16*50 {
		t.Fatalf("counter %d, want %d", got, 16*50)
	}
	fi, err := os.Stat(Open(dir).Path())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("store mode %v %v", fi.Mode(), err)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temp file left: %s", e.Name())
		}
	}
}

func TestSIGKILLNeverLeavesATornStore(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGKILL")
	}
	dir := fastTempDir(t)
	for round := range 3 {
		c := helper(t, "loop", dir)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			if _, err := os.Stat(filepath.Join(dir, "ready")); err == nil || time.Now().After(deadline) {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(time.Duration(150+round*70) * time.Millisecond)
		c.Process.Signal(syscall.SIGKILL)
		c.Wait()
		os.Remove(filepath.Join(dir, "ready"))
		data, err := os.ReadFile(Open(dir).Path())
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if _, err := ParseHealth(data); err != nil {
			t.Fatalf("round %d: store torn by SIGKILL: %v", round, err)
		}
		s := Open(dir)
		h, err := s.Load()
		if err != nil || len(s.Warnings()) != 0 {
			t.Fatalf("round %d: load %v warnings %v", round, err, s.Warnings())
		}
		if h.MonthlyRuns("p:a", time.Now()) == 0 {
			t.Fatalf("round %d: the loop never wrote", round)
		}
	}
	// The killed writer's lock died with it: a new update goes through at once.
	done := make(chan error, 1)
	go func() { done <- Open(dir).Update(func(*Health) error { return nil }) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("health lock still held after the holder was killed")
	}
}

// The temp file of a write killed before its rename is removed by the next update, under the lock;
// nothing else in the dir is touched.
func TestUpdateRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	s := Open(dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, ".health.json.tmp-123456")
	other := filepath.Join(dir, ".other.json.tmp-1")
	for _, p := range []string{stale, other} {
		if err := os.WriteFile(p, []byte(`{"records":`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Update(func(*Health) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(stale); err == nil {
		t.Error("a stale temp file of the store survived an update")
	}
	if _, err := os.Lstat(other); err != nil {
		t.Errorf("another file went: %v", err)
	}
}

func TestCorruptStoreMovedAside(t *testing.T) {
	for _, content := range []string{"{\"records\": {", "garbage", "", "[1,2]", `{"records":{"a:b":{"score":"high"}}}`} {
		dir := t.TempDir()
		s := Open(dir)
		if err := os.WriteFile(s.Path(), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		h, err := s.Load()
		if err != nil || h == nil || len(h.Records) != 0 {
			t.Fatalf("%q: load %v %v", content, h, err)
		}
		w := s.Warnings()
		if len(w) != 1 || !strings.Contains(w[0], "moved it to health.json.corrupt-") {
			t.Fatalf("%q: warnings %q", content, w)
		}
		matches, _ := filepath.Glob(filepath.Join(dir, "health.json.corrupt-*"))
		if len(matches) != 1 {
			t.Fatalf("%q: moved-aside files %v", content, matches)
		}
		if b, _ := os.ReadFile(matches[0]); string(b) != content {
			t.Fatalf("moved-aside content changed")
		}
		// The store works again, and no second warning appears.
		if err := s.Update(func(h *Health) error { h.CountRun("a:b", t0); return nil }); err != nil {
			t.Fatal(err)
		}
		if h, err := s.Load(); err != nil || h.MonthlyRuns("a:b", t0) != 1 || len(s.Warnings()) != 1 {
			t.Fatalf("after repair: %v %v", err, s.Warnings())
		}
	}
	// Damage found inside Update is handled the same way.
	dir := t.TempDir()
	s := Open(dir)
	os.WriteFile(s.Path(), []byte("{oops"), 0o600)
	if err := s.Update(func(h *Health) error { h.CountRun("a:b", t0); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(s.Warnings()) != 1 {
		t.Fatalf("warnings %v", s.Warnings())
	}
	// Two moves in the same second get distinct names.
	os.WriteFile(s.Path(), []byte("{oops2"), 0o600)
	s.Load()
	if m, _ := filepath.Glob(filepath.Join(dir, "health.json.corrupt-*")); len(m) != 2 {
		t.Fatalf("aside files %v", m)
	}
}

func TestLoadMissingAndUpdateError(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new")
	s := Open(dir)
	h, err := s.Load()
	if err != nil || len(h.Records) != 0 {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("Load created the state dir")
	}
	boom := errors.New("boom")
	if err := s.Update(func(h *Health) error { h.CountRun("a:b", t0); return boom }); err != boom {
		t.Fatalf("fn error %v", err)
	}
	if _, err := os.Stat(s.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("written although fn failed")
	}
	if err := s.Update(func(h *Health) error {
		apply(h, route, classify.Verdict{Class: classify.Success}, t0)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(dir)
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o700 {
		t.Fatalf("state dir mode %v", fi.Mode().Perm())
	}
	h, _ = s.Load()
	if h.Record(route) == nil || h.Record(route).Successes != 1 {
		t.Fatal("update lost")
	}
}

func TestUnknownFieldsKept(t *testing.T) {
	dir := t.TempDir()
	s := Open(dir)
	in := `{"version":3,"future":{"x":1},"records":{"a:b#c":{"score":60,"quarantine":true,
	"liveness":{"state":"live","availability":"available","since":"2026-11-28T12:00:00Z","new_timer":"x"}}}}`
	os.WriteFile(s.Path(), []byte(in), 0o600)
	if err := s.Update(func(h *Health) error {
		apply(h, "a:b#c", classify.Verdict{Class: classify.Success}, t0)
		return nil
	}); err != nil || len(s.Warnings()) != 0 {
		t.Fatal(err, s.Warnings())
	}
	b, _ := os.ReadFile(s.Path())
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m["future"] == nil || m["version"].(float64) != 3 {
		t.Fatalf("top-level unknown lost: %s", b)
	}
	rec := m["records"].(map[string]any)["a:b#c"].(map[string]any)
	if rec["quarantine"] != true || rec["score"].(float64) != 61 {
		t.Fatalf("record unknown lost: %s", b)
	}
	// Case-insensitive known keys are not duplicated as unknown ones.
	h, err := ParseHealth([]byte(`{"Records":{"a:b":{"Score":7}}}`))
	if err != nil || h.Record("a:b").Score != 7 {
		t.Fatal(err)
	}
	out, _ := h.Marshal()
	if strings.Contains(string(out), "Records") || strings.Contains(string(out), "Score") {
		t.Fatalf("duplicated keys: %s", out)
	}
}

func TestParseHealthRepairs(t *testing.T) {
	h, err := ParseHealth([]byte(`{"records":{"a:b":null,"c:d":{"score":999}},"profiles":{"p":null},"runs":{"a:b":null}}`))
	if err != nil {
		t.Fatal(err)
	}
	if h.Record("a:b") != nil || h.Record("c:d").Score != 100 || h.Record("c:d").Circuit.State != CircuitClosed ||
		h.Record("c:d").Liveness.State != StateLive || len(h.Profiles) != 0 || len(h.Runs) != 0 {
		t.Fatalf("%+v", h)
	}
	st := h.Status("c:d", "c:d", t0)
	if !st.Selectable {
		t.Fatalf("%+v", st)
	}
}

// fastTempDir is a temp dir on tmpfs when there is one: the concurrency tests do 800 fsynced
// replacements, which prove locking, not the disk, and would take seconds on a real one.
func fastTempDir(t *testing.T) string {
	t.Helper()
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "omux-state-test-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(d) })
			return d
		}
	}
	return t.TempDir()
}

// TestLateSyncWritesAreVisibleAtOnce: with late sync a write replaces the store before its fsyncs,
// which run in the background; other readers see it at once, Sync waits for them, and a durable write
// after it waits too. Concurrent late writers lose nothing either.
func TestLateSyncWritesAreVisibleAtOnce(t *testing.T) {
	dir := t.TempDir()
	s := Open(dir)
	s.SetLateSync(true)
	now := time.Now()
	if err := s.Apply(t.Context(), CountRun{AccountKey: "codex:a1", At: now}); err != nil {
		t.Fatal(err)
	}
	// Another process's view: a fresh Store on the same dir, before anything was synced.
	if h, err := Open(dir).Load(); err != nil || h.MonthlyRuns("codex:a1", now) != 1 {
		t.Fatalf("a late write is not visible at once: %v, %v", h, err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Apply(t.Context(), CountRun{AccountKey: "codex:a1", At: now}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for i := range 50 {
		if err := s.AppendEvent(t.Context(), Event{Kind: KindExecAttempt, Provider: "codex", Account: "a1", Fields: map[string]any{"attempt": i}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	evs, err := ReadEvents(dir, 0)
	if err != nil || len(evs) != 50 {
		t.Fatalf("after Sync: %d events, %v", len(evs), err)
	}
	for i, ev := range evs {
		if n, _ := ev.Fields["attempt"].(float64); int(n) != i {
			t.Fatalf("event %d is attempt %v: late events must keep their order", i, ev.Fields["attempt"])
		}
	}
	s.SetLateSync(false)
	if err := s.Apply(t.Context(), CountRun{AccountKey: "codex:a1", At: now}); err != nil {
		t.Fatal(err)
	}
	if s.pending != nil {
		t.Fatal("a durable write left a background sync")
	}
	if h, _ := Open(dir).Load(); h.MonthlyRuns("codex:a1", now) != 10 {
		t.Fatalf("runs %d, want 10", h.MonthlyRuns("codex:a1", now))
	}
}

// TestVerdictsOf: a success on a route that is live already changes no verdict (its write need not
// sync the directory); a first success, a limit and a revival do.
func TestVerdictsOf(t *testing.T) {
	h := NewHealth()
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	step := func(v classify.Verdict, at time.Time) bool {
		before := verdictsOf(h)
		apply(h, "codex:a1#codex-max", v, at)
		return !maps.Equal(before, verdictsOf(h))
	}
	if !step(classify.Verdict{Class: classify.Success}, now) {
		t.Error("a first success must count as a verdict")
	}
	if step(classify.Verdict{Class: classify.Success}, now.Add(time.Minute)) {
		t.Error("a second success changed a verdict")
	}
	if !step(classify.Verdict{Class: classify.QuotaExhausted}, now.Add(2*time.Minute)) {
		t.Error("a spent quota is a verdict")
	}
	if !step(classify.Verdict{Class: classify.Success}, now.Add(3*time.Minute)) {
		t.Error("the success that ends a quota window is a verdict")
	}
}

// TestLateWriteKeepsThePreviousVersion: until a late write is synced, the version before it stays
// as health.json.prev; a store left empty by a crash in between is restored from it, not emptied;
// once the write is synced the fallback goes.
func TestLateWriteKeepsThePreviousVersion(t *testing.T) {
	dir := t.TempDir()
	s := Open(dir)
	now := time.Now()
	if err := s.Apply(t.Context(), CountRun{AccountKey: "codex:a1", At: now}); err != nil {
		t.Fatal(err)
	}
	h, _ := s.Load()
	h.CountRun("codex:a1", now)
	data, err := h.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	sync, err := replaceThenSync(s.Path(), data, 0o600, true)
	if err != nil {
		t.Fatal(err)
	}
	prev, err := ParseHealth(mustRead(t, PrevPath(s.Path())))
	if err != nil || prev.MonthlyRuns("codex:a1", now) != 1 {
		t.Fatalf("prev: %v, %v", prev, err)
	}
	if err := sync(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(PrevPath(s.Path())); !os.IsNotExist(err) {
		t.Fatalf("the fallback outlived the sync: %v", err)
	}
	// Again, and this time a crash before the sync leaves an empty store.
	if _, err := replaceThenSync(s.Path(), data, 0o600, true); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.Path(), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	fresh := Open(dir)
	h, err = fresh.Load()
	if err != nil || h.MonthlyRuns("codex:a1", now) != 2 {
		t.Fatalf("after the crash: %v, %v (warnings %v)", h, err, fresh.Warnings())
	}
	if h2, _ := Open(dir).Load(); h2.MonthlyRuns("codex:a1", now) != 2 {
		t.Fatal("the restored version was not put back in place")
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
