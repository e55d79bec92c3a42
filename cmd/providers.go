package cmd

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/providers"
)

// ProvidersCmd is `providers list` (SPEC §7).
type ProvidersCmd struct {
	List ProvidersListCmd `cmd:"" default:"withargs" help:"List every built-in and configured provider with its capabilities, probes and repair owner."`
}

// ProvidersListCmd lists provider definitions. It reads the config when there is one (a missing
// config lists the built-ins; an invalid one is an error like everywhere else).
type ProvidersListCmd struct{}

// ProviderInfo is one provider of `providers list --json`.
type ProviderInfo struct {
	Name         string           `json:"name"`
	DisplayName  string           `json:"display_name"`
	Source       string           `json:"source"` // builtin | config | builtin+config
	Configured   []string         `json:"configured"`
	Capabilities []CapabilityInfo `json:"capabilities"`
	FailureRules int              `json:"failure_rules"`
	OutputRules  int              `json:"output_rules"`
	Detection    struct {
		BinaryNames []string `json:"binary_names"`
		EnvMarkers  []string `json:"env_markers"`
	} `json:"detection"`
	Runtime struct {
		RequiredBinaries []string `json:"required_binaries"`
		EnvVars          []string `json:"env_vars"`
	} `json:"runtime"`
	RepairOwner  string   `json:"repair_owner"`
	LoginCommand []string `json:"login_command,omitempty"`
}

// CapabilityInfo is one capability and its probe.
type CapabilityInfo struct {
	Name      string   `json:"name"`
	Aliases   []string `json:"aliases"`
	Probe     bool     `json:"probe"`
	Transport string   `json:"transport,omitempty"`
	Target    string   `json:"target,omitempty"` // METHOD URL, or the program
	Budget    string   `json:"budget,omitempty"`
	TimeoutMS int      `json:"timeout_ms,omitempty"`
}

// Run lists.
func (c *ProvidersListCmd) Run(app *App) error {
	var configDefs map[string]providers.Definition
	configured := map[string][]string{} // definition name → configured provider names
	cfg, err := app.Config()
	var nf *config.NotFoundError
	switch {
	case errors.As(err, &nf):
	case err != nil:
		return err
	default:
		configDefs = cfg.ProviderDefinitions
		for _, name := range cfg.SortedProviderNames() {
			d := cfg.Definition(name)
			configured[d.Name] = append(configured[d.Name], name)
		}
	}
	cat := providers.NewCatalog(configDefs)
	var out []ProviderInfo
	for _, name := range cat.Names() {
		d, _ := cat.Lookup(name)
		_, builtin := providers.Builtin(name)
		_, inConfig := configDefs[name]
		src := "builtin"
		switch {
		case builtin && inConfig:
			src = "builtin+config"
		case inConfig:
			src = "config"
		}
		out = append(out, providerInfo(d, src, configured[name]))
	}
	if gs := configured[providers.GenericName]; len(gs) > 0 && !containsInfo(out, providers.GenericName) {
		out = append(out, providerInfo(providers.GenericDefinition(), "builtin", gs))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	if app.JSON {
		return writeJSON(app.Stdio.Out, struct {
			Providers []ProviderInfo `json:"providers"`
		}{out})
	}
	w := app.Stdio.Out
	for i, p := range out {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s (%s) [%s]\n", p.Name, p.DisplayName, p.Source)
		if len(p.Configured) > 0 {
			fmt.Fprintf(w, "  configured: %s\n", strings.Join(p.Configured, ", "))
		}
		if len(p.Capabilities) == 0 {
			fmt.Fprintln(w, "  capabilities: none")
		}
		for _, c := range p.Capabilities {
			line := "  capability " + c.Name
			if len(c.Aliases) > 0 {
				line += " (" + strings.Join(c.Aliases, ", ") + ")"
			}
			if c.Probe {
				line += fmt.Sprintf(": %s probe %s, budget %s, timeout %dms", c.Transport, c.Target, dashIfEmpty(c.Budget), c.TimeoutMS)
			} else {
				line += ": no probe"
			}
			fmt.Fprintln(w, line)
		}
		fmt.Fprintf(w, "  rules: %d failure, %d output\n", p.FailureRules, p.OutputRules)
		fmt.Fprintf(w, "  detection: binaries %s; env %s\n", dashIfEmpty(strings.Join(p.Detection.BinaryNames, ", ")), dashIfEmpty(strings.Join(p.Detection.EnvMarkers, ", ")))
		fmt.Fprintf(w, "  runtime: binaries %s; env %s\n", dashIfEmpty(strings.Join(p.Runtime.RequiredBinaries, ", ")), dashIfEmpty(strings.Join(p.Runtime.EnvVars, ", ")))
		repair := dashIfEmpty(p.RepairOwner)
		if len(p.LoginCommand) > 0 {
			repair += " (" + strings.Join(p.LoginCommand, " ") + ")"
		}
		fmt.Fprintf(w, "  repair: %s\n", repair)
	}
	return nil
}

func containsInfo(ps []ProviderInfo, name string) bool {
	for _, p := range ps {
		if p.Name == name {
			return true
		}
	}
	return false
}

func provList(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func providerInfo(d providers.Definition, src string, configured []string) ProviderInfo {
	p := ProviderInfo{Name: d.Name, DisplayName: d.DisplayName, Source: src, Configured: provList(configured),
		Capabilities: []CapabilityInfo{}, FailureRules: len(d.FailureRules), OutputRules: len(d.OutputRules),
		RepairOwner: d.Repair.Owner, LoginCommand: d.Repair.LoginCommand}
	if p.DisplayName == "" {
		p.DisplayName = d.Name
	}
	p.Detection.BinaryNames, p.Detection.EnvMarkers = provList(d.Detection.BinaryNames), provList(d.Detection.EnvMarkers)
	p.Runtime.RequiredBinaries, p.Runtime.EnvVars = provList(d.Runtime.RequiredBinaries), provList(d.Runtime.EnvVars)
	for _, c := range d.Capabilities {
		ci := CapabilityInfo{Name: c.Name, Aliases: provList(c.Aliases)}
		if pr := c.Probe; pr != nil {
			ci.Probe, ci.Transport, ci.Budget = true, pr.Transport, pr.Budget
			ci.TimeoutMS = int(providers.DefaultProbeTimeout.Milliseconds())
			if pr.TimeoutMS != nil {
				ci.TimeoutMS = *pr.TimeoutMS
			}
			if pr.Transport == providers.TransportCommand {
				// The program only: the arguments may hold a prompt.
				if len(pr.Command) > 0 {
					ci.Target = pr.Command[0]
				}
			} else {
				m := pr.Method
				if m == "" {
					m = "GET"
				}
				ci.Target = m + " " + pr.URL
			}
		}
		p.Capabilities = append(p.Capabilities, ci)
	}
	return p
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
