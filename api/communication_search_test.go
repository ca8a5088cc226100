package api_test

import (
	"strings"
	"testing"
)

// TestCommunicationSearchByPatient: R4's Communication and
// CommunicationRequest parameters, patient and subject among them, find a
// council's messages about a person (review 82c: 400, "Communication has
// no search parameter patient"); what the reader may not see stays out.
func TestCommunicationSearchByPatient(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	council := e.token("system", "council", "E06000999")
	e.putAll(t, council,
		[2]string{"/fhir/Communication/com-own", `{"resourceType":"Communication","id":"com-own","status":"completed","subject":{"reference":"Patient/jane"},"recipient":[{"reference":"Organization/A81001"}],"sent":"2026-11-30T10:00:00Z","payload":[{"contentString":"COM-OWN"}]}`},
		[2]string{"/fhir/CommunicationRequest/creq-own", `{"resourceType":"CommunicationRequest","id":"creq-own","status":"active","subject":{"reference":"Patient/jane"},"authoredOn":"2026-11-29"}`})
	for _, p := range []string{
		"/fhir/Communication?patient=jane",
		"/fhir/Communication?subject=Patient/jane&sent=ge2026-11-01",
		"/fhir/Communication?recipient=Organization/A81001&status=completed",
		"/fhir/CommunicationRequest?patient=jane&authored=2026-11-29",
	} {
		r := e.do("GET", p, council, "")
		if r.status != 200 || !strings.Contains(r.body, `"total":1`) {
			t.Errorf("%s: %d %.300s", p, r.status, r.body)
		}
	}
	// Another organisation's system reads its own only.
	if r := e.do("GET", "/fhir/Communication?patient=jane", e.token("system", "nhs", "RHX"), ""); r.status != 200 || strings.Contains(r.body, "COM-OWN") {
		t.Errorf("the hospital's system: %d %.300s", r.status, r.body)
	}
}
