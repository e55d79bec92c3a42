package cmd

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/examples"
	"github.com/oauth-mux/oauth-mux/routes"
	"github.com/oauth-mux/oauth-mux/state"
)

func TestDemoEnv(t *testing.T) {
	parent := []string{"PATH=/bin", "OMUX_STATE_DIR=/home/u/state", "OMUX_DEMO_ALPHA_TOKEN=users-own",
		"OMUX_ACTIVE_PROVIDER=demo", "OMUX_ACTIVE_ACCOUNT=x", "HOME=/home/u"}
	got := demoEnv(parent, "/tmp/d")
	want := []string{"PATH=/bin", "HOME=/home/u", "OMUX_STATE_DIR=/tmp/d",
		"OMUX_DEMO_ALPHA_TOKEN=" + demoAlphaToken, "OMUX_DEMO_BETA_TOKEN=" + demoBetaToken}
	if !slices.Equal(got, want) {
		t.Errorf("demoEnv:\n got %q\nwant %q", got, want)
	}
}

// The embedded config must give the demo its story: alpha first, then beta, both readable from the
// demo's own env.
func TestDemoConfigPlan(t *testing.T) {
	app := newApp(demoEnv(nil, t.TempDir()), Stdio{})
	cfg, err := config.Parse(examples.Demo(), "demo.config.json", app.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	app.useConfig(cfg)
	if got, _ := app.Config(); got != cfg {
		t.Fatal("useConfig: Config() did not return the injected config")
	}
	plan, err := routes.Resolve(cfg, routes.Selector{Profile: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, c := range routes.Evaluate(plan, state.NewHealth(), 0, time.Now()) {
		keys = append(keys, c.Key())
	}
	if want := []string{"demo:alpha#chat", "demo:beta#chat"}; !slices.Equal(keys, want) {
		t.Errorf("demo order %q, want %q", keys, want)
	}
}

func TestDemoChild(t *testing.T) {
	run := func(env ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Main([]string{demoChildCommand}, env, Stdio{Out: &out, Err: &errb})
		return code, out.String(), errb.String()
	}
	code, out, errs := run("OMUX_ACTIVE_ACCOUNT=alpha", "DEMO_TOKEN="+demoAlphaToken)
	if code != 1 || !strings.Contains(errs, "demo: usage limit reached, resets in 2 hours\n") {
		t.Errorf("alpha: exit %d, stderr %q; want 1 and the usage-limit line", code, errs)
	}
	code, out2, errs2 := run("OMUX_ACTIVE_ACCOUNT=beta", "DEMO_TOKEN="+demoBetaToken)
	if code != 0 || !strings.HasSuffix(out2, "done.\n") || errs2 != "" {
		t.Errorf("beta: exit %d, stdout %q, stderr %q; want 0 and done", code, out2, errs2)
	}
	if code, _, errs := run("OMUX_ACTIVE_ACCOUNT=alpha"); code != 2 || !strings.Contains(errs, "not signed in") {
		t.Errorf("no token: exit %d, stderr %q", code, errs)
	}
	for _, s := range []string{out, errs, out2, errs2} {
		if strings.Contains(s, "omux-demo-") {
			t.Errorf("the demo CLI printed its token: %q", s)
		}
	}
}

func TestDescribeEvent(t *testing.T) {
	e := state.Event{Kind: state.KindExecAttempt, Provider: "demo", Account: "alpha", Capability: "chat",
		Outcome: "fail_over", Fields: map[string]any{"verdict": "quota_exhausted", "attempt": 1, "rule": ""}}
	want := "exec_attempt   demo:alpha#chat  fail_over attempt=1 verdict=quota_exhausted"
	if got := describeEvent(e); got != want {
		t.Errorf("describeEvent = %q, want %q", got, want)
	}
	e = state.Event{Kind: state.KindRouteVerdict, Provider: "p", Account: "a", Outcome: "dead", Reason: "token_revoked"}
	if got, want := describeEvent(e), "route_verdict  p:a  dead (token_revoked)"; got != want {
		t.Errorf("describeEvent = %q, want %q", got, want)
	}
}
