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
		[2]string{"/fhir/Binary/letter-txt", `{"resourceType":"Binary","id":"letter-txt","contentType":"text/plain","securityContext":{"reference":"DocumentReference/letter"},"data":"` + content + `"}`})
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
