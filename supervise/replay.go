package supervise

import (
	"io"
	"os"
	"sync"
)

// StdinReplayLimit is how much non-terminal stdin is kept so that a restarted attempt sees it again
// (SPEC §6.2 step 4). Past it the run is not repeatable.
const StdinReplayLimit = 8 << 20

// replay is stdin that is not a terminal: read lazily (only when a child has consumed everything read so
// far), kept up to limit bytes, and replayed from the start to every attempt. One background reader
// owns the underlying stdin for the whole run, so an attempt that ends while a read is blocked loses
// nothing: the bytes land in the buffer for the next attempt.
type replay struct {
	src   io.Reader
	limit int
	// seen records what each attempt was fed, as it is fed (the run's input ring).
	seen io.Writer

	mu       sync.Mutex
	cond     *sync.Cond
	buf      []byte
	base     int64 // stream offset of buf[0]; moves only after an overflow
	eof      bool
	overflow bool
	want     bool
	started  bool
	closed   bool
}

func newReplay(src io.Reader, limit int, seen io.Writer) *replay {
	if seen == nil {
		seen = io.Discard
	}
	r := &replay{src: src, limit: limit, seen: seen}
	r.cond = sync.NewCond(&r.mu)
	return r
}

// Replayable reports whether everything read so far is still buffered.
func (r *replay) replayable() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.overflow
}

func (r *replay) close() {
	r.mu.Lock()
	r.closed = true
	r.cond.Broadcast()
	r.mu.Unlock()
}

func (r *replay) readLoop() {
	chunk := make([]byte, 64*1024)
	for {
		r.mu.Lock()
		for !r.want && !r.closed {
			r.cond.Wait()
		}
		if r.closed {
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		n, err := r.src.Read(chunk)
		r.mu.Lock()
		if n > 0 {
			r.want = false
			if !r.overflow && len(r.buf)+n > r.limit {
				r.overflow = true
			}
			r.buf = append(r.buf, chunk[:n]...)
		}
		if err != nil {
			r.eof = true
		}
		r.cond.Broadcast()
		done := r.eof
		r.mu.Unlock()
		if done {
			return
		}
	}
}

// feeder writes the stream to one attempt's stdin pipe.
type feeder struct {
	r    *replay
	w    *os.File
	once sync.Once
	stop bool // under r.mu
	done chan struct{}
}

func (r *replay) feed(w *os.File) *feeder {
	f := &feeder{r: r, w: w, done: make(chan struct{})}
	r.mu.Lock()
	if !r.started {
		r.started = true
		go r.readLoop()
	}
	r.mu.Unlock()
	go f.run()
	return f
}

func (f *feeder) run() {
	defer close(f.done)
	defer f.closeW()
	r := f.r
	r.mu.Lock()
	pos := r.base
	r.mu.Unlock()
	for {
		r.mu.Lock()
		for !f.stop && !r.closed && pos >= r.base+int64(len(r.buf)) && !r.eof {
			r.want = true
			r.cond.Broadcast()
			r.cond.Wait()
		}
		if f.stop || r.closed || pos >= r.base+int64(len(r.buf)) {
			r.mu.Unlock()
			return
		}
		if pos < r.base {
			pos = r.base
		}
		// buf only grows by append and is replaced (never rewritten) when trimmed, so this slice stays
		// valid without the lock.
		chunk := r.buf[pos-r.base:]
		r.mu.Unlock()
		if len(chunk) > 256*1024 {
			chunk = chunk[:256*1024]
		}
		// Recorded before the child can read it, so its echo is known as input when it comes back.
		_, _ = r.seen.Write(chunk)
		n, err := f.w.Write(chunk)
		pos += int64(n)
		r.mu.Lock()
		if r.overflow && pos-r.base > int64(r.limit/2) {
			// Nothing can be replayed any more: drop what this attempt has consumed.
			r.buf = append([]byte(nil), r.buf[pos-r.base:]...)
			r.base = pos
		}
		r.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (f *feeder) closeW() { f.once.Do(func() { _ = f.w.Close() }) }

// halt stops the feeder; a write blocked on a child that no longer reads is interrupted by the close.
func (f *feeder) halt() {
	f.r.mu.Lock()
	f.stop = true
	f.r.cond.Broadcast()
	f.r.mu.Unlock()
	f.closeW()
	<-f.done
}
