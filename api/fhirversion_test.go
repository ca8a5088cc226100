package api_test

import "testing"

// TestAcceptOtherFHIRVersion: carex serves R4 only, so a client asking for
// another version by the media type's fhirVersion parameter is answered
// 406, not with R4 it did not ask for (review 82d); R4's own (4.0, 4.0.1)
// and no version at all are served.
func TestAcceptOtherFHIRVersion(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	for _, c := range []struct {
		path, accept string
		want         int
	}{
		{"/fhir/Patient/jane", "application/fhir+json; fhirVersion=3.0", 406},
		{"/fhir/Patient/jane", "application/fhir+json;fhirVersion=5.0", 406},
		{"/fhir/Patient/jane", "application/fhir+json; fhirVersion=3.0, application/json;fhirVersion=4.0", 200},
		{"/fhir/Patient/jane", "application/fhir+json; fhirVersion=4.0", 200},
		{"/fhir/Patient/jane", "application/fhir+json; fhirVersion=4.0.1", 200},
		{"/fhir/Patient/jane", "application/fhir+json", 200},
		{"/fhir/Patient/jane?_format=application/fhir%2Bjson%3BfhirVersion%3D3.0", "", 406},
		{"/fhir/Patient/jane?_format=json%3BfhirVersion%3D4.0", "", 200},
	} {
		var r resp
		if c.accept == "" {
			r = e.do("GET", c.path, gp, "")
		} else {
			r = e.do("GET", c.path, gp, "", "Accept", c.accept)
		}
		if r.status != c.want {
			t.Errorf("GET %s Accept %q: %d, want %d: %.200s", c.path, c.accept, r.status, c.want, r.body)
		}
	}
}

// TestWriteOfOtherFHIRVersion: a body whose Content-Type declares another
// FHIR version (fhirVersion=3.0) is refused with 415 and stores nothing,
// rather than stored as R4 (review 88b); R4's own is stored.
func TestWriteOfOtherFHIRVersion(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	body := `{"resourceType":"Condition","id":"stu3","subject":{"reference":"Patient/jane"},"code":{"text":"x"}}`
	if r := e.do("PUT", "/fhir/Condition/stu3", gp, body, "Content-Type", "application/fhir+json; fhirVersion=3.0"); r.status != 415 {
		t.Errorf("PUT declared STU3: %d, want 415: %.200s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/stu3", gp, ""); r.status != 404 {
		t.Errorf("after the refused PUT: %d, want 404", r.status)
	}
	if r := e.do("PUT", "/fhir/Condition/stu3", gp, body, "Content-Type", "application/fhir+json; fhirVersion=4.0"); r.status != 201 {
		t.Errorf("PUT declared R4: %d, want 201: %.200s", r.status, r.body)
	}
}
