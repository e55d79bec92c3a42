package repair

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/routes/explain"
)

func TestEventNamesTheRouteNeverTheCommand(t *testing.T) {
	target := &explain.RouteReport{Key: "codex:a1#codex-max", Provider: "codex", Account: "a1", Capability: "codex-max",
		Action: explain.Action{Kind: explain.ActReauth, Command: "codex login --secret-arg", Argv: []string{"codex", "login", "--secret-arg"},
			Env: map[string]string{"CODEX_HOME": "/home/u/.codex-a1"}, Interactive: true, Budget: "interactive"}}
	ev := Event("codex-max", target, true, Result{Outcome: explain.RepairFailed, ExitCode: 1}, time.Unix(0, 0))
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{"--secret-arg", "/home/u/.codex-a1", "CODEX_HOME"} {
		if strings.Contains(string(b), leak) {
			t.Errorf("repair event carries %q: %s", leak, b)
		}
	}
	if ev.Provider != "codex" || ev.Account != "a1" || ev.Reason != explain.ActReauth || ev.Outcome != explain.RepairFailed ||
		ev.Fields["interactive"] != true || ev.Fields["confirmed"] != true {
		t.Errorf("event %+v", ev)
	}
	if none := Event("", nil, false, Result{Outcome: explain.RepairNoop}, time.Unix(0, 0)); none.Provider != "" || none.Fields["confirmed"] != false {
		t.Errorf("event without a target %+v", none)
	}
}

func TestHeld(t *testing.T) {
	target := &explain.RouteReport{Key: "codex:a1#codex-max", Provider: "codex", Account: "a1"}
	since := time.Date(2026, 12, 2, 10, 0, 0, 0, time.FixedZone("x", 3600))
	r := Held(target, since)
	if r.Outcome != explain.RepairInProgressOut || r.ExitCode != 1 || r.InProg == nil || r.InProg.Account != "codex:a1" ||
		!strings.HasSuffix(r.Message, "since 2026-12-02T09:00:00Z") {
		t.Fatalf("held %+v (%s)", r, r.Message)
	}
	if r := Held(target, time.Time{}); r.InProg.StartedAt != nil || strings.Contains(r.Message, "since") {
		t.Fatalf("held without a start %+v", r)
	}
}
