package api_test

import (
	"slices"
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

// loggedAgainst reports whether a recorded request of method on path was
// logged against patient.
func (e *env) loggedAgainst(method, path, patient string) bool {
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	for _, x := range e.rec.xs {
		if x.Method == method && x.Path == path && (x.Patient == patient || slices.Contains(x.Patients, patient)) {
			return true
		}
	}
	return false
}

// TestReview14bConsentChangesAreLoggedAgainstThePerson: probe (passed when
// first written) that each change to a person's sharing — a Consent
// recorded, withdrawn (inactive), moved to another person's record after
// being filed under the wrong one, deleted — is in the access log under
// every person whose sharing it changed (so that her $who-accessed, which
// reads these entries, shows who changed it).
func TestReview14bConsentChangesAreLoggedAgainstThePerson(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, [2]string{"/fhir/Patient/john", `{"resourceType":"Patient","id":"john","generalPractitioner":[{"reference":"Organization/A81001"}]}`})
	onJohn := strings.Replace(janeNotSharedWithCouncil, `"reference":"Patient/jane"`, `"reference":"Patient/john"`, 1)
	steps := []struct {
		method, body string
		people       []string
	}{
		{"PUT", onJohn, []string{"john"}},
		{"PUT", janeNotSharedWithCouncil, []string{"john", "jane"}}, // moved to Jane's record
		{"PUT", strings.Replace(janeNotSharedWithCouncil, `"status":"active"`, `"status":"inactive"`, 1), []string{"jane"}},
		{"DELETE", "", []string{"jane"}},
	}
	for i, s := range steps {
		e.rec.mu.Lock()
		e.rec.xs = nil
		e.rec.mu.Unlock()
		if r := e.do(s.method, "/fhir/Consent/jane-no-council", gpSys, s.body); r.status >= 300 {
			t.Fatalf("step %d: %d %s", i, r.status, r.body)
		}
		for _, p := range s.people {
			if !e.loggedAgainst(s.method, "/fhir/Consent/jane-no-council", p) {
				t.Errorf("step %d (%s): not logged against %s: %+v", i, s.method, p, e.rec.xs)
			}
		}
	}
}

// TestReview14bConsentHistoryKeepsEachVersionsLabels: probe (passed when
// first written) that a Consent's earlier version is decided by its own
// labels: the GP's permit of Jane's HIV records to the hospital (labelled
// HIV and STD: it tells she has some), later replaced by the practice
// with a plain objection to sharing her documents, must not reach the
// social worker through the Consent's _history or a vread of version 1,
// while its current version does.
func TestReview14bConsentHistoryKeepsEachVersionsLabels(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	permit := janeConsent("jane-c", "2026-01-10", "OPTIN", `,"provision":{"type":"deny","provision":[{"type":"permit",
	  "actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RHX"}}],
	  "securityLabel":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HIV"},{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"STD"}]}]}`)
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/jane-c", permit})
	plain := janeConsent("jane-c", "2026-01-11", "OPTIN", `,"provision":{"type":"deny","class":[{"system":"https://carex.example/data-class","code":"documents"}]}`)
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/jane-c", plain})
	sw := e.token("social-worker", "council", "E06000999")
	if r := e.do("GET", "/fhir/Consent/jane-c", sw, ""); r.status != 200 {
		t.Fatalf("the social worker does not read the current objection: %d %s", r.status, r.body)
	}
	for _, p := range []string{"/fhir/Consent/jane-c/_history/1", "/fhir/Consent/jane-c/_history", "/fhir/Consent?patient=jane", "/fhir/Patient/jane/$everything", "/fhir/Consent/_history"} {
		r := e.do("GET", p, sw, "")
		if strings.Contains(r.body, `"HIV"`) || strings.Contains(r.body, "Organization/RHX") || p == "/fhir/Consent/jane-c/_history/1" && r.status != 404 {
			t.Errorf("GET %s: the HIV permit's version reaches the social worker: %d %.400s", p, r.status, r.body)
		}
	}
}

// TestReview14bRefusedConsentWritesAreLoggedAgainstThePerson: a refused
// attempt to change Jane's sharing must be in the access log under her, so
// that her $who-accessed shows it. One without dateTime, an unknown
// policyRule, one from an organisation without a relationship and a change
// to another organisation's objection were; a Consent refused by FHIR
// validation (status "bogus", 422) was logged against no one. Now the
// people an invalid body names by reference are logged as a valid one's.
func TestReview14bRefusedConsentWritesAreLoggedAgainstThePerson(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/jane-no-council", janeNotSharedWithCouncil})
	council := e.token("system", "council", "E06000999")
	stranger := e.token("gp", "nhs", "Z99999")
	for i, c := range []struct {
		method, path, tok, body string
	}{
		{"PUT", "/fhir/Consent/x1", gpSys, strings.Replace(janeConsent("x1", "2026-01-12", "OPTIN", ""), `"status":"active"`, `"status":"bogus"`, 1)},
		{"PUT", "/fhir/Consent/x2", gpSys, strings.Replace(janeConsent("x2", "2026-01-12", "OPTIN", ""), `"dateTime":"2026-01-12",`, ``, 1)},
		{"PUT", "/fhir/Consent/x3", gpSys, janeConsent("x3", "2026-01-12", "OPTSOMETHING", "")},
		{"PUT", "/fhir/Consent/x4", stranger, janeConsent("x4", "2026-01-12", "OPTIN", "")},
		{"POST", "/fhir/Consent", stranger, janeConsent("x5", "2026-01-12", "OPTIN", "")},
		{"PUT", "/fhir/Consent/jane-no-council", council, strings.Replace(janeNotSharedWithCouncil, `"status":"active"`, `"status":"inactive"`, 1)},
		{"DELETE", "/fhir/Consent/jane-no-council", council, ""},
	} {
		e.rec.mu.Lock()
		e.rec.xs = nil
		e.rec.mu.Unlock()
		r := e.do(c.method, c.path, c.tok, c.body)
		if r.status < 400 {
			t.Fatalf("case %d: stored: %d %s", i, r.status, r.body)
		}
		if !e.loggedAgainst(c.method, c.path, "jane") {
			t.Errorf("case %d: the refused write (%d) is not logged against Jane: %+v", i, r.status, e.rec.xs)
		}
	}
}

// TestReview14bConsentCarryingADiagnosisIsLabelledByIt: a patient-privacy
// Consent's own codes name the data it governs and do not label it, but a
// resource it carries (a contained Condition: the reason for the person's
// choice) is the person's data like any other item's contained resources.
// A Consent carrying Jane's HIV diagnosis went, unlabelled, to the social
// worker and the district nurse (read, search, $everything). Now the
// codes of what it carries label it and meet a deny's code.
func TestReview14bConsentCarryingADiagnosisIsLabelledByIt(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	body := janeConsent("jane-why", "2026-01-10", "OPTIN", `,"contained":[{"resourceType":"Condition","id":"why","subject":{"reference":"Patient/jane"},
	  "code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"CONTAINED-HIV-DIAGNOSIS"}}],
	  "provision":{"type":"deny","class":[{"system":"https://carex.example/data-class","code":"documents"}]}`)
	r := e.do("PUT", "/fhir/Consent/jane-why", gpSys, body)
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Consent/jane-why", e.token("gp", "nhs", "A81001"), ""); !strings.Contains(r.body, "CONTAINED-HIV") {
		t.Errorf("the practice that recorded it does not read it: %d %.300s", r.status, r.body)
	}
	for _, who := range []struct{ name, tok string }{
		{"social worker", e.token("social-worker", "council", "E06000999")},
		{"district nurse", e.token("district-nurse", "nhs", "RCX")},
		{"IG officer", e.token("ig-officer", "nhs", "A81001")},
	} {
		for _, p := range []string{"/fhir/Consent/jane-why", "/fhir/Consent?patient=jane", "/fhir/Patient/jane/$everything"} {
			if r := e.do("GET", p, who.tok, ""); strings.Contains(r.body, "CONTAINED-HIV") {
				t.Errorf("%s GET %s: the HIV diagnosis the Consent carries is released: %d", who.name, p, r.status)
			}
		}
	}
}

// TestReview14bStoredBundleCarryingATreatmentConsent: a stored Bundle (a
// document a feed keeps) is labelled from its entries that are a person's
// data; a treatment Consent is the person's clinical record (review 10b),
// so the hospital's record of consent to a termination of pregnancy, kept
// in a Bundle, must not reach the social worker, the district nurse or the
// GP. The Bundle's codings left out every Consent entry, so it went,
// unlabelled, to the GP (read and $everything), as the Consent alone does
// not. Now a Consent entry whose scope is not patient-privacy counts.
func TestReview14bStoredBundleCarryingATreatmentConsent(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp, [2]string{"/fhir/Bundle/doc", `{"resourceType":"Bundle","id":"doc","type":"collection","entry":[{"fullUrl":"urn:uuid:1b0c1f55-2f0e-4b8e-9a7c-3d2f6f0a9b11","resource":
	 {"resourceType":"Consent","status":"active","scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"treatment"}]},
	  "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],"patient":{"reference":"Patient/jane"},"dateTime":"2026-01-05",
	  "provision":{"type":"permit","code":[{"coding":[{"system":"http://snomed.info/sct","code":"386639001"}],"text":"BUNDLED-CONSENT-TO-TOP"}]}}}]}`})
	if r := e.do("GET", "/fhir/Bundle/doc", e.token("hospital-clinician", "nhs", "RHX"), ""); !strings.Contains(r.body, "BUNDLED-CONSENT-TO-TOP") {
		t.Errorf("the hospital does not read its own Bundle: %d %.300s", r.status, r.body)
	}
	for _, who := range []struct{ name, tok string }{
		{"social worker", e.token("social-worker", "council", "E06000999")},
		{"district nurse", e.token("district-nurse", "nhs", "RCX")},
		{"GP", e.token("gp", "nhs", "A81001")},
	} {
		for _, p := range []string{"/fhir/Bundle/doc", "/fhir/Patient/jane/$everything"} {
			if r := e.do("GET", p, who.tok, ""); strings.Contains(r.body, "BUNDLED-CONSENT-TO-TOP") {
				t.Errorf("%s GET %s: the termination consent in the Bundle is released: %d", who.name, p, r.status)
			}
		}
	}
}
