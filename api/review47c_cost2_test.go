package api_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
)

// TestReview47cManyPeopleTransactionCostIsQuadratic: a transaction's entry
// notes the people of each write (Exchange.noteWritten), and appendNew
// builds a set of every person noted so far at each call: a transaction
// (or import) naming n people costs n² map inserts. Expected: about linear
// in n (6x the entries, not far over 6x the time).
func TestReview47cManyPeopleTransactionCostIsQuadratic(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("a cost probe of multi-MiB transactions: run without -race")
	}
	e := newEnv(t, func(c *api.Config) { c.MaxBody, c.MaxEntries = 8<<20, 1<<20 }) // (the cost of many entries: no --max-entries)
	sys := e.token("system", "nhs", "A81001")
	run := func(n, off int) time.Duration {
		body := r47cTx(n, func(i int) string {
			return fmt.Sprintf(`{"resource":{"resourceType":"Patient","id":"q%d","gender":"male"},"request":{"method":"PUT","url":"Patient/q%d"}}`, off+i, off+i)
		})
		start := time.Now()
		r := e.do("POST", "/fhir", sys, body)
		d := time.Since(start)
		if r.status != 200 {
			t.Fatalf("x%d: %d %.300s", n, r.status, r.body)
		}
		t.Logf("Patients x%d (%d KiB): %v", n, len(body)>>10, d)
		return d
	}
	small := run(5000, 0)
	big := run(30000, 100000)
	if big > 10*small {
		t.Errorf("30000 Patients took %v, 5000 %v (%.1fx): more than the 6x of the entries", big, small, float64(big)/float64(small))
	}
}
