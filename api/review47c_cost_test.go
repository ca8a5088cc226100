package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
)

func r47cTx(n int, entry func(i int) string) string {
	var b strings.Builder
	b.WriteString(`{"resourceType":"Bundle","type":"transaction","entry":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(entry(i))
	}
	b.WriteString(`]}`)
	return b.String()
}

// TestReview47cBinaryTransactionCostIsQuadratic: after the references are
// resolved, each Binary of a transaction looks for its securityContext
// among all the plan's entries (bundleBinaryContext), building "Type/id"
// for each, and each MedicationRequest for its medication
// (bundleMedicationCodes): n² string building in the number of entries.
// Within the default 8 MiB body, a client system's transaction of small
// Binaries costs far more per entry than one of Observations of the same
// count. Expected: the cost per entry stays about the same.
func TestReview47cBinaryTransactionCostIsQuadratic(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("a cost probe of multi-MiB transactions: run without -race")
	}
	e := newEnv(t, func(c *api.Config) { c.MaxBody, c.MaxEntries = 8<<20, 1<<20 }) // (the cost of many entries: no --max-entries)
	sys := e.token("system", "nhs", "A81001")
	e.putAll(t, sys, [2]string{"/fhir/Patient/p47", r47cPatient})
	run := func(kind string, n int) time.Duration {
		body := r47cTx(n, func(i int) string {
			if kind == "Binary" {
				return fmt.Sprintf(`{"resource":{"resourceType":"Binary","contentType":"text/plain","securityContext":{"reference":"Patient/p47"}},"request":{"method":"POST","url":"Binary"}}`)
			}
			return fmt.Sprintf(`{"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/p47"}},"request":{"method":"POST","url":"Observation"}}`)
		})
		start := time.Now()
		r := e.do("POST", "/fhir", sys, body)
		d := time.Since(start)
		if r.status != 200 {
			t.Fatalf("%s x%d (%d bytes): %d %.300s", kind, n, len(body), r.status, r.body)
		}
		t.Logf("%s x%d (%d KiB): %v", kind, n, len(body)>>10, d)
		return d
	}
	const n = 16000
	obs := run("Observation", n)
	bin := run("Binary", n)
	if bin > 4*obs {
		t.Errorf("a transaction of %d Binaries took %v, of %d Observations %v", n, bin, n, obs)
	}
}
