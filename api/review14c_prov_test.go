package api_test

import (
	"strings"
	"testing"
)

// TestReview14cProvenanceOfAVersionWithAFragment: the provenance of one
// version of an item (target Condition/c1/_history/1) goes out only where
// that version is seen too (review 8), but a target written with a
// fragment (Condition/c1/_history/1#x, which names the same version) was
// read as naming the item alone: the hospital clinician, from whom the
// first version — coded HIV before it was corrected — is withheld, was
// given its provenance. The fragment is now left out as a reference's is.
func TestReview14cProvenanceOfAVersionWithAFragment(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Condition/c1", `{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}`},
		[2]string{"/fhir/Condition/c1", `{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]}}`})
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Condition/c1/_history/1", hosp, ""); r.status != 404 {
		t.Fatalf("the premise: the first version is withheld from the hospital: %d", r.status)
	}
	for _, target := range []string{"Condition/c1/_history/1", "Condition/c1/_history/1#x"} {
		id := "prov" + strings.Map(func(r rune) rune {
			if r == '#' {
				return '-'
			}
			return -1
		}, target)
		e.putAll(t, gp, [2]string{"/fhir/Provenance/" + id, `{"resourceType":"Provenance","id":"` + id + `","target":[{"reference":"` + target + `"}],"recorded":"2026-01-01T00:00:00Z","agent":[{"who":{"reference":"Organization/A81001"}}]}`})
		if r := e.do("GET", "/fhir/Provenance/"+id, hosp, ""); r.status != 404 {
			t.Errorf("%s: the provenance of a withheld version is released: %d %.300s", target, r.status, r.body)
		}
	}
}
