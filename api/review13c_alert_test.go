package api_test

import (
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// TestReview13cRestrictedCarerReadRaisesTheAlert: SPEC §5 "every access
// to [a restricted person] raises an IG alert", and the README says so of
// the copies of her demographics carried in another person's record. The
// district nurse reading Jane's carer record (a RelatedPerson carrying
// Margaret's NHS number, review 13a), or Jane's $everything holding it,
// got it redacted, but the entry named only Jane and gave no
// restricted-patient reason: IG's $alerts did not show that someone had
// opened a record holding Margaret's details. Now it names Margaret in a
// restricted-patient alert.
func TestReview13cRestrictedCarerReadRaisesTheAlert(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	seedRestricted(t, e)
	putRestrictedCarer13c(t, e)
	for i, path := range []string{"/fhir/RelatedPerson/jane-carer", "/fhir/Patient/jane/$everything"} {
		sub := []string{"nurse-13c-read", "nurse-13c-everything"}[i]
		nurse := e.token("district-nurse", "nhs", "RCX", func(c *auth.DevClaims) { c.Sub = sub })
		if r := e.do("GET", path, nurse, ""); r.status != 200 {
			t.Fatalf("the premise: GET %s: %d %.300s", path, r.status, r.body)
		}
		if !restrictedAlerts9b(t, e, "marg")[sub] {
			t.Errorf("GET %s of Jane's restricted carer raised no restricted-patient alert naming her", path)
		}
	}
}
