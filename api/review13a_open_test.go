package api_test

import "testing"

// TestReview13aOpenStartPeriodIsNotSkipped: a period with an end and no
// start ("until 20 June 2015") was passed over as if the item had no such
// date, and the next date element taken instead: under Jane's "not my
// records from June 2015" the hospital clinician read a DiagnosticReport whose
// effectivePeriod ended on 20 June 2015 (issued 2020) and a discharge
// letter whose care period ended then (written 2024). Such a period runs
// from the earliest time to its end.
func TestReview13aOpenStartPeriodIsNotSkipped(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/DiagnosticReport/until-june", `{"resourceType":"DiagnosticReport","id":"until-june","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"holter"},"effectivePeriod":{"end":"2015-06-20"},"issued":"2020-01-01T10:00:00Z"}`},
		[2]string{"/fhir/DocumentReference/until-june", `{"resourceType":"DocumentReference","id":"until-june","status":"current","type":{"text":"discharge letter"},"subject":{"reference":"Patient/jane"},"date":"2024-03-01T10:00:00Z","content":[{"attachment":{"contentType":"text/plain","data":"bGV0dGVy"}}],"context":{"period":{"end":"2015-06-20"}}}`},
		[2]string{"/fhir/DiagnosticReport/until-may", `{"resourceType":"DiagnosticReport","id":"until-may","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"holter"},"effectivePeriod":{"end":"2015-05-20"},"issued":"2015-06-10T10:00:00Z"}`},
	)
	review13aDenyJune2015(t, e)
	review13aExpect(t, e, "deny of June 2015", map[string]int{
		"/fhir/DiagnosticReport/until-june":  404,
		"/fhir/DocumentReference/until-june": 404,
		"/fhir/DiagnosticReport/until-may":   200, // its clinical date is its effective period, not when issued
	})
	// Opted out except records up to the end of 2015: an open start lies inside one.
	e.putAll(t, gp, [2]string{"/fhir/Consent/no-june-2015", janeConsent("no-june-2015", "2026-01-11", "OPTOUT", `,"provision":{"type":"deny","provision":[{"type":"permit","dataPeriod":{"end":"2015-12-31"}}]}`)})
	review13aExpect(t, e, "opt-out except up to 2015", map[string]int{
		"/fhir/DiagnosticReport/until-june": 200,
	})
}
