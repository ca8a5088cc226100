package api_test

// Review 14a: the write path — who may write what, what a write's answer
// tells the writer, versioning under concurrency, and the access log of
// writes.

import (
	"slices"
	"strings"
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

// TestReview14aRefusedTransactionNamesEveryEntrysPerson: a transaction
// refused at one entry was logged naming the people of the entries
// decided up to the refusal and of the new versions, but not those of
// the items later entries would delete or take from a person: the
// hospital's transaction deleting the GP's diagnosis of Jane (refused,
// another organisation's) and its own admission of Bob, or moving that
// admission from Bob to Jane, was logged under Jane alone, so Bob's
// $who-accessed did not show the attempt on his record. The write
// decision should note the people of every item the transaction would
// replace before it refuses any.
func TestReview14aRefusedTransactionNamesEveryEntrysPerson(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("system", "nhs", "RHX")
	hc := e.token("hospital-clinician", "nhs", "RHX")
	e.putAll(t, gp, [2]string{"/fhir/Patient/bob", `{"resourceType":"Patient","id":"bob","name":[{"family":"Bob"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`})
	e.putAll(t, hosp, [2]string{"/fhir/Encounter/bob-adm", `{"resourceType":"Encounter","id":"bob-adm","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/bob"}}`})
	moved := `{"resourceType":"Encounter","id":"bob-adm","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/jane"}}`
	for _, c := range []struct{ name, second string }{
		{"a later DELETE", `{"request":{"method":"DELETE","url":"Encounter/bob-adm"}}`},
		{"a later PUT moving Bob's item to Jane", `{"request":{"method":"PUT","url":"Encounter/bob-adm"},"resource":` + moved + `}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			tx := `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"DELETE","url":"Condition/diabetes"}},` + c.second + `]}`
			r := e.do("POST", "/fhir", hc, tx)
			if r.status != 403 {
				t.Fatalf("transaction: %d, want 403 (the GP's diagnosis): %s", r.status, r.body)
			}
			got := e.loggedPeople(t, "POST", "/fhir")
			if !slices.Contains(got, "jane") || !slices.Contains(got, "bob") {
				t.Errorf("the refused transaction is logged naming %v: want Jane and Bob, whose items it would have changed", got)
			}
		})
	}
	// Nothing was stored.
	if r := e.do("GET", "/fhir/Encounter/bob-adm", hosp, ""); r.status != 200 || !strings.Contains(r.body, "Patient/bob") {
		t.Errorf("bob-adm after the refused transactions: %d %s", r.status, r.body)
	}
}
