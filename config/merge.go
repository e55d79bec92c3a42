package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// MergeCodex splices a candidate config's codex provider into active: the provider "codex", the
// profiles that route to it, and the strategies those profiles name. Every other byte of active is
// kept as it was (other providers, profiles, keys, their order and formatting); a replaced or added
// member is indented like its neighbours. The result must validate; candidate must too.
func MergeCodex(active, candidate []byte) ([]byte, error) {
	if !json.Valid(active) {
		return nil, errors.New("the active config is not valid JSON")
	}
	var cand struct {
		Providers  map[string]json.RawMessage `json:"providers"`
		Profiles   map[string]json.RawMessage `json:"profiles"`
		Strategies map[string]json.RawMessage `json:"strategies"`
	}
	if err := json.Unmarshal(candidate, &cand); err != nil {
		return nil, fmt.Errorf("candidate: %w", err)
	}
	codex, ok := cand.Providers["codex"]
	if !ok {
		return nil, errors.New("candidate: no providers.codex")
	}
	profiles := map[string]json.RawMessage{}
	strategies := map[string]json.RawMessage{}
	for name, raw := range cand.Profiles {
		var p Profile
		if json.Unmarshal(raw, &p) != nil {
			continue
		}
		routesCodex := false
		for _, ref := range p.Providers {
			routesCodex = routesCodex || strings.HasPrefix(ref, "codex:") || ref == "codex"
		}
		if !routesCodex {
			continue
		}
		profiles[name] = raw
		if s, ok := cand.Strategies[p.Strategy]; ok {
			strategies[p.Strategy] = s
		}
	}
	if err := mergeRefusals(active, profiles, strategies); err != nil {
		return nil, err
	}
	out := active
	var err error
	for _, sec := range []struct {
		key     string
		members map[string]json.RawMessage
	}{{"providers", map[string]json.RawMessage{"codex": codex}}, {"profiles", profiles}, {"strategies", strategies}} {
		if out, err = spliceSection(out, sec.key, sec.members); err != nil {
			return nil, err
		}
	}
	if !json.Valid(out) {
		return nil, errors.New("merging would not give valid JSON")
	}
	return out, nil
}

// mergeRefusals refuses a merge that would replace what is not the codex provider's: a profile of
// the same name that routes elsewhere, or a strategy that a profile the merge leaves alone uses.
func mergeRefusals(active []byte, profiles, strategies map[string]json.RawMessage) error {
	var act struct {
		Profiles map[string]Profile `json:"profiles"`
	}
	if json.Unmarshal(active, &act) != nil {
		return nil // the splice reports what is wrong with the text
	}
	for name, p := range act.Profiles {
		_, merged := profiles[name]
		codex := false
		for _, ref := range p.Providers {
			codex = codex || strings.HasPrefix(ref, "codex:") || ref == "codex"
		}
		switch {
		case merged && !codex && len(p.Providers) > 0:
			return fmt.Errorf("profile %q routes to other providers; rename it or the candidate's before merging", name)
		case !merged && strategies[p.Strategy] != nil:
			return fmt.Errorf("strategy %q is also used by profile %q, which the merge leaves alone; rename one before merging", p.Strategy, name)
		}
	}
	return nil
}

// member is one key of a JSON object and where its value lies in the text.
type member struct {
	key                  string
	keyStart, start, end int
}

// spliceSection sets each of members in the top-level object section of text (adding the section
// when it is missing).
func spliceSection(text []byte, section string, members map[string]json.RawMessage) ([]byte, error) {
	if len(members) == 0 {
		return text, nil
	}
	top, open, closing, err := objectMembers(text, skipSpace(text, 0))
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(members))
	for n := range members {
		names = append(names, n)
	}
	sort.Strings(names)
	var sec *member
	for i := range top {
		if top[i].key == section {
			sec = &top[i]
		}
	}
	if sec == nil {
		obj := map[string]json.RawMessage{}
		for n, v := range members {
			obj[n] = v
		}
		value, _ := json.Marshal(obj)
		return insertMember(text, top, open, closing, section, value), nil
	}
	for _, name := range names {
		ms, open, closing, err := objectMembers(text, sec.start)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", section, err)
		}
		var found *member
		for i := range ms {
			if ms[i].key == name {
				found = &ms[i]
			}
		}
		if found != nil {
			value := indentLike(text, found.keyStart, members[name])
			text = append(append(append([]byte{}, text[:found.start]...), value...), text[found.end:]...)
		} else {
			text = insertMember(text, ms, open, closing, name, members[name])
		}
		// Offsets after the edit moved: find the section again for the next member.
		top, _, _, err = objectMembers(text, skipSpace(text, 0))
		if err != nil {
			return nil, err
		}
		for i := range top {
			if top[i].key == section {
				sec = &top[i]
			}
		}
	}
	return text, nil
}

// insertMember adds "key": value as the last member of the object whose braces are at open and
// closing, indented like its last member (or one step past the brace's line when it is empty).
func insertMember(text []byte, ms []member, open, closing int, key string, value json.RawMessage) []byte {
	var indent string
	if len(ms) > 0 {
		indent = lineIndent(text, ms[len(ms)-1].keyStart)
	} else {
		indent = lineIndent(text, open) + "  "
	}
	k, _ := json.Marshal(key)
	var b bytes.Buffer
	at := closing
	if len(ms) > 0 {
		at = ms[len(ms)-1].end
		b.WriteString(",")
	}
	b.WriteString("\n" + indent + string(k) + ": ")
	b.Write(indentLike(text, -1, value, indent))
	if len(ms) == 0 {
		b.WriteString("\n" + lineIndent(text, open))
	}
	return append(append(append([]byte{}, text[:at]...), b.Bytes()...), text[at:]...)
}

// indentLike formats value for a member whose key starts at keyStart (or at the given indent).
func indentLike(text []byte, keyStart int, value json.RawMessage, indent ...string) []byte {
	prefix := ""
	if keyStart >= 0 {
		prefix = lineIndent(text, keyStart)
	} else if len(indent) > 0 {
		prefix = indent[0]
	}
	var b bytes.Buffer
	if err := json.Indent(&b, value, prefix, "  "); err != nil {
		return value
	}
	return b.Bytes()
}

// lineIndent is the blanks at the start of the line holding offset i.
func lineIndent(text []byte, i int) string {
	start := bytes.LastIndexByte(text[:i], '\n') + 1
	end := start
	for end < len(text) && (text[end] == ' ' || text[end] == '\t') {
		end++
	}
	return string(text[start:end])
}

// objectMembers lists the members of the JSON object starting at i, with the offsets of its braces.
func objectMembers(text []byte, i int) (ms []member, open, closing int, err error) {
	if i >= len(text) || text[i] != '{' {
		return nil, 0, 0, errors.New("not a JSON object")
	}
	open = i
	i = skipSpace(text, i+1)
	if i < len(text) && text[i] == '}' {
		return nil, open, i, nil
	}
	for i < len(text) {
		keyStart := i
		keyEnd, err := skipValue(text, i)
		if err != nil || text[i] != '"' {
			return nil, 0, 0, errors.New("malformed object")
		}
		var key string
		if err := json.Unmarshal(text[keyStart:keyEnd], &key); err != nil {
			return nil, 0, 0, err
		}
		i = skipSpace(text, keyEnd)
		if i >= len(text) || text[i] != ':' {
			return nil, 0, 0, errors.New("malformed object")
		}
		start := skipSpace(text, i+1)
		end, err := skipValue(text, start)
		if err != nil {
			return nil, 0, 0, err
		}
		ms = append(ms, member{key: key, keyStart: keyStart, start: start, end: end})
		i = skipSpace(text, end)
		switch {
		case i < len(text) && text[i] == ',':
			i = skipSpace(text, i+1)
		case i < len(text) && text[i] == '}':
			return ms, open, i, nil
		default:
			return nil, 0, 0, errors.New("malformed object")
		}
	}
	return nil, 0, 0, errors.New("unterminated object")
}

func skipSpace(text []byte, i int) int {
	for i < len(text) && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the offset just past the JSON value starting at i.
func skipValue(text []byte, i int) (int, error) {
	if i >= len(text) {
		return 0, errors.New("unexpected end")
	}
	switch text[i] {
	case '"':
		for j := i + 1; j < len(text); j++ {
			switch text[j] {
			case '\\':
				j++
			case '"':
				return j + 1, nil
			}
		}
		return 0, errors.New("unterminated string")
	case '{', '[':
		depth := 0
		for j := i; j < len(text); j++ {
			switch text[j] {
			case '"':
				end, err := skipValue(text, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errors.New("unterminated value")
	}
	j := i
	for j < len(text) && !strings.ContainsRune(",}] \t\r\n", rune(text[j])) {
		j++
	}
	return j, nil
}
