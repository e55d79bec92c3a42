package inventory

import (
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/state"
)

// codexMax is the config `init --codex-max` writes.
func codexMax(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Parse(config.CodexMax(func(string) string { return "" }), "codex-max", func(k string) string {
		if k == "HOME" {
			return "/home/u"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestCodexMaxConfigured(t *testing.T) {
	cfg := codexMax(t)
	if !CodexConfigured(cfg) || !CodexMaxConfigured(cfg) {
		t.Fatal("init --codex-max's config must count as the Codex Max shape")
	}
	delete(cfg.Providers["codex"].Accounts, "max-3")
	if CodexMaxConfigured(cfg) {
		t.Fatal("two accounts are not the Codex Max shape")
	}
	if CodexConfigured(nil) || CodexMaxConfigured(nil) {
		t.Fatal("no config, no codex")
	}
}

func TestAccountsInventory(t *testing.T) {
	cfg := codexMax(t)
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	until := now.Add(time.Hour)
	h := state.NewHealth()
	h.Records["codex:max-2#codex-max"] = &state.Record{Liveness: state.Liveness{State: state.StateLive, Availability: state.QuotaExhausted, WindowResetsAt: &until}}
	entries := Accounts(cfg, "codex", "/state", h, now)
	if len(entries) != 3 || entries[0].Key != "codex:max-1" || entries[1].Key != "codex:max-2" {
		t.Fatalf("entries %+v", entries)
	}
	e := entries[1]
	if e.Health != nil || len(e.Routes) != 1 || e.Routes[0].Key != "codex:max-2#codex-max" || e.Routes[0].Until == nil {
		t.Fatalf("max-2 health %+v routes %+v", e.Health, e.Routes)
	}
	if len(entries[0].Routes) != 0 || entries[0].Routes == nil {
		t.Fatalf("an unrecorded account has an empty, non-nil route list: %+v", entries[0].Routes)
	}
	if Accounts(cfg, "nope", "/state", h, now) != nil {
		t.Fatal("another provider's filter must list nothing")
	}
}

func TestClassifyConfig(t *testing.T) {
	_, err := config.Parse([]byte(`{"version": 1, "providers": 3}`), "x", func(string) string { return "" })
	cs := ClassifyConfig("/c.json", nil, err)
	if !cs.Found || cs.Valid || cs.Error != "invalid" || len(cs.Problems) == 0 {
		t.Fatalf("invalid config classified as %+v", cs)
	}
	cs = ClassifyConfig("/c.json", nil, &config.NotFoundError{Path: "/c.json"})
	if cs.Found || cs.Error != "not_found" {
		t.Fatalf("missing config classified as %+v", cs)
	}
}
