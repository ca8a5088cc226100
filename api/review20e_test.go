package api_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestReview20eEncodedSlashAfterSchemeIsMasked: "Condition%2Fhiv" and
// "https://h.example/fhir/Condition%2Fhiv" were masked (review 16d: a
// viewer decodes the slash), but the same after a custom scheme or a urn
// ("web+app:Condition%2Fhiv", "urn:x:Condition%2Fhiv", and the autolink
// "<web+app:Condition%2Fhiv>") went to the hospital clinician as written,
// naming the withheld diagnosis, and she found the document by it: the reader of such a url's path looked
// for a literal slash (review 20e found it). Now the path is read
// percent-decoded, as a fragment's is.
func TestReview20eEncodedSlashAfterSchemeIsMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSystem := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for i, s := range []string{"web+app:Condition%2Fhiv", "urn:x:Condition%2Fhiv", "x-carex:Condition%2fhiv", "urn:x:Condition%2F%68iv"} {
		id := "enc20e-" + string(rune('a'+i))
		e.putAll(t, gpSystem, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},
			"extension":[{"url":"https://example.org/app-link","valueString":"` + s + `"}],
			"description":"ENC20E see <` + s + `> end","content":[{"attachment":{"contentType":"text/plain","title":"t"}}]}`})
		r := e.do("GET", "/fhir/DocumentReference/"+id, hosp, "")
		if r.status != 200 || !strings.Contains(r.body, "ENC20E") {
			t.Fatalf("%s: the premise: the hospital reads the document: %d %.300s", s, r.status, r.body)
		}
		if strings.Contains(r.body, s) {
			t.Errorf("%s names the withheld diagnosis to the hospital: %.800s", s, r.body)
		}
		if !strings.Contains(r.body, "ENC20E see <#(masked)> end") || !strings.Contains(r.body, `"_valueString"`) {
			t.Errorf("%s: want the text's url and the valueString masked: %.800s", s, r.body)
		}
		searchHidesDocument(t, e, hosp, gpSystem, id, "description:contains="+url.QueryEscape(s))
	}
	// One naming an item she may see stays as written.
	e.putAll(t, gpSystem, [2]string{"/fhir/DocumentReference/enc20e-ok", `{"resourceType":"DocumentReference","id":"enc20e-ok","status":"current","subject":{"reference":"Patient/jane"},
		"description":"ENC20E sugar <web+app:Condition%2Fdiabetes> end","content":[{"attachment":{"contentType":"text/plain","title":"t"}}]}`})
	if r := e.do("GET", "/fhir/DocumentReference/enc20e-ok", hosp, ""); !strings.Contains(r.body, "<web+app:Condition%2Fdiabetes>") {
		t.Errorf("a url naming a diagnosis the hospital sees is masked: %.500s", r.body)
	}
}
