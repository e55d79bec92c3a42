package classify

import "time"

// cpuTime is not measured on Windows; reportCPU skips a zero duration.
func cpuTime() time.Duration { return 0 }
