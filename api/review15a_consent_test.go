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

// TestReview15aConsentActorIDTheIndexCannotReadIsRefused: a deny to an
// organisation naming it by a reference whose id is not a FHIR id
// (Organization/E06000999%20, a percent-encoded space a client's URL
// builder left in) was stored (201) and matched no one: Jane's objection
// to the council seeing her NHS record was accepted and the social worker
// still read her diagnosis. So was a deny of one item named that way
// (data instance Condition/diabetes%20). Now both are refused (422) as an
// unreadable patient reference is; the plain ones and an ODS identifier
// are taken.
func TestReview15aConsentActorIDTheIndexCannotReadIsRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	sw := e.token("social-worker", "council", "E06000999")
	for _, ref := range []string{"Organization/E06000999%20", "Organization/E06000999_", "Practitioner/sw%201"} {
		c := strings.Replace(janeNotSharedWithCouncil, `"reference":"Organization/E06000999"`, `"reference":"`+ref+`"`, 1)
		if r := e.do("PUT", "/fhir/Consent/jane-no-council", gp, c); r.status != 422 {
			t.Errorf("%s: a deny to an actor no one can be: %d %.300s, want 422", ref, r.status, r.body)
		}
		if r := e.do("GET", "/fhir/Consent/jane-no-council", gp, ""); r.status != 404 {
			t.Errorf("%s: the refused Consent is stored: %d", ref, r.status)
		}
	}
	item := janeConsent("jane-no-diabetes", "2026-01-10", "OPTIN", `,"provision":{"type":"deny","data":[{"meaning":"instance","reference":{"reference":"Condition/diabetes%20"}}]}`)
	if r := e.do("PUT", "/fhir/Consent/jane-no-diabetes", gp, item); r.status != 422 {
		t.Errorf("a deny of an item no one can be: %d %.300s, want 422", r.status, r.body)
	}
	item = strings.Replace(item, "diabetes%20", "diabetes", 1)
	if r := e.do("PUT", "/fhir/Consent/jane-no-diabetes", gp, item); r.status != 201 {
		t.Fatalf("the deny of her diagnosis: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/diabetes", e.token("district-nurse", "nhs", "RCX"), ""); r.status != 404 {
		t.Errorf("after Jane's deny of her diagnosis the nurse reads it: %d", r.status)
	}
	if r := e.do("DELETE", "/fhir/Consent/jane-no-diabetes", gp, ""); r.status != 200 && r.status != 204 {
		t.Fatalf("withdrawing it: %d %s", r.status, r.body)
	}
	for _, actor := range []string{`"reference":"Organization/E06000999"`, `"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"E06000999"}`} {
		c := strings.Replace(janeNotSharedWithCouncil, `"reference":"Organization/E06000999"`, actor, 1)
		if r := e.do("PUT", "/fhir/Consent/jane-no-council", gp, c); r.status != 200 && r.status != 201 {
			t.Fatalf("%s: the objection: %d %s", actor, r.status, r.body)
		}
		if r := e.do("GET", "/fhir/Condition/diabetes", sw, ""); r.status != 404 {
			t.Errorf("%s: after Jane's objection the social worker reads her diagnosis: %d", actor, r.status)
		}
	}
}
