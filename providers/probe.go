package providers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/internal/omux"
)

// Probe transports.
const (
	TransportHTTP    = "http"
	TransportCommand = "command"
)

// Limits of a probe's answer (SPEC §5.1): an identity endpoint answers in a few KiB, and a CLI's
// status in less; anything longer is cut, not buffered.
const (
	MaxProbeBody   = 64 << 10
	MaxProbeOutput = 1 << 20
	// DefaultProbeTimeout applies when a probe sets no timeout_ms.
	DefaultProbeTimeout = 30 * time.Second
)

// Statuses a command probe's end maps to, so one judge serves both transports (SPEC §5.1).
const (
	CommandStatusSuccess = 200
	CommandStatusFailure = 400
	CommandStatusSignal  = 500
	StatusTimeout        = 408
)

// ProbeOptions tune RunProbe. The zero value is the production behaviour.
type ProbeOptions struct {
	// HTTPClient sends HTTP probes; nil means a client that does not follow redirects across hosts
	// with the token (Go's default) and has no timeout of its own (the probe's timeout applies).
	HTTPClient *http.Client
	// Now is the clock (Retry-After dates, reset times); nil means time.Now. Loc is the zone for
	// reset times printed without one; nil means time.Local.
	Now func() time.Time
	Loc *time.Location
	// Dir is a command probe's working directory ("" is the current one).
	Dir string
}

func (o ProbeOptions) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o ProbeOptions) loc() *time.Location {
	if o.Loc != nil {
		return o.Loc
	}
	return time.Local
}

// ProbeEvidence is what a probe saw. It holds no body, no header value, no output text and no
// token, so it may be printed, recorded and marshalled as it is.
type ProbeEvidence struct {
	Transport string `json:"transport"`
	Method    string `json:"method,omitempty"`
	// Host is the HTTP probe's host (no path or query: a placeholder value may sit there).
	Host string `json:"host,omitempty"`
	// Program is the base name of a command probe's argv[0].
	Program string `json:"program,omitempty"`
	// Status is the HTTP status, or for a command probe the status its end maps to (exit 0 → 200,
	// non-zero → 400, signal → 500); a timeout is 408 for both.
	Status int `json:"status"`
	// ExitCode and Signal say how a command probe ended (ExitCode -1 when it was killed).
	ExitCode *int `json:"exit_code,omitempty"`
	Signal   int  `json:"signal,omitempty"`
	// RetryAfterS is the answer's Retry-After in seconds, NoRetryAfter when it had none.
	RetryAfterS int  `json:"retry_after_s"`
	TimedOut    bool `json:"timed_out,omitempty"`
	// Truncated says the body or output was longer than the cap and was cut.
	Truncated  bool  `json:"truncated,omitempty"`
	DurationMS int64 `json:"duration_ms"`
	// Judge names what decided: "failure_rules", "codex_jsonl", "output_rules", "resource_metadata"
	// or "generic".
	Judge string `json:"judge,omitempty"`
}

// ProbeError is a probe that could not be run or gave no answer to judge. It is never the route's
// fault, so nothing is recorded: a placeholder without a safe value, a missing program, a network
// failure (exit 204). Its text names hosts and variables, never values or tokens.
type ProbeError struct {
	Msg     string
	Network bool
	// Code is the exit code (0: 1, or 204 when Network).
	Code  int
	Err   error
	hints []string
}

func (e *ProbeError) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *ProbeError) Unwrap() error { return e.Err }

// ExitCode is 204 for a network failure (SPEC §10), else Code or 1.
func (e *ProbeError) ExitCode() int {
	switch {
	case e.Code != 0:
		return e.Code
	case e.Network:
		return omux.ExitNetwork
	}
	return 1
}

// Hints are the next steps.
func (e *ProbeError) Hints() []string { return e.hints }

// ErrNoProbe is wrapped by the ProbeError for a capability without a probe.
var ErrNoProbe = errors.New("no probe")

// RunProbe runs the probe of def's capability capName with tok (SPEC §5.1) and judges its answer
// (§5.3). env is the account's environment as inject.Prepare built it: {{NAME}} placeholders take
// their values from it, and a command probe runs with it. A capability without a probe, a
// placeholder without a safe value, a program that is not there or a network failure is a
// *ProbeError and no verdict; a timeout is evidence (408), not an error.
func RunProbe(ctx context.Context, def Definition, capName string, tok Token, env omux.Environ, opts ProbeOptions) (ProbeEvidence, classify.Verdict, error) {
	c, ok := def.Capability(capName)
	if !ok {
		return ProbeEvidence{}, classify.Verdict{}, &ProbeError{Msg: fmt.Sprintf("provider %s has no capability %q", def.Name, capName), Err: ErrNoProbe}
	}
	if c.Probe == nil {
		return ProbeEvidence{}, classify.Verdict{}, &ProbeError{Msg: fmt.Sprintf("capability %s of provider %s has no probe", c.Name, def.Name), Err: ErrNoProbe}
	}
	p := *c.Probe
	switch p.Transport {
	case TransportHTTP, "":
		return runHTTP(ctx, def, c.Name, p, tok, env, opts)
	case TransportCommand:
		return runCommand(ctx, def, p, tok, env, opts)
	}
	return ProbeEvidence{}, classify.Verdict{}, &ProbeError{Msg: fmt.Sprintf("capability %s of provider %s: unknown probe transport %q", c.Name, def.Name, p.Transport), Code: omux.ExitConfig}
}

func (p Probe) timeout() time.Duration {
	if p.TimeoutMS != nil && *p.TimeoutMS > 0 {
		return time.Duration(*p.TimeoutMS) * time.Millisecond
	}
	return DefaultProbeTimeout
}

func runHTTP(ctx context.Context, def Definition, capName string, p Probe, tok Token, env omux.Environ, opts ProbeOptions) (ProbeEvidence, classify.Verdict, error) {
	method := strings.ToUpper(p.Method)
	if method == "" {
		method = http.MethodGet
	}
	ev := ProbeEvidence{Transport: TransportHTTP, Method: method, RetryAfterS: NoRetryAfter}
	rawURL, err := ExpandURL(p.URL, env, tok)
	if err != nil {
		return ev, classify.Verdict{}, err
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ev, classify.Verdict{}, &ProbeError{Msg: fmt.Sprintf("provider %s: the probe URL is not an http(s) URL", def.Name), Code: omux.ExitConfig}
	}
	if u.User != nil {
		return ev, classify.Verdict{}, &ProbeError{Msg: fmt.Sprintf("provider %s: the probe URL carries user info", def.Name), Code: omux.ExitConfig}
	}
	ev.Host = u.Host
	body, err := expandPlaceholders(p.Body, env, tok, "body")
	if err != nil {
		return ev, classify.Verdict{}, err
	}

	pctx, cancel := context.WithTimeout(ctx, p.timeout())
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(pctx, method, u.String(), rd)
	if err != nil {
		return ev, classify.Verdict{}, &ProbeError{Msg: fmt.Sprintf("provider %s: cannot build the probe request", def.Name), Code: omux.ExitConfig}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "oauth-mux-probe")
	if body != "" {
		ct := p.ContentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	switch p.Auth {
	case AuthBearer, "":
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	case AuthAuthorizationHeader:
		req.Header.Set("Authorization", tok.AccessToken)
	case AuthTokenHeader:
		if p.AuthHeader == "" {
			return ev, classify.Verdict{}, &ProbeError{Msg: fmt.Sprintf("provider %s: auth token_header needs auth_header", def.Name), Code: omux.ExitConfig}
		}
		req.Header.Set(p.AuthHeader, tok.AccessToken)
	case AuthNone:
	default:
		return ev, classify.Verdict{}, &ProbeError{Msg: fmt.Sprintf("provider %s: unknown probe auth %q", def.Name, p.Auth), Code: omux.ExitConfig}
	}
	client := opts.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}

	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		ev.DurationMS = time.Since(start).Milliseconds()
		if ctx.Err() != nil {
			return ev, classify.Verdict{}, ctx.Err()
		}
		if pctx.Err() != nil || isTimeout(err) {
			return timedOut(ev, def, p)
		}
		// The url.Error would print the whole URL; the host is enough and cannot hold a value.
		return ev, classify.Verdict{}, &ProbeError{Msg: fmt.Sprintf("probe %s %s", method, u.Host), Network: true,
			Err: netCause(err), hints: []string{"check the network and try again; nothing was recorded against the account"}}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxProbeBody+1))
	ev.DurationMS = time.Since(start).Milliseconds()
	if err != nil {
		if ctx.Err() != nil {
			return ev, classify.Verdict{}, ctx.Err()
		}
		if pctx.Err() != nil || isTimeout(err) {
			return timedOut(ev, def, p)
		}
		return ev, classify.Verdict{}, &ProbeError{Msg: fmt.Sprintf("probe %s %s: reading the answer", method, u.Host), Network: true, Err: netCause(err)}
	}
	if len(data) > MaxProbeBody {
		data, ev.Truncated = data[:MaxProbeBody], true
	}
	ev.Status = resp.StatusCode
	if ra, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), opts.now()); ok {
		ev.RetryAfterS = ra
	}
	v := JudgeHTTP(ev.Status, resp.Header, data, ev.RetryAfterS, def.FailureRules, p)
	ev.Judge = judgeName(v)
	if v.Class == classify.Success && isResourceMetadata(capName, u) {
		if err := CheckResourceMetadata(data); err != nil {
			v = classify.Verdict{Class: classify.Degraded, Reason: classify.SchemaInvalid, Rule: RuleResourceMetadata, Source: classify.SourceProbe}
			ev.Judge = "resource_metadata"
		}
	}
	return ev, v, nil
}

func judgeName(v classify.Verdict) string {
	if strings.HasPrefix(v.Rule, "http-") {
		return "generic"
	}
	return "failure_rules"
}

func timedOut(ev ProbeEvidence, def Definition, p Probe) (ProbeEvidence, classify.Verdict, error) {
	ev.Status, ev.TimedOut = StatusTimeout, true
	v := JudgeHTTP(StatusTimeout, nil, nil, NoRetryAfter, def.FailureRules, p)
	ev.Judge = judgeName(v)
	return ev, v, nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// netCause strips the URL from a client error: *url.Error prints it, and its query or path may
// hold a placeholder's value.
func netCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// ParseRetryAfter reads a Retry-After value (RFC 9110 §10.2.3): delay seconds or an HTTP date,
// returned as seconds from now (0 for a date in the past). It reports false for anything else.
func ParseRetryAfter(v string, now time.Time) (int, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseUint(v, 10, 63); err == nil {
		if n > 1<<31-1 {
			n = 1<<31 - 1
		}
		return int(n), true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now)
	if d <= 0 {
		return 0, true
	}
	s := (d + time.Second - 1) / time.Second
	if s > 1<<31-1 {
		s = 1<<31 - 1
	}
	return int(s), true
}

// PlaceholderError is a {{NAME}} that cannot be filled: unset, or with a value that may not go
// where it stands. It names the variable, never its value.
type PlaceholderError struct {
	Name, Where, Why string
}

func (e *PlaceholderError) Error() string {
	return fmt.Sprintf("probe %s: placeholder {{%s}} %s", e.Where, e.Name, e.Why)
}

// ExitCode is 1: the environment, not the account, is at fault.
func (e *PlaceholderError) ExitCode() int { return omux.ExitGeneral }

// Hints say how to fill it.
func (e *PlaceholderError) Hints() []string {
	return []string{fmt.Sprintf("export %s with the value the probe needs (letters, digits, '-', '.', '_' and '~'; a URL that is the placeholder alone may be a whole https URL)", e.Name)}
}

// ExpandURL fills the {{NAME}} placeholders of a probe URL from env (SPEC §11). A value must be
// URL-safe (RFC 3986 unreserved characters), except when the URL is one placeholder alone: then the
// value may be a whole https URL (or http to a loopback address, for local servers and tests),
// without user info. A value that holds the account's token is refused either way: tokens reach a
// probe only through its auth setting.
func ExpandURL(raw string, env omux.Environ, tok Token) (string, error) {
	if name, ok := lonePlaceholder(raw); ok {
		v, err := placeholderValue(name, env, tok, "url")
		if err != nil {
			return "", err
		}
		u, err := url.Parse(v)
		switch {
		case err != nil || u.Host == "" || u.Opaque != "":
			return "", &PlaceholderError{Name: name, Where: "url", Why: "is not a URL"}
		case u.User != nil:
			return "", &PlaceholderError{Name: name, Where: "url", Why: "is a URL with user info"}
		case u.Scheme == "https":
		case u.Scheme == "http" && isLoopback(u.Hostname()):
		default:
			return "", &PlaceholderError{Name: name, Where: "url", Why: "must be an https URL"}
		}
		return v, nil
	}
	return expandPlaceholders(raw, env, tok, "url")
}

func lonePlaceholder(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "{{") || !strings.HasSuffix(s, "}}") {
		return "", false
	}
	name := s[2 : len(s)-2]
	return name, validPlaceholderName(name)
}

func validPlaceholderName(n string) bool {
	if n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func expandPlaceholders(s string, env omux.Environ, tok Token, where string) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		j := strings.Index(s[i+2:], "}}")
		if j < 0 {
			return "", &PlaceholderError{Name: "", Where: where, Why: "is not closed"}
		}
		name := s[i+2 : i+2+j]
		if !validPlaceholderName(name) {
			return "", &PlaceholderError{Name: name, Where: where, Why: "is not a valid name"}
		}
		v, err := placeholderValue(name, env, tok, where)
		if err != nil {
			return "", err
		}
		if !urlSafe(v) {
			return "", &PlaceholderError{Name: name, Where: where, Why: "has a value that is not URL-safe"}
		}
		b.WriteString(s[:i])
		b.WriteString(v)
		s = s[i+2+j+2:]
	}
}

func placeholderValue(name string, env omux.Environ, tok Token, where string) (string, error) {
	v, ok := env.Lookup(name)
	if !ok || v == "" {
		return "", &PlaceholderError{Name: name, Where: where, Why: "is not set"}
	}
	for _, t := range []string{tok.AccessToken, tok.RefreshToken} {
		if len(t) >= 8 && strings.Contains(v, t) {
			return "", &PlaceholderError{Name: name, Where: where, Why: "holds the account's token; a probe gets its token only through its auth setting"}
		}
	}
	return v, nil
}

// urlSafe: RFC 3986 unreserved characters only, so a value cannot add a path, a query or a host.
func urlSafe(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return v != "" && v != "." && v != ".."
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// cappedBuffer keeps the first bytes written to it up to a budget it shares with its siblings, and
// swallows the rest, so a chatty CLI can neither fill memory nor block on a full pipe.
type cappedBuffer struct {
	mu        *sync.Mutex
	left      *int
	buf       bytes.Buffer
	truncated *bool
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(p)
	if n > *c.left {
		p = p[:*c.left]
		*c.truncated = true
	}
	c.buf.Write(p)
	*c.left -= len(p)
	return n, nil
}

func runCommand(ctx context.Context, def Definition, p Probe, tok Token, env omux.Environ, opts ProbeOptions) (ProbeEvidence, classify.Verdict, error) {
	ev := ProbeEvidence{Transport: TransportCommand, RetryAfterS: NoRetryAfter}
	if len(p.Command) == 0 {
		return ev, classify.Verdict{}, &ProbeError{Msg: fmt.Sprintf("provider %s: a command probe needs a command", def.Name), Code: omux.ExitConfig}
	}
	argv := make([]string, len(p.Command))
	for i, a := range p.Command {
		x, err := expandPlaceholders(a, env, tok, "command")
		if err != nil {
			return ev, classify.Verdict{}, err
		}
		argv[i] = x
	}
	ev.Program = filepath.Base(argv[0])
	pathEnv, _ := env.Lookup("PATH")
	path, err := LookPath(argv[0], pathEnv)
	if err != nil {
		return ev, classify.Verdict{}, &ProbeError{Msg: fmt.Sprintf("probe command %s", ev.Program), Code: 127, Err: err,
			hints: []string{fmt.Sprintf("install %s or put it on PATH (oauth-mux doctor runtime lists what each provider needs)", ev.Program)}}
	}

	var mu sync.Mutex
	left, truncated := MaxProbeOutput, false
	stdout := &cappedBuffer{mu: &mu, left: &left, truncated: &truncated}
	stderr := &cappedBuffer{mu: &mu, left: &left, truncated: &truncated}
	pctx, cancel := context.WithTimeout(ctx, p.timeout())
	defer cancel()
	cmd := exec.CommandContext(pctx, path, argv[1:]...)
	cmd.Args[0] = argv[0]
	cmd.Env = env
	cmd.Dir = opts.Dir
	cmd.Stdin = nil // /dev/null: a probe runs unattended and must never wait for input
	cmd.Stdout, cmd.Stderr = stdout, stderr
	setProcessGroup(cmd)
	// A grandchild that keeps the pipes open must not hold the probe past its timeout.
	cmd.WaitDelay = time.Second

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return ev, classify.Verdict{}, &ProbeError{Msg: fmt.Sprintf("probe command %s: cannot start", ev.Program), Code: 126, Err: startCause(err)}
	}
	waitErr := cmd.Wait()
	killProcessGroup(cmd) // nothing the probe started outlives it
	ev.DurationMS = time.Since(start).Milliseconds()
	ev.Truncated = truncated
	if ctx.Err() != nil {
		return ev, classify.Verdict{}, ctx.Err()
	}
	code, sig := exitStatus(cmd, waitErr)
	switch {
	case pctx.Err() != nil:
		ev.Status, ev.TimedOut = StatusTimeout, true
		c := -1
		ev.ExitCode = &c
	case sig != 0:
		ev.Status, ev.Signal = CommandStatusSignal, sig
		c := -1
		ev.ExitCode = &c
	case code == 0:
		ev.Status, ev.ExitCode = CommandStatusSuccess, &code
	default:
		ev.Status, ev.ExitCode = CommandStatusFailure, &code
	}
	out := append(append([]byte{}, stdout.buf.Bytes()...), stderr.buf.Bytes()...)
	v := judgeCommand(def, p, ev, stdout.buf.Bytes(), stderr.buf.Bytes(), out, opts)
	ev.Judge = v.judge
	return ev, v.Verdict, nil
}

type judged struct {
	classify.Verdict
	judge string
}

// judgeCommand: the provider's failure rules first (against the output when hint_body is set);
// then, for a codex exec --json stream, what its events say; then the provider's output rules (the
// same packs that judge supervised children); then the generic table of the mapped status.
func judgeCommand(def Definition, p Probe, ev ProbeEvidence, stdout, stderr, out []byte, opts ProbeOptions) judged {
	for _, r := range def.FailureRules {
		if ruleMatches(r, ev.Status, NoRetryAfter, probeHint(nil, out, p)) {
			return judged{JudgeHTTP(ev.Status, nil, out, NoRetryAfter, []classify.HTTPRule{r}, p), "failure_rules"}
		}
	}
	if !ev.TimedOut {
		if cs := judgeEvents(bytes.NewReader(stdout), outputMatcher(def.OutputRules), opts.now(), opts.loc()); cs.Recognized {
			switch {
			case cs.Verdict.IsRouteFailure():
				return judged{cs.Verdict, "codex_jsonl"}
			case cs.Verdict.Class == classify.Success && ev.Status == CommandStatusSuccess:
				return judged{cs.Verdict, "codex_jsonl"}
			}
		}
		if v, ok := judgeOutput(def.OutputRules, ev, stdout, stderr, opts); ok {
			return judged{v, "output_rules"}
		}
	}
	v := genericHTTPFor(ev.Status, p)
	// The generic table reads the command's status as an HTTP one; the rule says what was seen.
	v.Rule = commandRule(ev)
	return judged{v, "generic"}
}

// commandRule names what a command probe's generic verdict rests on: its exit status, its signal or
// its timeout (never an HTTP status it did not have).
func commandRule(ev ProbeEvidence) string {
	switch {
	case ev.TimedOut:
		return "command-timeout"
	case ev.Signal != 0:
		return fmt.Sprintf("command-signal-%d", ev.Signal)
	case ev.ExitCode != nil:
		return fmt.Sprintf("command-exit-%d", *ev.ExitCode)
	}
	return "command-not-started"
}

func genericHTTPFor(status int, p Probe) classify.Verdict {
	lo, hi := p.successRange()
	if status >= lo && status <= hi {
		return classify.Verdict{Class: classify.Success, Rule: RuleHTTPSuccess, Source: classify.SourceProbe}
	}
	return genericHTTP(status, NoRetryAfter, "")
}

// judgeOutput runs the provider's output rules over a command probe's output, as they judge a
// supervised child, and reports a route failure they find.
func judgeOutput(rules []classify.OutputRule, ev ProbeEvidence, stdout, stderr []byte, opts ProbeOptions) (classify.Verdict, bool) {
	if len(rules) == 0 {
		return classify.Verdict{}, false
	}
	m := outputMatcher(rules)
	to, te := m.Tap(classify.Stdout, nil), m.Tap(classify.Stderr, nil)
	to.Write(stdout)
	to.Flush()
	te.Write(stderr)
	te.Flush()
	code := 0
	if ev.ExitCode != nil {
		code = *ev.ExitCode
	}
	v := classify.Judge(classify.Evidence{ExitCode: code, Signal: ev.Signal, Hits: append(to.Hits(), te.Hits()...),
		Structured: append(to.Structured(), te.Structured()...)}, m, opts.now(), opts.loc())
	if !v.IsRouteFailure() {
		return classify.Verdict{}, false
	}
	v.Source = classify.SourceProbe
	return v, true
}

// outputMatcher compiles a definition's output rules; rules that do not compile (config validation
// reports them) leave the probe with no output rules.
func outputMatcher(rules []classify.OutputRule) *classify.Matcher {
	m, err := classify.Compile(rules)
	if err != nil {
		m, _ = classify.Compile(nil)
	}
	return m
}

func startCause(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
