package api_test

import (
	"encoding/base64"
	"testing"
)

// TestReview15aAttachedJSONArrayIsRead: FHIR JSON an attachment carries
// labels the item carrying it, with or without a contentType (review 14c,
// 82f37f8), but data with no contentType was read only when it began
// with '{': the same resources as a JSON array ([{…},{…}], what a client
// serialising a list writes) were opaque, though under application/json
// they are read, so the GP's letter carrying Jane's HIV diagnosis that way
// went unlabelled to the hospital clinician.
func TestReview15aAttachedJSONArrayIsRead(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	arr := "\r\n [" + `{"resourceType":"Observation","status":"final","code":{"text":"weight"}},` +
		`{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"ARRAY-HIV"}}]`
	enc := base64.StdEncoding.EncodeToString([]byte(arr))
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for i, ct := range []string{`"contentType":"application/json",`, `"contentType":"application/fhir+json; charset=utf-8; fhirVersion=4.0",`, `"contentType":"APPLICATION/FHIR+JSON",`, ``} {
		id := "arr" + string(rune('a'+i))
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},
			"content":[{"attachment":{` + ct + `"data":"` + enc + `"}}]}`})
		if r := e.do("GET", "/fhir/DocumentReference/"+id, hosp, ""); r.status != 404 {
			t.Errorf("%s (%s): the hospital clinician reads a letter carrying Jane's HIV diagnosis as a JSON array: %d %.300s", id, ct, r.status, r.body)
		}
		if r := e.do("GET", "/fhir/DocumentReference/"+id, e.token("gp", "nhs", "A81001"), ""); r.status != 200 {
			t.Errorf("%s: the practice reads its own letter: %d", id, r.status)
		}
	}
}
