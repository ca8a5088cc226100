package api_test

// Review 14a: the write path — who may write what, what a write's answer
// tells the writer, versioning under concurrency, and the access log of
// writes.

import (
	"slices"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// TestReview14aRefusedWriteNamesThePersonOfTheItem: a write refused before
// the write decision looked the item up — a token whose purpose is not
// direct care (403), no token (401), an invalid body (422), a malformed
// If-Match or a body whose id is not the URL's (400) — was logged naming
// no one, though its URL names an item of Jane's record: a PUT or DELETE
// of /fhir/Condition/diabetes (Jane's diagnosis) by someone claiming the
// purpose "marketing" was refused and logged, but IG's $who-accessed and
// AuditEvent?patient=jane did not list it, while the same write refused
// by the write decision (an IG officer's, another organisation's) was
// listed. The entry should name the people of the item the URL names (its
// current version, or its last when deleted), as a refused write over a
// Patient's URL already names that Patient.
func TestReview14aRefusedWriteNamesThePersonOfTheItem(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	hc := e.token("hospital-clinician", "nhs", "RHX")
	mk := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Purpose = "HMARKT" })
	if r := e.do("DELETE", "/fhir/Observation/hba1c", gp, ""); r.status != 204 {
		t.Fatalf("deleting hba1c: %d %s", r.status, r.body)
	}
	diab := `{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"text":"X"}}`
	bad := `{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"text":"X"},"colour":"red"}`
	other := `{"resourceType":"Condition","id":"other","subject":{"reference":"Patient/bob"},"code":{"text":"X"}}`
	for _, c := range []struct {
		name, method, path, tok, body string
		h                             []string
		status                        int
	}{
		{"marketing purpose PUT", "PUT", "/fhir/Condition/diabetes", mk, diab, nil, 403},
		{"marketing purpose DELETE", "DELETE", "/fhir/Condition/diabetes", mk, "", nil, 403},
		{"marketing purpose DELETE of a deleted item", "DELETE", "/fhir/Observation/hba1c", mk, "", nil, 403},
		{"no token DELETE", "DELETE", "/fhir/Condition/hiv", "", "", nil, 401},
		{"no token PUT", "PUT", "/fhir/Condition/hiv", "", diab, nil, 401},
		{"invalid body", "PUT", "/fhir/Condition/diabetes", gp, bad, nil, 422},
		{"malformed If-Match", "DELETE", "/fhir/Condition/diabetes", hc, "", []string{"If-Match", "xyz"}, 400},
		{"body id not the URL's", "PUT", "/fhir/Condition/diabetes", gp, other, nil, 400},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.method, c.path, c.tok, c.body, c.h...)
			if r.status != c.status {
				t.Fatalf("%s %s: %d, want %d: %s", c.method, c.path, r.status, c.status, r.body)
			}
			if got := e.loggedPeople(t, c.method, c.path); !slices.Contains(got, "jane") {
				t.Errorf("%s %s refused with %d is logged naming %v: not Jane, whose item it would have changed", c.method, c.path, r.status, got)
			}
		})
	}
}
