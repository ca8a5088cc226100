package api_test

import (
	"strings"
	"testing"
)

// TestDirectoryItemLabelledByItsCodes: a HealthcareService coded in the
// policy's lists (an HIV service, SNOMED 86406008) carries no label from
// its source, yet is labelled on the way in as a patient's item coded so
// is: 404 to others, and Jane's appointment there goes to the district
// nurse without its name or id, while the hospital that recorded both
// reads them whole (review 31b F4). An uncoded clinic of the same hospital
// stays open to all.
func TestDirectoryItemLabelledByItsCodes(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	const clinic = "IMMUNOLOGY-HIV-CLINIC-F4"
	e.putAll(t, hosp,
		[2]string{"/fhir/HealthcareService/hivclinic", `{"resourceType":"HealthcareService","id":"hivclinic","name":"` + clinic + `",
		  "providedBy":{"reference":"Organization/RHX"},
		  "type":[{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}]}`},
		[2]string{"/fhir/HealthcareService/fracture", `{"resourceType":"HealthcareService","id":"fracture","name":"FRACTURE-CLINIC-F4",
		  "providedBy":{"reference":"Organization/RHX"},"type":[{"coding":[{"system":"http://snomed.info/sct","code":"773632009"}]}]}`},
		[2]string{"/fhir/Appointment/appt-f4", `{"resourceType":"Appointment","id":"appt-f4","status":"booked","description":"APPT-F4",
		  "start":"2026-12-01T10:00:00Z","end":"2026-12-01T10:30:00Z",
		  "participant":[{"actor":{"reference":"Patient/jane"},"status":"accepted"},
		   {"actor":{"reference":"HealthcareService/hivclinic","display":"` + clinic + `"},"status":"accepted"},
		   {"actor":{"reference":"HealthcareService/fracture","display":"FRACTURE-CLINIC-F4"},"status":"accepted"}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/HealthcareService/hivclinic", nurse, ""); r.status != 404 {
		t.Errorf("the HIV-coded service: nurse got %d, want 404", r.status)
	}
	if r := e.do("GET", "/fhir/HealthcareService/fracture", nurse, ""); r.status != 200 {
		t.Errorf("an uncoded service: nurse got %d, want 200", r.status)
	}
	if r := e.do("GET", "/fhir/HealthcareService/hivclinic", hosp, ""); r.status != 200 || !strings.Contains(r.body, clinic) {
		t.Errorf("its source reads it: %d", r.status)
	}
	for _, p := range []string{"/fhir/Appointment/appt-f4", "/fhir/Appointment?patient=jane", "/fhir/Patient/jane/$everything"} {
		r := e.do("GET", p, nurse, "")
		if r.status != 200 || !strings.Contains(r.body, "APPT-F4") {
			t.Fatalf("premise: the nurse reads Jane's appointment by %s: %d %.300s", p, r.status, r.body)
		}
		if strings.Contains(r.body, clinic) || strings.Contains(r.body, "hivclinic") {
			t.Errorf("GET %s names the HIV clinic to the district nurse: %.400s", p, r.body)
		}
		if !strings.Contains(r.body, "FRACTURE-CLINIC-F4") {
			t.Errorf("GET %s: the uncoded clinic should stay named", p)
		}
	}
	if r := e.do("GET", "/fhir/Appointment/appt-f4", hosp, ""); !strings.Contains(r.body, clinic) {
		t.Errorf("the hospital reads its own appointment whole: %.300s", r.body)
	}
}
