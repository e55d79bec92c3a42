//go:build unix

package providers

import (
	"errors"
	"os/exec"
	"syscall"
)

// setProcessGroup puts a command probe in its own process group, so that its timeout kills what
// the CLI started too (a CLI that forks a helper would otherwise leave it running).
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		if cmd.Process == nil {
			return nil
		}
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

func killProcessGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

// exitStatus reads the wait status itself: ExitCode() is -1 for a signal death and hides which.
func exitStatus(cmd *exec.Cmd, err error) (code, sig int) {
	if cmd.ProcessState == nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), 0
		}
		return -1, 0
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok {
		if ws.Signaled() {
			return -1, int(ws.Signal())
		}
		return ws.ExitStatus(), 0
	}
	return cmd.ProcessState.ExitCode(), 0
}
