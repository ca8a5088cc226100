package api_test

import "testing"

// TestReview11aMentionDoesNotReleaseSensitiveData: the lead's fix made a
// deny by code match an item's other codings (a reason), while a permit
// matches main codes only "so that nothing is released for what it merely
// mentions". But a permit nested in such a deny was then reached through
// the mention: Jane's GP recorded "do not share my HIV diagnosis, except
// that the hospital may see HIV-labelled records of it" (a deny of the
// diagnosis code with a permit to RHX of labels HIV and STD inside). Her
// antiretroviral prescription, labelled HIV, whose reasonCode is that
// diagnosis, was withheld from the hospital before (the deny did not
// match it, and the sensitivity layer keeps HIV data without an explicit
// permit); with the deny matching its reason the nested permit became the
// person's explicit release, and the hospital clinician read it. A permit
// reached only through a deny that matched what the item mentions still
// permits, but is no explicit release of sensitive labels.
func TestReview11aMentionDoesNotReleaseSensitiveData(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	const hivDx = `{"system":"http://snomed.info/sct","code":"86406008"}`
	const hiv = `{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HIV"}`
	const std = `{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"STD"}`
	hospital := `{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"PRCP"}]},"reference":{"reference":"Organization/RHX"}}`
	e.putAll(t, gpSys,
		[2]string{"/fhir/MedicationRequest/arv", `{"resourceType":"MedicationRequest","id":"arv","meta":{"security":[` + hiv + `]},"status":"active","intent":"order",
		 "medicationCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"412218009"}]},"reasonCode":[{"coding":[` + hivDx + `]}],"subject":{"reference":"Patient/jane"}}`},
		[2]string{"/fhir/Condition/hiv", `{"resourceType":"Condition","id":"hiv","meta":{"security":[` + hiv + `]},"code":{"coding":[` + hivDx + `]},"subject":{"reference":"Patient/jane"}}`},
	)
	if r := e.do("GET", "/fhir/MedicationRequest/arv", hosp, ""); r.status != 404 {
		t.Fatalf("premise: without a consent the HIV-labelled prescription stays with the GP: %d", r.status)
	}
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/hiv", janeConsent("hiv", "2026-01-10", "OPTIN",
		`,"provision":{"type":"deny","code":[{"coding":[`+hivDx+`]}],"provision":[{"type":"permit","actor":[`+hospital+`],"securityLabel":[`+hiv+`,`+std+`]}]}`)})
	if r := e.do("GET", "/fhir/Condition/hiv", hosp, ""); r.status != 200 {
		t.Errorf("premise: the diagnosis itself is released to the hospital as Jane asked: %d", r.status)
	}
	if r := e.do("GET", "/fhir/MedicationRequest/arv", hosp, ""); r.status != 404 {
		t.Errorf("the HIV-labelled prescription that mentions the diagnosis is released to the hospital: %d", r.status)
	}
	if r := e.do("GET", "/fhir/MedicationRequest/arv", e.token("hospital-clinician", "nhs", "RCX"), ""); r.status != 404 {
		t.Errorf("another trust reads the prescription: %d", r.status)
	}
}
