package inject

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/oauth-mux/oauth-mux/providers"
)

// unquotePOSIX reads one POSIX shell word made of '…' runs and backslash-escaped characters, the only
// forms QuotePOSIX emits; ok is false for anything else.
func unquotePOSIX(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); {
		switch s[i] {
		case '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return "", false
			}
			b.WriteString(s[i+1 : i+1+j])
			i += j + 2
		case '\\':
			if i+1 >= len(s) {
				return "", false
			}
			b.WriteByte(s[i+1])
			i += 2
		default:
			return "", false
		}
	}
	return b.String(), true
}

// unquoteFish reads one fish single-quoted word, where \\ and \' are the only escapes.
func unquoteFish(s string) (string, bool) {
	if len(s) < 2 || s[0] != '\'' || s[len(s)-1] != '\'' {
		return "", false
	}
	s = s[1 : len(s)-1]
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 < len(s) && (s[i+1] == '\\' || s[i+1] == '\'') {
				b.WriteByte(s[i+1])
				i++
			} else {
				b.WriteByte(c) // fish keeps a lone backslash
			}
		case '\'':
			return "", false // an unescaped quote would end the word early
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

func FuzzFormatPOSIX(f *testing.F) {
	for _, v := range roundTripValues {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if strings.IndexByte(v, 0) >= 0 {
			return
		}
		out := Format(map[string]string{"K": v}, nil, "bash")
		word, ok := strings.CutPrefix(out, "export K=")
		if !ok || !strings.HasSuffix(word, "\n") {
			t.Fatalf("line shape: %q", out)
		}
		got, ok := unquotePOSIX(strings.TrimSuffix(word, "\n"))
		if !ok || got != v {
			t.Fatalf("%q -> %q -> %q (ok=%v)", v, word, got, ok)
		}
	})
}

func FuzzFormatFish(f *testing.F) {
	for _, v := range roundTripValues {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if strings.IndexByte(v, 0) >= 0 {
			return
		}
		out := Format(map[string]string{"K": v}, nil, "fish")
		word, ok := strings.CutPrefix(out, "set -gx K ")
		if !ok || !strings.HasSuffix(word, ";\n") {
			t.Fatalf("line shape: %q", out)
		}
		got, ok := unquoteFish(strings.TrimSuffix(word, ";\n"))
		if !ok || got != v {
			t.Fatalf("%q -> %q -> %q (ok=%v)", v, word, got, ok)
		}
	})
}

func FuzzJSONPath(f *testing.F) {
	f.Add([]byte(`{"a":{"b":"x"}}`), "a.b")
	f.Add([]byte(`{"a":[1,2]}`), "a")
	f.Add([]byte(`[1]`), "0")
	f.Add([]byte(`{"a":null}`), "a.b")
	f.Fuzz(func(t *testing.T, doc []byte, path string) {
		v, err := jsonPath(doc, path)
		if err != nil {
			if bytes.Contains(doc, []byte("omux-secret")) && strings.Contains(err.Error(), "omux-secret") && !strings.Contains(path, "omux-secret") {
				t.Fatalf("error quotes the document: %v", err)
			}
			return
		}
		_ = v
	})
}

func FuzzParseBase(f *testing.F) {
	f.Add([]byte(fmt.Sprintf("managed %x\nsecret %x\n", [32]byte{1}, [32]byte{2})))
	f.Add([]byte("managed zz\nsecret \ntemplate\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, ok := parseBase(data)
		if !ok {
			return
		}
		// A record that parses must say the same after a round trip.
		s := fmt.Sprintf("managed %x\nsecret %x\n", b.managed, b.secret)
		if b.template {
			s += "template\n"
		}
		b2, ok2 := parseBase([]byte(s))
		if !ok2 || b2 != b {
			t.Fatalf("round trip: %+v vs %+v", b, b2)
		}
	})
}

// FuzzMergeToken: whatever credential JSON a file holds, a merge either fails cleanly or yields JSON
// that parses back with the new tokens at the definition's paths.
func FuzzMergeToken(f *testing.F) {
	f.Add([]byte(`{"tokens":{"access":"a","refresh":"r"},"expires_at":1,"x":[1,{"y":null}]}`), "tokens.access", "tokens.refresh", "expires_at", "")
	f.Add([]byte(`{"claudeAiOauth":{"accessToken":"a","expiresAt":1700000000000}}`), "accessToken", "refreshToken", "expiresAt", "claudeAiOauth")
	f.Add([]byte(`{"access_token":"a","expires_in":10}`), "access_token", "refresh_token", "", "")
	f.Fuzz(func(t *testing.T, raw []byte, ap, rp, ep, wrapper string) {
		if ap == "" || rp == "" || ap == rp || strings.HasPrefix(ap+".", rp+".") || strings.HasPrefix(rp+".", ap+".") {
			return
		}
		if ep != "" && (strings.HasPrefix(ep+".", ap+".") || strings.HasPrefix(ep+".", rp+".") || strings.HasPrefix(ap+".", ep+".") || strings.HasPrefix(rp+".", ep+".")) {
			return
		}
		c := providers.Credential{AccessTokenPath: ap, RefreshTokenPath: rp, ExpiresAtPath: ep, WrapperKey: wrapper}
		now := time.Unix(1_800_000_000, 0)
		nt := &oauth2.Token{AccessToken: "NEW-A", RefreshToken: "NEW-R", Expiry: now.Add(time.Hour)}
		out, err := mergeToken(c, raw, "NEW-A", "NEW-R", nt, now)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("merge produced invalid JSON: %q", out)
		}
		tok, err := providers.ParseCredential(providers.Definition{Credential: c}, out, now)
		if err != nil {
			return // e.g. an expiry field the parser refuses in a shape it had before
		}
		if tok.AccessToken != "NEW-A" {
			t.Fatalf("access token not at %q: %s", ap, out)
		}
	})
}

// FuzzPendingAndGeneration: whatever a pool's pending or generation file holds (a torn write, a
// hand edit), reading it gives a usable pending credential or none, and a generation ≥ 0 or 0.
func FuzzPendingAndGeneration(f *testing.F) {
	f.Add([]byte(`{"key":"linear:work","after":1764752000000,"sealed":"YWdlLWVuY3J5cHRpb24="}`))
	f.Add([]byte(`{"key":"","after":-1,"sealed":null}`))
	f.Add([]byte("1764752000000\n"))
	f.Add([]byte("-5"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		const key = "linear:work"
		p := pendingPath(dir, key)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if got, ok := readPending(p); ok && (got.Key == "" || len(got.Sealed) == 0) {
			t.Fatalf("readPending accepted %q as %+v", data, got)
		}
		if err := os.WriteFile(generationPath(dir, key), data, 0o600); err != nil {
			t.Fatal(err)
		}
		if g := readGeneration(dir, key); g < 0 {
			t.Fatalf("generation %d from %q", g, data)
		}
	})
}
