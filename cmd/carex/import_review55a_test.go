package main

import (
	"strings"
	"testing"
)

// Review 55a: 0f92069's leaveOutIDs keeps only a terminology resource's
// Type/id in a URL. Are personal ids still left out of import errors?

// TestReview55aSoundImportTerminologyURLsKept: code system, value set and
// profile URLs are kept; a Patient's id in a URL, or after one, is not.
func TestReview55aSoundImportTerminologyURLsKept(t *testing.T) {
	for _, msg := range []string{
		"must be http://terminology.hl7.org/CodeSystem/v3-ActCode OPTIN",
		"profile https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient not supported",
		"binding http://hl7.org/fhir/ValueSet/consent-scope",
	} {
		out := leaveOutValues(msg)
		for _, keep := range []string{"CodeSystem/v3-ActCode", "StructureDefinition/UKCore-Patient", "ValueSet/consent-scope"} {
			if strings.Contains(msg, keep) && !strings.Contains(out, keep) {
				t.Errorf("%q → %q: terminology URL left out", msg, out)
			}
		}
	}
	for _, msg := range []string{
		"reference https://hospital.example/fhir/Patient/smith-jane-19500304 is not a reference carex can resolve",
		"reference urn:x/CodeSystem/x/Patient/smith-jane-19500304 not found",
		"fullUrl http://hospital.example/Patient/smith-jane-19500304/_history/1 does not match",
	} {
		if out := leaveOutValues(msg); strings.Contains(out, "smith") {
			t.Errorf("%q → %q", msg, out)
		}
	}
}

// TestReview55aImportIDAfterTerminologyType: a Patient's id written after
// a terminology type in a URL path ("…/fhir/ValueSet/Patient/<id>", as a
// mistaken base or a reference into another server's terminology path
// would read): the regex's match "ValueSet/Patient" is kept as a
// terminology URL, and the Patient's id that follows it is never looked
// at. Also ids with a character outside the FHIR id alphabet
// ("Patient/smith_jane_19500304": only "smith" left out), and a lowercase
// type in a URL ("…/fhir/patient/<id>"). The last two are not changes of
// 0f92069 (the regex is as before).
func TestReview55aImportIDAfterTerminologyType(t *testing.T) {
	for _, msg := range []string{
		"reference https://hospital.example/fhir/ValueSet/Patient/smith-jane-19500304 is not a reference carex can resolve",
		"Patient/smith_jane_19500304: id not valid",
		"reference https://hospital.example/fhir/patient/smith-jane-19500304 is not a reference carex can resolve",
	} {
		if out := leaveOutValues(msg); strings.Contains(out, "jane") {
			t.Errorf("%q → %q", msg, out)
		}
	}
}

// TestReview55aImportRealErrorsIDForms: real carex import runs naming a
// personal id in those forms; the printed errors must not carry it.
func TestReview55aImportRealErrorsIDForms(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"valueset-path":  `{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"},"subject":{"reference":"https://hospital.example/fhir/ValueSet/Patient/smith-jane-19500304"}}`,
		"lowercase":      `{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"},"subject":{"reference":"https://hospital.example/fhir/patient/smith-jane-19500304"}}`,
		"underscore":     `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient","name":[{"family":"Smith"}]},"request":{"method":"PUT","url":"Patient/smith_jane_19500304"}}]}`,
		"underscore-ref": `{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/smith_jane_19500304"}}`,
	} {
		db := t.TempDir() + "/c.db"
		f := r10dWrite(t, dir, name+".json", body)
		code, _, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", f)
		t.Logf("%s: exit %d: %s", name, code, errs)
		if strings.Contains(errs, "jane") {
			t.Errorf("%s: the import error names the person's id: %s", name, errs)
		}
	}
}
