package api_test

import (
	"strings"
	"testing"
)

// TestReview19bWrongResourceTypeSaysSo: SPEC §7 promises a clear
// OperationOutcome for a wrong resourceType. A client posting an
// Observation to /fhir/Patient was told so (400) only when the
// Observation happened to be valid; an incomplete one was answered 422
// with the Observation's missing elements ("Observation.code: required
// element missing"), sending the client to fix a resource it never meant
// to send there — in a create, an update, a batch entry and a transaction
// entry alike. Now each says the resourceType does not match the URL
// (400), and nothing is stored.
func TestReview19bWrongResourceTypeSaysSo(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	obs := `{"resourceType":"Observation","id":"wrong19b","subject":{"reference":"Patient/jane"}}`
	check := func(what string, status int, body string) {
		t.Helper()
		if status != 400 || !strings.Contains(body, "does not match") || strings.Contains(body, "required element missing") {
			t.Errorf("%s: %d %s; want 400 saying the resourceType does not match the URL", what, status, body)
		}
	}
	r := e.do("POST", "/fhir/Patient", gp, obs)
	check("POST /fhir/Patient", r.status, r.body)
	r = e.do("PUT", "/fhir/Patient/wrong19b", gp, obs)
	check("PUT /fhir/Patient/wrong19b", r.status, r.body)
	r = e.do("POST", "/fhir", gp, `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":`+obs+`,"request":{"method":"PUT","url":"Patient/wrong19b"}}]}`)
	check("transaction entry", r.status, r.body)
	r = e.do("POST", "/fhir", gp, `{"resourceType":"Bundle","type":"batch","entry":[{"resource":`+obs+`,"request":{"method":"POST","url":"Patient"}}]}`)
	if r.status != 200 || !strings.Contains(r.body, `"400 Bad Request"`) || !strings.Contains(r.body, "does not match") {
		t.Errorf("batch entry: %d %s; want the entry answered 400 saying the resourceType does not match", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Patient/wrong19b", gp, ""); r.status != 404 {
		t.Errorf("nothing is stored: %d %s", r.status, r.body)
	}
	// A resource of the URL's type that is invalid is still a 422 naming
	// the element.
	if r := e.do("POST", "/fhir/Observation", gp, obs); r.status != 422 || !strings.Contains(r.body, "Observation.code") {
		t.Errorf("an invalid Observation to /fhir/Observation: %d %s; want 422 naming Observation.code", r.status, r.body)
	}
}
