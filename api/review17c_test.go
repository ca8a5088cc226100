package api_test

import (
	"strings"
	"testing"
)

// TestReview17cObjectionSurvivesDeletedSameNumberRecord: a person's
// objection reaches another organisation's Patient carrying her NHS number
// (1a2a415), but only while that Patient exists: the NHS numbers came from
// the Patient resource alone. When the hospital retired its own record of
// Jane (DELETE Patient/hosp-jane, its diagnosis still filed under it), the
// district nurse on the hospital's care team read the hospital's diagnosis
// again by read, search and $everything although Jane's opt-out at her GP
// stood. A deleted Patient's links already count (its last version's);
// now its last version's NHS numbers do too.
func TestReview17cObjectionSurvivesDeletedSameNumberRecord(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("system", "nhs", "RHX")
	nurse := e.token("district-nurse", "nhs", "RCX")
	e.putAll(t, hosp,
		[2]string{"/fhir/Patient/hosp-jane", `{"resourceType":"Patient","id":"hosp-jane","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"943 476 5919"}],
			"name":[{"family":"Smith","given":["Jane"]}],"gender":"female","birthDate":"1950-03-04"}`},
		[2]string{"/fhir/CareTeam/hosp-discharge", `{"resourceType":"CareTeam","id":"hosp-discharge","status":"active","subject":{"reference":"Patient/hosp-jane"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`},
		[2]string{"/fhir/Condition/hosp-fracture", `{"resourceType":"Condition","id":"hosp-fracture","subject":{"reference":"Patient/hosp-jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"5913000"}],"text":"HOSP-FRACTURE"}}`})
	if r := e.do("PUT", "/fhir/Consent/jane-optout", gp, janeConsent("jane-optout", "2026-11-01", "OPTOUT", "")); r.status != 201 {
		t.Fatalf("opt-out: %d %s", r.status, r.body)
	}
	reads := []string{"/fhir/Condition/hosp-fracture", "/fhir/Condition?patient=hosp-jane", "/fhir/Patient/hosp-jane/$everything"}
	for _, path := range reads {
		if r := e.do("GET", path, nurse, ""); strings.Contains(r.body, "HOSP-FRACTURE") {
			t.Fatalf("the premise: Jane's opt-out withholds the hospital's record of her (%s): %d %.300s", path, r.status, r.body)
		}
	}
	if r := e.do("DELETE", "/fhir/Patient/hosp-jane", hosp, ""); r.status != 200 && r.status != 204 {
		t.Fatalf("the hospital retires its record: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/hosp-fracture", hosp, ""); r.status != 200 {
		t.Fatalf("the premise: the diagnosis remains, the hospital reads it: %d %s", r.status, r.body)
	}
	for _, path := range reads {
		if r := e.do("GET", path, nurse, ""); strings.Contains(r.body, "HOSP-FRACTURE") {
			t.Errorf("%s: with the hospital's Patient deleted, Jane's opt-out no longer reaches its items: %d %.300s", path, r.status, r.body)
		}
	}
}
