package api_test

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
)

// BenchmarkAuditedReads: reads by id through the whole HTTP stack with the
// access log on (a real auditlog.Log in the same SQLite file: one durable,
// group-committed entry per read before the response leaves) and off
// (Recorder nil), at several concurrency levels (SetParallelism ×
// GOMAXPROCS goroutines). Compare reads/s of on against off (target ≥ 0.8×).
//
//	go test ./api -run '^$' -bench AuditedReads -benchtime 3s
func BenchmarkAuditedReads(b *testing.B) {
	for _, audited := range []bool{false, true} {
		for _, par := range []int{1, 4, 16, 64} {
			name := fmt.Sprintf("log=off/par=%d", par)
			if audited {
				name = fmt.Sprintf("log=on/par=%d", par)
			}
			b.Run(name, func(b *testing.B) {
				// Off means no recorder at all, not the tests' in-memory
				// one, whose growing slice would slow the baseline down.
				opts := []func(*api.Config){func(c *api.Config) { c.Recorder = nil }}
				if audited {
					opts = append(opts, withAccessLog(b, nil))
				}
				e := newEnv(b, opts...)
				tok := e.token("gp", "nhs", "A81001")
				seedPatients(b, e, tok, 200)
				b.SetParallelism(par)
				b.ResetTimer()
				cpu0 := cpuTime()
				readSeeded(b, e, tok)
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
				// CPU per read (server, client and log together) tells a
				// CPU-bound slowdown from one spent waiting for the disk.
				b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/read")
			})
		}
	}
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
