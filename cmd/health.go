package cmd

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/oauth-mux/oauth-mux/config"

	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/state"
)

// HealthCmd is `health [--provider P] [--reset KEY]` (SPEC §7). It reads only the state dir, so it
// works without a config file.
type HealthCmd struct {
	Provider string `help:"Only keys of this provider." placeholder:"NAME"`
	Reset    string `help:"Forget the recorded health of KEY (provider:account resets its routes too)." placeholder:"KEY"`
	Shared   bool   `help:"List the shared pool's marks and clears, with the host that saw each."`
}

// Run prints the store's report, or resets one key. With a shared pool the report is this machine's
// health with the pool's laid over it, and a reset clears the key for the whole pool.
func (c *HealthCmd) Run(app *App) error {
	dir, local, err := app.State()
	if err != nil {
		return err
	}
	cfg, _ := app.Config() // health works without a config: OMUX_REDIS_URL alone names a pool
	store, err := app.healthOf(cfg, dir, local)
	if err != nil {
		return err
	}
	if c.Shared {
		return c.shared(app, cfg, dir)
	}
	if c.Reset != "" {
		return c.reset(app, store)
	}
	h, err := store.Snapshot(context.Background())
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

func (c *HealthCmd) reset(app *App, store state.Backend) error {
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

func printWarnings(w io.Writer, store state.Backend) {
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

// sharedOutput is `health --shared --json`.
type sharedOutput struct {
	Pool    string            `json:"pool"`
	Address string            `json:"address"`
	Host    string            `json:"host"`
	Keys    []state.SharedKey `json:"keys"`
}

// shared lists what the pool holds: every mark with the host that saw it, and the last clear.
func (c *HealthCmd) shared(app *App, cfg *config.Config, dir string) error {
	pool, err := app.sharedPool(cfg, dir)
	if err != nil {
		return err
	}
	if pool == nil {
		return Errorf(omux.ExitUsage, []string{"configure \"shared\": {\"redis\": {\"url\": …, \"pool\": …}} or set OMUX_REDIS_URL"},
			"no shared pool is configured: health is this machine's own")
	}
	keys, err := pool.Read(context.Background())
	if err != nil {
		return Errorf(omux.ExitNetwork, nil, "%v", err)
	}
	keys = slices.DeleteFunc(keys, func(k state.SharedKey) bool {
		return c.Provider != "" && !strings.HasPrefix(k.Key, c.Provider+":")
	})
	slices.SortFunc(keys, func(a, b state.SharedKey) int { return strings.Compare(a.Key, b.Key) })
	if app.JSON {
		return writeJSON(app.Stdio.Out, sharedOutput{Pool: pool.Pool(), Address: pool.Address(), Host: pool.Host(), Keys: keys})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "shared health: %s\n", describePool(pool))
	if len(keys) == 0 {
		b.WriteString("  nothing shared yet: no machine of the pool has marked or cleared a route\n")
	}
	for _, k := range keys {
		fmt.Fprintf(&b, "  %s\n", k.Key)
		for _, m := range k.Marks {
			fmt.Fprintf(&b, "    %s  seen on %s at %s\n", markText(m), m.Host, m.ObservedAt.UTC().Format(time.RFC3339))
		}
		if k.Clear != nil {
			fmt.Fprintf(&b, "    cleared on %s at %s\n", k.Clear.Host, k.Clear.ObservedAt.UTC().Format(time.RFC3339))
		}
	}
	_, err = io.WriteString(app.Stdio.Out, b.String())
	return err
}

// markText is a mark in the words of the health report: `live/quota_exhausted until …`,
// `dead(token_revoked)`, `circuit open until …`.
func markText(m state.Mark) string {
	s := m.State
	if m.Kind == state.MarkCircuit {
		s = "circuit open"
	}
	if m.Availability != "" && m.Availability != state.Available {
		s += "/" + m.Availability
	}
	if m.Reason != "" {
		s += "(" + m.Reason + ")"
	}
	if m.Until != nil {
		s += " until " + m.Until.UTC().Format(time.RFC3339)
	}
	return s
}
