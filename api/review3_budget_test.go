package api_test

// Cases found in a review of 5a74fac (merged records, the reference
// lookup budget, labels, relabel's lock). Each test's comment says what
// went wrong before its fix; the test asserts what must hold now.

import (
	"fmt"
	"strings"
	"testing"

	"github.com/carex-project/carex/api"
)

// seedLabResults: n lab results of Jane's, each with the encounter it was
// taken in and the order it answers, all written by her GP practice.
func seedLabResults(t *testing.T, e *env, n int) {
	t.Helper()
	gpSys := e.token("system", "nhs", "A81001")
	for start := 0; start < n; start += 100 {
		var b strings.Builder
		b.WriteString(`{"resourceType":"Bundle","type":"transaction","entry":[`)
		for i := start; i < min(start+100, n); i++ {
			if i > start {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"resource":{"resourceType":"Encounter","id":"enc-%d","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/jane"}},"request":{"method":"PUT","url":"Encounter/enc-%d"}},`, i, i)
			fmt.Fprintf(&b, `{"resource":{"resourceType":"ServiceRequest","id":"sr-%d","status":"completed","intent":"order","subject":{"reference":"Patient/jane"},"code":{"text":"FBC"}},"request":{"method":"PUT","url":"ServiceRequest/sr-%d"}},`, i, i)
			fmt.Fprintf(&b, `{"resource":{"resourceType":"Observation","id":"obs-%d","status":"final","subject":{"reference":"Patient/jane"},"encounter":{"reference":"Encounter/enc-%d"},"basedOn":[{"reference":"ServiceRequest/sr-%d"}],"code":{"text":"LAB-%d"}},"request":{"method":"PUT","url":"Observation/obs-%d"}}`, i, i, i, i, i)
		}
		b.WriteString(`]}`)
		if r := e.do("POST", "/fhir", gpSys, b.String()); r.status != 200 {
			t.Fatalf("seed: %d %.300s", r.status, r.body)
		}
	}
}

// A GP reads her own practice's lab results: 550 Observations, each naming
// its encounter and its order (1,100 distinct references, every one to an
// item the GP's practice wrote). The request's budget of 1,000 lookups runs
// out and the last references are masked, as if withheld; a read-modify-
// write by the GP's client then replaces the links with the mask.
func TestReview3RefBudgetMasksOwnData(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.MaxBody = 8 << 20 })
	seedShared(t, e)
	seedLabResults(t, e, 550)
	gp := e.token("gp", "nhs", "A81001")
	r := e.do("GET", "/fhir/Observation?patient=jane&_count=1000", gp, "")
	if r.status != 200 || strings.Count(r.body, `"LAB-`) != 550 {
		t.Fatalf("%d %d", r.status, strings.Count(r.body, `"resourceType":"Observation"`))
	}
	if n := strings.Count(r.body, `"valueCode":"masked"`); n > 0 {
		t.Errorf("a GP reading her practice's own lab results gets %d references masked", n)
	}
}
