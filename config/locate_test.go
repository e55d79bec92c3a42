package config

import (
	"testing"
)

func TestLocateOrder(t *testing.T) {
	tests := []struct {
		name string
		goos string
		flag string
		env  []string
		want string
	}{
		{"flag wins", "linux", "/x/flag.json", []string{"HOME", "/h", "OMUX_CONFIG", "/x/env.json", "OMUX_CONFIG_DIR", "/d"}, "/x/flag.json"},
		{"flag tilde", "linux", "~/c.json", []string{"HOME", "/h"}, "/h/c.json"},
		{"OMUX_CONFIG", "linux", "", []string{"HOME", "/h", "OMUX_CONFIG", "/x/env.json", "OMUX_CONFIG_DIR", "/d"}, "/x/env.json"},
		{"OMUX_CONFIG tilde", "linux", "", []string{"HOME", "/h", "OMUX_CONFIG", "~/e.json"}, "/h/e.json"},
		{"OMUX_CONFIG_DIR", "linux", "", []string{"HOME", "/h", "OMUX_CONFIG_DIR", "/d", "XDG_CONFIG_HOME", "/xdg"}, "/d/config.json"},
		{"OMUX_CONFIG_DIR tilde", "linux", "", []string{"HOME", "/h", "OMUX_CONFIG_DIR", "~/omux"}, "/h/omux/config.json"},
		{"XDG", "darwin", "", []string{"HOME", "/h", "XDG_CONFIG_HOME", "/xdg"}, "/xdg/oauth-mux/config.json"},
		{"relative XDG ignored", "linux", "", []string{"HOME", "/h", "XDG_CONFIG_HOME", "rel"}, "/h/.config/oauth-mux/config.json"},
		{"macOS", "darwin", "", []string{"HOME", "/Users/u"}, "/Users/u/Library/Application Support/oauth-mux/config.json"},
		{"linux", "linux", "", []string{"HOME", "/h"}, "/h/.config/oauth-mux/config.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func(g string) { goos = g }(goos)
			goos = tt.goos
			if got := Locate(tt.flag, env(tt.env...)); got != tt.want {
				t.Errorf("Locate = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestExpandHome(t *testing.T) {
	for in, want := range map[string]string{
		"~":        "/h",
		"~/a/b":    "/h/a/b",
		"~user/a":  "~user/a",
		"/abs/~/x": "/abs/~/x",
		"rel/x":    "rel/x",
		"":         "",
	} {
		if got := ExpandHome(in, "/h"); got != want {
			t.Errorf("ExpandHome(%q) = %q, want %q", in, got, want)
		}
	}
	if got := ExpandHome("~/x", ""); got != "~/x" {
		t.Errorf("without HOME: %q", got)
	}
}

func TestDataDir(t *testing.T) {
	if got := DataDir(env("XDG_DATA_HOME", "/data")); got != "/data/oauth-mux" {
		t.Errorf("DataDir = %q", got)
	}
	if got := DataDir(env("HOME", "/h")); got != "~/.local/share/oauth-mux" {
		t.Errorf("DataDir = %q", got)
	}
}
