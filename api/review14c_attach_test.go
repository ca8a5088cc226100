package api_test

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestReview14cNDJSONAttachmentIsRead: FHIR JSON carried in an attachment
// or a Binary labels (and classes) the item that carries it, and a copy of
// a restricted person in it is redacted — but only under the JSON media
// types: the same resources as NDJSON under FHIR's own media type for it,
// application/fhir+ndjson (or application/x-ndjson, application/ndjson), or
// under no contentType at all (Attachment.contentType is optional), were
// opaque. A letter carrying Jane's HIV diagnosis as application/fhir+ndjson
// went unlabelled to the hospital clinician, and one carrying Margaret's
// Patient with her refuge address released it to the district nurse. And
// a line that did not decode ended the reading: what followed it (the HIV
// diagnosis after a line cut short) went unlabelled. Both are now read as
// the JSON ones are, past a broken line.
func TestReview14cNDJSONAttachmentIsRead(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedRestricted(t, e)
	hivLines := `{"resourceType":"Observation","status":"final","code":{"text":"weight"}}` + "\n" +
		`{"resourceType":"Observation","status":"fin` + "\n" + // a line cut short
		`{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"NDJSON-HIV"}}` + "\n"
	margLine := `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000069"}],"name":[{"family":"Doyle"}],"address":[{"line":["NDJSON-REFUGE-ADDR"]}]}` + "\n"
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	nurse := e.token("district-nurse", "nhs", "RCX")
	for i, ct := range []string{`"contentType":"application/fhir+ndjson",`, `"contentType":"application/x-ndjson",`, `"contentType":"application/ndjson; charset=utf-8",`, ``} {
		id := "bulk" + string(rune('a'+i))
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},
			"content":[{"attachment":{` + ct + `"data":"` + enc(hivLines) + `"}}]}`})
		if r := e.do("GET", "/fhir/DocumentReference/"+id, hosp, ""); r.status != 404 {
			t.Errorf("%s (%s): the hospital clinician reads a letter carrying Jane's HIV diagnosis: %d %.300s", id, ct, r.status, r.body)
		}
		if r := e.do("GET", "/fhir/DocumentReference/"+id, e.token("gp", "nhs", "A81001"), ""); r.status != 200 {
			t.Errorf("%s: the practice reads its own letter: %d", id, r.status)
		}
		// Margaret's Patient, in the council's care-plan record of Jane
		// (the nurse sees care plans): redacted outside the council.
		bin := "carries-marg-" + id
		e.putAll(t, e.token("system", "council", "E06000999"), [2]string{"/fhir/CarePlan/" + bin, `{"resourceType":"CarePlan","id":"` + bin + `","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},
			"supportingInfo":[{"display":"attached"}],"extension":[{"url":"https://carex.example/attached","valueAttachment":{` + ct + `"data":"` + enc(margLine) + `"}}]}`})
		r := e.do("GET", "/fhir/CarePlan/"+bin, nurse, "")
		if r.status == 200 && strings.Contains(r.body, enc(margLine)) {
			t.Errorf("%s (%s): the district nurse is given Margaret's refuge address as stored: %.300s", bin, ct, r.body)
		}
	}
}
