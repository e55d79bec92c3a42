package supervise

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"time"
)

// Action is what the planner wants next.
type Action int

const (
	// Run (from Next): run the attempt returned with it.
	Run Action = iota
	// Done (from Record): the run is over; exit with the outcome's status.
	Done
	// Retry (from Record): ask Next for another attempt (fail over).
	Retry
	// Wait (from Next or Record): sleep until WaitUntil, then ask Next again.
	Wait
	// Exit: end the run with ExitCode (and Err, when set).
	Exit
)

func (a Action) String() string {
	switch a {
	case Run:
		return "run"
	case Done:
		return "done"
	case Retry:
		return "retry"
	case Wait:
		return "wait"
	case Exit:
		return "exit"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Decision is the planner's answer.
type Decision struct {
	Action Action
	// ExitCode is used by Exit.
	ExitCode int
	// Err, with Exit, is the error cmd prints after the terminal is restored (a *NoRouteError of the
	// planner, say). Its ExitCode() method, if any, wins over ExitCode.
	Err error
	// WaitUntil and WaitFor (a label: "codex:max-1#codex-max") are used by Wait.
	WaitUntil time.Time
	WaitFor   string
	// Message is a line (without "oauth-mux: ") that the loop prints on stderr. With Retry it is the
	// verdict on the attempt that just ended ("codex:max-1#codex-max quota_exhausted") and the loop adds
	// "; trying <next label>" once the next attempt is known.
	Message string
}

// Planner chooses attempts and judges outcomes; routes implements it. Loop calls Next, runs the attempt
// when the decision's Action is Run, then Record. Supervise never interprets labels or evidence.
type Planner interface {
	// Next returns the next attempt (Action Run), or a Decision to Wait or Exit when none can run now.
	// An error ends the run; its ExitCode() method (if any) is the exit status, otherwise 1.
	Next(ctx context.Context) (Attempt, Decision, error)
	// Record judges the outcome (classify.Judge), records it, and says what to do: Done, Retry, Wait or
	// Exit.
	Record(ctx context.Context, a Attempt, o Outcome) Decision
}

// LoopOptions tune Loop. How many attempts a run may make, and whether a non-replayable stdin allows
// another, is the planner's to decide (Outcome.Replayable tells it).
type LoopOptions struct {
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
}

// Result is how the run ended.
type Result struct {
	// ExitCode is what oauth-mux should exit with.
	ExitCode int
	// ReraiseSignal is set when oauth-mux itself received SIGHUP, SIGINT or SIGTERM and the child died of
	// it (or no child was running): main passes it to Reraise after restoring the terminal and releasing
	// its locks.
	ReraiseSignal syscall.Signal
	// Err is the planner's error (for cmd to print with its hints); nil on a normal end, including a
	// child's non-zero exit.
	Err error
	// Attempts is how many children were started.
	Attempts int
	// Last is the outcome of the last attempt (zero when none ran).
	Last Outcome
}

// ExitCoder is implemented by errors that carry an exit status.
type ExitCoder interface{ ExitCode() int }

func exitCodeOf(err error, def int) int {
	var ec ExitCoder
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	return def
}

// nextStoppable asks the planner for the next attempt under a context that a SIGHUP, SIGINT or
// SIGTERM to oauth-mux cancels, so preparing one (a token refresh, up to 30 s waiting for an account
// lock) does not outlast the user's ^C.
func nextStoppable(ctx context.Context, s *Session, p Planner) (Attempt, Decision, error) {
	nctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-s.Stopped():
			cancel()
		case <-done:
		}
	}()
	return p.Next(nctx)
}

// Loop runs attempts until the planner is done (SPEC §6.2).
func Loop(ctx context.Context, s *Session, p Planner, opts LoopOptions) Result {
	l := &loop{s: s, p: p, now: opts.Now}
	if l.now == nil {
		l.now = time.Now
	}
	for {
		a, d, end := l.next(ctx)
		if end {
			return l.res
		}
		if d.Action != Run {
			if l.settle(ctx, d, nil) {
				return l.res
			}
			continue
		}
		o := l.run(ctx, a)
		d = p.Record(ctx, a, o)
		if sig := s.stopSignal(); sig != 0 {
			// The user asked oauth-mux to stop: whatever the verdict, no new attempt.
			l.res.ExitCode = o.ExitCode
			if o.Signal == sig {
				l.res.ReraiseSignal = sig
			}
			return l.res
		}
		if d.Action == Retry {
			l.pending = d.Message // printed with the next attempt's label
			continue
		}
		if l.settle(ctx, d, &o) {
			return l.res
		}
	}
}

// loop is one run of Loop: the session, the planner, and what the run has come to so far.
type loop struct {
	s   *Session
	p   Planner
	now func() time.Time
	res Result
	// pending is a Retry message waiting for the next attempt's label ("…; trying <label>").
	pending string
}

// next asks the planner for the next attempt. end says the run is over (a stop signal, a cancelled
// context, the planner's error), with res filled.
func (l *loop) next(ctx context.Context) (Attempt, Decision, bool) {
	if l.stopped() {
		return Attempt{}, Decision{}, true
	}
	if err := ctx.Err(); err != nil {
		l.flush("")
		l.res.ExitCode, l.res.Err = 1, err
		return Attempt{}, Decision{}, true
	}
	a, d, err := nextStoppable(ctx, l.s, l.p)
	// A stop signal that arrived while the planner prepared (a refresh, a wait for an account lock)
	// starts no child.
	if l.stopped() {
		return Attempt{}, Decision{}, true
	}
	if err != nil {
		l.flush("")
		l.res.ExitCode, l.res.Err = exitCodeOf(err, 1), err
		return Attempt{}, Decision{}, true
	}
	return a, d, false
}

// stopped ends the run when oauth-mux was told to stop between attempts: no child to die of it.
func (l *loop) stopped() bool {
	sig := l.s.stopSignal()
	if sig == 0 {
		return false
	}
	l.flush("")
	l.res.ExitCode, l.res.ReraiseSignal = 128+int(sig), sig
	return true
}

// flush prints the pending Retry message, naming the attempt that follows when there is one.
func (l *loop) flush(next string) {
	switch {
	case l.pending == "":
		return
	case next != "":
		l.s.notice("%s; trying %s", l.pending, next)
	default:
		l.s.notice("%s", l.pending)
	}
	l.pending = ""
}

// run starts the attempt and returns how it ended.
func (l *loop) run(ctx context.Context, a Attempt) Outcome {
	l.flush(a.Label)
	l.res.Attempts++
	if a.Number == 0 {
		a.Number = l.res.Attempts
	}
	o := l.s.Run(ctx, a)
	l.res.Last = o
	return o
}

// settle carries out a decision that starts no child: Wait sleeps until the reset (false: ask again),
// anything else ends the run (true) with its status. last is the attempt the planner just judged (nil
// when the decision came from Next): after it, Done ends with that child's own status and start error.
func (l *loop) settle(ctx context.Context, d Decision, last *Outcome) (end bool) {
	l.flush("")
	if d.Message != "" {
		l.s.notice("%s", d.Message)
	}
	if d.Action == Wait {
		r, ok := l.s.wait(ctx, d, l.now)
		if !ok {
			l.res.ExitCode, l.res.ReraiseSignal, l.res.Err = r.ExitCode, r.ReraiseSignal, r.Err
		}
		return !ok
	}
	switch {
	case d.Action != Exit && last != nil:
		// A program that could not be started (*ExecError, 126/127) is reported by cmd like any other
		// error; a child's own failure is not an error.
		l.res.ExitCode, l.res.Err = last.ExitCode, last.Err
		return true
	case d.Action != Exit && l.res.Attempts > 0:
		l.res.ExitCode, l.res.Err = l.res.Last.ExitCode, d.Err
	default:
		l.res.ExitCode, l.res.Err = d.ExitCode, d.Err
	}
	if d.Err != nil {
		l.res.ExitCode = exitCodeOf(d.Err, d.ExitCode)
	}
	return true
}

// notice prints "oauth-mux: <line>" on stderr, with "\r\n" on a raw terminal.
func (s *Session) notice(format string, args ...any) {
	fmt.Fprintf(s.Stderr(), "oauth-mux: "+format+"\n", args...)
}

// wait sleeps until d.WaitUntil, with a countdown on a terminal stderr. ok is false when the run must
// end instead (context, a stop signal, ^C typed while waiting).
func (s *Session) wait(ctx context.Context, d Decision, now func() time.Time) (Result, bool) {
	what := d.WaitFor
	if what == "" {
		what = "a route"
	}
	live := s.errTTY
	line := func(left time.Duration) string {
		return fmt.Sprintf("oauth-mux: waiting %s for %s to reset…", left.Round(time.Second), what)
	}
	left := d.WaitUntil.Sub(now())
	if left <= 0 {
		return Result{}, true
	}
	if !live {
		fmt.Fprintf(s.Stderr(), "%s (until %s)\n", line(left), d.WaitUntil.UTC().Format(time.RFC3339))
	}
	select {
	case <-s.intrCh: // a stale ^C typed before the wait began
	default:
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	timer := time.NewTimer(left)
	defer timer.Stop()
	clear := func() {
		if live {
			_, _ = io.WriteString(s.errw, "\r\x1b[K")
		}
	}
	for {
		if live {
			_, _ = io.WriteString(s.errw, "\r\x1b[K"+line(left))
		}
		select {
		case <-timer.C:
			clear()
			return Result{}, true
		case <-tick.C:
			left = d.WaitUntil.Sub(now())
			if left <= 0 {
				clear()
				return Result{}, true
			}
		case <-ctx.Done():
			clear()
			return Result{ExitCode: 1, Err: ctx.Err()}, false
		case <-s.stopCh:
			clear()
			sig := s.stopSignal()
			return Result{ExitCode: 128 + int(sig), ReraiseSignal: sig}, false
		case <-s.intrCh:
			// ^C on a raw terminal: what SIGINT would have done on a cooked one.
			clear()
			return Result{ExitCode: 128 + int(syscall.SIGINT)}, false
		}
	}
}
