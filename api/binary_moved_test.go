package api_test

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
)

// A letter filed under the wrong person is moved to the right one: its
// content (a Binary whose securityContext is the letter) goes with it,
// out of the first person's record, though the compartment index keeps
// the people the Binary took when it was written. Before this, Jane's
// $everything went on listing John's letter text, and $explain listed it
// under Jane.
func TestMovedLetterTakesItsContentAlong(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	john := strings.NewReplacer(`"id":"jane"`, `"id":"john"`, "9434765919", "9434765870", `"Jane"`, `"John"`).Replace(janeJSON)
	content := base64.StdEncoding.EncodeToString([]byte("JOHNS-LETTER"))
	e.putAll(t, gp, [2]string{"/fhir/Patient/john", john},
		[2]string{"/fhir/DocumentReference/letter", clinicLetter("")},
		[2]string{"/fhir/Binary/letter-txt", letterText(content)})
	doctor := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Patient/jane/$everything", doctor, ""); !strings.Contains(r.body, content) {
		t.Fatalf("baseline: the letter's content in Jane's record: %d %.300s", r.status, r.body)
	}
	// Filed under Jane by mistake: the practice moves it to John.
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/letter", strings.Replace(clinicLetter(""), "Patient/jane", "Patient/john", 1)})

	r := e.do("GET", "/fhir/Patient/jane/$everything", doctor, "")
	if r.status != 200 || strings.Contains(r.body, content) || strings.Contains(r.body, "Binary/letter-txt") {
		t.Errorf("Jane's record after the letter was moved to John: %d, still holds its content: %.400s", r.status, r.body)
	}
	if strings.Contains(r.body, "withheld") || strings.Contains(r.body, `"notice"`) {
		t.Errorf("the moved content is not Jane's, so it is not withheld from her record either: %.400s", r.body)
	}
	if _, ok := explainEffects(t, e, url.Values{"role": {"gp"}, "org": {"A81001"}, "sector": {"nhs"}})["Binary/letter-txt"]; ok {
		t.Error("$explain of Jane's record still lists the letter's content")
	}
	// It reads as John's.
	if r := e.do("GET", "/fhir/Binary/letter-txt", doctor, ""); r.status != 200 {
		t.Errorf("the letter's content by id: %d", r.status)
	}
}

// The notice that a record withholds items is computed on the whole
// record when $everything filters by date: a letter moved to John, who
// has opted out, is not Jane's, and her record withholds nothing.
func TestMovedLetterIsNoNoticeInOldRecord(t *testing.T) {
	e := newEnv(t)
	gp := e.token("system", "nhs", "A81001")
	john := strings.NewReplacer(`"id":"jane"`, `"id":"john"`, "9434765919", "9434765870", `"Jane"`, `"John"`).Replace(janeJSON)
	johnOptOut := strings.ReplaceAll(janeConsent("john-out", "2026-02-01", "OPTOUT", ""), "Patient/jane", "Patient/john")
	e.putAll(t, gp, [2]string{"/fhir/Patient/jane", janeJSON}, [2]string{"/fhir/Patient/john", john},
		[2]string{"/fhir/Consent/john-out", johnOptOut},
		[2]string{"/fhir/DocumentReference/letter", clinicLetter("")},
		[2]string{"/fhir/Binary/letter-txt", letterText("TEVUVEVS")},
		[2]string{"/fhir/DocumentReference/letter", strings.Replace(clinicLetter(""), "Patient/jane", "Patient/john", 1)})
	e.putAll(t, e.token("system", "nhs", "RCX"), [2]string{"/fhir/CareTeam/nursing", `{"resourceType":"CareTeam","id":"nursing","status":"active","subject":{"reference":"Patient/jane"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, q := range []string{"", "?_since=2000-01-01T00:00:00Z"} {
		r := e.do("GET", "/fhir/Patient/jane/$everything"+q, nurse, "")
		if r.status != 200 || strings.Contains(r.body, "letter-txt") || strings.Contains(r.body, "confidential-items") {
			t.Errorf("the nurse's $everything%s of Jane: %d %.400s", q, r.status, r.body)
		}
	}
}
