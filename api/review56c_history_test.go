package api_test

import (
	"strings"
	"testing"
)

// Each version keeps its own class: a lab result the GP later re-records as
// a care-plans item (category dropped) must not come out of _history or a
// vread to the social worker; nor a care-plans item later turned into a lab
// result through its current version.
func TestReview56cSoundHistoryVersionsKeepTheirClass(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	labV := func(id, marker string) string {
		return `{"resourceType":"Observation","id":"` + id + `",` + classTag("care-plans") + `"status":"final",
		 "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],
		 "code":{"text":"` + marker + `"},"subject":{"reference":"Patient/jane"}}`
	}
	planV := func(id, marker string) string {
		return `{"resourceType":"Observation","id":"` + id + `",` + classTag("care-plans") + `"status":"final",
		 "code":{"text":"` + marker + `"},"subject":{"reference":"Patient/jane"}}`
	}
	e.putAll(t, gpSys,
		[2]string{"/fhir/Observation/h1", labV("h1", "HIST-LAB-V1")},
		[2]string{"/fhir/Observation/h1", planV("h1", "HIST-PLAN-V2")},
		[2]string{"/fhir/Observation/h2", planV("h2", "HIST-PLAN-V1")},
		[2]string{"/fhir/Observation/h2", labV("h2", "HIST-LAB-V2")},
	)
	sw := e.token("social-worker", "council", "E06000999")
	review56cReads(t, e, sw, "social worker", "HIST-LAB",
		"/fhir/Observation/h1", "/fhir/Observation/h1/_history", "/fhir/Observation/h1/_history/1",
		"/fhir/Observation/h2", "/fhir/Observation/h2/_history", "/fhir/Observation/h2/_history/2",
		"/fhir/Observation/_history", "/fhir/_history", "/fhir/Patient/jane/$everything", "/fhir/Observation?patient=jane")
	if r := e.do("GET", "/fhir/Observation/h1", sw, ""); r.status != 200 || !strings.Contains(r.body, "HIST-PLAN-V2") {
		t.Errorf("control: the care-plans version is released: %d %.200s", r.status, r.body)
	}
	// The includes asked for in the sound tests are supported (not a 400 that proves nothing).
	for _, p := range []string{"/fhir/Patient?_id=jane&_revinclude=Observation:patient", "/fhir/Condition?patient=jane&_include=Condition:evidence-detail",
		"/fhir/DiagnosticReport?patient=jane&_include=DiagnosticReport:result", "/fhir/Patient?_id=jane&_revinclude=Provenance:target"} {
		if r := e.do("GET", p, sw, ""); r.status != 200 {
			t.Logf("note: GET %s -> %d %.200s", p, r.status, r.body)
		}
	}
}

// A Flag of category lab under the STU3 flag-category URL is a lab alert.
func TestReview56cLabFlagSTU3CategorySystemReachesSocialWorker(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, [2]string{"/fhir/Flag/labflag-stu3", `{"resourceType":"Flag","id":"labflag-stu3","status":"active",
	 "category":[{"coding":[{"system":"http://hl7.org/fhir/flag-category","code":"lab"}]}],
	 "code":{"text":"LABFLAG-STU3 INR 7.2 critical"},"subject":{"reference":"Patient/jane"}}`})
	sw := e.token("social-worker", "council", "E06000999")
	review56cReads(t, e, sw, "social worker", "LABFLAG-STU3", "/fhir/Flag/labflag-stu3")
}
