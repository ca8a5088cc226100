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

// TestReview20cWholeStringWithInvisibleCharacterIsMasked: a soft hyphen, a
// zero-width space or a word joiner is invisible: a viewer shows
// "Condi<soft hyphen>tion/hiv" as Condition/hiv. Inside free text such a
// link was read without them (review 19c), but a string that is one
// reference was read with them in place, its segments ending at the
// character and naming no type: the GP document's description
// "Condi<U+00AD>tion/hiv", its extension's valueString
// "Bin<U+200B>ary/hivbin" (written as the JSON escape) and its identifier
// "DocumentReference/hiv<U+2060>doc" went to the hospital clinician as
// written, showing her the withheld items' ids, and she found the
// document by them (description:contains=hiv). Now such a string is read
// without what a viewer does not show: it goes out as _description (etc.)
// with the masked mark, as the same string without the character does, a
// search does not match it for her, the practice reads and finds it as
// stored, and her masked copy written back is refused (409). One naming an
// item she sees goes out masked too: written so it names nothing the
// server reads (as a url with backslashes, review 16f).
func TestReview20cWholeStringWithInvisibleCharacterIsMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	gpSystem := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	hospSys := e.token("system", "nhs", "RHX")
	doc := func(id string) string {
		return `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},
			"identifier":[{"system":"https://example.org/links","value":"DocumentReference/hiv` + "\u2060" + `doc"}],
			"extension":[{"url":"https://example.org/app-link","valueString":"Bin\u200bary/hivbin"},{"url":"https://example.org/other","valueString":"Condi` + "\u00ad" + `tion/diabetes"}],
			"description":"Condi` + "\u00ad" + `tion/hiv","content":[{"attachment":{"contentType":"text/plain","title":"INVIS-ONE"}}]}`
	}
	e.putAll(t, gpSystem, [2]string{"/fhir/DocumentReference/invis-gp", doc("invis-gp")})
	e.putAll(t, hospSys, [2]string{"/fhir/DocumentReference/invis-hosp", doc("invis-hosp")})
	for _, path := range []string{"/fhir/DocumentReference/invis-gp", "/fhir/DocumentReference?patient=jane", "/fhir/Patient/jane/$everything"} {
		r := e.do("GET", path, hosp, "")
		if r.status != 200 || !strings.Contains(r.body, "INVIS-ONE") {
			t.Fatalf("%s: the premise: the hospital reads the document: %d %.300s", path, r.status, r.body)
		}
		for _, leak := range []string{"tion/hiv", "ary/hivbin", "hiv\u2060doc", `hiv\u2060doc`, "Condi\u00adtion/diabetes"} {
			if strings.Contains(r.body, leak) {
				t.Errorf("%s: a string naming an item with an invisible character goes to the hospital: %q", path, leak)
			}
		}
		for _, want := range []string{`"_description":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason"`,
			`"_valueString":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason"`,
			`"_value":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason"`} {
			if !strings.Contains(r.body, want) {
				t.Errorf("%s: the hospital's copy lacks %s: %.1500s", path, want, r.body)
			}
		}
	}
	if r := e.do("GET", "/fhir/DocumentReference/invis-gp", gpSystem, ""); !strings.Contains(r.body, "Condi\u00adtion/hiv") || strings.Contains(r.body, "masked") {
		t.Errorf("the practice reads its document as stored: %s", r.body)
	}
	searchHidesDocument(t, e, hosp, gpSystem, "invis-gp", "description:contains=hiv", "description:contains=tion", "identifier=DocumentReference/hiv"+url.QueryEscape("\u2060")+"doc")
	read := e.do("GET", "/fhir/DocumentReference/invis-hosp", hosp, "")
	if read.status != 200 || !strings.Contains(read.body, `"_description"`) {
		t.Fatalf("the premise: the clinician reads her organisation's document masked: %d %.400s", read.status, read.body)
	}
	if w := e.do("PUT", "/fhir/DocumentReference/invis-hosp", hosp, strings.Replace(read.body, "INVIS-ONE", "INVIS-EDITED", 1)); w.status != 409 {
		t.Errorf("writing back the masked copy: %d %.300s, want 409", w.status, w.body)
	}
}
