package api_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestReview20cCustomSchemeAutolinkIsMasked: CommonMark renders an
// autolink of any scheme (2 to 32 letters, digits, '+', '.', '-') as a
// link: "<x-carex:Condition/hiv>" and "<web+app:Binary/hivbin>" (an app's
// registered protocol handler routes by the path) show and follow the
// item's id. But carex's url reader found a path only after "urn:": the
// scheme clung to the first segment ("x-carex:Condition"), naming no
// type, so the GP document's description went to the hospital clinician
// as written, telling her the withheld diagnosis' and letter's ids; so
// did an extension's valueString "web+app:Condition/hiv", which a
// "urn:x:Condition/hiv" is masked as. Now such a url is read as a urn is,
// by the path after the scheme: those go out as #(masked) (the
// valueString as _valueString with the masked mark), a search does not
// match the text for her, and her masked copy written back is refused;
// one naming an item she sees (the diabetes diagnosis), a phone number, a
// mail address and "<a:b>" go out as written.
func TestReview20cCustomSchemeAutolinkIsMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	gpSystem := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	hospSys := e.token("system", "nhs", "RHX")
	text := `SCHEME-ONE see <x-carex:Condition/hiv> and <web+app:Binary/hivbin>, <X-Carex:condition/hiv> or <web+app:app:Condition/hiv>; sugar <x-carex:Condition/diabetes>, ring <tel:+441632960001> or <mailto:gp@nhs.example>, ratio <a:b> end`
	doc := func(id string) string {
		return `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},
			"extension":[{"url":"https://example.org/app-link","valueString":"web+app:Condition/hiv"}],
			"description":"` + text + `","content":[{"attachment":{"contentType":"text/plain","title":"` + id + `-title"}}]}`
	}
	e.putAll(t, gpSystem, [2]string{"/fhir/DocumentReference/scheme-gp", doc("scheme-gp")})
	e.putAll(t, hospSys, [2]string{"/fhir/DocumentReference/scheme-hosp", doc("scheme-hosp")})
	for _, path := range []string{"/fhir/DocumentReference/scheme-gp", "/fhir/DocumentReference?patient=jane", "/fhir/Patient/jane/$everything"} {
		r := e.do("GET", path, hosp, "")
		if r.status != 200 || !strings.Contains(r.body, "SCHEME-ONE") {
			t.Fatalf("%s: the premise: the hospital reads the document: %d %.300s", path, r.status, r.body)
		}
		for _, leak := range []string{"ondition/hiv", "Binary/hivbin"} {
			if strings.Contains(r.body, leak) {
				t.Errorf("%s: a custom-scheme url names a withheld item to the hospital: %q", path, leak)
			}
		}
		want := `SCHEME-ONE see <#(masked)> and <#(masked)>, <#(masked)> or <#(masked)>; sugar <x-carex:Condition/diabetes>, ring <tel:+441632960001> or <mailto:gp@nhs.example>, ratio <a:b> end`
		if !strings.Contains(r.body, want) {
			t.Errorf("%s: the hospital's text lacks %s: %.1500s", path, want, r.body)
		}
		if !strings.Contains(r.body, `"_valueString":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason"`) {
			t.Errorf("%s: the valueString naming the withheld diagnosis is not masked: %.1500s", path, r.body)
		}
	}
	if r := e.do("GET", "/fhir/DocumentReference/scheme-gp", gpSystem, ""); !strings.Contains(r.body, `<x-carex:Condition/hiv>`) || strings.Contains(r.body, "masked") {
		t.Errorf("the practice reads its text as stored: %s", r.body)
	}
	searchHidesDocument(t, e, hosp, gpSystem, "scheme-gp", "description:contains=hiv", "description:contains="+url.QueryEscape("Binary/h"), "description=scheme-one")
	maskedCopyRefused(t, e, hosp, "/fhir/DocumentReference/scheme-hosp", "SCHEME-ONE", "SCHEME-EDITED")
}
