package routes

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/inject"
	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/policy"
	"github.com/oauth-mux/oauth-mux/state"
	"github.com/oauth-mux/oauth-mux/supervise"
)

// ExecOptions are the exec flags and the world the planner prepares attempts in.
type ExecOptions struct {
	RunOptions
	Argv []string
	// MaxAttempts is --max-attempts (0: every candidate).
	MaxAttempts int
	Wait        bool
	WaitMax     time.Duration
	Nested      bool
}

// RunOptions is what every command that prepares routes (exec, env, probe) hands routes: where it
// runs, where state lives, how to talk to the user, and the clock.
type RunOptions struct {
	Env      omux.Environ // the parent's environment
	Dir      string
	Version  string
	StateDir string
	// Notify gets the lines for the user; nil drops them.
	Notify Notifier
	// Now is the clock; nil means time.Now. Loc is the zone for reset times without one.
	Now func() time.Time
	Loc *time.Location
	// Refresh configures token refresh (tests point it at a loopback server).
	Refresh *inject.RefreshOptions
}

// Defaults fills the clock and the zone.
func (o *RunOptions) Defaults() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Loc == nil {
		o.Loc = time.Local
	}
}

// Request is what inject.Prepare needs for route r of plan: the one place a route becomes a
// credential request. attempt is the attempt's number (0 outside exec).
func (o *RunOptions) Request(cfg *config.Config, plan *Plan, r Route, attempt int) inject.Request {
	return inject.Request{
		Env: o.Env, Provider: r.Provider, Account: r.Account, AccountConfig: r.Acct,
		ConfigDirEnv: cfg.ConfigDirEnv(r.Provider), Definition: r.Def,
		Capability: r.Capability, Profile: plan.Profile, Attempt: attempt, Version: o.Version,
		StateDir: o.StateDir, Now: o.Now, Refresh: o.Refresh,
	}
}

// Attempt is one prepared run of the user's command on one route.
type Attempt struct {
	Number  int
	Route   Route
	Argv    []string
	Env     omux.Environ
	Dir     string
	Matcher *classify.Matcher
	// Batch says the command runs its CLI in print mode (providers.Definition.Batch).
	Batch bool

	prepared *inject.Prepared
}

// Label names the attempt in messages.
func (a *Attempt) Label() string { return a.Route.Key() }

// NoRouteError ends a run when no route is left (exit 201). Lines are the per-route explanations.
type NoRouteError struct {
	Label string
	Lines []string
	Why   string
	// Profile is the profile the routes came from ("" when they came from a provider), Resets says a
	// route will reset by itself (so --wait can help), Logins are the login commands of the providers
	// whose accounts are dead.
	Profile string
	Resets  bool
	Logins  []string
	// Cause is set when the plan's only route failed its credential in this run: with one account
	// there was no failover to speak of, so the exit code follows the cause (SPEC §10: 202 for a
	// secret, 203/204 for a refresh).
	Cause error
}

func (e *NoRouteError) Error() string {
	s := "no route left for " + e.Label
	for _, l := range e.Lines {
		s += "\n  " + l
	}
	return s
}

// ExitCode is 201 (SPEC §10), or the cause's code when the only route failed its credential.
func (e *NoRouteError) ExitCode() int {
	var c interface{ ExitCode() int }
	if e.Cause != nil && errors.As(e.Cause, &c) {
		return c.ExitCode()
	}
	return omux.ExitNoRoute
}

// Unwrap is the credential failure of a lone route, nil otherwise.
func (e *NoRouteError) Unwrap() error { return e.Cause }

// Hints say what can be done next.
func (e *NoRouteError) Hints() []string {
	h := []string{}
	if e.Why != "" {
		h = append(h, "not waiting: "+e.Why)
	}
	sel := ""
	if e.Profile != "" {
		sel = " --profile " + e.Profile
	}
	h = append(h, "see why with: oauth-mux route explain"+sel)
	for _, c := range e.Logins {
		h = append(h, "log a dead account in again with: "+c+" (or see: oauth-mux repair-plan"+sel+")")
	}
	if e.Resets && e.Why == "" {
		h = append(h, "wait for the earliest reset with: oauth-mux exec"+sel+" --wait -- …")
	}
	return h
}

// Planner runs the attempt loop's side that knows accounts (SPEC §6.2): it hands out prepared
// attempts in strategy order, judges what became of them, records health and events, and says
// whether to go on.
type Planner struct {
	cfg   *config.Config
	plan  *Plan
	store state.Backend
	opts  ExecOptions
	rec   *Recorder

	order    []Route // fixed at the first Next
	tried    map[string]bool
	skipProv map[string]bool
	started  int
	matchers map[string]*classify.Matcher
	report   Report
	last     map[string]string // route key → the verdict this run saw, for the 201 lines
	warned   int               // store warnings already shown
	credErr  map[string]*inject.CredentialError
	// refreshErr is the last refresh that failed without a verdict; it is the exit cause when no
	// route is left.
	refreshErr *inject.RefreshError
	// running maps the attempts handed to the loop, by number, back to their routes.
	running map[int]*Attempt
}

// NewPlanner prepares a planner for one exec run.
func NewPlanner(cfg *config.Config, plan *Plan, store state.Backend, opts ExecOptions) *Planner {
	opts.Defaults()
	return &Planner{cfg: cfg, plan: plan, store: store, opts: opts, rec: NewRecorder(store, opts.StateDir, plan, opts.Notify),
		tried: map[string]bool{}, skipProv: map[string]bool{}, matchers: map[string]*classify.Matcher{},
		last: map[string]string{}, credErr: map[string]*inject.CredentialError{}, running: map[int]*Attempt{},
		report: Report{Version: 1, Profile: plan.Label}}
}

func (p *Planner) notify(format string, args ...any) { Infof(p.opts.Notify, format, args...) }

// attempts is the run's attempt budget as policy counts it.
func (p *Planner) attempts() policy.Attempts {
	return policy.Attempts{Max: p.opts.MaxAttempts, MaxRetries: p.plan.Strategy.MaxRetries, Started: p.started}
}

// Next implements supervise.Planner: the next usable route prepared as an attempt (Run), or a
// decision to wait for a reset or to end with a *NoRouteError (Exit).
func (p *Planner) Next(ctx context.Context) (supervise.Attempt, supervise.Decision, error) {
	a, d, err := p.next(ctx)
	if err != nil || a == nil {
		return supervise.Attempt{}, d, err
	}
	p.running[a.Number] = a
	return supervise.Attempt{Argv: a.Argv, Env: a.Env, Dir: a.Dir, Matcher: a.Matcher, Batch: a.Batch,
		Label: a.Label(), Number: a.Number}, d, nil
}

// next prepares the next usable route: an attempt with Action Run, or no attempt and a Wait or
// Exit decision.
func (p *Planner) next(ctx context.Context) (*Attempt, supervise.Decision, error) {
	now := p.opts.Now()
	h, err := p.prepareOrder(ctx, now)
	if err != nil {
		return nil, supervise.Decision{}, err
	}
	for _, r := range p.order {
		if p.tried[r.Key()] || p.skipProv[r.Provider] {
			continue
		}
		st := h.Status(r.AccountKey(), r.Key(), now)
		retryUnreadable := !st.Selectable && st.SkipReason == state.SkipDead &&
			st.Reason == string(classify.CredentialUnavailable) && inject.CredentialFile(r.Acct.Secret) == ""
		if !st.Selectable && !retryUnreadable {
			continue
		}
		if p.plan.SpendRefused(r.Acct.Metered()) {
			continue
		}
		if p.attempts().Exhausted() {
			break // the rest are listed as "not tried: attempt limit reached"
		}
		if err := inject.CheckNesting(p.opts.Env, r.Provider, p.opts.Nested); err != nil {
			return nil, supervise.Decision{}, err
		}
		p.tried[r.Key()] = true
		a, err := p.prepare(ctx, r)
		if err != nil && ctx.Err() != nil {
			// Cancelled (the user's ^C while a secret command or a refresh ran): no evidence about
			// the account.
			return nil, supervise.Decision{}, ctx.Err()
		}
		var ce *inject.CredentialError
		var re *inject.RefreshError
		switch {
		case errors.As(err, &ce):
			p.recordCredential(ctx, r, ce, now)
			continue
		case errors.As(err, &re):
			// A refresh that failed on the network, a 5xx or a held lock proves nothing about the
			// account (SPEC §8.2): no verdict, but the next route runs, and the failure is the exit
			// status (204, 203) when no route is left.
			p.refreshErr = re
			p.last[r.Key()] = "token refresh failed"
			p.notify("%s: %s", r.Key(), re.Error())
			continue
		case err != nil:
			return nil, supervise.Decision{}, err
		case a == nil: // the spend guard, after reading the credential
			continue
		}
		if retryUnreadable {
			// An env, command or keychain secret has no file whose fingerprint could tell that the user
			// fixed it (SPEC §8.3); reading it now is that evidence, so the account is tried again.
			p.apply(ctx, &state.Revive{AccountKey: r.AccountKey(), Reason: "credential_readable", At: now})
		}
		return a, supervise.Decision{Action: supervise.Run}, nil
	}
	return nil, p.noRoute(ctx, now), nil
}

// PrepareFirst is the `env` command's side of the attempt loop (SPEC §6.4): the same order, skips,
// credential checks and recording as Next, ending at the first route that is prepared. No child runs,
// so nothing is judged or written back here; a credential a CLI changed in the managed dir is taken
// at the next run (Prepared.Pending). When nothing is left the error is Next's *NoRouteError.
func (p *Planner) PrepareFirst(ctx context.Context) (*inject.Prepared, Route, error) {
	a, d, err := p.next(ctx)
	switch {
	case err != nil:
		return nil, Route{}, err
	case d.Action == supervise.Exit:
		return nil, Route{}, d.Err
	case d.Action == supervise.Wait:
		// Only ExecOptions.Wait asks to wait, and env has no --wait: say what is left instead.
		p.opts.Wait = false
		return nil, Route{}, p.noRoute(ctx, p.opts.Now()).Err
	}
	return a.prepared, a.Route, nil
}

// prepareOrder fixes the route order at the first call (affinity, strategy, round-robin cursor) and
// revives dead accounts whose credential changed since (SPEC §8.3). It returns current health.
//
// Most runs change nothing here, so the store is read without the lock and only rewritten (lock,
// fsync, rename) when a cursor must advance or a dead account's credential changed: the write is
// most of what oauth-mux adds to a short command's latency.
func (p *Planner) prepareOrder(ctx context.Context, now time.Time) (*state.Health, error) {
	first := p.order == nil
	if h, err := p.store.Snapshot(ctx); err == nil && h != nil && !p.mustWrite(h, first) {
		p.flushWarnings()
		if first {
			for _, c := range Evaluate(p.plan, h, 0, now) {
				p.order = append(p.order, c.Route)
			}
		}
		return h, nil
	}
	ops := ReviveOps(p.plan.Routes, now)
	cursor := &state.AdvanceCursor{}
	if first && p.roundRobin() {
		cursor.Profile = p.plan.Profile
		ops = append(ops, cursor)
	}
	err := p.store.Apply(ctx, ops...)
	var h *state.Health
	if err == nil {
		if h, err = p.store.Snapshot(ctx); err == nil && first {
			p.order = nil
			for _, c := range Evaluate(p.plan, h, cursor.Cursor, now) {
				p.order = append(p.order, c.Route)
			}
		}
	}
	p.flushWarnings()
	if err != nil {
		// A health store that cannot be written must not stop the user's command: plan on what we
		// can read, or on nothing recorded.
		Warnf(p.opts.Notify, "health store: %v", err)
		if h, err = p.store.Snapshot(ctx); err != nil || h == nil {
			h = state.NewHealth()
		}
		if first && p.order == nil {
			// The cursor the failed operation took, when it got that far: round-robin still rotates.
			for _, c := range Evaluate(p.plan, h, cursor.Cursor, now) {
				p.order = append(p.order, c.Route)
			}
		}
	}
	return h, nil
}

// flushWarnings shows the store's new warnings (a damaged store moved aside) once each: the store
// only finds damage when it reads the file, which happens here, not before the run.
func (p *Planner) flushWarnings() {
	ws := p.store.Warnings()
	for _, w := range ws[min(p.warned, len(ws)):] {
		Warnf(p.opts.Notify, "%s", w)
	}
	p.warned = max(p.warned, len(ws))
}

func (p *Planner) roundRobin() bool {
	return p.plan.Strategy.Kind == config.RoundRobin && p.plan.Profile != ""
}

// mustWrite says whether prepareOrder has something to record: a round-robin cursor to advance, or a
// dead account whose credential file changed since it died.
func (p *Planner) mustWrite(h *state.Health, first bool) bool {
	if first && p.roundRobin() {
		return true
	}
	for _, r := range p.plan.Routes {
		if dead := h.DeadFingerprint(r.AccountKey()); dead != "" {
			if fp := credentialFingerprint(r); fp != "" && fp != dead {
				return true
			}
		}
	}
	return false
}

// credentialFingerprint is the fingerprint of the account's credential file (file, sops and age
// secrets), "" for secrets that live elsewhere.
func credentialFingerprint(r Route) string {
	if f := inject.CredentialFile(r.Acct.Secret); f != "" {
		return state.Fingerprint(f)
	}
	return ""
}

func (p *Planner) prepare(ctx context.Context, r Route) (*Attempt, error) {
	req := p.opts.Request(p.cfg, p.plan, r, p.started+1)
	prep, err := inject.Prepare(ctx, req)
	RecordRefresh(ctx, p.rec, r, prep, err)
	if err != nil {
		return nil, err
	}
	for _, w := range []string{prep.Pending.Warning(), prep.RefreshWarning} {
		if w != "" {
			p.notify("%s", w)
		}
	}
	if p.plan.SpendRefused(prep.Metered) {
		p.notify("skipping %s: its credential is a metered API key and the profile does not allow metered accounts", r.Key())
		p.last[r.Key()] = SkipMetered
		return nil, nil
	}
	m, err := p.matcher(r)
	if err != nil {
		return nil, err
	}
	p.started++
	// The child's world is the prepared one plus the mark that it is a child of exec (env prints no
	// such mark: see inject.CheckNesting).
	env := append(slices.Clone(prep.Env), inject.EnvExecChild+"=1")
	return &Attempt{Number: p.started, Route: r, Argv: p.opts.Argv, Env: env, Dir: p.opts.Dir,
		Matcher: m, Batch: r.Def.Batch(p.opts.Argv), prepared: prep}, nil
}

func (p *Planner) matcher(r Route) (*classify.Matcher, error) {
	if m, ok := p.matchers[r.Provider]; ok {
		return m, nil
	}
	// Config validation compiled the config's rules; the built-in packs are tested.
	m := classify.CompileLazy(r.Def.OutputRules)
	p.matchers[r.Provider] = m
	return m, nil
}

func (p *Planner) recordCredential(ctx context.Context, r Route, ce *inject.CredentialError, now time.Time) {
	v := ce.Verdict
	if v.Source == "" {
		v.Source = classify.SourceCredentialValidation
	}
	ev := state.Evidence{Decision: "next_route", Fingerprint: credentialFingerprint(r)}
	p.rec.Verdict(ctx, r, v, ev, now)
	p.flushWarnings()
	p.rec.Event(ctx, r, state.Event{Ts: now, Kind: state.KindRouteVerdict, Outcome: string(v.Class), Reason: string(v.Reason)})
	p.last[r.Key()] = v.String()
	p.credErr[r.Key()] = ce
	p.notify("%s: %s", r.Key(), ce.Error())
	Hints(p.opts.Notify, ce.Hints())
}

// Record implements supervise.Planner: it judges an ended attempt, records it, and decides the next
// step (Retry on another route, Done with the child's status, or Exit when the program could not be
// started).
func (p *Planner) Record(ctx context.Context, sa supervise.Attempt, e supervise.Outcome) supervise.Decision {
	a := p.running[sa.Number]
	delete(p.running, sa.Number)
	if a == nil {
		return supervise.Decision{Action: supervise.Done}
	}
	now := p.opts.Now()
	conflict := false
	if a.prepared != nil {
		res, err := a.prepared.WriteBack(ctx)
		if err != nil {
			Warnf(p.opts.Notify, "write-back of %s's credential: %v", a.Route.AccountKey(), err)
		} else if w := res.Warning(); w != "" {
			p.notify("%s", w)
		}
		conflict = res.PoolConflict
	}
	if e.Err != nil {
		// The program could not be started (126/127): no route's fault, and cmd reports the error.
		p.addReport(a, e, classify.Verdict{Class: classify.ChildFailure}, "finish")
		return supervise.Decision{Action: supervise.Exit, ExitCode: e.ExitCode, Err: e.Err}
	}
	cev := e.Evidence
	cev.ExitCode, cev.Signal, cev.Stopped = e.ExitCode, int(e.Signal), e.StoppedOnLimit && cev.Live != nil
	v := classify.Judge(cev, a.Matcher, now, p.opts.Loc)
	v.Source = classify.SourceChildOutput
	// --on-limit ignore: the limit an interactive child showed is recorded, while the child's own
	// exit decides the run (SPEC §6.2 step 3).
	recorded, ignored := v, false
	if lv, ok := classify.LiveVerdict(cev, a.Matcher, now, p.opts.Loc); ok && !cev.Stopped && !v.IsRouteFailure() {
		lv.Source = classify.SourceChildOutput
		recorded, ignored = lv, true
	}

	d := policy.After(policy.Situation{Verdict: v, Attempts: p.attempts(), Replayable: e.Replayable})
	decision := string(d.Step)

	exit := e.ExitCode
	ev := state.Evidence{ExitStatus: &exit, Rule: recorded.Rule, RetryAfterS: recorded.RetryAfterS,
		ResetAt: utc(recorded.ResetAt), Decision: decision}
	r := a.Route
	also := []state.Op{state.CountRun{AccountKey: r.AccountKey(), At: now}}
	if recorded.Class == classify.Success && p.plan.Profile != "" {
		also = append(also, state.SetAffinity{Profile: p.plan.Profile, RouteKey: r.Key(), At: now})
	}
	p.rec.Verdict(ctx, r, recorded, ev, now, also...)
	if conflict && p.rec.Store != nil {
		// After the verdict: this run's success was on the credential the pool no longer holds.
		if err := p.rec.Store.Apply(ctx, state.Suspect{AccountKey: r.AccountKey(), Reason: "credential_conflict", At: now}); err != nil {
			p.rec.warn("health store: %v", err)
		}
	}
	p.flushWarnings()
	fields := map[string]any{"attempt": a.Number, "program": programName(a.Argv), "exit_status": e.ExitCode,
		"verdict": string(recorded.Class), "rule": recorded.Rule, "duration_ms": e.Duration.Milliseconds()}
	if recorded.ResetAt != nil {
		fields["reset_at"] = recorded.ResetAt.UTC().Format(time.RFC3339)
	}
	p.rec.Event(ctx, r, state.Event{Ts: now, Kind: state.KindExecAttempt, Outcome: decision, Reason: string(recorded.Reason), Fields: fields})
	p.addReport(a, e, recorded, decision)
	p.last[r.Key()] = Describe(recorded)
	if ignored {
		return supervise.Decision{Action: supervise.Done, Message: r.Key() + " " + Describe(recorded) + "; not restarting: the child went on and its own exit decides"}
	}

	if d.Action == supervise.Retry {
		if d.Step == policy.SkipProvider {
			p.skipProv[r.Provider] = true
		}
		why := string(v.Reason) // dead(token_revoked) fails over for token_revoked, not "dead"
		if why == "" {
			why = string(v.Class)
		}
		p.rec.Event(ctx, r, state.Event{Ts: now, Kind: state.KindExecFailover, Outcome: decision, Reason: why})
		return supervise.Decision{Action: supervise.Retry, Message: r.Key() + " " + Describe(v)}
	}
	if d.Why != "" {
		return supervise.Decision{Action: supervise.Done, Message: r.Key() + " " + Describe(v) + "; not restarting: " + d.Why}
	}
	return supervise.Decision{Action: supervise.Done}
}

// Describe is a verdict as messages show it: "quota_exhausted until 2026-12-02T15:00:00Z".
func Describe(v classify.Verdict) string {
	s := v.String()
	if v.ResetAt != nil {
		s += " until " + v.ResetAt.UTC().Format(time.RFC3339)
	}
	return s
}

func programName(argv []string) string {
	if len(argv) == 0 {
		return ""
	}
	return filepath.Base(argv[0])
}

func (p *Planner) apply(ctx context.Context, ops ...state.Op) {
	if err := p.store.Apply(ctx, ops...); err != nil {
		Warnf(p.opts.Notify, "health store: %v", err)
	}
	p.flushWarnings()
}

// noRoute explains why nothing is left and decides about --wait.
func (p *Planner) noRoute(ctx context.Context, now time.Time) supervise.Decision {
	h, err := p.store.Snapshot(ctx)
	if err != nil || h == nil {
		h = state.NewHealth()
	}
	type line struct {
		text  string
		until time.Time
	}
	var lines []line
	var earliest time.Time
	var earliestKey string
	for _, r := range p.order {
		st := h.Status(r.AccountKey(), r.Key(), now)
		var l line
		switch {
		case !st.Selectable:
			l.text = fmt.Sprintf("%s  %s", r.Key(), st.SkipReason)
			if st.Reason != "" && st.Reason != st.SkipReason {
				l.text += "(" + st.Reason + ")"
			}
			if st.Until != nil {
				l.until = *st.Until
				l.text += " until " + st.Until.UTC().Format(time.RFC3339)
				if earliest.IsZero() || st.Until.Before(earliest) {
					earliest, earliestKey = *st.Until, r.Key()
				}
			}
		case p.skipProv[r.Provider]:
			l.text = fmt.Sprintf("%s  skipped: provider degraded", r.Key())
		case p.last[r.Key()] != "":
			l.text = fmt.Sprintf("%s  %s", r.Key(), p.last[r.Key()])
		case p.plan.SpendRefused(r.Acct.Metered()):
			l.text = fmt.Sprintf("%s  skipped: metered account (set \"allow_metered\": true on the profile to use it)", r.Key())
		case p.tried[r.Key()]:
			l.text = fmt.Sprintf("%s  tried", r.Key())
		default:
			l.text = fmt.Sprintf("%s  not tried: attempt limit reached", r.Key())
		}
		lines = append(lines, l)
	}
	// The earliest reset goes last, where the eye lands; routes that will not reset come first.
	sort.SliceStable(lines, func(i, j int) bool {
		a, b := lines[i].until, lines[j].until
		if a.IsZero() != b.IsZero() {
			return a.IsZero()
		}
		return a.After(b)
	})
	nre := &NoRouteError{Label: p.plan.Label, Profile: p.plan.Profile, Resets: !earliest.IsZero(), Logins: deadLogins(h, p.order, now)}
	if len(p.order) == 1 {
		if ce := p.credErr[p.order[0].Key()]; ce != nil {
			nre.Cause = ce
		}
	}
	if nre.Cause == nil && p.refreshErr != nil && p.started == 0 {
		nre.Cause = p.refreshErr
	}
	for _, l := range lines {
		nre.Lines = append(nre.Lines, l.text)
	}
	if p.attempts().Exhausted() {
		return supervise.Decision{Action: supervise.Exit, Err: nre}
	}
	w := policy.NoRouteLeft(p.opts.Wait, p.opts.WaitMax, now, earliest)
	if w.Wait {
		// After the wait every route is worth another look.
		clear(p.tried)
		clear(p.skipProv)
		return supervise.Decision{Action: supervise.Wait, WaitUntil: w.Until, WaitFor: earliestKey}
	}
	nre.Why = w.Why
	return supervise.Decision{Action: supervise.Exit, Err: nre}
}

// deadLogins are the login commands of the providers whose accounts among rs are dead, once each.
func deadLogins(h *state.Health, rs []Route, now time.Time) []string {
	var out []string
	for _, r := range rs {
		if st := h.Status(r.AccountKey(), r.Key(), now); st.SkipReason != state.SkipDead || len(r.Def.Repair.LoginCommand) == 0 {
			continue
		}
		if c := strings.Join(r.Def.Repair.LoginCommand, " "); !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// Report is the --json-report document (SPEC §6.2): no arguments, no output text, no tokens.
type Report struct {
	Version  int             `json:"version"`
	Profile  string          `json:"profile"`
	Attempts []ReportAttempt `json:"attempts"`
	ExitCode int             `json:"exit_code"`
	Reason   string          `json:"reason"`
}

// ReportAttempt is one attempt of the report.
type ReportAttempt struct {
	Attempt    int           `json:"attempt"`
	Provider   string        `json:"provider"`
	Account    string        `json:"account"`
	Capability string        `json:"capability"`
	StartedAt  time.Time     `json:"started_at"`
	DurationMS int64         `json:"duration_ms"`
	ExitCode   int           `json:"exit_code"`
	Signal     int           `json:"signal"`
	Verdict    ReportVerdict `json:"verdict"`
	Decision   string        `json:"decision"`
}

// ReportVerdict is the verdict part of a report attempt.
type ReportVerdict struct {
	Class   string     `json:"class"`
	Reason  string     `json:"reason"`
	Rule    string     `json:"rule"`
	ResetAt *time.Time `json:"reset_at"`
}

func (p *Planner) addReport(a *Attempt, e supervise.Outcome, v classify.Verdict, decision string) {
	p.report.Attempts = append(p.report.Attempts, ReportAttempt{
		Attempt: a.Number, Provider: a.Route.Provider, Account: a.Route.Account, Capability: a.Route.Capability,
		StartedAt: e.StartedAt.UTC(), DurationMS: e.Duration.Milliseconds(), ExitCode: e.ExitCode, Signal: int(e.Signal),
		Verdict:  ReportVerdict{Class: string(v.Class), Reason: string(v.Reason), Rule: v.Rule, ResetAt: utc(v.ResetAt)},
		Decision: decision,
	})
}

// Report returns the run's report with its final exit code and reason.
func (p *Planner) Report(exitCode int, reason string) Report {
	r := p.report
	r.Attempts = slices.Clone(r.Attempts)
	if r.Attempts == nil {
		r.Attempts = []ReportAttempt{}
	}
	r.ExitCode, r.Reason = exitCode, strings.TrimSpace(reason)
	return r
}
