package api_test

import (
	"strings"
	"testing"
)

// TestReview39cSoundContainedIdLikeLabelledClinic: the hospital's HIV
// clinic is a HealthcareService labelled by its type (review 31b) with a
// sequential id, HealthcareService/12, as some systems number them. The
// GP's prescription for Jane carries its Medication contained as "#12"
// (contained ids are local to the resource), and her care plan names a
// practitioner by identifier value "12". The district nurse must see
// the medication and the plan unmasked: neither is the clinic.
func TestReview39cSoundContainedIdLikeLabelledClinic(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp, [2]string{"/fhir/HealthcareService/12", `{"resourceType":"HealthcareService","id":"12","active":true,"providedBy":{"reference":"Organization/RHX"},"type":[{"coding":[{"system":"http://snomed.info/sct","code":"86406008","display":"HIV infection"}]}],"name":"R39C-CLINIC"}`})
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/MedicationRequest/r39c-mr", `{"resourceType":"MedicationRequest","id":"r39c-mr","contained":[{"resourceType":"Medication","id":"12","code":{"coding":[{"system":"https://dmd.nhs.uk","code":"39720311000001101","display":"Paracetamol 500mg tablets"}]}}],"status":"active","intent":"order","medicationReference":{"reference":"#12","display":"Paracetamol 500mg tablets"},"subject":{"reference":"Patient/jane"}}`},
		[2]string{"/fhir/CarePlan/r39c-cp", `{"resourceType":"CarePlan","id":"r39c-cp","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"author":{"identifier":{"system":"https://a81001.example/staff","value":"12"},"display":"Dr Patel"},"title":"R39C-PLAN"}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, p := range []string{"/fhir/MedicationRequest/r39c-mr", "/fhir/CarePlan/r39c-cp"} {
		r := e.do("GET", p, nurse, "")
		if r.status != 200 || strings.Contains(r.body, "masked") {
			t.Errorf("district nurse GET %s: %d %.400s", p, r.status, r.body)
		}
	}
}
