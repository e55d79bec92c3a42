package supervise

import (
	"io"
	"syscall"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
)

// This file is the only place that talks to classify's tap API.

type tapWriter interface {
	io.Writer
	Flush()
	Hits() []classify.Hit
	Structured() []classify.Hit
	Live() *classify.Hit
}

type nopTap struct{}

func (nopTap) Write(p []byte) (int, error) { return len(p), nil }
func (nopTap) Flush()                      {}
func (nopTap) Hits() []classify.Hit        { return nil }
func (nopTap) Structured() []classify.Hit  { return nil }
func (nopTap) Live() *classify.Hit         { return nil }

// newInputRing is the run's record of what reached the children's stdin (typed or piped): the taps
// drop matches of it, so typed input is never evidence (SPEC §5.5(4)).
func newInputRing() *classify.InputRing { return classify.NewInputRing(nil) }

// newTap returns the tap of one stream (classify.AnyStream for a merged pty). A live stream (an
// interactive child's) is judged as it streams: onLimit is called from the copying goroutine, so it
// must not block, when a hit is a terminal limit (quota spent, account dead) printed with the CLI's
// own framing, which --on-limit restart reacts to. Any other stream is judged from its tail when the
// child has ended, so its output moves at pipe speed; started is when the attempt began (the input
// window of the tail).
func newTap(m *classify.Matcher, stream classify.Stream, input *classify.InputRing, live bool, started time.Time, onLimit func()) tapWriter {
	switch {
	case m == nil:
		return nopTap{}
	case !live:
		return m.TailTap(stream, input, started.Add(-classify.InputWindow))
	}
	return m.Tap(stream, func(h classify.Hit) {
		if h.Framed && m.Terminal(h) {
			onLimit()
		}
	}).WithInput(input)
}

// buildEvidence flushes the taps (the last line may lack its newline) and gathers their hits and
// structured results. The live limit is evidence only of an interactive run, the one kind that
// supervise watches while it runs.
func buildEvidence(exit int, sig syscall.Signal, interactive, stopped bool, taps ...tapWriter) classify.Evidence {
	ev := classify.Evidence{ExitCode: exit, Signal: int(sig), Stopped: stopped}
	for _, t := range taps {
		t.Flush()
		ev.Hits = append(ev.Hits, t.Hits()...)
		ev.Structured = append(ev.Structured, t.Structured()...)
		if l := t.Live(); interactive && l != nil && ev.Live == nil {
			ev.Live = l
		}
	}
	if ev.Live == nil {
		ev.Stopped = false
	}
	return ev
}
