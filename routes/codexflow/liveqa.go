package codexflow

import (
	"context"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/routes"
	"github.com/oauth-mux/oauth-mux/routes/probe"
	"github.com/oauth-mux/oauth-mux/state"
)

// LiveQAConfirm is the value of OMUX_LIVE_QA_CONFIRM that consents to live-qa's real calls, as
// --confirm-spend does.
const LiveQAConfirm = "spend-real-calls"

// LiveQA is what probing every route said: per route, and per capability whether some account still
// covers it. routes_unavailable may be non-zero while ok is true.
type LiveQA struct {
	Action                string         `json:"action"`
	OK                    bool           `json:"ok"`
	Routes                []probe.Result `json:"routes"`
	RoutesUsable          int            `json:"routes_usable"`
	RoutesUnavailable     int            `json:"routes_unavailable"`
	Capabilities          []Coverage     `json:"capabilities"`
	CapabilitiesUncovered int            `json:"capabilities_uncovered"`
}

// ProbeAll runs every route's probe (each one: it does not stop at the first usable route) and
// records each verdict. Each probe of a codex capability is a real `codex exec`: it spends. The
// caller has the user's consent.
func ProbeAll(ctx context.Context, cfg *config.Config, plan *routes.Plan, store state.Backend, opts probe.Options) *LiveQA {
	qa := &LiveQA{Action: "codex_live_qa", Routes: []probe.Result{}, Capabilities: []Coverage{}}
	byCap := map[string]*Coverage{}
	for _, r := range plan.Routes {
		single := *plan
		single.Routes = []routes.Route{r}
		rep, _ := probe.Run(ctx, cfg, &single, store, opts)
		res := probe.Result{Key: r.Key(), Provider: r.Provider, Account: r.Account, Capability: r.Capability, Outcome: probe.OutcomeError}
		if len(rep.Routes) > 0 {
			res = rep.Routes[0]
		}
		qa.Routes = append(qa.Routes, res)
		cv := byCap[r.Capability]
		if cv == nil {
			cv = &Coverage{Capability: r.Capability, Ready: []string{}}
			byCap[r.Capability] = cv
		}
		cv.Routes++
		if res.Outcome == probe.OutcomeUsable {
			qa.RoutesUsable++
			cv.Ready = append(cv.Ready, res.Key)
		} else {
			qa.RoutesUnavailable++
		}
		if ctx.Err() != nil {
			break
		}
	}
	qa.Capabilities, qa.CapabilitiesUncovered = coverageOf(byCap)
	qa.OK = qa.CapabilitiesUncovered == 0 && len(qa.Capabilities) > 0
	return qa
}
