package api_test

import (
	"strings"
	"testing"
)

// TestReview17bMaskedStringsAreNotWrittenBack: a probe (it passed when
// first written). A hospital clinician's copy of her organisation's
// document carries, since 7ebaa06, strings naming the GP's withheld HIV
// diagnosis or letter masked in any element: an extension's valueString
// and an identifier's value as _valueString / _value with the masked mark,
// a list's element as null with the mark beside it, a search url by id.
// Writing that copy back would store the masks in place of the strings
// for everyone: it must be refused (409), the stored document kept.
func TestReview17bMaskedStringsAreNotWrittenBack(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	hospSys := e.token("system", "nhs", "RHX")
	clin := e.token("hospital-clinician", "nhs", "RHX")
	for i, body := range []string{
		`"extension":[{"url":"http://e.example/a","valueString":"Condition/hiv"}]`,
		`"identifier":[{"system":"https://e.example/ids","value":"DocumentReference/hivdoc"}]`,
		`"extension":[{"url":"http://e.example/a","valueAddress":{"line":["1 High St","Condition/hiv"]}}]`,
		`"extension":[{"url":"http://e.example/a","valueString":"Encounter?diagnosis=Condition/hiv"}]`,
		`"extension":[{"url":"http://e.example/a","valueString":"Condition/diabetes,Condition/hiv"}]`,
	} {
		id := "wb17b-" + string(rune('a'+i))
		doc := `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","description":"HOSP-DOC","subject":{"reference":"Patient/jane"},` + body + `,"content":[{"attachment":{"url":"https://docs.example.org/x.pdf"}}]}`
		e.putAll(t, hospSys, [2]string{"/fhir/DocumentReference/" + id, doc})
		r := e.do("GET", "/fhir/DocumentReference/"+id, clin, "")
		if r.status != 200 || !strings.Contains(r.body, `"masked"`) || strings.Contains(r.body, "hiv") {
			t.Fatalf("%s: the premise: her copy masks the string: %d %s", id, r.status, r.body)
		}
		edited := strings.Replace(r.body, "HOSP-DOC", "HOSP-DOC-EDITED", 1)
		if w := e.do("PUT", "/fhir/DocumentReference/"+id, clin, edited); w.status != 409 {
			t.Errorf("%s: writing back a masked string: %d %.300s, want 409", id, w.status, w.body)
		}
		if r := e.do("GET", "/fhir/DocumentReference/"+id, hospSys, ""); strings.Contains(r.body, "EDITED") || strings.Contains(r.body, `"masked"`) || !strings.Contains(r.body, "hiv") {
			t.Errorf("%s: the stored document changed: %s", id, r.body)
		}
	}
}
