package fakecli

import (
	"os"
	"syscall"
)

// WriteExecutable writes an executable file (a stand-in CLI script) for a test. It holds
// syscall.ForkLock while the file is open for writing: a process that another goroutine forks in
// that moment would inherit the write descriptor until its exec, and running the script then fails
// with "text file busy" (ETXTBSY, golang/go#22315) — parallel tests start processes all the time.
func WriteExecutable(path string, content []byte) error {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	return os.WriteFile(path, content, 0o755)
}
