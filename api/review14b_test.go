package api_test

import (
	"strings"
	"testing"
)

// TestReview14bConsentPatientReferenceAppliesWhereStored: a Consent is
// filed under the person its patient reference names as the search
// index reads references (a versioned canonical "Patient/jane|2" is
// Patient/jane there), but the engine compared the reference as written
// with "Patient/jane" and found the Consent to be someone else's: the
// GP's record of Jane's objection to sharing with the council was
// accepted (201), filed under Jane, and applied to no one. So did one
// whose reference had a space before it (filed under no one), and a deny
// to "Organization/E06000999|1" matched no one. Now what follows the id
// is dropped as the index drops it, and spaces are refused (422).
func TestReview14bConsentPatientReferenceAppliesWhereStored(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	sw := e.token("social-worker", "council", "E06000999")
	for i, ref := range []string{"Patient/jane|2", "Patient/jane?x=1", "Patient/jane#p", " Patient/jane", "Patient/jane/", "https://carex.example/fhir/Patient/jane"} {
		id := "obj" + string(rune('a'+i))
		body := strings.NewReplacer(`"id":"jane-no-council"`, `"id":"`+id+`"`, `"reference":"Patient/jane"`, `"reference":"`+ref+`"`).Replace(janeNotSharedWithCouncil)
		r := e.do("PUT", "/fhir/Consent/"+id, gpSys, body)
		if r.status == 201 {
			if ev := e.do("GET", "/fhir/Patient/jane/$everything", sw, ""); strings.Contains(ev.body, "GP-DIABETES") {
				t.Errorf("patient %q: the objection was stored (201) and does not apply", ref)
			}
			if d := e.do("DELETE", "/fhir/Consent/"+id, gpSys, ""); d.status >= 300 {
				t.Fatalf("delete: %d %s", d.status, d.body)
			}
		} else if r.status != 422 {
			t.Errorf("patient %q: %d %s", ref, r.status, r.body)
		}
	}
	// The same of an actor: a deny to the council named with a version.
	for i, ref := range []string{"Organization/E06000999|1", "Organization/E06000999?x=1", "Organization/E06000999#o"} {
		id := "act" + string(rune('a'+i))
		body := strings.NewReplacer(`"id":"jane-no-council"`, `"id":"`+id+`"`, `"reference":"Organization/E06000999"`, `"reference":"`+ref+`"`).Replace(janeNotSharedWithCouncil)
		r := e.do("PUT", "/fhir/Consent/"+id, gpSys, body)
		if r.status == 201 {
			if ev := e.do("GET", "/fhir/Patient/jane/$everything", sw, ""); strings.Contains(ev.body, "GP-DIABETES") {
				t.Errorf("actor %q: the deny was stored (201) and matches no one", ref)
			}
			if d := e.do("DELETE", "/fhir/Consent/"+id, gpSys, ""); d.status >= 300 {
				t.Fatalf("delete: %d %s", d.status, d.body)
			}
		} else if r.status != 422 {
			t.Errorf("actor %q: %d %s", ref, r.status, r.body)
		}
	}
}
