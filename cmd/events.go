package cmd

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/oauth-mux/oauth-mux/state"
)

// DaemonCmd groups the daemon commands. `events` and `status` read the state dir and need no daemon
// process; `run` is the daemon.
type DaemonCmd struct {
	Run    DaemonRunCmd    `cmd:"" help:"Run stay-afloat as a foreground service: tick on schedule and on config or credential changes, until SIGTERM."`
	Status DaemonStatusCmd `cmd:"" help:"Show whether a daemon runs for this state dir, and its last tick."`
	Events DaemonEventsCmd `cmd:"" help:"Print the newest rows of the events log (attempts, failovers, verdicts, repairs, refreshes)."`
}

// DaemonEventsCmd is `daemon events [--limit N]`.
type DaemonEventsCmd struct {
	Limit int `default:"50" help:"Print the newest N events (0: all)." placeholder:"N"`
}

// eventsOutput is `daemon events --json` (the Zig version's top-level "events" list, plus counts).
type eventsOutput struct {
	Path             string        `json:"path"`
	Count            int           `json:"count"`
	SkippedMalformed int           `json:"skipped_malformed"`
	Events           []state.Event `json:"events"`
}

// Run prints the events oldest first, newest last. The log holds no secrets by construction (state
// refuses secret-named fields), so rows are printed as they are.
func (c DaemonEventsCmd) Run(app *App) error {
	if c.Limit < 0 {
		return usageError("--limit must be 0 or more")
	}
	dir := state.Dir(app.Getenv)
	evs, skipped, err := state.ReadEventsSkipped(dir, c.Limit)
	if err != nil {
		return fmt.Errorf("events log %s: %w", state.EventsPath(dir), err)
	}
	if skipped > 0 {
		fmt.Fprintf(app.Stdio.Err, "oauth-mux: warning: skipped %d malformed line%s in %s\n", skipped, plural(skipped), state.EventsPath(dir))
	}
	if evs == nil {
		evs = []state.Event{}
	}
	if app.JSON {
		return writeJSON(app.Stdio.Out, eventsOutput{Path: state.EventsPath(dir), Count: len(evs), SkippedMalformed: skipped, Events: evs})
	}
	if len(evs) == 0 {
		_, err := fmt.Fprintf(app.Stdio.Out, "no events recorded yet (%s)\n", state.EventsPath(dir))
		return err
	}
	for _, ev := range evs {
		if _, err := io.WriteString(app.Stdio.Out, eventLine(ev)+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// eventLine renders one event: `ts kind provider:account#capability outcome [reason] k=v…`, the
// kind-specific fields sorted by name so lines are stable.
func eventLine(ev state.Event) string {
	var b strings.Builder
	b.WriteString(ev.Ts.UTC().Format(time.RFC3339))
	b.WriteString(" " + orDash(ev.Kind))
	b.WriteString(" " + orDash(ev.Key()))
	b.WriteString(" " + orDash(ev.Outcome))
	if ev.Reason != "" {
		b.WriteString(" reason=" + ev.Reason)
	}
	if ev.Profile != "" {
		b.WriteString(" profile=" + ev.Profile)
	}
	keys := make([]string, 0, len(ev.Fields))
	for k := range ev.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := ev.Fields[k]
		if v == nil || v == "" {
			continue
		}
		fmt.Fprintf(&b, " %s=%s", k, fieldValue(v))
	}
	return b.String()
}

// fieldValue prints a decoded JSON value compactly: numbers without exponent (duration_ms of a long
// run stays 1500000, not 1.5e+06), strings bare, anything nested as JSON.
func fieldValue(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
