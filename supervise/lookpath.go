package supervise

import (
	"github.com/oauth-mux/oauth-mux/internal/lookpath"
	"github.com/oauth-mux/oauth-mux/internal/omux"
)

// lookPath resolves name the way a shell does, with the child's PATH (and PATHEXT) and relative to
// the child's dir; a failure is an *ExecError (a *lookpath.Error) with the shell's 126 or 127.
func lookPath(name string, env omux.Environ, dir string) (string, error) {
	path, _ := envLookup(env, "PATH")
	pathext, _ := envLookup(env, "PATHEXT")
	return lookpath.Find(name, path, pathext, dir)
}
