package api_test

import "testing"

// TestReview13aInnerResourcesDatesCount: an item's clinical date was its
// own element's alone, though the resources it carries are judged as its
// content for classes, codes and labels. Under Jane's "not my records from
// June 2015" the hospital clinician read a care plan of 2020 carrying a
// contained observation taken in June 2015, and a document written in 2024
// whose attached FHIR JSON is an observation of June 2015. Now the clinical
// date spans those of the resources it carries too.
func TestReview13aInnerResourcesDatesCount(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/CarePlan/holds-june", `{"resourceType":"CarePlan","id":"holds-june","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"period":{"start":"2020-01-01","end":"2020-12-31"},
			"contained":[{"resourceType":"Observation","id":"bp","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"BP"},"effectiveDateTime":"2015-06-10T10:00:00Z"}],"supportingInfo":[{"reference":"#bp"}]}`},
		[2]string{"/fhir/DocumentReference/attached-june", `{"resourceType":"DocumentReference","id":"attached-june","status":"current","type":{"text":"summary"},"subject":{"reference":"Patient/jane"},"date":"2024-03-01T10:00:00Z",
			"content":[{"attachment":{"contentType":"application/fhir+json","data":"eyJyZXNvdXJjZVR5cGUiOiJPYnNlcnZhdGlvbiIsImlkIjoiYnAiLCJzdGF0dXMiOiJmaW5hbCIsInN1YmplY3QiOnsicmVmZXJlbmNlIjoiUGF0aWVudC9qYW5lIn0sImNvZGUiOnsidGV4dCI6IkJQIn0sImVmZmVjdGl2ZURhdGVUaW1lIjoiMjAxNS0wNi0xMFQxMDowMDowMFoifQ=="}}]}`},
		[2]string{"/fhir/CarePlan/plain-2020", `{"resourceType":"CarePlan","id":"plain-2020","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"period":{"start":"2020-01-01","end":"2020-12-31"}}`},
	)
	review13aDenyJune2015(t, e)
	review13aExpect(t, e, "deny of June 2015", map[string]int{
		"/fhir/CarePlan/holds-june":             404,
		"/fhir/DocumentReference/attached-june": 404,
		"/fhir/CarePlan/plain-2020":             200,
	})
	// Opted out except her records of 2020: the plan carrying a 2015 observation is not wholly of 2020.
	e.putAll(t, gp, [2]string{"/fhir/Consent/no-june-2015", janeConsent("no-june-2015", "2026-01-11", "OPTOUT", `,"provision":{"type":"deny","provision":[{"type":"permit","dataPeriod":{"start":"2020-01-01","end":"2020-12-31"}}]}`)})
	review13aExpect(t, e, "opt-out except 2020", map[string]int{
		"/fhir/CarePlan/holds-june": 404,
		"/fhir/CarePlan/plain-2020": 200,
	})
}
