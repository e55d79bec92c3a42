package inject

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

func TestFormatLines(t *testing.T) {
	set := map[string]string{"B": "it's", "A": "x y", "bad name": "v"}
	unset := []string{"C", "A", "C", "9BAD"}
	if got, want := Format(set, unset, "bash"), "export A='x y'\nexport B='it'\\''s'\nunset C\n"; got != want {
		t.Errorf("bash:\n%s\nwant:\n%s", got, want)
	}
	if got, want := Format(set, unset, "fish"), "set -gx A 'x y';\nset -gx B 'it\\'s';\nset -e C;\n"; got != want {
		t.Errorf("fish:\n%s\nwant:\n%s", got, want)
	}
	if got := Format(map[string]string{"K": "a\x00b"}, nil, "zsh"); got != "export K='ab'\n" {
		t.Errorf("NUL must be dropped: %q", got)
	}
	if Format(nil, nil, "posix") != "" {
		t.Error("nothing to print")
	}
}

func TestDetectShell(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	cases := []struct {
		flag   string
		getenv func(string) string
		def    string
		want   string
	}{
		{"fish", env("OMUX_SHELL", "zsh"), "bash", "fish"},
		{"", env("OMUX_SHELL", "zsh"), "bash", "zsh"},
		{"", env("SHELL", "/bin/zsh"), "ksh", "ksh"},
		{"", env("FISH_VERSION", "3.7", "SHELL", "/bin/bash"), "", "fish"},
		{"", env("ZSH_VERSION", "5.9", "BASH_VERSION", "5"), "", "zsh"},
		{"", env("BASH_VERSION", "5.2"), "", "bash"},
		{"", env("KSH_VERSION", "93u"), "", "ksh"},
		{"", env("SHELL", "/usr/local/bin/fish"), "", "fish"},
		{"", env("SHELL", "-bash"), "", "bash"},
		{"", env("SHELL", "/bin/dash"), "", "posix"},
		{"", env("SHELL", "/bin/tcsh"), "", "posix"},
		{"", env(), "", "posix"},
		{"tcsh", env("OMUX_SHELL", "bash"), "", "bash"},
	}
	for _, c := range cases {
		if got := DetectShell(c.flag, c.getenv, c.def); got != c.want {
			t.Errorf("DetectShell(%q, …, %q) = %q, want %q", c.flag, c.def, got, c.want)
		}
	}
}

// roundTripValues are the values a real shell must read back byte for byte.
var roundTripValues = []string{
	"", "plain", "with space", "it's", "'", "''", `'\''`, `a'\''b`, `"double"`, "$HOME", "${HOME}", "$(id)", "`id`",
	`back\slash`, `\\`, `\`, `trailing\`, "new\nline", "\n", "cr\rlf", "tab\t", "unicode ✓ é 日本", "!bang !!",
	"glob *?[a]", "semi;colon&amp|pipe", "~tilde", "#hash", "%s%d", "-n", "--", "=eq=", "\x01\x1b[31mesc",
	"emoji 🦀", "\u00a0nbsp",
}

// shellRoundTrip evaluates Format's output in a real shell and prints each variable NUL-terminated
// from the environment of a child (so export is checked too).
func shellRoundTrip(t *testing.T, shell string, argv []string, set map[string]string, unset []string, names []string) []string {
	t.Helper()
	path, err := exec.LookPath(argv[0])
	if err != nil {
		t.Skipf("%s is not installed; skipping its round trip", argv[0])
	}
	script := Format(set, unset, shell)
	// env -0 prints what a child of the shell inherits: values and export both checked.
	tail := "env -0\n"
	cmd := exec.Command(path, append(argv[1:], script+tail)...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "OMUX_RT_UNSET=present", "HOME=/nonexistent"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s\nscript:\n%s", shell, err, stderr.String(), script)
	}
	got := map[string]string{}
	for _, kv := range strings.Split(string(out), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			got[k] = v
		}
	}
	res := make([]string, len(names))
	for i, n := range names {
		v, ok := got[n]
		if !ok {
			v = "__UNSET__"
		}
		res[i] = v
	}
	return res
}

func TestFormatRoundTripShells(t *testing.T) {
	set := map[string]string{}
	var names []string
	for i, v := range roundTripValues {
		n := "OMUX_RT_" + string(rune('A'+i/26)) + string(rune('A'+i%26))
		set[n] = v
		names = append(names, n)
	}
	names = append(names, "OMUX_RT_UNSET")
	shells := []struct {
		dialect string
		argv    []string
	}{
		{ShellBash, []string{"bash", "--norc", "--noprofile", "-c"}},
		{ShellPOSIX, []string{"sh", "-c"}},
		{ShellZsh, []string{"zsh", "-f", "-c"}},
		{ShellKsh, []string{"ksh", "-c"}},
		{ShellFish, []string{"fish", "--no-config", "-c"}},
	}
	for _, sh := range shells {
		t.Run(sh.argv[0], func(t *testing.T) {
			got := shellRoundTrip(t, sh.dialect, sh.argv, set, []string{"OMUX_RT_UNSET"}, names)
			for i, n := range names[:len(names)-1] {
				if got[i] != set[n] {
					t.Errorf("%s: %q came back as %q", sh.argv[0], set[n], got[i])
				}
			}
			if got[len(got)-1] != "__UNSET__" {
				t.Errorf("%s: OMUX_RT_UNSET survived the unset", sh.argv[0])
			}
		})
	}
}

// Bytes that are not UTF-8 must survive too (tokens are ASCII, but a path in config_dir_env need not be).
func TestFormatRoundTripBinary(t *testing.T) {
	var b []byte
	for c := 1; c < 256; c++ {
		b = append(b, byte(c))
	}
	set := map[string]string{"OMUX_RT_BIN": string(b)}
	for _, sh := range []struct {
		dialect string
		argv    []string
	}{
		{ShellBash, []string{"bash", "--norc", "--noprofile", "-c"}},
		{ShellZsh, []string{"zsh", "-f", "-c"}},
		{ShellFish, []string{"fish", "--no-config", "-c"}},
	} {
		t.Run(sh.argv[0], func(t *testing.T) {
			got := shellRoundTrip(t, sh.dialect, sh.argv, set, nil, []string{"OMUX_RT_BIN"})
			if got[0] != string(b) {
				t.Errorf("%s: bytes 1..255 came back as %q", sh.argv[0], got[0])
			}
		})
	}
}
