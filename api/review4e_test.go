package api_test

// Review 4e: Consent provisions the API cannot apply. The API builds each
// item from stored metadata and does not know an item's author
// practitioner nor what refers to an item (consent.Item.Author, Refs), so
// such a provision could never match: a person's deny was stored and did
// nothing. A write now refuses it (422 naming the element); a stored one
// fails closed in the engine (consent/engine_test.go).

import (
	"strings"
	"testing"
)

func TestReview4eUnmatchableProvisionRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	const aut = `{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"AUT"}]},"reference":{"reference":"Practitioner/dr-x"}}`
	for _, c := range []struct{ name, prov, element string }{
		{"deny by an author practitioner", `{"type":"deny","actor":[` + aut + `]}`, "provision.actor[0].reference"},
		{"deny of data authored by a practitioner", `{"type":"deny","data":[{"meaning":"authoredby","reference":{"reference":"Practitioner/dr-x"}}]}`, "provision.data[0].reference"},
		{"deny of related data", `{"type":"deny","data":[{"meaning":"related","reference":{"reference":"Condition/hiv"}}]}`, "provision.data[0].meaning"},
	} {
		t.Run(c.name, func(t *testing.T) {
			id := "jane-4e-" + strings.ReplaceAll(c.name, " ", "-")
			r := e.do("PUT", "/fhir/Consent/"+id, gpSys, janeConsent(id, "2025-01-01", "OPTIN", `,"provision":`+c.prov))
			if r.status != 422 {
				t.Fatalf("PUT: %d %s, want 422 (the provision would silently match nothing)", r.status, r.body)
			}
			if !strings.Contains(r.body, c.element) || !strings.Contains(r.body, "instance") {
				t.Errorf("422 does not name %s or say what to use instead: %s", c.element, r.body)
			}
			if r := e.do("GET", "/fhir/Consent/"+id, gpSys, ""); r.status != 404 {
				t.Errorf("refused Consent stored: GET %d", r.status)
			}
		})
	}
	// What the message suggests instead is accepted.
	id := "jane-4e-by-org"
	r := e.do("PUT", "/fhir/Consent/"+id, gpSys, janeConsent(id, "2025-01-01", "OPTIN",
		`,"provision":{"type":"deny","data":[{"meaning":"authoredby","reference":{"reference":"Organization/RHX"}},{"meaning":"instance","reference":{"reference":"Condition/hiv"}}]}`))
	if r.status != 201 {
		t.Fatalf("deny of an organisation's data and of an instance: %d %s", r.status, r.body)
	}
}
