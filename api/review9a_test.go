package api_test

import (
	"strconv"
	"strings"
	"testing"
)

// Review 9a: side channels by which a user learns that an item withheld
// from her exists, or something about it, other than by its body. Each
// test failed before its fix and says, in its comment, what went wrong.

// TestReview9aReferenceBudgetCountsOnlyReleasedItems: one request looks
// up at most 1,000 referenced items and people, and 4 more for each item
// it decided; past that, references are masked. The budget grew with every
// item decided, released or withheld, so the district nurse could count
// the items of Jane's record withheld from her: she writes a care plan
// naming 1,200 ids nothing is stored under (released as stored, up to
// the budget), reads Jane's $everything, and counts the references left
// unmasked. Each item withheld from her added 4 (the GP's 25 withheld
// diagnoses: 100 more), though a response must never say how much was
// withheld.
func TestReview9aReferenceBudgetCountsOnlyReleasedItems(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	var refs []string
	for i := range 1200 {
		refs = append(refs, `{"reference":"Condition/absent-`+strconv.Itoa(i)+`"}`)
	}
	plan := `{"resourceType":"CarePlan","id":"many","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"addresses":[` + strings.Join(refs, ",") + `]}`
	e.putAll(t, nurse, [2]string{"/fhir/CarePlan/many", plan})
	unmasked := func() int {
		t.Helper()
		r := e.do("GET", "/fhir/Patient/jane/$everything", nurse, "")
		if r.status != 200 {
			t.Fatalf("$everything: %d %.300s", r.status, r.body)
		}
		return strings.Count(r.body, `"Condition/absent-`)
	}
	before := unmasked()
	if before == 0 || before == len(refs) {
		t.Fatalf("premise: the budget masks some of the plan's %d references and not all: %d released", len(refs), before)
	}
	gp := e.token("system", "nhs", "A81001")
	for i := range 25 {
		id := "psy-" + strconv.Itoa(i)
		e.putAll(t, gp, [2]string{"/fhir/Condition/" + id, `{"resourceType":"Condition","id":"` + id + `","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"PSY"}]},"subject":{"reference":"Patient/jane"},"code":{"text":"WITHHELD"}}`})
	}
	if r := e.do("GET", "/fhir/Condition/psy-0", nurse, ""); r.status != 404 {
		t.Fatalf("premise: the PSY diagnosis is withheld from the nurse: %d", r.status)
	}
	if after := unmasked(); after != before {
		t.Errorf("the references released of the nurse's own plan went from %d to %d when 25 items withheld from her were written: the budget counts withheld items", before, after)
	}
}
