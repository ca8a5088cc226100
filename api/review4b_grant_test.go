package api_test

// Review 4b: a break-glass grant stays with the organisation it was made
// for, and the Allow header lists only methods the resource answers.
// Copied from the review's api/review4b_test.go (branch review-b).

import (
	"strings"
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

// TestReview4bAllowTellsTheTruth: a 405's Allow header (and OPTIONS's) must
// list methods the resource answers. PATCH /fhir/Patient/jane answers 405
// with "Allow: GET, HEAD, PUT, DELETE", yet HEAD on it is itself a 405 (no
// HEAD routes: echo does not map HEAD to GET, though access.send has code
// for HEAD); OPTIONS answers "Allow: OPTIONS, DELETE, GET, PATCH, PUT",
// listing PATCH, which is always 405. A client following Allow is sent in
// a loop of 405s. Low severity.
func TestReview4bAllowTellsTheTruth(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	check := func(from string, allow string) {
		for _, m := range strings.Split(allow, ",") {
			m = strings.TrimSpace(m)
			if m == "" || m == "OPTIONS" {
				continue
			}
			body := ""
			if m == "PUT" || m == "PATCH" {
				body = janeJSON
			}
			if r := e.do(m, "/fhir/Patient/jane", gp, body); r.status == 405 {
				t.Errorf("%s lists %s in Allow (%q), but %s /fhir/Patient/jane is 405", from, m, allow, m)
			}
		}
	}
	r := e.do("PATCH", "/fhir/Patient/jane", gp, janeJSON)
	if r.status != 405 {
		t.Fatalf("PATCH: %d", r.status)
	}
	check("the 405 to PATCH", r.header.Get("Allow"))
	r = e.do("OPTIONS", "/fhir/Patient/jane", gp, "")
	check("OPTIONS", r.header.Get("Allow"))
}
