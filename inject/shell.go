package inject

import (
	"path"
	"sort"
	"strings"
)

// Shell dialects the env command prints (SPEC §6.4).
const (
	ShellBash  = "bash"
	ShellZsh   = "zsh"
	ShellKsh   = "ksh"
	ShellFish  = "fish"
	ShellPOSIX = "posix"
)

// NormalizeShell maps a shell's name or path (bash, /bin/zsh, -bash, mksh, sh, dash…) to a dialect;
// ok is false when the name is not one we know, in which case the dialect is posix.
func NormalizeShell(name string) (dialect string, ok bool) {
	n := strings.ToLower(path.Base(strings.TrimSpace(name)))
	n = strings.TrimPrefix(n, "-") // a login shell's argv[0]
	n = strings.TrimSuffix(n, ".exe")
	switch n {
	case "bash", "zsh", "fish", "posix":
		return n, true
	case "ksh", "ksh93", "mksh", "pdksh", "oksh", "loksh":
		return ShellKsh, true
	case "sh", "dash", "ash", "busybox", "yash", "posh":
		return ShellPOSIX, true
	}
	return ShellPOSIX, false
}

// DetectShell picks the env dialect (SPEC §6.4): --shell, OMUX_SHELL, defaults.shell, the shell's own
// version variable, the basename of $SHELL, posix. A set but unknown name falls through to the next
// source rather than printing a dialect nobody asked for.
func DetectShell(flag string, getenv func(string) string, configDefault string) string {
	for _, s := range []string{flag, getenv("OMUX_SHELL"), configDefault} {
		if s == "" {
			continue
		}
		if d, ok := NormalizeShell(s); ok {
			return d
		}
	}
	for _, v := range []struct{ env, dialect string }{
		{"FISH_VERSION", ShellFish}, {"ZSH_VERSION", ShellZsh}, {"BASH_VERSION", ShellBash}, {"KSH_VERSION", ShellKsh},
	} {
		if getenv(v.env) != "" {
			return v.dialect
		}
	}
	if s := getenv("SHELL"); s != "" {
		if d, ok := NormalizeShell(s); ok {
			return d
		}
	}
	return ShellPOSIX
}

// ValidEnvName reports whether name can be assigned by every dialect: [A-Za-z_][A-Za-z0-9_]*.
func ValidEnvName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// Format renders the env command's output: one line per variable, sorted by name, `export K='V'` or
// `unset K` for the POSIX family and `set -gx K 'V';` or `set -e K;` for fish. Any byte but NUL
// survives the shell's reading of a value; NUL cannot live in an environment, so it is dropped. A name
// that is not a valid variable name is left out (Prepare refuses such names earlier), since it could
// not be quoted into a harmless assignment. A name both set and unset is set.
func Format(set map[string]string, unset []string, shell string) string {
	dialect, _ := NormalizeShell(shell)
	type line struct{ name, text string }
	lines := make([]line, 0, len(set)+len(unset))
	for k, v := range set {
		if !ValidEnvName(k) {
			continue
		}
		v = strings.ReplaceAll(v, "\x00", "")
		if dialect == ShellFish {
			lines = append(lines, line{k, "set -gx " + k + " " + QuoteFish(v) + ";"})
		} else {
			lines = append(lines, line{k, "export " + k + "=" + QuotePOSIX(v)})
		}
	}
	seen := map[string]bool{}
	for _, k := range unset {
		if _, isSet := set[k]; isSet || seen[k] || !ValidEnvName(k) {
			continue
		}
		seen[k] = true
		if dialect == ShellFish {
			lines = append(lines, line{k, "set -e " + k + ";"})
		} else {
			lines = append(lines, line{k, "unset " + k})
		}
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i].name < lines[j].name })
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.text)
		b.WriteByte('\n')
	}
	return b.String()
}

// QuotePOSIX single-quotes s for sh, bash, zsh and ksh: nothing is special inside '…' except the
// quote itself, which closes the quoting, is escaped with a backslash, and reopens it.
func QuotePOSIX(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// QuoteFish single-quotes s for fish, where '…' knows two escapes: \\ and \'.
func QuoteFish(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '\'':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}
