package providers

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestLookPath(t *testing.T) {
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
	if got, err := LookPath("tool", path); err != nil || got != want {
		t.Errorf("LookPath(tool) = %q, %v; want %q", got, err, want)
	}
	if _, err := LookPath("dir", path); !errors.Is(err, exec.ErrNotFound) {
		t.Errorf("a directory matched: %v", err)
	}
	if _, err := LookPath("tool", a); !errors.Is(err, exec.ErrNotFound) {
		t.Errorf("a file without an execute bit matched: %v", err)
	}
	if _, err := LookPath("", path); !errors.Is(err, exec.ErrNotFound) {
		t.Errorf("an empty name matched: %v", err)
	}
	// A name with a slash is not searched for.
	if got, err := LookPath(want, ""); err != nil || got != want {
		t.Errorf("LookPath(%s) = %q, %v", want, got, err)
	}
	if _, err := LookPath(filepath.Join(a, "tool"), path); err == nil {
		t.Error("a path to a file without an execute bit was accepted")
	}
	// An empty entry is the current directory.
	t.Chdir(b)
	if got, err := LookPath("tool", string(filepath.ListSeparator)); err != nil || got != "tool" {
		t.Errorf("empty PATH entry: %q, %v", got, err)
	}
}
