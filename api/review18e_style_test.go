package api_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestReview18eNarrativeStyleURLsToWithheldItemsAreMasked: FHIR narratives
// may carry style attributes, and a browser loads what a CSS url() in one
// names, as it does an img's src: a GP encounter shared with the hospital
// whose narrative showed the withheld letter as a background
// (<div style="background:url('Binary/hivbin')">) went out as written,
// telling the hospital clinician its id, where the same in an img's src is
// masked. Now a url() in the narrative is decided as a link: #(masked)
// where it names a withheld item; one naming an item she sees, or another
// server's, stays, and the practice reads the narrative as stored.
func TestReview18eNarrativeStyleURLsToWithheldItemsAreMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	gpSystem := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	cases := [][2]string{ // written, and what the hospital reads
		{`<div style=\"background:url('Binary/hivbin')\">t</div>`, `<div style=\"background:url('#(masked)')\">t</div>`},
		{`<span style='background-image: URL( \"Binary/hivbin\" )'>t</span>`, `<span style='background-image: URL( \"#(masked)\" )'>t</span>`},
		{`<p style=\"background:url(Binary/hivbin)\">t</p>`, `<p style=\"background:url(#(masked))\">t</p>`},
		{`<p style=\"background:url(&quot;Binary/hivbin&quot;)\">t</p>`, `<p style=\"background:url(#(masked))\">t</p>`},
		{`<p style=\"background:url(https://other.example/a.png)\">t</p>`, `<p style=\"background:url(https://other.example/a.png)\">t</p>`},
	}
	for i, c := range cases {
		id := fmt.Sprintf("style18e-%d", i)
		e.putAll(t, gpSystem, [2]string{"/fhir/Encounter/" + id, `{"resourceType":"Encounter","id":"` + id + `","status":"finished",
			"class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/jane"},
			"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>STYLE18E ` + c[0] + `</p></div>"}}`})
		r := e.do("GET", "/fhir/Encounter/"+id, hosp, "")
		if r.status != 200 || !strings.Contains(r.body, "STYLE18E") {
			t.Fatalf("%s: the premise: the hospital reads the encounter: %d %.300s", c[0], r.status, r.body)
		}
		if strings.Contains(r.body, "hiv") || !strings.Contains(r.body, c[1]) {
			t.Errorf("%s: the hospital reads %s, want %s", c[0], r.body[strings.Index(r.body, "STYLE18E"):], c[1])
		}
		if r := e.do("GET", "/fhir/Encounter/"+id, gpSystem, ""); !strings.Contains(r.body, c[0]) {
			t.Errorf("%s: the practice reads its narrative as stored: %s", c[0], r.body)
		}
	}
}
