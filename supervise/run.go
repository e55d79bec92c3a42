package supervise

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/creack/pty"
	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/internal/lookpath"
)

// Attempt is one run of the user's command, as the planner prepared it.
type Attempt struct {
	Argv []string
	// Env is the child's whole environment; nil means oauth-mux's own. argv[0] is looked up with its PATH.
	Env []string
	Dir string
	// Matcher judges the output as it streams by; nil means no output rules.
	Matcher *classify.Matcher
	// Batch says the command prints and exits (`codex exec`, `claude -p`): even on a terminal it is
	// judged at its exit only, never stopped on what it prints while it runs.
	Batch bool
	// Label names the attempt in messages ("codex:max-1#codex-max"); supervise does not parse it.
	Label  string
	Number int
}

// String names the attempt by its label only: Env holds the account's credential and Argv may hold
// the user's prompt, and neither may reach a log line through a stray %v.
func (a Attempt) String() string {
	return fmt.Sprintf("supervise.Attempt{%s #%d, %d args, %d env}", a.Label, a.Number, len(a.Argv), len(a.Env))
}

// GoString keeps %#v as quiet as %v.
func (a Attempt) GoString() string { return a.String() }

// Outcome is what happened to one attempt.
type Outcome struct {
	// ExitCode is the shell-style status: the exit status, 128+N after signal N, 126/127 when the
	// program could not be started.
	ExitCode int
	// Signal is the signal that killed the child, or 0.
	Signal   syscall.Signal
	Evidence classify.Evidence
	// StartedAt and Duration cover the child's life (or the failed start).
	StartedAt time.Time
	Duration  time.Duration
	// StoppedOnLimit says supervise stopped the child because its output showed a terminal limit.
	StoppedOnLimit bool
	// Err is set when the program could not be started (*ExecError); the child's own failure is not an
	// error.
	Err error
	// Replayable says a restarted attempt would see the same stdin: nothing was read, or all that was
	// read is still buffered (at most StdinReplayLimit). The planner's policy decides what follows.
	Replayable bool
}

// ExecError says the program could not be started. Its ExitCode is 127 (not found) or 126 (found but
// not runnable), as shells do.
//
// It is internal/lookpath's error: the search that finds the program and the start that runs it
// report the same way.
type ExecError = lookpath.Error

// Timings of the supervisor; variables so that tests can shorten them.
var (
	// drainTimeout bounds how long output is read after the child exited (a grandchild outside the
	// child's process group may hold a pipe open).
	drainTimeout = 2 * time.Second
	// stopGrace is how long a child that showed a terminal limit may take to end by itself before it
	// is stopped: one that prints the notice and exits was not stopped, and its own exit decides.
	stopGrace = 2 * time.Second
	// stopTermAfter and stopKillAfter space the SIGINT, SIGTERM, SIGKILL of a stop (SPEC §6.2 step 3).
	stopTermAfter = 2 * time.Second
	stopKillAfter = 5 * time.Second
	// ctxKillAfter is the grace between SIGTERM and SIGKILL when the context is cancelled.
	ctxKillAfter = 2 * time.Second
)

const (
	pipeSize   = 1 << 20
	copyBuf    = 1 << 20
	copyBufMin = 32 << 10
)

func envLookup(env []string, key string) (string, bool) {
	if env == nil {
		return os.LookupEnv(key)
	}
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

// Run starts the attempt and waits for it. It never panics on a bad command: start failures come back
// as an Outcome with ExitCode 126/127 and Err.
func (s *Session) Run(ctx context.Context, a Attempt) (o Outcome) {
	o.StartedAt = time.Now()
	defer func() {
		o.Duration = time.Since(o.StartedAt)
		o.Replayable = s.replay == nil || s.replay.replayable()
	}()
	fail := func(err error) Outcome {
		var ee *ExecError
		if !errors.As(err, &ee) {
			ee = &ExecError{Name: firstArg(a.Argv), Code: 126, What: "cannot run: " + err.Error(), Err: err}
			err = ee
		}
		o.ExitCode, o.Err = ee.Code, err
		o.Evidence = buildEvidence(o.ExitCode, 0, false, false)
		return o
	}
	if len(a.Argv) == 0 {
		return fail(&ExecError{Name: "", Code: 127, What: "no command given", Err: exec.ErrNotFound})
	}
	path, err := lookPath(a.Argv[0], a.Env, a.Dir)
	if err != nil {
		return fail(err)
	}
	cmd := &exec.Cmd{Path: path, Args: a.Argv, Env: a.Env, Dir: a.Dir, WaitDelay: drainTimeout}

	// Only an interactive child (a TUI on the user's terminal) is watched while it runs.
	live := s.interactive && !a.Batch
	// The prompt in the arguments is the user's words too: a CLI echoes it into its transcript.
	s.input.SetArgs(a.Argv[min(1, len(a.Argv)):])
	limitCh := make(chan struct{}, 1)
	onLimit := func() {
		if s.opts.OnLimit == OnLimitRestart && live {
			select {
			case limitCh <- struct{}{}:
			default:
			}
		}
	}

	// Closing wakeW and setting cut end the output copiers' reads (see waitCopies).
	wakeR, wakeW, err := os.Pipe()
	if err != nil {
		return fail(err)
	}
	defer wakeR.Close()
	defer wakeW.Close()
	cut := new(atomic.Bool)
	streamOf := func(f *os.File) io.Reader { return newStreamReader(f, wakeR, cut) }
	var (
		childEnds []*os.File // the child's copies, closed in the parent once it runs
		readers   []*os.File // our read ends, forced shut if a grandchild keeps them open
		copies    sync.WaitGroup
		master    *os.File
		feed      *feeder
		taps      []tapWriter
		fgFd      = -1
	)
	closeAll := func(fs []*os.File) {
		for _, f := range fs {
			_ = f.Close()
		}
	}
	newPipe := func() (r, w *os.File, err error) {
		r, w, err = os.Pipe()
		if err == nil {
			growPipe(w)
			childEnds = append(childEnds, w)
			readers = append(readers, r)
		}
		return
	}
	// stdin that is not a terminal: a pipe fed from the replay buffer.
	var stdinW *os.File
	pipeStdin := func() error {
		if s.replay == nil {
			return nil // nil Stdin: the child reads /dev/null
		}
		r, w, err := os.Pipe()
		if err != nil {
			return err
		}
		cmd.Stdin, stdinW = r, w
		childEnds = append(childEnds, r)
		return nil
	}
	var errCopy func()
	if s.usePTY {
		m, slave, err := pty.Open()
		if err != nil {
			return fail(err)
		}
		master = m
		childEnds = append(childEnds, slave)
		s.resize(master)
		cmd.Stdout = slave
		ctty := 1
		if s.stdinPTY {
			cmd.Stdin, ctty = slave, 0
		} else if err := pipeStdin(); err != nil {
			closeAll(childEnds)
			_ = master.Close()
			return fail(err)
		}
		cmd.SysProcAttr = ptyProcAttr(ctty)
		merged := s.opts.StderrMode == StderrPTY
		stream := classify.Stdout
		if merged {
			cmd.Stderr = slave
			stream = classify.AnyStream
		}
		t := newTap(a.Matcher, stream, s.input, onLimit)
		taps = append(taps, t)
		copies.Add(1)
		go s.guard(func() { defer copies.Done(); copyOut(s.out, master, streamOf(master), t, false, false) })
		if !merged {
			r, w, err := newPipe()
			if err != nil {
				closeAll(childEnds)
				_ = master.Close()
				return fail(err)
			}
			cmd.Stderr = w
			errCopy = func() { copyOut(s.errw, r, streamOf(r), taps[1], s.raw.Load() && s.errTTY, true) }
			taps = append(taps, newTap(a.Matcher, classify.Stderr, s.input, onLimit))
		}
	} else {
		outR, outW, err := newPipe()
		if err == nil {
			var errW *os.File
			var errR *os.File
			errR, errW, err = newPipe()
			cmd.Stdout, cmd.Stderr = outW, errW
			if err == nil {
				tOut := newTap(a.Matcher, classify.Stdout, s.input, onLimit)
				tErr := newTap(a.Matcher, classify.Stderr, s.input, onLimit)
				taps = append(taps, tOut, tErr)
				copies.Add(1)
				go s.guard(func() {
					defer copies.Done()
					copyOut(s.out, outR, streamOf(outR), tOut, false, true)
				})
				errCopy = func() { copyOut(s.errw, errR, streamOf(errR), tErr, false, true) }
			}
		}
		if err == nil {
			if s.stdinPass {
				cmd.Stdin = s.inFile
				cmd.SysProcAttr, fgFd = terminalProcAttr(s.inFile)
			} else {
				cmd.SysProcAttr = groupProcAttr()
				err = pipeStdin()
			}
		}
		if err != nil {
			closeAll(childEnds)
			closeAll(readers)
			return fail(err)
		}
	}
	if errCopy != nil {
		copies.Add(1)
		go s.guard(func() { defer copies.Done(); errCopy() })
	}

	setDeathSignal(cmd.SysProcAttr)
	waitCh := make(chan struct{})
	var group *procGroup
	group, err = startAndReap(cmd, waitCh)
	closeAll(childEnds)
	if err != nil {
		// Copiers see EOF now that every write end is closed.
		if stdinW != nil {
			_ = stdinW.Close()
		}
		waitCopies(&copies, wakeW, cut)
		if master != nil {
			_ = master.Close()
		}
		closeAll(readers)
		code, what := 126, "cannot run: "+err.Error()
		if errors.Is(err, syscall.ENOENT) {
			what = "cannot run: " + strings.TrimPrefix(err.Error(), "fork/exec ")
		}
		return fail(&ExecError{Name: a.Argv[0], Code: code, What: what, Err: err})
	}
	defer group.close()
	s.setCurrent(master, group)
	if stdinW != nil {
		feed = s.replay.feed(stdinW)
	}
	if sig := s.stopSignal(); sig != 0 {
		// The signal arrived while we were starting the child; it was meant for it.
		group.signal(sig)
	}

	var graceT, termT, killT <-chan time.Time
	ctxDone := ctx.Done()
wait:
	for {
		select {
		case <-waitCh:
			break wait
		case <-limitCh:
			if graceT == nil && !o.StoppedOnLimit {
				graceT = time.After(stopGrace)
			}
		case <-graceT:
			graceT = nil
			select {
			case <-waitCh:
				break wait // it ended by itself after the notice: its own exit decides
			default:
			}
			if !o.StoppedOnLimit {
				o.StoppedOnLimit = true
				group.signal(syscall.SIGINT)
				termT = time.After(stopTermAfter)
			}
		case <-termT:
			termT = nil
			group.signal(syscall.SIGTERM)
			killT = time.After(stopKillAfter)
		case <-killT:
			killT = nil
			group.kill()
		case <-ctxDone:
			ctxDone = nil
			group.signal(syscall.SIGTERM)
			killT = time.After(ctxKillAfter)
		}
	}
	if fgFd >= 0 {
		restoreForeground(fgFd)
	}
	s.setCurrent(nil, nil)
	// No process of the child's group outlives its leader (SPEC §6.1).
	group.kill()
	if feed != nil {
		feed.halt()
	}
	waitCopies(&copies, wakeW, cut)
	if master != nil {
		_ = master.Close()
	}
	closeAll(readers)

	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	switch {
	case ws.Signaled():
		o.Signal = ws.Signal()
		o.ExitCode = 128 + int(o.Signal)
	default:
		o.ExitCode = ws.ExitStatus()
	}
	o.Evidence = buildEvidence(o.ExitCode, o.Signal, live, o.StoppedOnLimit, taps...)
	return o
}

// startAndReap starts cmd from an OS thread of its own that lives until the child is reaped, and
// closes waitCh then. The child's death signal (setDeathSignal) fires when the thread that forked it
// ends, so a thread the runtime retired early would kill a healthy child, and oauth-mux's own death
// (SIGKILL, a crash) ends every thread and so the child. The group is the child's process group (a job
// object on Windows), ready before anything can signal it.
func startAndReap(cmd *exec.Cmd, waitCh chan struct{}) (*procGroup, error) {
	type start struct {
		g   *procGroup
		err error
	}
	started := make(chan start, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- start{err: err}
			return
		}
		started <- start{g: newProcGroup(cmd.Process)}
		_ = cmd.Wait()
		close(waitCh)
	}()
	st := <-started
	return st.g, st.err
}

func firstArg(argv []string) string {
	if len(argv) == 0 {
		return ""
	}
	return argv[0]
}

// waitCopies waits for the output copiers; a grandchild that left the process group may hold a write
// end, so after drainTimeout the reads are cut short.
func waitCopies(wg *sync.WaitGroup, wake *os.File, cut *atomic.Bool) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return
	case <-time.After(drainTimeout):
	}
	cut.Store(true)  // a reader that never waits (the grandchild floods) sees this
	_ = wake.Close() // a reader waiting in poll sees this
	<-done
}

// copyOut copies a child's stream to the user and to the tap, chunk by chunk as it arrives (no line
// buffering). The user gets every byte unchanged (crlf only on a raw terminal, where the kernel no
// longer adds the "\r"); the tap sees the child's bytes as written. When the user's side is gone
// (EPIPE from "… | head") a pipe is closed so that the child gets SIGPIPE as it would without us.
//
// The buffer starts small and doubles up to copyBuf each time a read fills it: a child that streams
// gets 1 MiB reads after five rounds, and a short one does not make a fresh process allocate two
// 1 MiB buffers, which alone crossed the runtime's 4 MB first-GC goal and cost every short exec a
// garbage collection.
func copyOut(dst io.Writer, f *os.File, src io.Reader, tap tapWriter, crlf, closeOnWriteErr bool) {
	buf := make([]byte, copyBufMin)
	var tmp []byte
	dstOK := true
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p := buf[:n]
			if dstOK {
				out := p
				if crlf {
					tmp = toCRLF(tmp[:0], p)
					out = tmp
				}
				if _, werr := dst.Write(out); werr != nil {
					dstOK = false
					if closeOnWriteErr {
						_, _ = tap.Write(p)
						_ = f.Close()
						return
					}
				}
			}
			_, _ = tap.Write(p)
			if n == len(buf) && len(buf) < copyBuf {
				buf = make([]byte, min(2*len(buf), copyBuf))
			}
		}
		if err != nil {
			// EIO from a pty master means every slave is closed: the pty's EOF.
			return
		}
	}
}
