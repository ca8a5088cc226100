package api_test

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestReview6dBreakGlassBinaryOfMovedLetter: a letter filed under
// Margaret is moved to Arthur (a wrong-patient correction); its Binary is
// now decided by the letter, as Arthur's. A break-glass read of the
// letter opens Arthur; a break-glass read of its content must too, and
// the access log must name Arthur, not Margaret, whose record it no
// longer is: the read chose its person (x.Patient, break-glass) from the
// people copied onto the Binary when it was written.
func TestReview6dBreakGlassBinaryOfMovedLetter(t *testing.T) {
	e := newEnv(t)
	seedCouple(t, e)
	gp := e.token("system", "nhs", "A81001")
	content := base64.StdEncoding.EncodeToString([]byte("MOVED-LETTER-CONTENT"))
	letter := func(who string) string {
		return `{"resourceType":"DocumentReference","id":"letter","status":"current","subject":{"reference":"Patient/` + who + `"},
		 "content":[{"attachment":{"contentType":"text/plain","url":"Binary/letter-txt"}}]}`
	}
	e.putAll(t, gp,
		[2]string{"/fhir/DocumentReference/letter", letter("margaret")},
		[2]string{"/fhir/Binary/letter-txt", letterText(content)})
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/letter", letter("arthur")})

	ae := e.token("hospital-clinician", "nhs", "RZZ")
	if r := e.do("GET", "/fhir/Binary/letter-txt", ae, "", "X-Break-Glass", bgReason); r.status != 200 || !strings.Contains(r.body, content) {
		t.Errorf("break-glass read of Arthur's letter's content: %d %.200s", r.status, r.body)
	}
	if got := e.loggedPeople(t, "GET", "/fhir/Binary/letter-txt"); len(got) != 1 || got[0] != "arthur" {
		t.Errorf("the access log names %v for Arthur's letter's content", got)
	}
	if r := e.do("GET", "/fhir/Patient/margaret", ae, ""); r.status == 200 {
		t.Errorf("the Binary read granted break-glass on Margaret, whose record the letter no longer is")
	}
}

// TestReview6dWithheldBinaryCountedOnce: a Binary withheld with the
// document it is the content of counts once in the access log (the item
// is decided first, and not counted again as the Binary).
func TestReview6dWithheldBinaryCountedOnce(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp,
		[2]string{"/fhir/DocumentReference/ds", `{"resourceType":"DocumentReference","id":"ds","status":"current","subject":{"reference":"Patient/jane"},
		 "type":{"coding":[{"system":"http://loinc.org","code":"18842-5"}]},"content":[{"attachment":{"contentType":"text/plain","url":"Binary/ds-txt"}}]}`},
		[2]string{"/fhir/Binary/ds-txt", `{"resourceType":"Binary","id":"ds-txt","contentType":"text/plain","securityContext":{"reference":"DocumentReference/ds"},"data":"eA=="}`})
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Consent/no-ds", janeConsent("no-ds", "2026-01-10", "OPTIN",
		`,"provision":{"type":"deny","code":[{"coding":[{"system":"http://loinc.org","code":"18842-5"}]}]}`)})
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Binary?_id=ds-txt", gp, ""); r.status != 200 {
		t.Fatalf("search: %d", r.status)
	}
	if x := e.lastEntry(t); x.Withheld != 1 {
		t.Errorf("Binary?_id=ds-txt withheld %d, want 1", x.Withheld)
	}
}
