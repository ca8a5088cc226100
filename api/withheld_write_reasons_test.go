package api_test

import (
	"slices"
	"testing"
)

// TestRefusedWriteOfWithheldItemLogsWhy: a PUT or DELETE of an item the
// caller may not see is answered as for a taken or missing id, and its
// access-log entry says why the item was withheld, by code, as a read of
// it would (SPEC §6: "decision and reason codes"; review 86a: such
// writes were logged "withheld" with no reason). A sensitivity reason is
// logged as sensitive-label.
func TestRefusedWriteOfWithheldItemLogsWhy(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	if r := e.do("PUT", "/fhir/Consent/jane-no-council", e.token("system", "nhs", "A81001"), janeNotSharedWithCouncil); r.status != 201 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	sw := e.token("social-worker", "council", "E06000999")
	const hiv = `{"resourceType":"Condition","id":"hiv","subject":{"reference":"Patient/jane"},"code":{"text":"overwritten"}}`
	const hba1c = `{"resourceType":"Observation","id":"hba1c","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"overwritten"}}`
	for _, c := range []struct {
		name, method, path, token, body string
		status                          int
		reason                          string
	}{
		{"nurse deletes the HIV diagnosis", "DELETE", "/fhir/Condition/hiv", nurse, "", 404, "sensitive-label"},
		{"nurse overwrites the HIV diagnosis", "PUT", "/fhir/Condition/hiv", nurse, hiv, 409, "sensitive-label"},
		{"social worker overwrites a lab result", "PUT", "/fhir/Observation/hba1c", sw, hba1c, 409, "class-not-permitted"},
		{"social worker deletes the diabetes", "DELETE", "/fhir/Condition/diabetes", sw, "", 404, "consent-deny"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.method, c.path, c.token, c.body)
			if r.status != c.status {
				t.Fatalf("%s %s: %d, want %d: %s", c.method, c.path, r.status, c.status, r.body)
			}
			x := e.lastEntry(t)
			if x.Decision != "deny" || !slices.Contains(x.Reasons, "withheld") || !slices.Contains(x.Reasons, c.reason) {
				t.Errorf("logged %s %v, want deny with withheld and %s", x.Decision, x.Reasons, c.reason)
			}
			if slices.Contains(x.Reasons, "legally-restricted") {
				t.Errorf("logged %v: legally-restricted tells the IG officer what the record holds", x.Reasons)
			}
		})
	}
}
