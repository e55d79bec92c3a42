package classify

import (
	"bytes"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// InputWindow is how long what arrived on a child's stdin counts as typed input (SPEC §5.5(4)).
const InputWindow = 60 * time.Second

// inputKeep bounds the raw input an InputRing holds: the newest bytes win.
const inputKeep = 64 << 10

// InputRing remembers what reached a child's stdin in the last InputWindow: keystrokes under a pty
// (which the terminal echoes and TUIs redraw into the output) and piped input (which a CLI may print
// back). A tap drops a candidate match whose text appears in it, so what the user typed is never
// evidence against an account. Writes copy at most the newest 64 KiB of each chunk and never
// normalise: the work happens in Contains, which runs only for a line a rule matched.
//
// An InputRing is safe for concurrent use: the stdin pump writes while the output copiers read.
type InputRing struct {
	now func() time.Time

	mu    sync.Mutex
	buf   []byte
	base  int64  // stream offset of buf[0]
	marks []mark // arrival of each chunk, oldest first

	// norm is the normalised text of the stream from normFrom to normEnd: Contains reuses it while
	// no byte arrived and the window still starts there (piped input arrives once, matches come later).
	norm             []byte
	normFrom, normTo int64

	args []byte // the attempt's arguments, normalised: no window, they hold for the whole attempt
}

// SetArgs records the arguments of the attempt that runs now (its prompt, say): a CLI echoes them
// into its output, and they are the user's words as much as what was typed.
func (r *InputRing) SetArgs(args []string) {
	if r == nil {
		return
	}
	b := normalizeInput(nil, []byte(strings.Join(args, " ")))
	r.mu.Lock()
	r.args = b
	r.mu.Unlock()
}

type mark struct {
	at  time.Time
	off int64 // stream offset of the chunk's first byte
}

// NewInputRing returns an empty ring; now is the clock (nil: time.Now).
func NewInputRing(now func() time.Time) *InputRing {
	if now == nil {
		now = time.Now
	}
	return &InputRing{now: now}
}

// Write records p as arrived now. It never fails.
func (r *InputRing) Write(p []byte) (int, error) {
	n := len(p)
	if r == nil || n == 0 {
		return n, nil
	}
	at := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	end := r.base + int64(len(r.buf))
	if len(p) > inputKeep {
		end += int64(len(p) - inputKeep)
		p = p[len(p)-inputKeep:]
		r.buf, r.base = r.buf[:0], end
	}
	r.marks = append(r.marks, mark{at: at, off: end})
	r.buf = append(r.buf, p...)
	if len(r.buf) > 2*inputKeep {
		drop := len(r.buf) - inputKeep
		copy(r.buf, r.buf[drop:])
		r.buf = r.buf[:inputKeep]
		r.base += int64(drop)
	}
	// Marks of chunks that left the buffer or the window are dropped, keeping the list short.
	cut := at.Add(-InputWindow)
	i := 0
	for i < len(r.marks)-1 && (r.marks[i+1].off <= r.base || r.marks[i].at.Before(cut)) {
		i++
	}
	if i > 0 {
		r.marks = append(r.marks[:0], r.marks[i:]...)
	}
	return n, nil
}

// Contains reports whether text (a rule's match, cleaned) was typed or piped in the last InputWindow.
// Both sides are compared as a terminal shows them: escape sequences and control characters dropped,
// backspace applied, whitespace collapsed, ASCII case folded. Text shorter than four letters is never
// reported typed.
func (r *InputRing) Contains(text []byte) bool {
	if r == nil {
		return false
	}
	return r.ContainsSince(text, r.now().Add(-InputWindow))
}

// ContainsSince is Contains with the window starting at cut: what a tail judged at the end of a run
// uses, since it cannot tell when each of its lines was printed.
func (r *InputRing) ContainsSince(text []byte, cut time.Time) bool {
	if r == nil {
		return false
	}
	want := normalizeInput(nil, trimToWords(text))
	if len(want) < 4 {
		return false
	}
	r.mu.Lock()
	if bytes.Contains(r.args, want) {
		r.mu.Unlock()
		return true
	}
	from := int64(-1)
	for _, m := range r.marks {
		if !m.at.Before(cut) {
			from = m.off
			break
		}
	}
	if from < 0 {
		r.mu.Unlock()
		return false
	}
	if from < r.base {
		from = r.base
	}
	end := r.base + int64(len(r.buf))
	if r.norm == nil || r.normFrom != from || r.normTo != end {
		r.norm = normalizeInput(r.norm[:0], r.buf[from-r.base:])
		r.normFrom, r.normTo = from, end
	}
	found := bytes.Contains(r.norm, want)
	r.mu.Unlock()
	return found
}

// trimToWords drops what a match may carry around the words (bullets, quotes, punctuation).
func trimToWords(b []byte) []byte {
	// A TUI's marks and borders (›, ▌, │) are not words; letters of any script are.
	isWord := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if isWord(r) && r != utf8.RuneError {
			break
		}
		b = b[n:]
	}
	for len(b) > 0 {
		r, n := utf8.DecodeLastRune(b)
		if isWord(r) && r != utf8.RuneError {
			break
		}
		b = b[:len(b)-n]
	}
	return b
}

// normalizeInput appends p to dst as a terminal would leave it on screen, in the comparable form
// Contains uses.
func normalizeInput(dst, p []byte) []byte {
	space := len(dst) > 0 && dst[len(dst)-1] == ' '
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == 0x1b:
			// ESC [ params final, ESC O x, or ESC x: arrow and function keys.
			if i+1 < len(p) && (p[i+1] == '[' || p[i+1] == 'O') {
				i += 2
				for i < len(p) && (p[i] < 0x40 || p[i] > 0x7e) {
					i++
				}
			} else {
				i++
			}
		case c == 0x7f || c == 0x08:
			if len(dst) > 0 {
				// Drop one whole rune.
				_, n := utf8.DecodeLastRune(dst)
				dst = dst[:len(dst)-n]
			}
			space = len(dst) > 0 && dst[len(dst)-1] == ' '
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if !space && len(dst) > 0 {
				dst = append(dst, ' ')
				space = true
			}
		case c < 0x20:
		default:
			dst = append(dst, lowerASCII(c))
			space = false
		}
	}
	return dst
}
