package api_test

import (
	"strings"
	"testing"
)

// TestReview10bTreatmentConsentIsClinical: every Consent was classed
// "consent" and its codes never labelled it, as befits a patient-privacy
// Consent, whose codes name the data it governs. A treatment Consent is
// something else: the hospital's record that Jane consented to a
// termination of pregnancy (provision.code 386639001, in the national
// refset carex labels SEX) went, unlabelled, to the social worker, the
// district nurse and the IG officer (who sees no clinical data), by read
// and $everything. Now a Consent whose scope is not patient-privacy is
// labelled from its codes like any clinical item and carries a clinical
// class beside consent: treatment procedures, adr (an advance directive,
// which the nurse needs) care-plans, research other. Patient-privacy
// Consents are unchanged: the social worker and the IG officer still read
// Jane's objection.
func TestReview10bTreatmentConsentIsClinical(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	gpSys := e.token("system", "nhs", "A81001")
	scoped := func(id, scope, prov string) [2]string {
		return [2]string{"/fhir/Consent/" + id, `{"resourceType":"Consent","id":"` + id + `","status":"active",
		 "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"` + scope + `"}]},
		 "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],"patient":{"reference":"Patient/jane"},"dateTime":"2026-01-05",
		 "provision":` + prov + `}`}
	}
	e.putAll(t, hosp,
		scoped("top", "treatment", `{"type":"permit","code":[{"coding":[{"system":"http://snomed.info/sct","code":"386639001"}],"text":"CONSENT-TO-TOP"}]}`),
		scoped("op", "treatment", `{"type":"permit","code":[{"coding":[{"system":"http://snomed.info/sct","code":"80146002"}],"text":"CONSENT-TO-APPENDICECTOMY"}]}`),
		scoped("trial", "research", `{"type":"permit","purpose":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"HRESCH"}],"code":[{"text":"CONSENT-TO-TRIAL"}]}`),
	)
	e.putAll(t, gpSys,
		scoped("dnacpr", "adr", `{"type":"deny","code":[{"coding":[{"system":"http://snomed.info/sct","code":"89666000"}],"text":"ADR-NO-CPR"}]}`),
		[2]string{"/fhir/Consent/jane-objection", janeConsent("jane-objection", "2026-01-10", "OPTIN", `,"provision":{"type":"deny","class":[{"system":"https://carex.example/data-class","code":"documents"}]}`)},
	)
	sw := e.token("social-worker", "council", "E06000999")
	nurse := e.token("district-nurse", "nhs", "RCX")
	ig := e.token("ig-officer", "nhs", "A81001")
	for _, who := range []struct{ name, tok string }{{"social worker", sw}, {"district nurse", nurse}, {"IG officer", ig}} {
		for _, p := range []string{"/fhir/Consent/top", "/fhir/Consent/op", "/fhir/Consent/trial", "/fhir/Consent?patient=jane", "/fhir/Patient/jane/$everything"} {
			r := e.do("GET", p, who.tok, "")
			if r.status == 200 && !strings.Contains(p, "?") && !strings.HasSuffix(p, "$everything") ||
				strings.Contains(r.body, "CONSENT-TO-") {
				t.Errorf("%s GET %s: a treatment or research Consent is released (%d): %.300s", who.name, p, r.status, r.body)
			}
		}
	}
	for _, c := range []struct {
		name, tok, path string
		want            bool
	}{
		{"the nurse reads the advance directive", nurse, "/fhir/Consent/dnacpr", true},
		{"the IG officer does not read the advance directive", ig, "/fhir/Consent/dnacpr", false},
		{"the social worker reads the privacy objection", sw, "/fhir/Consent/jane-objection", true},
		{"the IG officer reads the privacy objection", ig, "/fhir/Consent/jane-objection", true},
		{"the GP reads the termination consent", e.token("gp", "nhs", "A81001"), "/fhir/Consent/top", false},
		{"the hospital clinician reads its own termination consent", e.token("hospital-clinician", "nhs", "RHX"), "/fhir/Consent/top", true},
	} {
		if r := e.do("GET", c.path, c.tok, ""); (r.status == 200) != c.want {
			t.Errorf("%s: %d %.200s", c.name, r.status, r.body)
		}
	}
}
