//go:build unix

package classify

import (
	"syscall"
	"time"
)

// cpuTime is this process's user+system time: the build machine is shared, so wall-clock MB/s
// understates what one core does; benchmarks report both.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
