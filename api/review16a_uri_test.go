package api_test

import (
	"strings"
	"testing"
)

// TestReview16aURIsNamingWithheldItemsAreMasked: a reference to a withheld
// item goes out masked, without its id (a client-chosen id may say what the
// item is: "hivbin"), and so does an attachment url naming withheld
// content — but a uri element naming the same location (an extension's
// valueUri or valueUrl "Binary/hivbin", a valueCanonical
// "Condition/hiv") went to the hospital clinician as stored, telling the
// withheld items' ids. A valueUri, valueUrl or valueCanonical that names
// an item of this server (Type/id, relative or absolute) is now decided
// as a reference: where the item is withheld it goes out as
// _valueUri (etc.) carrying the masked mark; one naming something not
// stored here, or an item the user sees, goes out as stored; the
// practice reads its own document as stored.
func TestReview16aURIsNamingWithheldItemsAreMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/uri16a", `{"resourceType":"DocumentReference","id":"uri16a","status":"current","subject":{"reference":"Patient/jane"},
		"description":"DOC16A","extension":[{"url":"http://e.example/a","valueUri":"Binary/hivbin"},{"url":"http://e.example/b","valueUrl":"` + e.base + `/fhir/Binary/hivbin"},
		  {"url":"http://e.example/c","valueCanonical":"Condition/hiv|1"},{"url":"http://e.example/d","valueUri":"https://elsewhere.example.org/fhir/Condition/KEEP16A"},
		  {"url":"http://e.example/e","valueUri":"Patient/jane"}],
		"content":[{"attachment":{"url":"https://docs.example.org/x.pdf"}}]}`})
	for _, path := range []string{"/fhir/DocumentReference/uri16a", "/fhir/DocumentReference?patient=jane", "/fhir/Patient/jane/$everything"} {
		r := e.do("GET", path, hosp, "")
		if r.status != 200 || !strings.Contains(r.body, "DOC16A") {
			t.Fatalf("%s: the premise: the hospital reads the GP's document: %d %.300s", path, r.status, r.body)
		}
		if strings.Contains(r.body, "hivbin") || strings.Contains(r.body, "Condition/hiv") {
			t.Errorf("%s: a uri naming a withheld item goes to the hospital: %.700s", path, r.body)
		}
		if !strings.Contains(r.body, "KEEP16A") || !strings.Contains(r.body, `"valueUri":"Patient/jane"`) {
			t.Errorf("%s: a uri naming something not stored here, or Jane, is masked: %.700s", path, r.body)
		}
		if n := strings.Count(r.body, `"valueCode":"masked"`); n < 3 {
			t.Errorf("%s: want the three uris marked masked, %d are: %.700s", path, n, r.body)
		}
	}
	if r := e.do("GET", "/fhir/DocumentReference/uri16a", gp, ""); !strings.Contains(r.body, `"valueUri":"Binary/hivbin"`) {
		t.Errorf("the practice reads its own document as stored: %.400s", r.body)
	}
}
