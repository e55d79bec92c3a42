package supervise

import (
	"io"
	"syscall"

	"github.com/oauth-mux/oauth-mux/classify"
)

// This file is the only place that talks to classify's tap API.

type tapWriter interface {
	io.Writer
	Flush()
}

type nopTap struct{}

func (nopTap) Write(p []byte) (int, error) { return len(p), nil }
func (nopTap) Flush()                      {}

// newTap returns the tap of one stream (classify.AnyStream for a merged pty). onLimit is called from
// the copying goroutine, so it must not block, when a hit is a terminal limit (quota spent, account
// dead) that --on-limit restart reacts to.
func newTap(m *classify.Matcher, stream classify.Stream, onLimit func()) tapWriter {
	if m == nil {
		return nopTap{}
	}
	return m.Tap(stream, func(h classify.Hit) {
		if m.Terminal(h) {
			onLimit()
		}
	})
}

// buildEvidence flushes the taps (the last line may lack its newline) and gathers their hits.
func buildEvidence(exit int, sig syscall.Signal, taps ...tapWriter) classify.Evidence {
	ev := classify.Evidence{ExitCode: exit, Signal: int(sig)}
	for _, t := range taps {
		t.Flush()
		if ct, ok := t.(*classify.Tap); ok {
			ev.Hits = append(ev.Hits, ct.Hits()...)
		}
	}
	return ev
}
