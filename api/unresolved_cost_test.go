package api_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/fhir"
)

// TestUnresolvedPeopleTransactionCost: a transaction whose items name
// their people by NHS number alone, no Patient carrying any of them
// (noteUnresolved keeps each for the entry to resolve later), costs about
// linear time in its entries, as review 47c's people written do.
func TestUnresolvedPeopleTransactionCost(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("a cost probe of multi-MiB transactions: run without -race")
	}
	e := newEnv(t, func(c *api.Config) { c.MaxBody, c.MaxEntries = 8<<20, 1<<20 }) // (the cost of many entries: no --max-entries)
	sys := e.token("system", "nhs", "RHX")
	run := func(n, off int) time.Duration {
		body := r47cTx(n, func(i int) string {
			nhs := nthNHSNumber(off + i)
			return fmt.Sprintf(`{"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"identifier":{"system":"%s","value":"%s"}}},"request":{"method":"POST","url":"Observation"}}`, fhir.NHSNumberSystem, nhs)
		})
		start := time.Now()
		r := e.do("POST", "/fhir", sys, body)
		d := time.Since(start)
		if r.status != 200 {
			t.Fatalf("x%d: %d %.300s", n, r.status, r.body)
		}
		t.Logf("Observations by unresolved NHS number x%d (%d KiB): %v", n, len(body)>>10, d)
		return d
	}
	small := run(2000, 0)
	big := run(24000, 100000)
	if big > 24*small {
		t.Errorf("24,000 took %v, 2,000 %v (%.1fx): more than twice the 12x of the entries", big, small, float64(big)/float64(small))
	}
}

// nthNHSNumber is the nth valid NHS number of the 999 test range.
func nthNHSNumber(n int) string {
	for k := 0; ; k++ {
		base := fmt.Sprintf("999%06d", n*11/10+k)
		if base[3:] < fmt.Sprintf("%06d", n) {
			continue
		}
		sum := 0
		for i := 0; i < 9; i++ {
			sum += int(base[i]-'0') * (10 - i)
		}
		c := 11 - sum%11
		if c == 11 {
			c = 0
		}
		if c != 10 {
			return base + fmt.Sprint(c)
		}
	}
}
