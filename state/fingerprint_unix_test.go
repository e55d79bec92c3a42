//go:build unix

package state

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A fingerprint never reads the file: a FIFO (which would block a reader) gives "" at once.
func TestFingerprintReadsNothing(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "auth.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	done := make(chan string, 1)
	go func() { done <- Fingerprint(fifo) }()
	select {
	case fp := <-done:
		if fp != "" {
			t.Fatalf("fingerprint of a FIFO = %q", fp)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Fingerprint opened the FIFO")
	}
}
