package api_test

import (
	"strings"
	"testing"
)

// TestRestrictedNumberFollowsALaterLabel: whether a person is restricted
// because another Patient carrying her NHS number is (review 12b) is kept
// between requests while nothing is committed (ConsentPolicy.numbers). A
// label the GP adds later must take effect at the next read: the district
// nurse read the hospital's record of her whole before, and must not
// after.
func TestRestrictedNumberFollowsALaterLabel(t *testing.T) {
	e := newEnv(t)
	const number = "9990000026"
	gpPatient := func(security string) string {
		return `{"resourceType":"Patient","id":"gp-ann",` + security + `"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + number + `"}],"name":[{"family":"Ash"}]}`
	}
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Patient/gp-ann", gpPatient("")})
	e.putAll(t, e.token("system", "nhs", "RHX"),
		[2]string{"/fhir/Patient/hosp-ann", `{"resourceType":"Patient","id":"hosp-ann","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + number + `"}],
			"name":[{"family":"Ash"}],"address":[{"line":["NEW-ADDRESS 2 Quiet Road"]}]}`},
		[2]string{"/fhir/CareTeam/hosp-ann-referral", `{"resourceType":"CareTeam","id":"hosp-ann-referral","status":"active","subject":{"reference":"Patient/hosp-ann"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	for i := range 2 { // the second read finds the first's answer kept
		if r := e.do("GET", "/fhir/Patient/hosp-ann", nurse, ""); r.status != 200 || !strings.Contains(r.body, "NEW-ADDRESS") {
			t.Fatalf("read %d before the label: %d %.300s", i+1, r.status, r.body)
		}
	}
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Patient/gp-ann",
		gpPatient(`"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},`)})
	if r := e.do("GET", "/fhir/Patient/hosp-ann", nurse, ""); r.status != 200 || strings.Contains(r.body, "NEW-ADDRESS") {
		t.Errorf("after the GP marked her restricted, the nurse reads the hospital's record of her: %d %.300s", r.status, r.body)
	}
}
