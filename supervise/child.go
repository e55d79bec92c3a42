package supervise

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/creack/pty"

	"github.com/oauth-mux/oauth-mux/classify"
)

// child is the plumbing of one attempt between Session.Run's set-up and its collect: the command, the
// pty or pipes it runs on, the copiers and taps on its output, and its process group.
type child struct {
	s    *Session
	a    Attempt
	cmd  *exec.Cmd
	live bool // an interactive child, watched (and maybe stopped) while it runs
	// started is when the attempt began.
	started time.Time
	// limitCh gets a tick when a tap sees a terminal limit that --on-limit restart acts on.
	limitCh chan struct{}
	// Closing wakeW and setting cut end the output copiers' reads (see waitCopies).
	wakeR, wakeW *os.File
	cut          *atomic.Bool

	childEnds []*os.File // the child's copies, closed in the parent once it runs
	readers   []*os.File // our read ends, forced shut if a grandchild keeps them open
	copies    sync.WaitGroup
	master    *os.File
	stdinW    *os.File // the pipe the replay buffer feeds, when stdin is not the terminal
	feed      *feeder
	taps      []tapWriter
	errCopy   func() // the stderr copier, started with the others once set-up is complete
	fgFd      int    // the terminal handed to the child's group, -1 when none
	group     *procGroup
	waitCh    chan struct{} // closed when the child is reaped
}

func (s *Session) newChild(a Attempt, cmd *exec.Cmd) (*child, error) {
	wakeR, wakeW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	// The prompt in the arguments is the user's words too: a CLI echoes it into its transcript.
	s.input.SetArgs(a.Argv[min(1, len(a.Argv)):])
	return &child{s: s, a: a, cmd: cmd, live: s.interactive && !a.Batch, limitCh: make(chan struct{}, 1),
		wakeR: wakeR, wakeW: wakeW, cut: new(atomic.Bool), fgFd: -1, started: time.Now()}, nil
}

func (c *child) onLimit() {
	if c.s.opts.OnLimit == OnLimitRestart && c.live {
		select {
		case c.limitCh <- struct{}{}:
		default:
		}
	}
}

func (c *child) tap(stream classify.Stream) tapWriter {
	t := newTap(c.a.Matcher, stream, c.s.input, c.live, c.started, c.onLimit)
	c.taps = append(c.taps, t)
	return t
}

func (c *child) streamOf(f *os.File) io.Reader { return newStreamReader(f, c.wakeR, c.cut) }

// copy runs a copier of the child's output until it ends.
func (c *child) copy(fn func()) {
	c.copies.Add(1)
	go c.s.guard(func() { defer c.copies.Done(); fn() })
}

// newPipe is an output pipe: its write end the child's, its read end ours.
func (c *child) newPipe() (r, w *os.File, err error) {
	r, w, err = os.Pipe()
	if err == nil {
		growPipe(w)
		c.childEnds = append(c.childEnds, w)
		c.readers = append(c.readers, r)
	}
	return
}

// pipeStdin gives the child its stdin when that is not the terminal: the file itself, from where the
// first attempt found it, or a pipe fed from the replay buffer.
func (c *child) pipeStdin() error {
	if fi := c.s.fileIn; fi != nil {
		if err := fi.rewind(); err != nil {
			return err
		}
		c.cmd.Stdin = fi.f
		return nil
	}
	if c.s.replay == nil {
		return nil // nil Stdin: the child reads /dev/null
	}
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	c.cmd.Stdin, c.stdinW = r, w
	c.childEnds = append(c.childEnds, r)
	return nil
}

// setupPTY runs the child on a pty of its own: stdout (and stdin when ours is the terminal, stderr
// with --stderr pty) on the slave, the master copied to our stdout.
func (c *child) setupPTY() error {
	s := c.s
	m, slave, err := pty.Open()
	if err != nil {
		return err
	}
	c.master = m
	c.childEnds = append(c.childEnds, slave)
	s.resize(m)
	c.cmd.Stdout = slave
	ctty := 1
	if s.stdinPTY {
		c.cmd.Stdin, ctty = slave, 0
	} else if err := c.pipeStdin(); err != nil {
		return err
	}
	c.cmd.SysProcAttr = ptyProcAttr(ctty)
	merged := s.opts.StderrMode == StderrPTY
	stream := classify.Stdout
	if merged {
		c.cmd.Stderr = slave
		stream = classify.AnyStream
	}
	tOut := c.tap(stream)
	c.copy(func() { copyOut(s.out, m, c.streamOf(m), tOut, false, false) })
	if merged {
		return nil
	}
	r, w, err := c.newPipe()
	if err != nil {
		return err
	}
	c.cmd.Stderr = w
	tErr := c.tap(classify.Stderr)
	c.errCopy = func() { copyOut(s.errw, r, c.streamOf(r), tErr, s.raw.Load() && s.errTTY, true) }
	return nil
}

// setupPipes runs the child on pipes: stdout and stderr copied to ours, stdin the terminal itself
// (--pty never on a terminal) or a pipe from the replay buffer.
func (c *child) setupPipes() error {
	s := c.s
	outR, outW, err := c.newPipe()
	if err != nil {
		return err
	}
	errR, errW, err := c.newPipe()
	if err != nil {
		return err
	}
	c.cmd.Stdout, c.cmd.Stderr = outW, errW
	tOut, tErr := c.tap(classify.Stdout), c.tap(classify.Stderr)
	c.copy(func() { copyOut(s.out, outR, c.streamOf(outR), tOut, false, true) })
	c.errCopy = func() { copyOut(s.errw, errR, c.streamOf(errR), tErr, false, true) }
	if s.stdinPass {
		c.cmd.Stdin = s.inFile
		c.cmd.SysProcAttr, c.fgFd = terminalProcAttr(s.inFile)
		return nil
	}
	c.cmd.SysProcAttr = groupProcAttr()
	return c.pipeStdin()
}

// abandon closes what a failed set-up opened, and ends a copier it had already started before the
// files it reads are closed (a closed descriptor's number may be reused at once).
func (c *child) abandon() {
	closeAll(c.childEnds)
	if c.stdinW != nil {
		_ = c.stdinW.Close()
	}
	waitCopies(&c.copies, c.wakeW, c.cut)
	closeAll(c.readers)
	if c.master != nil {
		_ = c.master.Close()
	}
}

// start starts the child in its group and hands it the stdin replay; a failure is an *ExecError
// with every pipe closed.
func (c *child) start() error {
	s := c.s
	if c.errCopy != nil {
		c.copy(c.errCopy)
	}
	setDeathSignal(c.cmd.SysProcAttr)
	waitCh := make(chan struct{})
	group, err := startAndReap(c.cmd, waitCh)
	closeAll(c.childEnds)
	if err != nil {
		// Copiers see EOF now that every write end is closed.
		if c.stdinW != nil {
			_ = c.stdinW.Close()
		}
		waitCopies(&c.copies, c.wakeW, c.cut)
		if c.master != nil {
			_ = c.master.Close()
		}
		closeAll(c.readers)
		what := "cannot run: " + err.Error()
		if errors.Is(err, syscall.ENOENT) {
			what = "cannot run: " + strings.TrimPrefix(err.Error(), "fork/exec ")
		}
		return &ExecError{Name: c.a.Argv[0], Code: 126, What: what, Err: err}
	}
	c.group, c.waitCh = group, waitCh
	s.setCurrent(c.master, group)
	if c.stdinW != nil {
		c.feed = s.replay.feed(c.stdinW)
	}
	if sig := s.stopSignal(); sig != 0 {
		// The signal arrived while we were starting the child; it was meant for it.
		group.signal(sig)
	}
	return nil
}

// wait waits for the child to end. A terminal limit an interactive child showed (--on-limit
// restart) stops it after a grace: interrupt, terminate, kill. A cancelled ctx terminates it.
func (c *child) wait(ctx context.Context, o *Outcome) {
	var graceT, termT, killT <-chan time.Time
	ctxDone := ctx.Done()
	for {
		select {
		case <-c.waitCh:
			return
		case <-c.limitCh:
			if graceT == nil && !o.StoppedOnLimit {
				graceT = time.After(stopGrace)
			}
		case <-graceT:
			graceT = nil
			select {
			case <-c.waitCh:
				return // it ended by itself after the notice: its own exit decides
			default:
			}
			if !o.StoppedOnLimit {
				o.StoppedOnLimit = true
				c.group.signal(syscall.SIGINT)
				termT = time.After(stopTermAfter)
			}
		case <-termT:
			termT = nil
			c.group.signal(syscall.SIGTERM)
			killT = time.After(stopKillAfter)
		case <-killT:
			killT = nil
			c.group.kill()
		case <-ctxDone:
			ctxDone = nil
			c.group.signal(syscall.SIGTERM)
			killT = time.After(ctxKillAfter)
		}
	}
}

// collect ends what is left of the attempt once its leader is reaped (its group, the stdin feed, the
// copiers) and fills the outcome's status and evidence.
func (c *child) collect(o *Outcome) {
	if c.fgFd >= 0 {
		restoreForeground(c.fgFd)
	}
	c.s.setCurrent(nil, nil)
	// No process of the child's group outlives its leader (SPEC §6.1).
	c.group.kill()
	if c.feed != nil {
		c.feed.halt()
	}
	waitCopies(&c.copies, c.wakeW, c.cut)
	if c.master != nil {
		_ = c.master.Close()
	}
	closeAll(c.readers)
	if c.s.fileIn != nil {
		c.s.fileIn.consumed()
	}
	ws, _ := c.cmd.ProcessState.Sys().(syscall.WaitStatus)
	switch {
	case ws.Signaled():
		o.Signal = ws.Signal()
		o.ExitCode = 128 + int(o.Signal)
	default:
		o.ExitCode = ws.ExitStatus()
	}
	o.Evidence = buildEvidence(o.ExitCode, o.Signal, c.live, o.StoppedOnLimit, c.taps...)
}

func closeAll(fs []*os.File) {
	for _, f := range fs {
		_ = f.Close()
	}
}
