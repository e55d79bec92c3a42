package cmd

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kong"
)

// ManCmd prints the manual page, generated from the grammar (every command, argument and flag as
// --help shows them) and the fixed sections (exit status, environment, files), so the page cannot
// fall behind the program. Packages install it as oauth-mux(1).
type ManCmd struct{}

// Run writes the page in roff (man(7)).
func (ManCmd) Run(app *App) error {
	return writeMan(app.Stdio.Out, app.parser.Model, manDate(app.Getenv("SOURCE_DATE_EPOCH")))
}

// manDate is the page's date: SOURCE_DATE_EPOCH's (reproducible builds), the build's, or none.
func manDate(epoch string) string {
	if n, err := strconv.ParseInt(epoch, 10, 64); err == nil {
		return time.Unix(n, 0).UTC().Format("2006-01-02")
	}
	if t, err := time.Parse(time.RFC3339, buildDate); err == nil {
		return t.UTC().Format("2006-01-02")
	}
	return ""
}

func writeMan(w io.Writer, app *kong.Application, date string) error {
	var b strings.Builder
	fmt.Fprintf(&b, ".TH OAUTH-MUX 1 %s %s \"User Commands\"\n", roffQuote(date), roffQuote("oauth-mux "+Version()))
	b.WriteString(".SH NAME\noauth-mux \\- run AI-harness CLIs on the first healthy subscription account, and fail over\n")
	b.WriteString(".SH SYNOPSIS\n.B oauth-mux\n[\\fIflags\\fR] \\fIcommand\\fR [\\fIargs\\fR...]\n.br\n")
	b.WriteString(".B oauth-mux exec\n[\\fIflags\\fR] \\-\\- \\fIcommand\\fR [\\fIargs\\fR...]\n")
	b.WriteString(".SH DESCRIPTION\n")
	b.WriteString(roff("oauth-mux wraps a command-line AI harness (Codex, Claude Code, Copilot, Gemini, gh and others). "+
		"It picks a healthy account, injects its credentials into the child, runs the child under a pty, judges its exit status and its output "+
		"against the provider's failure rules, records the health of the route (provider:account#capability), and when the failure belongs "+
		"to the account, not to the work, runs the command again on the next account. A child that exited 0 is never run again.") + "\n")
	b.WriteString(".SH GLOBAL FLAGS\n")
	manFlags(&b, app.Node.Flags)
	b.WriteString(".SH COMMANDS\n")
	for _, c := range app.Node.Children {
		manCommand(&b, c)
	}
	b.WriteString(".SH EXIT STATUS\n")
	for _, e := range [][2]string{
		{"0", "success; for exec, the child's own status"},
		{"1", "a general error"},
		{"2", "a usage error: an unknown command or flag, a missing argument"},
		{"126, 127", "the program cannot be executed, or was not found"},
		{"128+N", "the child died of signal N"},
		{"200", "the config is invalid, unreadable or too large"},
		{"201", "no route left: nothing selectable"},
		{"202", "reading, decrypting or writing a secret failed"},
		{"203", "a token refresh failed"},
		{"204", "a network error"},
	} {
		fmt.Fprintf(&b, ".TP\n.B %s\n%s\n", e[0], roff(e[1]))
	}
	b.WriteString(".SH ENVIRONMENT\n")
	for _, e := range [][2]string{
		{"OMUX_CONFIG", "the config file (after --config)"},
		{"OMUX_CONFIG_DIR", "the directory holding config.json"},
		{"OMUX_STATE_DIR", "the state dir; else $XDG_STATE_HOME/oauth-mux or ~/.local/state/oauth-mux"},
		{"OMUX_SHELL", "the dialect env prints: bash, zsh, fish, ksh, posix"},
		{"OMUX_REDIS_URL", "share health with a pool on this Redis"},
		{"OMUX_HOST_ID", "this machine's name in a pool (default: the hostname)"},
		{"NO_COLOR", "no colour in any output"},
	} {
		fmt.Fprintf(&b, ".TP\n.B %s\n%s\n", e[0], roff(e[1]))
	}
	b.WriteString(".SH FILES\n")
	b.WriteString(".TP\n.I ~/.config/oauth-mux/config.json\nthe config (see \\fBoauth-mux config path\\fR)\n")
	b.WriteString(".TP\n.I ~/.local/state/oauth-mux/\nhealth.json, repair-events.jsonl, locks/, homes/ (managed config dirs), all 0600 in 0700 dirs\n")
	b.WriteString(".SH SEE ALSO\nThe README of oauth-mux, and \\fBoauth-mux COMMAND \\-\\-help\\fR.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func manCommand(b *strings.Builder, n *kong.Node) {
	if n.Hidden {
		return
	}
	if len(n.Children) == 0 || n.DefaultCmd != nil {
		fmt.Fprintf(b, ".SS %s\n", roff(strings.TrimSpace(n.FullPath()+" "+n.Summary()[len(n.Path()):])))
		if n.Help != "" {
			b.WriteString(roff(n.Help) + "\n")
		}
		if n.Detail != "" {
			// The detail is laid out in lines (examples, lists): keep them.
			// The detail is laid out in lines: an indented line (an example) stands alone, the
			// others are prose that man fills.
			b.WriteString(".PP\n")
			for line := range strings.SplitSeq(strings.TrimSpace(n.Detail), "\n") {
				switch {
				case strings.TrimSpace(line) == "":
					b.WriteString(".PP\n")
				case line[0] == ' ' || line[0] == '\t':
					b.WriteString(".br\n" + roff(line) + "\n.br\n")
				default:
					b.WriteString(roff(line) + "\n")
				}
			}
		}
		for _, p := range n.Positional {
			fmt.Fprintf(b, ".TP\n.I %s\n%s\n", roff(p.Summary()), roff(p.Help))
		}
		manFlags(b, n.Flags)
	}
	for _, c := range n.Children {
		manCommand(b, c)
	}
}

func manFlags(b *strings.Builder, flags []*kong.Flag) {
	for _, f := range flags {
		if f.Hidden || f.Name == "help" {
			continue
		}
		name := "\\-\\-" + roff(f.Name)
		if f.Short != 0 {
			name = "\\-" + string(f.Short) + ", " + name
		}
		if !f.IsBool() && !f.IsCounter() {
			name += " \\fI" + roff(f.FormatPlaceHolder()) + "\\fR"
		}
		fmt.Fprintf(b, ".TP\n\\fB%s\\fR\n%s\n", name, roff(f.Help))
	}
}

// roff escapes text for a roff line: backslashes, and a leading dot or quote that would make the
// line a request.
func roff(s string) string {
	s = strings.ReplaceAll(s, "\\", "\\e")
	s = strings.ReplaceAll(s, "-", "\\-")
	s = strings.ReplaceAll(s, "\n", " ")
	s = roffText.Replace(s)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = "\\&" + s
	}
	return s
}

// roffText spells the typography of the help texts the way every man device can print it.
var roffText = strings.NewReplacer("…", "...", "’", "'", "‘", "'", "“", "\"", "”", "\"", "—", "\\(em", "–", "\\(en", "→", "\\(->", "≥", "\\(>=", "≤", "\\(<=", "×", "\\(mu")

func roffQuote(s string) string { return "\"" + strings.ReplaceAll(roff(s), "\"", "\\(dq") + "\"" }
