package api_test

import (
	"strings"
	"testing"
)

// TestReview15aReferenceWithCanonicalVersionIsMasked: the search index
// reads a reference as Type/id whatever follows the id — a canonical-style
// "|version" as well as a query or fragment (search.NormalizeReference;
// review 14b made Consents read references so) — but the masking of a
// released item's references (refCore, review 14c) dropped only the query,
// fragment and trailing slash: the GP's care plan addressing the withheld
// HIV diagnosis as Condition/hiv|1 went to the district nurse unmasked,
// display text and all, while CarePlan?condition=Condition/hiv found it.
func TestReview15aReferenceWithCanonicalVersionIsMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	for i, ref := range []string{"Condition/hiv|1", "Condition/hiv|", e.base + "/fhir/Condition/hiv|1", "Condition/hiv/_history/1|1"} {
		id := "plan-bar-" + string(rune('a'+i))
		e.putAll(t, gp, [2]string{"/fhir/CarePlan/" + id, `{"resourceType":"CarePlan","id":"` + id + `","status":"active","intent":"plan",
		  "subject":{"reference":"Patient/jane"},"title":"BAR-PLAN",
		  "addresses":[{"reference":"` + ref + `","display":"BAR-HIV-DISPLAY"}]}`})
		r := e.do("GET", "/fhir/CarePlan/"+id, nurse, "")
		if r.status != 200 || !strings.Contains(r.body, "BAR-PLAN") {
			t.Fatalf("%s: the premise: the nurse reads the GP's care plan: %d %.300s", ref, r.status, r.body)
		}
		if strings.Contains(r.body, "BAR-HIV-DISPLAY") || strings.Contains(r.body, "Condition/hiv") {
			t.Errorf("%s: the reference to the withheld HIV diagnosis goes to the nurse unmasked: %.400s", ref, r.body)
		}
		if r := e.do("GET", "/fhir/Patient/jane/$everything", nurse, ""); strings.Contains(r.body, "BAR-HIV-DISPLAY") {
			t.Errorf("%s: $everything gives the nurse the reference to the withheld HIV diagnosis", ref)
		}
		if r := e.do("GET", "/fhir/CarePlan/"+id, e.token("gp", "nhs", "A81001"), ""); !strings.Contains(r.body, "BAR-HIV-DISPLAY") {
			t.Errorf("%s: the GP, who sees the diagnosis, is given the reference masked: %.300s", ref, r.body)
		}
	}
	if r := e.do("GET", "/fhir/CarePlan?condition=Condition/hiv", nurse, ""); strings.Contains(r.body, "BAR-PLAN") {
		t.Errorf("a search by the withheld diagnosis finds the care plans addressing it: %.300s", r.body)
	}
}
