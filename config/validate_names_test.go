package config

import "testing"

func TestNames(t *testing.T) {
	for s, want := range map[string]bool{"CODEX_HOME": true, "_x": true, "a1": true, "1a": false, "": false, "A-B": false, "É": false, "A B": false} {
		if got := isEnvName(s); got != want {
			t.Errorf("isEnvName(%q) = %v", s, got)
		}
	}
	for s, want := range map[string]bool{"access_token": true, "1a": true, "": false, "a.b": false, "a}": false} {
		if got := isWord(s); got != want {
			t.Errorf("isWord(%q) = %v", s, got)
		}
	}
}
