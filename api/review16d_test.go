package api_test

// Review 16d: ways around this session's fixes (16a reference forms, 16b
// masked attachments and refused requests' bodies, 16c file descriptors).

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestReview16dAttachmentUrlNamingAWithheldItemIsMasked: an attachment url
// that names a Binary withheld from the user goes out masked, with its
// title, hash and data (review 16b), and a valueUri naming any withheld
// item does too (review 16a) — but an attachment url naming a withheld
// item of another type (DocumentReference/hivdoc, Jane's HIV clinic letter;
// Condition/hiv) went to the hospital clinician as stored, with the title
// "HIV clinic letter" and the letter inline in data: the url was read as
// naming nothing here.
func TestReview16dAttachmentUrlNamingAWithheldItemIsMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	secret := base64.StdEncoding.EncodeToString([]byte("SECRET-HIV-LETTER-CONTENT"))
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/DocumentReference/hivdoc", hosp, ""); r.status != 404 {
		t.Fatalf("the premise: the HIV letter is withheld from the hospital: %d", r.status)
	}
	for i, u := range []string{"DocumentReference/hivdoc", e.base + "/fhir/DocumentReference/hivdoc", "Condition/hiv", "DocumentReference/hivdoc/_history/1"} {
		id := "att16d-" + string(rune('a'+i))
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},
			"description":"DOC16D","content":[{"attachment":{"url":"` + u + `","contentType":"text/plain","title":"HIV16D-TITLE","data":"` + secret + `"}}]}`})
		for _, path := range []string{"/fhir/DocumentReference/" + id, "/fhir/DocumentReference?patient=jane", "/fhir/Patient/jane/$everything"} {
			r := e.do("GET", path, hosp, "")
			if r.status != 200 || !strings.Contains(r.body, "DOC16D") {
				t.Fatalf("%s %s: the premise: the hospital reads the GP's covering document: %d %.300s", u, path, r.status, r.body)
			}
			for _, leak := range []string{secret, "HIV16D-TITLE", `"` + u + `"`} {
				if strings.Contains(r.body, leak) {
					t.Errorf("%s %s: an attachment url naming a withheld item goes to the hospital with %q", u, path, leak)
				}
			}
		}
	}
	// Nor does a search by the url find the document pointing at it
	// (which the masked url no longer says).
	for _, u := range []string{"DocumentReference/hivdoc", "Condition/hiv"} {
		if r := e.do("GET", "/fhir/DocumentReference?location="+u, hosp, ""); r.status != 200 || strings.Contains(r.body, "att16d-") {
			t.Errorf("location=%s: the hospital finds the document whose masked url names the withheld item: %d %.400s", u, r.status, r.body)
		}
	}
	if r := e.do("GET", "/fhir/DocumentReference?location=DocumentReference/hivdoc", gp, ""); !strings.Contains(r.body, "att16d-a") {
		t.Errorf("the practice finds its own document by its url: %.400s", r.body)
	}
	if r := e.do("GET", "/fhir/DocumentReference/att16d-a", e.token("gp", "nhs", "A81001"), ""); !strings.Contains(r.body, secret) || !strings.Contains(r.body, "HIV16D-TITLE") {
		t.Errorf("the practice reads its own document as stored: %.400s", r.body)
	}
}
