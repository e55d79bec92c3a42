// Package lookpath finds the program a command names, the way a shell does, in a PATH the caller
// hands it: the environment the program will run in (the child's, a probe's, a secret command's),
// never oauth-mux's own. It is the one search for programs in oauth-mux: supervise resolves the
// child's argv[0] with it, providers and inject their probe and secret commands.
//
// It must stay a leaf: no project imports, no process started, nothing printed.
package lookpath

import "os/exec"

// Error is a program that cannot be run (not found, or found and refused by the system when started),
// with the status a shell gives for it: 127 when nothing by
// that name was found, 126 when a match exists but cannot be executed (no execute permission, a
// directory). It matches exec.ErrNotFound either way: there is no program to run.
type Error struct {
	Name string
	Code int
	// What is the short cause shown after the name ("command not found", "permission denied").
	What string
	Err  error
}

func (e *Error) Error() string { return e.Name + ": " + e.What }
func (e *Error) Unwrap() error { return e.Err }

// ExitCode is the shell's status for it (126 or 127).
func (e *Error) ExitCode() int { return e.Code }

// Is makes every *Error an exec.ErrNotFound for callers that only ask whether a program is there.
func (e *Error) Is(target error) bool { return target == exec.ErrNotFound }

func notFound(name string) *Error {
	return &Error{Name: name, Code: 127, What: "command not found", Err: exec.ErrNotFound}
}
