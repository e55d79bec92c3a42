package routes

import "fmt"

// String names the attempt by its route only: Env holds the account's credential and Argv may hold
// the user's prompt, and neither may reach a log line through a stray %v. (Here rather than beside
// the type in planner.go so that the planner's file stays about planning.)
func (a Attempt) String() string {
	return fmt.Sprintf("routes.Attempt{%s #%d, %d args, %d env}", a.Route.Key(), a.Number, len(a.Argv), len(a.Env))
}

// GoString keeps %#v as quiet as %v.
func (a Attempt) GoString() string { return a.String() }
