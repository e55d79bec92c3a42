//go:build unix

package providers_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/oauth-mux/oauth-mux/classify"
	"github.com/oauth-mux/oauth-mux/providers"
	"github.com/oauth-mux/oauth-mux/testkit/fakecli"
)

// fakeBin writes a /bin/sh script called name into a fresh PATH dir: the stand-in for a real CLI.
func fakeBin(t *testing.T, name, script string) (dir string, env []string) {
	t.Helper()
	dir = t.TempDir()
	if err := fakecli.WriteExecutable(filepath.Join(dir, name), []byte("#!/bin/sh\n"+script+"\n")); err != nil {
		t.Fatal(err)
	}
	return dir, []string{"PATH=" + dir + ":/usr/bin:/bin", "HOME=" + dir}
}

func runCmdProbe(t *testing.T, def providers.Definition, capName string, env []string) (providers.ProbeEvidence, classify.Verdict) {
	t.Helper()
	ev, v, err := providers.RunProbe(context.Background(), def, capName, canaryToken, env, providers.ProbeOptions{
		Now: func() time.Time { return time.Date(2025, 11, 12, 11, 47, 4, 0, time.UTC) }, Loc: time.UTC})
	if err != nil {
		t.Fatalf("RunProbe: %v", err)
	}
	assertNoCanary(t, ev, v)
	return ev, v
}

func builtin(t *testing.T, name string) providers.Definition {
	t.Helper()
	d, ok := providers.Builtin(name)
	if !ok {
		t.Fatalf("no built-in %s", name)
	}
	return d
}

func withTimeout(def providers.Definition, capName string, ms int) providers.Definition {
	for i := range def.Capabilities {
		if def.Capabilities[i].Name == capName {
			def.Capabilities[i].Probe.TimeoutMS = &ms
		}
	}
	return def
}

func TestClaudeAuthStatus(t *testing.T) {
	t.Parallel()
	def := builtin(t, "claude")
	// claude auth status --json as Claude Code prints it; logged out, it says so and exits 1.
	for _, tc := range []struct {
		name, script string
		want         string
	}{
		{"logged-in", `[ "$*" = "auth status --json" ] || exit 9
printf '{\n  "loggedIn": true,\n  "authMethod": "claude.ai",\n  "apiProvider": "firstParty",\n  "subscriptionType": "max"\n}\n'`, "success"},
		{"logged-out", `printf '{\n  "loggedIn": false,\n  "authMethod": "none",\n  "apiProvider": "firstParty"\n}\n'; exit 1`, "dead(auth_permanently_failed)"},
		{"logged-out-compact-exit-0", `echo '{"loggedIn":false}'`, "dead(auth_permanently_failed)"},
		{"oauth-expired-on-stderr", `echo 'OAuth token has expired. Please obtain a new token or refresh your existing token.' >&2; exit 1`, "dead(credential_expired)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, env := fakeBin(t, "claude", tc.script)
			ev, v := runCmdProbe(t, def, "auth-status", env)
			if v.String() != tc.want {
				t.Errorf("verdict %s (%s), want %s; evidence %+v", v, v.Rule, tc.want, ev)
			}
		})
	}
}

func TestFlakeHubStatus(t *testing.T) {
	t.Parallel()
	def := builtin(t, "flakehub")
	_, env := fakeBin(t, "determinate-nixd", `[ "$1" = status ] || exit 9
echo "Determinate Nixd is running."
echo "You are logged in to FlakeHub."`)
	ev, v := runCmdProbe(t, def, "status", env)
	if v.Class != classify.Success || ev.Status != 200 || ev.Program != "determinate-nixd" || *ev.ExitCode != 0 {
		t.Errorf("logged in: %s %+v", v, ev)
	}
	_, env = fakeBin(t, "determinate-nixd", `echo "You are not logged in to FlakeHub." >&2; exit 1`)
	ev, v = runCmdProbe(t, def, "status", env)
	if v.Class != classify.Degraded || v.Reason != classify.Unknown4xx || ev.Status != 400 || *ev.ExitCode != 1 {
		t.Errorf("exit 1: %s %+v", v, ev)
	}
}

func TestCodexProbeStreams(t *testing.T) {
	t.Parallel()
	def := builtin(t, "codex")
	for _, tc := range []struct {
		fixture string
		exit    int
		want    string
	}{
		{"success.jsonl", 0, "success"},
		{"usage-limit-try-again-at.jsonl", 1, "quota_exhausted"},
		{"usage-limit-try-again-at.jsonl", 0, "quota_exhausted"}, // the stream wins over a clean exit
		{"refresh-token-revoked.jsonl", 1, "dead(token_revoked)"},
		{"rollout-budget.jsonl", 1, "degraded(unknown_4xx)"}, // not the account's: judged by the exit status
		{"success.jsonl", 1, "degraded(unknown_4xx)"},
	} {
		t.Run(tc.fixture+"-"+strconv.Itoa(tc.exit), func(t *testing.T) {
			t.Parallel()
			abs, _ := filepath.Abs("testdata/probe/codex/" + tc.fixture)
			_, env := fakeBin(t, "codex", `case "$*" in *"exec --json"*"Reply exactly: OMUX_CODEX_PROBE") ;; *) exit 9;; esac
grep -v '^#' '`+abs+`'
exit `+strconv.Itoa(tc.exit))
			_, v := runCmdProbe(t, def, "codex-mini", env)
			if v.String() != tc.want {
				t.Errorf("verdict %s (%s), want %s", v, v.Rule, tc.want)
			}
			if tc.want == "quota_exhausted" && (v.ResetAt == nil || v.ResetAt.Format(time.RFC3339) != "2025-11-12T12:16:00Z") {
				t.Errorf("reset %v", v.ResetAt)
			}
		})
	}
}

func TestCommandProbeWorld(t *testing.T) {
	t.Parallel()
	def := builtin(t, "flakehub")
	out := filepath.Join(t.TempDir(), "seen")
	_, env := fakeBin(t, "determinate-nixd", `{ echo "account=$OMUX_ACTIVE_ACCOUNT"; if read line; then echo "stdin=$line"; else echo "stdin=closed"; fi; } > '`+out+`'`)
	env = append(env, "OMUX_ACTIVE_ACCOUNT=work")
	_, v := runCmdProbe(t, def, "status", env)
	data, _ := os.ReadFile(out)
	if v.Class != classify.Success || string(data) != "account=work\nstdin=closed\n" {
		t.Errorf("verdict %s, the probe saw %q", v, data)
	}
}

func TestCommandProbeExitMapping(t *testing.T) {
	t.Parallel()
	def := builtin(t, "flakehub")
	_, env := fakeBin(t, "determinate-nixd", `kill -TERM $$`)
	ev, v := runCmdProbe(t, def, "status", env)
	if ev.Status != 500 || ev.Signal != int(syscall.SIGTERM) || v.Class != classify.ProviderDegraded {
		t.Errorf("signal: %s %+v", v, ev)
	}
	_, env = fakeBin(t, "determinate-nixd", `head -c 3000000 /dev/zero | tr '\0' x; echo; head -c 100 /dev/zero >&2`)
	ev, v = runCmdProbe(t, def, "status", env)
	if !ev.Truncated || v.Class != classify.Success {
		t.Errorf("2 MiB of output: %s %+v", v, ev)
	}
}

func TestCommandProbeTimeoutKillsGroup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "grandchild")
	_, env := fakeBin(t, "determinate-nixd", `sleep 30 & echo $! > '`+pidFile+`'; wait`)
	def := withTimeout(builtin(t, "flakehub"), "status", 300)
	start := time.Now()
	ev, v := runCmdProbe(t, def, "status", env)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the timeout took %v", d)
	}
	if !ev.TimedOut || ev.Status != 408 || v.Class != classify.Degraded || v.Reason != classify.Unknown4xx {
		t.Errorf("timeout: %s %+v", v, ev)
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	deadline := time.Now().Add(3 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("the probe's grandchild %d outlived the timeout", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCommandProbeMissingProgram(t *testing.T) {
	t.Parallel()
	_, _, err := providers.RunProbe(context.Background(), builtin(t, "flakehub"), "status", canaryToken,
		[]string{"PATH=" + t.TempDir()}, providers.ProbeOptions{})
	var pe *providers.ProbeError
	if !errors.As(err, &pe) || pe.ExitCode() != 127 || !strings.Contains(err.Error(), "determinate-nixd") {
		t.Fatalf("err = %v", err)
	}
}
