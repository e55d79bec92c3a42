package providers_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/providers"
)

func validVerdict(t *testing.T, v classify.Verdict) {
	t.Helper()
	switch v.Class {
	case classify.Success, classify.ChildFailure, classify.RateLimited, classify.QuotaExhausted:
		if v.Reason != "" {
			t.Fatalf("%s with reason %q", v.Class, v.Reason)
		}
	case classify.ProviderDegraded:
		if v.Reason != "" && v.Reason != classify.ReasonProviderDegraded {
			t.Fatalf("provider_degraded with reason %q", v.Reason)
		}
	case classify.Degraded, classify.Dead:
		if !classify.ValidReason(v.Class, v.Reason) {
			t.Fatalf("%s with reason %q", v.Class, v.Reason)
		}
	default:
		t.Fatalf("unknown class %q", v.Class)
	}
	if v.Rule == "" || v.Source != classify.SourceProbe || v.RetryAfterS < 0 {
		t.Fatalf("verdict %+v", v)
	}
}

// FuzzJudgeHTTP judges arbitrary answers with every built-in provider's rules and probe settings:
// the verdict is always one of the closed set, and the generic table's fixed points hold.
func FuzzJudgeHTTP(f *testing.F) {
	f.Add(200, "Content-Type: application/json\n", []byte(`{"login":"octocat"}`), uint8(0))
	f.Add(403, "x-ratelimit-remaining: 0\n", []byte(`{"message":"API rate limit exceeded"}`), uint8(2))
	f.Add(200, "", []byte(`{"errors":[{"message":"x","extensions":{"code":"RATELIMITED"}}]}`), uint8(3))
	f.Add(429, "Retry-After: 7200\n", []byte(``), uint8(1))
	f.Add(401, "WWW-Authenticate: Bearer error=\"insufficient_scope\"\n", []byte(``), uint8(4))
	f.Add(403, "", []byte(`{"status":403,"err":"Invalid token"}`), uint8(5))
	f.Add(503, "Retry-After: Sun, 01 Mar 2026 14:00:00 GMT\n", []byte(`upstream`), uint8(6))
	defs := providers.Builtins()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, status int, headers string, body []byte, pick uint8) {
		h := http.Header{}
		for _, line := range strings.Split(headers, "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok {
				h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
			}
		}
		ra := providers.NoRetryAfter
		if s, ok := providers.ParseRetryAfter(h.Get("Retry-After"), now); ok {
			ra = s
		}
		def := defs[int(pick)%len(defs)]
		var p providers.Probe
		for _, c := range def.Capabilities {
			if c.Probe != nil {
				p = *c.Probe
				break
			}
		}
		v := providers.JudgeHTTP(status, h, body, ra, def.FailureRules, p)
		validVerdict(t, v)
		if again := providers.JudgeHTTP(status, h, bytes.Clone(body), ra, def.FailureRules, p); again != v {
			t.Fatalf("not deterministic: %+v then %+v", v, again)
		}
		g := providers.JudgeHTTP(status, h, body, ra, nil, p)
		validVerdict(t, g)
		switch {
		case status >= 200 && status <= 299 && g.Class != classify.Success:
			t.Fatalf("%d without rules: %s", status, g)
		case status == 401 && g.String() != "dead(token_revoked)":
			t.Fatalf("401 without rules: %s", g)
		case status == 429 && g.Class != classify.RateLimited && g.Class != classify.QuotaExhausted:
			t.Fatalf("429 without rules: %s", g)
		case status >= 500 && status <= 599 && g.Class != classify.ProviderDegraded:
			t.Fatalf("%d without rules: %s", status, g)
		}
	})
}

// FuzzCodexJSONL feeds arbitrary bytes to the Codex JSONL judge: it never panics, recognises
// nothing in what is not a codex stream, and gives a verdict of the closed set.
func FuzzCodexJSONL(f *testing.F) {
	f.Add([]byte(`{"type":"turn.completed","usage":{"input_tokens":1,"cached_input_tokens":0,"output_tokens":1}}`))
	f.Add([]byte(`{"type":"error","message":"You've hit your usage limit. Try again at 12:16 PM."}` + "\n" + `{"type":"turn.failed","error":{"message":"x"}}`))
	f.Add([]byte(`{"type":"error","message":"Reconnecting... 1/5"}` + "\n"))
	f.Add([]byte(`{"type":"turn.failed","error":{"message":"limit","codex_error_info":"usage_limit_exceeded"}}`))
	f.Add([]byte("not json\n{\"type\":\n"))
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		cs := providers.JudgeCodexJSONL(bytes.NewReader(data), now, time.UTC)
		if cs.Verdict.Class == "" {
			return
		}
		if !cs.Recognized {
			t.Fatalf("a verdict without a recognised stream: %+v", cs)
		}
		validVerdict(t, cs.Verdict)
		if cs.Verdict.Class == classify.Success && !cs.Completed {
			t.Fatalf("success without turn.completed")
		}
	})
}

// FuzzCheckResourceMetadata: whatever it accepts has an https resource and https servers.
func FuzzCheckResourceMetadata(f *testing.F) {
	f.Add([]byte(`{"resource":"https://mcp.example.com/mcp","authorization_servers":["https://auth.example.com"]}`))
	f.Add([]byte(`{"resource":"https://mcp.example.com/mcp#f","authorization_servers":[]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if providers.CheckResourceMetadata(data) == nil && !bytes.Contains(bytes.ToLower(data), []byte("https:")) &&
			!bytes.Contains(data, []byte(`\u`)) {
			t.Fatalf("accepted metadata without an https URL: %q", data)
		}
	})
}
