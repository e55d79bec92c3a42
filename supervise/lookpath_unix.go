//go:build unix

package supervise

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// lookPath resolves name the way a shell does, with the child's PATH and relative to the child's dir.
func lookPath(name string, env []string, dir string) (string, error) {
	notFound := &ExecError{Name: name, Code: 127, What: "command not found", Err: exec.ErrNotFound}
	if name == "" {
		return "", notFound
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
		return executable(abs(p), fi)
	}
	if strings.Contains(name, "/") {
		err := check(name)
		switch {
		case err == nil:
			return abs(name), nil
		case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
			return "", &ExecError{Name: name, Code: 127, What: "no such file or directory", Err: err}
		case errors.Is(err, syscall.EISDIR):
			return "", &ExecError{Name: name, Code: 126, What: "is a directory", Err: err}
		default:
			return "", &ExecError{Name: name, Code: 126, What: "permission denied", Err: err}
		}
	}
	path, _ := envLookup(env, "PATH")
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
		return "", &ExecError{Name: name, Code: 126, What: "permission denied", Err: denied}
	}
	return "", notFound
}
