package supervise

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/internal/lookpath"
	"github.com/oauth-mux/oauth-mux/internal/omux"
)

// Attempt is one run of the user's command, as the planner prepared it.
type Attempt struct {
	Argv []string
	// Env is the child's whole environment; nil means oauth-mux's own. argv[0] is looked up with its PATH.
	Env omux.Environ
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

// envLookup reads the child's environment; a nil one is oauth-mux's own (exec.Cmd's rule).
func envLookup(env omux.Environ, key string) (string, bool) {
	if env == nil {
		return os.LookupEnv(key)
	}
	return env.Lookup(key)
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
	c, err := s.newChild(a, &exec.Cmd{Path: path, Args: a.Argv, Env: a.Env, Dir: a.Dir, WaitDelay: drainTimeout})
	if err != nil {
		return fail(err)
	}
	defer c.wakeR.Close()
	defer c.wakeW.Close()
	if s.usePTY {
		err = c.setupPTY()
	} else {
		err = c.setupPipes()
	}
	if err != nil {
		c.abandon()
		return fail(err)
	}
	if err := c.start(); err != nil {
		return fail(err)
	}
	defer c.group.close()
	c.wait(ctx, &o)
	c.collect(&o)
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
		// The reaping is another goroutine's, and this one parks until it is done: a goroutine that
		// blocks in wait(2) holds its P until sysmon takes it back (up to milliseconds), and the
		// caller, woken by the send below, would wait that long to run; a parked locked goroutine
		// hands its P over at once.
		// The group first: on Windows it opens the process by pid, which must not be reaped (and
		// its pid reused) before.
		g := newProcGroup(cmd.Process)
		go func() {
			_ = cmd.Wait()
			close(waitCh)
		}()
		started <- start{g: g}
		<-waitCh
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
