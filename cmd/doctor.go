package cmd

import (
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/policy"
	"github.com/oauth-mux/oauth-mux/routes/explain"
	"github.com/oauth-mux/oauth-mux/routes/inventory"
	"github.com/oauth-mux/oauth-mux/state"
)

// DoctorCmd is `doctor` (the summary) and `doctor runtime` (local prerequisites per route). The
// summary is kong's default subcommand so a bare `oauth-mux doctor` runs it.
type DoctorCmd struct {
	Runtime DoctorRuntimeCmd `cmd:"" help:"Check local prerequisites: binaries, config dirs, session files, repair locks (no provider contacted)."`
	Summary DoctorSummaryCmd `cmd:"" default:"1" hidden:"" help:"Config, counts, health store, monthly runs and next commands (the default)."`
}

// DoctorSummaryCmd is plain `oauth-mux doctor`: what oauth-mux knows without contacting a provider or
// reading a secret. It exits 0 when the config is valid, 200 when it is invalid and 1 when there is
// none; the report is printed (on stdout, JSON with --json) in every case.
type DoctorSummaryCmd struct{}

type doctorCheck struct {
	Name     string `json:"name"`
	OK       bool   `json:"ok"`
	Severity string `json:"severity"` // ok | info | warning | error
	Message  string `json:"message"`
}

type doctorProblem struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

type doctorQuota struct {
	Key string `json:"key"`
	policy.Quota
}

type doctorEvents struct {
	Path             string `json:"path"`
	Exists           bool   `json:"exists"`
	SizeBytes        int64  `json:"size_bytes"`
	Count            int    `json:"count"`
	SkippedMalformed int    `json:"skipped_malformed"`
}

// doctorReport is `doctor --json`. Field names up to codex_max_configured are the Zig version's.
type doctorReport struct {
	Version            string          `json:"version"`
	OK                 bool            `json:"ok"`
	Configured         bool            `json:"configured"`
	ConfigPath         string          `json:"config_path"`
	StateDir           string          `json:"state_dir"`
	HealthPath         string          `json:"health_path"`
	ConfigValid        bool            `json:"config_valid"`
	ConfigError        *string         `json:"config_error"`
	ConfigProblems     []doctorProblem `json:"config_problems"`
	Providers          int             `json:"providers"`
	Accounts           int             `json:"accounts"`
	Profiles           int             `json:"profiles"`
	Strategies         int             `json:"strategies"`
	HealthFileExists   bool            `json:"health_file_exists"`
	HealthEntries      int             `json:"health_entries"`
	HealthWarnings     []string        `json:"health_warnings"`
	CorruptFiles       []string        `json:"corrupt_files"`
	CodexConfigured    bool            `json:"codex_configured"`
	CodexMaxConfigured bool            `json:"codex_max_configured"`
	Quota              []doctorQuota   `json:"quota"`
	Events             doctorEvents    `json:"events"`
	Checks             []doctorCheck   `json:"checks"`
	// RuntimeReady of RuntimeTotal accounts have what doctor runtime checks (binaries, dirs, session
	// files, no repair under way).
	RuntimeReady int `json:"runtime_ready_accounts"`
	RuntimeTotal int `json:"runtime_total_accounts"`
	// HealthBackend is the file store or the shared pool, with its reachability and latency.
	HealthBackend healthBackend `json:"health_backend"`
	Warnings      []string      `json:"warnings"`
	NextCommands  []string      `json:"next_commands"`
}

// Run builds the report, prints it, and returns the error that sets the exit status.
func (DoctorSummaryCmd) Run(app *App) error {
	cs := app.configState()
	rep := buildDoctor(app, cs, time.Now())
	var err error
	if app.JSON {
		err = writeJSON(app.Stdio.Out, rep)
	} else {
		err = writeDoctorText(app.Stdio.Out, rep)
	}
	if err != nil {
		return err
	}
	switch {
	case !cs.Found:
		return cs.Err // *config.NotFoundError: exit 1 with the init hints
	case !cs.Valid:
		return Errorf(omux.ExitConfig, []string{"run `oauth-mux config validate` to list every problem"},
			"config %s is invalid (%d problem%s)", cs.Path, len(cs.Problems), plural(len(cs.Problems)))
	}
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func buildDoctor(app *App, cs inventory.ConfigState, now time.Time) doctorReport {
	stateDir, h, hwarn, herr := inventory.LoadHealth(app.Getenv)
	healthPath := state.Open(stateDir).Path()
	rep := doctorReport{
		Version: Version(), Configured: cs.Found, ConfigPath: cs.Path, StateDir: stateDir, HealthPath: healthPath,
		ConfigValid: cs.Valid, ConfigError: inventory.Opt(cs.Error), ConfigProblems: []doctorProblem{},
		HealthWarnings: append([]string{}, hwarn...), CorruptFiles: []string{}, Quota: []doctorQuota{},
		Checks: []doctorCheck{}, Warnings: []string{}, NextCommands: []string{},
	}
	if herr != nil {
		rep.HealthWarnings = append(rep.HealthWarnings, "health store: "+herr.Error())
	}
	for _, p := range cs.Problems {
		rep.ConfigProblems = append(rep.ConfigProblems, doctorProblem{p.Path, p.Msg})
	}
	cfg := cs.Cfg
	if cfg != nil {
		rep.Providers, rep.Accounts = len(cfg.Providers), inventory.CountAccounts(cfg)
		rep.Profiles, rep.Strategies = len(cfg.Profiles), len(cfg.Strategies)
		rep.CodexConfigured, rep.CodexMaxConfigured = inventory.CodexConfigured(cfg), inventory.CodexMaxConfigured(cfg)
	}
	if _, err := os.Stat(healthPath); err == nil {
		rep.HealthFileExists = true
	}
	rep.HealthEntries = len(h.Records)
	// A store moved aside earlier stays on disk for the user to inspect; doctor keeps mentioning it.
	if matches, _ := filepath.Glob(healthPath + ".corrupt-*"); len(matches) > 0 {
		sort.Strings(matches)
		rep.CorruptFiles = matches
	}

	if cfg != nil {
		opts := explain.ReadinessOptions{Getenv: app.Getenv, StateDir: stateDir}
		for _, name := range slices.Sorted(maps.Keys(cfg.Providers)) {
			for _, acct := range slices.Sorted(maps.Keys(cfg.Providers[name].Accounts)) {
				r := explain.CheckReadiness(cfg, name, acct, opts)
				rep.RuntimeTotal++
				if r.Ready {
					rep.RuntimeReady++
				}
				for _, w := range r.Warnings {
					rep.Warnings = append(rep.Warnings, omux.Account(name, acct).String()+": "+w)
				}
			}
		}
		for _, e := range inventory.Accounts(cfg, "", stateDir, h, now) {
			rep.Quota = append(rep.Quota, doctorQuota{Key: e.Key, Quota: e.Quota})
			if msg := e.Quota.Warning(e.Key); msg != "" {
				rep.Warnings = append(rep.Warnings, msg)
			}
		}
	}

	rep.Events.Path = state.EventsPath(stateDir)
	if fi, err := os.Stat(rep.Events.Path); err == nil {
		rep.Events.Exists, rep.Events.SizeBytes = true, fi.Size()
		evs, skipped, err := state.ReadEventsSkipped(stateDir, 0)
		if err != nil {
			rep.Warnings = append(rep.Warnings, "events log: "+err.Error())
		}
		rep.Events.Count, rep.Events.SkippedMalformed = len(evs), skipped
		if skipped > 0 {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("events log: %d malformed line%s skipped", skipped, plural(skipped)))
		}
	}
	rep.HealthBackend = app.checkHealthBackend(cfg, stateDir)
	if hb := rep.HealthBackend; hb.Kind == "redis" && (hb.Reachable == nil || !*hb.Reachable) {
		rep.Warnings = append(rep.Warnings, "shared health: "+hb.text())
	} else if hb.Kind == "redis" && !hb.RefreshShared {
		rep.Warnings = append(rep.Warnings, "shared health: each machine refreshes oauth-mux's tokens alone; a provider that rotates refresh tokens revokes the others' copies (set shared.redis.recipient and identity)")
	}
	rep.Warnings = append(rep.Warnings, rep.HealthWarnings...)
	if len(rep.CorruptFiles) > 0 {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%d damaged health store%s moved aside: %s", len(rep.CorruptFiles), plural(len(rep.CorruptFiles)), rep.CorruptFiles[len(rep.CorruptFiles)-1]))
	}

	rep.Checks = doctorChecks(rep)
	rep.OK = rep.Configured && rep.ConfigValid && rep.Accounts > 0
	rep.NextCommands = doctorNext(rep, cfg)
	return rep
}

func doctorChecks(rep doctorReport) []doctorCheck {
	check := func(name string, ok bool, badSeverity, okMsg, badMsg string) doctorCheck {
		if ok {
			return doctorCheck{name, true, "ok", okMsg}
		}
		return doctorCheck{name, false, badSeverity, badMsg}
	}
	validMsg := "config could not be loaded"
	if rep.Configured && len(rep.ConfigProblems) > 0 {
		validMsg = fmt.Sprintf("%d problem%s; run oauth-mux config validate", len(rep.ConfigProblems), plural(len(rep.ConfigProblems)))
	}
	checks := []doctorCheck{
		check("config_found", rep.Configured, "error", "config file found", "config file missing; run oauth-mux init"),
		check("config_valid", rep.ConfigValid, "error", "config validates", validMsg),
		check("accounts_configured", rep.Accounts > 0, "error", "one or more accounts configured", "no accounts configured"),
		check("profiles_configured", rep.Profiles > 0, "warning", "one or more profiles configured", "no profiles configured"),
	}
	if rep.CodexConfigured {
		checks = append(checks, check("codex_max_configured", rep.CodexMaxConfigured, "warning",
			"three-account Codex Max shape configured",
			"codex is configured but not the three-account Codex Max shape; see oauth-mux init --codex-max"))
	}
	checks = append(checks, check("health_recorded", rep.HealthEntries > 0, "info", "health state recorded", "no health state recorded yet"))
	checks = append(checks, check("health_store_intact", len(rep.CorruptFiles) == 0 && len(rep.HealthWarnings) == 0, "warning",
		"health store intact", "a damaged health store was moved aside"))
	quotaOK := true
	for _, q := range rep.Quota {
		if q.Status == policy.QuotaNearLimit || q.Status == policy.QuotaLimitReached {
			quotaOK = false
		}
	}
	checks = append(checks, check("monthly_quota", quotaOK, "warning", "no account near its monthly limit", "an account is near or at its quota.monthly_limit"))
	return checks
}

// codexMaxCandidate is where doctor and discover suggest writing the Codex Max shape beside an
// existing config: init never overwrites, so a sidecar file is the safe step.
func codexMaxCandidate(configPath string) string {
	if abs, err := filepath.Abs(configPath); err == nil {
		configPath = abs
	}
	return filepath.Join(filepath.Dir(configPath), "codex-max.config.json")
}

func doctorNext(rep doctorReport, cfg *config.Config) []string {
	switch {
	case !rep.Configured:
		return []string{"oauth-mux init", "oauth-mux init --codex-max", "oauth-mux discover"}
	case !rep.ConfigValid:
		return []string{"oauth-mux config validate", "oauth-mux doctor"}
	}
	next := []string{"oauth-mux doctor runtime"}
	profile := ""
	if cfg != nil {
		profile = cfg.Defaults.Profile
		if profile == "" {
			if names := cfg.SortedProfileNames(); len(names) > 0 {
				profile = names[0]
			}
		}
	}
	if profile != "" {
		next = append(next, "oauth-mux route explain --profile "+profile)
	}
	next = append(next, "oauth-mux accounts list")
	if rep.CodexConfigured && !rep.CodexMaxConfigured {
		next = append(next, "oauth-mux codex config-candidate", "oauth-mux codex config-merge --candidate "+codexMaxCandidate(rep.ConfigPath))
	}
	next = append(next, "oauth-mux report --redacted")
	if rep.Events.Count > 0 {
		next = append(next, "oauth-mux daemon events")
	}
	return next
}

func writeDoctorText(w io.Writer, rep doctorReport) error {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("oauth-mux doctor\n\n")
	p("  config: %s\n", rep.ConfigPath)
	switch {
	case !rep.Configured:
		p("    status: missing\n")
	case !rep.ConfigValid:
		p("    status: invalid (%d problem%s)\n", len(rep.ConfigProblems), plural(len(rep.ConfigProblems)))
		for _, pr := range rep.ConfigProblems {
			if pr.Path != "" {
				p("      %s: %s\n", pr.Path, pr.Message)
			} else {
				p("      %s\n", pr.Message)
			}
		}
	default:
		p("    status: valid\n")
	}
	p("    providers=%d accounts=%d profiles=%d strategies=%d\n", rep.Providers, rep.Accounts, rep.Profiles, rep.Strategies)
	if rep.CodexConfigured {
		shape := "missing"
		if rep.CodexMaxConfigured {
			shape = "configured"
		}
		p("    codex-max shape: %s\n", shape)
	}
	p("  state:  %s\n", rep.StateDir)
	present := "not recorded yet"
	if rep.HealthFileExists {
		present = "present"
	}
	p("  health: %s (%s, records=%d)\n", rep.HealthPath, present, rep.HealthEntries)
	p("  health backend: %s\n", rep.HealthBackend.text())
	if rep.Events.Exists {
		p("  events: %s (%d bytes, %d events)\n", rep.Events.Path, rep.Events.SizeBytes, rep.Events.Count)
	} else {
		p("  events: %s (none yet)\n", rep.Events.Path)
	}
	if len(rep.Quota) > 0 {
		p("  monthly runs:\n")
		for _, q := range rep.Quota {
			p("    %s  %s\n", q.Key, quotaText(q.Quota))
		}
	}
	if rep.RuntimeTotal > 0 {
		p("  runtime: %d of %d accounts ready (oauth-mux doctor runtime says what is missing)\n", rep.RuntimeReady, rep.RuntimeTotal)
	}
	readiness := "ready"
	if !rep.OK || rep.RuntimeReady < rep.RuntimeTotal {
		readiness = "action_needed"
	}
	p("  readiness: %s\n", readiness)
	if len(rep.Warnings) > 0 {
		p("\n")
		for _, msg := range rep.Warnings {
			p("warning: %s\n", msg)
		}
	}
	p("\n")
	printNext(w, rep.NextCommands)
	return nil
}
