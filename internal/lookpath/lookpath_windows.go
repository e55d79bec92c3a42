package lookpath

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

var errIsDir = errors.New("is a directory")

// Find resolves name as cmd.exe does for a program, with the PATH list path and the extensions of
// pathext ("" for .com;.exe;.bat;.cmd), relative to dir, except that the current directory is not
// searched first (a file planted in the work tree must not run in place of the real CLI; Go's
// exec.LookPath refuses it too).
func Find(name, path, pathext, dir string) (string, error) {
	if name == "" {
		return "", notFound(name)
	}
	exts := []string{".com", ".exe", ".bat", ".cmd"}
	if pathext != "" {
		exts = nil
		for _, e := range strings.Split(strings.ToLower(pathext), ";") {
			if e != "" {
				exts = append(exts, e)
			}
		}
	}
	abs := func(p string) string {
		if filepath.IsAbs(p) || dir == "" {
			return p
		}
		return filepath.Join(dir, p)
	}
	// find tries p as given when it has an extension, then p with each of pathext.
	find := func(p string) (string, error) {
		cands := []string{}
		if filepath.Ext(p) != "" {
			cands = append(cands, p)
		}
		for _, e := range exts {
			cands = append(cands, p+e)
		}
		var first error
		for _, c := range cands {
			fi, err := os.Stat(abs(c))
			if err == nil && !fi.IsDir() {
				return abs(c), nil
			}
			if err == nil {
				err = &fs.PathError{Op: "stat", Path: c, Err: errIsDir}
			}
			if first == nil {
				first = err
			}
		}
		return "", first
	}
	if strings.ContainsAny(name, `/\:`) {
		p, err := find(name)
		if err != nil {
			return "", &Error{Name: name, Code: 127, What: "no such file or directory", Err: err}
		}
		return p, nil
	}
	for _, d := range filepath.SplitList(path) {
		if d == "" {
			continue
		}
		if p, err := find(filepath.Join(d, name)); err == nil {
			return p, nil
		}
	}
	return "", notFound(name)
}
