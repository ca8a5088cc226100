package api_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestSearchByAMaskedStringFindsNothing: a released item's string naming
// an item withheld from the reader goes out masked (7ebaa06), but the
// search index still held it as written. The hospital clinician, from whom
// Jane's HIV letter is withheld, found the GP's covering document by
// identifier=DocumentReference/hivdoc (its masked identifier value), could
// read a masked description letter by letter (description=Condition/h,
// description:contains=hiv), and learnt from _sort=description where it
// fell among others. Now, for a user who sees masked strings, a string or
// token search does not match a value that may name an item, and such
// values sort as missing; the practice still finds its own document by
// them.
func TestSearchByAMaskedStringFindsNothing(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	gpSystem := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/DocumentReference/hivdoc", hosp, ""); r.status != 404 {
		t.Fatalf("the premise: the HIV letter is withheld from the hospital: %d", r.status)
	}
	doc := func(id, desc, ident string) [2]string {
		return [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current",
			"subject":{"reference":"Patient/jane"},"description":"` + desc + `",
			"identifier":[{"system":"https://gp.example/letters","value":"` + ident + `"}],
			"content":[{"attachment":{"contentType":"text/plain","title":"` + id + `-title"}}]}`}
	}
	e.putAll(t, gpSystem,
		doc("ms-markdown", "See [the letter](DocumentReference/hivdoc) first", "M-1"),
		doc("ms-covering", "Condition/hiv", "DocumentReference/hivdoc"),
		doc("ms-before", "a letter", "A-1"),
		doc("ms-after", "d letter", "Z-2"))
	r := e.do("GET", "/fhir/DocumentReference/ms-covering", hosp, "")
	if r.status != 200 || strings.Contains(r.body, "hivdoc") || strings.Contains(r.body, "Condition/hiv") {
		t.Fatalf("the premise: the hospital reads the covering document with its identifier and description masked: %d %.600s", r.status, r.body)
	}
	finds := func(tok, query string) bool {
		t.Helper()
		r := e.do("GET", "/fhir/DocumentReference?"+query, tok, "")
		if r.status != 200 {
			t.Fatalf("%s: %d %.300s", query, r.status, r.body)
		}
		return strings.Contains(r.body, `"ms-covering"`)
	}
	for _, q := range []string{
		"identifier=" + url.QueryEscape("DocumentReference/hivdoc"),
		"identifier=" + url.QueryEscape("https://gp.example/letters|DocumentReference/hivdoc"),
		"description=" + url.QueryEscape("Condition/hiv"),
		"description=" + url.QueryEscape("Condition/h"),
		"description=" + url.QueryEscape("cond"),
		"description:contains=hiv",
		"description:exact=" + url.QueryEscape("Condition/hiv"),
		"patient=jane&description:contains=" + url.QueryEscape("/h"),
	} {
		if finds(hosp, q) {
			t.Errorf("DocumentReference?%s: the hospital finds the document by a string it sees masked", q)
		}
		if !finds(gpSystem, q) {
			t.Errorf("DocumentReference?%s: the practice no longer finds its own document", q)
		}
	}
	// A markdown link's target goes out masked inside the text (review
	// 18b): the text is not found by what the link names.
	if r := e.do("GET", "/fhir/DocumentReference/ms-markdown", hosp, ""); r.status != 200 || strings.Contains(r.body, "hivdoc") {
		t.Fatalf("the premise: the markdown link goes out masked: %d %.400s", r.status, r.body)
	}
	for _, q := range []string{"description:contains=hivdoc", "description=" + url.QueryEscape("See [the letter](Doc")} {
		r := e.do("GET", "/fhir/DocumentReference?"+q, hosp, "")
		if r.status != 200 || strings.Contains(r.body, `"ms-markdown"`) {
			t.Errorf("DocumentReference?%s: the hospital finds the document by its masked markdown link: %d", q, r.status)
		}
		if r := e.do("GET", "/fhir/DocumentReference?"+q, gpSystem, ""); !strings.Contains(r.body, `"ms-markdown"`) {
			t.Errorf("DocumentReference?%s: the practice no longer finds its own document", q)
		}
	}
	// Negated, the masked value is unequal to what was asked, as it reads.
	if !finds(hosp, "patient=jane&identifier:not="+url.QueryEscape("DocumentReference/hivdoc")) {
		t.Errorf("identifier:not=: the hospital misses the document, whose identifier it sees masked")
	}
	// Unmasked strings are found as before.
	for _, q := range []string{"description=a", "identifier=Z-2", "description:contains=letter"} {
		if r := e.do("GET", "/fhir/DocumentReference?"+q, hosp, ""); r.status != 200 || !strings.Contains(r.body, `"ms-before"`) && !strings.Contains(r.body, `"ms-after"`) {
			t.Errorf("DocumentReference?%s: the hospital no longer finds a document by its plain strings: %d %.300s", q, r.status, r.body)
		}
	}
	// Sorted, the masked description ("condition/hiv", between "a letter"
	// and "d letter") must not place the document between the two.
	order := func(tok, sort string) string {
		r := e.do("GET", "/fhir/DocumentReference?patient=jane&_sort="+sort+"&_elements=id", tok, "")
		if r.status != 200 {
			t.Fatalf("_sort=%s: %d %.300s", sort, r.status, r.body)
		}
		idx := func(id string) int { return strings.Index(r.body, `"`+id+`"`) }
		switch b, c, a := idx("ms-before"), idx("ms-covering"), idx("ms-after"); {
		case b < 0 || c < 0 || a < 0:
			t.Fatalf("_sort=%s: not all three documents: %.600s", sort, r.body)
		case b < c && c < a, a < c && c < b:
			return "between"
		}
		return "outside"
	}
	for _, s := range []string{"description", "-description", "identifier"} {
		if got := order(gpSystem, s); got != "between" {
			t.Errorf("the premise: _sort=%s: the practice sorts its own document between the others: %s", s, got)
		}
	}
	for _, s := range []string{"description", "-description", "identifier"} {
		if got := order(hosp, s); got == "between" {
			t.Errorf("_sort=%s: the hospital learns where the masked value falls among the others", s)
		}
	}
}
