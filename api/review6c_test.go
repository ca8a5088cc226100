package api_test

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
)

// TestReview6cBinaryOfDeletedRelabelledLetter: a letter relabelled PSY
// withholds its Binary (binaryNow); deleting the letter afterwards must not
// bring the Binary back under the labels copied when it was written.
func TestReview6cBinaryOfDeletedRelabelledLetter(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	clinician := e.token("hospital-clinician", "nhs", "RHX")
	content := base64.StdEncoding.EncodeToString([]byte("LETTER-CONTENT"))
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/letter", clinicLetter("")},
		[2]string{"/fhir/Binary/letter-txt", letterText(content)})
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/letter", psyLetter()})
	if r := e.do("GET", "/fhir/Binary/letter-txt", clinician, ""); strings.Contains(r.body, content) {
		t.Fatalf("baseline: the relabelled letter's content released: %d", r.status)
	}
	if r := e.do("DELETE", "/fhir/DocumentReference/letter", gp, ""); r.status != 200 && r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	for _, path := range []string{"/fhir/Binary/letter-txt", "/fhir/Binary/letter-txt/_history/1", "/fhir/Patient/jane/$everything", "/fhir/Binary?_id=letter-txt"} {
		if r := e.do("GET", path, clinician, ""); strings.Contains(r.body, content) {
			t.Errorf("GET %s after the PSY letter was deleted: %d, its content released", path, r.status)
		}
	}
}

// TestReview6cBinaryOfABinary: a Binary whose securityContext is another
// Binary of the same organisation (a rendition of a letter's attachment)
// is decided by what that Binary is decided by now: the letter's current
// labels, not the labels the middle Binary copied when it was written.
func TestReview6cBinaryOfABinary(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	clinician := e.token("hospital-clinician", "nhs", "RHX")
	content := base64.StdEncoding.EncodeToString([]byte("LETTER-RENDITION"))
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/letter", clinicLetter("")},
		[2]string{"/fhir/Binary/letter-txt", letterText("QUJD")},
		[2]string{"/fhir/Binary/letter-pdf", `{"resourceType":"Binary","id":"letter-pdf","contentType":"application/pdf","securityContext":{"reference":"Binary/letter-txt"},"data":"` + content + `"}`})
	if r := e.do("GET", "/fhir/Binary/letter-pdf", clinician, ""); r.status != 200 {
		t.Fatalf("baseline: %d %s", r.status, r.body)
	}
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/letter", psyLetter()})
	for _, path := range []string{"/fhir/Binary/letter-pdf", "/fhir/Patient/jane/$everything"} {
		if r := e.do("GET", path, clinician, ""); strings.Contains(r.body, content) {
			t.Errorf("GET %s after the letter was labelled PSY: %d, the rendition released", path, r.status)
		}
	}
}

// TestBinaryOfADocumentTheConsentDeniesByCode: a person's Consent that
// denies discharge summaries by their code withholds the document; it
// names no Binary, and the Binary's content must go with the document
// (FHIR: the access policies of the securityContext item apply).
func TestBinaryOfADocumentTheConsentDeniesByCode(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	content := base64.StdEncoding.EncodeToString([]byte("DISCHARGE-CONTENT"))
	e.putAll(t, hosp,
		[2]string{"/fhir/DocumentReference/ds", `{"resourceType":"DocumentReference","id":"ds","status":"current","subject":{"reference":"Patient/jane"},
		 "type":{"coding":[{"system":"http://loinc.org","code":"18842-5"}],"text":"Discharge summary"},"content":[{"attachment":{"contentType":"text/plain","url":"Binary/ds-txt"}}]}`},
		[2]string{"/fhir/Binary/ds-txt", `{"resourceType":"Binary","id":"ds-txt","contentType":"text/plain","securityContext":{"reference":"DocumentReference/ds"},"data":"` + content + `"}`})
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Binary/ds-txt", gp, ""); r.status != 200 {
		t.Fatalf("baseline: the GP reads the summary's content: %d %s", r.status, r.body)
	}
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Consent/no-ds", janeConsent("no-ds", "2026-01-10", "OPTIN",
		`,"provision":{"type":"deny","code":[{"coding":[{"system":"http://loinc.org","code":"18842-5"}]}]}`)})
	if r := e.do("GET", "/fhir/DocumentReference/ds", gp, ""); r.status != 404 {
		t.Fatalf("the summary the Consent denies: %d", r.status)
	}
	for _, path := range []string{"/fhir/Binary/ds-txt", "/fhir/Binary/ds-txt/_history/1", "/fhir/Patient/jane/$everything", "/fhir/Binary?_id=ds-txt"} {
		if r := e.do("GET", path, gp, ""); strings.Contains(r.body, content) {
			t.Errorf("GET %s: %d, the denied summary's content released", path, r.status)
		}
	}
	if got := explainEffects(t, e, url.Values{"role": {"gp"}, "org": {"A81001"}, "sector": {"nhs"}})["Binary/ds-txt"]; got != "withhold" {
		t.Errorf("$explain says %q for the summary's content", got)
	}
	// The hospital, its source, still reads both.
	if r := e.do("GET", "/fhir/Binary/ds-txt", e.token("hospital-clinician", "nhs", "RHX"), ""); r.status != 200 {
		t.Errorf("the hospital's own summary content: %d", r.status)
	}
}
