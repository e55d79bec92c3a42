package supervise

import (
	"errors"

	"github.com/oauth-mux/oauth-mux/internal/lookpath"
)

// lookPath resolves name the way a shell does, with the child's PATH (and PATHEXT) and relative to
// the child's dir; a failure is an *ExecError with the shell's 126 or 127.
func lookPath(name string, env []string, dir string) (string, error) {
	path, _ := envLookup(env, "PATH")
	pathext, _ := envLookup(env, "PATHEXT")
	p, err := lookpath.Find(name, path, pathext, dir)
	var le *lookpath.Error
	if errors.As(err, &le) {
		return "", &ExecError{Name: le.Name, Code: le.Code, What: le.What, Err: le.Err}
	}
	return p, err
}
