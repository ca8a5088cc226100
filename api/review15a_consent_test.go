package api_test

import (
	"strings"
	"testing"
)

// TestReview15aConsentPatientIDTheIndexCannotReadIsRefused: a Consent is
// filed under the person its patient reference names as the search index
// reads it (review 14b, dee59ce: spaces around it are refused), but a
// reference whose id is not a FHIR id — percent-encoded (Patient/jane%20),
// or with a character ids do not carry (Patient/jane_1, Patient/jane:1) —
// was stored (201) and applied to no one: the index files it under no one
// and the decision compares it as written, so Jane's objection to the
// council seeing her NHS record, accepted, left the social worker reading
// her diagnosis. Now it is refused (422) and nothing is stored.
func TestReview15aConsentPatientIDTheIndexCannotReadIsRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	for _, ref := range []string{"Patient/jane%20", "Patient/j%61ne", "Patient/jane_1", "Patient/jane:1"} {
		c := strings.Replace(janeNotSharedWithCouncil, `"reference":"Patient/jane"`, `"reference":"`+ref+`"`, 1)
		if r := e.do("PUT", "/fhir/Consent/jane-no-council", gp, c); r.status != 422 {
			t.Errorf("%s: a Consent naming no one the index can read: %d %.300s, want 422", ref, r.status, r.body)
		}
		if r := e.do("GET", "/fhir/Consent/jane-no-council", gp, ""); r.status != 404 {
			t.Errorf("%s: the refused Consent is stored: %d", ref, r.status)
		}
	}
	// The plain reference is taken and applies.
	if r := e.do("PUT", "/fhir/Consent/jane-no-council", gp, janeNotSharedWithCouncil); r.status != 201 {
		t.Fatalf("the objection: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/diabetes", e.token("social-worker", "council", "E06000999"), ""); r.status != 404 {
		t.Errorf("after Jane's objection the social worker reads her diagnosis: %d", r.status)
	}
}
