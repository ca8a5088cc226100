package api_test

import (
	"strings"
	"testing"
)

// TestReview19bExplainNeedsTheSector: $explain answers "what would this
// user see of this person's record, and why" for IG. Without sector= it
// explained a user no token can carry (every token's sector is nhs or
// council, 401 otherwise), so a Consent denying a sector matched no one:
// in the demo, Arthur objects to the council seeing his NHS record, and
// $explain?role=social-worker&org=E06000999 told the IG officer that 21
// items were released where the council's social worker is released 7
// (sector=council). An unknown sector (sector=Council, sector=la) was
// explained alike. Now $explain refuses both, 400 naming sector=nhs or
// council, as the README's request line (role=&org=&sector=) says.
func TestReview19bExplainNeedsTheSector(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	ig := e.token("ig-officer", "nhs", "A81001")
	for _, q := range []string{"role=social-worker&org=E06000999", "role=social-worker&org=E06000999&sector=Council", "role=gp&org=A81001&sector="} {
		r := e.do("GET", "/fhir/Patient/jane/$explain?"+q, ig, "")
		if r.status != 400 || !strings.Contains(r.body, "sector") {
			t.Errorf("$explain?%s: %d %.300s; want 400 naming sector", q, r.status, r.body)
		}
	}
	for _, q := range []string{"role=social-worker&org=E06000999&sector=council", "role=gp&org=A81001&sector=nhs"} {
		if r := e.do("GET", "/fhir/Patient/jane/$explain?"+q, ig, ""); r.status != 200 {
			t.Errorf("$explain?%s: %d %.300s", q, r.status, r.body)
		}
	}
}
