package api_test

import (
	"testing"
)

// The district nurse (no observations) is reached by the same category-system
// variants of a lab result tagged care-plans.
func TestReview56cLabVariantsTaggedCarePlansReachDistrictNurse(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Observation/dn-lab", `{"resourceType":"Observation","id":"dn-lab",` + classTag("care-plans") + `"status":"final",
		 "category":[{"coding":[{"system":"http://hl7.org/fhir/observation-category","code":"laboratory"}]}],
		 "code":{"text":"DNLAB-OBS potassium 6.9"},"subject":{"reference":"Patient/jane"}}`},
		[2]string{"/fhir/DiagnosticReport/dn-rep", `{"resourceType":"DiagnosticReport","id":"dn-rep",` + classTag("care-plans") + `"status":"final",
		 "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0074","code":"CH"}]}],
		 "code":{"text":"DNLAB-REPORT U&E"},"subject":{"reference":"Patient/jane"},"conclusion":"DNLAB-CONCLUSION"}`},
	)
	dn := e.token("district-nurse", "nhs", "RCX")
	review56cReads(t, e, dn, "district nurse", "DNLAB-", "/fhir/Observation/dn-lab", "/fhir/DiagnosticReport/dn-rep", "/fhir/Patient/jane/$everything")
}
