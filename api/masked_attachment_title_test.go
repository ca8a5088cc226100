package api_test

import (
	"strings"
	"testing"
)

// TestMaskedAttachmentKeepsNoTitleOrHash: an attachment whose url names
// withheld content went out without the url but with its title and hash
// (review 14c's left-over). The title describes the withheld content as a
// reference's display describes a withheld item, which masking drops ("HIV
// clinic letter"); the hash of a letter confirms a guess at its content.
// Both now go with the url; the attachment's content type, language and
// creation date stay.
func TestMaskedAttachmentKeepsNoTitleOrHash(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/DocumentReference/titled", `{"resourceType":"DocumentReference","id":"titled","status":"current","subject":{"reference":"Patient/jane"},"content":[
			{"attachment":{"url":"Binary/hivbin","contentType":"application/pdf","title":"SECRET-TITLE HIV clinic letter","_title":{"extension":[{"url":"http://example.org/x","valueString":"SECRET-TITLE-EXT"}]},
			"hash":"U0VDUkVULUhBU0g=","size":1234,"language":"en-GB","creation":"2026-01-02"}}]}`})
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Binary/hivbin", hosp, ""); r.status != 404 {
		t.Fatalf("the premise: the letter's content is withheld from the hospital: %d", r.status)
	}
	for _, path := range []string{"/fhir/DocumentReference/titled", "/fhir/DocumentReference?patient=jane", "/fhir/Patient/jane/$everything"} {
		r := e.do("GET", path, hosp, "")
		if r.status != 200 || !strings.Contains(r.body, `"valueCode":"masked"`) {
			t.Fatalf("%s: %d, want the url masked: %.400s", path, r.status, r.body)
		}
		for _, leak := range []string{"SECRET-TITLE", "U0VDUkVULUhBU0g="} {
			if strings.Contains(r.body, leak) {
				t.Errorf("%s: the hospital clinician is shown %q beside the masked url: %.500s", path, leak, r.body)
			}
		}
		if !strings.Contains(r.body, "application/pdf") || !strings.Contains(r.body, "2026-01-02") {
			t.Errorf("%s: the attachment's content type and creation date should stay: %.500s", path, r.body)
		}
	}
	if r := e.do("GET", "/fhir/DocumentReference/titled", e.token("gp", "nhs", "A81001"), ""); !strings.Contains(r.body, "SECRET-TITLE HIV clinic letter") {
		t.Errorf("the practice reads its own letter's title as stored: %.400s", r.body)
	}
}
