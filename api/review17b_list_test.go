package api_test

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestReview17bReferencesInOneStringAreMasked: 7ebaa06 decided a string
// naming an item only when the whole string was one reference or url. A
// string without spaces holding several (Condition/diabetes,Condition/hiv,
// as a client system may keep a list in an identifier's value or an
// extension's valueString), or one written between delimiters
// (<Condition/hiv>, (Condition/hiv), "Condition/hiv", [Binary/hivbin]),
// went to the hospital clinician as stored, telling the withheld items'
// ids, and as an attachment's url with the withheld letter's title and its
// data. Now each part of such a string is decided as a reference: the
// string is masked where any part names a withheld item, and goes out as
// stored where every part names an item the user sees or nothing stored.
func TestReview17bReferencesInOneStringAreMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	secret := base64.StdEncoding.EncodeToString([]byte("SECRET-17B-LIST"))
	gpSystem := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Condition/hiv", hosp, ""); r.status != 404 {
		t.Fatalf("the premise: the HIV diagnosis is withheld from the hospital: %d", r.status)
	}
	doc := func(id, s string) string {
		js := strings.ReplaceAll(s, `"`, `\"`)
		return `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},
			"identifier":[{"system":"https://e.example/ids","value":"` + js + `"}],
			"content":[{"attachment":{"url":"` + js + `","title":"TITLE17B","contentType":"text/plain","data":"` + secret + `"}}]}`
	}
	for i, s := range []string{
		"Condition/diabetes,Condition/hiv",
		"Condition/hiv;Condition/diabetes",
		"<Condition/hiv>",
		"(Condition/hiv)",
		`"Condition/hiv"`,
		"[Binary/hivbin]",
		"'DocumentReference/hivdoc'",
	} {
		id := "l17b-" + string(rune('a'+i))
		e.putAll(t, gpSystem, [2]string{"/fhir/DocumentReference/" + id, doc(id, s)})
		for _, path := range []string{"/fhir/DocumentReference/" + id, "/fhir/DocumentReference?patient=jane", "/fhir/Patient/jane/$everything"} {
			r := e.do("GET", path, hosp, "")
			if r.status != 200 || !strings.Contains(r.body, `"`+id+`"`) {
				t.Fatalf("%s: the premise: the hospital reads the GP's covering document: %d %.300s", path, r.status, r.body)
			}
			for _, leak := range []string{"hiv", secret} {
				if strings.Contains(r.body, leak) {
					t.Errorf("%s %s (%s): a string naming a withheld item goes to the hospital with %q", id, path, s, leak)
				}
			}
		}
		if r := e.do("GET", "/fhir/DocumentReference/"+id, e.token("gp", "nhs", "A81001"), ""); strings.Count(r.body, "hiv") < 2 || !strings.Contains(r.body, secret) {
			t.Errorf("%s: the practice reads its own document as stored: %.400s", id, r.body)
		}
	}
	for i, s := range []string{
		"Condition/diabetes,Observation/hba1c",
		"<Condition/diabetes>",
		"Condition/never-stored,Condition/diabetes",
		"https://en.example.org/wiki/Diabetes_(type_2)",
	} {
		id := "lk17b-" + string(rune('a'+i))
		e.putAll(t, gpSystem, [2]string{"/fhir/DocumentReference/" + id, doc(id, s)})
		r := e.do("GET", "/fhir/DocumentReference/"+id, hosp, "")
		if r.status != 200 || strings.Count(r.body, `"`+s+`"`) != 2 || !strings.Contains(r.body, secret) {
			t.Errorf("%s: a string naming nothing withheld goes out as stored: %d %.500s", s, r.status, r.body)
		}
	}
}
