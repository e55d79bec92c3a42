package classify

import (
	"bytes"
	"time"
)

// TailRaw is how much of a text stream a TailTap keeps: the raw bytes (escapes and all) behind the
// final TailLines lines and TailBytes of cleaned text, with room for a long last line.
const TailRaw = 256 << 10

// TailTap judges a stream when it has ended, from its tail, where a CLI prints the error it dies of
// (SPEC §5.5(3)): at a non-zero exit only hits there count, and exit 0 only looks at the last lines.
// While the stream runs it costs a copy into a ring, so output moves at pipe speed. A stream that is
// JSON events from its first line (Codex `exec --json`, Claude Code `stream-json`) is judged as it
// streams instead, by a full Tap: its events anywhere in the stream are evidence.
//
// It is for a stream nobody acts on while the child runs (a batch command, a run on pipes); an
// interactive child's stream, watched for a limit to stop it on, takes a Tap. Not safe for concurrent
// use; Hits and Structured are read after Flush.
type TailTap struct {
	m      *Matcher
	stream Stream
	input  *InputRing
	since  time.Time

	head  *Tap // the full tap while the stream may be an event stream; made at the first write
	text  bool // the head tap found text (and is gone): the tail is judged as text, never as events
	ring  []byte
	pos   int
	total int64

	judged *Tap
}

// TailTap returns a tail tap for one stream. Input (may be nil) is what reached the child's stdin:
// at the end a match counts as typed or piped in when its text arrived on stdin since since (the
// attempt's start less InputWindow: the end of a run cannot tell when a line was printed).
func (m *Matcher) TailTap(stream Stream, input *InputRing, since time.Time) *TailTap {
	return &TailTap{m: m, stream: stream, input: input, since: since}
}

// Write consumes p. It always returns len(p), nil.
func (d *TailTap) Write(p []byte) (int, error) {
	if d.head == nil && !d.text && len(p) > 0 {
		d.head = d.m.Tap(d.stream, nil)
		d.head.input, d.head.inputSince = d.input, d.since
	}
	if d.head != nil {
		_, _ = d.head.Write(p)
		switch {
		case d.head.evMode == evOn:
			return len(p), nil // an event stream: the head tap judges all of it
		case d.head.evMode == evOff || d.total+int64(len(p)) > TailRaw:
			d.head, d.text = nil, true
		}
	}
	d.keep(p)
	return len(p), nil
}

func (d *TailTap) keep(p []byte) {
	d.total += int64(len(p))
	if d.ring == nil {
		d.ring = make([]byte, TailRaw)
	}
	if len(p) >= TailRaw {
		copy(d.ring, p[len(p)-TailRaw:])
		d.pos = 0
		return
	}
	n := copy(d.ring[d.pos:], p)
	if n < len(p) {
		copy(d.ring, p[n:])
	}
	d.pos = (d.pos + len(p)) % TailRaw
}

// tail is the kept stream in order, from its first whole line when the start was lost.
func (d *TailTap) tail() []byte {
	if d.total <= TailRaw {
		return d.ring[:d.total]
	}
	out := make([]byte, 0, TailRaw)
	out = append(out, d.ring[d.pos:]...)
	out = append(out, d.ring[:d.pos]...)
	if nl := bytes.IndexByte(out, '\n'); nl >= 0 && nl+1 < len(out) {
		out = out[nl+1:]
	}
	return out
}

// Flush judges the stream. Later calls do nothing.
func (d *TailTap) Flush() {
	switch {
	case d.judged != nil:
		return
	case d.head != nil:
		d.head.Flush()
		d.judged = d.head
		return
	case !d.text:
		return // nothing was written: no evidence, and no matcher built for it
	}
	t := d.m.Tap(d.stream, nil)
	t.input, t.inputSince = d.input, d.since
	if d.text {
		t.evMode = evOff
	}
	if d.ring != nil {
		_, _ = t.Write(d.tail())
	}
	t.Flush()
	d.judged = t
}

// Hits is Tap.Hits of the judged stream (nil before Flush or when nothing was written).
func (d *TailTap) Hits() []Hit {
	if d.judged == nil {
		return nil
	}
	return d.judged.Hits()
}

// Structured is Tap.Structured of the judged stream (nil before Flush).
func (d *TailTap) Structured() []Hit {
	if d.judged == nil {
		return nil
	}
	return d.judged.Structured()
}

// Live is always nil: nobody watches a tail tap's stream while it runs.
func (d *TailTap) Live() *Hit { return nil }
