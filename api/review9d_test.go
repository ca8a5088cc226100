package api_test

import (
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// Review 9d: a break-glass grant is held by the user at their organisation
// (sub, org, issuer), whatever the role of their token. A hospital
// consultant who is also her trust's Caldicott guardian broke glass on
// Jane as a clinician; as the IG officer, with a token of the same sub and
// organisation, she was then refused Jane's record for the 4 hours of the
// grant ("role ig-officer may not break glass"), though she asked for no
// break-glass and her role needs none.
func TestReview9dGrantDoesNotRefuseTheUsersOtherRole(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	same := func(c *auth.DevClaims) { c.Sub = "dr-smith" }
	clin := e.token("hospital-clinician", "nhs", "RZZ", same)
	ig := e.token("ig-officer", "nhs", "RZZ", same)

	before := e.do("GET", "/fhir/Patient/jane", ig, "")
	if before.status != 200 {
		t.Fatalf("the IG officer reads Jane's demographics before any grant: %d %s", before.status, before.body)
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", clin, "", "X-Break-Glass", bgReason); r.status != 200 {
		t.Fatalf("break-glass $everything: %d %.300s", r.status, r.body)
	}
	for _, path := range []string{"/fhir/Patient/jane", "/fhir/Patient/jane/$everything", "/fhir/Consent?patient=jane"} {
		if r := e.do("GET", path, ig, ""); r.status != 200 {
			t.Errorf("the same user as IG officer after her clinician's grant: GET %s: %d %s", path, r.status, r.body)
		} else if strings.Contains(r.body, "GP-DIABETES") {
			t.Errorf("the IG officer was released clinical data under the clinician's grant: GET %s", path)
		}
	}
}
