package api_test

import (
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// TestObjectionReachesThePersonsOtherRecords: carex joins each
// organisation's records into one record per person, by NHS number. But a
// person's Consent applied only to the Patient record it names (and to
// records that one links to): Jane's opt-out, recorded by her GP on
// Patient/jane, did not cover what the hospital filed under its own
// Patient/hosp-jane carrying the same NHS number, so the district nurse
// (on the hospital's care team for her) read the hospital's diagnosis of
// Jane by read, search and $everything after Jane had opted out. Now a
// Patient's objections reach every other Patient carrying one of its NHS
// numbers, as a linked duplicate's do: decided on their own, only a
// withhold counts (a permit on one record opens nothing on another).
func TestObjectionReachesThePersonsOtherRecords(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("system", "nhs", "RHX")
	nurse := e.token("district-nurse", "nhs", "RCX")
	seedHospitalJane(t, e, hosp, "9434765919")
	reads := []string{"/fhir/Condition/hosp-fracture", "/fhir/Condition?patient=hosp-jane", "/fhir/Patient/hosp-jane/$everything"}
	for _, path := range reads {
		if r := e.do("GET", path, nurse, ""); r.status != 200 || !strings.Contains(r.body, "HOSP-FRACTURE") {
			t.Fatalf("the premise: before Jane objects, the nurse on the hospital's care team reads %s: %d %.300s", path, r.status, r.body)
		}
	}
	// Jane opts out at her GP practice: nothing shared beyond the source.
	if r := e.do("PUT", "/fhir/Consent/jane-optout", gp, janeConsent("jane-optout", "2026-11-01", "OPTOUT", "")); r.status != 201 {
		t.Fatalf("opt-out: %d %s", r.status, r.body)
	}
	for _, path := range reads {
		if r := e.do("GET", path, nurse, ""); strings.Contains(r.body, "HOSP-FRACTURE") {
			t.Errorf("%s: Jane's opt-out at her GP does not reach the hospital's record of her (same NHS number): %d %.300s", path, r.status, r.body)
		}
	}
	if r := e.do("GET", "/fhir/Condition/hosp-fracture", hosp, ""); r.status != 200 {
		t.Errorf("the hospital, the source, still reads its own record: %d", r.status)
	}
	// A permit on one record opens nothing on another: the hospital's
	// record carrying a Consent that permits everything does not undo the
	// objection, nor open the GP's record to the nurse beyond what it
	// did.
	if r := e.do("PUT", "/fhir/Consent/hosp-jane-optin", hosp, strings.Replace(janeConsent("hosp-jane-optin", "2026-11-20", "OPTIN", ""), "Patient/jane", "Patient/hosp-jane", 1)); r.status != 201 {
		t.Fatalf("opt-in on the hospital's record: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/hosp-fracture", nurse, ""); strings.Contains(r.body, "HOSP-FRACTURE") {
		t.Errorf("a newer permit on the other record undid the objection: %d %.300s", r.status, r.body)
	}
	// Withdrawn, the objection no longer withholds.
	if r := e.do("DELETE", "/fhir/Consent/jane-optout", gp, ""); r.status != 200 && r.status != 204 {
		t.Fatalf("withdraw: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/hosp-fracture", nurse, ""); r.status != 200 || !strings.Contains(r.body, "HOSP-FRACTURE") {
		t.Errorf("after the objection is withdrawn the nurse reads the hospital's record again: %d %.300s", r.status, r.body)
	}
}

// TestWhoAccessedListsThePersonsOtherRecords: IG's answer to "who
// accessed Jane's record" listed accesses to the records her Patient
// links to, but not to another organisation's Patient carrying her NHS
// number, which carex takes as her record (her objection reaches it): the
// district nurse's read of the hospital's record of Jane was missing from
// $who-accessed?patient=jane and AuditEvent?patient=jane. Now both list
// it, and the report names the other record.
func TestWhoAccessedListsThePersonsOtherRecords(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	seedHospitalJane(t, e, hosp, "9434765919")
	nurse := e.token("district-nurse", "nhs", "RCX", func(c *auth.DevClaims) { c.Sub = "nurse-17-sub" })
	if r := e.do("GET", "/fhir/Condition/hosp-fracture", nurse, ""); r.status != 200 {
		t.Fatalf("the premise: the nurse reads the hospital's record of Jane: %d %s", r.status, r.body)
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	for _, path := range []string{"/fhir/AuditEvent/$who-accessed?patient=jane", "/fhir/AuditEvent?patient=jane&_count=1000"} {
		r := e.do("GET", path, ig, "")
		if r.status != 200 || !strings.Contains(r.body, "nurse-17-sub") || !strings.Contains(r.body, "hosp-fracture") {
			t.Errorf("%s: the nurse's read of the hospital's record of Jane is not listed: %d %.600s", path, r.status, r.body)
		}
	}
}

// seedHospitalJane writes, as the hospital's system (hosp), its own record
// of Jane: Patient/hosp-jane carrying her NHS number written as nhs, a care
// team of it with the community trust (RCX), and a diagnosis filed under
// it (HOSP-FRACTURE).
func seedHospitalJane(t *testing.T, e *env, hosp, nhs string) {
	t.Helper()
	e.putAll(t, hosp,
		[2]string{"/fhir/Patient/hosp-jane", `{"resourceType":"Patient","id":"hosp-jane","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + nhs + `"}],
			"name":[{"family":"Smith","given":["Jane"]}],"gender":"female","birthDate":"1950-03-04"}`},
		[2]string{"/fhir/CareTeam/hosp-discharge", `{"resourceType":"CareTeam","id":"hosp-discharge","status":"active","subject":{"reference":"Patient/hosp-jane"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`},
		[2]string{"/fhir/Condition/hosp-fracture", `{"resourceType":"Condition","id":"hosp-fracture","subject":{"reference":"Patient/hosp-jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"5913000"}],"text":"HOSP-FRACTURE"}}`})
}
