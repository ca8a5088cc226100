package api_test

import (
	"encoding/base64"
	"encoding/binary"
	"testing"
	"unicode/utf16"
)

// TestReview15aAttachedJSONInUTF16IsRead: FHIR JSON an attachment carries
// labels the item carrying it (review 14c), but only as UTF-8: the same
// resources written in UTF-16 with a byte-order mark (what a Windows
// system's text writer gives; RFC 8259 asks receivers to cope) did not
// decode and were opaque, so the GP's letter carrying Jane's HIV
// diagnosis that way went, unlabelled, to the hospital clinician. Now
// UTF-16 with a byte-order mark (either byte order) is read as UTF-8 is.
func TestReview15aAttachedJSONInUTF16IsRead(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	doc := `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"UTF16-HIV"}}`
	u := utf16.Encode([]rune(doc))
	le := []byte{0xff, 0xfe}
	be := []byte{0xfe, 0xff}
	for _, c := range u {
		le = binary.LittleEndian.AppendUint16(le, c)
		be = binary.BigEndian.AppendUint16(be, c)
	}
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for i, c := range []struct{ ct, data string }{
		{`"contentType":"application/fhir+json; charset=utf-16",`, base64.StdEncoding.EncodeToString(le)},
		{`"contentType":"application/json",`, base64.StdEncoding.EncodeToString(be)},
		{``, base64.StdEncoding.EncodeToString(le)},
	} {
		id := "u16" + string(rune('a'+i))
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},
			"content":[{"attachment":{` + c.ct + `"data":"` + c.data + `"}}]}`})
		if r := e.do("GET", "/fhir/DocumentReference/"+id, hosp, ""); r.status != 404 {
			t.Errorf("%s (%s): the hospital clinician reads a letter carrying Jane's HIV diagnosis in UTF-16: %d %.200s", id, c.ct, r.status, r.body)
		}
		if r := e.do("GET", "/fhir/DocumentReference/"+id, e.token("gp", "nhs", "A81001"), ""); r.status != 200 {
			t.Errorf("%s: the practice reads its own letter: %d", id, r.status)
		}
	}
}
