package api_test

import (
	"strings"
	"testing"
)

// TestReview18bMarkdownLinksToWithheldItemsAreMasked: a note is free text
// (a string with spaces) and went out as written, but a markdown note's
// link is a link, as a narrative's href is: a GP observation shared with
// the hospital whose note read "See [the diagnosis](Condition/hiv) and
// [letter](Binary/hivbin "scan")" told the hospital clinician the withheld
// items' ids (a viewer renders them as links). Now an inline markdown
// link's target naming an item stored here is decided as a reference: where
// the item is withheld it goes out as #(masked), the link's text staying;
// links to items she sees, other servers' urls and the rest of the text
// stay, and the practice reads the note as stored. A hospital clinician
// writing back her organisation's note as she read it is refused (409).
func TestReview18bMarkdownLinksToWithheldItemsAreMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	gpSystem := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	hospSys := e.token("system", "nhs", "RHX")
	note := `See [MD-ONE](Condition/hiv) and [letter](Binary/hivbin \"scan\"), [sugar](Condition/diabetes), [elsewhere](https://other.example/x/y) and [MD-TWO]( ` + e.base + `/fhir/Condition/hiv ).`
	obs := func(id string) string {
		return `{"resourceType":"Observation","id":"` + id + `","status":"final","code":{"text":"review"},"subject":{"reference":"Patient/jane"},
			"note":[{"text":"` + note + `"}]}`
	}
	e.putAll(t, gpSystem, [2]string{"/fhir/Observation/md18b", obs("md18b")})
	e.putAll(t, hospSys, [2]string{"/fhir/Observation/md18b-hosp", obs("md18b-hosp")})
	for _, path := range []string{"/fhir/Observation/md18b", "/fhir/Observation?patient=jane", "/fhir/Patient/jane/$everything"} {
		r := e.do("GET", path, hosp, "")
		if r.status != 200 || !strings.Contains(r.body, "MD-ONE") {
			t.Fatalf("%s: the premise: the hospital reads the observation: %d %.300s", path, r.status, r.body)
		}
		for _, leak := range []string{"Condition/hiv", "Binary/hivbin"} {
			if strings.Contains(r.body, leak) {
				t.Errorf("%s: a note's link names a withheld item to the hospital: %q", path, leak)
			}
		}
		for _, want := range []string{`[MD-ONE](#(masked))`, `[letter](#(masked) \"scan\")`, `[sugar](Condition/diabetes)`, `[elsewhere](https://other.example/x/y)`, `[MD-TWO]( #(masked) )`} {
			if !strings.Contains(r.body, want) {
				t.Errorf("%s: the hospital's note lacks %s: %.1500s", path, want, r.body)
			}
		}
	}
	if r := e.do("GET", "/fhir/Observation/md18b", gpSystem, ""); !strings.Contains(r.body, `[MD-ONE](Condition/hiv)`) {
		t.Errorf("the practice reads its note as stored: %s", r.body)
	}
	read := e.do("GET", "/fhir/Observation/md18b-hosp", hosp, "")
	if r := e.do("PUT", "/fhir/Observation/md18b-hosp", hosp, strings.Replace(read.body, "MD-ONE", "MD-EDITED", 1)); r.status != 409 {
		t.Errorf("writing back the masked note: %d %.300s, want 409", r.status, r.body)
	}
}
