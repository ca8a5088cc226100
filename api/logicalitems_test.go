package api_test

import (
	"strings"
	"testing"
)

// A logical reference with no type, naming a withheld item by its
// identifier, is masked as a typed one is (review 61b's finding, every
// type looked at); one naming an item the reader sees, or nothing stored,
// goes out as written.
func TestLogicalReferenceByIdentifierOnly(t *testing.T) {
	e := newEnv(t)
	u := seed61b(t, e)
	put61b(t, e, u.gpSys, "/fhir/Condition/hiv-tl", `{"resourceType":"Condition","id":"hiv-tl","identifier":[{"system":"https://gp.example/problem","value":"PROB-TL-HIV"}],"subject":{"reference":"Patient/jane"},"code":{"coding":[`+hivCoding61b+`]}}`)
	put61b(t, e, u.gpSys, "/fhir/Condition/dm-tl", `{"resourceType":"Condition","id":"dm-tl","identifier":[{"system":"https://gp.example/problem","value":"PROB-TL-DM"}],"subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]}}`)
	if r := e.do("GET", "/fhir/Condition/dm-tl", u.hosp, ""); r.status != 200 {
		t.Fatalf("premise: the diabetes diagnosis is the hospital's to see: %d", r.status)
	}
	put61b(t, e, u.gpSys, "/fhir/Goal/g-tl", `{"resourceType":"Goal","id":"g-tl","lifecycleStatus":"active","description":{"text":"KEEP-g-tl"},"subject":{"reference":"Patient/jane"},"addresses":[`+
		`{"identifier":{"system":"https://gp.example/problem","value":"PROB-TL-HIV"},"display":"TL-HIV-DISPLAY"},`+
		`{"identifier":{"system":"https://gp.example/problem","value":"PROB-TL-DM"},"display":"TL-DM-DISPLAY"},`+
		`{"type":"Condition","identifier":{"system":"https://gp.example/problem","value":"PROB-TL-NONE"},"display":"TL-NONE-DISPLAY"}]}`)
	for _, path := range []string{"/fhir/Goal/g-tl", "/fhir/Patient/jane/$everything"} {
		r := e.do("GET", path, u.hosp, "")
		if r.status != 200 || !strings.Contains(r.body, "KEEP-g-tl") {
			t.Fatalf("GET %s: %d %.300s", path, r.status, r.body)
		}
		wantAbsent61b(t, "hospital clinician", "GET "+path, r, "TL-HIV-DISPLAY", "PROB-TL-HIV")
		for _, kept := range []string{"TL-DM-DISPLAY", "PROB-TL-DM", "TL-NONE-DISPLAY"} {
			if !strings.Contains(r.body, kept) {
				t.Errorf("GET %s: %s, a reference to what the reader may see or to nothing stored, was masked", path, kept)
			}
		}
	}
	// The source sees its own references as written.
	if r := e.do("GET", "/fhir/Goal/g-tl", u.gpSys, ""); !strings.Contains(r.body, "TL-HIV-DISPLAY") {
		t.Errorf("the GP system's own Goal: %d %.300s", r.status, r.body)
	}
}
