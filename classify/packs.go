package classify

import "sort"

// The built-in output rule packs recognise what current Codex, Claude Code and gh print when an
// account is spent, dead or the provider is down (SPEC §5.4). Every pattern is backed by real
// output kept in testdata/fixtures/<pack>/ with its source. Patterns are anchored on the CLIs'
// own wording (prefixes such as "API Error:" and the "·" separators) so that a model's answer that
// talks about limits, and the CLIs' own retry lines, do not trip them.

// Sentinel capture name used by the packs for the reset time.
const resetGroup = "reset"

// ghLead admits gh's lower-case context before its error ("unable to determine base repository: ").
const ghLead = `^(?:[a-z][a-z ,]*: )?`

// copilotLead is Copilot CLI's framing: indentation, the TUI's mark, a "Model call failed:" or
// "Execution failed:" label.
const copilotLead = `^\s*(?:[✗×✘]\s+)?(?:❌ Error: \(\w+\) )?(?:(?:Model call failed|Execution failed): (?:Error: )?)?`

// geminiLead is Gemini CLI's framing: "[API Error: " (the TUI marks it "✕ ") or the headless crash
// line "An unexpected critical error occurred:<ErrorName>: ".
const geminiLead = `(?:^\s*(?:✕ )?\[API Error: |^An unexpected critical error occurred:\s*(?:\w+: )?)`

// claudeLead is Claude Code's framing of its own notice at the start of a line: indentation and the
// TUI's "⎿" (or "●", "✻"). The rules that mark a whole account start with it, so a log line or an
// answer that mentions a revoked token mid-sentence does not.
const claudeLead = `^\s*(?:[⎿●✻]\s*)?`

// codexLead is Codex's framing of its own error at the start of a line: a timestamp, the TUI's "■ "
// (or "⚠ ", indented or not; "🖐 " in 0.2x), "ERROR: ", the compaction task's prefix, the labels the
// Codex SDK adds ("Codex turn failed: "); or the message of a JSON error. Nothing else may
// come before the words: "- You've hit…", "1. You've hit…", "`You've hit…" are answers quoting them.
const codexLead = `(?:^(?:\[[^\]]{0,40}\]\s*)?(?:\s*(?:[■⚠✗×]|🖐\x{FE0F}?)\s*)?(?:(?:ERROR|Error|error):\s*)?(?:Codex (?:stream error|turn failed):\s*)?(?:Error running remote compact task:\s*)?(?:stream error:\s*)?|"message"\s*:\s*")`

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
		// The CLI's own reconnect loop: "Reconnecting... 2/5 (stream disconnected before completion: …)",
		// and the TUI's before 2025-10: "⚠  stream error: …; retrying 1/5 in 211ms…".
		{Name: "codex-reconnecting", Pattern: `Reconnecting\.\.\.\s+\d+/\d+|; retrying \d+/\d+ in \S+`, Class: neverFail},
		// A model this login cannot use marks the route (before the overload rule: the text can come
		// inside "stream disconnected before completion: …", openai/codex#12143).
		{Name: "codex-model-unavailable", Pattern: "model is not supported when using Codex with a ChatGPT account|401 Unauthorized: You are not authorized to access this model|The model `[^`]+` does not exist or you do not have access to it|unexpected status 404 Not Found: .*(?:model '[^']+' not found|Model not found)", Class: degraded(TierInsufficient)},
		{Name: "codex-usage-limit", Pattern: codexLead + `(?:You've|You’ve) hit (?:usage )?your usage limit(?:.*[Tt]ry again (?P<reset>(?:at|in) [^.]*(?:\.\d[^.]*)?))?`, Class: quota, ResetCapture: resetGroup},
		// codex exec before openai/codex#4309 (v0.40.0 and older) printed the error with a timestamp on
		// stdout and exited 0: as the last line of a run it still counts.
		{Name: "codex-usage-limit-exit-0", Pattern: `^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\] ERROR: (?:You've|You’ve) hit (?:usage )?your usage limit(?:.*[Tt]ry again (?P<reset>(?:at|in) [^.]*(?:\.\d[^.]*)?))?`, Class: quota, ResetCapture: resetGroup, AtExit0: true},
		// The backend's structured error as relays print it (codex itself prints the sentence).
		{Name: "codex-usage-limit-json", Pattern: `\\?"usage_limit_(?:reached|exceeded)\\?"(?:.*resets_at\\?"\s*:\s*(?P<reset>\d{10}))?`, Class: quota, ResetCapture: resetGroup},
		// Credit, spend cap and plan: nothing resets by itself.
		{Name: "codex-credits", Pattern: codexLead + `(?:Your workspace is out of credits\.|You hit your spend cap set (?:in your workspace|by the owner of your workspace)\.|(?:You're|You’re) out of credits\.|To use Codex with your ChatGPT plan, upgrade to Plus|Usage limit reached\. (?:You've|You’ve) reached your usage limit\.)`, Class: degraded(SubscriptionPaused)},
		{Name: "codex-quota-exceeded", Pattern: codexLead + `Quota exceeded\. Check your plan and billing details`, Class: degraded(SubscriptionPaused)},
		{Name: "codex-insufficient-quota", Pattern: codexLead + `Insufficient quota: You exceeded your current quota`, Class: degraded(SubscriptionPaused)},
		// The refresh failures of codex-rs/login/src/auth/manager.rs, never retried. They mark the
		// account, so they must be codex's own line: a sentence that opens with "Your access token".
		{Name: "codex-refresh-token-reused", Pattern: codexLead + `Your access token could not be refreshed because your refresh token (?:was|has) already (?:been )?used`, Class: dead(TokenRevoked)},
		{Name: "codex-refresh-token-revoked", Pattern: codexLead + `Your access token could not be refreshed because your refresh token was revoked`, Class: dead(TokenRevoked)},
		{Name: "codex-refresh-token-expired", Pattern: codexLead + `Your access token could not be refreshed because your refresh token has expired`, Class: dead(CredentialExpired)},
		{Name: "codex-token-not-refreshed-logged-out", Pattern: codexLead + `Your access token could not be refreshed because you have since logged out or signed in to another account`, Class: dead(CredentialUnavailable)},
		{Name: "codex-token-not-refreshed", Pattern: codexLead + `Your access token could not be refreshed`, Class: dead(AuthPermanentlyFailed)},
		{Name: "codex-missing-scopes", Pattern: codexLead + `unexpected status 401 Unauthorized: You have insufficient permissions for this operation\. Missing scopes: `, Class: degraded(ScopeInsufficient)},
		{Name: "codex-missing-bearer", Pattern: codexLead + `unexpected status 401 Unauthorized: Missing bearer or basic authentication in header`, Class: dead(CredentialUnavailable)},
		// The Responses API refusing the login: "unexpected status 401 Unauthorized: {"detail":…}",
		// "exceeded retry limit, last status: 401 Unauthorized" before 2025-11-25.
		// (Not the two 401s above: "401 Unauthorized: You have…", "401 Unauthorized: Missing…".)
		{Name: "codex-unauthorized", Pattern: codexLead + `(?:unexpected status|exceeded retry limit, last status:) 401 Unauthorized(?:$|[,;]|:\s*[^YM\s])`, Class: dead(AuthPermanentlyFailed)},
		{Name: "codex-retry-limit-429", Pattern: codexLead + `exceeded retry limit, last status: 429`, Class: rateLimit},
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
		{Name: "claude-oauth-expired", Pattern: claudeLead + `(?:(?:Please run /login\s*·\s*)?(?:Failed to authenticate\.\s*)?API Error: 401\b.*?OAuth token has expired|OAuth token has expired|Failed to authenticate: OAuth session expired)`, Class: dead(CredentialExpired)},
		// The same message wrapped by the TUI after "OAuth token" (#44264): its second line.
		{Name: "claude-oauth-expired-wrapped", Pattern: `^\s*has expired\. Please obtain a new token`, Class: dead(CredentialExpired)},
		{Name: "claude-oauth-revoked", Pattern: claudeLead + `OAuth token (?:has been )?revoked`, Class: dead(TokenRevoked)},
		{Name: "claude-org-disabled", Pattern: claudeLead + `API Error: 400 (?:This organization has been disabled|\{"type":"error","error":\{"type":"invalid_request_error","message":"This organization has been\s+disabled)`, Class: dead(AuthPermanentlyFailed)},
		{Name: "claude-subscription-disabled", Pattern: claudeLead + `Your organization has disabled Claude subscription access`, Class: dead(AuthPermanentlyFailed)},
		{Name: "claude-invalid-api-key", Pattern: claudeLead + `(?:Invalid API key\s*·\s*(?:Please run /login|Run /login|Fix external API key)|API Error: 401\b.*invalid x-api-key)`, Class: dead(AuthPermanentlyFailed)},
		{Name: "claude-not-logged-in", Pattern: claudeLead + `(?:Not logged in|Missing API key)\s*·\s*(?:Please run|Run) /login`, Class: dead(CredentialUnavailable)},
		{Name: "claude-invalid-credentials", Pattern: claudeLead + `(?:(?:Please run /login\s*·\s*)?(?:Failed to authenticate\.\s*)?API Error: 401\b.*)?"Invalid authentication credentials"`, Class: dead(AuthPermanentlyFailed)},
		{Name: "claude-api-401", Pattern: claudeLead + `(?:(?:Please run /login\s*·\s*)?(?:Failed to authenticate\.\s*)?API Error: 401\b|API Error: 403\b.*·\s*Please run /login)`, Class: dead(AuthPermanentlyFailed)},
		{Name: "claude-credit-balance", Pattern: `(?i)credit balance (?:is )?too low`, Class: degraded(SubscriptionPaused)},
		{Name: "claude-payment-required", Pattern: `API Error: 402\b`, Class: degraded(SubscriptionPaused)},
		// A model this login cannot use marks the route, not the account.
		{Name: "claude-selected-model", Pattern: `(?:There's|There’s) an issue with the selected model \([^)]+\)\.`, Class: degraded(TierInsufficient)},
		{Name: "claude-overloaded", Pattern: `API Error: (?:Repeated 529\b|5\d\d\b)|API Error: \d+ \{"type":"error","error":\{"type":"(?:overloaded_error|api_error)"`, Class: provDown},
	},
	"github": {
		// gh (cli/cli v2.60.0, go-gh v2.11.0): REST "HTTP <code>: <msg> (<url>)", GraphQL
		// "GraphQL: <msg> (<path>)", `gh api` "gh: <msg> (HTTP <code>)" on stderr. ghLead lets gh's
		// lower-case context through ("pull request create failed: ") and nothing else: a quote, a
		// table row of `gh issue list`, a CI log line of `gh run view --log-failed` do not match.
		{Name: "gh-not-found", Pattern: ghLead + `(?:HTTP 404: Not Found \(|GraphQL: Could not resolve to a )|^gh: Not Found \(HTTP 404\)`, Class: userFail},
		{Name: "gh-bad-credentials", Pattern: ghLead + `HTTP 401: Bad credentials \(|^gh: Bad credentials \(HTTP 401\)|failed \(401\): 'Bad credentials'|^\s+- The (?:[a-z0-9.-]+ )?token in (?:GH_TOKEN|GITHUB_TOKEN|GH_ENTERPRISE_TOKEN|GITHUB_ENTERPRISE_TOKEN) is (?:invalid|no longer valid)\.`, Class: dead(TokenRevoked)},
		{Name: "gh-auth-login", Pattern: `^To get started with GitHub CLI, please run:\s+gh auth login|^gh: To use GitHub CLI in (?:automation|a GitHub Actions workflow), set the GH_TOKEN environment variable`, Class: dead(CredentialUnavailable)},
		// gh's documented exit status 4: "authentication required".
		{Name: "gh-exit-4", ExitCodes: []int{4}, Class: dead(CredentialUnavailable)},
		// SAML enforcement is one organisation's: the route, not the login.
		{Name: "gh-saml", Pattern: ghLead + `(?:HTTP 403: |GraphQL(?: error)?: |gh: )Resource protected by organization SAML enforcement\.|^Authorize in your web browser:\s+https://\S+/sso\?`, Class: degraded(StepUpRequired)},
		{Name: "gh-scopes", Pattern: ghLead + `GraphQL: Your token has not been granted the required scopes to execute this query\.|^(?:gh: )?This API operation needs the "[^"]+" scope\. To request it, run:`, Class: degraded(ScopeInsufficient)},
		{Name: "gh-rate-limit", Pattern: ghLead + `(?:(?:HTTP 403: |HTTP 429: |GraphQL: |gh: )(?:API rate limit (?:already )?exceeded for |You have exceeded a secondary rate limit)|GraphQL: was submitted too quickly \()`, Class: rateLimit},
		{Name: "gh-server-error", Pattern: ghLead + `HTTP 5\d\d(?:: | \(https?://)|^gh: HTTP 5\d\d$|^gh: .* \(HTTP 5\d\d\)$`, Class: provDown},
	},
	"copilot": {
		// GitHub Copilot CLI (@github/copilot 1.0.x): `copilot -p` writes errors to stderr and exits 1;
		// the TUI marks them "✗ ". Sources per family in testdata/fixtures/copilot.
		{Name: "copilot-retrying", Pattern: `^\s*●\s+(?:Request failed due to a transient API error|Response was interrupted due to a server error)\. Retrying\.\.\.`, Class: neverFail},
		// The premium-request allowance: it resets with the month, which the text does not say.
		{Name: "copilot-no-quota", Pattern: copilotLead + `(?:402 (?:You have no quota\b|\{"error":\{"message":"You have no quota")|\{"message":"You have no quota","code":"quota_exceeded"\}|Quota exceeded\. Upgrade to increase your limit)`, Class: quota},
		{Name: "copilot-weekly-limit", Pattern: copilotLead + `You've reached your weekly rate limit\.(?: Please wait for your limit to reset (?P<reset>.+?)(?: or switch to auto model| Learn More|\.\s|$))?`, Class: quota, ResetCapture: resetGroup},
		{Name: "copilot-rate-limit-window", Pattern: copilotLead + `Sorry, you've hit a rate limit that restricts the number of Copilot model requests you can make within a specific time period\.(?: Please (?P<reset>try again in [^.]+))?`, Class: rateLimit, ResetCapture: resetGroup},
		{Name: "copilot-rate-limited-wait", Pattern: copilotLead + `Sorry, you have been rate-limited\. Please (?P<reset>wait \d+ (?:seconds?|minutes?|hours?)(?: \d+ (?:seconds?|minutes?))?) before trying again`, Class: rateLimit, ResetCapture: resetGroup},
		{Name: "copilot-rate-limit-other", Pattern: copilotLead + `(?:Sorry, you have exceeded your Copilot token usage\.|You've hit (?:your (?:session )?rate limit|the rate limit for this model)\.)`, Class: rateLimit},
		{Name: "copilot-retries-429", Pattern: copilotLead + `Failed to get response from the AI model; retried \d+ times.*Last error: (?:CAPIError: )?429\b`, Class: rateLimit},
		{Name: "copilot-no-auth", Pattern: `^Error: No authentication information found\.`, Class: dead(CredentialUnavailable)},
		{Name: "copilot-classic-pat", Pattern: `^Error: Classic Personal Access Tokens \(ghp_\) are not supported by Copilot\.`, Class: dead(AuthPermanentlyFailed)},
		{Name: "copilot-authorization-error", Pattern: copilotLead + `Authorization error(?:, you may need to run /login|\. Your credentials may be expired or invalid\.)`, Class: dead(AuthPermanentlyFailed)},
		{Name: "copilot-pat-permission", Pattern: copilotLead + `"?401 401 unauthorized: Personal Access Token does not have Copilot Requests permission`, Class: degraded(ScopeInsufficient)},
		// A model the plan or the organisation's policy does not allow: the route.
		{Name: "copilot-plan-or-policy", Pattern: copilotLead + `(?:You are not authorized to use this Copilot feature, it requires an enterprise or organization policy to be enabled|Model "[^"]+" is not available\. It may be disabled by your organization's policy|No model available\. Check policy enablement|\{"message":"no endpoints available for this model under your current plan and policies")`, Class: degraded(TierInsufficient)},
		{Name: "copilot-server-error", Pattern: copilotLead + `(?:Failed to get response from the AI model; retried \d+ times|Session token expired(?: and the request could not be retried)?\. Please resend your message\.)`, Class: provDown},
	},
	"gemini": {
		// Gemini CLI (@google/gemini-cli): "[API Error: …]" up to v0.22, "An unexpected critical error
		// occurred:<Name>: <message>" since v0.30, exit 1 for every quota, 429 and 5xx; exit 41 for
		// authentication (packages/core/src/utils/exitCodes.ts). Sources in testdata/fixtures/gemini.
		{Name: "gemini-retrying", Pattern: `^Attempt \d+ failed(?: with status \d+)?(?::.*)?\. Retrying (?:after \d+ms|with backoff)`, Class: neverFail},
		// Daily quotas are per model: the route (gemini-pro, gemini-flash), not the login.
		{Name: "gemini-daily-quota", Pattern: geminiLead + `(?:You have exhausted your daily quota on this model\.|Quota exceeded for quota metric '[^']*' and limit '[^']*(?:per day|Per ?Day)|.*PerDay)`, Class: quota},
		{Name: "gemini-usage-limit", Pattern: `^Usage limit reached for (?:all Pro models|\S+)\.$`, Class: quota},
		{Name: "gemini-access-resets", Pattern: `^Access resets at (?P<reset>.+?)\.$`, Class: quota, ResetCapture: resetGroup},
		{Name: "gemini-rate-limit", Pattern: geminiLead + `(?:You have exhausted your capacity on this model\.|.*(?:"code":\s*429\b|\\"code\\": 429\b|got status: 429\b|Resource has been exhausted))|^\s*Please wait and try again later\. To increase your limits, request a quota increase through (?:AI Studio|Vertex)`, Class: rateLimit},
		{Name: "gemini-overloaded", Pattern: geminiLead + `(?:No capacity available for model \S+ on the server|The model is overloaded\. Please try again later\.|got status: UNAVAILABLE\.|.*(?:"code":\s*5\d\d\b|\\"code\\": 5\d\d\b))|^We are currently experiencing high demand`, Class: provDown},
		{Name: "gemini-api-key-invalid", Pattern: geminiLead + `.*API [Kk]ey (?:not valid|not found|expired)\. Please (?:pass a valid API key|renew the API key)`, Class: dead(TokenRevoked)},
		{Name: "gemini-no-auth", Pattern: `^Please set an Auth method in your .* or specify one of the following environment variables before running:|^When using Gemini API, you must specify the GEMINI_API_KEY environment variable\.|^When using Vertex AI, you must specify either:`, Class: dead(CredentialUnavailable)},
		// An expired login in a headless run: it asks for a browser and waits (run it with
		// NO_BROWSER=true to get exit 41 instead).
		{Name: "gemini-oauth-needs-login", Pattern: `^\s*Opening authentication page in your browser\. Do you want to continue\? \[Y/n\]|^Manual authorization is required but the current session is non-interactive\.|^Authentication consent could not be obtained\.`, Class: dead(CredentialExpired)},
	},
}

// Pack returns a copy of a built-in output rule pack ("claude", "codex", "copilot", "gemini",
// "github"), or nil.
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
