package api_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestAutolinkFormsAreMaskedAndHidden: urls in free text the release
// passed over or the search still matched (a re-read of this stop's
// change): a url whose letters are character references (the byte scan
// did not decode them), a www. url at the start of a line (the byte scan
// read the JSON escape's letter as part of a scheme), characters a viewer
// does not show beyond Unicode's format characters (a variation selector,
// a combining grapheme joiner), named references whose case the search
// index's lower-casing changed (&Tab;, &ZeroWidthSpace;), and an angle
// autolink holding brackets (an IPv6 host). Each names Jane's withheld
// HIV diagnosis; the hospital clinician must neither read its id nor find
// the document by it, and the practice reads and finds it as written.
func TestAutolinkFormsAreMaskedAndHidden(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	gpSystem := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	forms := []string{
		`see ` + e.base + `/fhir/Condi&shy;tion/hiv now`,
		`see ` + e.base + `/fhir/Condi&#x74;ion/hiv now`,
		e.base + `/fhir/Condi&shy;tion/hiv`,
		`results:\nwww.example.org/fhir/Condition/hiv see`,
		`see ` + e.base + `/fhir/Condi` + "\uFE0F" + `tion/hiv now`,
		`see ` + e.base + `/fhir/Condi` + "\u034F" + `tion/hiv now`,
		`see [the result](Condi&Tab;tion/hiv) now`,
		`see ` + e.base + `/fhir/Condi&ZeroWidthSpace;tion/hiv and [guide](https://other.example/g) now`,
		`see <http://[::1]/fhir/Condition/hiv> now`,
	}
	for i, desc := range forms {
		id := fmt.Sprintf("form-%d", i)
		e.putAll(t, gpSystem, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},
			"description":"` + desc + `","content":[{"attachment":{"contentType":"text/plain","title":"` + id + `"}}]}`})
		r := e.do("GET", "/fhir/DocumentReference/"+id, hosp, "")
		if r.status != 200 || !strings.Contains(r.body, "#(masked)") {
			t.Errorf("%q: the hospital reads the url as written: %d %.500s", desc, r.status, r.body)
		}
		if g := e.do("GET", "/fhir/DocumentReference/"+id, gpSystem, ""); strings.Contains(g.body, "masked") {
			t.Errorf("%q: the practice reads its text masked: %.500s", desc, g.body)
		}
	}
	rh := e.do("GET", "/fhir/DocumentReference?description:contains=hiv&_count=100", hosp, "")
	rg := e.do("GET", "/fhir/DocumentReference?description:contains=hiv&_count=100", gpSystem, "")
	for i, desc := range forms {
		id := fmt.Sprintf(`"form-%d"`, i)
		if strings.Contains(rh.body, id) {
			t.Errorf("%q: the hospital finds the document by the url it sees masked", desc)
		}
		if !strings.Contains(rg.body, id) {
			t.Errorf("%q: the practice no longer finds its document", desc)
		}
	}
}
