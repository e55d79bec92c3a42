package cmd

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/policy"
	"github.com/oauth-mux/oauth-mux/routes/inventory"
)

// AccountsCmd groups the account inventory commands.
type AccountsCmd struct {
	List AccountsListCmd `cmd:"" help:"List configured accounts with their secret backend, health and monthly runs (no provider contacted, no secret read)."`
}

// AccountsListCmd is `accounts list [--provider P]`.
type AccountsListCmd struct {
	Provider string `help:"Only accounts of this provider." placeholder:"NAME"`
}

// summaryText renders a summary the way text outputs show it: "live/quota_exhausted until T".
func summaryText(hs *inventory.HealthSummary) string {
	if hs == nil {
		return "unrecorded"
	}
	s := hs.State
	if hs.Availability != nil {
		s += "/" + *hs.Availability
	}
	if hs.Reason != nil {
		s += "(" + *hs.Reason + ")"
	}
	if hs.Until != nil {
		s += " until " + *hs.Until
		if hs.Expired {
			s += " (expired)"
		}
	}
	return s
}

// quotaText is a quota as text outputs show it: "12/100 near_limit", or the run count alone.
func quotaText(q policy.Quota) string {
	if q.MonthlyLimit == nil {
		return fmt.Sprintf("%d", q.RunsThisMonth)
	}
	s := fmt.Sprintf("%d/%d", q.RunsThisMonth, *q.MonthlyLimit)
	if q.Status != policy.QuotaOK {
		s += " " + q.Status
	}
	return s
}

// Run lists the accounts. It reads the config and the health store, never a secret: the secret is
// described by its backend and what oauth-mux may write back to it.
func (c AccountsListCmd) Run(app *App) error {
	cfg, err := app.Config()
	if err != nil {
		return err
	}
	if c.Provider != "" {
		if _, ok := cfg.Providers[c.Provider]; !ok {
			return Errorf(omux.ExitGeneral, []string{"configured providers: " + strings.Join(cfg.SortedProviderNames(), ", ")},
				"unknown provider %q", c.Provider)
		}
	}
	stateDir, h, warnings, herr := inventory.LoadHealth(app.Getenv)
	for _, w := range warnings {
		fmt.Fprintf(app.Stdio.Err, "oauth-mux: warning: %s\n", w)
	}
	if herr != nil {
		fmt.Fprintf(app.Stdio.Err, "oauth-mux: warning: health store: %v\n", herr)
	}
	now := time.Now()
	entries := inventory.Accounts(cfg, c.Provider, stateDir, h, now)
	if entries == nil {
		entries = []inventory.Account{}
	}
	if app.JSON {
		return writeJSON(app.Stdio.Out, struct {
			Accounts []inventory.Account `json:"accounts"`
		}{entries})
	}
	return writeAccountsText(app.Stdio.Out, entries)
}

func writeAccountsText(w io.Writer, entries []inventory.Account) error {
	if len(entries) == 0 {
		_, err := fmt.Fprintln(w, "no accounts configured")
		return err
	}
	var warns []string
	for _, e := range entries {
		line := fmt.Sprintf("%s  kind=%s priority=%d secret=%s(%s)", e.Key, e.Kind, e.Priority, e.SecretBackend, e.WriteCapability)
		if len(e.Tags) > 0 {
			line += " tags=" + strings.Join(e.Tags, ",")
		}
		if e.Metered {
			line += " metered"
		}
		if e.ConfigDir != nil {
			label := "config_dir"
			if e.ManagedDir {
				label = "managed_dir"
			}
			line += fmt.Sprintf(" %s=%s", label, *e.ConfigDir)
		}
		// The account key is only recorded when the whole account failed (dead) or revived; without
		// such a record the routes below say how the account is doing.
		if e.Health != nil || len(e.Routes) == 0 {
			line += " health=" + summaryText(e.Health)
		}
		line += " runs=" + quotaText(e.Quota)
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
		for _, r := range e.Routes {
			fmt.Fprintf(w, "  %s  %s\n", r.Key, summaryText(&r.HealthSummary))
		}
		if msg := e.Quota.Warning(e.Key); msg != "" {
			warns = append(warns, msg)
		}
	}
	for _, msg := range warns {
		fmt.Fprintf(w, "warning: %s\n", msg)
	}
	return nil
}
