package cmd

import (
	"os/exec"
	"strings"
	"testing"
)

// TestManPage: the page names every visible command and flag of the grammar, takes its date from
// SOURCE_DATE_EPOCH (reproducible packages), and man(1), where installed, renders it without a
// warning.
func TestManPage(t *testing.T) {
	code, out, errOut := runMain(t, []string{"SOURCE_DATE_EPOCH=1764720000"}, "man")
	if code != 0 {
		t.Fatalf("man: exit %d: %s", code, errOut)
	}
	if !strings.HasPrefix(out, `.TH OAUTH-MUX 1 "2025\-12\-03" "oauth\-mux `) {
		t.Errorf("title line: %q", strings.SplitN(out, "\n", 2)[0])
	}
	for _, want := range []string{".SS oauth\\-mux exec", ".SS oauth\\-mux stay\\-afloat", ".SS oauth\\-mux route explain",
		"\\-\\-json\\-report", ".SH EXIT STATUS", "OMUX_STATE_DIR", ".B 201"} {
		if !strings.Contains(out, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(out, "__complete") || strings.Contains(out, "__demo") {
		t.Error("the page shows a hidden command")
	}
	if _, err := exec.LookPath("man"); err != nil {
		t.Skip("man is not installed")
	}
	c := exec.Command("man", "--warnings", "-l", "-")
	c.Stdin = strings.NewReader(out)
	c.Env = []string{"MANWIDTH=80", "PATH=/usr/bin:/bin"}
	b, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("man: %v\n%s", err, b)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, "warning:") {
			t.Errorf("man warns: %s", line)
		}
	}
}
