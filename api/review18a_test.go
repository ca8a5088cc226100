package api_test

import (
	"strings"
	"testing"
)

// TestReview18aObjectionSurvivesDeletedGPRecord: Jane's opt-out, recorded
// by her GP on Patient/jane, reaches what the hospital filed under its own
// Patient/hosp-jane carrying her NHS number. Review 17c kept that when the
// hospital deleted hosp-jane; but when the GP deleted Patient/jane (the
// record her Consent names), the lookup of the other Patients carrying
// her number skipped deleted Patients, so her objection, still stored,
// stopped reaching the hospital's record: the district nurse on the
// hospital's care team read the hospital's diagnosis of Jane again by
// read, search and $everything.
func TestReview18aObjectionSurvivesDeletedGPRecord(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("system", "nhs", "RHX")
	nurse := e.token("district-nurse", "nhs", "RCX")
	seedHospitalJane(t, e, hosp, "943 476 5919")
	if r := e.do("PUT", "/fhir/Consent/jane-optout", gp, janeConsent("jane-optout", "2026-11-01", "OPTOUT", "")); r.status != 201 {
		t.Fatalf("opt-out: %d %s", r.status, r.body)
	}
	reads := []string{"/fhir/Condition/hosp-fracture", "/fhir/Condition?patient=hosp-jane", "/fhir/Patient/hosp-jane/$everything"}
	for _, path := range reads {
		if r := e.do("GET", path, nurse, ""); strings.Contains(r.body, "HOSP-FRACTURE") {
			t.Fatalf("the premise: Jane's opt-out withholds the hospital's record of her (%s): %d %.300s", path, r.status, r.body)
		}
	}
	if r := e.do("DELETE", "/fhir/Patient/jane", gp, ""); r.status != 200 && r.status != 204 {
		t.Fatalf("the GP deletes its Patient record of Jane: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Consent/jane-optout", gp, ""); r.status != 200 {
		t.Fatalf("the premise: her Consent remains: %d %s", r.status, r.body)
	}
	for _, path := range reads {
		if r := e.do("GET", path, nurse, ""); strings.Contains(r.body, "HOSP-FRACTURE") {
			t.Errorf("%s: with the GP's Patient deleted, Jane's opt-out no longer reaches the hospital's record of her: %d %.300s", path, r.status, r.body)
		}
	}
	if r := e.do("GET", "/fhir/Condition/hosp-fracture", hosp, ""); r.status != 200 {
		t.Errorf("the hospital, the source, still reads its own record: %d", r.status)
	}
}
