package providers

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzParseCredential feeds arbitrary bytes through every built-in definition and the generic one.
// Invariants: no panic; an error never repeats input bytes (so never a token); a success has a
// non-empty single-line access token and a sane expiry.
func FuzzParseCredential(f *testing.F) {
	entries, _ := os.ReadDir(filepath.Join("testdata", "credentials"))
	for i, e := range entries {
		if b, err := os.ReadFile(filepath.Join("testdata", "credentials", e.Name())); err == nil {
			f.Add(uint8(i), b, int64(1893456000))
		}
	}
	defs := append(Builtins(), GenericDefinition(),
		Definition{Name: "deep", Credential: Credential{AccessTokenPath: "a.0.b", ExpiresAtPath: "e", ExpiresInPath: "i", ExpiresFromJWTPath: "a.0.b"}})
	f.Fuzz(func(t *testing.T, which uint8, raw []byte, mod int64) {
		def := defs[int(which)%len(defs)]
		// File times between 1970 and 2096: the invariants below are about the credential, not the clock.
		m := mod % 4_000_000_000
		if m < 0 {
			m = -m
		}
		modTime := time.Unix(m, 0)
		tok, err := ParseCredential(def, raw, modTime)
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "credential: ") {
				t.Fatalf("error without prefix: %q", msg)
			}
			// Strip the definition's own paths, which the message may quote; what is left must not
			// carry a run of the input.
			rest := msg
			for _, p := range []string{def.Credential.AccessTokenPath, def.Credential.RefreshTokenPath, def.Credential.ExpiresAtPath,
				def.Credential.ExpiresInPath, def.Credential.APIKeyPath, def.Credential.WrapperKey} {
				if p != "" {
					rest = strings.ReplaceAll(rest, p, "")
				}
			}
			for _, field := range bytes.FieldsFunc(raw, func(r rune) bool { return strings.ContainsRune(" \t\r\n\"{}[]:,\\", r) }) {
				if len(field) >= 12 && strings.Contains(rest, string(field)) {
					t.Fatalf("error %q repeats input %q", msg, field)
				}
			}
			return
		}
		if tok.AccessToken == "" || strings.ContainsAny(tok.AccessToken, "\x00\r\n") || !utf8.ValidString(tok.AccessToken) && !tok.APIKey {
			t.Fatalf("bad access token %q", tok.AccessToken)
		}
		if strings.ContainsAny(tok.RefreshToken, "\x00\r\n") {
			t.Fatalf("bad refresh token %q", tok.RefreshToken)
		}
		if tok.ExpiresAt != nil && (tok.ExpiresAt.Year() < 1970 || tok.ExpiresAt.Year() > 9999) {
			t.Fatalf("expiry out of range: %v", tok.ExpiresAt)
		}
		if tok.Metered && !tok.APIKey {
			t.Fatal("metered without an API key")
		}
		_ = tok.String()
	})
}
