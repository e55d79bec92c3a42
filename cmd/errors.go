package cmd

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/internal/omux"
)

// Report writes err to w the way oauth-mux shows errors and returns the exit status it stands for:
//   - an error with `ExitStatus() int` and no message (Exit) prints nothing: a child's own failure is
//     not ours to describe;
//   - a *config.Errors prints its `config error: …` lines as they are, exit 200;
//   - anything else prints `oauth-mux: error: <message>` (further lines of a multi-line message are
//     printed as they are, e.g. the route table of "no route left"), then `oauth-mux: hint: …` for each
//     hint of the outermost error in the chain with `Hints() []string`; the status comes from the
//     outermost `ExitCode() int` in the chain, else 1.
func Report(w io.Writer, err error) int {
	if err == nil {
		return 0
	}
	var silent *exitStatus
	if errors.As(err, &silent) {
		return silent.code
	}
	var cfgErrs *config.Errors
	if errors.As(err, &cfgErrs) {
		writeLines(w, cfgErrs.Error())
		writeHints(w, err)
		return exitCode(err, cfgErrs.ExitCode())
	}
	msg := err.Error()
	if msg == "" {
		msg = "failed"
	}
	code := exitCode(err, 1)
	if code == omux.ExitConfig && strings.HasPrefix(msg, "config error: ") {
		// config's own read errors (too large, unreadable) are already in the config error format
		writeLines(w, msg)
		writeHints(w, err)
		return code
	}
	writeLines(w, "oauth-mux: error: "+msg)
	writeHints(w, err)
	return code
}

func writeLines(w io.Writer, s string) {
	s = strings.TrimRight(s, "\n")
	if s != "" {
		fmt.Fprintln(w, s)
	}
}

func writeHints(w io.Writer, err error) {
	var h interface{ Hints() []string }
	if errors.As(err, &h) {
		for _, hint := range h.Hints() {
			fmt.Fprintf(w, "oauth-mux: hint: %s\n", hint)
		}
	}
}

func exitCode(err error, fallback int) int {
	var c interface{ ExitCode() int }
	if errors.As(err, &c) {
		return c.ExitCode()
	}
	return fallback
}

// WithHints adds next steps to err; they are printed before any hints err already had.
func WithHints(err error, hints ...string) error {
	if err == nil {
		return nil
	}
	return &hinted{err: err, hints: hints}
}

type hinted struct {
	err   error
	hints []string
}

func (h *hinted) Error() string { return h.err.Error() }
func (h *hinted) Unwrap() error { return h.err }
func (h *hinted) Hints() []string {
	out := append([]string(nil), h.hints...)
	var inner interface{ Hints() []string }
	if errors.As(h.err, &inner) {
		out = append(out, inner.Hints()...)
	}
	return out
}

// WithExitCode makes err exit with code (unless an outer wrapper says otherwise).
func WithExitCode(err error, code int) error {
	if err == nil {
		return nil
	}
	return &coded{err: err, code: code}
}

type coded struct {
	err  error
	code int
}

func (c *coded) Error() string { return c.err.Error() }
func (c *coded) Unwrap() error { return c.err }
func (c *coded) ExitCode() int { return c.code }

// Errorf is fmt.Errorf with an exit code and hints, for errors born in cmd.
func Errorf(code int, hints []string, format string, args ...any) error {
	return WithHints(WithExitCode(fmt.Errorf(format, args...), code), hints...)
}

// Exit ends the invocation with code and prints nothing: exec returns it with the child's status.
func Exit(code int) error { return &exitStatus{code: code} }

type exitStatus struct{ code int }

func (e *exitStatus) Error() string { return fmt.Sprintf("exit status %d", e.code) }
func (e *exitStatus) ExitCode() int { return e.code }
