// Package repair runs the repair routes/explain chose for a route: oauth-mux's own forced token
// refresh, or the provider's login with the account's config dir and the terminal inherited, under
// the account lock, then checks that the login left its session behind and revives the account.
//
// It must not choose a repair (explain.ChooseRepair does), run one that was not confirmed, or
// render a result: cmd prints what Run returns.
package repair

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/inject"
	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/providers"
	"github.com/oauth-mux/oauth-mux/routes"
	"github.com/oauth-mux/oauth-mux/routes/explain"
	"github.com/oauth-mux/oauth-mux/routes/renew"
	"github.com/oauth-mux/oauth-mux/state"
)

// Options is what a repair runs with.
type Options struct {
	// Fleet, for a shared pool, makes a refresh the pool's one (see inject.Fleet).
	Fleet    inject.Fleet
	Config   *config.Config
	Store    state.Backend
	StateDir string
	// Profile is the explained profile ("" for none): the refresh records with its scoring.
	Profile string
	// Env is the invocation's environment, the base of the login's.
	Env omux.Environ
	// Stdin, Stdout and Stderr are the login's terminal. With JSONOut the login's stdout goes to
	// Stderr: the JSON result owns stdout.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	JSONOut        bool
	Notify         routes.Notifier
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// Result is how a repair ended. Outcome is one of explain's Repair* outcomes.
type Result struct {
	Outcome  string
	ExitCode int
	OK       bool
	Message  string
	Next     []string
	Refresh  *routes.RefreshResult
	InProg   *explain.RepairInProgress
}

func failed(code int, format string, args ...any) Result {
	return Result{Outcome: explain.RepairFailed, ExitCode: code, Message: fmt.Sprintf(format, args...)}
}

// Run runs t's repair action. The login takes the account lock without waiting, so a second repair
// reports repair_in_progress instead of racing the first login.
func Run(ctx context.Context, t *explain.RouteReport, o Options) Result {
	if t.Action.Kind == explain.ActRefresh {
		return refresh(ctx, t, o)
	}
	lock, err := state.LockAccount(ctx, o.StateDir, t.Provider, t.Account, false)
	if err != nil {
		var he *state.HeldError
		if errors.As(err, &he) {
			return Held(t, he.StartedAt)
		}
		return failed(1, "account lock of %s: %v", t.Key, err)
	}
	defer lock.Release()
	if res, ok := login(ctx, t, o); !ok {
		return res
	}
	// A login that exits 0 without leaving its session files behind did not log in (a cancelled
	// device flow, a CLI that ignores the config dir variable).
	rd := explain.CheckReadiness(o.Config, t.Provider, t.Account, explain.ReadinessOptions{Getenv: o.Env.Get, StateDir: o.StateDir})
	for _, is := range rd.Issues {
		if is.Kind == explain.IssueSessionFileMissing {
			return failed(1, "%s exited 0 but the session file %s is still missing: %s is not repaired", t.Action.Argv[0], is.Detail, t.Key)
		}
	}
	// The login succeeded: the account is usable again but unconfirmed until a run or probe says so.
	if err := o.Store.Apply(ctx, &state.Revive{AccountKey: omux.Account(t.Provider, t.Account).String(), Reason: "repaired", At: o.now()}); err != nil {
		routes.Warnf(o.Notify, "health store: %v", err)
	}
	return Result{Outcome: explain.RepairSucceeded, OK: true, Message: fmt.Sprintf("%s repaired (%s)", t.Key, t.Action.Kind),
		Next: []string{fmt.Sprintf("oauth-mux route explain --provider %s --account %s", t.Provider, t.Account)}}
}

// refresh is the repair that is oauth-mux's own: a forced token refresh of the account.
func refresh(ctx context.Context, t *explain.RouteReport, o Options) Result {
	if held, since := state.IsAccountLocked(o.StateDir, t.Provider, t.Account); held {
		return Held(t, since)
	}
	plan, err := routes.Resolve(o.Config, routes.Selector{Provider: t.Provider, Account: t.Account, Capability: t.Capability})
	if err == nil && len(plan.Routes) == 0 {
		err = errors.New("no route")
	}
	if err != nil {
		return failed(1, "refresh of %s: %v", t.Key, err)
	}
	// renew.Account takes the account lock itself (waiting): a flock is per open file, so this
	// process must not hold it at the same time.
	rec := routes.AccountRecorder(o.Config, o.Store, o.StateDir, o.Profile, o.Notify)
	rr := renew.Account(ctx, rec, plan.Routes[0], renew.Options{Trigger: "repair",
		SecretEnv: inject.Env{Environ: o.Env, Stdin: o.Stdin}, Force: true, Fleet: o.Fleet})
	if rr.ExitCode == 0 {
		return Result{Outcome: explain.RepairSucceeded, OK: true, Message: fmt.Sprintf("%s refreshed", t.Key), Refresh: &rr}
	}
	res := failed(rr.ExitCode, "refresh of %s: %s", t.Key, rr.Message)
	res.Refresh = &rr
	return res
}

// login runs the provider's login with the account's config dir. It reports false, with the
// result, when the login did not succeed.
func login(ctx context.Context, t *explain.RouteReport, o Options) (Result, bool) {
	a := t.Action
	path, err := providers.LookPath(a.Argv[0], o.Env.Get("PATH"))
	if err != nil {
		return Result{Outcome: explain.RepairExecutorNotFound, ExitCode: 127,
			Message: fmt.Sprintf("%s: command not found on PATH", a.Argv[0])}, false
	}
	// A login writes into the config dir; creating it is part of the confirmed repair.
	for _, dir := range a.Env {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return failed(1, "config dir: %v", err), false
		}
	}
	env := append(omux.Environ{}, o.Env...)
	for k, v := range a.Env {
		env = append(env, k+"="+v)
	}
	cmd := exec.CommandContext(ctx, path, a.Argv[1:]...)
	cmd.Args[0] = a.Argv[0]
	cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = env, o.Stdin, o.Stdout, o.Stderr
	if o.JSONOut {
		cmd.Stdout = o.Stderr
	}
	cmd.WaitDelay = 2 * time.Second
	routes.Infof(o.Notify, "repairing %s: %s", t.Key, a.Command)
	if err := cmd.Run(); err != nil {
		status := 1
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Exited() {
				status = ws.ExitStatus()
			}
		}
		return failed(1, "%s exited with status %d: %s is not repaired", a.Argv[0], status, t.Key), false
	}
	return Result{}, true
}

// Held is the result when another process holds t's account lock (since is zero when unknown).
func Held(t *explain.RouteReport, since time.Time) Result {
	rip := &explain.RepairInProgress{Account: omux.Account(t.Provider, t.Account).String()}
	if !since.IsZero() {
		s := since.UTC()
		rip.StartedAt = &s
	}
	return Result{Outcome: explain.RepairInProgressOut, ExitCode: 1, InProg: rip, Message: InProgressMessage(rip)}
}

// InProgressMessage says who holds a repair (rip may be nil).
func InProgressMessage(rip *explain.RepairInProgress) string {
	if rip == nil {
		return "a repair is already in progress"
	}
	if rip.StartedAt != nil {
		return fmt.Sprintf("repair_in_progress: %s is being repaired by another process since %s", rip.Account, rip.StartedAt.Format(time.RFC3339))
	}
	return fmt.Sprintf("repair_in_progress: %s is being repaired by another process", rip.Account)
}

// Event is the repair_run event of one call: route identity, outcome and the action's kind, never
// the command line, the config dir (a path) or anything the executor printed. t is nil when no
// route was chosen.
func Event(profile string, t *explain.RouteReport, confirmed bool, res Result, now time.Time) state.Event {
	ev := state.Event{Ts: now, Kind: state.KindRepairRun, Profile: profile, Outcome: res.Outcome,
		Fields: map[string]any{"confirmed": confirmed, "exit_code": res.ExitCode}}
	if t != nil {
		ev.Provider, ev.Account, ev.Capability = t.Provider, t.Account, t.Capability
		ev.Reason = t.Action.Kind
		ev.Fields["interactive"] = t.Action.Interactive
		ev.Fields["mutating"] = t.Action.Mutating
		ev.Fields["budget"] = t.Action.Budget
	}
	return ev
}
