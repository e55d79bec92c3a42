package supervise

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/creack/pty"
	"github.com/oauth-mux/oauth-mux/classify"
	"golang.org/x/term"
)

var errSessionClosed = errors.New("supervise: session closed")

// PTYMode is the --pty flag.
type PTYMode string

// PTY modes.
const (
	PTYAuto   PTYMode = "auto"   // a pty when stdin and stdout are terminals
	PTYAlways PTYMode = "always" // a pty even without a terminal (stdout becomes the child's terminal)
	PTYNever  PTYMode = "never"  // plain pipes
)

// StderrMode is the --stderr flag.
type StderrMode string

// Stderr modes.
const (
	StderrPipe StderrMode = "pipe" // the child's stderr stays a pipe, judged on its own
	StderrPTY  StderrMode = "pty"  // the child's stderr is the pty, merged with stdout
)

// OnLimit is the --on-limit flag.
type OnLimit string

// On-limit reactions.
const (
	OnLimitRestart OnLimit = "restart" // stop an interactive child that shows a terminal limit
	OnLimitIgnore  OnLimit = "ignore"  // let it run on
)

// SessionOptions configure a Session. Zero values mean: no stdin (/dev/null), discard output, auto,
// pipe, restart.
type SessionOptions struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	PTY    PTYMode
	// StderrMode is named so to keep it apart from the Stderr writer.
	StderrMode StderrMode
	OnLimit    OnLimit
}

// isStopSignal says whether a signal oauth-mux receives ends the run.
func isStopSignal(s syscall.Signal) bool {
	return s == syscall.SIGHUP || s == syscall.SIGINT || s == syscall.SIGTERM
}

// Session holds everything that lives for the whole run: the terminal mode, the stdin pump, the signal
// handlers. Create it once per exec with NewSession and Close it on every path (defer).
type Session struct {
	opts SessionOptions

	in        io.Reader
	out, errw io.Writer
	inFile    *os.File
	outFile   *os.File
	errFile   *os.File
	inTTY     bool
	outTTY    bool
	errTTY    bool
	usePTY    bool
	stdinPTY  bool // the child's stdin is the pty (stdin is a terminal)
	stdinPass bool // the child gets our terminal stdin directly (pipes on a terminal)

	// interactive children are stopped on a terminal limit (--on-limit restart).
	interactive bool

	rawMu    sync.Mutex
	oldState *term.State
	rawFd    int
	raw      atomic.Bool

	wakeR, wakeW *os.File // closing wakeW stops poll-based readers at Close

	mu     sync.Mutex
	cond   *sync.Cond
	master *os.File   // current attempt's pty master; nil between attempts
	group  *procGroup // current child's process group; nil between attempts
	closed bool

	replay *replay    // stdin that is a pipe (not a terminal or a file), buffered for replay
	fileIn *fileInput // stdin that is a regular file, handed to each child
	// input is what reached the children's stdin lately, typed or piped: the taps drop matches of it.
	input *classify.InputRing

	sigCh    chan os.Signal
	sigDone  chan struct{}
	stopSig  atomic.Int32 // first SIGHUP/SIGINT/SIGTERM received
	stopCh   chan struct{}
	stopOnce sync.Once
	intrCh   chan struct{} // ^C typed while no child runs (raw mode turns it into a byte)

	closeOnce sync.Once
}

func fileOf(x any) *os.File {
	f, _ := x.(*os.File)
	return f
}

func isTerminal(f *os.File) bool {
	if f == nil {
		return false
	}
	return term.IsTerminal(fdOf(f))
}

// fdOf reads the descriptor through SyscallConn: File.Fd would switch a pollable file to blocking mode.
func fdOf(f *os.File) int {
	rc, err := f.SyscallConn()
	if err != nil {
		return int(f.Fd())
	}
	fd := -1
	_ = rc.Control(func(u uintptr) { fd = int(u) })
	return fd
}

// NewSession prepares the run: it decides pty or pipes, puts the terminal in raw mode when the child gets
// a pty on it, starts the stdin pump and installs the signal handlers. Close undoes all of it.
func NewSession(opts SessionOptions) (_ *Session, err error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	s := &Session{
		opts:    opts,
		in:      opts.Stdin,
		out:     opts.Stdout,
		errw:    opts.Stderr,
		stopCh:  make(chan struct{}),
		intrCh:  make(chan struct{}, 1),
		sigDone: make(chan struct{}),
		rawFd:   -1,
	}
	s.cond = sync.NewCond(&s.mu)
	if s.out == nil {
		s.out = io.Discard
	}
	if s.errw == nil {
		s.errw = io.Discard
	}
	s.inFile, s.outFile, s.errFile = fileOf(opts.Stdin), fileOf(opts.Stdout), fileOf(opts.Stderr)
	s.inTTY, s.outTTY, s.errTTY = isTerminal(s.inFile), isTerminal(s.outFile), isTerminal(s.errFile)
	switch opts.PTY {
	case PTYAlways:
		if !ptySupported {
			return nil, fmt.Errorf("--pty always needs a pseudo-terminal, which oauth-mux has not on %s; use --pty auto or never (pipes)", runtime.GOOS)
		}
		s.usePTY = true
	case PTYAuto:
		s.usePTY = ptySupported && s.inTTY && s.outTTY
	}
	s.stdinPTY = s.usePTY && s.inTTY
	s.stdinPass = !s.usePTY && s.inTTY
	s.interactive = s.inTTY

	if s.wakeR, s.wakeW, err = os.Pipe(); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	ring := newInputRing()
	s.input = ring
	if s.in != nil && !s.inTTY {
		if s.fileIn = newFileInput(s.inFile, ring); s.fileIn == nil {
			s.replay = newReplay(s.reader(s.in), StdinReplayLimit, ring)
		}
	}
	if s.stdinPTY {
		fd := fdOf(s.inFile)
		st, err := term.MakeRaw(fd)
		if err != nil {
			return nil, fmt.Errorf("cannot put the terminal in raw mode: %w", err)
		}
		s.oldState, s.rawFd = st, fd
		s.raw.Store(true)
		go s.guard(s.stdinPump)
	}

	s.sigCh = make(chan os.Signal, 16)
	signal.Notify(s.sigCh, notified(s.usePTY)...)
	go s.guard(s.signalLoop)
	return s, nil
}

// check fills the defaults and refuses a mode that does not exist.
func (opts *SessionOptions) check() error {
	opts.PTY = cmp.Or(opts.PTY, PTYAuto)
	opts.StderrMode = cmp.Or(opts.StderrMode, StderrPipe)
	opts.OnLimit = cmp.Or(opts.OnLimit, OnLimitRestart)
	switch {
	case opts.PTY != PTYAuto && opts.PTY != PTYAlways && opts.PTY != PTYNever:
		return fmt.Errorf("--pty must be auto, always or never, not %q", opts.PTY)
	case opts.StderrMode != StderrPipe && opts.StderrMode != StderrPTY:
		return fmt.Errorf("--stderr must be pipe or pty, not %q", opts.StderrMode)
	case opts.OnLimit != OnLimitRestart && opts.OnLimit != OnLimitIgnore:
		return fmt.Errorf("--on-limit must be restart or ignore, not %q", opts.OnLimit)
	}
	return nil
}

// guard restores the terminal before a panic in one of our goroutines takes the process down.
func (s *Session) guard(f func()) {
	defer func() {
		if r := recover(); r != nil {
			s.restoreTerminal()
			panic(r)
		}
	}()
	f()
}

func (s *Session) restoreTerminal() {
	s.rawMu.Lock()
	defer s.rawMu.Unlock()
	if s.oldState != nil {
		_ = term.Restore(s.rawFd, s.oldState)
		s.oldState = nil
		s.raw.Store(false)
	}
}

// Close restores the terminal, stops the stdin pump and the signal handlers. It is safe to call more
// than once and from a deferred function during a panic.
func (s *Session) Close() error {
	s.closeOnce.Do(func() {
		s.restoreTerminal()
		if s.sigCh != nil {
			signal.Stop(s.sigCh)
			close(s.sigDone)
		}
		s.mu.Lock()
		s.closed = true
		s.cond.Broadcast()
		s.mu.Unlock()
		if s.replay != nil {
			s.replay.close()
		}
		if s.wakeW != nil {
			_ = s.wakeW.Close()
		}
	})
	return nil
}

// UsesPTY reports whether children run under a pseudo-terminal.
func (s *Session) UsesPTY() bool { return s.usePTY }

// Raw reports whether the user's terminal is in raw mode (so that a line needs "\r\n").
func (s *Session) Raw() bool { return s.raw.Load() }

// stopSignal returns the SIGHUP, SIGINT or SIGTERM that asked oauth-mux to stop, or 0.
func (s *Session) stopSignal() syscall.Signal { return syscall.Signal(s.stopSig.Load()) }

// Stopped is closed when oauth-mux receives SIGHUP, SIGINT or SIGTERM; a planner doing slow work
// between attempts (a token refresh, a lock wait) can give up early.
func (s *Session) Stopped() <-chan struct{} { return s.stopCh }

// Stderr returns a writer for oauth-mux's own messages during the run: on a raw terminal it turns "\n"
// into "\r\n".
func (s *Session) Stderr() io.Writer { return crlfWriter{s} }

type crlfWriter struct{ s *Session }

func (w crlfWriter) Write(p []byte) (int, error) {
	if w.s.raw.Load() && w.s.errTTY {
		if _, err := w.s.errw.Write(toCRLF(nil, p)); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return w.s.errw.Write(p)
}

// toCRLF appends p to dst with every "\n" written as "\r\n".
func toCRLF(dst, p []byte) []byte {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			return append(dst, p...)
		}
		dst = append(dst, p[:i]...)
		dst = append(dst, '\r', '\n')
		p = p[i+1:]
	}
	return dst
}

func (s *Session) signalLoop() {
	for {
		select {
		case <-s.sigDone:
			return
		case sig := <-s.sigCh:
			ss, _ := sig.(syscall.Signal)
			switch {
			case ignoredSignal(ss):
				continue
			case isResize(ss):
				// Resized under the lock: Run clears s.master under it before closing the master, so
				// the ioctl never reaches a closed (or reused) descriptor.
				s.mu.Lock()
				if s.master != nil {
					s.resize(s.master)
				}
				s.mu.Unlock()
				continue
			}
			if isStopSignal(ss) {
				s.stopSig.CompareAndSwap(0, int32(ss))
				s.stopOnce.Do(func() { close(s.stopCh) })
			}
			s.mu.Lock()
			g := s.group
			s.mu.Unlock()
			g.signal(ss)
		}
	}
}

// sizeSource is the terminal whose size the child's pty follows.
func (s *Session) sizeSource() *os.File {
	switch {
	case s.inTTY:
		return s.inFile
	case s.outTTY:
		return s.outFile
	case s.errTTY:
		return s.errFile
	}
	return nil
}

func (s *Session) resize(master *os.File) {
	if src := s.sizeSource(); src != nil {
		if err := pty.InheritSize(src, master); err == nil {
			return
		}
	}
	// A pty of 0x0 confuses full-screen programs; give them the classic size.
	_ = pty.Setsize(master, &pty.Winsize{Rows: 24, Cols: 80})
}

// stdinPump is the one reader of a terminal stdin for the whole run. It writes each chunk to the pty
// master of the attempt that is running, waiting for the next attempt when none is, so keystrokes typed
// between attempts reach the next child.
func (s *Session) stdinPump() {
	r := s.reader(s.in)
	buf := make([]byte, 32*1024)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			_, _ = s.input.Write(buf[:n])
			if !s.deliver(buf[:n]) {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (s *Session) deliver(p []byte) bool {
	for len(p) > 0 {
		s.mu.Lock()
		for s.master == nil && !s.closed {
			if bytes.IndexByte(p, 0x03) >= 0 {
				// Raw mode turned ^C into a byte; with no child to read it, it means "stop waiting".
				select {
				case s.intrCh <- struct{}{}:
				default:
				}
				s.mu.Unlock()
				return true
			}
			s.cond.Wait()
		}
		m, closed := s.master, s.closed
		s.mu.Unlock()
		if closed {
			return false
		}
		n, err := m.Write(p)
		p = p[n:]
		if err != nil {
			// The attempt ended under us; the rest of this chunk was meant for it.
			return true
		}
	}
	return true
}

func (s *Session) setCurrent(master *os.File, g *procGroup) {
	s.mu.Lock()
	s.master, s.group = master, g
	s.cond.Broadcast()
	s.mu.Unlock()
}
