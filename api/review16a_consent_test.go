package api_test

import (
	"strings"
	"testing"
)

// TestReview16aConsentReferenceFormsApplyOrAreRefused: a Consent is filed
// under the person its patient element names as the search index reads
// it (search.NormalizeReference), and the consent engine reads its
// references with its own normRef. A patient reference written
// ./Patient/jane was read by the engine as Patient/jane and accepted
// (201), while the index, which takes relative references only as
// exactly Type/id, filed the Consent under no one: Jane's objection to
// sharing with the council was stored and applied to no one. Each of
// these forms must now either be refused (422) or apply.
func TestReview16aConsentReferenceFormsApplyOrAreRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	sw := e.token("social-worker", "council", "E06000999")
	try := func(what, id, from, to string) {
		t.Helper()
		body := strings.NewReplacer(`"id":"jane-no-council"`, `"id":"`+id+`"`, from, to).Replace(janeNotSharedWithCouncil)
		r := e.do("PUT", "/fhir/Consent/"+id, gpSys, body)
		if r.status == 201 {
			if ev := e.do("GET", "/fhir/Patient/jane/$everything", sw, ""); strings.Contains(ev.body, "GP-DIABETES") {
				t.Errorf("%s: the objection was stored (201) and does not apply", what)
			}
			if d := e.do("DELETE", "/fhir/Consent/"+id, gpSys, ""); d.status >= 300 {
				t.Fatalf("delete: %d %s", d.status, d.body)
			}
		} else if r.status != 422 {
			t.Errorf("%s: %d %s", what, r.status, r.body)
		}
	}
	for i, ref := range []string{"./Patient/jane", "Patient//jane", "patient/jane", "Patient/./jane", "HTTPS://carex.example/fhir/Patient/jane",
		"https://carex.example//fhir/Patient/jane", "https://carex.example:8443/fhir/Patient/jane", "Patient/jane/_history/1"} {
		try("patient "+ref, "pf16a"+string(rune('a'+i)), `"reference":"Patient/jane"`, `"reference":"`+ref+`"`)
	}
	for i, ref := range []string{"./Organization/E06000999", "organization/E06000999", "Organization//E06000999", "https://ods.example/fhir/Organization/E06000999"} {
		try("actor "+ref, "af16a"+string(rune('a'+i)), `"reference":"Organization/E06000999"`, `"reference":"`+ref+`"`)
	}
}
