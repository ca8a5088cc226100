package api_test

import (
	"strings"
	"testing"
)

// TestReview18aChangedNumberLeavesOldNumbersRecords: passed when first
// written. Carex joins records by the NHS numbers a Patient carries now:
// when the GP corrects Patient/jane's NHS number (the old one was
// wrong, and belongs to whoever the hospital's Patient/hosp-jane is),
// Jane's opt-out no longer reaches hosp-jane, and the hospital's record
// is decided on its own; a Patient carrying the new number is reached.
// (A deleted Patient's last numbers count; a living Patient's earlier
// versions' numbers do not: a corrected number is not the person's.)
func TestReview18aChangedNumberLeavesOldNumbersRecords(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("system", "nhs", "RHX")
	nurse := e.token("district-nurse", "nhs", "RCX")
	seedHospitalJane(t, e, hosp, "9434765919")
	if r := e.do("PUT", "/fhir/Consent/jane-optout", gp, janeConsent("jane-optout", "2026-11-01", "OPTOUT", "")); r.status != 201 {
		t.Fatalf("opt-out: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/hosp-fracture", nurse, ""); strings.Contains(r.body, "HOSP-FRACTURE") {
		t.Fatalf("the premise: the opt-out reaches the same-number record: %d", r.status)
	}
	if r := e.do("PUT", "/fhir/Patient/jane", gp, strings.Replace(janeJSON, "9434765919", "9434765870", 1)); r.status != 200 {
		t.Fatalf("number corrected: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/hosp-fracture", nurse, ""); r.status != 200 || !strings.Contains(r.body, "HOSP-FRACTURE") {
		t.Errorf("after the GP corrected Jane's number, the old number's record is still held by her objection: %d %.200s", r.status, r.body)
	}
	if r := e.do("PUT", "/fhir/Patient/hosp-jane", hosp, `{"resourceType":"Patient","id":"hosp-jane","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765870"}],"name":[{"family":"Smith","given":["Jane"]}]}`); r.status != 200 {
		t.Fatalf("the hospital takes the new number: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/hosp-fracture", nurse, ""); strings.Contains(r.body, "HOSP-FRACTURE") {
		t.Errorf("the objection does not reach a record carrying her new number: %d", r.status)
	}
}
