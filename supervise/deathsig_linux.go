package supervise

import "syscall"

// setDeathSignal makes the kernel SIGKILL the child when oauth-mux dies without cleaning up (SIGKILL,
// a crash): no process of the child's group may outlive it (SPEC §6.1). Only the direct child gets
// it: a grandchild it forked cannot be reached once oauth-mux is gone.
func setDeathSignal(a *syscall.SysProcAttr) {
	if a != nil {
		a.Pdeathsig = syscall.SIGKILL
	}
}
