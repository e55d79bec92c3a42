//go:build unix

package lookpath

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Find resolves name with the PATH list path, relative to dir ("" for the current directory). A name
// holding a slash is checked as it is; an empty PATH entry is the current directory (POSIX), and a
// match found there is returned as ./name so that no later lookup searches PATH for it again. A match
// is a regular file the caller may execute. pathext is for Windows and ignored here.
func Find(name, path, pathext, dir string) (string, error) {
	if name == "" {
		return "", notFound(name)
	}
	abs := func(p string) string {
		if filepath.IsAbs(p) || dir == "" {
			return p
		}
		return filepath.Join(dir, p)
	}
	check := func(p string) error {
		fi, err := os.Stat(abs(p))
		if err != nil {
			return err
		}
		if fi.IsDir() {
			return syscall.EISDIR
		}
		if fi.Mode()&0o111 == 0 {
			return fs.ErrPermission
		}
		return unix.Access(abs(p), unix.X_OK)
	}
	if strings.Contains(name, "/") {
		err := check(name)
		switch {
		case err == nil:
			return abs(name), nil
		case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
			return "", &Error{Name: name, Code: 127, What: "no such file or directory", Err: err}
		case errors.Is(err, syscall.EISDIR):
			return "", &Error{Name: name, Code: 126, What: "is a directory", Err: err}
		default:
			return "", &Error{Name: name, Code: 126, What: "permission denied", Err: err}
		}
	}
	var denied error
	for _, d := range filepath.SplitList(path) {
		if d == "" {
			d = "." // POSIX: an empty PATH entry is the current directory
		}
		p := filepath.Join(d, name)
		if !filepath.IsAbs(p) && !strings.HasPrefix(p, ".") {
			p = "./" + p
		}
		err := check(p)
		if err == nil {
			return abs(p), nil
		}
		if denied == nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) &&
			!errors.Is(err, syscall.EISDIR) {
			denied = err
		}
	}
	if denied != nil {
		// Like bash: a match that cannot be executed is reported only when nothing better was found.
		return "", &Error{Name: name, Code: 126, What: "permission denied", Err: denied}
	}
	return "", notFound(name)
}
