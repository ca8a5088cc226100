package api_test

// Review 4b: a break-glass grant stays with the organisation it was made
// for.
// Copied from the review's api/review4b_test.go (branch review-b).

import (
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// TestReview4bBreakGlassGrantStaysWithTheOrganisation:
// a user who broke glass while working for one organisation then opens the
// person's record while working for another (same sub, another org claim:
// a locum, a shared IdP account) with no X-Break-Glass header and no reason,
// logged under the second organisation with reasons "break-glass" but an
// empty break-glass reason. The grant was justified for one organisation's
// access; another data controller's access needs its own stated reason.
func TestReview4bBreakGlassGrantStaysWithTheOrganisation(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	as := func(org string) string {
		return e.token("gp", "nhs", org, func(c *auth.DevClaims) { c.Sub = "locum-1" })
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", as("Z99996"), ""); r.status != 403 {
		t.Fatalf("before: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", as("Z99998"), "", "X-Break-Glass", "EMERGENCY: collapsed at the surgery"); r.status != 200 {
		t.Fatalf("break-glass at Z99998: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", as("Z99996"), ""); r.status != 403 {
		t.Errorf("a grant made at organisation Z99998 opened Jane's record to the same sub working for Z99996, without a reason: %d %.200s", r.status, r.body)
	}
}
