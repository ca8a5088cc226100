package api_test

import "testing"

// TestReview41aSoundRestrictedLinkToDeletedRecordKeepsHistoryRedacted:
// the council's restricted Patient of her links seealso to the hospital's
// record of her, which the hospital then deletes (its diagnosis and care
// team stay). The deleted record's earlier versions, its items and its
// $everything still go to the nurse without her address.
func TestReview41aSoundRestrictedLinkToDeletedRecordKeepsHistoryRedacted(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hospPatient38c(t, e, "hosp-d41", "")
	e.putAll(t, e.token("system", "council", "E06000999"),
		[2]string{"/fhir/Patient/council-d41", `{"resourceType":"Patient","id":"council-d41",` + rLabel21a + `,"name":[{"family":"Smith"}],"link":[{"other":{"reference":"Patient/hosp-d41"},"type":"seealso"}]}`})
	if r := e.do("DELETE", "/fhir/Patient/hosp-d41", e.token("system", "nhs", "RHX"), ""); r.status >= 300 {
		t.Fatalf("delete: %d", r.status)
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, p := range []string{"/fhir/Patient/hosp-d41/_history/1", "/fhir/Patient/hosp-d41/_history", "/fhir/Patient/hosp-d41/$everything", "/fhir/Condition/hosp-d41-dx"} {
		if r := e.do("GET", p, nurse, ""); leaks38c(r.body) {
			t.Errorf("GET %s: the address of a record a restricted record links to, after its delete: %d …%s…", p, r.status, around21a(r.body, "SECRET-ADDR"))
		}
	}
}
