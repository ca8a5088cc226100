package api_test

import (
	"strings"
	"testing"
)

// TestReview10bLabResultTaggedSocialCareStaysALabResult: the data-class tag
// won for any type, so a laboratory result the GP practice's system tagged
// social-care or safeguarding (an Observation of category laboratory, a
// DiagnosticReport of category LAB) went to the social worker, whom SPEC §1
// denies lab results. A laboratory Observation or DiagnosticReport now
// carries the observations class whatever its tag (consent.ClassSep); the
// tag still makes a social-history Observation social care.
func TestReview10bLabResultTaggedSocialCareStaysALabResult(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Observation/lab-sc", `{"resourceType":"Observation","id":"lab-sc",` + classTag("social-care") + `"status":"final",
		 "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],
		 "code":{"text":"TAGGED-LAB-SOCIALCARE"},"subject":{"reference":"Patient/jane"},"valueQuantity":{"value":6.8}}`},
		[2]string{"/fhir/DiagnosticReport/rep-sg", `{"resourceType":"DiagnosticReport","id":"rep-sg",` + classTag("safeguarding") + `"status":"final",
		 "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0074","code":"LAB"}]}],
		 "code":{"text":"TAGGED-REPORT-SAFEGUARDING"},"subject":{"reference":"Patient/jane"}}`},
		[2]string{"/fhir/Observation/housing", `{"resourceType":"Observation","id":"housing",` + classTag("social-care") + `"status":"final",
		 "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"social-history"}]}],
		 "code":{"text":"HOUSING-SITUATION lives alone"},"subject":{"reference":"Patient/jane"}}`},
	)
	sw := e.token("social-worker", "council", "E06000999")
	for _, p := range []string{"/fhir/Observation/lab-sc", "/fhir/DiagnosticReport/rep-sg", "/fhir/Observation/lab-sc/_history",
		"/fhir/Observation?patient=jane", "/fhir/DiagnosticReport?patient=jane", "/fhir/Patient/jane/$everything"} {
		r := e.do("GET", p, sw, "")
		if strings.Contains(r.body, "TAGGED-") || r.status == 200 && !strings.Contains(p, "?") && !strings.HasSuffix(p, "$everything") {
			t.Errorf("social worker GET %s: a lab result tagged as social care is released (%d): %.300s", p, r.status, r.body)
		}
	}
	if r := e.do("GET", "/fhir/Observation/housing", sw, ""); r.status != 200 || !strings.Contains(r.body, "HOUSING-SITUATION") {
		t.Errorf("social worker reading a social-history observation tagged social-care: %d %.200s", r.status, r.body)
	}
}
