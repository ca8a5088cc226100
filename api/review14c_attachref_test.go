package api_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// attachedData14c is the FHIR JSON (decoded) that the first attachment of
// the resource in body carries, "" when there is none.
func attachedData14c(t *testing.T, body string) string {
	t.Helper()
	var m struct {
		Content []struct {
			Attachment struct {
				Data string `json:"data"`
				Hash string `json:"hash"`
			} `json:"attachment"`
		} `json:"content"`
	}
	if err := json.Unmarshal([]byte(body), &m); err != nil || len(m.Content) == 0 {
		t.Fatalf("not a DocumentReference with content: %v %.300s", err, body)
	}
	b, err := base64.StdEncoding.DecodeString(m.Content[0].Attachment.Data)
	if err != nil {
		t.Fatalf("attachment data: %v", err)
	}
	return string(b)
}

// TestReview14cReferencesInsideAttachedJSONAreMasked: a released item's
// reference to a withheld one goes out masked, and FHIR JSON carried in an
// attachment counts as the item's content (its labels, classes, the people
// it carries) — but the references inside that JSON were released as
// stored: the GP practice's document carrying, as application/fhir+json, a
// care plan addressing Jane's withheld HIV diagnosis
// (reference Condition/hiv, display "HIV infection") and pointing at the
// withheld HIV letter's content (url Binary/hivbin) gave the hospital
// clinician both, display and all, where the same care plan stored on its
// own went out masked. They are now masked inside the attachment too (the
// data written back without its hash), for reads, searches and
// $everything; the practice reads its document as stored.
func TestReview14cReferencesInsideAttachedJSONAreMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	plan := `{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},
		"addresses":[{"reference":"Condition/hiv","display":"ATTACHED-HIV-DISPLAY"},{"reference":"Condition/diabetes","display":"DIABETES-SEEN"}],
		"supportingInfo":[{"reference":"DocumentReference/hivdoc","display":"ATTACHED-LETTER-DISPLAY"}],
		"extension":[{"url":"https://carex.example/letter","valueAttachment":{"url":"Binary/hivbin"}}]}`
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/DocumentReference/summary", `{"resourceType":"DocumentReference","id":"summary","status":"current","subject":{"reference":"Patient/jane"},
			"content":[{"attachment":{"contentType":"application/fhir+json","hash":"2jmj7l5rSw0yVb/vlWAYkK/YBwk=","data":"` + base64.StdEncoding.EncodeToString([]byte(plan)) + `"}}]}`})
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	r := e.do("GET", "/fhir/DocumentReference/summary", hosp, "")
	if r.status != 200 {
		t.Fatalf("the premise: the hospital clinician reads the document: %d %.300s", r.status, r.body)
	}
	data := attachedData14c(t, r.body)
	for _, leak := range []string{"ATTACHED-HIV-DISPLAY", "Condition/hiv", "ATTACHED-LETTER-DISPLAY", "hivdoc", "hivbin"} {
		if strings.Contains(data, leak) {
			t.Errorf("the hospital clinician is given %q inside the attached care plan: %s", leak, data)
		}
	}
	if !strings.Contains(data, "DIABETES-SEEN") || strings.Count(data, `"masked"`) != 3 {
		t.Errorf("want the reference to what she sees kept and the three others masked: %s", data)
	}
	if strings.Contains(r.body, "2jmj7l5rSw0yVb") {
		t.Errorf("the hash of the data as stored goes out with the data changed: %.400s", r.body)
	}
	for _, path := range []string{"/fhir/DocumentReference?patient=jane", "/fhir/Patient/jane/$everything"} {
		r := e.do("GET", path, hosp, "")
		if !strings.Contains(r.body, "summary") || strings.Contains(r.body, base64.StdEncoding.EncodeToString([]byte(plan))) {
			t.Errorf("%s: the document's data goes out as stored: %.300s", path, r.body)
		}
	}
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/DocumentReference/summary", gp, ""); !strings.Contains(attachedData14c(t, r.body), "ATTACHED-HIV-DISPLAY") {
		t.Errorf("the practice reads its own document as stored: %.300s", r.body)
	}
}
