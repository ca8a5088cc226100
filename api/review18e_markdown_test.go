package api_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestReview18eMarkdownReferenceLinksToWithheldItemsAreMasked: review 18b
// masks a markdown note's inline link naming a withheld item, but a
// reference-style link ("See [the diagnosis][1]." with "[1]: Condition/hiv"
// on a line of its own, its target between angle brackets or on the next
// line, in a quoted block), which a markdown viewer renders as the same
// link, went out as written, telling the hospital clinician the ids of
// Jane's withheld HIV diagnosis and letter. Now a link definition's target
// is decided as an inline link's is: #(masked) where withheld, the label
// and any title staying; one naming an item she sees stays, the practice
// reads the note as stored, and a hospital clinician writing back her
// organisation's note as she read it is refused (409).
func TestReview18eMarkdownReferenceLinksToWithheldItemsAreMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	gpSystem := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	hospSys := e.token("system", "nhs", "RHX")
	cases := [][2]string{ // written, and what the hospital reads
		{`See [the diagnosis][1].\n\n[1]: Condition/hiv`, `[1]: #(masked)`},
		{`See [letter][d].\n\n[d]: <Binary/hivbin> \"scan\"`, `[d]: <#(masked)> \"scan\"`},
		{`See [Diagnosis].\n\n   [diagnosis]:\n   Condition/hiv \"t\"`, `[diagnosis]:\n   #(masked) \"t\"`},
		{`> See [x].\n>\n> [x]: ` + e.base + `/fhir/Condition/hiv`, `> [x]: #(masked)`},
		{`See [sugar][s].\n\n[s]: Condition/diabetes`, `[s]: Condition/diabetes`},
	}
	obs := func(id, note string) string {
		return `{"resourceType":"Observation","id":"` + id + `","status":"final","code":{"text":"review"},"subject":{"reference":"Patient/jane"},
			"note":[{"text":"MD18E ` + note + `"}]}`
	}
	for i, c := range cases {
		id := fmt.Sprintf("md18e-%d", i)
		e.putAll(t, gpSystem, [2]string{"/fhir/Observation/" + id, obs(id, c[0])})
		for _, path := range []string{"/fhir/Observation/" + id, "/fhir/Observation?_id=" + id} {
			r := e.do("GET", path, hosp, "")
			if r.status != 200 || !strings.Contains(r.body, "MD18E") {
				t.Fatalf("%s: the premise: the hospital reads the observation: %d %.300s", path, r.status, r.body)
			}
			if strings.Contains(strings.ToLower(r.body), "hiv") || !strings.Contains(r.body, c[1]) {
				t.Errorf("%s: the hospital reads %s, want %s", path, r.body[strings.Index(r.body, "MD18E"):], c[1])
			}
		}
		if r := e.do("GET", "/fhir/Observation/"+id, gpSystem, ""); !strings.Contains(r.body, c[0]) {
			t.Errorf("the practice reads its note as stored: %s", r.body)
		}
	}
	for i, c := range cases[:3] {
		id := fmt.Sprintf("md18e-hosp%d", i)
		e.putAll(t, hospSys, [2]string{"/fhir/Observation/" + id, obs(id, c[0])})
		read := e.do("GET", "/fhir/Observation/"+id, hosp, "")
		if !strings.Contains(read.body, "#(masked)") {
			t.Fatalf("the premise: the clinician reads her organisation's note masked: %s", read.body)
		}
		if r := e.do("PUT", "/fhir/Observation/"+id, hosp, strings.Replace(read.body, "MD18E", "EDITED", 1)); r.status != 409 {
			t.Errorf("writing back the masked note %s: %d %.300s, want 409", c[0], r.status, r.body)
		}
	}
}
