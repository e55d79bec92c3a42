package classify

import "sort"

// The built-in output rule packs recognise what current Codex, Claude Code and gh print when an
// account is spent, dead or the provider is down (SPEC §5.4). Every pattern is backed by real
// output kept in testdata/fixtures/<pack>/ with its source. Patterns are anchored on the CLIs'
// own wording (prefixes such as "API Error:" and the "·" separators) so that a model's answer that
// talks about limits, and the CLIs' own retry lines, do not trip them.

// Sentinel capture name used by the packs for the reset time.
const resetGroup = "reset"

func dead(r Reason) RuleClass     { return RuleClass{Class: Dead, Reason: r} }
func degraded(r Reason) RuleClass { return RuleClass{Class: Degraded, Reason: r} }

var (
	quota     = RuleClass{Class: QuotaExhausted}
	rateLimit = RuleClass{Class: RateLimited}
	provDown  = RuleClass{Class: ProviderDegraded, Reason: ReasonProviderDegraded}
	neverFail = RuleClass{Class: Success}
	userFail  = RuleClass{Class: ChildFailure}
)

var packs = map[string][]OutputRule{
	"codex": {
		// The CLI's own reconnect loop: "Reconnecting... 2/5 (stream disconnected before completion: …)".
		{Name: "codex-reconnecting", Pattern: `Reconnecting\.\.\.\s+\d+/\d+`, Class: neverFail},
		{Name: "codex-usage-limit", Pattern: `(?:^(?:\[[^\]]{0,40}\]\s*)?[^A-Za-z]{0,16}(?:(?:ERROR|Error|error):\s*)?|"message"\s*:\s*")You(?:'|’)ve hit your usage limit(?:.*[Tt]ry again (?P<reset>(?:at|in) [^.]*(?:\.\d[^.]*)?))?`, Class: quota, ResetCapture: resetGroup},
		// The backend's structured error, raw or quoted again inside a `codex exec --json` event line
		// (where its quotes are escaped), and the protocol's usage_limit_exceeded code.
		{Name: "codex-usage-limit-json", Pattern: `\\?"usage_limit_(?:reached|exceeded)\\?"(?:.*resets_at\\?"\s*:\s*(?P<reset>\d{10}))?`, Class: quota, ResetCapture: resetGroup},
		{Name: "codex-quota-exceeded", Pattern: `Quota exceeded\. Check your plan and billing details`, Class: quota},
		{Name: "codex-insufficient-quota", Pattern: `Insufficient quota: You exceeded your current quota`, Class: quota},
		{Name: "codex-refresh-token-reused", Pattern: `refresh token (?:was|has) already (?:been )?used`, Class: dead(TokenRevoked)},
		{Name: "codex-refresh-token-revoked", Pattern: `refresh token was revoked`, Class: dead(TokenRevoked)},
		{Name: "codex-token-not-refreshed", Pattern: `Your access token could not be refreshed`, Class: dead(AuthPermanentlyFailed)},
		// The Responses API refusing the login: "unexpected status 401 Unauthorized: {"detail":…}".
		{Name: "codex-unauthorized", Pattern: `unexpected status 401 Unauthorized`, Class: dead(TokenRevoked)},
		{Name: "codex-sign-in-again", Pattern: `Please log out and sign in again`, Class: dead(AuthPermanentlyFailed)},
		{Name: "codex-retry-limit-5xx", Pattern: `exceeded retry limit, last status: 5\d\d`, Class: provDown},
		{Name: "codex-retry-limit-429", Pattern: `exceeded retry limit, last status: 429`, Class: rateLimit},
	},
	"claude": {
		// The CLI retrying by itself: "API Error (529 …) · Retrying in 4 seconds… (attempt 4/10)".
		{Name: "claude-retrying", Pattern: `Retrying in \d+ seconds?(?:…|\.\.\.)?\s*\(attempt \d+/\d+\)`, Class: neverFail},
		// Claude Code 1.0.x printed the epoch form as the whole answer of `claude -p` and exited 0
		// (anthropics/claude-code#6119): a machine format no answer prints, so it counts at exit 0.
		{Name: "claude-usage-limit-epoch", Pattern: `^\s*Claude AI usage limit reached\|(?P<reset>\d{10,13})\s*$`, Class: quota, ResetCapture: resetGroup, AtExit0: true},
		{Name: "claude-usage-limit-reset-at", Pattern: `Claude usage limit reached\.(?: Your limit will reset at (?P<reset>[^.]+))?`, Class: quota, ResetCapture: resetGroup},
		{Name: "claude-limit-hit", Pattern: `You(?:'|’)ve hit your (?:[A-Za-z0-9-]+ )?limit\s*[·∙•]\s*resets (?P<reset>[^·∙•]+)`, Class: quota, ResetCapture: resetGroup},
		{Name: "claude-limit-reached", Pattern: `(?:\d+-hour|[Ww]eekly|Opus|Opus weekly) limit reached(?:\s*[·∙•]\s*resets (?P<reset>[^·∙•]+))?`, Class: quota, ResetCapture: resetGroup},
		{Name: "claude-rate-limit-reached", Pattern: `API Error: Rate limit reached`, Class: rateLimit},
		{Name: "claude-rate-limit-error", Pattern: `API Error: 429\b|"type"\s*:\s*"rate_limit_error"`, Class: quota},
		{Name: "claude-oauth-expired", Pattern: `(?:API Error: 401\b.*)?OAuth token has expired`, Class: dead(CredentialExpired)},
		{Name: "claude-oauth-revoked", Pattern: `OAuth token (?:has been )?revoked`, Class: dead(TokenRevoked)},
		{Name: "claude-invalid-api-key", Pattern: `Invalid API key\s*·\s*(?:Please run|Run) /login|invalid x-api-key`, Class: dead(AuthPermanentlyFailed)},
		{Name: "claude-missing-api-key", Pattern: `Missing API key\s*·\s*(?:Please run|Run) /login`, Class: dead(CredentialUnavailable)},
		{Name: "claude-invalid-credentials", Pattern: `"Invalid authentication credentials"`, Class: dead(AuthPermanentlyFailed)},
		{Name: "claude-please-login", Pattern: `API Error: 40[13]\b.*·\s*Please run /login`, Class: dead(AuthPermanentlyFailed)},
		{Name: "claude-credit-balance", Pattern: `(?i)credit balance (?:is )?too low`, Class: degraded(SubscriptionPaused)},
		{Name: "claude-payment-required", Pattern: `API Error: 402\b`, Class: degraded(SubscriptionPaused)},
		{Name: "claude-overloaded", Pattern: `API Error: (?:Repeated )?529\b|API Error: 5\d\d\b|API Error: \d+ \{"type":"error","error":\{"type":"(?:overloaded_error|api_error)"`, Class: provDown},
	},
	"github": {
		{Name: "gh-not-found", Pattern: `HTTP 404: Not Found|GraphQL: Could not resolve to a`, Class: userFail},
		{Name: "gh-bad-credentials", Pattern: `HTTP 401: Bad credentials|failed \(401\): 'Bad credentials'`, Class: dead(TokenRevoked)},
		{Name: "gh-auth-login", Pattern: `To get started with GitHub CLI, please run:\s+gh auth login`, Class: dead(CredentialUnavailable)},
		// gh's documented exit status 4: "authentication required".
		{Name: "gh-exit-4", ExitCodes: []int{4}, Class: dead(CredentialUnavailable)},
		{Name: "gh-rate-limit", Pattern: `API rate limit exceeded for |exceeded a secondary rate limit`, Class: rateLimit},
		{Name: "gh-server-error", Pattern: `HTTP 5\d\d: `, Class: provDown},
	},
}

// Pack returns a copy of a built-in output rule pack ("codex", "claude", "github"), or nil.
func Pack(name string) []OutputRule {
	p, ok := packs[name]
	if !ok {
		return nil
	}
	out := make([]OutputRule, len(p))
	for i, r := range p {
		r.ExitCodes = append([]int(nil), r.ExitCodes...)
		out[i] = r
	}
	return out
}

// PackNames lists the built-in packs, sorted.
func PackNames() []string {
	names := make([]string, 0, len(packs))
	for n := range packs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
