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
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	var res Result
	stopped := func() (Result, bool) {
		if sig := s.stopSignal(); sig != 0 {
			// No child to die of it: oauth-mux was told to stop between attempts.
			res.ExitCode, res.ReraiseSignal = 128+int(sig), sig
			return res, true
		}
		return res, false
	}
	pending := "" // a Retry message waiting for the next attempt's label
	flushPending := func(next string) {
		if pending == "" {
			return
		}
		if next != "" {
			s.notice("%s; trying %s", pending, next)
		} else {
			s.notice("%s", pending)
		}
		pending = ""
	}
	for {
		if r, ok := stopped(); ok {
			flushPending("")
			return r
		}
		if err := ctx.Err(); err != nil {
			flushPending("")
			res.ExitCode, res.Err = 1, err
			return res
		}
		a, d, err := nextStoppable(ctx, s, p)
		if r, ok := stopped(); ok {
			// A stop signal arrived while the planner prepared (a refresh, a wait for an account
			// lock): no child is started for it.
			flushPending("")
			return r
		}
		if err != nil {
			flushPending("")
			res.ExitCode, res.Err = exitCodeOf(err, 1), err
			return res
		}
		switch d.Action {
		case Run:
		case Wait:
			flushPending("")
			if d.Message != "" {
				s.notice("%s", d.Message)
			}
			if r, ok := s.wait(ctx, d, now); !ok {
				res.ExitCode, res.ReraiseSignal, res.Err = r.ExitCode, r.ReraiseSignal, r.Err
				return res
			}
			continue
		case Exit, Done, Retry:
			flushPending("")
			if d.Message != "" {
				s.notice("%s", d.Message)
			}
			res.ExitCode, res.Err = d.ExitCode, d.Err
			if d.Action != Exit && res.Attempts > 0 {
				res.ExitCode = res.Last.ExitCode
			}
			if d.Err != nil {
				res.ExitCode = exitCodeOf(d.Err, d.ExitCode)
			}
			return res
		}
		flushPending(a.Label)
		res.Attempts++
		if a.Number == 0 {
			a.Number = res.Attempts
		}
		o := s.Run(ctx, a)
		res.Last = o
		d = p.Record(ctx, a, o)

		if sig := s.stopSignal(); sig != 0 {
			// The user asked oauth-mux to stop: whatever the verdict, no new attempt.
			res.ExitCode = o.ExitCode
			if o.Signal == sig {
				res.ReraiseSignal = sig
			}
			return res
		}
		switch d.Action {
		case Retry, Wait:
			if d.Action == Wait {
				if d.Message != "" {
					s.notice("%s", d.Message)
				}
				if r, ok := s.wait(ctx, d, now); !ok {
					res.ExitCode, res.ReraiseSignal, res.Err = r.ExitCode, r.ReraiseSignal, r.Err
					return res
				}
				continue
			}
			pending = d.Message
		case Exit:
			if d.Message != "" {
				s.notice("%s", d.Message)
			}
			res.ExitCode, res.Err = d.ExitCode, d.Err
			if d.Err != nil {
				res.ExitCode = exitCodeOf(d.Err, d.ExitCode)
			}
			return res
		default: // Done, or a Run that makes no sense after Record
			if d.Message != "" {
				s.notice("%s", d.Message)
			}
			// A program that could not be started (*ExecError, 126/127) is reported by cmd like any
			// other error; a child's own failure is not an error.
			res.ExitCode, res.Err = o.ExitCode, o.Err
			return res
		}
	}
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
