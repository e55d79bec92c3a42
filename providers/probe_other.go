//go:build !unix

package providers

import "os/exec"

// Without process groups a timeout kills the probe's own process only.
func setProcessGroup(*exec.Cmd) {}

func killProcessGroup(*exec.Cmd) {}

func exitStatus(cmd *exec.Cmd, _ error) (code, sig int) {
	if cmd.ProcessState == nil {
		return -1, 0
	}
	return cmd.ProcessState.ExitCode(), 0
}
