package api_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// TestReview18aWhoAccessedAfterOtherRecordDeleted: IG's report of who
// accessed the hospital's record of Jane (Patient/hosp-jane) covers her
// other records as the sharing decision follows them, among them the
// GP's Patient/jane carrying her NHS number. Once the GP deleted
// Patient/jane (her diagnosis still filed under it, her objection still
// reaching hosp-jane), the report found the other records by a search
// that skips deleted Patients: the district nurse's read of Jane's GP
// diagnosis was missing from $who-accessed?patient=hosp-jane and
// AuditEvent?patient=hosp-jane, and otherRecords no longer named jane.
func TestReview18aWhoAccessedAfterOtherRecordDeleted(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("system", "nhs", "RHX")
	seedHospitalJane(t, e, hosp, "9434765919")
	nurse := e.token("district-nurse", "nhs", "RCX", func(c *auth.DevClaims) { c.Sub = "nurse-18a-sub" })
	if r := e.do("GET", "/fhir/Condition/diabetes", nurse, ""); r.status != 200 {
		t.Fatalf("the premise: the nurse reads Jane's GP diagnosis: %d %s", r.status, r.body)
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	paths := []string{"/fhir/AuditEvent/$who-accessed?patient=hosp-jane", "/fhir/AuditEvent?patient=hosp-jane&_count=1000"}
	for _, path := range paths {
		if r := e.do("GET", path, ig, ""); r.status != 200 || !strings.Contains(r.body, "nurse-18a-sub") {
			t.Fatalf("the premise: %s lists the read of her GP record: %d %.600s", path, r.status, r.body)
		}
	}
	if r := e.do("DELETE", "/fhir/Patient/jane", gp, ""); r.status != 200 && r.status != 204 {
		t.Fatalf("the GP deletes its Patient record of Jane: %d %s", r.status, r.body)
	}
	for _, path := range paths {
		if r := e.do("GET", path, ig, ""); r.status != 200 || !strings.Contains(r.body, "nurse-18a-sub") {
			t.Errorf("%s: with Patient/jane deleted, the nurse's read of her GP diagnosis is not listed: %d %.600s", path, r.status, r.body)
		}
	}
	var rep struct {
		OtherRecords []string `json:"otherRecords"`
	}
	if r := e.do("GET", "/fhir/AuditEvent/$who-accessed?patient=hosp-jane", ig, ""); json.Unmarshal([]byte(r.body), &rep) != nil || !slices.Contains(rep.OtherRecords, "jane") {
		t.Errorf("the report does not name the deleted record: %v %.300s", rep.OtherRecords, r.body)
	}
}
