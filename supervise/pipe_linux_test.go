package supervise

import (
	"bytes"
	"io"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

func pipeSizeOf(t *testing.T, f *os.File) int {
	t.Helper()
	n, err := unix.FcntlInt(f.Fd(), unix.F_GETPIPE_SZ, 0)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestReplayGrowsTheCallersPipe: once a child streams its stdin, the caller's pipe is enlarged like
// oauth-mux's own, and every byte still arrives in order; a child that reads nothing leaves it alone.
func TestReplayGrowsTheCallersPipe(t *testing.T) {
	// Growing fails once this user's pipe pages reach fs.pipe-user-pages-soft (other tests in
	// parallel grow pipes too): then there is nothing to check.
	if pr, pw, err := os.Pipe(); err == nil {
		_, err := unix.FcntlInt(pr.Fd(), unix.F_SETPIPE_SZ, pipeSize)
		pr.Close()
		pw.Close()
		if err != nil {
			t.Skipf("cannot grow a pipe to %d bytes here: %v", pipeSize, err)
		}
	}
	wakeR, wakeW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer wakeR.Close()
	defer wakeW.Close()
	src := func() (*os.File, *os.File, *replay) {
		sr, sw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sr.Close(); sw.Close() })
		if before := pipeSizeOf(t, sr); before >= pipeSize {
			t.Skipf("pipes start at %d bytes here", before)
		}
		return sr, sw, newReplay(&pollReader{fd: int(sr.Fd()), wake: int(wakeR.Fd())}, StdinReplayLimit, nil)
	}

	sr, sw, r := src()
	data := bytes.Repeat([]byte("0123456789abcdef"), (2*streamRead)/16)
	go func() { _, _ = sw.Write(data); sw.Close() }()
	if got := feedAll(t, r, -1); !bytes.Equal(got, data) {
		t.Fatalf("the child read %d bytes, not the %d written", len(got), len(data))
	}
	r.close()
	if got := pipeSizeOf(t, sr); got != pipeSize {
		t.Errorf("the caller's pipe is %d bytes after a streaming child, want %d", got, pipeSize)
	}

	// A child that reads nothing: the pipe keeps its size.
	sr2, sw2, r2 := src()
	before := pipeSizeOf(t, sr2)
	go func() { _, _ = sw2.Write([]byte("hello\n")) }()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	f := r2.feed(pw)
	buf := make([]byte, 6)
	if _, err := io.ReadFull(pr, buf); err != nil {
		t.Fatal(err)
	}
	f.halt()
	r2.close() // halt closed pw
	pr.Close()
	if got := pipeSizeOf(t, sr2); got != before {
		t.Errorf("the caller's pipe went from %d to %d bytes for a child that read 6", before, got)
	}
}

// TestGrowSharedPipeOnlyGrows: a pipe already larger than asked is not shrunk; a smaller one grows.
func TestGrowSharedPipeOnlyGrows(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	const big = 256 << 10
	if _, err := unix.FcntlInt(r.Fd(), unix.F_SETPIPE_SZ, big); err != nil {
		t.Skipf("cannot make a %d-byte pipe here: %v", big, err)
	}
	growSharedPipe(int(r.Fd()), big/2)
	if got := pipeSizeOf(t, r); got != big {
		t.Errorf("a %d-byte pipe asked to be %d became %d bytes", big, big/2, got)
	}
	growSharedPipe(int(r.Fd()), 2*big)
	if got := pipeSizeOf(t, r); got != 2*big {
		t.Errorf("a %d-byte pipe asked to be %d became %d bytes", big, 2*big, got)
	}
}
