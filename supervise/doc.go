// Package supervise runs one child at a time under a pseudo-terminal or plain pipes and hands back what
// happened (SPEC §6.1, §6.2): the parent's terminal in raw mode for the whole run, window-size
// forwarding, one stdin pump for the whole run, signal forwarding to the child's process group, exact
// exit statuses, output teed to the user and to the classify tap, and Loop, which asks a Planner (an
// interface defined here) for attempts and acts on its decisions.
//
// It must not learn what an account, route or provider is: it runs the argv and environment it is handed
// and returns evidence. It judges nothing itself (the planner calls classify.Judge); the one reaction it
// owns is stopping an interactive child whose output shows a terminal limit (--on-limit restart). It
// imports only classify from the project, and never calls os.Exit except in Reraise, which main calls
// after everything else is released.
package supervise
