package supervise

import (
	"bytes"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"os"
	"testing"
	"testing/iotest"
	"time"
)

// feedAll runs one attempt's feeder into a pipe and returns everything the "child" read.
func feedAll(t *testing.T, r *replay, readLimit int) []byte {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	f := r.feed(pw)
	var got []byte
	if readLimit < 0 {
		got, err = io.ReadAll(pr)
	} else {
		got = make([]byte, readLimit)
		_, err = io.ReadFull(pr, got)
	}
	if err != nil {
		t.Fatal(err)
	}
	f.halt()
	_ = pr.Close()
	return got
}

func randomStream(n int) []byte {
	b := make([]byte, n)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// TestReplayFeedsEveryAttemptTheSameBytes: a stream under the limit, read in odd pieces (a pipe
// gives what it has), reaches two attempts byte for byte, the second even though the first read
// only part of it.
func TestReplayFeedsEveryAttemptTheSameBytes(t *testing.T) {
	in := randomStream(3*replayBlock + 12345)
	r := newReplay(iotest.HalfReader(bytes.NewReader(in)), StdinReplayLimit, nil)
	defer r.close()
	if got := feedAll(t, r, 100_000); !bytes.Equal(got, in[:100_000]) {
		t.Fatal("the first attempt's bytes differ")
	}
	if got := feedAll(t, r, -1); !bytes.Equal(got, in) {
		t.Fatalf("the second attempt read %d bytes, not the %d of the stream", len(got), len(in))
	}
	if !r.replayable() {
		t.Fatal("a stream under the limit must stay replayable")
	}
}

// TestReplayPastTheLimitRecyclesBlocks: a stream eight times the limit streams through whole, with
// memory bounded by the read-ahead, not by the stream.
func TestReplayPastTheLimitRecyclesBlocks(t *testing.T) {
	limit := 4 * replayBlock
	in := randomStream(8 * limit)
	r := newReplay(bytes.NewReader(in), limit, nil)
	defer r.close()
	got := feedAll(t, r, -1)
	if sha256.Sum256(got) != sha256.Sum256(in) {
		t.Fatalf("streamed %d bytes of %d, or not the same", len(got), len(in))
	}
	if r.replayable() {
		t.Fatal("a stream past the limit is not replayable")
	}
	r.mu.Lock()
	held := len(r.blocks) + len(r.free)
	r.mu.Unlock()
	if max := aheadFull/replayBlock + 3; held > max {
		t.Fatalf("%d blocks allocated for a %d-byte stream, want at most %d", held, len(in), max)
	}
}

// TestReplayReadsLittleAheadOfAChildThatDoesNotRead: until a child has read a pipe's worth, the
// reader stays within aheadSmall of what was fed, so a child that never reads takes little from a
// pipe the caller's next command may want.
func TestReplayReadsLittleAheadOfAChildThatDoesNotRead(t *testing.T) {
	src := &countingReader{r: bytes.NewReader(make([]byte, 16<<20))}
	r := newReplay(src, StdinReplayLimit, nil)
	defer r.close()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	f := r.feed(pw)
	// Wait until the feeder is stuck on the full pipe.
	for i := 0; i < 200; i++ {
		r.mu.Lock()
		end, pos := r.end, r.pos
		r.mu.Unlock()
		if pos > 0 && end-pos >= aheadSmall {
			break
		}
		sleepBriefly()
	}
	f.halt()
	r.mu.Lock()
	end := r.end
	r.mu.Unlock()
	// The pipe holds at most its default 64 KiB, plus one read ahead of it.
	if end > 256<<10 {
		t.Fatalf("read %d bytes ahead of a child that read nothing", end)
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func sleepBriefly() { time.Sleep(5 * time.Millisecond) }

// TestReplayReadAheadStaysWithinTheLimit: a child that read 4.5 MiB of a 20 MiB pipe and failed
// leaves the run replayable: read-ahead never takes the stream past the limit by itself.
func TestReplayReadAheadStaysWithinTheLimit(t *testing.T) {
	in := randomStream(20 << 20)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() { pw.Write(in); pw.Close() }()
	defer pr.Close()
	r := newReplay(pr, StdinReplayLimit, nil)
	defer r.close()
	if got := feedAll(t, r, 9<<19); !bytes.Equal(got, in[:len(got)]) {
		t.Fatal("the first attempt's bytes differ")
	}
	time.Sleep(100 * time.Millisecond) // the reader would run ahead now, if it could
	if !r.replayable() {
		t.Fatal("4.5 MiB consumed of an 8 MiB limit, and not replayable")
	}
	// Between attempts the reader stays at the limit, so the next attempt starts at byte 0.
	got := feedAll(t, r, 1<<20)
	if !bytes.Equal(got, in[:1<<20]) {
		t.Fatal("the second attempt did not start at the first byte")
	}
}
