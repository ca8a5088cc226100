package main

import (
	"strings"
	"testing"
)

// TestReview79aSoundImportForeignPatientMessageKeepsIDsOut
//
// Input: carex import of an Observation (and of a transaction) naming
// https://hospital.example/fhir/Patient/smith-jane-19500304 — a personal
// id (a name and a date of birth, review 52c). c1f97d0 refuses it at
// import ("carex import has no base"); the new message quotes the
// reference and "carex's own record Patient/ID". Review 54b/55a: import's
// printed errors must not carry personal ids (leaveOutValues).
// Severity: personal data in a terminal / CI log (leak of personal data
// outside the access-controlled record), if it fails. Parent f1d2d0f: the
// item was stored under Patient/smith-jane-19500304 (no message).
func TestReview79aSoundImportForeignPatientMessageKeepsIDsOut(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"observation": `{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"},"subject":{"reference":"https://hospital.example/fhir/Patient/smith-jane-19500304"}}`,
		"versioned":   `{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"},"subject":{"reference":"https://hospital.example/fhir/Patient/smith-jane-19500304/_history/3"}}`,
		"transaction": `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:0b1c","resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"https://hospital.example/fhir/Patient/smith-jane-19500304"}},"request":{"method":"POST","url":"Observation"}}]}`,
		"own-id":      `{"resourceType":"Observation","id":"obs-smith-jane-19500304","status":"final","code":{"text":"x"},"subject":{"reference":"https://hospital.example/fhir/Patient/p1"}}`,
	} {
		db := t.TempDir() + "/c.db"
		f := r10dWrite(t, dir, name+".json", body)
		code, _, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", f)
		t.Logf("%s: exit %d: %s", name, code, errs)
		if code == 0 {
			t.Errorf("%s: imported (exit 0), want refused", name)
		}
		if strings.Contains(errs, "jane") || strings.Contains(errs, "19500304") {
			t.Errorf("%s: the import error names the person's id: %s", name, errs)
		}
	}
}
