package api_test

import (
	"strings"
	"testing"
)

// TestMetaSourceNamingAWithheldItemIsMasked: meta.source (the uri of the
// system or item a resource came from) naming a withheld item of this
// server — Condition/hiv, Binary/hivbin — went to the hospital clinician
// as stored, telling the withheld diagnosis's and letter's ids, where the
// same in a valueUri goes out masked (review 16f's left-over). Now a
// "source" uri naming an item is decided as a uri value is: masked when
// withheld, kept when it names something the reader may see or nothing
// stored here; the practice reads its own item as stored.
func TestMetaSourceNamingAWithheldItemIsMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for i, src := range []string{"Condition/hiv", e.base + "/fhir/Binary/hivbin", "Condition/hiv/_history/1"} {
		id := "src-" + string(rune('a'+i))
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","meta":{"source":"` + src + `"},
			"status":"current","subject":{"reference":"Patient/jane"},"description":"DOCSRC","content":[{"attachment":{"url":"https://docs.example.org/x.pdf"}}]}`})
		for _, path := range []string{"/fhir/DocumentReference/" + id, "/fhir/DocumentReference?_id=" + id, "/fhir/Patient/jane/$everything"} {
			r := e.do("GET", path, hosp, "")
			if r.status != 200 || !strings.Contains(r.body, "DOCSRC") {
				t.Fatalf("%s: the premise: the hospital reads the GP's document: %d %.300s", path, r.status, r.body)
			}
			if strings.Contains(r.body, `"`+src+`"`) || !strings.Contains(r.body, `"valueCode":"masked"`) {
				t.Errorf("%s %s: meta.source naming a withheld item goes to the hospital as stored: %.600s", path, src, r.body)
			}
		}
		if r := e.do("GET", "/fhir/DocumentReference/"+id, gp, ""); !strings.Contains(r.body, `"source":"`+src+`"`) {
			t.Errorf("%s: the practice reads its own document as stored: %.400s", id, r.body)
		}
	}
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/src-keep", `{"resourceType":"DocumentReference","id":"src-keep","meta":{"source":"https://gp-system.example.org/fhir/Device/emis"},
		"status":"current","subject":{"reference":"Patient/jane"},"description":"DOCSRC","content":[{"attachment":{"url":"https://docs.example.org/x.pdf"}}]}`})
	if r := e.do("GET", "/fhir/DocumentReference/src-keep", hosp, ""); !strings.Contains(r.body, `"source":"https://gp-system.example.org/fhir/Device/emis"`) {
		t.Errorf("a source naming nothing stored here is masked: %.400s", r.body)
	}
}
