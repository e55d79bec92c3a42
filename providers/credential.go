package providers

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path"
	"strconv"
	"strings"
	"text/template"
	"time"
	"unicode"
	"unicode/utf8"
)

// CredentialError says why a credential could not be read. It names JSON paths from the definition
// and never carries a value from the credential itself, so it is safe to print and to record.
type CredentialError struct {
	Path string // the definition's JSON path involved, "" when the whole credential is at fault
	Msg  string
}

func (e *CredentialError) Error() string {
	if e.Path == "" {
		return "credential: " + e.Msg
	}
	return fmt.Sprintf("credential: %s at %q", e.Msg, e.Path)
}

// ErrCredential matches every *CredentialError with errors.Is.
var ErrCredential = errors.New("credential")

// Is lets callers test errors.Is(err, providers.ErrCredential) without a type assertion.
func (e *CredentialError) Is(target error) bool { return target == ErrCredential }

func credErr(path, msg string) error { return &CredentialError{Path: path, Msg: msg} }

// String redacts: a Token in a log line or a %v shows only what is safe.
func (t Token) String() string {
	exp := "unknown"
	if t.ExpiresAt != nil {
		exp = t.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("Token{access:[redacted] refresh:%t expires:%s api_key:%t metered:%t}",
		t.RefreshToken != "", exp, t.APIKey, t.Metered)
}

// GoString redacts too, for %#v.
func (t Token) GoString() string { return t.String() }

// MarshalJSON writes the non-secret facts only: a Token that reaches JSON by accident leaks nothing.
func (t Token) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		HasRefreshToken bool       `json:"has_refresh_token"`
		ExpiresAt       *time.Time `json:"expires_at,omitempty"`
		APIKey          bool       `json:"api_key"`
		Metered         bool       `json:"metered"`
	}{t.RefreshToken != "", t.ExpiresAt, t.APIKey, t.Metered})
}

// Expired reports whether the token expires within skew of now. An unknown expiry is not expired.
func (t Token) Expired(now time.Time, skew time.Duration) bool {
	return t.ExpiresAt != nil && !t.ExpiresAt.After(now.Add(skew))
}

const (
	// maxUnixSeconds is 9999-12-31T23:59:59Z: anything later is a corrupt field, not a plan.
	maxUnixSeconds = 253402300799
	// millisThreshold separates seconds from milliseconds when the unit is not given: 1e11 seconds
	// is the year 5138, 1e11 milliseconds is 1973, so a real expiry is never ambiguous.
	millisThreshold = 1e11
	// maxExpiresIn bounds a relative lifetime (100 years).
	maxExpiresIn = 100 * 365 * 24 * 3600
)

func parseCredential(def Definition, raw []byte, modTime time.Time) (Token, error) {
	c := def.Credential
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 {
		return Token{}, credErr("", "empty")
	}
	switch trimmed[0] {
	case '{':
	case '"':
		// A JSON string is a raw secret that someone quoted.
		var s string
		if err := json.Unmarshal(trimmed, &s); err != nil {
			return Token{}, credErr("", "invalid JSON string")
		}
		return rawKey(def, []byte(s))
	case '[':
		return Token{}, credErr("", "JSON array, want an object")
	default:
		return rawKey(def, trimmed)
	}

	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	var root map[string]any
	if err := dec.Decode(&root); err != nil {
		// The decoder's own message quotes the offending character; the offset is enough.
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return Token{}, credErr("", fmt.Sprintf("invalid JSON at byte %d", se.Offset))
		}
		return Token{}, credErr("", "invalid JSON")
	}
	if dec.More() {
		return Token{}, credErr("", "trailing data after the JSON object")
	}

	obj := root
	if c.WrapperKey != "" {
		// Tolerate a credential without its wrapper: users paste the inner object as often as the
		// whole file, and the paths inside are the same.
		if w, ok := root[c.WrapperKey]; ok {
			m, ok := w.(map[string]any)
			if !ok {
				return Token{}, credErr(c.WrapperKey, "wrapper is not an object")
			}
			obj = m
		}
	}

	accessPath := str("access_token", c.AccessTokenPath)
	refreshPath := str("refresh_token", c.RefreshTokenPath)

	var tok Token
	access, err := stringAt(obj, accessPath, "access token")
	if err != nil {
		return Token{}, err
	}
	if access == "" && c.APIKeyPath != "" {
		key, err := stringAt(obj, c.APIKeyPath, "API key")
		if err != nil {
			return Token{}, err
		}
		if key != "" {
			tok.AccessToken = key
			tok.APIKey = true
			tok.Metered = c.APIKeyMetered
			return tok, nil
		}
	}
	if access == "" {
		if c.APIKeyPath != "" {
			return Token{}, credErr(accessPath, "no access token (and no API key at "+strconv.Quote(c.APIKeyPath)+")")
		}
		return Token{}, credErr(accessPath, "no access token")
	}
	tok.AccessToken = access
	if tok.RefreshToken, err = stringAt(obj, refreshPath, "refresh token"); err != nil {
		return Token{}, err
	}
	if c.TokenType == TokenAPIKey {
		tok.APIKey = true
		tok.Metered = c.APIKeyMetered
	}
	if tok.ExpiresAt, err = expiry(c, obj, modTime); err != nil {
		return Token{}, err
	}
	return tok, nil
}

// rawKey accepts a bare secret (gh token, Linear or FlakeHub API key). It must be one word: a YAML or
// INI file pointed at by mistake would otherwise be injected whole as a token.
func rawKey(def Definition, b []byte) (Token, error) {
	s := strings.TrimSpace(string(b))
	if s == "" {
		return Token{}, credErr("", "empty")
	}
	if !utf8.ValidString(s) {
		return Token{}, credErr("", "not JSON and not a valid UTF-8 token")
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return Token{}, credErr("", "not JSON and not a single-word token")
		}
	}
	return Token{AccessToken: s, APIKey: true, Metered: def.Credential.APIKeyMetered}, nil
}

// LookupPath walks a definition's dot-separated JSON path (SPEC §5.1: "tokens.access_token") through
// nested objects, and arrays by index, of a decoded credential. It is the one reading of those paths:
// inject's refresh merge reads the old values with it, so both sides agree on what a path names.
func LookupPath(obj map[string]any, p string) (any, bool) {
	v, err := WalkPath(obj, p)
	return v, err == nil
}

// WalkPath follows a dot path ("tokens.access_token", "keys.0.value") into a decoded JSON value: a
// segment names an object key, or an array index. The error says where the shape did not fit, never
// what a value was, so it is safe to show for a document holding secrets.
func WalkPath(v any, p string) (any, error) {
	for seg := range strings.SplitSeq(p, ".") {
		switch cur := v.(type) {
		case map[string]any:
			next, ok := cur[seg]
			if !ok {
				return nil, fmt.Errorf("no key %q", seg)
			}
			v = next
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(cur) {
				return nil, fmt.Errorf("no index %q in an array of %d", seg, len(cur))
			}
			v = cur[i]
		default:
			return nil, fmt.Errorf("%q is not inside an object or array", seg)
		}
	}
	return v, nil
}

// stringAt returns the string at p, "" when absent or null. Tokens travel in environment variables and
// HTTP headers, where NUL, CR and LF are either impossible or an injection, so they are refused here.
func stringAt(obj map[string]any, p, what string) (string, error) {
	v, ok := LookupPath(obj, p)
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", credErr(p, what+" is not a string")
	}
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, "\x00\r\n") {
		return "", credErr(p, what+" holds control characters")
	}
	return s, nil
}

func expiry(c Credential, obj map[string]any, modTime time.Time) (*time.Time, error) {
	if c.ExpiresAtPath != "" {
		if v, ok := LookupPath(obj, c.ExpiresAtPath); ok && v != nil {
			return absoluteExpiry(c, v)
		}
	}
	if c.ExpiresInPath != "" {
		if v, ok := LookupPath(obj, c.ExpiresInPath); ok && v != nil {
			return relativeExpiry(c.ExpiresInPath, v, modTime)
		}
	}
	if c.ExpiresFromJWTPath != "" {
		if v, ok := LookupPath(obj, c.ExpiresFromJWTPath); ok {
			if s, ok := v.(string); ok {
				// A token that is not a JWT (or has no exp) just has an unknown expiry: the upstream
				// CLI that owns it knows better than we do.
				return JWTExpiry(s), nil
			}
		}
	}
	return nil, nil
}

func absoluteExpiry(c Credential, v any) (*time.Time, error) {
	p := c.ExpiresAtPath
	var n float64
	switch x := v.(type) {
	case json.Number:
		f, ok := finite(x.String())
		if !ok {
			return nil, credErr(p, "expiry is not a number")
		}
		n = f
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return nil, nil
		}
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			if t.Year() < 1 || t.Year() > 9999 {
				return nil, credErr(p, "expiry out of range")
			}
			return &t, nil
		}
		f, ok := finite(s)
		if !ok {
			return nil, credErr(p, "expiry is neither a number nor an RFC 3339 time")
		}
		n = f
	default:
		return nil, credErr(p, "expiry is neither a number nor an RFC 3339 time")
	}
	if n <= 0 {
		return nil, nil // 0 is how several CLIs write "no expiry"
	}
	var ms bool
	switch c.ExpiresAtUnit {
	case UnitMilliseconds:
		ms = true
	case UnitSeconds:
	case "":
		ms = n >= millisThreshold
	default:
		return nil, credErr(p, "unknown expires_at_unit")
	}
	if ms {
		n /= 1000
	}
	if n > maxUnixSeconds {
		return nil, credErr(p, "expiry out of range")
	}
	t := unixFloat(n)
	return &t, nil
}

func relativeExpiry(p string, v any, modTime time.Time) (*time.Time, error) {
	var n float64
	switch x := v.(type) {
	case json.Number:
		f, ok := finite(x.String())
		if !ok {
			return nil, credErr(p, "expires_in is not a number")
		}
		n = f
	case string:
		f, ok := finite(strings.TrimSpace(x))
		if !ok {
			return nil, credErr(p, "expires_in is not a number")
		}
		n = f
	default:
		return nil, credErr(p, "expires_in is not a number")
	}
	if n <= 0 || modTime.IsZero() {
		return nil, nil
	}
	if n > maxExpiresIn {
		return nil, credErr(p, "expires_in out of range")
	}
	t := modTime.Add(time.Duration(n * float64(time.Second)))
	return &t, nil
}

func finite(s string) (float64, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

func unixFloat(sec float64) time.Time {
	whole := math.Floor(sec)
	nsec := math.Round((sec - whole) * 1e9)
	return time.Unix(int64(whole), int64(nsec)).UTC()
}

// JWTExpiry reads the exp claim of a JWT without checking its signature (we only want to know when
// to stop trusting it, not whether to trust it). Padding and standard-alphabet payloads are
// tolerated. It returns nil when s is not a JWT or has no usable exp.
func JWTExpiry(s string) *time.Time {
	parts := strings.Split(strings.TrimSpace(s), ".")
	if len(parts) != 3 || parts[1] == "" {
		return nil
	}
	seg := strings.TrimRight(parts[1], "=")
	payload, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		if payload, err = base64.RawStdEncoding.DecodeString(seg); err != nil {
			return nil
		}
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var claims map[string]any
	if dec.Decode(&claims) != nil {
		return nil
	}
	num, ok := claims["exp"].(json.Number)
	if !ok {
		return nil
	}
	f, ok := finite(num.String())
	if !ok || f <= 0 || f > maxUnixSeconds {
		return nil
	}
	t := unixFloat(f)
	return &t
}

// DefaultCredentialFilename is the file a managed config dir holds when the definition names none.
const DefaultCredentialFilename = "credentials.json"

// CredentialFilename is the credential file's path inside the account's config dir, slash-separated
// and relative (gemini's is ".gemini/oauth_creds.json": callers create the parent directories).
func (d Definition) CredentialFilename() string {
	return str(DefaultCredentialFilename, d.Injection.CredentialFilename)
}

// CheckCredentialFilename reports a credential_filename that would escape the config dir.
func CheckCredentialFilename(name string) error {
	if name == "" {
		return nil
	}
	if strings.Contains(name, "\\") || path.IsAbs(name) || path.Clean(name) != name || name == "." ||
		name == ".." || strings.HasPrefix(name, "../") {
		return fmt.Errorf("credential_filename %q must be a clean relative path inside the config dir", name)
	}
	return nil
}

// Env returns the child environment changes a token brings (SPEC §6.1): variables to remove and
// variables to set. Scrubbing happens first, so a variable both scrubbed and set ends up set (codex's
// OPENAI_API_KEY in API-key mode); it is then not listed in unset. Pairs with an empty value are
// skipped: an empty GH_TOKEN is worse than none.
func (d Definition) Env(tok Token) (set [][2]string, unset []string) {
	setNames := map[string]bool{}
	for _, pair := range d.Injection.DirectEnv {
		var v string
		switch pair[1] {
		case InjectAccessToken:
			v = tok.AccessToken
		case InjectRefreshToken:
			v = tok.RefreshToken
		case InjectAPIKey:
			if tok.APIKey {
				v = tok.AccessToken
			}
		}
		if pair[0] == "" || v == "" || setNames[pair[0]] {
			continue
		}
		setNames[pair[0]] = true
		set = append(set, [2]string{pair[0], v})
	}
	for _, name := range d.Injection.ScrubEnv {
		if name != "" && !setNames[name] {
			unset = append(unset, name)
		}
	}
	return set, unset
}

// TemplateData is what a credential_template sees. ExpiresAt is the zero time when unknown; the Unix
// forms are 0 then.
type TemplateData struct {
	AccessToken      string
	RefreshToken     string
	ExpiresAt        time.Time
	ExpiresAtUnix    int64
	ExpiresAtUnixMS  int64
	ExpiresAtRFC3339 string
}

var templateFuncs = template.FuncMap{
	// json quotes a value for a JSON document, so a token with a quote cannot break the file.
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
}

// CheckCredentialTemplate parses a credential_template, for config validation.
func CheckCredentialTemplate(tmpl string) error {
	if _, err := template.New("credential_template").Funcs(templateFuncs).Option("missingkey=error").Parse(tmpl); err != nil {
		return fmt.Errorf("credential_template: %w", err)
	}
	return nil
}

// RenderCredential produces the bytes of the credential file written into a managed config dir. It is
// normally the secret's own bytes (raw, copied); with a credential_template, the template rendered over
// TemplateData (functions: json). Errors never contain token material.
func RenderCredential(def Definition, tok Token, raw []byte) ([]byte, error) {
	tmpl := def.Injection.CredentialTemplate
	if tmpl == "" {
		return bytes.Clone(raw), nil
	}
	t, err := template.New("credential_template").Funcs(templateFuncs).Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return nil, fmt.Errorf("credential_template: %w", err)
	}
	data := TemplateData{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken}
	if tok.ExpiresAt != nil {
		data.ExpiresAt = tok.ExpiresAt.UTC()
		data.ExpiresAtUnix = tok.ExpiresAt.Unix()
		data.ExpiresAtUnixMS = tok.ExpiresAt.UnixMilli()
		data.ExpiresAtRFC3339 = tok.ExpiresAt.UTC().Format(time.RFC3339)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		// text/template execution errors name the template position, never the data; still, keep
		// only a generic message so nothing of a token can ride along.
		return nil, errors.New("credential_template: rendering failed (check the field names)")
	}
	return buf.Bytes(), nil
}
