//go:build unix

package lookpath

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestFind(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	write := func(dir, name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write(a, "tool", 0o644) // not executable: skipped
	want := write(b, "tool", 0o755)
	if err := os.Mkdir(filepath.Join(a, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	path := a + string(filepath.ListSeparator) + b
	if got, err := Find("tool", path, "", ""); err != nil || got != want {
		t.Errorf("Find(tool) = %q, %v; want %q", got, err, want)
	}
	if _, err := Find("dir", path, "", ""); !errors.Is(err, exec.ErrNotFound) {
		t.Errorf("a directory matched: %v", err)
	}
	if _, err := Find("tool", a, "", ""); !errors.Is(err, exec.ErrNotFound) {
		t.Errorf("a file without an execute bit matched: %v", err)
	}
	// The shell's statuses: a match without an execute bit is 126, nothing by the name 127.
	var le *Error
	if _, err := Find("tool", a, "", ""); !errors.As(err, &le) || le.Code != 126 || le.What != "permission denied" {
		t.Errorf("not executable: %v", err)
	}
	if _, err := Find("nothing", path, "", ""); !errors.As(err, &le) || le.Code != 127 || le.What != "command not found" {
		t.Errorf("not found: %v", err)
	}
	if _, err := Find("", path, "", ""); !errors.Is(err, exec.ErrNotFound) {
		t.Errorf("an empty name matched: %v", err)
	}
	// A name with a slash is not searched for.
	if got, err := Find(want, "", "", ""); err != nil || got != want {
		t.Errorf("Find(%s) = %q, %v", want, got, err)
	}
	if _, err := Find(filepath.Join(a, "tool"), path, "", ""); err == nil {
		t.Error("a path to a file without an execute bit was accepted")
	}
	// An empty entry is the current directory; the match keeps its ./ so that exec.Command does not
	// search oauth-mux's own PATH for a bare "tool".
	t.Chdir(b)
	if got, err := Find("tool", string(filepath.ListSeparator), "", ""); err != nil || got != "./tool" {
		t.Errorf("empty PATH entry: %q, %v", got, err)
	}
}
