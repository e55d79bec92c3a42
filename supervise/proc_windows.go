package supervise

import (
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// ptySupported: creack/pty has no ConPTY, so children on Windows run on pipes.
const ptySupported = false

// ptyProcAttr is never used on Windows (no pty); it keeps Run one function for every platform.
func ptyProcAttr(int) *syscall.SysProcAttr { return groupProcAttr() }

// groupProcAttr starts the child as the leader of a console process group of its own, so that a
// Ctrl-Break can be sent to it (and its children) alone. Such a group does not get the console's
// Ctrl-C itself: oauth-mux receives it and forwards it (procGroup.signal).
func groupProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{CreationFlags: windows.CREATE_NEW_PROCESS_GROUP}
}

// terminalProcAttr: a console has no foreground group to hand over.
func terminalProcAttr(*os.File) (*syscall.SysProcAttr, int) { return groupProcAttr(), -1 }

func restoreForeground(int) {}

// procGroup is the child and everything it starts: a job object that kills its processes when it is
// closed, which the system also does when oauth-mux dies, so on Windows not even a grandchild outlives
// oauth-mux. A process the child started in the instant before it joined the job is not in it.
type procGroup struct {
	pid int
	job windows.Handle
}

func newProcGroup(p *os.Process) *procGroup {
	g := &procGroup{pid: p.Pid}
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return g
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{}
	info.BasicLimitInformation.LimitFlags = windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		_ = windows.CloseHandle(job)
		return g
	}
	h, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE, false, uint32(p.Pid))
	if err != nil {
		_ = windows.CloseHandle(job)
		return g
	}
	defer windows.CloseHandle(h)
	if err := windows.AssignProcessToJobObject(job, h); err != nil {
		_ = windows.CloseHandle(job)
		return g
	}
	g.job = job
	return g
}

// signal: an interrupt becomes a Ctrl-Break to the child's console group (the only console event a
// process can send to one group); any other signal ends the job with the shell's status for it.
func (g *procGroup) signal(sig syscall.Signal) {
	if g == nil || g.pid <= 0 {
		return
	}
	if sig == syscall.SIGINT {
		_ = windows.GenerateConsoleCtrlEvent(windows.CTRL_BREAK_EVENT, uint32(g.pid))
		return
	}
	g.terminate(128 + uint32(sig))
}

func (g *procGroup) kill() { g.terminate(128 + uint32(syscall.SIGKILL)) }

func (g *procGroup) terminate(code uint32) {
	if g == nil {
		return
	}
	if g.job != 0 {
		_ = windows.TerminateJobObject(g.job, code)
		return
	}
	if p, err := os.FindProcess(g.pid); err == nil {
		_ = p.Kill()
	}
}

func (g *procGroup) close() {
	if g != nil && g.job != 0 {
		_ = windows.CloseHandle(g.job)
		g.job = 0
	}
}

// notified are the console events Go delivers: Ctrl-C and Ctrl-Break as os.Interrupt, closing the
// console, log-off and shut-down as SIGTERM.
func notified(bool) []os.Signal { return []os.Signal{os.Interrupt, syscall.SIGTERM} }

func ignoredSignal(syscall.Signal) bool { return false }
func isResize(syscall.Signal) bool      { return false }
