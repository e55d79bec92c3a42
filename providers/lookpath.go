package providers

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// LookPath finds the program name with path, a PATH list that the caller takes from the environment
// the program will run in (a probe's, a secret command's, the invocation's), never from oauth-mux's
// own: tests and `exec` hand oauth-mux an environment of their own. A name holding a slash is checked
// as it is; an empty PATH entry is the current directory (POSIX). A match is a regular file with an
// execute bit. Not found is exec.ErrNotFound.
//
// supervise resolves the child's argv[0] itself (it may import only classify, and it must tell 126
// from 127 like a shell); everyone else calls this.
func LookPath(name, path string) (string, error) {
	if name == "" {
		return "", exec.ErrNotFound
	}
	if strings.ContainsRune(name, '/') || strings.ContainsRune(name, filepath.Separator) {
		return exec.LookPath(name)
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() &&
			(runtime.GOOS == "windows" || fi.Mode().Perm()&0o111 != 0) {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}
