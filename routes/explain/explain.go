// Package explain owns the no-spend views of a plan's routes: runtime readiness (binaries, config
// dirs, session files, a held repair lock; `doctor runtime`), Explain for `route select|explain` and
// `repair-plan` (each route's state, skip reason, action, write-back and daemon admission), and the
// repair choice of `repair run`.
//
// It must not spend, write the store or print: it reads health and the machine and describes them.
package explain

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/inject"
	"github.com/oauth-mux/oauth-mux/policy"
	"github.com/oauth-mux/oauth-mux/providers"
	"github.com/oauth-mux/oauth-mux/routes"
	"github.com/oauth-mux/oauth-mux/state"
)

// Repair action kinds (SPEC §7; JSON contract).
const (
	ActFixRuntime             = "fix_runtime"
	ActProbeNeeded            = "probe_needed"
	ActWaitAndRetry           = "wait_and_retry"
	ActWaitForQuota           = "wait_for_quota"
	ActWaitForCooldown        = "wait_for_cooldown"
	ActReauth                 = "reauth"
	ActRefresh                = "refresh"
	ActScopeOrPermission      = "scope_or_permission"
	ActResourceOrAudience     = "resource_or_audience"
	ActProviderPlan           = "provider_plan"
	ActTryNextProvider        = "try_next_provider"
	ActInspectProviderSchema  = "inspect_provider_schema"
	ActExternalSecretRotation = "external_secret_rotation"
	ActManualRepair           = "manual_repair"
	ActNone                   = "none"
)

// Skip reasons the planners add to the health store's (state.Skip*, the availabilities, metered).
const (
	// SkipAvailable is the skip_reason of a selectable route (the Zig version's word).
	SkipAvailable        = "available"
	SkipUnrecorded       = "unrecorded"
	SkipRuntimeNotReady  = "runtime_not_ready"
	SkipRepairInProgress = "repair_in_progress"
)

// Liveness summary states besides live, degraded and dead.
const (
	LivenessUnrecorded   = "unrecorded"
	LivenessRevalidation = "revalidation_needed"
)

// Verbs: the top-level "action" of a planner's output.
const (
	VerbExplain    = "explain"
	VerbSelect     = "select"
	VerbRepairPlan = "repair_plan"
)

// defaultRepairWaitS is how long to wait before looking again at an account another process repairs.
const defaultRepairWaitS = 60

// Write-back reasons (the Zig version's strings).
const (
	writebackUpstream     = "provider_repair_owned_by_upstream_cli"
	writebackExternal     = "provider_repair_owned_by_external_secret"
	writebackManual       = "provider_repair_is_manual_only"
	writebackReplaceFile  = "replace_file_writeback_available"
	writebackReadOnly     = "secret_backend_is_readonly"
	writebackOwnerUnknown = "provider_repair_owner_unknown"
)

// Action is what would bring a route back (or keep it going), with what it costs.
type Action struct {
	Kind string `json:"kind"`
	// Command is the shell line to run ("" when there is nothing to run); Argv and Env are the same
	// for an executor (Env holds the account's config dir variable, never a secret).
	Command     string            `json:"command"`
	Argv        []string          `json:"argv,omitempty"`
	Env         map[string]string `json:"env,omitempty"`
	Budget      string            `json:"budget"`
	Interactive bool              `json:"interactive"`
	Mutating    bool              `json:"mutating"`
	RetryAfterS *int              `json:"retry_after_s"`
	WaitUntil   *time.Time        `json:"wait_until"`
	// Why says in words what the action answers ("quota_exhausted", "binary_missing:codex", …).
	Why string `json:"why,omitempty"`
}

// Writeback says whether a refreshed credential can be written back to the account's secret
// (the Zig version's object): capability of the backend, and whether oauth-mux's own refresh is
// admitted given who owns repair.
type Writeback struct {
	Capability               string `json:"capability"`
	AutomaticRefreshAdmitted bool   `json:"automatic_refresh_admitted"`
	Reason                   string `json:"reason"`
}

// RouteAdmission is what background work may do for a route under the effective policy.
type RouteAdmission struct {
	DaemonProbe  policy.Admission `json:"daemon_probe"`
	DaemonRepair policy.Admission `json:"daemon_repair"`
}

// LivenessSummary is the recorded health that decides a route, read from the account key when it
// dominates and the route key otherwise.
type LivenessSummary struct {
	// State is live, degraded, dead, unrecorded or revalidation_needed.
	State          string     `json:"state"`
	Key            string     `json:"key,omitempty"`
	Availability   string     `json:"availability,omitempty"`
	Reason         string     `json:"reason,omitempty"`
	Since          *time.Time `json:"since,omitempty"`
	RetryAt        *time.Time `json:"retry_at,omitempty"`
	Until          *time.Time `json:"until,omitempty"`
	WindowResetsAt *time.Time `json:"window_resets_at,omitempty"`
	Circuit        string     `json:"circuit,omitempty"`
	Score          int        `json:"score"`
	Source         string     `json:"source,omitempty"`
	ObservedAt     *time.Time `json:"observed_at,omitempty"`
	Rule           string     `json:"rule,omitempty"`
	// Host is the machine of a shared pool that saw the evidence.
	Host string `json:"host,omitempty"`
}

// RouteReport is one route as the no-spend planners see it.
type RouteReport struct {
	Key        string          `json:"key"`
	Provider   string          `json:"provider"`
	Account    string          `json:"account"`
	Capability string          `json:"capability"`
	Priority   int             `json:"priority"`
	Selectable bool            `json:"selectable"`
	SkipReason string          `json:"skip_reason"`
	Liveness   LivenessSummary `json:"liveness"`
	Action     Action          `json:"action"`
	Writeback  Writeback       `json:"writeback"`
	Admission  RouteAdmission  `json:"admission"`
	Runtime    *Readiness      `json:"runtime"`
}

// Selected names the route a command would start on.
type Selected struct {
	Key        string `json:"key"`
	Provider   string `json:"provider"`
	Account    string `json:"account"`
	Capability string `json:"capability"`
}

// Explanation is the output of route explain, route select and repair-plan (SPEC §7, §9).
type Explanation struct {
	Action   string        `json:"action"`
	OK       bool          `json:"ok"`
	Profile  string        `json:"profile"`
	Label    string        `json:"label"`
	Strategy string        `json:"strategy"`
	Policy   policy.Daemon `json:"policy"`
	Selected *Selected     `json:"selected"`
	Routes   []RouteReport `json:"routes"`
	// Next lists the commands to run next, most useful first.
	Next        []string  `json:"next"`
	GeneratedAt time.Time `json:"generated_at"`
}

// ExplainOptions is the world the planners look at.
type ExplainOptions struct {
	Getenv   func(string) string
	StateDir string
	Now      time.Time
	// Verb is the top-level "action" of the output: explain (default), select, repair_plan.
	Verb string
}

// Explain evaluates every route of the plan without spending anything (SPEC §7): recorded health
// (the account key dominates), runtime readiness, the repair action, the write-back boundary and
// the daemon's admission under the effective policy. No secret is read, no provider contacted, the
// store is not changed. h may be nil (nothing recorded).
func Explain(cfg *config.Config, plan *routes.Plan, h *state.Health, opts ExplainOptions) *Explanation {
	if h == nil {
		h = state.NewHealth()
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	verb := opts.Verb
	if verb == "" {
		verb = VerbExplain
	}
	pol := policy.Effective(cfg.Policy.Daemon)
	e := &Explanation{Action: verb, Profile: plan.Profile, Label: plan.Label, Strategy: plan.StrategyName,
		Policy: pol, Routes: []RouteReport{}, Next: []string{}, GeneratedAt: now.UTC()}
	if e.Strategy == "" {
		e.Strategy = plan.Strategy.Kind
	}

	ready := map[string]*Readiness{}
	var revalidating *RouteReport
	for _, c := range routes.Evaluate(plan, h, 0, now) {
		rd, ok := ready[c.AccountKey()]
		if !ok {
			r := CheckReadiness(cfg, c.Provider, c.Account, ReadinessOptions{Getenv: opts.Getenv, StateDir: opts.StateDir})
			rd = &r
			ready[c.AccountKey()] = rd
		}
		rr := evaluateRoute(cfg, plan, c, h, rd, pol, now)
		e.Routes = append(e.Routes, rr)
	}
	for i := range e.Routes {
		rr := &e.Routes[i]
		if !rr.Selectable {
			continue
		}
		// A route whose window merely expired is unconfirmed: prefer one with live evidence.
		if rr.Liveness.State == LivenessRevalidation {
			if revalidating == nil {
				revalidating = rr
			}
			continue
		}
		e.Selected = &Selected{Key: rr.Key, Provider: rr.Provider, Account: rr.Account, Capability: rr.Capability}
		break
	}
	if e.Selected == nil && revalidating != nil {
		e.Selected = &Selected{Key: revalidating.Key, Provider: revalidating.Provider,
			Account: revalidating.Account, Capability: revalidating.Capability}
	}
	e.OK = e.Selected != nil
	e.Next = e.nextCommands(plan)
	return e
}

func evaluateRoute(cfg *config.Config, plan *routes.Plan, c routes.Candidate, h *state.Health, rd *Readiness, pol policy.Daemon, now time.Time) RouteReport {
	rr := RouteReport{Key: c.Key(), Provider: c.Provider, Account: c.Account, Capability: c.Capability,
		Priority: c.Acct.Priority, Runtime: rd, Liveness: summarize(c, h, now)}
	rr.Writeback = WritebackOf(c.Acct.Secret, c.Def.Repair.Owner)
	probeBudget := ProbeBudget(c.Def, c.Capability)

	st := c.Status
	switch {
	case rd.RepairInProgress != nil:
		rr.SkipReason = SkipRepairInProgress
		s := defaultRepairWaitS
		rr.Action = Action{Kind: ActWaitAndRetry, Budget: providers.BudgetFreeLocal, RetryAfterS: &s,
			Why: "repair_in_progress"}
	case !rd.Ready:
		rr.SkipReason = SkipRuntimeNotReady
		rr.Action = runtimeAction(cfg, c, rd)
	case c.Skip != "":
		rr.SkipReason = c.Skip
		rr.Action = healthAction(cfg, c, rd, now)
	case !st.Recorded:
		rr.SkipReason = SkipUnrecorded
		rr.Action = probeAction(c, probeBudget, "unrecorded")
	default:
		rr.Selectable = true
		rr.SkipReason = SkipAvailable
		if st.RevalidationNeeded {
			rr.Action = probeAction(c, probeBudget, LivenessRevalidation)
		} else {
			rr.Action = Action{Kind: ActNone, Budget: providers.BudgetFreeLocal}
		}
	}
	rr.Admission = RouteAdmission{
		DaemonProbe: pol.AdmitProbe(probeBudget),
		DaemonRepair: pol.AdmitRepair(rr.Action.Command != "" && rr.Action.Kind != ActNone, rr.Action.Budget,
			rr.Action.Interactive, rr.Action.Mutating),
	}
	return rr
}

// summarize reads the record that decides the route: a dead (or probe-needed) account key
// dominates, else the route's own record, else the account's.
func summarize(c routes.Candidate, h *state.Health, now time.Time) LivenessSummary {
	key := c.Key()
	rec := h.Record(key)
	if ar := h.Record(c.AccountKey()); ar != nil && (rec == nil || ar.Liveness.State != state.StateLive || ar.ProbeNeeded) {
		key, rec = c.AccountKey(), ar
	}
	if rec == nil {
		return LivenessSummary{State: LivenessUnrecorded, Score: state.StartScore}
	}
	l := rec.Liveness
	s := LivenessSummary{State: l.State, Key: key, Availability: l.Availability, Reason: l.Reason,
		RetryAt: utcPtr(l.RetryAt), Until: utcPtr(l.Until), WindowResetsAt: utcPtr(l.WindowResetsAt),
		Circuit: rec.Circuit.State, Score: c.Score}
	if !l.Since.IsZero() {
		s.Since = utcPtr(&l.Since)
	}
	if ev := rec.LastEvidence; ev != nil {
		s.Source, s.Rule, s.Host = string(ev.Source), ev.Rule, ev.Host
		if !ev.ObservedAt.IsZero() {
			s.ObservedAt = utcPtr(&ev.ObservedAt)
		}
	}
	if c.Status.RevalidationNeeded {
		s.State = LivenessRevalidation
	}
	return s
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// WritebackOf is the write-back boundary of an account (the Zig version's reasons): only an
// oauth_mux_refresh provider whose secret can be replaced as a file admits automatic refresh.
func WritebackOf(s config.Secret, owner string) Writeback {
	w := Writeback{Capability: s.WriteCapability()}
	switch owner {
	case providers.OwnerOAuthMuxRefresh:
		if w.Capability == config.WriteReplaceFile {
			w.AutomaticRefreshAdmitted, w.Reason = true, writebackReplaceFile
		} else {
			w.Reason = writebackReadOnly
		}
	case providers.OwnerUpstreamCLILogin:
		w.Reason = writebackUpstream
	case providers.OwnerExternalSecretOwner:
		w.Reason = writebackExternal
	case providers.OwnerManualOnly, "":
		w.Reason = writebackManual
	default:
		w.Reason = writebackOwnerUnknown
	}
	return w
}

// ProbeBudget is the budget of the capability's probe, "" when it has none. A probe that declares no
// budget costs what its transport suggests: a local command, or a provider request.
func ProbeBudget(def providers.Definition, capability string) string {
	c, ok := def.Capability(capability)
	if !ok || c.Probe == nil {
		return ""
	}
	if c.Probe.Budget != "" {
		return c.Probe.Budget
	}
	if c.Probe.Transport == "command" {
		return providers.BudgetFreeCommand
	}
	return providers.BudgetCheapProvider
}

func probeAction(c routes.Candidate, budget, why string) Action {
	a := Action{Kind: ActProbeNeeded, Budget: budget, Why: why}
	if budget == "" {
		// Nothing to probe with: the route proves itself on its next exec.
		a.Budget = providers.BudgetFreeLocal
		return a
	}
	a.Argv = []string{"oauth-mux", "probe", "--provider", c.Provider, "--account", c.Account}
	if c.Capability != "" {
		a.Argv = append(a.Argv, "--capability", c.Capability)
	}
	a.Command = shellLine(nil, a.Argv)
	return a
}

func doctorArgv(c routes.Candidate) []string {
	return []string{"oauth-mux", "doctor", "runtime", "--provider", c.Provider, "--account", c.Account}
}

// runtimeAction answers a runtime that is not ready. A missing config dir or session file is what a
// fresh login fixes, so an upstream-login provider whose binary is present gets reauth; the rest
// (a missing binary, a config dir that is a file or read-only) is the user's to fix.
func runtimeAction(cfg *config.Config, c routes.Candidate, rd *Readiness) Action {
	loginFixes := !rd.has(IssueBinaryMissing) && !rd.has(IssueConfigDirNotDir) && !rd.has(IssueConfigDirNotWritable)
	if loginFixes && len(c.Def.Repair.LoginCommand) > 0 {
		a := reauthAction(cfg, c, rd)
		a.Why = rd.Issues[0].Kind
		return a
	}
	argv := doctorArgv(c)
	why := rd.Issues[0].Kind
	if rd.Issues[0].Detail != "" && rd.Issues[0].Kind == IssueBinaryMissing {
		why += ":" + rd.Issues[0].Detail
	}
	return Action{Kind: ActFixRuntime, Argv: argv, Command: shellLine(nil, argv), Budget: providers.BudgetFreeLocal, Why: why}
}

// reauthAction runs the provider's own login with the account's config dir, inheriting the
// terminal: interactive and mutating by nature.
func reauthAction(cfg *config.Config, c routes.Candidate, rd *Readiness) Action {
	a := Action{Kind: ActReauth, Budget: providers.BudgetInteractive, Interactive: true, Mutating: true}
	if len(c.Def.Repair.LoginCommand) == 0 {
		return a
	}
	a.Argv = slices.Clone(c.Def.Repair.LoginCommand)
	env := rd.ConfigDirEnv
	dir := rd.ConfigDir
	if env == "" {
		env, dir, _ = ConfigDirOf(cfg, c.Provider, c.Account, "")
	}
	if env != "" && dir != "" {
		a.Env = map[string]string{env: dir}
	}
	a.Command = shellLine(a.Env, a.Argv)
	return a
}

// healthAction answers a route that recorded health skips.
func healthAction(cfg *config.Config, c routes.Candidate, rd *Readiness, now time.Time) Action {
	st := c.Status
	wait := func(kind string) Action {
		a := Action{Kind: kind, Budget: providers.BudgetFreeLocal, Why: c.Skip}
		if st.Until != nil {
			u := st.Until.UTC()
			a.WaitUntil = &u
			s := max(int(u.Sub(now).Round(time.Second)/time.Second), 0)
			a.RetryAfterS = &s
		}
		return a
	}
	switch c.Skip {
	case routes.SkipMetered:
		return Action{Kind: ActNone, Budget: providers.BudgetFreeLocal, Why: "metered account: the profile does not allow metered accounts"}
	case state.RateLimited:
		return wait(ActWaitAndRetry)
	case state.QuotaExhausted:
		return wait(ActWaitForQuota)
	case state.Cooldown, state.SkipCircuitOpen:
		return wait(ActWaitForCooldown)
	case state.SkipDegraded:
		a := wait(ActManualRepair)
		a.Why = st.Reason
		switch classify.Reason(st.Reason) {
		case classify.ReasonProviderDegraded:
			a.Kind = ActTryNextProvider
		case classify.ScopeInsufficient:
			a.Kind = ActScopeOrPermission
		case classify.AudienceMismatch:
			a.Kind = ActResourceOrAudience
		case classify.TierInsufficient, classify.SubscriptionPaused:
			a.Kind = ActProviderPlan
		case classify.SchemaInvalid:
			a.Kind = ActInspectProviderSchema
		}
		return a
	case state.SkipDead:
		a := deadAction(cfg, c, rd)
		a.Why = st.Reason
		return a
	}
	return Action{Kind: ActManualRepair, Budget: providers.BudgetFreeLocal, Why: c.Skip}
}

// deadAction is the repair of a dead account, by who owns repair (SPEC §5.1 repair.owner).
func deadAction(cfg *config.Config, c routes.Candidate, rd *Readiness) Action {
	reason := classify.Reason(c.Status.Reason)
	switch c.Def.Repair.Owner {
	case providers.OwnerUpstreamCLILogin:
		return reauthAction(cfg, c, rd)
	case providers.OwnerOAuthMuxRefresh:
		if reason == classify.CredentialExpired {
			argv := []string{"oauth-mux", "refresh", "--provider", c.Provider, "--account", c.Account}
			return Action{Kind: ActRefresh, Argv: argv, Command: shellLine(nil, argv),
				Budget: providers.BudgetCheapProvider, Mutating: true}
		}
		if c.Acct.Secret.WriteCapability() != config.WriteReplaceFile {
			return Action{Kind: ActExternalSecretRotation, Budget: providers.BudgetInteractive, Interactive: true}
		}
		return reauthAction(cfg, c, rd)
	case providers.OwnerExternalSecretOwner:
		return Action{Kind: ActExternalSecretRotation, Budget: providers.BudgetInteractive, Interactive: true}
	}
	return Action{Kind: ActManualRepair, Budget: providers.BudgetInteractive, Interactive: true}
}

// shellLine renders env and argv as one POSIX shell line, quoting only what needs it.
func shellLine(env map[string]string, argv []string) string {
	var parts []string
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		parts = append(parts, k+"="+shellQuote(env[k]))
	}
	for _, a := range argv {
		parts = append(parts, shellQuote(a))
	}
	return strings.Join(parts, " ")
}

// shellQuote leaves a word of plain characters bare and quotes anything else the way env output does.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@%+,", r))
	}) < 0 {
		return s
	}
	return inject.QuotePOSIX(s)
}

// nextCommands names what to run next: exec on the selected route, else the first repair.
func (e *Explanation) nextCommands(plan *routes.Plan) []string {
	var next []string
	if e.Selected != nil {
		sel := "--provider " + shellQuote(e.Selected.Provider) + " --account " + shellQuote(e.Selected.Account)
		if plan.Profile != "" {
			sel = "--profile " + shellQuote(plan.Profile)
		}
		next = append(next, fmt.Sprintf("oauth-mux exec %s -- <command>", sel))
	}
	seen := map[string]bool{}
	for _, r := range e.Routes {
		if r.Selectable && r.Action.Kind == ActNone || r.Action.Command == "" || seen[r.Action.Command] {
			continue
		}
		seen[r.Action.Command] = true
		next = append(next, r.Action.Command)
	}
	if len(next) > 4 {
		next = next[:4]
	}
	if next == nil {
		next = []string{}
	}
	return next
}
