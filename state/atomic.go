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
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	if err := writeAndReplace(path, data, perm, true); err != nil {
		return err
	}
	if err := syncDir(dirOf(path)); err != nil {
		return fmt.Errorf("write %s: sync dir: %w", path, err)
	}
	return nil
}

// replaceThenSync is WriteFileAtomic with the fsyncs after the rename: readers see the new file at
// once, and sync (which the caller runs, maybe in the background) makes it durable; the directory is
// synced too when dir is set (see Store.Update for when it need not be). Until sync has returned a
// machine crash may leave the old file, or an empty one, which Load moves aside; a killed process
// loses nothing, since the kernel holds the written pages.
func replaceThenSync(path string, data []byte, perm os.FileMode, dir bool) (sync func() error, err error) {
	// The file being replaced was synced (every write syncs before the next one starts): keep it
	// under PrevPath until this one is, so that a crash in between loses only this write.
	prev := PrevPath(path)
	_ = os.Remove(prev)
	_ = os.Link(path, prev)
	if err := writeAndReplace(path, data, perm, false); err != nil {
		return nil, err
	}
	return func() error {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("sync %s: %w", path, err)
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return fmt.Errorf("sync %s: %w", path, err)
		}
		if dir {
			if err := syncDir(dirOf(path)); err != nil {
				return fmt.Errorf("sync %s: sync dir: %w", path, err)
			}
		}
		// Synced: the previous version is no longer the fallback.
		_ = os.Remove(prev)
		return nil
	}, nil
}

// PrevPath is where replaceThenSync keeps the last synced version of path: <path>.prev.
func PrevPath(path string) string { return path + ".prev" }

func dirOf(path string) string {
	if dir := filepath.Dir(path); dir != "" {
		return dir
	}
	return "."
}

// writeAndReplace writes data to a temp file beside path (synced first when durable) and renames it
// over path.
func writeAndReplace(path string, data []byte, perm os.FileMode, durable bool) (err error) {
	f, err := os.CreateTemp(dirOf(path), "."+filepath.Base(path)+".tmp-*")
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
	if durable {
		if err = f.Sync(); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = atomic.ReplaceFile(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
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
