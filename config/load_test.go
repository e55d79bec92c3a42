package config

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const minimal = `{
  "version": 1,
  "provider_definitions": {"acme": {"capabilities": [{"name": "chat", "aliases": ["talk"]}]}},
  "providers": {"acme": {"accounts": {"a1": {"secret": {"backend": "env", "variable": "ACME_TOKEN"}}}}},
  "profiles": {"p": {"providers": ["acme:a1#chat"]}}
}
`

func TestParseMinimal(t *testing.T) {
	c, err := Parse([]byte(minimal), "m.json", testEnv)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if c.Version != 1 || c.Providers["acme"].Accounts["a1"].Secret.Variable != "ACME_TOKEN" {
		t.Fatalf("decoded wrong: %+v", c)
	}
	if err := c.Strict(); err != nil {
		t.Fatalf("Strict on a clean config: %v", err)
	}
	if name, ok := c.CanonicalCapability("acme", "talk"); !ok || name != "chat" {
		t.Fatalf("CanonicalCapability(talk) = %q %v", name, ok)
	}
}

func TestLoadMissing(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nope", "config.json")
	_, err := Load(p, testEnv)
	var nf *NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("err = %v (%T), want *NotFoundError", err, err)
	}
	if !errors.Is(err, fs.ErrNotExist) || nf.ExitCode() != 1 || !strings.Contains(err.Error(), "missing") ||
		!strings.Contains(err.Error(), p) || len(nf.Hints()) == 0 {
		t.Fatalf("bad NotFoundError: %v exit %d", err, nf.ExitCode())
	}
}

func TestLoadSizeCap(t *testing.T) {
	dir := t.TempDir()
	// Exactly MaxSize of valid JSON (padded with spaces) is read; one byte more is refused.
	ok := append([]byte(minimal), bytes.Repeat([]byte(" "), MaxSize-len(minimal))...)
	okPath := filepath.Join(dir, "ok.json")
	if err := os.WriteFile(okPath, ok, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(okPath, testEnv); err != nil {
		t.Fatalf("Load of exactly 1 MiB: %v", err)
	}
	bigPath := filepath.Join(dir, "big.json")
	if err := os.WriteFile(bigPath, append(ok, ' '), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(bigPath, testEnv)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.ExitCode() != 200 || !strings.Contains(err.Error(), "larger than 1 MiB") {
		t.Fatalf("err = %v, want *TooLargeError", err)
	}
}

func TestLoadDirectory(t *testing.T) {
	_, err := Load(t.TempDir(), testEnv)
	var re *ReadError
	if !errors.As(err, &re) || re.ExitCode() != 200 {
		t.Fatalf("err = %v (%T), want *ReadError", err, err)
	}
}

func TestSyntaxErrorPosition(t *testing.T) {
	tests := []struct {
		data, wantPath, wantMsg string
	}{
		{"{\n  \"version\": 1,\n  \"providers\": ]\n}", "c.json:3:16", "invalid character ']'"},
		{"{\"version\": 1,}", "c.json:1:15", "invalid character '}'"},
		{"{\n\"version\": 1", "c.json:2:13", "unexpected end of JSON input"},
		{"", "c.json:1:1", "unexpected end of JSON input"},
		{"{\"version\":1} x", "c.json:1:15", "invalid"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.data), "c.json", testEnv)
		probs := problemsOf(t, err)
		if len(probs) != 1 || probs[0].Path != tt.wantPath || !strings.Contains(probs[0].Msg, tt.wantMsg) {
			t.Errorf("Parse(%q) = %v, want one problem at %s containing %q", tt.data, err, tt.wantPath, tt.wantMsg)
		}
	}
	// Through Load the file's path names the position.
	p := filepath.Join(t.TempDir(), "config.json")
	os.WriteFile(p, []byte("{\n  \"version\": 1,\n  \"providers\": ]\n}"), 0o600)
	_, err := Load(p, testEnv)
	if err == nil || !strings.HasPrefix(err.Error(), "config error: "+p+":3:16: invalid character ']'") {
		t.Fatalf("Load syntax error = %v", err)
	}
}

func TestTypeErrors(t *testing.T) {
	data := `{"version": "1", "providers": {"acme": {"accounts": {"a1": {"priority": 1.5,
	  "secret": {"backend": "env", "variable": 7}, "tags": "x"}}}},
	  "provider_definitions": {"acme": {"output_rules": [{"name": "r", "pattern": "x", "class": {"bogus": {}}}],
	  "injection": {"direct_env": [["A"]]}}},
	  "profiles": []}`
	_, err := Parse([]byte(data), "c.json", testEnv)
	probs := problemsOf(t, err)
	for _, want := range []Problem{
		{"version", "expected an integer, got a string"},
		{"providers.acme.accounts.a1.priority", "expected an integer, got 1.5"},
		{"providers.acme.accounts.a1.secret.variable", "expected a string"},
		{"providers.acme.accounts.a1.tags", "expected an array"},
		{"provider_definitions.acme.output_rules[0].class", `unknown class "bogus"`},
		{"provider_definitions.acme.injection.direct_env[0]", "expected an array of 2 items"},
		{"profiles", "expected an object"},
	} {
		if !hasProblem(probs, want.Path, want.Msg) {
			t.Errorf("missing %v in\n%s", want, render2(probs))
		}
	}
	_, err = Parse([]byte(`[1]`), "c.json", testEnv)
	if probs := problemsOf(t, err); len(probs) != 1 || !strings.Contains(probs[0].Msg, "must be a JSON object") {
		t.Errorf("top-level array: %v", err)
	}
}

func TestUnknownKeys(t *testing.T) {
	data := `{"version": 1, "colour": "blue",
	  "Providers": {},
	  "defaults": {"shel": "zsh"},
	  "provider_definitions": {"acme": {"capabilities": [{"name": "chat", "probe": {"transport": "command", "command": ["acme"], "retries": 3}}],
	     "output_rules": [{"name": "r", "pattern": "x", "class": {"rate_limited": {}}, "severity": "high"}],
	     "failure_rules": [{"status": 429, "class": {"rate_limited": {}}, "why": "x"}]}},
	  "providers": {"acme": {"accounts": {"a1": {"secret": {"backend": "env", "variable": "T", "vault": "x"}, "colour": 1}}}},
	  "profiles": {"p": {"providers": ["acme:a1"], "weight": 2}},
	  "strategies": {"s": {"kind": "round-robin", "jitter": true}}}`
	c, err := Parse([]byte(data), "c.json", testEnv)
	if err != nil {
		t.Fatalf("unknown keys must be tolerated: %v", err)
	}
	want := []string{
		"Providers",
		"colour",
		"defaults.shel",
		"profiles.p.weight",
		"provider_definitions.acme.capabilities[0].probe.retries",
		"provider_definitions.acme.failure_rules[0].why",
		"provider_definitions.acme.output_rules[0].severity",
		"providers.acme.accounts.a1.colour",
		"providers.acme.accounts.a1.secret.vault",
		"strategies.s.jitter",
	}
	got := slices.Sorted(slices.Values(c.Unknown))
	if !slices.Equal(got, want) {
		t.Fatalf("Unknown = %q\nwant      %q", got, want)
	}
	// A misspelt key names the known key of the same object; one too far from any names none.
	for path, near := range map[string]string{"defaults.shel": "shell", "strategies.s.jitter": "", "colour": ""} {
		if got := c.UnknownNear[path]; got != near {
			t.Errorf("UnknownNear[%s] = %q, want %q", path, got, near)
		}
	}
	if !hasProblem(c.UnknownKeys(), "defaults.shel", `unknown key; did you mean "shell"?`) {
		t.Errorf("UnknownKeys = %v", c.UnknownKeys())
	}
	// "Providers" must not be decoded case-insensitively into providers.
	if len(c.Providers) != 1 {
		t.Fatalf("providers = %v", c.Providers)
	}
	serr := c.Strict()
	probs := problemsOf(t, serr)
	if len(probs) != len(want) || !hasProblem(probs, "strategies.s.jitter", "unknown key") {
		t.Fatalf("Strict = %v", serr)
	}
	if !strings.Contains(serr.Error(), "config error: colour: unknown key\n") {
		t.Fatalf("Strict rendering: %q", serr.Error())
	}
	if es := serr.(*Errors); es.ExitCode() != 200 {
		t.Fatal("Strict exit code")
	}
}

func TestTildeExpansion(t *testing.T) {
	data := `{"version": 1,
	  "provider_definitions": {"acme": {"capabilities": [{"name": "chat"}]}},
	  "providers": {"acme": {"accounts": {
	    "f": {"config_dir": "~/acme/f", "secret": {"backend": "file", "path": "~/acme/f/auth.json"}},
	    "s": {"secret": {"backend": "sops", "path": "~/s.json", "key_path": "~/keys.txt"}},
	    "a": {"secret": {"backend": "age", "path": "~/a.age", "identity": "~/id.txt"}},
	    "i": {"secret": {"backend": "age", "path": "/abs/a.age", "identity": "AGE-SECRET-KEY-1QQQ"}},
	    "u": {"secret": {"backend": "file", "path": "~other/x"}}}}},
	  "profiles": {"p": {"providers": ["acme:f"]}}}`
	c, err := Parse([]byte(data), "c.json", env("HOME", "/home/t"))
	if err != nil {
		t.Fatal(err)
	}
	acc := c.Providers["acme"].Accounts
	for got, want := range map[string]string{
		acc["f"].ConfigDir:       "/home/t/acme/f",
		acc["f"].Secret.Path:     "/home/t/acme/f/auth.json",
		acc["s"].Secret.Path:     "/home/t/s.json",
		acc["s"].Secret.KeyPath:  "/home/t/keys.txt",
		acc["a"].Secret.Path:     "/home/t/a.age",
		acc["a"].Secret.Identity: "/home/t/id.txt",
		acc["i"].Secret.Identity: "AGE-SECRET-KEY-1QQQ",
		acc["u"].Secret.Path:     "~other/x",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	_, err = Parse([]byte(data), "c.json", env())
	if !hasProblem(problemsOf(t, err), "providers.acme.accounts.f.config_dir", "HOME is not set") {
		t.Errorf("no HOME: %v", err)
	}
}

func TestParseRouteRef(t *testing.T) {
	good := map[string]RouteRef{
		"codex:max-1":           {"codex", "max-1", ""},
		"codex:max-1#codex-max": {"codex", "max-1", "codex-max"},
	}
	for s, want := range good {
		got, err := ParseRouteRef(s)
		if err != nil || got != want || got.String() != s {
			t.Errorf("ParseRouteRef(%q) = %+v, %v", s, got, err)
		}
	}
	if r, _ := ParseRouteRef("a:b#c"); r.AccountKey() != "a:b" {
		t.Errorf("AccountKey = %q", r.AccountKey())
	}
	for _, s := range []string{"", "codex", ":a", "codex:", "a:b:c", "a:b#", "a:b#c#d", "#c", "a#c"} {
		if _, err := ParseRouteRef(s); err == nil {
			t.Errorf("ParseRouteRef(%q) accepted", s)
		}
	}
}

func TestErrorsSortedNaturally(t *testing.T) {
	e := newErrors([]Problem{
		{"profiles.p.providers[10]", "b"},
		{"profiles.p.providers[2]", "a"},
		{"defaults.profile", "x"},
		{"profiles.p.providers[2]", "a"},
	})
	want := "config error: defaults.profile: x\n" +
		"config error: profiles.p.providers[2]: a\n" +
		"config error: profiles.p.providers[10]: b"
	if e.Error() != want {
		t.Fatalf("got\n%s\nwant\n%s", e.Error(), want)
	}
}

func TestNearest(t *testing.T) {
	flags := []string{"profile", "provider", "account", "capability"}
	for _, c := range []struct {
		word  string
		limit int
		want  string
	}{
		{"profle", 3, "profile"}, {"provder", 3, "provider"}, {"acount", 1, "account"},
		{"zzzzzz", 3, ""}, {"", 3, ""}, {"capabilty", 2, "capability"}, {"capa", 2, ""},
	} {
		if got := Nearest(c.word, flags, c.limit); got != c.want {
			t.Errorf("Nearest(%q, %d) = %q, want %q", c.word, c.limit, got, c.want)
		}
	}
}
