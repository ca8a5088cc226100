package api_test

import (
	"strings"
	"testing"
)

// TestReview18bNarrativeLinksToWithheldItemsAreMasked: a released item's
// narrative (text.div) is free text and went out as written, its links
// included: a GP encounter shared with the hospital whose narrative linked
// Jane's withheld HIV diagnosis (<a href="Condition/hiv">) and showed the
// withheld letter (<img src="Binary/hivbin">) told the hospital clinician
// the withheld items' ids, which the same strings in any other element
// would not (they go out masked). Now an href or src attribute naming an
// item stored here is decided as a reference: where the item is withheld
// its value goes out as "#(masked)" (a fragment naming no contained
// resource: the XHTML stays valid, every attribute in place), however
// written (entities, an absolute url, another case, unquoted or after a
// slash as a browser reads HTML: the div is not parsed); links to items the
// user sees and to other servers, and the narrative's text, go out as
// written. The practice, the source, reads it as stored, and a hospital
// client writing the masked narrative back is refused (409), as with a
// masked reference: storing it would lose the link for everyone.
func TestReview18bNarrativeLinksToWithheldItemsAreMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	gpSystem := e.token("system", "nhs", "A81001")
	gp := e.token("gp", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Condition/hiv", hosp, ""); r.status != 404 {
		t.Fatalf("the premise: the HIV diagnosis is withheld from the hospital: %d", r.status)
	}
	div := `<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Seen for <a href=\"Condition/hiv\">NARR-ONE</a> and ` +
		`<a href=\"Condition/diabetes\">diabetes</a>; letter <img src='Binary/hivbin' alt=\"scan\"/> ` +
		`<a title=\"x\" href = \"` + e.base + `/fhir/condition/hiv/_history/1\">NARR-TWO</a> ` +
		`<a href=\"Condition&#x2F;hiv\">NARR-THREE</a> <a href=\"DocumentReference?_id=hivdoc&amp;x=1\">NARR-FOUR</a> ` +
		`<a href=\"https://other.example/x/y\">elsewhere</a> ` +
		`<A HREF=Condition/hiv>NARR-FIVE</A> <img/src=\"Binary/hivbin\"/></p></div>`
	e.putAll(t, gpSystem, [2]string{"/fhir/Encounter/narr18b", `{"resourceType":"Encounter","id":"narr18b","status":"finished",
		"class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/jane"},
		"text":{"status":"generated","div":"` + div + `"}}`},
		// The same narrative written with an escape elsewhere (the decoded path).
		[2]string{"/fhir/Encounter/narr18b-esc", `{"resourceType":"Encounter","id":"narr18b-esc","status":"finished",
		"class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/jane"},
		"text":{"status":"generated","div":"` + strings.Replace(div, "Seen", `\u0053een`, 1) + `"}}`})
	leaks := []string{"Condition/hiv", "Binary/hivbin", "condition/hiv", "Condition&#x2F;hiv", "hivdoc"}
	for _, path := range []string{"/fhir/Encounter/narr18b", "/fhir/Encounter/narr18b-esc", "/fhir/Encounter?patient=jane", "/fhir/Patient/jane/$everything", "/fhir/Encounter?_id=narr18b&_elements=text", "/fhir/Encounter/narr18b/_history/1"} {
		r := e.do("GET", path, hosp, "")
		if r.status != 200 || !strings.Contains(r.body, "NARR-ONE") {
			t.Fatalf("%s: the premise: the hospital reads the encounter: %d %.300s", path, r.status, r.body)
		}
		for _, leak := range leaks {
			if strings.Contains(r.body, leak) {
				t.Errorf("%s: the narrative names a withheld item to the hospital with %q", path, leak)
			}
		}
		for _, want := range []string{`<a href=\"#(masked)\">NARR-ONE</a>`, `<img src='#(masked)' alt=\"scan\"/>`, `href = \"#(masked)\">NARR-TWO`,
			`<a href=\"#(masked)\">NARR-THREE`, `<a href=\"#(masked)\">NARR-FOUR`, `<a href=\"Condition/diabetes\">diabetes</a>`, `<a href=\"https://other.example/x/y\">`,
			`<A HREF=#(masked)>NARR-FIVE</A>`, `<img/src=\"#(masked)\"/>`} {
			if !strings.Contains(r.body, want) {
				t.Errorf("%s: the hospital's narrative lacks %s: %.2000s", path, want, r.body)
			}
		}
	}
	for _, tok := range []string{gp, gpSystem} {
		if r := e.do("GET", "/fhir/Encounter/narr18b", tok, ""); r.status != 200 || !strings.Contains(r.body, `<a href=\"Condition/hiv\">NARR-ONE`) || strings.Contains(r.body, "masked") {
			t.Errorf("the practice reads its narrative as stored: %d %s", r.status, r.body)
		}
	}
	// A hospital clinician writing back her organisation's encounter as
	// she read it would lose the links for everyone: refused.
	hospSys := e.token("system", "nhs", "RHX")
	e.putAll(t, hospSys, [2]string{"/fhir/Encounter/narr18b-hosp", `{"resourceType":"Encounter","id":"narr18b-hosp","status":"finished",
		"class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/jane"},
		"text":{"status":"generated","div":"` + div + `"}}`})
	read := e.do("GET", "/fhir/Encounter/narr18b-hosp", hosp, "")
	if read.status != 200 || !strings.Contains(read.body, "#(masked)") {
		t.Fatalf("the premise: the clinician reads her organisation's encounter masked: %d %s", read.status, read.body)
	}
	if r := e.do("PUT", "/fhir/Encounter/narr18b-hosp", hosp, strings.Replace(read.body, "NARR-ONE", "NARR-EDITED", 1)); r.status != 409 {
		t.Errorf("writing back the masked narrative: %d %s, want 409", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Encounter/narr18b-hosp", hospSys, ""); !strings.Contains(r.body, `<a href=\"Condition/hiv\">NARR-ONE`) {
		t.Errorf("the stored narrative lost its link: %s", r.body)
	}
}
