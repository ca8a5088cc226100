package api_test

import (
	"strings"
	"testing"
)

// TestReview16fMaskedURLsAreNotWrittenBack: a probe (it passed when first
// written). A hospital clinician's copy of her organisation's document
// whose attachment url, or an extension's valueUri, names the GP's HIV
// diagnosis or letter (withheld from her) carries them masked (review 16d,
// 16f: as _url / _valueUri with the masked mark, the attachment without
// its title). Writing that copy back would store the mask in place of the
// url for everyone: it must be refused (409) as a masked reference is, the
// stored document kept.
func TestReview16fMaskedURLsAreNotWrittenBack(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	hospSys := e.token("system", "nhs", "RHX")
	clin := e.token("hospital-clinician", "nhs", "RHX")
	for i, body := range []string{
		`"content":[{"attachment":{"url":"Condition/hiv","title":"T16F","contentType":"text/plain"}}]`,
		`"content":[{"attachment":{"url":"DocumentReference/hivdoc/_history","contentType":"text/plain"}}]`,
		`"extension":[{"url":"http://e.example/a","valueUri":"DocumentReference/hivdoc"}],"content":[{"attachment":{"url":"https://docs.example.org/x.pdf"}}]`,
		`"extension":[{"url":"http://e.example/a","valueCanonical":"Condition/hiv/_history"}],"content":[{"attachment":{"url":"https://docs.example.org/x.pdf"}}]`,
	} {
		id := "wb16f-" + string(rune('a'+i))
		doc := `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","description":"HOSP-DOC","subject":{"reference":"Patient/jane"},` + body + `}`
		e.putAll(t, hospSys, [2]string{"/fhir/DocumentReference/" + id, doc})
		r := e.do("GET", "/fhir/DocumentReference/"+id, clin, "")
		if r.status != 200 || !strings.Contains(r.body, `"masked"`) {
			t.Fatalf("%s: the premise: her copy masks the url: %d %s", id, r.status, r.body)
		}
		edited := strings.Replace(r.body, "HOSP-DOC", "HOSP-DOC-EDITED", 1)
		if w := e.do("PUT", "/fhir/DocumentReference/"+id, clin, edited); w.status != 409 {
			t.Errorf("%s: writing back a masked url: %d %.300s, want 409", id, w.status, w.body)
		}
		if r := e.do("GET", "/fhir/DocumentReference/"+id, hospSys, ""); strings.Contains(r.body, "EDITED") || strings.Contains(r.body, `"masked"`) {
			t.Errorf("%s: the stored document changed: %s", id, r.body)
		}
	}
}
