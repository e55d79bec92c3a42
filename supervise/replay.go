package supervise

import (
	"io"
	"os"
	"sync"
)

// StdinReplayLimit is how much non-terminal stdin is kept so that a restarted attempt sees it again
// (SPEC §6.2 step 4). Past it the run is not repeatable.
const StdinReplayLimit = 8 << 20

const (
	// replayBlock is the unit stdin is read into and fed from: fixed blocks, recycled once nothing
	// can be replayed, so a long stream costs a few blocks of memory and no copying.
	replayBlock = 256 << 10
	// aheadSmall is how far the reader may run ahead of the child until the child has shown that it
	// reads its stdin: a child that never reads takes that much (and its pipe's worth) from a pipe
	// the caller's next command may want.
	aheadSmall = 64 << 10
	// aheadFull is the read-ahead once the child has read streamRead bytes: the reader then rarely
	// waits for the writer, and the child's stdin pipe is enlarged like the output pipes.
	aheadFull  = 4 << 20
	streamRead = 256 << 10
)

// replay is stdin that is not a terminal or a regular file (a pipe, a socket): one background reader
// owns it for the whole run and reads into fixed blocks, at most a bounded distance ahead of the
// attempt that consumes it; every attempt is fed from the first byte while the stream still fits in
// limit. An attempt that ends while a read is blocked loses nothing: the bytes land in a block for the
// next attempt.
type replay struct {
	src   io.Reader
	limit int64
	// seen records what each attempt was fed, as it is fed (the run's input ring).
	seen io.Writer

	mu     sync.Mutex
	cond   *sync.Cond
	blocks [][]byte // blocks[i] holds the stream from base+i*replayBlock; only the last is partly filled
	free   [][]byte // recycled blocks
	base   int64    // stream offset of blocks[0]; moves only after an overflow
	end    int64    // bytes read so far
	pos    int64    // how far the current (or last) attempt was fed
	ahead  int64    // how far the reader may read past pos
	mem    blockSource
	// feeding is set while an attempt's feeder runs: the reader passes the limit only for an
	// attempt that has been fed everything up to it and wants more.
	feeding                        bool
	eof, overflow, started, closed bool
}

func newReplay(src io.Reader, limit int, seen io.Writer) *replay {
	if seen == nil {
		seen = io.Discard
	}
	r := &replay{src: src, limit: int64(limit), seen: seen, ahead: aheadSmall}
	r.cond = sync.NewCond(&r.mu)
	return r
}

// replayable reports whether everything read so far is still kept.
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

// space returns the free part of the last block, adding a block when it is full, and how much of it
// the reader may fill now. Called with r.mu held.
func (r *replay) space() []byte {
	used := int(r.end - r.base - int64(len(r.blocks)-1)*replayBlock)
	if len(r.blocks) == 0 || used == replayBlock {
		r.recycle()
		var b []byte
		if n := len(r.free); n > 0 {
			b, r.free = r.free[n-1], r.free[:n-1]
		} else {
			b = r.mem.block(replayBlock)
		}
		r.blocks = append(r.blocks, b)
		used = 0
	}
	room := r.blocks[len(r.blocks)-1][used:]
	if n := r.pos + r.ahead - r.end; n < int64(len(room)) {
		room = room[:n]
	}
	if n := r.limit - r.end; !r.overflow && n > 0 && n < int64(len(room)) {
		// Read-ahead never crosses the limit by itself: the stream stays replayable for as long as
		// the attempts have not read past it.
		room = room[:n]
	}
	return room
}

// mayRead reports whether the reader may read now. Called with r.mu held.
func (r *replay) mayRead() bool {
	switch {
	case r.end-r.pos >= r.ahead:
		return false
	case !r.overflow && r.end >= r.limit:
		// At the limit: only an attempt that has been fed all of it and wants more takes the
		// stream past it (and the run is then not repeatable).
		return r.feeding && r.pos >= r.end
	}
	return true
}

// recycle moves the blocks the attempt has been fed past to the free list (after an overflow only).
func (r *replay) recycle() {
	if !r.overflow {
		return
	}
	n := 0
	for n < len(r.blocks)-1 && r.base+int64(n+1)*replayBlock <= r.pos {
		n++
	}
	if n == 0 {
		return
	}
	r.free = append(r.free, r.blocks[:n]...)
	r.blocks = append(r.blocks[:0], r.blocks[n:]...)
	r.base += int64(n) * replayBlock
}

func (r *replay) readLoop() {
	for {
		r.mu.Lock()
		for !r.closed && !r.mayRead() {
			r.cond.Wait()
		}
		if r.closed {
			r.mu.Unlock()
			return
		}
		// The reader alone writes past r.end, and a feeder reads only below it: the block needs no
		// lock while the read fills it.
		buf := r.space()
		r.mu.Unlock()
		n, err := r.src.Read(buf)
		r.mu.Lock()
		r.end += int64(n)
		if !r.overflow && r.end > r.limit {
			// From here on nothing is replayed, and the blocks the attempt was fed are recycled.
			r.overflow = true
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
	// Each attempt starts from the first byte kept (the whole stream while it is replayable).
	r.pos, r.feeding = r.base, true
	if !r.started {
		r.started = true
		go r.readLoop()
	}
	r.cond.Broadcast()
	r.mu.Unlock()
	go f.run()
	return f
}

// chunk is the next stretch of the stream to feed from pos, without copying. Called with r.mu held;
// the slice stays valid after unlocking because blocks are recycled only below r.pos.
func (r *replay) chunk(pos int64) []byte {
	i := (pos - r.base) / replayBlock
	off := (pos - r.base) % replayBlock
	hi := int64(replayBlock)
	if last := r.base + (i+1)*replayBlock; last > r.end {
		hi -= last - r.end
	}
	return r.blocks[i][off:hi]
}

func (f *feeder) run() {
	defer close(f.done)
	defer f.closeW()
	r := f.r
	grown := false
	for {
		r.mu.Lock()
		for !f.stop && !r.closed && r.pos >= r.end && !r.eof {
			r.cond.Wait()
		}
		if f.stop || r.closed || r.pos >= r.end {
			r.mu.Unlock()
			return
		}
		chunk := r.chunk(r.pos)
		r.mu.Unlock()
		// Recorded before the child can read it, so its echo is known as input when it comes back.
		_, _ = r.seen.Write(chunk)
		n, err := f.w.Write(chunk)
		r.mu.Lock()
		r.pos += int64(n)
		if !grown && r.pos >= streamRead {
			// Past a full pipe's worth, the child is reading: stream at full speed, with both
			// pipes enlarged (the caller's too, when it is a pipe).
			grown = true
			r.ahead = aheadFull
			growPipe(f.w)
			if g, ok := r.src.(interface{ grow() }); ok {
				g.grow()
			}
		}
		r.cond.Broadcast()
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
	f.r.mu.Lock()
	f.r.feeding = false
	f.r.mu.Unlock()
}

// fileInput is stdin that is a regular file: each child gets the file itself, from the offset
// oauth-mux found it at, and leaves it where the child stopped reading, as a shell's `< file` does.
// Nothing is buffered and a restart seeks back, so `while read f; do oauth-mux exec -- x; done < list`
// gives every line to the loop that the child did not read.
type fileInput struct {
	f     *os.File
	start int64
	seen  io.Writer
}

// newFileInput returns the file input of f, or nil when f is not a seekable regular file.
func newFileInput(f *os.File, seen io.Writer) *fileInput {
	if f == nil {
		return nil
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return nil
	}
	off, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil
	}
	if seen == nil {
		seen = io.Discard
	}
	return &fileInput{f: f, start: off, seen: seen}
}

// rewind puts the file at the offset of the first attempt and records the input the child will
// start reading (a CLI may print it back).
func (fi *fileInput) rewind() error {
	if _, err := fi.f.Seek(fi.start, io.SeekStart); err != nil {
		return err
	}
	fi.record(fi.start)
	return nil
}

// consumed records the input just before where the child left the file.
func (fi *fileInput) consumed() {
	end, err := fi.f.Seek(0, io.SeekCurrent)
	if err != nil || end <= fi.start {
		return
	}
	fi.record(max(fi.start, end-fileSeen))
}

// fileSeen is how much of a file stdin is recorded as input at a time: the input ring keeps no more.
const fileSeen = 64 << 10

func (fi *fileInput) record(from int64) {
	buf := make([]byte, fileSeen)
	n, _ := fi.f.ReadAt(buf, from)
	if n > 0 {
		_, _ = fi.seen.Write(buf[:n])
	}
}
