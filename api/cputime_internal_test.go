package api

import (
	"syscall"
	"time"
)

// cpuTime is the process's user+system CPU time so far (as in
// bench_audit_test.go, for this package's own tests). Tests that bound the
// cost of some work measure it by this rather than by the clock: on a
// loaded machine (CI tests packages in parallel on 2 cores) the same work
// takes twice as long by the clock, or more, for about the same CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
