package classify

import (
	"bytes"
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"sort"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Matcher is a compiled set of output rules: their regular expressions and the literal prefilter that
// decides which lines the expressions see. A Matcher is immutable and safe for concurrent use; each
// stream gets its own Tap.
type Matcher struct {
	rules []OutputRule
	// lazy is set by CompileLazy: the fields below rules are filled by ready, on first use.
	lazy bool
	once sync.Once
	// res compile each rule's expression the first time the prefilter hands it a line (nil for
	// exit-code-only rules). Compile only parses: the built-in codex pack took ~0.6 ms to compile,
	// on every exec, while most runs never show the expressions a candidate line.
	res      []func() *regexp.Regexp
	resetIdx []int   // capture index of ResetCapture, -1 when none
	ruleKW   [][]int // keyword indices per rule; nil: the rule is checked on every line
	always   []int   // rules with a pattern but no keyword

	keywords [][]byte // distinct literals; lower-cased when fold
	kwFold   []bool   // the literal is compared ASCII case-insensitively
	kwRules  [][]int  // rules per keyword, ascending
	anchors  []byte   // distinct anchor bytes, scanned with bytes.IndexByte
	byAnchor [256][]anchorRef
}

type anchorRef struct {
	kw  int // keyword index
	off int // offset of the anchor byte inside the keyword
	// chk is the offset of a second byte checked before the whole keyword is compared (the rarest
	// byte after the anchor), c that byte (lower-cased when the keyword folds case).
	chk int
	c   byte
}

// CompileError names the rule that did not compile.
type CompileError struct {
	Index int
	Name  string
	Err   error
}

func (e *CompileError) Error() string {
	return fmt.Sprintf("output rule %d (%q): %v", e.Index, e.Name, e.Err)
}

func (e *CompileError) Unwrap() error { return e.Err }

// Compile compiles rules (RE2 patterns). Rule indices in Hits refer to positions in rules. A rule with
// an empty pattern must have exit_codes: it then matches on the exit code alone.
func Compile(rules []OutputRule) (*Matcher, error) {
	m := &Matcher{
		rules:    append([]OutputRule(nil), rules...),
		res:      make([]func() *regexp.Regexp, len(rules)),
		resetIdx: make([]int, len(rules)),
		ruleKW:   make([][]int, len(rules)),
	}
	kwIndex := map[string]int{}
	for i, r := range rules {
		m.resetIdx[i] = -1
		if r.Pattern == "" {
			if len(r.ExitCodes) == 0 {
				return nil, &CompileError{i, r.Name, fmt.Errorf("a rule without a pattern needs exit_codes")}
			}
			continue
		}
		// regexp.Compile fails only where syntax.Parse does (syntax.Compile has no error of its
		// own), with the same error: parsing here validates the pattern as compiling it would.
		parsed, err := syntax.Parse(r.Pattern, syntax.Perl)
		if err != nil {
			return nil, &CompileError{i, r.Name, err}
		}
		m.res[i] = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(r.Pattern) })
		if r.ResetCapture != "" {
			m.resetIdx[i] = slices.Index(parsed.CapNames(), r.ResetCapture) // as Regexp.SubexpIndex
			if m.resetIdx[i] < 0 {
				return nil, &CompileError{i, r.Name, fmt.Errorf("reset_capture %q is not a named group of the pattern", r.ResetCapture)}
			}
		}
		kws := literalsOf(parsed)
		if len(kws) == 0 {
			m.always = append(m.always, i)
			continue
		}
		for _, kw := range kws {
			key := kw.text
			if kw.fold {
				key = "\x00" + key
			}
			k, ok := kwIndex[key]
			if !ok {
				k = len(m.keywords)
				kwIndex[key] = k
				m.keywords = append(m.keywords, []byte(kw.text))
				m.kwFold = append(m.kwFold, kw.fold)
				m.kwRules = append(m.kwRules, nil)
			}
			m.ruleKW[i] = append(m.ruleKW[i], k)
			m.kwRules[k] = append(m.kwRules[k], i)
		}
	}
	seen := [256]bool{}
	// Each distinct anchor byte is one bytes.IndexByte pass over every chunk, so a keyword takes an
	// anchor another keyword already has when that costs little more than its rarest byte.
	order := make([]int, len(m.keywords))
	for k := range order {
		order[k] = k
	}
	sort.SliceStable(order, func(i, j int) bool { return len(m.keywords[order[i]]) < len(m.keywords[order[j]]) })
	for _, k := range order {
		kw := m.keywords[k]
		off := anchorOf(kw, m.kwFold[k], &seen)
		b := kw[off]
		variants := []byte{b}
		if m.kwFold[k] {
			variants = caseVariants(b)
		}
		chk := checkByte(kw, off, m.kwFold[k])
		for _, c := range variants {
			m.byAnchor[c] = append(m.byAnchor[c], anchorRef{kw: k, off: off, chk: chk, c: kw[chk]})
			if !seen[c] {
				seen[c] = true
				m.anchors = append(m.anchors, c)
			}
		}
	}
	return m, nil
}

// CompileLazy is Compile for rules already validated (config validation compiles every rule of the
// config; the built-in packs are tested): the prefilter is built when the first tap is made, so a run
// that prints nothing never pays for it. Were a rule invalid after all, the matcher would match on
// exit codes only.
func CompileLazy(rules []OutputRule) *Matcher {
	return &Matcher{rules: append([]OutputRule(nil), rules...), lazy: true}
}

// ready builds a lazy matcher's prefilter.
func (m *Matcher) ready() {
	if !m.lazy {
		return
	}
	m.once.Do(func() {
		c, err := Compile(m.rules)
		if err != nil {
			c = &Matcher{rules: m.rules, res: make([]func() *regexp.Regexp, len(m.rules)), ruleKW: make([][]int, len(m.rules))}
			c.resetIdx = make([]int, len(m.rules))
			for i := range c.resetIdx {
				c.resetIdx[i] = -1
			}
		}
		m.res, m.resetIdx, m.ruleKW, m.always = c.res, c.resetIdx, c.ruleKW, c.always
		m.keywords, m.kwFold, m.kwRules, m.anchors, m.byAnchor = c.keywords, c.kwFold, c.kwRules, c.anchors, c.byAnchor
	})
}

// Keywords returns, for each rule, the literals of its prefilter (nil: checked on every line); a
// literal of a case-insensitive pattern is lower-cased.
func (m *Matcher) Keywords() [][]string {
	m.ready()
	out := make([][]string, len(m.rules))
	for i, ks := range m.ruleKW {
		for _, k := range ks {
			out[i] = append(out[i], string(m.keywords[k]))
		}
	}
	return out
}

// Terminal reports whether a hit is a terminal limit: the account cannot go on (quota spent, credit
// gone, credential dead), so an interactive child that keeps running after it can be stopped and the
// run failed over (--on-limit restart). A rule bound to exit codes is never terminal while the child
// runs; neither is a rate limit or an overload, which the CLI rides out by itself.
func (m *Matcher) Terminal(h Hit) bool {
	if h.Rule < 0 || h.Rule >= len(m.rules) {
		return false
	}
	r := m.rules[h.Rule]
	if len(r.ExitCodes) > 0 {
		return false
	}
	c := r.Class
	return c.Class == QuotaExhausted || c.Class == Dead || c.Class == Degraded && c.Reason == SubscriptionPaused
}

func caseVariants(b byte) []byte {
	if b >= 'a' && b <= 'z' {
		return []byte{b, b - 'a' + 'A'}
	}
	return []byte{b}
}

// byteRank estimates how often a byte occurs in what coding CLIs print (prose, code, logs, URLs),
// per 10 000 bytes, counting both cases of a letter since both are scanned. The prefilter anchors
// each keyword on its rarest byte so that IndexByte stops seldom.
func byteRank(b byte) int {
	switch {
	case b == ' ':
		return 1500
	case b >= 'a' && b <= 'z':
		return letterRank[b-'a'] * 9 / 10
	case b >= 'A' && b <= 'Z':
		return letterRank[b-'A'] / 10
	case b >= '0' && b <= '9':
		return 150
	case b == '.' || b == '/' || b == '-' || b == ':' || b == '"' || b == ',' || b == '=' || b == '_':
		return 200
	case b == '(' || b == ')' || b == '[' || b == ']' || b == '{' || b == '}' || b == '\'':
		return 60
	case b >= 0x80:
		return 80 // UTF-8 box drawing and bullets are common in TUIs
	case b < 0x20:
		return 5
	default:
		return 25
	}
}

// letterRank: English and code letter frequencies per 10 000 bytes, both cases.
var letterRank = [26]int{
	700, 140, 300, 330, 1000, 200, 190, 400, 600, 20, 80, 420, 260, // a–m
	580, 600, 220, 15, 550, 560, 750, 280, 100, 170, 40, 170, 10, // n–z
}

// passCost is what one more anchor byte costs in byteRank's units: a whole IndexByte pass over
// each chunk (~0.1 ns a byte) against a stop and a comparison (~15 ns) per occurrence.
const passCost = 60

// anchorOf picks the anchor of kw: its rarest byte, unless a byte that already is an anchor (seen)
// is nearly as rare.
func anchorOf(kw []byte, fold bool, seen *[256]bool) int {
	best, bestCost := 0, 1<<30
	for i, b := range kw {
		c := byteRank(b)
		used := seen[b]
		if fold && b >= 'a' && b <= 'z' {
			c = letterRank[b-'a'] // both cases are scanned
			used = used && seen[b-'a'+'A']
		}
		if !used {
			c += passCost
		}
		if c < bestCost {
			best, bestCost = i, c
		}
	}
	return best
}

// checkByte is the offset of the rarest byte of kw other than its anchor at off (off itself for a
// one-byte keyword).
func checkByte(kw []byte, off int, fold bool) int {
	best, bestRank := off, 1<<30
	for i, b := range kw {
		if i == off {
			continue
		}
		r := byteRank(b)
		if fold && b >= 'a' && b <= 'z' {
			r = letterRank[b-'a']
		}
		if r < bestRank {
			best, bestRank = i, r
		}
	}
	return best
}

func rarestByte(kw []byte, fold bool) int {
	best, bestRank := 0, 1<<30
	for i, b := range kw {
		r := byteRank(b)
		if fold && b >= 'a' && b <= 'z' {
			r = letterRank[b-'a'] // both cases are scanned
		}
		if r < bestRank {
			best, bestRank = i, r
		}
	}
	return best
}

// maxAlternatives bounds the literal set of one rule; past it the rule is checked on every line.
const maxAlternatives = 16

type literal struct {
	text string
	fold bool // lower-cased; compare ASCII case-insensitively
}

// requiredLiterals returns literals at least one of which occurs in every match of pattern, or nil
// when no such set is known. Literals are split where case folding could reach
// non-ASCII runes (k ↔ K, s ↔ ſ) or at a newline, so that an ASCII case-insensitive search for them
// never misses a line the expression matches.
func requiredLiterals(pattern string) []literal {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil
	}
	return literalsOf(re)
}

// literalsOf is requiredLiterals of a parsed pattern (which it does not modify).
func literalsOf(re *syntax.Regexp) []literal {
	set := required(re.Simplify())
	if len(set) == 0 {
		return nil
	}
	sort.Slice(set, func(i, j int) bool {
		if set[i].text != set[j].text {
			return set[i].text < set[j].text
		}
		return !set[i].fold && set[j].fold
	})
	out := set[:0]
	for i, x := range set {
		if i == 0 || x != set[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func required(re *syntax.Regexp) []literal {
	switch re.Op {
	case syntax.OpLiteral:
		return literalRuns(re.Rune, re.Flags&syntax.FoldCase != 0)
	case syntax.OpCapture:
		return required(re.Sub[0])
	case syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0])
		}
		return nil
	case syntax.OpConcat:
		var best []literal
		bestScore := 0
		for i, sub := range re.Sub {
			s := required(sub)
			if sc := score(s); sc > bestScore {
				best, bestScore = s, sc
			}
			if i+1 < len(re.Sub) {
				if s := joined(sub, re.Sub[i+1]); score(s) > bestScore {
					best, bestScore = s, score(s)
				}
			}
		}
		return best
	case syntax.OpAlternate:
		var all []literal
		for _, sub := range re.Sub {
			s := required(sub)
			if len(s) == 0 {
				return nil
			}
			all = append(all, s...)
		}
		if len(all) > maxAlternatives {
			return nil
		}
		return all
	}
	return nil
}

// joined is the literal set of a literal followed by an alternation: per branch, the literal and
// the branch's opening literal joined (or the branch's own literals when it opens otherwise). RE2 factors a common prefix out of alternatives
// ("Your workspace…|You hit…" parses as "You" then an alternation), which leaves a short literal
// alone otherwise; nil when the shape does not fit.
func joined(lit, alt *syntax.Regexp) []literal {
	if lit.Op != syntax.OpLiteral || alt.Op != syntax.OpAlternate || len(alt.Sub) > maxAlternatives {
		return nil
	}
	fold := lit.Flags&syntax.FoldCase != 0
	var out []literal
	for _, b := range alt.Sub {
		head := b
		if b.Op == syntax.OpConcat && len(b.Sub) > 0 {
			head = b.Sub[0]
		}
		var l []literal
		switch {
		case head.Op == syntax.OpLiteral && (head.Flags&syntax.FoldCase != 0) == fold:
			l = literalRuns(append(append([]rune(nil), lit.Rune...), head.Rune...), fold)
		case head.Op == syntax.OpEmptyMatch:
			l = literalRuns(lit.Rune, fold)
		case head.Op == syntax.OpAlternate:
			l = joined(lit, head) // "You" then "'re" or "’re"
		default:
			// A branch that opens otherwise ("['’]re out of credits") has literals of its own.
			l = required(b)
		}
		if len(l) == 0 {
			return nil
		}
		out = append(out, l...)
	}
	return out
}

// score prefers the set that the prefilter scans cheapest: few alternatives anchored on rare bytes,
// then long literals (fewer false verifications).
func score(set []literal) int {
	if len(set) == 0 {
		return 0
	}
	cost, minLen := 0, 1<<30
	for _, l := range set {
		kw := []byte(l.text)
		r := byteRank(kw[rarestByte(kw, l.fold)])
		if l.fold {
			r *= 2
		}
		cost += r
		minLen = min(minLen, len(kw))
	}
	if minLen < 3 {
		cost += 1000 // a one- or two-byte literal verifies on almost every anchor
	}
	if minLen < 5 {
		// A short literal is a common word ("You"): the line it finds goes to the expressions far
		// more often than its anchor's rank says.
		cost += (5 - minLen) * 100
	}
	return 1<<20 - cost*64 + min(minLen, 63)
}

// literalRuns returns the longest run of runes that a byte comparison (ASCII case-insensitive when
// fold) finds exactly, as a one-element set (or nil).
func literalRuns(runes []rune, fold bool) []literal {
	var best, cur []byte
	flush := func() {
		if len(cur) > len(best) {
			best = append(best[:0], cur...)
		}
		cur = cur[:0]
	}
	for _, r := range runes {
		if r == '\n' || (fold && !asciiFoldSafe(r)) {
			flush()
			continue
		}
		if r < utf8.RuneSelf && fold {
			cur = append(cur, lowerASCII(byte(r)))
		} else if r < utf8.RuneSelf {
			cur = append(cur, byte(r))
		} else {
			cur = utf8.AppendRune(cur, r)
		}
	}
	flush()
	if len(best) == 0 {
		return nil
	}
	return []literal{{string(best), fold}}
}

// asciiFoldSafe reports whether every case variant of r is r itself or its ASCII other case.
func asciiFoldSafe(r rune) bool {
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f >= utf8.RuneSelf {
			return false
		}
	}
	return r < utf8.RuneSelf || unicode.SimpleFold(r) == r
}

func lowerASCII(b byte) byte {
	if b >= 'A' && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// equalFoldASCII compares s with the lower-cased keyword kw, folding ASCII letters of s.
func equalFoldASCII(s, kw []byte) bool {
	if len(s) != len(kw) {
		return false
	}
	for i, c := range s {
		if lowerASCII(c) != kw[i] {
			return false
		}
	}
	return true
}

// kwHit is a keyword found on a line of a scanned buffer.
type kwHit struct {
	start, end int // the line, without its '\n'
	kw         int
}

// scan appends to hits every keyword occurrence in buf with the bounds of its line. Keywords never
// hold '\n', so a match never crosses a line.
func (m *Matcher) scan(buf []byte, hits []kwHit) []kwHit {
	for _, b := range m.anchors {
		refs := m.byAnchor[b]
		i := 0
		for i < len(buf) {
			j := bytes.IndexByte(buf[i:], b)
			if j < 0 {
				break
			}
			pos := i + j
			for _, r := range refs {
				kw := m.keywords[r.kw]
				s := pos - r.off
				if s < 0 || s+len(kw) > len(buf) {
					continue
				}
				if c := buf[s+r.chk]; c != r.c && lowerASCII(c) != r.c {
					continue
				}
				if m.kwFold[r.kw] {
					if !equalFoldASCII(buf[s:s+len(kw)], kw) {
						continue
					}
				} else if !bytes.Equal(buf[s:s+len(kw)], kw) {
					continue
				}
				ls := bytes.LastIndexByte(buf[:pos], '\n') + 1
				le := bytes.IndexByte(buf[pos:], '\n')
				if le < 0 {
					le = len(buf)
				} else {
					le += pos
				}
				hits = append(hits, kwHit{ls, le, r.kw})
			}
			i = pos + 1
		}
	}
	return hits
}
