package api_test

import (
	"strings"
	"testing"
)

// TestReview10bClassTagCannotMakeClinicalDataNonClinical: carex's data-class
// tag (meta.tag https://carex.example/data-class) won for any type, so a
// laboratory Observation tagged "directory", a Condition tagged "consent" or
// a DiagnosticReport tagged "provenance" went to the IG officer — who sees
// no clinical data (SPEC §5 layer 1; the policy refuses to give an audit
// role a clinical class, and the tag walked round it) — and one tagged
// "demographics" to the district nurse. So did such a tagged Observation
// contained in a Consent. A tag naming a non-clinical class (demographics,
// consent, provenance, directory) now counts only on a type whose own class
// is non-clinical (a carer's RelatedPerson, a Practitioner); on any other
// it is ignored and the type's class stands.
func TestReview10bClassTagCannotMakeClinicalDataNonClinical(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Observation/tag-dir", `{"resourceType":"Observation","id":"tag-dir",` + classTag("directory") + `"status":"final","code":{"text":"TAGGED-LAB-DIRECTORY"},"subject":{"reference":"Patient/jane"},"valueQuantity":{"value":6.8}}`},
		[2]string{"/fhir/Condition/tag-consent", `{"resourceType":"Condition","id":"tag-consent",` + classTag("consent") + `"code":{"text":"TAGGED-CONDITION-CONSENT"},"subject":{"reference":"Patient/jane"}}`},
		[2]string{"/fhir/DiagnosticReport/tag-prov", `{"resourceType":"DiagnosticReport","id":"tag-prov",` + classTag("provenance") + `"status":"final","code":{"text":"TAGGED-REPORT-PROVENANCE"},"subject":{"reference":"Patient/jane"}}`},
		[2]string{"/fhir/Observation/tag-demo", `{"resourceType":"Observation","id":"tag-demo",` + classTag("demographics") + `"status":"final","code":{"text":"TAGGED-LAB-DEMOGRAPHICS"},"subject":{"reference":"Patient/jane"},"valueQuantity":{"value":6.8}}`},
		[2]string{"/fhir/Consent/treat-tagged", `{"resourceType":"Consent","id":"treat-tagged","status":"active",
		 "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},"dateTime":"2026-01-02",
		 "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},
		 "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],"patient":{"reference":"Patient/jane"},
		 "contained":[{"resourceType":"Observation","id":"o",` + classTag("consent") + `"status":"final","code":{"text":"TAGGED-CONTAINED-LAB"},"valueQuantity":{"value":6.8}}],
		 "sourceReference":{"reference":"#o"}}`},
		// A non-clinical type may still be tagged into another non-clinical class.
		[2]string{"/fhir/Practitioner/tag-ok", `{"resourceType":"Practitioner","id":"tag-ok",` + classTag("demographics") + `"name":[{"family":"TAGGED-PRACTITIONER"}]}`},
	)
	ig := e.token("ig-officer", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, who := range []struct {
		name, tok string
		reads     []string
		marks     []string
	}{
		{"IG officer", ig, []string{"/fhir/Observation/tag-dir", "/fhir/Condition/tag-consent", "/fhir/DiagnosticReport/tag-prov",
			"/fhir/Observation/tag-demo", "/fhir/Consent/treat-tagged", "/fhir/Observation/tag-demo/_history"}, []string{"TAGGED-"}},
		// The nurse sees problems (the Condition), not observations.
		{"district nurse", nurse, []string{"/fhir/Observation/tag-dir", "/fhir/DiagnosticReport/tag-prov",
			"/fhir/Observation/tag-demo", "/fhir/Consent/treat-tagged", "/fhir/Observation/tag-demo/_history"},
			[]string{"TAGGED-LAB", "TAGGED-REPORT", "TAGGED-CONTAINED"}},
	} {
		for _, p := range append(who.reads, "/fhir/Patient/jane/$everything", "/fhir/Observation?patient=jane",
			"/fhir/Consent?patient=jane", "/fhir/DiagnosticReport?patient=jane", "/fhir/Condition?patient=jane") {
			r := e.do("GET", p, who.tok, "")
			leak := false
			for _, m := range who.marks {
				leak = leak || strings.Contains(r.body, m)
			}
			if leak || r.status == 200 && !strings.Contains(p, "?") && !strings.HasSuffix(p, "$everything") {
				t.Errorf("%s GET %s: clinical data tagged with a non-clinical class is released (%d): %.300s", who.name, p, r.status, r.body)
			}
		}
	}
	if r := e.do("GET", "/fhir/Practitioner/tag-ok", ig, ""); r.status != 200 || !strings.Contains(r.body, "TAGGED-PRACTITIONER") {
		t.Errorf("IG officer reading a Practitioner tagged demographics: %d %.200s", r.status, r.body)
	}
}

// classTag is the meta element of a resource its source tags with carex's
// data class c, followed by a comma.
func classTag(c string) string {
	return `"meta":{"tag":[{"system":"https://carex.example/data-class","code":"` + c + `"}]},`
}
