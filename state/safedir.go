package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// UnsafeDirError refuses a state directory (or a directory inside it) that someone other than the
// user could steer: owned by another user, writable by group or others, or a symbolic link or file
// where a directory belongs. A file planted there could redirect a lock, an event or a credential.
type UnsafeDirError struct {
	Path string
	Why  string
	Hint string
}

func (e *UnsafeDirError) Error() string {
	return fmt.Sprintf("state dir %s %s; oauth-mux will not use it", e.Path, e.Why)
}

// Hints is the next step, for cmd's error report.
func (e *UnsafeDirError) Hints() []string {
	if e.Hint == "" {
		return nil
	}
	return []string{e.Hint}
}

// EnsureDir creates dir, dir/locks and dir/homes with mode 0700, tightens an existing one of the
// user's own to 0700, and refuses (*UnsafeDirError) one that another user owns or may write in, or
// whose locks/ or homes/ is not a plain directory. dir itself may be a symbolic link the user made
// (an OMUX_STATE_DIR on another disk); nothing inside it may be one.
func EnsureDir(dir string) error {
	if err := ensurePrivate(dir, os.Stat, true); err != nil {
		return err
	}
	for _, sub := range []string{"locks", "homes"} {
		if err := ensurePrivate(filepath.Join(dir, sub), os.Lstat, false); err != nil {
			return err
		}
	}
	return nil
}

// EnsurePrivateDir creates path and every directory between the state dir root and it (0700),
// refusing a symbolic link or a non-directory on the way, so a credential written under path lands
// inside the state dir and nowhere else.
func EnsurePrivateDir(root, path string) error {
	if err := EnsureDir(root); err != nil {
		return err
	}
	rel, err := filepath.Rel(root, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Errorf("%s is not inside the state dir %s", path, root)
	}
	cur := root
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		if part == "." || part == "" {
			continue
		}
		cur = filepath.Join(cur, part)
		if err := ensurePrivate(cur, os.Lstat, false); err != nil {
			return err
		}
	}
	return nil
}

// ensurePrivate makes path a directory of the user's own that only the user can use. top says path
// is the state dir itself, created with its parents when missing.
func ensurePrivate(path string, stat func(string) (fs.FileInfo, error), top bool) error {
	fi, err := stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		mk := os.Mkdir
		if top {
			mk = os.MkdirAll
		}
		if err := mk(path, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		fi, err = stat(path)
	}
	if err != nil {
		return err
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return &UnsafeDirError{Path: path, Why: "is a symbolic link",
			Hint: "remove the link (" + path + "); oauth-mux makes the directory itself"}
	case !fi.IsDir():
		return &UnsafeDirError{Path: path, Why: "is not a directory",
			Hint: "move " + path + " aside; oauth-mux makes the directory itself"}
	}
	if !checkPermissions {
		return nil
	}
	if uid, mine := ownedByMe(fi); !mine {
		return &UnsafeDirError{Path: path, Why: fmt.Sprintf("is owned by uid %d, not by you (uid %d)", uid, os.Geteuid()),
			Hint: "point OMUX_STATE_DIR at a directory of your own, or unset it to use the default"}
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return &UnsafeDirError{Path: path, Why: fmt.Sprintf("is writable by others (mode %04o)", perm),
			Hint: "if nobody else has written in it: chmod 700 " + path + "; otherwise move it aside and start afresh"}
	} else if perm != 0o700 {
		// Readable by others but not writable: nothing can have been planted, so tighten it.
		if err := os.Chmod(path, 0o700); err != nil {
			return err
		}
	}
	return nil
}

// openStateFile opens a file inside the state dir without following a symbolic link and refuses
// anything but a regular file with one name, so a planted link or hard link cannot turn a lock or an
// append into a write somewhere else.
func openStateFile(path string, flag int) (*os.File, error) {
	f, err := openNoFollow(path, flag, 0o600)
	if err != nil {
		if isSymlinkErr(path, err) {
			return nil, &UnsafeDirError{Path: path, Why: "is a symbolic link",
				Hint: "remove " + path + "; oauth-mux makes the file itself"}
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() || links(fi) > 1 {
		f.Close()
		return nil, &UnsafeDirError{Path: path, Why: "is not a plain file of its own (a device, a pipe or a hard link)",
			Hint: "remove " + path + "; oauth-mux makes the file itself"}
	}
	return f, nil
}

// isSymlinkErr tells a refused symbolic link (ELOOP from O_NOFOLLOW) from other open errors.
func isSymlinkErr(path string, err error) bool {
	fi, lerr := os.Lstat(path)
	return lerr == nil && fi.Mode()&fs.ModeSymlink != 0 && err != nil
}
