package explain

// Outcomes of `repair run` (the `outcome` of its repair_run event and of its JSON).
const (
	RepairNoop             = "noop"               // a route is selectable: nothing to repair
	RepairNotConfirmed     = "not_confirmed"      // a repair exists; --confirm-repair was not given
	RepairNoAction         = "no_repair_action"   // nothing oauth-mux can run would help
	RepairInProgressOut    = "repair_in_progress" // another process holds the account lock
	RepairRefusedJSON      = "refused_json"       // an interactive repair with --json
	RepairSucceeded        = "succeeded"
	RepairFailed           = "failed"
	RepairExecutorNotFound = "executor_not_found"
)

// RepairChoice is what `repair run` does for an explanation (SPEC §7): nothing when a route is
// selectable, else the first route whose action mutates and has a command.
type RepairChoice struct {
	// Outcome is RepairNoop, RepairNoAction, RepairInProgressOut, or "" when Target is set.
	Outcome string
	Target  *RouteReport
	// InProgress is the route whose account another process repairs (Outcome RepairInProgressOut).
	InProgress *RouteReport
}

// ChooseRepair picks the repair `repair run` would execute.
func (e *Explanation) ChooseRepair() RepairChoice {
	var inProgress *RouteReport
	for i := range e.Routes {
		r := &e.Routes[i]
		if r.Selectable {
			return RepairChoice{Outcome: RepairNoop, Target: nil}
		}
		if r.SkipReason == SkipRepairInProgress && inProgress == nil {
			inProgress = r
		}
	}
	for i := range e.Routes {
		r := &e.Routes[i]
		if r.Action.Mutating && len(r.Action.Argv) > 0 {
			// The same account may also be under repair elsewhere; its lock decides at run time.
			return RepairChoice{Target: r}
		}
	}
	if inProgress != nil {
		return RepairChoice{Outcome: RepairInProgressOut, InProgress: inProgress}
	}
	return RepairChoice{Outcome: RepairNoAction}
}
