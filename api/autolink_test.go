package api_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestAutolinksToWithheldItemsAreMasked: a markdown viewer renders a url
// in free text as a link (CommonMark's autolink "<https://…>", GitHub's
// bare "https://…"), showing and following it, as it does an inline link
// "[x](…)", which goes out masked where it names a withheld item. Such
// urls went out as written: a GP note "Results: <BASE/fhir/Condition/hiv>,
// letter BASE/fhir/Binary/hivbin." told the hospital clinician the withheld
// items' ids, and she found the note by them (description:contains=hiv).
// Now each goes out as #(masked); urls of items she sees, other servers'
// urls without a record's path and the rest of the text stay as written,
// the practice reads the note as stored, and writing the masked copy back
// is refused (409).
func TestAutolinksToWithheldItemsAreMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	gpSystem := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	hospSys := e.token("system", "nhs", "RHX")
	text := `AUTO-ONE: <` + e.base + `/fhir/Condition/hiv>, letter ` + e.base + `/fhir/Binary/hivbin. Sugar ` + e.base + `/fhir/Condition/diabetes and https://other.example/guide (AUTO-TWO ` + e.base + `/fhir/Condition/h&#105;v)`
	doc := func(id string) string {
		return `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},
			"description":"` + text + `","content":[{"attachment":{"contentType":"text/plain","title":"` + id + `-title"}}]}`
	}
	e.putAll(t, gpSystem, [2]string{"/fhir/DocumentReference/auto-gp", doc("auto-gp")})
	e.putAll(t, hospSys, [2]string{"/fhir/DocumentReference/auto-hosp", doc("auto-hosp")})
	for _, path := range []string{"/fhir/DocumentReference/auto-gp", "/fhir/DocumentReference?patient=jane", "/fhir/Patient/jane/$everything"} {
		r := e.do("GET", path, hosp, "")
		if r.status != 200 || !strings.Contains(r.body, "AUTO-ONE") {
			t.Fatalf("%s: the premise: the hospital reads the document: %d %.300s", path, r.status, r.body)
		}
		for _, leak := range []string{"Condition/hiv", "Binary/hivbin", "Condition/h&#105;v"} {
			if strings.Contains(r.body, leak) {
				t.Errorf("%s: a url in the text names a withheld item to the hospital: %q", path, leak)
			}
		}
		for _, want := range []string{`AUTO-ONE: <#(masked)>, letter #(masked). Sugar ` + e.base + `/fhir/Condition/diabetes and https://other.example/guide (AUTO-TWO #(masked))`} {
			if !strings.Contains(r.body, want) {
				t.Errorf("%s: the hospital's text lacks %s: %.1500s", path, want, r.body)
			}
		}
	}
	if r := e.do("GET", "/fhir/DocumentReference/auto-gp", gpSystem, ""); !strings.Contains(r.body, e.base+`/fhir/Condition/hiv>`) {
		t.Errorf("the practice reads its text as stored: %s", r.body)
	}
	searchHidesDocument(t, e, hosp, gpSystem, "auto-gp", "description:contains=hiv", "description:contains="+url.QueryEscape("Binary/h"), "description=auto-one")
	maskedCopyRefused(t, e, hosp, "/fhir/DocumentReference/auto-hosp", "AUTO-ONE", "AUTO-EDITED")
}

// TestAutolinkInsideMarkdownLinkTextKeepsTheLink: a url in a markdown
// link's text ran on over "](…)", so masking it took the link with it:
// "[the link BASE/fhir/Condition/hiv](https://other.example/guide)" went
// out as "[the link #(masked))", losing the other server's url, which the
// hospital may read (review 19c noticed). A url now ends at '[' or ']',
// which no id holds.
func TestAutolinkInsideMarkdownLinkTextKeepsTheLink(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	gpSystem := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	text := `LT-ONE [the link ` + e.base + `/fhir/Condition/hiv](https://other.example/guide) and [` + e.base + `/fhir/Binary/hivbin]`
	e.putAll(t, gpSystem, [2]string{"/fhir/DocumentReference/auto-lt", `{"resourceType":"DocumentReference","id":"auto-lt","status":"current","subject":{"reference":"Patient/jane"},
		"description":"` + text + `","content":[{"attachment":{"contentType":"text/plain","title":"lt"}}]}`})
	r := e.do("GET", "/fhir/DocumentReference/auto-lt", hosp, "")
	if r.status != 200 || strings.Contains(r.body, "Condition/hiv") || strings.Contains(r.body, "hivbin") {
		t.Fatalf("the premise: the hospital reads the text with the urls masked: %d %.600s", r.status, r.body)
	}
	if want := `LT-ONE [the link #(masked)](https://other.example/guide) and [#(masked)]`; !strings.Contains(r.body, want) {
		t.Errorf("the hospital's text lacks %s: %.600s", want, r.body)
	}
}
