package api_test

import (
	"strings"
	"testing"
)

// TestReview18eHTMLLinksInMarkdownToWithheldItemsAreMasked: a markdown
// string (an annotation's text, a description) is GitHub-flavoured
// markdown, which renders raw HTML: a GP observation shared with the
// hospital whose note read 'See <a href="Condition/hiv">the diagnosis</a>
// <img src=Binary/hivbin>' showed the hospital clinician a link to Jane's
// withheld HIV diagnosis and the withheld letter, with their ids, where the
// same link in the narrative or as a markdown link goes out masked. Now an
// HTML link attribute in any string is decided as a narrative's is:
// #(masked) where withheld; one naming an item she sees stays, the
// practice reads the note as stored, and a hospital clinician writing back
// her organisation's note as she read it is refused (409).
func TestReview18eHTMLLinksInMarkdownToWithheldItemsAreMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	gpSystem := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	hospSys := e.token("system", "nhs", "RHX")
	note := `HTML18E See <a href=\"Condition/hiv\">the diagnosis</a>, <img src=Binary/hivbin> and <a href='Condition/diabetes'>sugar</a>.`
	want := `HTML18E See <a href=\"#(masked)\">the diagnosis</a>, <img src=#(masked)> and <a href='Condition/diabetes'>sugar</a>.`
	obs := func(id string) string {
		return `{"resourceType":"Observation","id":"` + id + `","status":"final","code":{"text":"review"},"subject":{"reference":"Patient/jane"},
			"note":[{"text":"` + note + `"}]}`
	}
	e.putAll(t, gpSystem, [2]string{"/fhir/Observation/html18e", obs("html18e")})
	e.putAll(t, hospSys, [2]string{"/fhir/Observation/html18e-hosp", obs("html18e-hosp")})
	for _, path := range []string{"/fhir/Observation/html18e", "/fhir/Observation?_id=html18e", "/fhir/Patient/jane/$everything"} {
		r := e.do("GET", path, hosp, "")
		if r.status != 200 || !strings.Contains(r.body, "HTML18E") {
			t.Fatalf("%s: the premise: the hospital reads the observation: %d %.300s", path, r.status, r.body)
		}
		if strings.Contains(r.body, "Condition/hiv") || strings.Contains(r.body, "Binary/hivbin") || !strings.Contains(r.body, want) {
			t.Errorf("%s: the hospital reads %.300s, want %s", path, r.body[strings.Index(r.body, "HTML18E"):], want)
		}
	}
	if r := e.do("GET", "/fhir/Observation/html18e", gpSystem, ""); !strings.Contains(r.body, note) {
		t.Errorf("the practice reads its note as stored: %s", r.body)
	}
	read := e.do("GET", "/fhir/Observation/html18e-hosp", hosp, "")
	if !strings.Contains(read.body, "#(masked)") {
		t.Fatalf("the premise: the clinician reads her organisation's note masked: %s", read.body)
	}
	if r := e.do("PUT", "/fhir/Observation/html18e-hosp", hosp, strings.Replace(read.body, "HTML18E", "EDITED", 1)); r.status != 409 {
		t.Errorf("writing back the masked note: %d %.300s, want 409", r.status, r.body)
	}
}
