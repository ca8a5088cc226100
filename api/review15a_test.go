package api_test

import (
	"strings"
	"testing"
)

// TestReview15aStoredBundleCarryingAPrivacyConsentWithADiagnosis: a
// patient-privacy Consent carrying Jane's HIV diagnosis (a contained
// Condition, the reason for her choice) is labelled by it (review 14b,
// cdee362), but kept as an entry of a stored Bundle (a feed's document)
// it was not: the Bundle's codings leave out every patient-privacy Consent
// entry (their own codes name the data they govern), and with it what the
// Consent carries, so the hospital's Bundle went, unlabelled, to the GP,
// the district nurse and the social worker by read and $everything.
func TestReview15aStoredBundleCarryingAPrivacyConsentWithADiagnosis(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	consent := janeConsent("c1", "2026-01-10", "OPTIN", `,"contained":[{"resourceType":"Condition","id":"why","subject":{"reference":"Patient/jane"},
	  "code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"BUNDLED-PRIVACY-HIV"}}],
	  "provision":{"type":"deny","class":[{"system":"https://carex.example/data-class","code":"documents"}]}`)
	e.putAll(t, hosp, [2]string{"/fhir/Bundle/pdoc", `{"resourceType":"Bundle","id":"pdoc","type":"collection","entry":[{"fullUrl":"urn:uuid:2b0c1f55-2f0e-4b8e-9a7c-3d2f6f0a9b12","resource":` + consent + `}]}`})
	if r := e.do("GET", "/fhir/Bundle/pdoc", e.token("hospital-clinician", "nhs", "RHX"), ""); !strings.Contains(r.body, "BUNDLED-PRIVACY-HIV") {
		t.Errorf("the hospital does not read its own Bundle: %d %.300s", r.status, r.body)
	}
	for _, who := range []struct{ name, tok string }{
		{"GP", e.token("gp", "nhs", "A81001")},
		{"district nurse", e.token("district-nurse", "nhs", "RCX")},
		{"social worker", e.token("social-worker", "council", "E06000999")},
	} {
		for _, p := range []string{"/fhir/Bundle/pdoc", "/fhir/Bundle?_id=pdoc", "/fhir/Patient/jane/$everything"} {
			if r := e.do("GET", p, who.tok, ""); strings.Contains(r.body, "BUNDLED-PRIVACY-HIV") {
				t.Errorf("%s GET %s: the HIV diagnosis in the Bundle's Consent is released: %d", who.name, p, r.status)
			}
		}
	}
}
