package classify

import (
	"bytes"
	"slices"
	"time"
)

// Sizes of the tap's bounded buffers.
const (
	// MaxLine is the longest line the rules see; the rest of a longer line is dropped.
	MaxLine = 64 << 10
	// TailSize is how much cleaned output a tap keeps per stream.
	TailSize = 64 << 10
	// MaxHits is how many hits a tap keeps; past it a hit replaces a weaker one.
	MaxHits = 64
	// maxHitLine bounds the copy of the line kept in a Hit.
	maxHitLine = 4 << 10
	// maxEscString bounds an OSC/DCS string: an unterminated one must not hide the rest of the output.
	maxEscString = 4 << 10
	// TailLines and TailBytes bound the final lines of a stream, where a CLI prints the error it dies
	// of: at a non-zero exit only hits there count (SPEC §5.5(3)).
	TailLines = 40
	TailBytes = 16 << 10
	// FinalLines is where a rule marked at_exit_0 must match: the last lines of a stream.
	FinalLines = 3
)

// Hit is one rule matching one cleaned line of a child's output.
type Hit struct {
	Rule   int       `json:"rule"` // index of the rule in the slice given to Compile
	Name   string    `json:"name"`
	Class  RuleClass `json:"class"`
	Stream Stream    `json:"stream"`
	LineNo int       `json:"line"` // 1-based line of the stream
	Line   string    `json:"-"`    // the cleaned line (at most 4 KiB); may hold user data: never log it
	Reset  string    `json:"reset,omitempty"`
	// End is the offset in the cleaned stream just past the line.
	End int64 `json:"-"`
	// Framed says the match opens its line (after blanks, a notice glyph, an "Error:" label or a
	// bracketed stamp), the way a CLI prints its own notice; words in the middle of a sentence are not.
	Framed bool `json:"framed,omitempty"`
	// Tail is set by Tap.Hits: the line is among the stream's final TailLines lines and TailBytes;
	// Final: among its FinalLines last lines.
	Tail  bool `json:"tail,omitempty"`
	Final bool `json:"final,omitempty"`
	// Structured says a structured result (a JSON event) produced the hit, not free text.
	Structured bool `json:"structured,omitempty"`
	// More is the next line when the reset may continue on it (a TUI wraps long notices): the
	// reset capture reached the end of the line, or found nothing there.
	More string `json:"-"`
}

type escState uint8

const (
	stNormal    escState = iota
	stEsc                // after ESC
	stEscInter           // ESC + intermediates (charset designation and other nF sequences)
	stCSI                // ESC [
	stString             // OSC, DCS, SOS, PM, APC: until BEL or ST
	stStringEsc          // ESC inside a string: ST if '\\' follows
)

// Tap watches one output stream of a child. It is an io.Writer that never fails and never blocks: the
// supervisor tees the child's output into it. It strips ANSI escape sequences (CSI, OSC, DCS and other
// strings, charset designations, single-character escapes — also when split across writes), folds
// "\r\n", treats a lone "\r" as a line break, keeps a bounded tail, and shows the rules only the lines
// that pass the literal prefilter. A Tap is not safe for concurrent use; Tail and Hits may be called
// from the writer's goroutine or after it is done.
type Tap struct {
	m      *Matcher
	stream Stream
	onHit  func(Hit)
	input  *InputRing
	// inputSince, when set, is where the input window starts for every match (a tail judged at the
	// end); zero means InputWindow before the match.
	inputSince time.Time
	off        int64 // cleaned bytes processed

	// The stream's structured results (SPEC §5.5(1)): events is set once the stream shows JSON
	// event lines; evMode says whether it still looks (evUnknown), reads them (evOn) or gave up.
	evMode  uint8
	evSeen  int
	events  *eventJudge
	noEvent bool // a tap judging one message of an event: no event mode of its own

	live *Hit // the first framed terminal hit

	pending int // line number of hits waiting for their next line (More), 0 when none

	cut      bool // the line being judged was cut at MaxLine
	arrayCut bool // an event array was cut at MaxLine: its last element is read from the tail

	st        escState
	strLen    int
	crPending bool

	clean []byte // scratch: cleaned bytes of the current piece

	line     []byte // carry: the unfinished line
	dropping bool   // the current line passed MaxLine: drop until '\n'
	lineNo   int    // completed lines

	tail     []byte // ring of TailSize
	tailPos  int
	tailFull bool

	hits   []Hit
	kwHits []kwHit
	stamp  []int // per rule: last line evaluated (dedupe of candidate rules)
	seq    int
	cands  []int
	found  []lineMatch
}

type lineMatch struct {
	rule  int
	start int // where the match begins on the line
	reset string
	wrap  bool // the reset may go on on the next line
}

// Tap returns a tap for one stream. onHit (may be nil) is called synchronously, from Write or Flush,
// for every hit. Use AnyStream for a merged pty stream: every rule then applies.
func (m *Matcher) Tap(stream Stream, onHit func(Hit)) *Tap {
	m.ready()
	return &Tap{m: m, stream: stream, onHit: onHit, stamp: make([]int, len(m.rules))}
}

// WithInput makes the tap drop every match whose text arrived on the child's stdin within
// InputWindow (SPEC §5.5(4)); r may be shared by the taps of one run. It returns t.
func (t *Tap) WithInput(r *InputRing) *Tap {
	t.input = r
	return t
}

// typed reports whether text arrived on the child's stdin within the input window.
func (t *Tap) typed(text []byte) bool {
	if t.inputSince.IsZero() {
		return t.input.Contains(text)
	}
	return t.input.ContainsSince(text, t.inputSince)
}

// Write consumes p. It always returns len(p), nil.
func (t *Tap) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		piece := p
		if len(piece) > MaxLine {
			piece = piece[:MaxLine]
		}
		p = p[len(piece):]
		t.clean = t.cleanInto(t.clean[:0], piece)
		t.process(t.clean)
	}
	return n, nil
}

// Flush judges the final unterminated line. Writing after Flush starts a new line.
func (t *Tap) Flush() {
	if len(t.line) > 0 && !t.dropping {
		t.lineDone(t.line, t.lineNo+1, t.off)
	}
	if t.dropping {
		t.cutLineEnded()
	}
	if len(t.line) > 0 || t.dropping {
		t.lineNo++
	}
	t.line = t.line[:0]
	t.dropping = false
}

// Tail returns a copy of the last TailSize bytes of cleaned output.
func (t *Tap) Tail() []byte {
	if !t.tailFull {
		return append([]byte(nil), t.tail[:t.tailPos]...)
	}
	out := make([]byte, 0, TailSize)
	out = append(out, t.tail[t.tailPos:]...)
	return append(out, t.tail[:t.tailPos]...)
}

// Hits returns a copy of the hits kept so far, in the order they were seen, each with Tail set for
// the stream as it stands.
func (t *Tap) Hits() []Hit {
	out := append([]Hit(nil), t.hits...)
	for i := range out {
		out[i].Tail = t.inTail(out[i])
		out[i].Final = out[i].Tail && out[i].LineNo > t.lineNo-FinalLines
	}
	return out
}

// Live returns the first framed terminal hit (a spent quota, a dead login printed as the CLI's own
// notice), or nil: what an interactive run may be stopped for while it runs.
func (t *Tap) Live() *Hit {
	if t.live == nil {
		return nil
	}
	h := *t.live
	h.Tail = t.inTail(h)
	return &h
}

func (t *Tap) inTail(h Hit) bool {
	return h.LineNo > t.lineNo-TailLines && t.off-h.End <= TailBytes
}

// Lines returns how many lines the tap has completed.
func (t *Tap) Lines() int { return t.lineNo }

const esc = 0x1b

// cleanInto appends p without escape sequences to dst, turning "\r\n" and lone "\r" into "\n".
func (t *Tap) cleanInto(dst, p []byte) []byte {
	nextEsc, nextCR := -1, -1
	i := 0
	for i < len(p) {
		c := p[i]
		switch t.st {
		case stNormal:
			if t.crPending {
				if c == '\n' {
					t.crPending = false
					i++
					continue
				}
				if c != esc {
					t.crPending = false
				}
			}
			if c == esc {
				t.st = stEsc
				i++
				continue
			}
			if c == '\r' {
				dst = append(dst, '\n')
				t.crPending = true
				i++
				continue
			}
			if nextEsc < i {
				nextEsc = indexFrom(p, i, esc)
			}
			if nextCR < i {
				nextCR = indexFrom(p, i, '\r')
			}
			end := min(nextEsc, nextCR)
			dst = append(dst, p[i:end]...)
			i = end
		case stEsc:
			switch {
			case c == '[':
				t.st = stCSI
			case c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_':
				t.st, t.strLen = stString, 0
			case c >= 0x20 && c <= 0x2f:
				t.st = stEscInter
			case c == esc:
				// ESC ESC: the first one is dropped
			case c >= 0x30 && c <= 0x7e:
				t.st = stNormal // single-character escape (ESC 7, ESC =, ESC M, …)
			default:
				t.st = stNormal // a stray ESC: keep the byte
				continue
			}
			i++
		case stEscInter:
			switch {
			case c >= 0x20 && c <= 0x2f:
			case c >= 0x30 && c <= 0x7e:
				t.st = stNormal
			case c == esc:
				t.st = stEsc
			default:
				t.st = stNormal
				continue
			}
			i++
		case stCSI:
			switch {
			case c >= 0x20 && c <= 0x3f:
			case c >= 0x40 && c <= 0x7e:
				t.st = stNormal
			case c == esc:
				t.st = stEsc
			default:
				t.st = stNormal // broken sequence: keep the byte
				continue
			}
			i++
		case stString:
			switch {
			case c == 0x07:
				t.st = stNormal
			case c == esc:
				t.st = stStringEsc
			case c == '\n' || t.strLen >= maxEscString:
				t.st = stNormal // unterminated: give the output back to the rules
				continue
			default:
				t.strLen++
			}
			i++
		case stStringEsc:
			if c == '\\' {
				t.st = stNormal
				i++
				continue
			}
			t.st = stEsc
		}
	}
	return dst
}

func indexFrom(p []byte, i int, b byte) int {
	j := bytes.IndexByte(p[i:], b)
	if j < 0 {
		return len(p)
	}
	return i + j
}

func (t *Tap) appendTail(c []byte) {
	if t.tail == nil {
		t.tail = make([]byte, TailSize)
	}
	if len(c) >= TailSize {
		copy(t.tail, c[len(c)-TailSize:])
		t.tailPos, t.tailFull = 0, true
		return
	}
	n := copy(t.tail[t.tailPos:], c)
	if n < len(c) {
		copy(t.tail, c[n:])
		t.tailPos = len(c) - n
		t.tailFull = true
		return
	}
	t.tailPos += n
	if t.tailPos == TailSize {
		t.tailPos, t.tailFull = 0, true
	}
}

func (t *Tap) process(c []byte) {
	if len(c) == 0 {
		return
	}
	t.appendTail(c)
	base := t.off
	t.off += int64(len(c))
	pos := 0
	if len(t.line) > 0 || t.dropping {
		nl := bytes.IndexByte(c, '\n')
		if nl < 0 {
			t.carry(c)
			return
		}
		t.carry(c[:nl])
		if !t.dropping {
			t.lineDone(t.line, t.lineNo+1, base+int64(nl))
		} else {
			t.cutLineEnded()
		}
		t.lineNo++
		t.line, t.dropping = t.line[:0], false
		pos = nl + 1
	}
	last := bytes.LastIndexByte(c[pos:], '\n')
	if last < 0 {
		t.carry(c[pos:])
		return
	}
	body := c[pos : pos+last+1]
	if t.evMode != evOff && !t.noEvent {
		t.eventLines(body)
	}
	t.scanBody(body, base+int64(pos))
	t.lineNo += bytes.Count(body, []byte{'\n'})
	t.carry(c[pos+last+1:])
}

// lineDone judges one whole line that was carried across writes (or cut at MaxLine).
func (t *Tap) lineDone(line []byte, lineNo int, end int64) {
	if t.evMode != evOff && !t.noEvent {
		t.eventLine(line)
	}
	t.evalLine(line, lineNo, end)
}

// carry adds b (no '\n') to the unfinished line; a line reaching past MaxLine is judged at MaxLine.
func (t *Tap) carry(b []byte) {
	if t.dropping || len(b) == 0 {
		return
	}
	if t.line == nil {
		t.line = make([]byte, 0, 256)
	}
	room := MaxLine - len(t.line)
	if len(b) <= room {
		t.line = append(t.line, b...)
		return
	}
	t.line = append(t.line, b[:room]...)
	t.cut = true
	t.lineDone(t.line, t.lineNo+1, t.off)
	t.cut = false
	t.line, t.dropping = t.line[:0], true
}

// scanBody judges the complete lines of body (each ends in '\n'); base is body's offset in the
// cleaned stream.
func (t *Tap) scanBody(body []byte, base int64) {
	if len(t.m.always) > 0 {
		// Some rule has no literal: every line goes to the rules.
		n, off := t.lineNo, base
		for len(body) > 0 {
			nl := bytes.IndexByte(body, '\n')
			n++
			t.evalLine(body[:nl], n, off+int64(nl))
			off += int64(nl + 1)
			body = body[nl+1:]
		}
		return
	}
	if len(t.m.keywords) == 0 {
		return
	}
	if t.pending != 0 {
		// The line after a reset that may go on: read before the scan, which may find nothing.
		t.feedPending(body[:bytes.IndexByte(body, '\n')], t.lineNo+1)
	}
	t.kwHits = t.m.scan(body, t.kwHits[:0])
	if len(t.kwHits) == 0 {
		return
	}
	slices.SortFunc(t.kwHits, func(a, b kwHit) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return a.kw - b.kw
	})
	lineNo, counted := t.lineNo, 0
	for i := 0; i < len(t.kwHits); {
		h := t.kwHits[i]
		j := i
		for j < len(t.kwHits) && t.kwHits[j].start == h.start {
			j++
		}
		lineNo += bytes.Count(body[counted:h.start], []byte{'\n'})
		counted = h.start
		t.evalCandidates(body[h.start:h.end], lineNo+1, base+int64(h.end), t.kwHits[i:j])
		if t.pending != 0 && h.end+1 < len(body) {
			next := body[h.end+1:]
			t.feedPending(next[:bytes.IndexByte(next, '\n')], lineNo+2)
		}
		i = j
	}
}

// evalLine judges one line, finding its keywords itself.
func (t *Tap) evalLine(line []byte, lineNo int, end int64) {
	t.feedPending(line, lineNo)
	if len(t.m.always) == 0 && len(t.m.keywords) == 0 {
		return
	}
	hits := t.m.scan(line, t.kwHits[:0])
	t.kwHits = hits
	t.evalCandidates(line, lineNo, end, hits)
}

func (t *Tap) appliesTo(r *OutputRule) bool {
	return t.stream == AnyStream || r.Stream == "" || r.Stream == AnyStream || r.Stream == t.stream
}

// evalCandidates runs the rules whose keywords were found on line (and the rules without keywords),
// in rule order. A success or failure rule on the line suppresses the route classes on it: such a line
// is the CLI retrying by itself or the user's own failure.
//
// A match whose text was typed or piped into the child (the InputRing) is no hit at all, and a line
// of a structured event stream is left to the event judge: text inside an answer is never evidence.
func (t *Tap) evalCandidates(line []byte, lineNo int, end int64, kws []kwHit) {
	if t.evMode == evOn && isEventLine(line) {
		return
	}
	t.seq++
	cands := t.cands[:0]
	for _, r := range t.m.always {
		t.stamp[r] = t.seq
		cands = append(cands, r)
	}
	for _, h := range kws {
		for _, r := range t.m.kwRules[h.kw] {
			if t.stamp[r] != t.seq {
				t.stamp[r] = t.seq
				cands = append(cands, r)
			}
		}
	}
	if len(cands) == 0 {
		t.cands = cands
		return
	}
	slices.Sort(cands)
	t.cands = cands
	found := t.found[:0]
	neutral := false
	for _, ri := range cands {
		r := &t.m.rules[ri]
		if !t.appliesTo(r) {
			continue
		}
		re := t.m.res[ri]()
		var loc []int
		ci := t.m.resetIdx[ri]
		if ci >= 0 {
			loc = re.FindSubmatchIndex(line)
		} else {
			loc = re.FindIndex(line)
		}
		// Typed input is never evidence. Only a route class is checked: a success or failure rule
		// clears its line anyway, and a flood of retry lines must not rescan the ring each time.
		if loc == nil || isRouteClass(r.Class.Class) && t.typed(line[loc[0]:loc[1]]) {
			continue
		}
		f := lineMatch{rule: ri, start: loc[0]}
		if ci >= 0 && loc[2*ci] >= 0 {
			f.reset = string(line[loc[2*ci]:loc[2*ci+1]])
		}
		if c := r.Class.Class; ci >= 0 && (c == QuotaExhausted || c == RateLimited) && (loc[2*ci] < 0 || loc[2*ci+1] == len(line)) {
			f.wrap = true
		}
		found = append(found, f)
		if c := r.Class.Class; c == Success || c == ChildFailure {
			neutral = true
		}
	}
	t.found = found
	if len(found) == 0 {
		return
	}
	var text string
	for _, f := range found {
		r := &t.m.rules[f.rule]
		if neutral && r.Class.Class != Success && r.Class.Class != ChildFailure {
			continue
		}
		if text == "" {
			text = string(line[:min(len(line), maxHitLine)])
		}
		h := Hit{Rule: f.rule, Name: r.Name, Class: r.Class, Stream: t.stream, LineNo: lineNo, Line: text,
			Reset: f.reset, End: end, Framed: framed(line[:f.start])}
		if f.wrap {
			t.pending = lineNo
		}
		t.keep(h)
		if t.live == nil && h.Framed && t.m.Terminal(h) {
			live := h
			t.live = &live
		}
		if t.onHit != nil {
			t.onHit(h)
		}
	}
}

// feedPending gives line (number lineNo) to the hits of the line before it that wait for it.
func (t *Tap) feedPending(line []byte, lineNo int) {
	if t.pending == 0 {
		return
	}
	if t.pending != lineNo-1 {
		t.pending = 0
		return
	}
	t.pending = 0
	more := string(bytes.TrimSpace(line[:min(len(line), 256)]))
	if more == "" {
		return
	}
	for i := len(t.hits) - 1; i >= 0 && t.hits[i].LineNo == lineNo-1; i-- {
		t.hits[i].More = more
	}
	if t.live != nil && t.live.LineNo == lineNo-1 {
		t.live.More = more
	}
}

// keep stores h. When full, the oldest hit goes if it has left the tail window (only the final lines
// count at the end); otherwise h replaces the oldest of the weakest kept hits if it is stronger, so a
// flood of retry lines cannot push a later usage limit out.
func (t *Tap) keep(h Hit) {
	if len(t.hits) < MaxHits {
		t.hits = append(t.hits, h)
		return
	}
	if old := t.hits[0]; old.LineNo <= h.LineNo-TailLines || h.End-old.End > TailBytes {
		copy(t.hits, t.hits[1:])
		t.hits[len(t.hits)-1] = h
		return
	}
	weak, weakP := -1, precedence(h.Class.Class)
	for i, k := range t.hits {
		if p := precedence(k.Class.Class); p < weakP {
			weak, weakP = i, p
		}
	}
	if weak < 0 {
		return
	}
	copy(t.hits[weak:], t.hits[weak+1:])
	t.hits[len(t.hits)-1] = h
}
