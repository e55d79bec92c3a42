package cmd

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/oauth-mux/oauth-mux/inject"
	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/routes"
	"github.com/oauth-mux/oauth-mux/routes/renew"
)

// RefreshCmd is `refresh [selectors] [--json]` (SPEC §8.2): refresh every admitted account now.
//
// Admitted means oauth-mux owns the refresh (repair owner oauth_mux_refresh, a token endpoint, a file
// secret it can write); the others are listed as not admitted with who refreshes them instead.
// Exit status: 0 when every admitted refresh succeeded (not-admitted accounts are no failure);
// otherwise the most serious failure: 203 (the refresh was refused — invalid_grant records the
// account dead(token_revoked) and leaves its file untouched — or failed another way, or the account
// lock stayed held 30 s), then 202 (the secret could not be read or written), then 204 (the token
// endpoint was unreachable or answered 5xx: nothing is recorded against the account).
type RefreshCmd struct {
	Selectors
}

// Run refreshes the selected accounts (every configured account when no selector is given).
func (c *RefreshCmd) Run(ctx context.Context, app *App) error {
	rs, rec, err := app.accountPlan(c.selector(""))
	if err != nil {
		return err
	}
	opts := renew.Options{Trigger: "refresh", SecretEnv: inject.Env{Environ: app.Env, Stdin: app.Stdio.In}, Force: true, Fleet: app.fleet()}
	results := make([]routes.RefreshResult, 0, len(rs))
	for _, r := range rs {
		results = append(results, renew.Account(ctx, rec, r, opts))
	}
	return reportRefresh(app, results)
}

// reportRefresh prints the results (a table, or --json) and maps them to the command's status.
func reportRefresh(app *App, results []routes.RefreshResult) error {
	if app.JSON {
		if err := writeJSON(app.Stdio.Out, refreshReport{Accounts: results}); err != nil {
			return err
		}
	} else {
		printRefreshResults(app.Stdio.Out, results, false)
	}
	return refreshExit(results, app.JSON)
}

// refreshReport is `refresh --json` and `keepalive --once --json`.
type refreshReport struct {
	Accounts []routes.RefreshResult `json:"accounts"`
}

func printRefreshResults(w io.Writer, results []routes.RefreshResult, stamp bool) {
	for _, r := range results {
		var b strings.Builder
		if stamp {
			b.WriteString(time.Now().UTC().Format(time.RFC3339) + "  ")
		}
		fmt.Fprintf(&b, "%s  %s", r.Key(), strings.ReplaceAll(r.Outcome, "_", " "))
		if r.Reason != "" {
			fmt.Fprintf(&b, " (%s)", r.Reason)
		}
		if r.Rotated {
			b.WriteString("  rotated")
		}
		if r.ExpiresAt != nil {
			b.WriteString("  expires " + r.ExpiresAt.UTC().Format(time.RFC3339))
		}
		if r.NextRefreshAt != nil {
			b.WriteString("  next " + r.NextRefreshAt.UTC().Format(time.RFC3339))
		}
		if r.ExitCode != 0 && r.Message != "" {
			b.WriteString(": " + r.Message)
		}
		fmt.Fprintln(w, b.String())
		if r.Warning != "" {
			fmt.Fprintf(w, "  warning: %s\n", r.Warning)
		}
		for _, h := range r.Hints {
			fmt.Fprintf(w, "  hint: %s\n", h)
		}
	}
}

// refreshExit maps the results to the command's status: the most serious failure wins.
func refreshExit(results []routes.RefreshResult, quiet bool) error {
	worst, failed := 0, 0
	rank := map[int]int{omux.ExitRefresh: 3, omux.ExitSecret: 2, omux.ExitNetwork: 1}
	for _, r := range results {
		if r.ExitCode == 0 {
			continue
		}
		failed++
		if rank[r.ExitCode] > rank[worst] {
			worst = r.ExitCode
		}
	}
	if worst == 0 {
		return nil
	}
	if quiet {
		return Exit(worst)
	}
	return Errorf(worst, []string{"the lines above say why; oauth-mux health shows what was recorded"},
		"%d of %d token refreshes failed", failed, len(results))
}
