package api_test

import (
	"strings"
	"testing"
)

// TestReview16dOddlyWrittenURIsNamingWithheldItemsAreMasked: a valueUri,
// valueUrl or valueCanonical naming a withheld item goes out masked (review
// 16a), but only when written exactly Type/id: written as the references
// and attachment urls that were masked already are (Condition//hiv,
// ./Condition/hiv, condition/hiv, Binary//hivbin, Binary%2Fhivbin, an
// encoded id Condition/h%69v), which many a client resolves to the same
// item, it went to the hospital clinician as stored, telling the withheld
// diagnosis's and letter's ids. Such a value names nothing readable: it
// goes out masked, as such a reference does.
func TestReview16dOddlyWrittenURIsNamingWithheldItemsAreMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for i, u := range []string{"Condition//hiv", "./Condition/hiv", "condition/hiv", "Binary//hivbin", "Binary%2Fhivbin", "Condition/h%69v",
		e.base + "/fhir//Condition/hiv", "./Binary/./hivbin"} {
		for _, k := range []string{"valueUri", "valueUrl", "valueCanonical"} {
			id := "uri16d-" + string(rune('a'+i)) + "-" + k
			body := `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},
				"description":"DOC16D","extension":[{"url":"http://e.example/a","` + k + `":"` + u + `"}],"content":[{"attachment":{"url":"https://docs.example.org/x.pdf"}}]}`
			if strings.Contains(u, "%") {
				// Refused on write since (TestPercentEncodedURIValuesAreRefused):
				// stored as an earlier carex stored it.
				storeAsIs16a(t, e, "A81001", strings.Replace(body, `"`+u+`"`, `"https://e.example/b"`, 1), body)
			} else {
				e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, body})
			}
			r := e.do("GET", "/fhir/DocumentReference/"+id, hosp, "")
			if r.status != 200 || !strings.Contains(r.body, "DOC16D") {
				t.Fatalf("%s: the premise: the hospital reads the GP's document: %d %.300s", id, r.status, r.body)
			}
			if strings.Contains(r.body, `"`+u+`"`) || !strings.Contains(r.body, `"valueCode":"masked"`) {
				t.Errorf("%s %q: a uri naming the withheld item, oddly written, goes to the hospital as stored: %.500s", k, u, r.body)
			}
			if r := e.do("GET", "/fhir/DocumentReference/"+id, gp, ""); !strings.Contains(r.body, `"`+u+`"`) {
				t.Errorf("%s: the practice reads its own document as stored: %.400s", id, r.body)
			}
		}
	}
}
