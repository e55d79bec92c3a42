package cmd

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/oauth-mux/oauth-mux/config"
)

type hintErr struct{}

func (hintErr) Error() string {
	return "no route left for codex-max\n  codex:a1#codex-max  dead token_revoked"
}
func (hintErr) ExitCode() int   { return 201 }
func (hintErr) Hints() []string { return []string{"run 'oauth-mux probe'"} }

func TestReport(t *testing.T) {
	cfgErrs := &config.Errors{Problems: []config.Problem{{Path: "profiles.p.providers[1]", Msg: `unknown account "max-9" of provider "codex"`}, {Path: "version", Msg: "missing"}}}
	tests := []struct {
		name string
		err  error
		code int
		out  string
	}{
		{"plain", errors.New("boom"), 1, "oauth-mux: error: boom\n"},
		{"coded", WithExitCode(errors.New("secret backend env: OMUX_X is unset"), 202), 202, "oauth-mux: error: secret backend env: OMUX_X is unset\n"},
		{"wrapped coded", fmt.Errorf("refresh: %w", WithExitCode(errors.New("network down"), 204)), 204, "oauth-mux: error: refresh: network down\n"},
		{"hints outer first", WithHints(hintErr{}, "or wait"), 201,
			"oauth-mux: error: no route left for codex-max\n  codex:a1#codex-max  dead token_revoked\noauth-mux: hint: or wait\noauth-mux: hint: run 'oauth-mux probe'\n"},
		{"config errors as is", fmt.Errorf("load: %w", cfgErrs), 200,
			"config error: profiles.p.providers[1]: unknown account \"max-9\" of provider \"codex\"\nconfig error: version: missing\n"},
		{"child status prints nothing", Exit(3), 3, ""},
		{"errorf", Errorf(126, []string{"chmod +x it"}, "%s: permission denied", "tool"), 126, "oauth-mux: error: tool: permission denied\noauth-mux: hint: chmod +x it\n"},
		{"config-formatted read error", WithExitCode(errors.New("config error: /x: is a directory"), 200), 200, "config error: /x: is a directory\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if code := Report(&buf, tt.err); code != tt.code {
				t.Errorf("code %d, want %d", code, tt.code)
			}
			if buf.String() != tt.out {
				t.Errorf("output\n%q\nwant\n%q", buf.String(), tt.out)
			}
		})
	}
}

func runMain(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, env, Stdio{In: strings.NewReader(""), Out: &out, Err: &errb})
	return code, out.String(), errb.String()
}

func TestMainInProcess(t *testing.T) {
	home := t.TempDir()
	env := []string{"HOME=" + home, "XDG_CONFIG_HOME=", "OMUX_CONFIG_DIR="}
	tests := []struct {
		args           []string
		code           int
		stdout, stderr string // substrings
	}{
		{[]string{"version"}, 0, "oauth-mux 0.1.0-dev", ""},
		{[]string{"--version"}, 0, "oauth-mux 0.1.0-dev", ""},
		{[]string{"--help"}, 0, "Set up:", ""},
		{[]string{}, 2, "", "Usage: oauth-mux"},
		{[]string{"nope"}, 2, "", "oauth-mux: error: unexpected argument nope\noauth-mux: hint: "},
		{[]string{"config", "path"}, 0, home + "/.config/oauth-mux/config.json\n", ""},
		{[]string{"config", "validate"}, 1, "", "is missing"},
		{[]string{"init"}, 0, "created " + home + "/.config/oauth-mux/config.json", ""},
		{[]string{"init"}, 1, "", "exists\noauth-mux: hint: "},
		{[]string{"config", "validate", "--strict"}, 0, "config: valid\n", ""},
	}
	for _, tt := range tests {
		code, out, errOut := runMain(t, env, tt.args...)
		if code != tt.code || !strings.Contains(out, tt.stdout) || !strings.Contains(errOut, tt.stderr) {
			t.Errorf("%v: code %d stdout %q stderr %q; want %d, %q, %q", tt.args, code, out, errOut, tt.code, tt.stdout, tt.stderr)
		}
	}
}

func TestCompleteWords(t *testing.T) {
	var out bytes.Buffer
	app := newApp(nil, Stdio{Out: &out, Err: &out})
	if code := run(app, []string{"__complete", "--", "conf"}); code != 0 || out.String() != "config\n" {
		t.Fatalf("code %d, %q", code, out.String())
	}
	root := app.parser.Model.Node
	tests := []struct {
		words []string
		want  string
	}{
		{[]string{""}, "completions config init version"},
		{[]string{"completions", "z"}, "zsh"},
		{[]string{"config", "validate", "--"}, "--config --help --json --strict --version"},
		{[]string{"config", "validate", "--strict", ""}, ""},
		{[]string{"--config", ""}, ""},
		{[]string{"--config=x", "ver"}, "version"},
		{[]string{"-h", "ver"}, "version"},
		{[]string{"completions", "bash", ""}, ""},
	}
	for _, tt := range tests {
		got := completeWords(root, tt.words)
		// Other engineers add commands: compare only the setup commands' part of the answer.
		var kept []string
		for _, g := range got {
			if !strings.HasPrefix(g, "-") && tt.words[0] == "" && !strings.Contains(tt.want, g) {
				continue
			}
			kept = append(kept, g)
		}
		if strings.Join(kept, " ") != tt.want {
			t.Errorf("%q: %q, want %q", tt.words, kept, tt.want)
		}
	}
}

// FuzzCompleteWords: whatever the shell hands over, the engine answers without panicking and only
// with candidates that extend the word being completed.
func FuzzCompleteWords(f *testing.F) {
	f.Add("config\x00validate\x00--st")
	f.Add("--config=\x00")
	f.Add("exec\x00--\x00codex")
	f.Add("-\x00--json=\x00-h")
	app := newApp(nil, Stdio{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})
	run(app, []string{"version"})
	root := app.parser.Model.Node
	f.Fuzz(func(t *testing.T, joined string) {
		words := strings.Split(joined, "\x00")
		cur := words[len(words)-1]
		for _, c := range completeWords(root, words) {
			if !strings.HasPrefix(c, cur) {
				t.Fatalf("%q: candidate %q does not extend %q", words, c, cur)
			}
		}
	})
}
