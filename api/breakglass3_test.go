package api_test

import (
	"strings"
	"testing"
)

// A break-glass vread / history of Margaret's care team (shared with Arthur).
func TestBreakGlassVersionAndHistoryOfSharedItem(t *testing.T) {
	e := newEnv(t)
	seedCouple(t, e)
	ae := e.token("hospital-clinician", "nhs", "RZZ")
	if r := e.do("GET", "/fhir/CareTeam/margaret-carers", ae, "", "X-Break-Glass", bgReason); r.status != 200 {
		t.Fatalf("precondition read: %d", r.status)
	}
	ae2 := e.token("hospital-clinician", "nhs", "RYY")
	if r := e.do("GET", "/fhir/CareTeam/margaret-carers/_history/1", ae2, "", "X-Break-Glass", bgReason); r.status != 200 || !strings.Contains(r.body, "MARGARET-CARE-TEAM") {
		t.Errorf("break-glass vread of a shared item: %d %.200s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/CareTeam/margaret-carers/_history", ae2, "", "X-Break-Glass", bgReason); r.status != 200 || !strings.Contains(r.body, "MARGARET-CARE-TEAM") {
		t.Errorf("break-glass history of a shared item: %d %.200s", r.status, r.body)
	}
}

// A break-glass read of a Coverage whose beneficiary is Margaret and whose
// subscriber is Arthur (no subject/patient element).
func TestBreakGlassReadOfSharedItemWithoutSubject(t *testing.T) {
	e := newEnv(t)
	seedCouple(t, e)
	rcx := e.token("system", "nhs", "RCX")
	if r := e.do("PUT", "/fhir/Coverage/cov", rcx, `{"resourceType":"Coverage","id":"cov","status":"active","beneficiary":{"reference":"Patient/margaret"},"subscriber":{"reference":"Patient/arthur"},"payor":[{"reference":"Organization/RCX"}],"subscriberId":"COV-MARKER"}`); r.status != 201 {
		t.Fatalf("seed: %d %s", r.status, r.body)
	}
	ae := e.token("hospital-clinician", "nhs", "RZZ")
	r := e.do("GET", "/fhir/Coverage/cov", ae, "", "X-Break-Glass", bgReason)
	if r.status != 200 {
		t.Errorf("break-glass read of a shared Coverage: %d %.200s", r.status, r.body)
	}
}
