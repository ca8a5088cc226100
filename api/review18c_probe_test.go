package api_test

import (
	"strings"
	"testing"
)

// TestReview18cDeletedRecordsKeepThePerson: probes of review 18a's retired
// NHS numbers (passed when first written). Jane's opt-out, on the GP's
// Patient/jane, keeps withholding the hospital's record of her (same NHS
// number) when the GP deletes Patient/jane inside a transaction, not by
// DELETE alone; another organisation cannot delete the GP's Patient; and
// a GP record of hers labelled restricted (R), with nothing else filed
// under it, keeps the hospital's unlabelled record's address and phone
// from the district nurse after the GP deletes it.
func TestReview18cDeletedRecordsKeepThePerson(t *testing.T) {
	t.Run("objection, deleted in a transaction", func(t *testing.T) {
		e := newEnv(t)
		seedShared(t, e)
		gp := e.token("system", "nhs", "A81001")
		hosp := e.token("system", "nhs", "RHX")
		nurse := e.token("district-nurse", "nhs", "RCX")
		seedHospitalJane(t, e, hosp, "943 476 5919")
		if r := e.do("PUT", "/fhir/Consent/jane-optout", gp, janeConsent("jane-optout", "2026-11-01", "OPTOUT", "")); r.status != 201 {
			t.Fatalf("opt-out: %d %s", r.status, r.body)
		}
		if r := e.do("DELETE", "/fhir/Patient/jane", hosp, ""); r.status != 404 {
			t.Errorf("the hospital deletes the GP's Patient/jane: %d %.300s", r.status, r.body)
		}
		if r := e.do("POST", "/fhir", gp, `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"DELETE","url":"Patient/jane"}}]}`); r.status != 200 {
			t.Fatalf("the GP deletes Patient/jane in a transaction: %d %.300s", r.status, r.body)
		}
		if r := e.do("GET", "/fhir/Patient/jane", gp, ""); r.status != 410 {
			t.Fatalf("the premise: Patient/jane is deleted: %d", r.status)
		}
		for _, path := range []string{"/fhir/Condition/hosp-fracture", "/fhir/Condition?patient=hosp-jane", "/fhir/Patient/hosp-jane/$everything"} {
			if r := e.do("GET", path, nurse, ""); strings.Contains(r.body, "HOSP-FRACTURE") {
				t.Errorf("%s: Jane's opt-out no longer reaches the hospital's record of her: %d %.300s", path, r.status, r.body)
			}
		}
	})
	t.Run("restricted, deleted with nothing filed under it", func(t *testing.T) {
		e := newEnv(t)
		gp := e.token("system", "nhs", "A81001")
		hosp := e.token("system", "nhs", "RHX")
		nurse := e.token("district-nurse", "nhs", "RCX")
		e.putAll(t, gp, [2]string{"/fhir/Patient/jane", `{"resourceType":"Patient","id":"jane","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},
			"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"name":[{"family":"Smith"}],"address":[{"line":["GP-REFUGE"]}]}`})
		e.putAll(t, hosp,
			[2]string{"/fhir/Patient/hosp-jane", `{"resourceType":"Patient","id":"hosp-jane","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],
			"name":[{"family":"Smith"}],"address":[{"line":["HOSP-REFUGE"]}],"telecom":[{"system":"phone","value":"0113-HOSP-PHONE"}]}`},
			[2]string{"/fhir/CareTeam/hosp-discharge", `{"resourceType":"CareTeam","id":"hosp-discharge","status":"active","subject":{"reference":"Patient/hosp-jane"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
		check := func(when string) {
			t.Helper()
			for _, path := range []string{"/fhir/Patient/hosp-jane", "/fhir/Patient/hosp-jane/$everything"} {
				r := e.do("GET", path, nurse, "")
				if r.status != 200 || !strings.Contains(r.body, "hosp-jane") {
					t.Fatalf("%s %s: the premise: the nurse on the hospital's team reads its Patient: %d %.300s", when, path, r.status, r.body)
				}
				if strings.Contains(r.body, "HOSP-REFUGE") || strings.Contains(r.body, "HOSP-PHONE") {
					t.Errorf("%s %s: a restricted person's address or phone goes to the nurse: %.400s", when, path, r.body)
				}
			}
		}
		check("before the delete")
		if r := e.do("DELETE", "/fhir/Patient/jane", gp, ""); r.status != 204 {
			t.Fatalf("delete: %d %s", r.status, r.body)
		}
		check("after the delete")
	})
}
