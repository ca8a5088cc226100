package api_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestReview18eNarrativeLinkFormsABrowserFollows: review 18b masks a
// narrative's href and src attributes naming a withheld item, but other
// forms a browser reads as a link, loads or resolves went out as written,
// telling the hospital clinician the ids of Jane's withheld HIV diagnosis
// and letter: an attribute written straight after a quoted one with no
// space (<a title="x"href="Condition/hiv">, which HTML parsers accept),
// an image's srcset, an object's data, a video's poster, a quotation's
// cite, a longdesc, an SVG xlink:href, an unquoted value holding '='
// (href=Condition?_id=hiv, of which only "Condition?_id" was read), and
// a value with a tab or newline inside (a url parser drops them:
// Condi&#x09;tion/hiv is Condition/hiv). Now each is decided as a link
// and goes out as #(masked) where it names a withheld item; a srcset
// candidate naming an item the user sees stays, and so does the rest.
func TestReview18eNarrativeLinkFormsABrowserFollows(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	gpSystem := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Condition/hiv", hosp, ""); r.status != 404 {
		t.Fatalf("the premise: the HIV diagnosis is withheld from the hospital: %d", r.status)
	}
	cases := [][2]string{ // written, and what the hospital reads
		{`<a title=\"x\"href=\"Condition/hiv\">t</a>`, `<a title=\"x\"href=\"#(masked)\">t</a>`},
		{`<img alt='y'src='Binary/hivbin'/>`, `<img alt='y'src='#(masked)'/>`},
		{`<img srcset=\"Binary/hivbin 1x, Condition/diabetes 2x\"/>`, `<img srcset=\"#(masked)\"/>`},
		{`<object data=\"Binary/hivbin\">t</object>`, `<object data=\"#(masked)\">t</object>`},
		{`<video poster=\"Binary/hivbin\"></video>`, `<video poster=\"#(masked)\"></video>`},
		{`<blockquote cite=\"Condition/hiv\">t</blockquote>`, `<blockquote cite=\"#(masked)\">t</blockquote>`},
		{`<img src=\"Binary/x\" longdesc=\"Condition/hiv\"/>`, `longdesc=\"#(masked)\"`},
		{`<svg><a xlink:href=\"Condition/hiv\">t</a></svg>`, `<a xlink:href=\"#(masked)\">t</a>`},
		{`<a href=Condition?_id=hiv>t</a>`, `<a href=#(masked)>t</a>`},
		{`<a href=\"Condi&#x09;tion/hiv\">t</a>`, `<a href=\"#(masked)\">t</a>`},
		{`<a href=\"Condition/\thiv\">t</a>`, `<a href=\"#(masked)\">t</a>`},
	}
	for i, c := range cases {
		id := fmt.Sprintf("narr18e-%d", i)
		e.putAll(t, gpSystem, [2]string{"/fhir/Encounter/" + id, `{"resourceType":"Encounter","id":"` + id + `","status":"finished",
			"class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/jane"},
			"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>NARR18E ` + c[0] + `</p></div>"}}`})
		r := e.do("GET", "/fhir/Encounter/"+id, hosp, "")
		if r.status != 200 || !strings.Contains(r.body, "NARR18E") {
			t.Fatalf("%s: the premise: the hospital reads the encounter: %d %.300s", c[0], r.status, r.body)
		}
		if strings.Contains(strings.ToLower(r.body), "hiv") || !strings.Contains(r.body, c[1]) {
			t.Errorf("%s: the hospital reads %s, want %s masked", c[0], r.body[strings.Index(r.body, "NARR18E"):], c[1])
		}
		if r := e.do("GET", "/fhir/Encounter/"+id, gpSystem, ""); !strings.Contains(r.body, c[0]) {
			t.Errorf("%s: the practice reads its narrative as stored: %s", c[0], r.body)
		}
	}
	// A srcset naming only items she sees stays as written.
	e.putAll(t, gpSystem, [2]string{"/fhir/Encounter/narr18e-ok", `{"resourceType":"Encounter","id":"narr18e-ok","status":"finished",
		"class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/jane"},
		"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><img srcset=\"Condition/diabetes 1x, https://other.example/a.png 2x\" data-x=\"1\"/></div>"}}`})
	if r := e.do("GET", "/fhir/Encounter/narr18e-ok", hosp, ""); !strings.Contains(r.body, `srcset=\"Condition/diabetes 1x, https://other.example/a.png 2x\" data-x=\"1\"`) {
		t.Errorf("a srcset naming what she sees: %s", r.body)
	}
}
