package api_test

import (
	"strings"
	"testing"
)

// TestReview10bLabFlagIsNotSafeguarding: every Flag was classed
// safeguarding, whatever it flags, so a laboratory alert the GP practice
// raised (Flag.category "lab" of HL7's flag-category: "potassium 6.8,
// repeat urgently") went to the social worker, who sees safeguarding but no
// lab results (SPEC §1). A Flag whose category is "lab" now carries the
// observations class beside safeguarding (consent.ClassSep), "clinical" the
// problems class and "drug" the medications class: a role sees it only when
// it sees those too. A safeguarding concern (category "safety" or
// "behavioral", or none) is still safeguarding alone and reaches the social
// worker.
func TestReview10bLabFlagIsNotSafeguarding(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	flag := func(id, cat, text string) [2]string {
		c := ""
		if cat != "" {
			c = `"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/flag-category","code":"` + cat + `"}]}],`
		}
		return [2]string{"/fhir/Flag/" + id, `{"resourceType":"Flag","id":"` + id + `","status":"active",` + c + `"code":{"text":"` + text + `"},"subject":{"reference":"Patient/jane"}}`}
	}
	e.putAll(t, gpSys,
		flag("lab-alert", "lab", "FLAG-LAB potassium 6.8 repeat urgently"),
		flag("concern", "safety", "FLAG-SAFEGUARDING-CONCERN"),
		flag("plain", "", "FLAG-PLAIN-CONCERN"),
	)
	sw := e.token("social-worker", "council", "E06000999")
	for _, p := range []string{"/fhir/Flag/lab-alert", "/fhir/Flag/lab-alert/_history/1", "/fhir/Flag?patient=jane", "/fhir/Patient/jane/$everything",
		"/fhir/Patient?_id=jane&_revinclude=Flag:subject"} {
		r := e.do("GET", p, sw, "")
		if strings.Contains(r.body, "FLAG-LAB") || r.status == 200 && strings.Contains(p, "lab-alert") {
			t.Errorf("social worker GET %s: a lab alert released as safeguarding (%d): %.300s", p, r.status, r.body)
		}
	}
	r := e.do("GET", "/fhir/Flag?patient=jane", sw, "")
	if !strings.Contains(r.body, "FLAG-SAFEGUARDING-CONCERN") || !strings.Contains(r.body, "FLAG-PLAIN-CONCERN") {
		t.Errorf("the social worker no longer sees safeguarding concerns: %d %.400s", r.status, r.body)
	}
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Flag/lab-alert", gp, ""); r.status != 200 {
		t.Errorf("the GP reading the lab alert: %d", r.status)
	}
}
