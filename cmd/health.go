package cmd

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/state"
)

// HealthCmd is `health [--provider P] [--reset KEY]` (SPEC §7). It reads only the state dir, so it
// works without a config file.
type HealthCmd struct {
	Provider string `help:"Only keys of this provider." placeholder:"NAME"`
	Reset    string `help:"Forget the recorded health of KEY (provider:account resets its routes too)." placeholder:"KEY"`
}

// Run prints the store's report, or resets one key.
func (c *HealthCmd) Run(app *App) error {
	_, store, err := app.State()
	if err != nil {
		return err
	}
	if c.Reset != "" {
		return c.reset(app, store)
	}
	h, err := store.Load()
	printWarnings(app.Stdio.Err, store)
	if err != nil {
		return err
	}
	now := time.Now()
	rep := h.Report(c.Provider, now)
	if app.JSON {
		return writeJSON(app.Stdio.Out, rep)
	}
	return writeHealthText(app.Stdio.Out, rep, c.Provider, now)
}

func (c *HealthCmd) reset(app *App, store *state.Store) error {
	key := c.Reset
	op := &state.Reset{Key: key}
	err := store.Apply(context.Background(), op)
	printWarnings(app.Stdio.Err, store)
	if err != nil {
		return err // the store could not be read or locked: whether the key exists is unknown
	}
	if !op.Found {
		return Errorf(omux.ExitGeneral, []string{"list the recorded keys with: oauth-mux health"}, "no health recorded for %q", key)
	}
	if app.JSON {
		return writeJSON(app.Stdio.Out, struct {
			Reset string `json:"reset"`
		}{key})
	}
	_, err = fmt.Fprintf(app.Stdio.Out, "reset %s\n", key)
	return err
}

func printWarnings(w io.Writer, store *state.Store) {
	for _, msg := range store.Warnings() {
		fmt.Fprintf(w, "oauth-mux: warning: %s\n", msg)
	}
}

// writeHealthText is the readable form of the report: one line per key,
// `KEY  STATE/AVAILABILITY(REASON)  until|retry at TIME  score N`.
func writeHealthText(w io.Writer, rep state.HealthReport, provider string, now time.Time) error {
	if len(rep.Accounts) == 0 {
		if provider != "" {
			_, err := fmt.Fprintf(w, "no health recorded yet for provider %s; run a command with oauth-mux exec or oauth-mux probe\n", provider)
			return err
		}
		_, err := fmt.Fprintln(w, "no health recorded yet; run a command with oauth-mux exec or oauth-mux probe")
		return err
	}
	width := 0
	for _, e := range rep.Accounts {
		width = max(width, len(e.Key))
	}
	var b strings.Builder
	for _, e := range rep.Accounts {
		fmt.Fprintf(&b, "%-*s  %s\n", width, e.Key, healthEntryText(e, now))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// healthEntryText is a report entry without its key, e.g.
// `live/quota_exhausted  until 2030-09-19T10:09:00Z  score 50` or `dead(token_revoked)  score -100`.
// A window that has passed says so: the route is usable again, and the next run or probe confirms it.
func healthEntryText(e state.ReportEntry, now time.Time) string {
	l := e.Liveness
	s := l.State
	if l.Availability != nil {
		s += "/" + *l.Availability
	}
	if l.Reason != nil {
		s += "(" + *l.Reason + ")"
	}
	parts := []string{s}
	when := func(label, at string) string {
		if t, err := time.Parse(time.RFC3339, at); err == nil && !t.After(now) {
			return label + " " + at + " (passed: usable again, to be confirmed)"
		}
		return label + " " + at
	}
	switch {
	case l.WindowResetsAt != "":
		parts = append(parts, when("until", l.WindowResetsAt))
	case l.Until != "":
		parts = append(parts, when("until", l.Until))
	case l.RetryAt != "":
		parts = append(parts, when("retry at", l.RetryAt))
	}
	if e.Circuit != "" && e.Circuit != state.CircuitClosed {
		parts = append(parts, "circuit "+e.Circuit)
	}
	parts = append(parts, fmt.Sprintf("score %d", e.Score))
	return strings.Join(parts, "  ")
}
