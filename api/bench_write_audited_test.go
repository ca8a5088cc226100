package api_test

import (
	"fmt"
	"testing"
)

// BenchmarkAuditedWrites: creates through the whole HTTP stack with the
// access log on (each write's entry kept in its records transaction, and
// dropped with a later one, since 5e7793f), at parallelism 1 and 16
// (SetParallelism × GOMAXPROCS goroutines). Run it on a commit before
// and after a change to the write path:
//
//	go test ./api -run '^$' -bench AuditedWrites -benchtime 3s -count 5
func BenchmarkAuditedWrites(b *testing.B) {
	for _, par := range []int{1, 16} {
		b.Run(fmt.Sprintf("par=%d", par), func(b *testing.B) {
			e := newEnv(b, withAccessLog(b, nil))
			tok := e.token("system", "nhs", "A81001")
			seedPatients(b, e, tok, 1)
			c := newClient()
			body := `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/p0"},"effectiveDateTime":"2025-06-01T10:00:00Z","valueQuantity":{"value":72,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`
			b.SetParallelism(par)
			b.ResetTimer()
			cpu0 := cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if s := post(b, c, e.base+"/fhir/Observation", tok, body); s != 201 {
						b.Fatalf("status %d", s)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/write")
		})
	}
}
