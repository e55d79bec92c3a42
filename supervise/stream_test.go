//go:build unix

package supervise

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// A grandchild that leaves the child's process group (setsid) and keeps its stdout is not killed with
// the group, so Run stops reading after drainTimeout: both when it is silent (the reader waits in
// poll and the wake pipe ends it) and when it floods (the reader never waits, and the cut flag ends
// it).
func TestRunCutsReadsOfEscapedGrandchild(t *testing.T) {
	if _, err := exec.LookPath("setsid"); err != nil {
		t.Skip("no setsid(1)")
	}
	for _, mode := range []PTYMode{PTYNever, PTYAlways} {
		for _, gc := range []struct{ name, cmd string }{{"silent", "sleep 60"}, {"flood", "yes"}} {
			t.Run(string(mode)+"/"+gc.name, func(t *testing.T) {
				pidf := filepath.Join(t.TempDir(), "gc")
				t.Cleanup(func() {
					if b, err := os.ReadFile(pidf); err == nil {
						if pid, err := strconv.Atoi(string(b)); err == nil {
							_ = syscall.Kill(pid, syscall.SIGKILL)
						}
					}
				})
				out := &headWriter{max: 64 << 10}
				s := newSession(t, SessionOptions{Stdout: out, PTY: mode})
				script := `setsid sh -c 'printf %s $$ > "$0"; exec ` + gc.cmd + `' "$1" & echo bye; while [ ! -s "$1" ]; do sleep 0.01; done`
				start := time.Now()
				o := s.Run(context.Background(), Attempt{Argv: []string{"sh", "-c", script, "sh", pidf}})
				d := time.Since(start)
				if o.ExitCode != 0 {
					t.Fatalf("exit %d", o.ExitCode)
				}
				if d < drainTimeout {
					t.Fatalf("Run returned after %v, before the drain timeout: it did not wait for the output", d)
				}
				if d > 5*drainTimeout {
					t.Fatalf("Run took %v: the grandchild's stdout kept it reading", d)
				}
				if !strings.Contains(out.head(), "bye") {
					t.Fatalf("stdout lacks the child's output: %.200q", out.head())
				}
			})
		}
	}
}

// headWriter keeps the first max bytes written to it (a flood must not fill the test's memory).
type headWriter struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (w *headWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if room := w.max - len(w.buf); room > 0 {
		w.buf = append(w.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (w *headWriter) head() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.buf)
}

func TestStreamReader(t *testing.T) {
	pipe := func() (r, w *os.File) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close(); w.Close() })
		return r, w
	}
	buf := make([]byte, 16)

	t.Run("data then EOF", func(t *testing.T) {
		r, w := pipe()
		wakeR, _ := pipe()
		sr := newStreamReader(r, wakeR, new(atomic.Bool))
		go func() { time.Sleep(20 * time.Millisecond); w.WriteString("hello"); w.Close() }()
		n, err := sr.Read(buf) // waits in poll: nothing is there yet
		if err != nil || string(buf[:n]) != "hello" {
			t.Fatalf("Read = %q, %v", buf[:n], err)
		}
		if n, err := sr.Read(buf); n != 0 || err != io.EOF {
			t.Fatalf("after the writer closed: %d, %v; want EOF", n, err)
		}
	})
	t.Run("wake ends a wait", func(t *testing.T) {
		r, _ := pipe()
		wakeR, wakeW := pipe()
		sr := newStreamReader(r, wakeR, new(atomic.Bool))
		go func() { time.Sleep(20 * time.Millisecond); wakeW.Close() }()
		if _, err := sr.Read(buf); err != errSessionClosed {
			t.Fatalf("Read = %v, want errSessionClosed", err)
		}
	})
	t.Run("cut ends a stream that never runs dry", func(t *testing.T) {
		r, w := pipe()
		wakeR, _ := pipe()
		cut := new(atomic.Bool)
		sr := newStreamReader(r, wakeR, cut)
		if _, err := w.Write(make([]byte, 4096)); err != nil {
			t.Fatal(err)
		}
		if n, err := sr.Read(buf); n != len(buf) || err != nil {
			t.Fatalf("Read = %d, %v", n, err)
		}
		cut.Store(true)
		if n, err := sr.Read(buf); n != 0 || err != errSessionClosed {
			t.Fatalf("Read after cut with data pending = %d, %v; want errSessionClosed", n, err)
		}
	})
	t.Run("pty whose slave closed is EOF", func(t *testing.T) {
		m, s, err := pty.Open()
		if err != nil {
			t.Skip("no pty:", err)
		}
		defer m.Close()
		wakeR, _ := pipe()
		sr := newStreamReader(m, wakeR, new(atomic.Bool))
		if _, err := s.WriteString("x"); err != nil {
			t.Fatal(err)
		}
		s.Close()
		var got []byte
		for {
			n, err := sr.Read(buf)
			got = append(got, buf[:n]...)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("Read = %v, want the data then EOF", err)
			}
		}
		if string(got) != "x" {
			t.Fatalf("read %q", got)
		}
	})
}
