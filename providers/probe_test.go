package providers_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/providers"
)

// Canary tokens: a test fails when one shows up anywhere but the request header it belongs in.
const (
	canaryAccess  = "omux-canary-access-7f3a9c1e5b"
	canaryRefresh = "omux-canary-refresh-2d8e4f6a0c"
)

var canaryToken = providers.Token{AccessToken: canaryAccess, RefreshToken: canaryRefresh}

// answer is how the fake API answers one request.
type answer struct {
	status int
	header map[string]string
	body   string
	delay  time.Duration
}

// fakeAPI is an httptest server on loopback that checks each request as the real API would see it
// and answers with the scripted answer.
type fakeAPI struct {
	t    *testing.T
	srv  *httptest.Server
	mu   sync.Mutex
	ans  answer
	reqs []*http.Request
	body []string
}

func newFakeAPI(t *testing.T) *fakeAPI {
	f := &fakeAPI{t: t}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 4096)
		n, _ := r.Body.Read(b)
		f.mu.Lock()
		a := f.ans
		f.reqs = append(f.reqs, r)
		f.body = append(f.body, string(b[:n]))
		f.mu.Unlock()
		if a.delay > 0 {
			select {
			case <-time.After(a.delay):
			case <-r.Context().Done():
				return
			}
		}
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		if a.status == 0 {
			a.status = 200
		}
		w.WriteHeader(a.status)
		_, _ = w.Write([]byte(a.body))
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) set(a answer) {
	f.mu.Lock()
	f.ans = a
	f.mu.Unlock()
}

func (f *fakeAPI) last() (*http.Request, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) == 0 {
		f.t.Fatal("the fake API saw no request")
	}
	return f.reqs[len(f.reqs)-1], f.body[len(f.body)-1]
}

// probeCase is one built-in HTTP probe pointed at the fake API the way a config override does it:
// provider_definitions replaces the URL (or its placeholder's value) and keeps everything else.
type probeCase struct {
	provider, capability string
	path                 string // the API path the real probe hits
	env                  []string
	overrideURL          func(base string) string // nil: the URL is a lone placeholder set in env
	ok                   answer                   // how the real API answers a good token
	checkRequest         func(t *testing.T, r *http.Request, body string)
	// forbidden is the body (hint_body) or header (hint_header) a 403 carries for a hint word.
	forbidden func(hint string) answer
	unauth    answer
}

func bodyAnswer(status int, body string) answer {
	return answer{status: status, header: map[string]string{"Content-Type": "application/json"}, body: body}
}

func wantAuth(want string) func(t *testing.T, r *http.Request, body string) {
	return func(t *testing.T, r *http.Request, _ string) {
		t.Helper()
		if got := r.Header.Get("Authorization"); got != want {
			t.Errorf("Authorization = %q, want %q", redact(got), redact(want))
		}
	}
}

func redact(s string) string { return strings.ReplaceAll(s, canaryAccess, "<access>") }

func probeCases() []probeCase {
	githubOK := bodyAnswer(200, `{"login":"octocat","id":583231,"type":"User","name":"The Octocat"}`)
	githubOK.header["x-ratelimit-remaining"] = "4999"
	figmaMe := bodyAnswer(200, `{"id":"1234567890","email":"dev@example.com","handle":"Dev","img_url":"https://s3-alpha.figma.com/profile/x"}`)
	linearBody := `{"query":"query Me { viewer { id name email } }"}`
	linearOK := bodyAnswer(200, `{"data":{"viewer":{"id":"3b6d2c4e-0000-4000-8000-000000000000","name":"Dev","email":"dev@example.com"}}}`)
	linearCheck := func(auth string) func(t *testing.T, r *http.Request, body string) {
		return func(t *testing.T, r *http.Request, body string) {
			t.Helper()
			wantAuth(auth)(t, r, body)
			if r.Method != http.MethodPost || body != linearBody {
				t.Errorf("linear request = %s %q, want POST %q", r.Method, body, linearBody)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
		}
	}
	linearForbidden := func(hint string) answer {
		return bodyAnswer(403, fmt.Sprintf(`{"errors":[{"message":"Forbidden: %s","extensions":{"code":"FORBIDDEN"}}]}`, hint))
	}
	figmaForbidden := func(hint string) answer {
		return bodyAnswer(403, fmt.Sprintf(`{"status":403,"err":"%s"}`, hint))
	}
	mcpWWW := func(status int, v string) answer {
		return answer{status: status, header: map[string]string{"WWW-Authenticate": v}}
	}
	return []probeCase{
		{
			provider: "github", capability: "identity", path: "/user",
			overrideURL: func(b string) string { return b + "/user" },
			ok:          githubOK, checkRequest: wantAuth("Bearer " + canaryAccess),
			unauth: bodyAnswer(401, `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest","status":"401"}`),
			forbidden: func(string) answer {
				a := bodyAnswer(403, `{"message":"Resource not accessible by integration"}`)
				a.header["x-ratelimit-remaining"] = "4998"
				return a
			},
		},
		{
			provider: "linear", capability: "identity", path: "/graphql",
			overrideURL: func(b string) string { return b + "/graphql" },
			ok:          linearOK, checkRequest: linearCheck("Bearer " + canaryAccess),
			unauth:    bodyAnswer(401, `{"errors":[{"message":"Authentication required, not authenticated","extensions":{"type":"authentication error","code":"AUTHENTICATION_ERROR","userPresentableMessage":"You need to authenticate to access this operation."}}]}`),
			forbidden: linearForbidden,
		},
		{
			provider: "linear", capability: "identity-api-key", path: "/graphql",
			overrideURL: func(b string) string { return b + "/graphql" },
			ok:          linearOK, checkRequest: linearCheck(canaryAccess),
			unauth:    bodyAnswer(400, `{"errors":[{"message":"Authentication required, not authenticated","extensions":{"code":"AUTHENTICATION_ERROR"}}]}`),
			forbidden: linearForbidden,
		},
		{
			provider: "vercel", capability: "identity", path: "/v2/user",
			overrideURL:  func(b string) string { return b + "/v2/user" },
			ok:           bodyAnswer(200, `{"user":{"id":"AEIIDYVk59zbFF2Sxfyxxmua","email":"dev@example.com","username":"dev","defaultTeamId":null}}`),
			checkRequest: wantAuth("Bearer " + canaryAccess),
			unauth:       bodyAnswer(401, `{"error":{"code":"forbidden","message":"Not authorized","invalidToken":true}}`),
			forbidden:    func(h string) answer { return bodyAnswer(403, `{"error":{"code":"forbidden","message":"`+h+`"}}`) },
		},
		{
			provider: "figma", capability: "identity", path: "/v1/me",
			overrideURL: func(b string) string { return b + "/v1/me" },
			ok:          figmaMe, checkRequest: wantAuth("Bearer " + canaryAccess),
			unauth: bodyAnswer(403, `{"status":403,"err":"Invalid token"}`), forbidden: figmaForbidden,
		},
		{
			provider: "figma", capability: "identity-pat", path: "/v1/me",
			overrideURL: func(b string) string { return b + "/v1/me" },
			ok:          figmaMe,
			checkRequest: func(t *testing.T, r *http.Request, _ string) {
				if r.Header.Get("X-Figma-Token") != canaryAccess || r.Header.Get("Authorization") != "" {
					t.Errorf("figma PAT must go in X-Figma-Token only")
				}
			},
			unauth: bodyAnswer(403, `{"status":403,"err":"Invalid token"}`), forbidden: figmaForbidden,
		},
		{
			provider: "figma", capability: "file-metadata-plan", path: "/v1/files/AbC123xyz/meta",
			env:         []string{"OMUX_FIGMA_PLAN_FILE_KEY=AbC123xyz"},
			overrideURL: func(b string) string { return b + "/v1/files/{{OMUX_FIGMA_PLAN_FILE_KEY}}/meta" },
			ok: bodyAnswer(200, `{"file":{"name":"Plan","folder_name":"Team","last_touched_at":"2026-01-01T00:00:00Z",
				"creator":{"id":"1","handle":"Dev"},"editorType":"design","role":"owner"}}`),
			checkRequest: wantAuth("Bearer " + canaryAccess),
			unauth:       bodyAnswer(403, `{"status":403,"err":"Invalid token"}`), forbidden: figmaForbidden,
		},
		{
			provider: "mcp", capability: "resource-metadata", path: "/.well-known/oauth-protected-resource",
			env: []string{"OMUX_MCP_RESOURCE_METADATA_URL=<base>/.well-known/oauth-protected-resource"},
			ok: bodyAnswer(200, `{"resource":"https://mcp.example.com/mcp","authorization_servers":["https://auth.example.com"],
				"scopes_supported":["mcp:tools"],"bearer_methods_supported":["header"]}`),
			checkRequest: func(t *testing.T, r *http.Request, _ string) {
				if r.Header.Get("Authorization") != "" {
					t.Error("the metadata probe has auth none and must send no token")
				}
			},
			unauth:    bodyAnswer(401, `{"error":"unauthorized"}`),
			forbidden: func(h string) answer { return bodyAnswer(403, `{"error":"`+h+`"}`) },
		},
		{
			provider: "mcp", capability: "resource", path: "/mcp",
			env:          []string{"OMUX_MCP_RESOURCE_PROBE_URL=<base>/mcp"},
			ok:           bodyAnswer(200, `{"jsonrpc":"2.0","id":1,"result":{}}`),
			checkRequest: wantAuth("Bearer " + canaryAccess),
			unauth:       mcpWWW(401, `Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource", error="invalid_token"`),
			forbidden: func(h string) answer {
				return mcpWWW(403, fmt.Sprintf(`Bearer error="%s", error_description="%s"`, h, h))
			},
		},
	}
}

// setup points the case's probe at the fake API through a config-style override.
func (pc probeCase) setup(t *testing.T, api *fakeAPI, timeoutMS int) (providers.Definition, []string) {
	t.Helper()
	over := providers.Definition{}
	var probe providers.Probe
	if pc.overrideURL != nil {
		probe.URL = pc.overrideURL(api.srv.URL)
	}
	if timeoutMS > 0 {
		probe.TimeoutMS = &timeoutMS
	}
	over.Capabilities = []providers.Capability{{Name: pc.capability, Probe: &probe}}
	cat := providers.NewCatalog(map[string]providers.Definition{pc.provider: over})
	def, ok := cat.Lookup(pc.provider)
	if !ok {
		t.Fatalf("no provider %s", pc.provider)
	}
	var env []string
	for _, e := range pc.env {
		env = append(env, strings.ReplaceAll(e, "<base>", api.srv.URL))
	}
	return def, env
}

type want struct {
	class  classify.Class
	reason classify.Reason
	rule   string // "" = any
	retry  int    // -1 = don't care
}

func run(t *testing.T, pc probeCase, api *fakeAPI, a answer, timeoutMS int) (providers.ProbeEvidence, classify.Verdict) {
	t.Helper()
	api.set(a)
	def, env := pc.setup(t, api, timeoutMS)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ev, v, err := providers.RunProbe(context.Background(), def, pc.capability, canaryToken, env,
		providers.ProbeOptions{HTTPClient: api.srv.Client(), Now: func() time.Time { return now }, Loc: time.UTC})
	if err != nil {
		t.Fatalf("RunProbe: %v", err)
	}
	assertNoCanary(t, ev, v)
	return ev, v
}

func assertNoCanary(t *testing.T, vals ...any) {
	t.Helper()
	for _, x := range vals {
		b, _ := json.Marshal(x)
		s := string(b) + fmt.Sprintf("%v %+v", x, x)
		if strings.Contains(s, canaryAccess) || strings.Contains(s, canaryRefresh) {
			t.Fatalf("a canary token leaked: %s", redact(s))
		}
	}
}

func check(t *testing.T, v classify.Verdict, w want) {
	t.Helper()
	if v.Class != w.class || v.Reason != w.reason || (w.rule != "" && v.Rule != w.rule) || (w.retry >= 0 && v.RetryAfterS != w.retry) {
		t.Errorf("verdict = %s rule %q retry_after %d, want %s(%s) rule %q retry_after %d",
			v, v.Rule, v.RetryAfterS, w.class, w.reason, w.rule, w.retry)
	}
	if v.Source != classify.SourceProbe {
		t.Errorf("source = %q", v.Source)
	}
}

func TestBuiltinHTTPProbes(t *testing.T) {
	t.Parallel()
	for _, pc := range probeCases() {
		t.Run(pc.provider+"/"+pc.capability, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t)

			t.Run("success", func(t *testing.T) {
				ev, v := run(t, pc, api, pc.ok, 0)
				check(t, v, want{class: classify.Success, retry: -1})
				r, body := api.last()
				if r.URL.Path != pc.path {
					t.Errorf("path = %q, want %q", r.URL.Path, pc.path)
				}
				if r.Header.Get("Accept") != "application/json" {
					t.Errorf("Accept = %q", r.Header.Get("Accept"))
				}
				pc.checkRequest(t, r, body)
				if ev.Status != 200 || ev.Transport != "http" || ev.Host == "" || ev.RetryAfterS != providers.NoRetryAfter {
					t.Errorf("evidence = %+v", ev)
				}
			})
			t.Run("unauthorized", func(t *testing.T) {
				_, v := run(t, pc, api, pc.unauth, 0)
				check(t, v, want{class: classify.Dead, reason: classify.TokenRevoked, retry: -1})
			})
			t.Run("not-found", func(t *testing.T) {
				_, v := run(t, pc, api, bodyAnswer(404, `{"message":"Not Found"}`), 0)
				check(t, v, want{class: classify.Degraded, reason: classify.Unknown4xx, rule: providers.RuleHTTPOtherClientError, retry: -1})
			})
			t.Run("429-no-retry-after", func(t *testing.T) {
				_, v := run(t, pc, api, bodyAnswer(429, `{"message":"rate limited"}`), 0)
				check(t, v, want{class: classify.RateLimited, retry: 30})
			})
			t.Run("429-retry-after-seconds", func(t *testing.T) {
				a := bodyAnswer(429, `{}`)
				a.header["Retry-After"] = "120"
				_, v := run(t, pc, api, a, 0)
				check(t, v, want{class: classify.RateLimited, retry: 120})
			})
			t.Run("429-retry-after-date-long", func(t *testing.T) {
				a := bodyAnswer(429, `{}`)
				// 2 hours after the test clock: past the burst limit, so a spent window.
				a.header["Retry-After"] = "Sun, 01 Mar 2026 14:00:00 GMT"
				ev, v := run(t, pc, api, a, 0)
				check(t, v, want{class: classify.QuotaExhausted, retry: 7200})
				if ev.RetryAfterS != 7200 {
					t.Errorf("evidence retry_after = %d", ev.RetryAfterS)
				}
			})
			for _, code := range []int{500, 502, 503} {
				t.Run(fmt.Sprint(code), func(t *testing.T) {
					_, v := run(t, pc, api, bodyAnswer(code, `<html>upstream error</html>`), 0)
					check(t, v, want{class: classify.ProviderDegraded, reason: classify.ReasonProviderDegraded, rule: providers.RuleHTTPServerError, retry: -1})
				})
			}
			t.Run("slow", func(t *testing.T) {
				ev, v := run(t, pc, api, answer{status: 200, body: "{}", delay: 2 * time.Second}, 50)
				if !ev.TimedOut || ev.Status != providers.StatusTimeout {
					t.Errorf("evidence = %+v, want a 408 timeout", ev)
				}
				check(t, v, want{class: classify.Degraded, reason: classify.Unknown4xx, retry: -1})
			})
			t.Run("oversized", func(t *testing.T) {
				a := pc.ok
				a.body = strings.Replace(a.body, "{", `{"pad":"`+strings.Repeat("x", 200<<10)+`",`, 1)
				ev, v := run(t, pc, api, a, 0)
				if !ev.Truncated {
					t.Error("a body over 64 KiB must be cut and marked truncated")
				}
				if pc.capability == "resource-metadata" {
					// The cut document is not JSON any more: not usable metadata.
					check(t, v, want{class: classify.Degraded, reason: classify.SchemaInvalid, retry: -1})
				} else {
					check(t, v, want{class: classify.Success, retry: -1})
				}
			})
			for _, h := range []struct {
				word   string
				reason classify.Reason
			}{
				{"insufficient_scope", classify.ScopeInsufficient},
				{"missing scope: read", classify.ScopeInsufficient},
				{"step_up required", classify.StepUpRequired},
				{"pending verification", classify.PendingVerification},
				{"email verification needed", classify.PendingVerification},
				{"accept the terms of service", classify.TermsRequired},
				{"plan does not include this", classify.TierInsufficient},
			} {
				t.Run("403-"+strings.ReplaceAll(h.word, " ", "-"), func(t *testing.T) {
					_, v := run(t, pc, api, pc.forbidden(h.word), 0)
					reason := h.reason
					if pc.provider == "github" || pc.provider == "vercel" {
						// github's hint is x-ratelimit-remaining and vercel has none: the body's words
						// do not reach the judge, so every other 403 is a plan problem.
						reason = classify.TierInsufficient
					}
					check(t, v, want{class: classify.Degraded, reason: reason, retry: -1})
				})
			}
		})
	}
}

func findCase(provider, capability string) probeCase {
	for _, pc := range probeCases() {
		if pc.provider == provider && pc.capability == capability {
			return pc
		}
	}
	panic("no case " + provider + "/" + capability)
}

func TestGitHubPrimaryRateLimit(t *testing.T) {
	t.Parallel()
	pc := findCase("github", "identity")
	api := newFakeAPI(t)
	a := bodyAnswer(403, `{"message":"API rate limit exceeded for user ID 1.","documentation_url":"https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"}`)
	a.header["x-ratelimit-remaining"] = "0"
	a.header["x-ratelimit-reset"] = "1772370000"
	_, v := run(t, pc, api, a, 0)
	check(t, v, want{class: classify.RateLimited, rule: "github-primary-rate-limit", retry: -1})
}

func TestLinearGraphQLErrorsWith200(t *testing.T) {
	t.Parallel()
	pc := findCase("linear", "identity")
	api := newFakeAPI(t)
	_, v := run(t, pc, api, bodyAnswer(200, `{"errors":[{"message":"Cannot query field \"viewer\"","extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}]}`), 0)
	check(t, v, want{class: classify.Degraded, reason: classify.SchemaInvalid, rule: "linear-graphql-errors", retry: -1})
	_, v = run(t, pc, api, bodyAnswer(200, `{"errors":[{"message":"Rate limit exceeded","extensions":{"code":"RATELIMITED"}}]}`), 0)
	check(t, v, want{class: classify.RateLimited, rule: "linear-ratelimited", retry: -1})
}

func TestMCPResourceHints(t *testing.T) {
	t.Parallel()
	pc := findCase("mcp", "resource")
	api := newFakeAPI(t)
	for hint, reason := range map[string]classify.Reason{
		"invalid_target":                   classify.AudienceMismatch,
		"insufficient_scope":               classify.ScopeInsufficient,
		"insufficient_user_authentication": classify.StepUpRequired,
	} {
		_, v := run(t, pc, api, pc.forbidden(hint), 0)
		check(t, v, want{class: classify.Degraded, reason: reason, retry: -1})
		// The same words on a 401 are still the provider's rules, not a dead token.
		_, v = run(t, pc, api, answer{status: 401, header: map[string]string{"WWW-Authenticate": `Bearer error="` + hint + `"`}}, 0)
		check(t, v, want{class: classify.Degraded, reason: reason, retry: -1})
	}
}

func TestMCPResourceMetadataSchema(t *testing.T) {
	t.Parallel()
	pc := findCase("mcp", "resource-metadata")
	api := newFakeAPI(t)
	for name, body := range map[string]string{
		"not-json":         `<html>hello</html>`,
		"http-resource":    `{"resource":"http://mcp.example.com/mcp","authorization_servers":["https://auth.example.com"]}`,
		"fragment":         `{"resource":"https://mcp.example.com/mcp#x","authorization_servers":["https://auth.example.com"]}`,
		"no-servers":       `{"resource":"https://mcp.example.com/mcp"}`,
		"empty-servers":    `{"resource":"https://mcp.example.com/mcp","authorization_servers":[]}`,
		"http-server":      `{"resource":"https://mcp.example.com/mcp","authorization_servers":["http://auth.example.com"]}`,
		"server-not-a-str": `{"resource":"https://mcp.example.com/mcp","authorization_servers":[1]}`,
	} {
		_, v := run(t, pc, api, bodyAnswer(200, body), 0)
		if v.Class != classify.Degraded || v.Reason != classify.SchemaInvalid || v.Rule != providers.RuleResourceMetadata {
			t.Errorf("%s: verdict %s (%s), want degraded(schema_invalid)", name, v, v.Rule)
		}
	}
}

func TestPlaceholders(t *testing.T) {
	t.Parallel()
	pc := findCase("figma", "file-metadata-plan")
	api := newFakeAPI(t)
	api.set(pc.ok)
	def, _ := pc.setup(t, api, 0)
	for _, val := range []string{"a/b", "key?x=1", "..", "k%2F", "has space", "key#frag", "", canaryAccess} {
		env := []string{"OMUX_FIGMA_PLAN_FILE_KEY=" + val}
		_, _, err := providers.RunProbe(context.Background(), def, pc.capability, canaryToken, env,
			providers.ProbeOptions{HTTPClient: api.srv.Client()})
		var pe *providers.PlaceholderError
		if !errors.As(err, &pe) || pe.Name != "OMUX_FIGMA_PLAN_FILE_KEY" {
			t.Errorf("value %q: err = %v, want a PlaceholderError", redact(val), err)
			continue
		}
		if val != "" && strings.Contains(err.Error(), val) {
			t.Errorf("the error shows the refused value: %v", err)
		}
		assertNoCanary(t, err.Error())
	}
	if n := len(api.reqs); n != 0 {
		t.Errorf("a refused placeholder sent %d requests", n)
	}

	// A URL that is one placeholder alone takes a whole https URL, but not another scheme, user
	// info, or a plain-http remote host.
	md := findCase("mcp", "resource-metadata")
	mdef, _ := md.setup(t, api, 0)
	for _, val := range []string{"ftp://x.example/y", "https://user:pw@x.example/", "http://mcp.example.com/.well-known/oauth-protected-resource", "not a url", "https://x.example/?t=" + canaryAccess} {
		_, _, err := providers.RunProbe(context.Background(), mdef, md.capability, canaryToken,
			[]string{"OMUX_MCP_RESOURCE_METADATA_URL=" + val}, providers.ProbeOptions{HTTPClient: api.srv.Client()})
		var pe *providers.PlaceholderError
		if !errors.As(err, &pe) {
			t.Errorf("value %q: err = %v, want a PlaceholderError", redact(val), err)
		}
		if err != nil {
			assertNoCanary(t, err.Error())
		}
	}
	if _, err := providers.ExpandURL("{{U}}", []string{"U=https://mcp.example.com/.well-known/oauth-protected-resource/mcp"}, canaryToken); err != nil {
		t.Errorf("a whole https URL: %v", err)
	}
}

func TestNetworkFailure(t *testing.T) {
	t.Parallel()
	pc := findCase("github", "identity")
	api := newFakeAPI(t)
	def, env := pc.setup(t, api, 0)
	api.srv.Close() // nothing listens any more
	_, _, err := providers.RunProbe(context.Background(), def, pc.capability, canaryToken, env, providers.ProbeOptions{})
	var pe *providers.ProbeError
	if !errors.As(err, &pe) || !pe.Network || pe.ExitCode() != 204 {
		t.Fatalf("err = %v, want a network ProbeError (204)", err)
	}
	assertNoCanary(t, err.Error())
}

func TestNoProbe(t *testing.T) {
	t.Parallel()
	def, _ := providers.Builtin("gemini")
	_, _, err := providers.RunProbe(context.Background(), def, "anything", canaryToken, nil, providers.ProbeOptions{})
	if !errors.Is(err, providers.ErrNoProbe) {
		t.Fatalf("err = %v", err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]int{
		"0": 0, "30": 30, " 7200 ": 7200, "Sun, 01 Mar 2026 12:01:00 GMT": 60,
		"Sunday, 01-Mar-26 12:00:30 GMT": 30, "Sun Mar  1 12:00:10 2026": 10, "Sat, 28 Feb 2026 12:00:00 GMT": 0,
	} {
		if got, ok := providers.ParseRetryAfter(in, now); !ok || got != want {
			t.Errorf("ParseRetryAfter(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "-1", "soon", "1.5", "Mon, 99 Foo"} {
		if _, ok := providers.ParseRetryAfter(in, now); ok {
			t.Errorf("ParseRetryAfter(%q) accepted", in)
		}
	}
}
