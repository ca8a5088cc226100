package api_test

import (
	"strings"
	"testing"
)

// TestReview13aEveryNHSNumberOfAPatientCounts: whether a Patient is of a
// restricted person was asked of its first NHS number only. The hospital's
// record of Ann listed a superseded number first (use old) and her current
// one second; her GP record, labelled R, carries the current one. The
// district nurse read the hospital's record with her refuge address, and
// no restricted-patient alert. A Patient carrying any NHS number that a
// restricted Patient carries is restricted.
func TestReview13aEveryNHSNumberOfAPatientCounts(t *testing.T) {
	e := newEnv(t)
	const current, old = "9991300007", "9991300015"
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Patient/gp-ann", `{"resourceType":"Patient","id":"gp-ann",
		"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},
		"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + current + `"}],"name":[{"family":"Ash"}]}`})
	e.putAll(t, e.token("system", "nhs", "RHX"),
		[2]string{"/fhir/Patient/hosp-ann", `{"resourceType":"Patient","id":"hosp-ann","identifier":[
			{"use":"old","system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + old + `"},
			{"use":"official","system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + current + `"}],
			"name":[{"family":"Ash"}],"address":[{"line":["REFUGE 2 Quiet Road"]}],"telecom":[{"system":"phone","value":"07700 900123"}]}`},
		[2]string{"/fhir/CareTeam/hosp-ann-referral", `{"resourceType":"CareTeam","id":"hosp-ann-referral","status":"active","subject":{"reference":"Patient/hosp-ann"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, path := range []string{"/fhir/Patient/hosp-ann", "/fhir/Patient/hosp-ann/$everything", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|" + current} {
		r := e.do("GET", path, nurse, "")
		if r.status != 200 || strings.Contains(r.body, "REFUGE") || strings.Contains(r.body, "07700") {
			t.Errorf("GET %s: %d %.400s", path, r.status, r.body)
		}
	}
}
