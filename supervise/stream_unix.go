//go:build unix

package supervise

import (
	"io"
	"os"
	"runtime"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// streamReader reads one of the child's output streams: a pipe or pty master that only oauth-mux
// holds, so it can be made non-blocking without touching anyone else's file description (unlike
// stdin, which pollReader reads).
//
// A read that finds data is a raw read(2): it cannot block, so it needs none of the runtime's
// blocking-syscall bookkeeping, and a child that streams is relayed with one system call per chunk
// in, one out, as cat does. That bookkeeping (the goroutine's thread parks, another thread takes
// over its P and hands it back) cost a third of the throughput of a pty, where chunks are at most
// 4 KiB.
//
// A read that finds nothing, once the stream has carried data, is retried a few times (yielding in
// between) before the reader sleeps in poll(2) on the stream and the wake pipe. A relay that drains faster than the child writes would
// otherwise sleep after every chunk, and the child pays for waking it on each write: with 8 KiB
// writes that cost a quarter of the throughput. The retries cost some tens of microseconds of CPU
// each time the child falls quiet (BenchmarkStreamReaderDrySpell).
type streamReader struct {
	fd, wake int
	cut      *atomic.Bool // set when the run stops reading: a stream that never runs dry still ends
	// flowing is set by the first read that found data: before it the child has printed nothing
	// (it is starting, or prints nothing at all) and spinning would only take CPU from its start.
	flowing bool
}

// dryRetries is how many times a read that found nothing is retried before the reader sleeps.
const dryRetries = 32

func newStreamReader(f, wake *os.File, cut *atomic.Bool) *streamReader {
	r := &streamReader{fd: fdOf(f), wake: fdOf(wake), cut: cut}
	_ = unix.SetNonblock(r.fd, true)
	return r
}

func (r *streamReader) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	spins := 0
	for {
		if r.cut.Load() {
			return 0, errSessionClosed
		}
		n, e := rawRead(r.fd, b)
		switch e {
		case 0:
			if n == 0 {
				return 0, io.EOF
			}
			r.flowing = true
			return int(n), nil
		case unix.EINTR:
		case unix.EAGAIN:
			if r.flowing && spins < dryRetries {
				spins++
				runtime.Gosched()
				continue
			}
			spins = 0
			if err := r.wait(); err != nil {
				return 0, err
			}
		case unix.EIO:
			// A pty master whose slaves are all closed: the child's terminal is gone.
			return 0, io.EOF
		default:
			return 0, e
		}
	}
}

// wait blocks until the stream has data or has ended, or the wake pipe is closed.
func (r *streamReader) wait() error {
	fds := []unix.PollFd{{Fd: int32(r.fd), Events: unix.POLLIN}, {Fd: int32(r.wake), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(fds, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if fds[1].Revents != 0 {
			return errSessionClosed
		}
		if fds[0].Revents&unix.POLLNVAL != 0 {
			return os.ErrClosed
		}
		return nil
	}
}
