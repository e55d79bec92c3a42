package providers

import "github.com/oauth-mux/oauth-mux/internal/lookpath"

// LookPath finds the program name with path, a PATH list that the caller takes from the environment
// the program will run in (a probe's, a secret command's, the invocation's), never from oauth-mux's
// own: tests and `exec` hand oauth-mux an environment of their own. It is internal/lookpath's search,
// the one supervise uses for the child; a failure matches exec.ErrNotFound.
func LookPath(name, path string) (string, error) { return lookpath.Find(name, path, "", "") }
