package api_test

import (
	"encoding/base64"
	"strings"
	"testing"
)

// A released letter whose content (a Binary labelled PSY on its own) is
// withheld from the reader names that content by its attachment url: the
// url goes out masked, as a reference to a withheld item does, and a
// search by it finds nothing.
func TestAttachmentURLOfWithheldContentIsMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	clinician := e.token("hospital-clinician", "nhs", "RHX")
	content := base64.StdEncoding.EncodeToString([]byte("PSY-LETTER-CONTENT"))
	psyText := `{"resourceType":"Binary","id":"letter-txt","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"PSY"}]},"contentType":"text/plain","securityContext":{"reference":"DocumentReference/letter"},"data":"` + content + `"}`
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/letter", clinicLetter("")},
		[2]string{"/fhir/Binary/letter-txt", psyText})
	if r := e.do("GET", "/fhir/Binary/letter-txt", clinician, ""); r.status != 404 {
		t.Fatalf("baseline: the PSY content is withheld from the clinician: %d", r.status)
	}
	for _, path := range []string{
		"/fhir/DocumentReference/letter",
		"/fhir/DocumentReference?patient=jane",
		"/fhir/Patient/jane/$everything",
		"/fhir/DocumentReference/letter/_history/1",
	} {
		r := e.do("GET", path, clinician, "")
		if r.status != 200 || !strings.Contains(r.body, "clinic letter") {
			t.Fatalf("%s: the letter itself is released: %d %s", path, r.status, r.body)
		}
		if strings.Contains(r.body, "letter-txt") {
			t.Errorf("%s names the withheld content: %s", path, r.body)
		}
		if !strings.Contains(r.body, `"_url":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason","valueCode":"masked"}]}`) {
			t.Errorf("%s: no masked mark where the url was: %s", path, r.body)
		}
	}
	r := e.do("GET", "/fhir/DocumentReference?location=Binary/letter-txt", clinician, "")
	if r.status != 200 || strings.Contains(r.body, "clinic letter") || strings.Contains(r.body, `"total":1`) {
		t.Errorf("a search by the withheld content's url finds the letter: %d %s", r.status, r.body)
	}
	// The GP's own system reads it as stored; a GP who sees PSY data too.
	for _, tok := range []string{gp, e.token("gp", "nhs", "A81001")} {
		if r := e.do("GET", "/fhir/DocumentReference/letter", tok, ""); !strings.Contains(r.body, `"url":"Binary/letter-txt"`) {
			t.Errorf("the source reads the url as stored: %d %s", r.status, r.body)
		}
		if r := e.do("GET", "/fhir/DocumentReference?location=Binary/letter-txt", tok, ""); !strings.Contains(r.body, `"total":1`) {
			t.Errorf("the source finds the letter by its url: %d %s", r.status, r.body)
		}
	}
	// A plain content's url goes out as stored, and finds its letter.
	plain := strings.NewReplacer(`"id":"letter"`, `"id":"letter2"`, "Binary/letter-txt", "Binary/letter2-txt").Replace(clinicLetter(""))
	plainText := strings.NewReplacer(`"id":"letter-txt"`, `"id":"letter2-txt"`, "DocumentReference/letter", "DocumentReference/letter2").Replace(letterText(content))
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/letter2", plain}, [2]string{"/fhir/Binary/letter2-txt", plainText})
	if r := e.do("GET", "/fhir/DocumentReference/letter2", clinician, ""); !strings.Contains(r.body, `"url":"Binary/letter2-txt"`) {
		t.Errorf("a released content's url is masked: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/DocumentReference?location=Binary/letter2-txt", clinician, ""); !strings.Contains(r.body, `"total":1`) {
		t.Errorf("a search by a released content's url: %d %s", r.status, r.body)
	}
	// A url elsewhere (another server's document) is not a Binary here.
	other := strings.NewReplacer(`"id":"letter"`, `"id":"letter3"`, "Binary/letter-txt", "https://docs.example.org/letters/123.pdf").Replace(clinicLetter(""))
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/letter3", other})
	if r := e.do("GET", "/fhir/DocumentReference/letter3", clinician, ""); !strings.Contains(r.body, `"url":"https://docs.example.org/letters/123.pdf"`) {
		t.Errorf("another server's url is masked: %d %s", r.status, r.body)
	}
}

// The order of a sort by attachment url would tell a masked url's place
// among the others, as a sort by reference would: refused for everyone.
func TestSortByAttachmentURLRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for _, tok := range []string{e.token("hospital-clinician", "nhs", "RHX"), e.token("system", "nhs", "A81001")} {
		for _, sort := range []string{"location", "-location"} {
			r := e.do("GET", "/fhir/DocumentReference?patient=jane&_sort="+sort, tok, "")
			if r.status != 400 || !strings.Contains(r.body, "attachment's url is not supported") {
				t.Errorf("_sort=%s: %d %s", sort, r.status, r.body)
			}
		}
	}
}
