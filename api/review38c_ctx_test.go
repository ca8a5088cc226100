package api_test

import (
	"strings"
	"testing"
)

// TestReview38cNumberBesideReferenceInSharingContext: review 38c F5 takes
// an NHS number beside a reference as naming that person too. In a
// sharing context that must open nothing: a care team on the hospital's
// untraced Patient giving Jane's number beside relates RYY to that record
// alone, not to her GP record; and a permit recorded on that record with
// her number beside does not lift her opt-out at the GP.
func TestReview38cNumberBesideReferenceInSharingContext(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	seedHospitalJane(t, e, hosp, "9434765919") // the hospital is related to Jane
	hospPatient38c(t, e, "hosp-ctx38", "")
	e.putAll(t, hosp, [2]string{"/fhir/CareTeam/ctx38-ryy", `{"resourceType":"CareTeam","id":"ctx38-ryy","status":"active","subject":{"reference":"Patient/hosp-ctx38","identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}},"participant":[{"member":{"reference":"Organization/RYY"}}]}`})
	ryy := e.token("district-nurse", "nhs", "RYY")
	if r := e.do("GET", "/fhir/Condition/hosp-ctx38-dx", ryy, ""); r.status != 200 {
		t.Fatalf("the premise: RYY reads the record its team is on: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Condition/diabetes", ryy, ""); strings.Contains(r.body, "GP-DIABETES") {
		t.Errorf("RYY reads Jane's GP diagnosis through a care team on another record naming her number beside: %d", r.status)
	}
	gp := e.token("system", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Consent/jane-optout", gp, janeConsent("jane-optout", "2026-11-01", "OPTOUT", "")); r.status != 201 {
		t.Fatalf("opt-out: %d %s", r.status, r.body)
	}
	permit := strings.Replace(janeConsent("ctx38-optin", "2026-11-20", "OPTIN", ""), `"patient":{"reference":"Patient/jane"}`,
		`"patient":{"reference":"Patient/hosp-ctx38","identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}}`, 1)
	if r := e.do("PUT", "/fhir/Consent/ctx38-optin", hosp, permit); r.status != 201 {
		t.Fatalf("the premise: the permit is stored: %d %s", r.status, r.body)
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, p := range []string{"/fhir/Condition/diabetes", "/fhir/Condition/hosp-fracture"} {
		if r := e.do("GET", p, nurse, ""); r.status != 404 {
			t.Errorf("GET %s (nurse) after another record's permit naming her number beside: %d", p, r.status)
		}
	}
}
