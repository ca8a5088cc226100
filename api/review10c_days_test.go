package api_test

import "testing"

// TestReview10cDataPeriodDaysInEngland: "not my records from June 2015"
// (a deny with dataPeriod 2015-06-01 to 2015-06-30) released to a
// hospital clinician an observation the GP system sent as taken at 00:30 on 1
// June, British Summer Time (2015-06-01T00:30:00+01:00), because the
// Consent's dates were read as UTC days; and withheld one taken at 00:30
// on 1 July. A Consent's dates are days in England.
func TestReview10cDataPeriodDaysInEngland(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	obs := func(id, when string) [2]string {
		return [2]string{"/fhir/Observation/" + id, `{"resourceType":"Observation","id":"` + id + `","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"BP"},"effectiveDateTime":"` + when + `"}`}
	}
	e.putAll(t, gp, obs("june-first", "2015-06-01T00:30:00+01:00"), obs("july-first", "2015-07-01T00:30:00+01:00"),
		[2]string{"/fhir/Consent/no-june-2015", janeConsent("no-june-2015", "2026-01-10", "OPTIN", `,"provision":{"type":"deny","dataPeriod":{"start":"2015-06-01","end":"2015-06-30"}}`)})
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Observation/june-first", hosp, ""); r.status != 404 {
		t.Errorf("an observation of 00:30 on 1 June 2015 (BST) under a deny of June 2015: %d, want 404", r.status)
	}
	if r := e.do("GET", "/fhir/Observation/july-first", hosp, ""); r.status != 200 {
		t.Errorf("an observation of 00:30 on 1 July 2015 (BST) under a deny of June 2015: %d, want 200", r.status)
	}
}
