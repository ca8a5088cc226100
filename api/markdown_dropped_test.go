package api_test

import (
	"strings"
	"testing"
)

// TestMarkdownLinkWithDroppedCharactersIsMasked: a markdown link's target
// is decoded as a narrative's href is (character references, then the
// tabs and newlines a url parser drops), but was read without dropping
// them: "[x](Condi&#x09;tion/hiv)" renders as a link to Condition/hiv and
// went out as written to the hospital clinician, from whom the diagnosis
// is withheld, while the same href in a narrative was masked.
func TestMarkdownLinkWithDroppedCharactersIsMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	gpSystem := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	note := `See [TAB](Condi&#x09;tion/hiv), [NL](<Binary/hiv&#10;bin>), [RAW](<Condition/h\tiv>) and [SUGAR](Condi&#x09;tion/diabetes).`
	obs := `{"resourceType":"Observation","id":"md-dropped","status":"final","code":{"text":"review"},"subject":{"reference":"Patient/jane"},
		"note":[{"text":"` + note + `"}]}`
	e.putAll(t, gpSystem, [2]string{"/fhir/Observation/md-dropped", obs})
	for _, path := range []string{"/fhir/Observation/md-dropped", "/fhir/Patient/jane/$everything"} {
		r := e.do("GET", path, hosp, "")
		if r.status != 200 || !strings.Contains(r.body, "SUGAR") {
			t.Fatalf("%s: the premise: the hospital reads the observation: %d %.300s", path, r.status, r.body)
		}
		for _, leak := range []string{"tion/hiv", "hiv&#10;bin", `h\tiv`} {
			if strings.Contains(r.body, leak) {
				t.Errorf("%s: a note's link names a withheld item to the hospital: %q", path, leak)
			}
		}
		for _, want := range []string{`[TAB](#(masked))`, `[NL](<#(masked)>)`, `[RAW](<#(masked)>)`, `[SUGAR](Condi&#x09;tion/diabetes)`} {
			if !strings.Contains(r.body, want) {
				t.Errorf("%s: the hospital's note lacks %s: %.1500s", path, want, r.body)
			}
		}
	}
}
