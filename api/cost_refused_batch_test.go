package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
)

// TestCostRefusedBatchNamingManyNumbers: a batch refused as a whole (a
// purpose carex does not serve) whose GET entries each search a different
// NHS number names them all in its log entry; noting each entry's number
// rebuilt the set of those noted before it (quadratic in the entries).
func TestCostRefusedBatchNamingManyNumbers(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("a cost probe: run without -race")
	}
	e := newEnv(t, func(c *api.Config) { c.MaxBody = 8 << 20 }) // serve's default
	mk := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Purpose = "HMARKT" })
	var b strings.Builder
	b.WriteString(`{"resourceType":"Bundle","type":"batch","entry":[`)
	const n = 40000
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"request":{"method":"GET","url":"Patient?identifier=%s"}}`, validNHS(i))
	}
	b.WriteString(`]}`)
	start := time.Now()
	r := e.do("POST", "/fhir", mk, b.String())
	took := time.Since(start)
	if r.status != 403 {
		t.Fatalf("refused batch: %d, want 403: %.300s", r.status, r.body)
	}
	t.Logf("%d entries, %d bytes: %v", n, b.Len(), took)
	if took > 5*time.Second {
		t.Errorf("a refused batch of %d searches by NHS number took %v", n, took)
	}
}
