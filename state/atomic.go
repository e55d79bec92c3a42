package state

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/natefinch/atomic"
)

// WriteFileAtomic replaces path with data so that a reader (or a process restarted after a SIGKILL
// or power loss) sees either the old content or the new one, never a mix: the bytes go to a temp file
// in the same directory (a rename across file systems is not atomic), are fsynced with their final
// mode, renamed over path, and the directory is fsynced so the rename itself is durable.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	// Chmod before writing: CreateTemp makes 0600, but a wider umask-free mode would otherwise be
	// visible for a moment, and a narrower one must never be wider even briefly.
	if err = f.Chmod(perm); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = atomic.ReplaceFile(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = syncDir(dir); err != nil {
		return fmt.Errorf("write %s: sync dir: %w", path, err)
	}
	return nil
}

// syncDir makes a rename in dir durable. Windows cannot open a directory for syncing; MoveFileEx with
// MOVEFILE_WRITE_THROUGH (used by natefinch/atomic) covers it there.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
