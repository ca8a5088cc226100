package main

import (
	"strings"
	"testing"
)

// Review 54b: 878ee25's leaveOutIDs keeps a Type/id preceded by '/' (a
// URL's path, for CodeSystem/v3-ActCode). Ids are personal wherever they
// sit: "smith-jane-19500304" (a name and a date of birth, review 52c).

// TestReview54bSoundImportIDsLeftOut: a Type/id at the start, after '(',
// a quote or a colon, or in a _history path, is still left out; a code
// system URL is kept.
func TestReview54bSoundImportIDsLeftOut(t *testing.T) {
	for _, msg := range []string{
		"Patient/smith-jane-19500304 is at version 1, If-Match asked for 5",
		"entry 3 (Patient/smith-jane-19500304): resource not found",
		"reference 'Patient/smith-jane-19500304' found outside",
		"subject:Patient/smith-jane-19500304 missing",
		"Patient/smith-jane-19500304/_history/2: resource not found",
		"Observation.subject: Patient/smith-jane-19500304, Encounter/visit-smith-jane-19500304",
	} {
		if out := leaveOutValues(msg); strings.Contains(out, "smith") || strings.Contains(out, "19500304") {
			t.Errorf("%q → %q", msg, out)
		}
	}
	if out := leaveOutValues("must be http://terminology.hl7.org/CodeSystem/v3-ActCode OPTIN"); !strings.Contains(out, "CodeSystem/v3-ActCode") {
		t.Errorf("code system URL masked: %q", out)
	}
}

// TestReview54bImportIDInURLKept: a Patient's id in an absolute or
// path-absolute reference ("https://hospital.example/fhir/Patient/…",
// "/fhir/Patient/…", "urn:…/Patient/…"), where a message names it, now
// goes out whole: the preceding '/' counts as a URL's path. 878ee25^
// left the id out. The id is no less personal in a URL; a code system's
// canonical URL is not a resource's.
func TestReview54bImportIDInURLKept(t *testing.T) {
	for _, msg := range []string{
		"reference https://hospital.example/fhir/Patient/smith-jane-19500304 is not a reference carex can resolve",
		"request.url /fhir/Patient/smith-jane-19500304: not a relative url",
		"fullUrl http://hospital.example/Patient/smith-jane-19500304/_history/1 does not match",
	} {
		if out := leaveOutValues(msg); strings.Contains(out, "smith") || strings.Contains(out, "19500304") {
			t.Errorf("%q → %q", msg, out)
		}
	}
}

// TestReview54bImportRealErrorsURL: real carex import runs with a personal
// id inside an absolute URL (a Bundle entry's request.url and fullUrl, a
// reference); the errors printed must not carry the id.
func TestReview54bImportRealErrorsURL(t *testing.T) {
	dir := t.TempDir()
	pat := `{"resourceType":"Patient","id":"smith-jane-19500304","name":[{"family":"Smith"}],"birthDate":"1950-02-30"}`
	for name, body := range map[string]string{
		"request-url": `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"https://hospital.example/fhir/Patient/smith-jane-19500304","resource":` + pat + `,"request":{"method":"PUT","url":"https://hospital.example/fhir/Patient/smith-jane-19500304"}}]}`,
		"fullurl":     `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"https://hospital.example/fhir/Patient/smith-jane-19500304","resource":` + pat + `,"request":{"method":"PUT","url":"Patient/smith-jane-19500304"}}]}`,
		"ifmatch":     `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"https://hospital.example/fhir/Patient/smith-jane-19500304","resource":{"resourceType":"Patient","id":"smith-jane-19500304","name":[{"family":"Smith"}]},"request":{"method":"PUT","url":"Patient/smith-jane-19500304","ifMatch":"W/\"5\""}}]}`,
		"reference":   `{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"},"subject":{"reference":"https://hospital.example/fhir/Patient/smith-jane-19500304"},"valueQuantity":{"value":"abc"}}`,
	} {
		db := t.TempDir() + "/c.db"
		f := r10dWrite(t, dir, name+".json", body)
		code, _, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", f)
		t.Logf("%s: exit %d: %s", name, code, errs)
		if strings.Contains(errs, "smith-jane") || strings.Contains(errs, "19500304") {
			t.Errorf("%s: the import error names the person's id: %s", name, errs)
		}
	}
}
