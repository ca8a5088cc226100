package api_test

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
)

// TestReview11aCopiesElsewhereInItems: review 10a redacted a restricted
// person's Patient, RelatedPerson and Person copied into her other items
// when contained at the top or carried as a stored Bundle's entry, but not
// anywhere else a resource can sit: a Bundle contained in a referral, a
// stored Bundle's entry response outcome, or FHIR JSON in a document's
// attachment (a Parameters entry carrying her Patient is withheld: it
// names someone carex cannot identify). The district nurse and the hospital clinician
// read Margaret's refuge address and phone there.
func TestReview11aCopiesElsewhereInItems(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedRestricted(t, e)
	council := e.token("system", "council", "E06000999")
	copyOf := `{"resourceType":"Patient","id":"marg","name":[{"family":"Copy"}],"address":[{"line":["SECRET-ADDR 1 Hidden Lane"],"postalCode":"LS9 7TF"}],"telecom":[{"system":"phone","value":"01134960999"}],"generalPractitioner":[{"reference":"Practitioner/dr-secret"}]}`
	doc := base64.StdEncoding.EncodeToString([]byte(copyOf))
	e.putAll(t, council,
		[2]string{"/fhir/EpisodeOfCare/marg-pkg", `{"resourceType":"EpisodeOfCare","id":"marg-pkg","status":"active","patient":{"reference":"Patient/marg"},"managingOrganization":{"reference":"Organization/E06000999"}}`},
		// A referral carrying the council's message as a contained Bundle.
		[2]string{"/fhir/ServiceRequest/r-bundle", `{"resourceType":"ServiceRequest","id":"r-bundle","status":"active","intent":"order","subject":{"reference":"Patient/marg"},"code":{"text":"REF-1"},
		 "contained":[{"resourceType":"Bundle","id":"b","type":"collection","entry":[{"resource":` + copyOf + `}]}],"supportingInfo":[{"reference":"#b"}]}`},
		// The referral letter as FHIR JSON in an attachment.
		[2]string{"/fhir/DocumentReference/marg-doc", `{"resourceType":"DocumentReference","id":"marg-doc","status":"current","subject":{"reference":"Patient/marg"},"description":"REF-4",
		 "content":[{"attachment":{"contentType":"application/fhir+json","data":"` + doc + `","size":` + strconv.Itoa(len(copyOf)) + `}}]}`},
		// and as the content of a Binary of that document
		[2]string{"/fhir/Binary/marg-bin", `{"resourceType":"Binary","id":"marg-bin","contentType":"application/fhir+json","securityContext":{"reference":"DocumentReference/marg-doc"},"data":"` + doc + `"}`},
	)
	secrets := []string{"SECRET-ADDR", "LS9", "01134960999", "dr-secret"}
	check := func(who, tok, path, premise string) {
		t.Helper()
		r := e.do("GET", path, tok, "")
		if r.status != 200 || !strings.Contains(r.body, premise) {
			t.Fatalf("the premise: %s reads %s: %d %.300s", who, path, r.status, r.body)
		}
		body := r.body
		// and what a FHIR JSON attachment carries
		for _, s := range strings.Split(body, `"data":"`)[1:] {
			enc, _, _ := strings.Cut(s, `"`)
			if raw, err := base64.StdEncoding.DecodeString(enc); err == nil {
				body += string(raw)
			}
		}
		for _, s := range secrets {
			if strings.Contains(body, s) {
				t.Errorf("%s: GET %s releases Margaret's restricted %q from a copy of her Patient", who, path, s)
			}
		}
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	clinician := e.token("hospital-clinician", "nhs", "RCX")
	check("nurse", nurse, "/fhir/ServiceRequest/r-bundle", "REF-1")
	// A stored Bundle carrying her Patient as an entry's response outcome:
	// (review 60a chose otherwise) refused, 422, as any resource but an
	// OperationOutcome there is.
	if r := e.do("PUT", "/fhir/Bundle/marg-msg", council, `{"resourceType":"Bundle","id":"marg-msg","type":"collection","entry":[
		 {"resource":{"resourceType":"Task","id":"t1","status":"requested","intent":"order","for":{"reference":"Patient/marg"},"code":{"text":"REF-3"}}},
		 {"resource":{"resourceType":"Task","id":"t2","status":"requested","intent":"order","for":{"reference":"Patient/marg"}},"response":{"status":"200","outcome":`+copyOf+`}}]}`); r.status != 422 {
		t.Errorf("a Bundle carrying her Patient as an entry's response.outcome: %d, want 422", r.status)
	}
	check("clinician", clinician, "/fhir/DocumentReference/marg-doc", "REF-4")
	check("clinician", clinician, "/fhir/Binary/marg-bin", "marg-bin")
	check("clinician", clinician, "/fhir/Patient/marg/$everything", "REF-4")
	// The copy stays (her name), and the council reads its items whole.
	r := e.do("GET", "/fhir/DocumentReference/marg-doc", clinician, "")
	if r.status != 200 || strings.Contains(r.body, `"size":`+strconv.Itoa(len(copyOf))) {
		t.Errorf("the redacted attachment keeps the size of the whole copy: %.400s", r.body)
	}
	if raw := attachmentData(t, r.body); !strings.Contains(raw, `"family":"Copy"`) {
		t.Errorf("the attachment's copy of her Patient is gone: %q", raw)
	}
	sw := e.token("social-worker", "council", "E06000999")
	for _, p := range []string{"/fhir/ServiceRequest/r-bundle", "/fhir/DocumentReference/marg-doc"} { // (Bundle/marg-msg is refused: review 60a)
		r := e.do("GET", p, sw, "")
		if !strings.Contains(r.body+attachmentData(t, r.body), "SECRET-ADDR") {
			t.Errorf("the council's own %s is redacted for the council: %d %.300s", p, r.status, r.body)
		}
	}
}

// attachmentData is the decoded data of the first attachment in body.
func attachmentData(t *testing.T, body string) string {
	t.Helper()
	_, rest, ok := strings.Cut(body, `"data":"`)
	if !ok {
		return ""
	}
	enc, _, _ := strings.Cut(rest, `"`)
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		t.Fatalf("attachment data: %v", err)
	}
	return string(raw)
}
