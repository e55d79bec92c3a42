package config

import (
	"encoding/json"
	"strings"
	"testing"
)

// base is valid: a config-only provider (acme), a built-in one (codex), profiles and a strategy.
const base = `{
  "version": 1,
  "defaults": {"provider": "acme", "strategy": "s", "profile": "p", "capability": "chat", "shell": "zsh"},
  "policy": {"daemon": {"allowed_budgets": ["free_local", "cheap_provider"]}},
  "provider_definitions": {
    "acme": {
      "name": "acme",
      "capabilities": [
        {"name": "chat", "aliases": ["talk"]},
        {"name": "whoami", "probe": {"transport": "http", "method": "GET", "url": "https://api.acme.test/v1/me?team={{ACME_TEAM}}",
                                     "timeout_ms": 5000, "success_status_min": 200, "success_status_max": 204, "budget": "cheap_provider"}},
        {"name": "ping", "probe": {"transport": "command", "command": ["acme", "ping", "{{ACME_REGION}}"], "budget": "free_command"}}
      ],
      "injection": {"direct_env": [["ACME_TOKEN", "access_token"]], "scrub_env": ["ACME_OLD"]},
      "failure_rules": [{"name": "busy", "status": 429, "retry_after_gte": 0, "retry_after_lt": 60, "class": {"rate_limited": {}}}],
      "output_rules": [{"name": "limit", "stream": "stderr", "pattern": "limit reached, resets (?P<at>.+)", "class": {"quota_exhausted": {}}, "reset_capture": "at"}]
    }
  },
  "providers": {
    "acme": {"accounts": {
      "a1": {"priority": 2, "secret": {"backend": "env", "variable": "ACME_A1"}, "quota": {"monthly_limit": 100, "warn_at_pct": 10}},
      "a2": {"secret": {"backend": "command", "command": ["pass", "show", "acme"]}}
    }},
    "codex": {"kind": "codex", "accounts": {"max-1": {"secret": {"backend": "file", "path": "/x/auth.json"}}}}
  },
  "profiles": {
    "p": {"providers": ["acme:a1#chat", "acme:a2#talk", "codex:max-1#codex-max"], "strategy": "s", "affinity_ttl_minutes": 20}
  },
  "strategies": {"s": {"kind": "health-weighted", "max_retries": 1}}
}`

type obj = map[string]any

// at walks nested objects by key; arrays by a numeric string.
func at(m any, keys ...string) obj {
	for _, k := range keys {
		switch c := m.(type) {
		case obj:
			m = c[k]
		case []any:
			i := 0
			for _, ch := range k {
				i = i*10 + int(ch-'0')
			}
			m = c[i]
		}
	}
	return m.(obj)
}

func parseMutated(t *testing.T, mutate func(m obj)) []Problem {
	t.Helper()
	var m obj
	if err := json.Unmarshal([]byte(base), &m); err != nil {
		t.Fatal(err)
	}
	mutate(m)
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse(data, "c.json", testEnv)
	return problemsOf(t, err)
}

func TestBaseIsValid(t *testing.T) {
	c, err := Parse([]byte(base), "c.json", testEnv)
	if err != nil {
		t.Fatalf("base config invalid:\n%v", err)
	}
	if len(c.Unknown) != 0 {
		t.Fatalf("unknown keys in base: %v", c.Unknown)
	}
}

func TestValidationRules(t *testing.T) {
	acme := func(m obj) obj { return at(m, "provider_definitions", "acme") }
	caps := func(m obj) []any { return acme(m)["capabilities"].([]any) }
	probe := func(m obj, i int) obj { return caps(m)[i].(obj)["probe"].(obj) }
	a1 := func(m obj) obj { return at(m, "providers", "acme", "accounts", "a1") }
	secret := func(m obj) obj { return a1(m)["secret"].(obj) }
	prof := func(m obj) obj { return at(m, "profiles", "p") }
	outRule := func(m obj) obj { return acme(m)["output_rules"].([]any)[0].(obj) }
	failRule := func(m obj) obj { return acme(m)["failure_rules"].([]any)[0].(obj) }

	tests := []struct {
		name     string
		mutate   func(m obj)
		path     string
		contains string
	}{
		{"version 2", func(m obj) { m["version"] = 2 }, "version", "unsupported version 2"},
		{"version missing", func(m obj) { delete(m, "version") }, "version", "missing"},
		{"defaults.provider", func(m obj) { at(m, "defaults")["provider"] = "nope" }, "defaults.provider", `unknown provider "nope"`},
		{"defaults.strategy", func(m obj) { at(m, "defaults")["strategy"] = "nope" }, "defaults.strategy", `unknown strategy "nope"`},
		{"defaults.profile", func(m obj) { at(m, "defaults")["profile"] = "nope" }, "defaults.profile", `unknown profile "nope"`},
		{"defaults.capability of provider", func(m obj) { at(m, "defaults")["capability"] = "fly" }, "defaults.capability", `unknown capability "fly" of provider "acme"`},
		{"defaults.capability syntax", func(m obj) { at(m, "defaults")["capability"] = "a#b" }, "defaults.capability", "must not contain"},
		{"defaults.capability no provider", func(m obj) { d := at(m, "defaults"); delete(d, "provider"); d["capability"] = "fly" }, "defaults.capability", "no configured provider has it"},
		{"defaults.shell", func(m obj) { at(m, "defaults")["shell"] = "tcsh" }, "defaults.shell", `unknown shell "tcsh"`},
		{"policy budget", func(m obj) { at(m, "policy", "daemon")["allowed_budgets"] = []any{"free_local", "lavish"} }, "policy.daemon.allowed_budgets[1]", `unknown budget "lavish"`},

		{"empty provider name", func(m obj) { at(m, "providers")[""] = at(m, "providers", "codex") }, `providers[""]`, "provider name must not be empty"},
		{"provider name with colon", func(m obj) {
			p := at(m, "providers", "codex")
			at(m, "providers")["co:dex"] = p
		}, "providers.co:dex", "must not contain ':' or '#'"},
		{"unknown kind", func(m obj) { at(m, "providers", "codex")["kind"] = "codexx" }, "providers.codex.kind", `unknown provider kind "codexx"`},
		{"unknown name without kind", func(m obj) {
			at(m, "providers")["zzz"] = obj{"accounts": obj{"a": obj{"secret": obj{"backend": "stdin"}}}}
		}, "providers.zzz", `unknown provider kind "zzz"`},
		{"config_dir_env", func(m obj) { at(m, "providers", "codex")["config_dir_env"] = "1BAD" }, "providers.codex.config_dir_env", "not an environment variable name"},
		{"no accounts", func(m obj) { at(m, "providers", "codex")["accounts"] = obj{} }, "providers.codex.accounts", `provider "codex" has no accounts`},
		{"account name with hash", func(m obj) {
			at(m, "providers", "codex", "accounts")["max#2"] = obj{"secret": obj{"backend": "stdin"}}
		}, "providers.codex.accounts.max#2", "must not contain"},

		{"secret backend missing", func(m obj) { delete(secret(m), "backend") }, "providers.acme.accounts.a1.secret.backend", "missing secret backend"},
		{"secret backend unknown", func(m obj) { secret(m)["backend"] = "vault" }, "providers.acme.accounts.a1.secret.backend", `unknown secret backend "vault"`},
		{"file needs path", func(m obj) { a1(m)["secret"] = obj{"backend": "file"} }, "providers.acme.accounts.a1.secret.path", `needs "path"`},
		{"env needs variable", func(m obj) { a1(m)["secret"] = obj{"backend": "env"} }, "providers.acme.accounts.a1.secret.variable", `needs "variable"`},
		{"env variable name", func(m obj) { secret(m)["variable"] = "A-B" }, "providers.acme.accounts.a1.secret.variable", "not an environment variable name"},
		{"command needs argv", func(m obj) { a1(m)["secret"] = obj{"backend": "command", "command": []any{}} }, "providers.acme.accounts.a1.secret.command", "non-empty argv"},
		{"keychain needs service", func(m obj) { a1(m)["secret"] = obj{"backend": "keychain", "account": "x"} }, "providers.acme.accounts.a1.secret.service", `needs "service"`},
		{"keychain needs account", func(m obj) { a1(m)["secret"] = obj{"backend": "keychain", "service": "x"} }, "providers.acme.accounts.a1.secret.account", `needs "account"`},
		{"sops needs path", func(m obj) { a1(m)["secret"] = obj{"backend": "sops", "key_path": "/k"} }, "providers.acme.accounts.a1.secret.path", `needs "path"`},
		{"age needs identity", func(m obj) { a1(m)["secret"] = obj{"backend": "age", "path": "/a"} }, "providers.acme.accounts.a1.secret.identity", `needs "identity"`},
		{"age needs path", func(m obj) { a1(m)["secret"] = obj{"backend": "age", "identity": "/i"} }, "providers.acme.accounts.a1.secret.path", `needs "path"`},
		{"quota limit", func(m obj) { at(a1(m), "quota")["monthly_limit"] = 0 }, "providers.acme.accounts.a1.quota.monthly_limit", "greater than 0"},
		{"quota pct", func(m obj) { at(a1(m), "quota")["warn_at_pct"] = 101 }, "providers.acme.accounts.a1.quota.warn_at_pct", "between 0 and 100"},
		{"empty tag", func(m obj) { a1(m)["tags"] = []any{"metered", " "} }, "providers.acme.accounts.a1.tags[1]", "tag must not be empty"},

		{"profile no providers", func(m obj) { prof(m)["providers"] = []any{} }, "profiles.p.providers", `profile "p" has no providers`},
		{"profile name", func(m obj) { at(m, "profiles")["a:b"] = prof(m) }, "profiles.a:b", "must not contain"},
		{"profile unknown account", func(m obj) { prof(m)["providers"].([]any)[1] = "acme:max-9" }, "profiles.p.providers[1]", `unknown account "max-9" of provider "acme"`},
		{"profile unknown provider", func(m obj) { prof(m)["providers"].([]any)[1] = "nope:a1" }, "profiles.p.providers[1]", `unknown provider "nope"`},
		{"profile bad ref", func(m obj) { prof(m)["providers"].([]any)[0] = "acme" }, "profiles.p.providers[0]", "want provider:account"},
		{"profile unknown capability", func(m obj) { prof(m)["providers"].([]any)[0] = "acme:a1#fly" }, "profiles.p.providers[0]", `unknown capability "fly" of provider "acme"`},
		{"profile unknown built-in capability", func(m obj) { prof(m)["providers"].([]any)[2] = "codex:max-1#codex-maxx" }, "profiles.p.providers[2]", `unknown capability "codex-maxx" of provider "codex"`},
		{"profile duplicate", func(m obj) { prof(m)["providers"] = []any{"acme:a1#chat", "acme:a1#chat"} }, "profiles.p.providers[1]", "duplicate route"},
		{"profile strategy", func(m obj) { prof(m)["strategy"] = "nope" }, "profiles.p.strategy", `unknown strategy "nope"`},
		{"affinity", func(m obj) { prof(m)["affinity_ttl_minutes"] = -1 }, "profiles.p.affinity_ttl_minutes", "0 or more"},

		{"strategy kind", func(m obj) { at(m, "strategies", "s")["kind"] = "random" }, "strategies.s.kind", `unknown strategy kind "random"`},
		{"strategy kind missing", func(m obj) { delete(at(m, "strategies", "s"), "kind") }, "strategies.s.kind", "missing strategy kind"},
		{"max_retries", func(m obj) { at(m, "strategies", "s")["max_retries"] = -1 }, "strategies.s.max_retries", "0 or more"},
		{"penalty sign", func(m obj) { at(m, "strategies", "s")["failure_penalty"] = 5 }, "strategies.s.failure_penalty", "between -100 and 0"},
		{"strategy name", func(m obj) { at(m, "strategies")["x#y"] = obj{"kind": "round-robin"} }, "strategies.x#y", "must not contain"},

		{"definition name mismatch", func(m obj) { acme(m)["name"] = "acme2" }, "provider_definitions.acme.name", "differs from its key"},
		{"capability empty name", func(m obj) { caps(m)[0].(obj)["name"] = "" }, "provider_definitions.acme.capabilities[0].name", "capability name must not be empty"},
		{"capability alias clash", func(m obj) { caps(m)[1].(obj)["aliases"] = []any{"talk"} }, "provider_definitions.acme.capabilities[1].aliases[0]", `"talk" is already used`},
		{"direct_env token", func(m obj) { acme(m)["injection"].(obj)["direct_env"] = []any{[]any{"X", "id_token"}} }, "provider_definitions.acme.injection.direct_env[0]", `unknown token "id_token"`},
		{"scrub_env name", func(m obj) { acme(m)["injection"].(obj)["scrub_env"] = []any{"A B"} }, "provider_definitions.acme.injection.scrub_env[0]", "not an environment variable name"},
		{"credential_filename escapes", func(m obj) { acme(m)["injection"].(obj)["credential_filename"] = "../auth.json" }, "provider_definitions.acme.injection.credential_filename", "clean relative path"},
		{"credential_template parse", func(m obj) { acme(m)["injection"].(obj)["credential_template"] = `{"t": {{json .AccessToken}` }, "provider_definitions.acme.injection.credential_template", "does not parse"},
		{"expires unit", func(m obj) { acme(m)["credential"] = obj{"expires_at_unit": "hours"} }, "provider_definitions.acme.credential.expires_at_unit", `unknown unit "hours"`},
		{"token type", func(m obj) { acme(m)["credential"] = obj{"token_type": "mac"} }, "provider_definitions.acme.credential.token_type", `unknown token type "mac"`},
		{"repair owner", func(m obj) { acme(m)["repair"] = obj{"owner": "me"} }, "provider_definitions.acme.repair.owner", `unknown repair owner "me"`},

		{"probe transport", func(m obj) { probe(m, 1)["transport"] = "grpc" }, "provider_definitions.acme.capabilities[1].probe.transport", `unknown transport "grpc"`},
		{"probe transport missing", func(m obj) { delete(probe(m, 1), "transport") }, "provider_definitions.acme.capabilities[1].probe.transport", "missing transport"},
		{"http needs url", func(m obj) { delete(probe(m, 1), "url") }, "provider_definitions.acme.capabilities[1].probe.url", "needs a url"},
		{"url scheme", func(m obj) { probe(m, 1)["url"] = "ftp://x/y" }, "provider_definitions.acme.capabilities[1].probe.url", "http or https"},
		{"url userinfo", func(m obj) { probe(m, 1)["url"] = "https://u:p@x/y" }, "provider_definitions.acme.capabilities[1].probe.url", "user info"},
		{"command needs argv", func(m obj) { probe(m, 2)["command"] = []any{""} }, "provider_definitions.acme.capabilities[2].probe.command", "non-empty argv"},
		{"timeout", func(m obj) { probe(m, 1)["timeout_ms"] = 0 }, "provider_definitions.acme.capabilities[1].probe.timeout_ms", "greater than 0"},
		{"status range", func(m obj) { probe(m, 1)["success_status_min"] = 300 }, "provider_definitions.acme.capabilities[1].probe", "success_status_min 300 is above success_status_max 204"},
		{"status range default max", func(m obj) { delete(probe(m, 1), "success_status_max"); probe(m, 1)["success_status_min"] = 300 }, "provider_definitions.acme.capabilities[1].probe", "above success_status_max 299"},
		{"method", func(m obj) { probe(m, 1)["method"] = "PUT" }, "provider_definitions.acme.capabilities[1].probe.method", `unknown method "PUT"`},
		{"body without POST", func(m obj) { probe(m, 1)["body"] = "{}" }, "provider_definitions.acme.capabilities[1].probe.body", "needs method POST"},
		{"auth", func(m obj) { probe(m, 1)["auth"] = "basic" }, "provider_definitions.acme.capabilities[1].probe.auth", `unknown auth "basic"`},
		{"token_header needs header", func(m obj) { probe(m, 1)["auth"] = "token_header" }, "provider_definitions.acme.capabilities[1].probe.auth_header", "needs auth_header"},
		{"placeholder charset", func(m obj) { probe(m, 1)["url"] = "https://x/{{ACME-TEAM}}" }, "provider_definitions.acme.capabilities[1].probe.url", "placeholder"},
		{"placeholder unclosed", func(m obj) { probe(m, 2)["command"] = []any{"acme", "{{X"} }, "provider_definitions.acme.capabilities[2].probe.command[1]", "unclosed placeholder"},
		{"budget unknown", func(m obj) { probe(m, 1)["budget"] = "lavish" }, "provider_definitions.acme.capabilities[1].probe.budget", `unknown budget "lavish"`},
		{"budget interactive", func(m obj) { probe(m, 1)["budget"] = "interactive" }, "provider_definitions.acme.capabilities[1].probe.budget", "may not have budget"},
		{"budget mutating", func(m obj) { probe(m, 2)["budget"] = "mutating" }, "provider_definitions.acme.capabilities[2].probe.budget", "may not have budget"},
		{"token in url", func(m obj) { probe(m, 1)["url"] = "https://x/me?Access_Token=abc" }, "provider_definitions.acme.capabilities[1].probe.url", "token material"},
		{"token placeholder in url", func(m obj) { probe(m, 1)["url"] = "https://x/me?t={{access_token}}" }, "provider_definitions.acme.capabilities[1].probe.url", "token material"},
		{"token in body", func(m obj) { p := probe(m, 1); p["method"] = "POST"; p["body"] = `{"refresh_token={{TOKEN}}"}` }, "provider_definitions.acme.capabilities[1].probe.body", "token material"},
		{"bearer in argv", func(m obj) { probe(m, 2)["command"] = []any{"curl", "-H", "Authorization: Bearer xyz"} }, "provider_definitions.acme.capabilities[2].probe.command[2]", "token material"},
		{"token placeholder in argv", func(m obj) { probe(m, 2)["command"] = []any{"acme", "{{token}}"} }, "provider_definitions.acme.capabilities[2].probe.command[1]", "token material"},

		{"failure rule no matcher", func(m obj) { acme(m)["failure_rules"] = []any{obj{"name": "x", "class": obj{"rate_limited": obj{}}}} }, "provider_definitions.acme.failure_rules[0]", "at least one matcher"},
		{"failure rule status range", func(m obj) { r := failRule(m); r["status_min"] = 500; r["status_max"] = 400 }, "provider_definitions.acme.failure_rules[0]", "status_min 500 is above status_max 400"},
		{"failure rule status bounds", func(m obj) { failRule(m)["status"] = 999 }, "provider_definitions.acme.failure_rules[0].status", "outside 100..599"},
		{"failure rule retry range", func(m obj) { failRule(m)["retry_after_gte"] = 60 }, "provider_definitions.acme.failure_rules[0]", "retry_after_gte 60 must be below retry_after_lt 60"},
		{"failure rule class", func(m obj) { delete(failRule(m), "class") }, "provider_definitions.acme.failure_rules[0].class", "missing class"},
		{"output rule name", func(m obj) { outRule(m)["name"] = "" }, "provider_definitions.acme.output_rules[0].name", "needs a name"},
		{"output rule pattern", func(m obj) { outRule(m)["pattern"] = "(?<=x)y" }, "provider_definitions.acme.output_rules[0].pattern", "not an RE2 pattern"},
		{"output rule empty pattern", func(m obj) { outRule(m)["pattern"] = "" }, "provider_definitions.acme.output_rules[0].pattern", "needs a pattern"},
		{"output rule stream", func(m obj) { outRule(m)["stream"] = "stdin" }, "provider_definitions.acme.output_rules[0].stream", `unknown stream "stdin"`},
		{"output rule class", func(m obj) { delete(outRule(m), "class") }, "provider_definitions.acme.output_rules[0].class", "missing class"},
		{"output rule reset group", func(m obj) { outRule(m)["reset_capture"] = "when" }, "provider_definitions.acme.output_rules[0].reset_capture", `no group named "when"`},
		{"output rule exit code", func(m obj) { outRule(m)["exit_codes"] = []any{1, 300} }, "provider_definitions.acme.output_rules[0].exit_codes[1]", "outside 0..255"},
		{"output rule at_exit_0 on a success", func(m obj) { outRule(m)["at_exit_0"] = true; outRule(m)["class"] = obj{"success": obj{}} }, "provider_definitions.acme.output_rules[0].at_exit_0", "needs a pattern and a class"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probs := parseMutated(t, tt.mutate)
			if !hasProblem(probs, tt.path, tt.contains) {
				t.Errorf("want %s: …%s…; got\n%s", tt.path, tt.contains, render2(probs))
			}
		})
	}
}

// TestAllProblemsAtOnce checks that validation does not stop at the first problem and that the
// rendering is the documented one.
func TestAllProblemsAtOnce(t *testing.T) {
	probs := parseMutated(t, func(m obj) {
		m["version"] = 3
		at(m, "profiles", "p")["providers"].([]any)[1] = "acme:max-9"
		at(m, "strategies", "s")["kind"] = "random"
	})
	if len(probs) != 3 {
		t.Fatalf("want 3 problems, got\n%s", render2(probs))
	}
	got := render2(probs)
	want := "config error: profiles.p.providers[1]: unknown account \"max-9\" of provider \"acme\"\n" +
		"config error: strategies.s.kind: unknown strategy kind \"random\" (want priority-failover, health-weighted, round-robin)\n" +
		"config error: version: unsupported version 3; this oauth-mux reads version 1"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

// TestProblemsNeverEchoSecrets plants an inline age key and a token in a probe URL and checks no
// message repeats them.
func TestProblemsNeverEchoSecrets(t *testing.T) {
	const canary = "CANARY-7f3a9c"
	probs := parseMutated(t, func(m obj) {
		at(m, "providers", "acme", "accounts", "a1")["secret"] = obj{"backend": "age", "identity": "AGE-SECRET-KEY-" + canary}
		at(m, "provider_definitions", "acme")["capabilities"].([]any)[1].(obj)["probe"].(obj)["url"] = "https://x/?access_token=" + canary
	})
	if len(probs) < 2 {
		t.Fatalf("want problems, got %v", probs)
	}
	if s := render2(probs); strings.Contains(s, canary) {
		t.Fatalf("a problem leaks the secret:\n%s", s)
	}
}

func TestValidateLiteral(t *testing.T) {
	c := &Config{Version: 1, Providers: map[string]Provider{"github": {Accounts: map[string]Account{
		"me": {Secret: Secret{Backend: BackendStdin}}}}}}
	if err := c.Validate(); err != nil {
		t.Fatalf("literal config: %v", err)
	}
	c.Profiles = map[string]Profile{"x": {Providers: []string{"github:me#nope"}}}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), `unknown capability "nope" of provider "github"`) {
		t.Fatalf("Validate = %v", err)
	}
}

func TestLookups(t *testing.T) {
	c, err := Parse([]byte(base), "c.json", testEnv)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.SortedProviderNames(), ","); got != "acme,codex" {
		t.Errorf("SortedProviderNames = %s", got)
	}
	if first := c.Catalog(); first != c.Catalog() {
		t.Error("Catalog is not cached")
	}
	if c.Definition("codex").Name != "codex" || !c.KindKnown("codex") || c.KindKnown("nope") {
		t.Error("codex definition not resolved")
	}
	if n, ok := c.CanonicalCapability("acme", ""); !ok || n != "chat" {
		t.Errorf("default capability = %q", n)
	}
	refs, _ := c.ProfileRefs("p")
	if len(refs) != 3 || refs[2].String() != "codex:max-1#codex-max" {
		t.Errorf("ProfileRefs = %v", refs)
	}
	if name, s := c.StrategyFor("p"); name != "s" || s.Kind != HealthWeighted || s.Decay() != 2 || s.SuccessBonusOr() != 1 {
		t.Errorf("StrategyFor = %s %+v", name, s)
	}
	if c.Profiles["p"].AffinityTTL().Minutes() != 20 || (Profile{}).AffinityTTL().Minutes() != 20 {
		t.Error("affinity ttl")
	}
	if q := c.Providers["acme"].Accounts["a1"].Quota; q.WarnAt() != 10 || (Quota{}).WarnAt() != 5 {
		t.Error("warn at")
	}
	if b := (DaemonPolicy{}).Budgets(); len(b) != 2 || b[0] != "free_local" {
		t.Errorf("default budgets %v", b)
	}
}
