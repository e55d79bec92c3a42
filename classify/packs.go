package classify

import "sort"

// The built-in output rule packs recognise what current Codex, Claude Code and gh print when an
// account is spent, dead or the provider is down (SPEC §5.4). Every pattern is backed by real
// output kept in testdata/fixtures/<pack>/ with its source. Patterns are anchored on the CLIs'
// own wording (prefixes such as "API Error:" and the "·" separators) so that a model's answer that
// talks about limits, and the CLIs' own retry lines, do not trip them.

// Sentinel capture name used by the packs for the reset time.
const resetGroup = "reset"

// codexLead is Codex's framing of its own error at the start of a line: a timestamp, "■ " or another
// glyph, "ERROR: ", the compaction task's prefix; or the message of a JSON error.
const codexLead = `(?:^(?:\[[^\]]{0,40}\]\s*)?[^A-Za-z]{0,16}(?:(?:ERROR|Error|error):\s*)?(?:Error running remote compact task:\s*)?(?:stream error:\s*)?|"message"\s*:\s*")`

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
		// Codex prints a failure as "ERROR: <msg>" on stderr (exec, since openai/codex#4644), as
		// "[<ts>] ERROR: <msg>" on stdout (exec before it), as "■ <msg>" (the TUI), or inside exec
		// --json events (judged as structured results). codexLead is that framing at the start of a
		// line, so a model's answer quoting the sentence mid-line does not match. Sources per family in
		// testdata/fixtures/codex; the wording of codex-rs/protocol/src/error.rs at rust-v0.125.0 and
		// later.
		//
		// The CLI's own reconnect loop: "Reconnecting... 2/5 (stream disconnected before completion: …)".
		{Name: "codex-reconnecting", Pattern: `Reconnecting\.\.\.\s+\d+/\d+`, Class: neverFail},
		// A model this login cannot use marks the route (before the overload rule: the text can come
		// inside "stream disconnected before completion: …", openai/codex#12143).
		{Name: "codex-model-unavailable", Pattern: "model is not supported when using Codex with a ChatGPT account|The model `[^`]+` does not exist or you do not have access to it|unexpected status 404 Not Found: .*(?:model '[^']+' not found|Model not found)", Class: degraded(TierInsufficient)},
		{Name: "codex-usage-limit", Pattern: codexLead + `(?:You've|You’ve) hit (?:usage )?your usage limit(?:.*[Tt]ry again (?P<reset>(?:at|in) [^.]*(?:\.\d[^.]*)?))?`, Class: quota, ResetCapture: resetGroup},
		// codex exec before openai/codex#4309 (v0.40.0 and older) printed the error with a timestamp on
		// stdout and exited 0: as the last line of a run it still counts.
		{Name: "codex-usage-limit-exit-0", Pattern: `^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\] ERROR: (?:You've|You’ve) hit (?:usage )?your usage limit(?:.*[Tt]ry again (?P<reset>(?:at|in) [^.]*(?:\.\d[^.]*)?))?`, Class: quota, ResetCapture: resetGroup, AtExit0: true},
		// The backend's structured error as relays print it (codex itself prints the sentence).
		{Name: "codex-usage-limit-json", Pattern: `\\?"usage_limit_(?:reached|exceeded)\\?"(?:.*resets_at\\?"\s*:\s*(?P<reset>\d{10}))?`, Class: quota, ResetCapture: resetGroup},
		// Credit, spend cap and plan: nothing resets by itself.
		{Name: "codex-credits", Pattern: codexLead + `(?:Your workspace is out of credits\.|You hit your spend cap set (?:in your workspace|by the owner of your workspace)\.|(?:You're|You’re) out of credits\.|To use Codex with your ChatGPT plan, upgrade to Plus|Usage limit reached\. (?:You've|You’ve) reached your usage limit\.)`, Class: degraded(SubscriptionPaused)},
		{Name: "codex-quota-exceeded", Pattern: `Quota exceeded\. Check your plan and billing details`, Class: degraded(SubscriptionPaused)},
		{Name: "codex-insufficient-quota", Pattern: `Insufficient quota: You exceeded your current quota`, Class: degraded(SubscriptionPaused)},
		// The refresh failures of codex-rs/login/src/auth/manager.rs, never retried.
		{Name: "codex-refresh-token-reused", Pattern: `refresh token (?:was|has) already (?:been )?used`, Class: dead(TokenRevoked)},
		{Name: "codex-refresh-token-revoked", Pattern: `refresh token was revoked`, Class: dead(TokenRevoked)},
		{Name: "codex-refresh-token-expired", Pattern: `refresh token has expired`, Class: dead(CredentialExpired)},
		{Name: "codex-token-not-refreshed-logged-out", Pattern: `could not be refreshed because you have since logged out or signed in to another account`, Class: dead(CredentialUnavailable)},
		{Name: "codex-token-not-refreshed", Pattern: `Your access token could not be refreshed`, Class: dead(AuthPermanentlyFailed)},
		{Name: "codex-missing-scopes", Pattern: `401 Unauthorized: You have insufficient permissions for this operation\. Missing scopes: `, Class: degraded(ScopeInsufficient)},
		{Name: "codex-missing-bearer", Pattern: `401 Unauthorized: Missing bearer or basic authentication in header`, Class: dead(CredentialUnavailable)},
		// The Responses API refusing the login: "unexpected status 401 Unauthorized: {"detail":…}",
		// "exceeded retry limit, last status: 401 Unauthorized" before 2025-11-25.
		// (Not the two 401s above: "401 Unauthorized: You have…", "401 Unauthorized: Missing…".)
		{Name: "codex-unauthorized", Pattern: `(?:unexpected status|exceeded retry limit, last status:) 401 Unauthorized(?:$|[,;]|:\s*[^YM\s])`, Class: dead(AuthPermanentlyFailed)},
		{Name: "codex-sign-in-again", Pattern: `Please log out and sign in again`, Class: dead(AuthPermanentlyFailed)},
		{Name: "codex-retry-limit-429", Pattern: `exceeded retry limit, last status: 429`, Class: rateLimit},
		{Name: "codex-overloaded", Pattern: codexLead + `(?:Selected model is at capacity\.|Model \S+ is at capacity\.|(?:We're|We’re) currently experiencing high demand,|stream disconnected before completion: |exceeded retry limit, last status: 5\d\d|unexpected status 5\d\d )`, Class: provDown},
	},
	"claude": {
		// Claude Code prints its notices on stdout, also in `claude -p` (anthropics/claude-code#35540);
		// the separators are "∙" (1.0.x) and "·" (2.x). Sources per family in testdata/fixtures/claude.
		//
		// The CLI retrying by itself: "API Error (529 …) · Retrying in 4 seconds… (attempt 4/10)", and
		// since 2.1.259 "✻ 529 Overloaded · Retrying in 4s · attempt 6/10" (#91817).
		{Name: "claude-retrying", Pattern: `Retrying in \d+ seconds?(?:…|\.\.\.)?\s*\(attempt \d+/\d+\)|·\s*Retrying in \d+s\s*·\s*attempt \d+/\d+`, Class: neverFail},
		// Claude Code 1.0.x printed the epoch form as the whole answer of `claude -p` and exited 0
		// (anthropics/claude-code#6119): a machine format no answer prints, so it counts at exit 0.
		{Name: "claude-usage-limit-epoch", Pattern: `^\s*Claude AI usage limit reached\|(?P<reset>\d{10,13})\s*$`, Class: quota, ResetCapture: resetGroup, AtExit0: true},
		{Name: "claude-usage-limit-reset-at", Pattern: `Claude usage limit reached\.(?: Your limit will reset at (?P<reset>[^.]+(?:\.\d[^.]*)?))?`, Class: quota, ResetCapture: resetGroup},
		{Name: "claude-limit-hit", Pattern: `(?:You've|You’ve) hit your (?:[A-Za-z0-9-]+ )?limit\s*[·∙•]\s*resets (?P<reset>[^·∙•]+)`, Class: quota, ResetCapture: resetGroup},
		{Name: "claude-extra-usage", Pattern: `(?:You're|You’re) out of extra usage\s*[·∙•]\s*resets (?P<reset>[^·∙•]+)`, Class: quota, ResetCapture: resetGroup},
		{Name: "claude-limit-reached", Pattern: `(?:\d+-hour|[Ss]ession|[Ww]eekly|Opus weekly|Opus|Sonnet weekly|Sonnet) limit reached(?:\s*[·∙•]\s*resets (?P<reset>[^·∙•]+))?`, Class: quota, ResetCapture: resetGroup},
		{Name: "claude-monthly-spend-limit", Pattern: `(?:You've|You’ve) hit your monthly spend limit\s*[·∙•]`, Class: quota},
		// A cap on one model ("You've reached your Fable limit. Run /usage-credits …"): the route's window.
		{Name: "claude-model-limit", Pattern: `(?:You've|You’ve) reached your [A-Za-z0-9 .-]{1,40} limit\. Run /usage-credits`, Class: quota},
		// `claude -p` prints this alone and exits 0 (anthropics/claude-code#79500): at exit 0 it counts
		// as the final line of a stream only.
		{Name: "claude-rate-limit-exit-0", Pattern: `^\s*API Error: Rate limit reached\s*$`, Class: rateLimit, AtExit0: true},
		{Name: "claude-rate-limit", Pattern: `API Error: (?:Rate limit reached|Request rejected \(429\)|429\b)|"type"\s*:\s*"rate_limit_error"`, Class: rateLimit},
		// The login, in the order the CLI words it; an expired token before the generic 401.
		{Name: "claude-oauth-expired", Pattern: `(?:(?:Please run /login\s*·\s*)?(?:Failed to authenticate\.\s*)?API Error: 401\b.*?)?OAuth token has expired|Failed to authenticate: OAuth session expired`, Class: dead(CredentialExpired)},
		// The same message wrapped by the TUI after "OAuth token" (#44264): its second line.
		{Name: "claude-oauth-expired-wrapped", Pattern: `^\s*has expired\. Please obtain a new token`, Class: dead(CredentialExpired)},
		{Name: "claude-oauth-revoked", Pattern: `OAuth token (?:has been )?revoked`, Class: dead(TokenRevoked)},
		{Name: "claude-org-disabled", Pattern: `API Error: 400 (?:This organization has been disabled|\{"type":"error","error":\{"type":"invalid_request_error","message":"This organization has been\s+disabled)`, Class: dead(AuthPermanentlyFailed)},
		{Name: "claude-subscription-disabled", Pattern: `Your organization has disabled Claude subscription access`, Class: dead(AuthPermanentlyFailed)},
		{Name: "claude-invalid-api-key", Pattern: `Invalid API key\s*·\s*(?:Please run /login|Run /login|Fix external API key)|invalid x-api-key`, Class: dead(AuthPermanentlyFailed)},
		{Name: "claude-not-logged-in", Pattern: `(?:Not logged in|Missing API key)\s*·\s*(?:Please run|Run) /login`, Class: dead(CredentialUnavailable)},
		{Name: "claude-invalid-credentials", Pattern: `"Invalid authentication credentials"`, Class: dead(AuthPermanentlyFailed)},
		{Name: "claude-api-401", Pattern: `(?:Please run /login\s*·\s*)?(?:Failed to authenticate\.\s*)?API Error: 401\b|API Error: 403\b.*·\s*Please run /login`, Class: dead(AuthPermanentlyFailed)},
		{Name: "claude-credit-balance", Pattern: `(?i)credit balance (?:is )?too low`, Class: degraded(SubscriptionPaused)},
		{Name: "claude-payment-required", Pattern: `API Error: 402\b`, Class: degraded(SubscriptionPaused)},
		// A model this login cannot use marks the route, not the account.
		{Name: "claude-selected-model", Pattern: `(?:There's|There’s) an issue with the selected model \([^)]+\)\.`, Class: degraded(TierInsufficient)},
		{Name: "claude-overloaded", Pattern: `API Error: (?:Repeated 529\b|5\d\d\b)|API Error: \d+ \{"type":"error","error":\{"type":"(?:overloaded_error|api_error)"`, Class: provDown},
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
