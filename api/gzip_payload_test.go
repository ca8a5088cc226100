package api_test

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
)

func gzipped(t *testing.T, s string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestGzipPayloadReadAsItsContent: an attachment compressed with gzip is
// read as what it inflates to (review 88c: FHIR JSON of an HIV diagnosis,
// gzip-compressed in a hospital's document, was read as opaque bytes, so
// Jane's GP, not its source, read it). A compressed plain letter stays
// readable, and a compression bomb is read no further than the cap: the
// item is then its source's alone, as any item whose payloads pass it.
func TestGzipPayloadReadAsItsContent(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	gp := e.token("gp", "nhs", "A81001")
	hiv := `{"resourceType":"Condition","id":"c","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}`
	doc := func(id, ct, data string) string {
		return `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},"type":{"text":"GZ-DOC"},"content":[{"attachment":{"contentType":"` + ct + `","data":"` + b64(data) + `"}}]}`
	}
	for _, c := range []struct {
		id, ct, data string
		gpReads      bool
	}{
		{"gz-fhir", "application/fhir+json", gzipped(t, hiv), false},
		{"gz-typed", "application/gzip", gzipped(t, hiv), false},
		{"gz-twice", "application/gzip", gzipped(t, gzipped(t, hiv)), false},
		{"gz-text", "text/plain", gzipped(t, "Discharge: SNOMED 86406008 confirmed"), false},
		// a trailing member that does not inflate does not hide the first
		{"gz-trailing", "application/gzip", gzipped(t, hiv) + "\x1f\x8bnot gzip", false},
		{"gz-letter", "text/plain", gzipped(t, "Seen in clinic. Wound healing well; review in two weeks."), true},
		// text that opens as a zlib header does is still read as text
		{"x-caret-text", "text/plain", "x^c note: SNOMED 86406008 confirmed", false},
		{"x-caret-letter", "text/plain", "x^c note: wound healing well", true},
		{"gz-bomb", "application/gzip", gzipped(t, strings.Repeat("0", 16<<20)), false},
	} {
		if r := e.do("PUT", "/fhir/DocumentReference/"+c.id, hosp, doc(c.id, c.ct, c.data)); r.status != 201 {
			t.Fatalf("%s: premise: PUT %d %.300s", c.id, r.status, r.body)
		}
		got := e.do("GET", "/fhir/DocumentReference/"+c.id, gp, "").status
		if want := map[bool]int{true: 200, false: 404}[c.gpReads]; got != want {
			t.Errorf("%s: Jane's GP reads the hospital's document: %d, want %d", c.id, got, want)
		}
		if got := e.do("GET", "/fhir/DocumentReference/"+c.id, hosp, "").status; got != 200 {
			t.Errorf("%s: its source reads it: %d, want 200", c.id, got)
		}
	}
}

// TestGzipPayloadMaskedOnRelease: a GP letter carrying, gzip-compressed,
// FHIR JSON that names Jane's HIV diagnosis (withheld from the hospital)
// goes to the hospital clinician with that attachment masked, as the
// same JSON uncompressed is rewritten without the reference; one naming
// only what she may see goes out as stored.
func TestGzipPayloadMaskedOnRelease(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	clin := e.token("hospital-clinician", "nhs", "RHX")
	obs := func(focus string) string {
		return `{"resourceType":"Observation","id":"o","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"x"},"focus":[{"reference":"` + focus + `"}]}`
	}
	for _, c := range []struct {
		id, focus string
		kept      bool
	}{
		{"gz-names-hiv", "Condition/hiv", false},
		{"gz-names-diabetes", "Condition/diabetes", true},
	} {
		data := b64(gzipped(t, obs(c.focus)))
		body := `{"resourceType":"DocumentReference","id":"` + c.id + `","status":"current","subject":{"reference":"Patient/jane"},"type":{"text":"GZ-LETTER"},"content":[{"attachment":{"contentType":"application/gzip","data":"` + data + `"}}]}`
		if r := e.do("PUT", "/fhir/DocumentReference/"+c.id, gp, body); r.status != 201 {
			t.Fatalf("%s: premise: PUT %d %.300s", c.id, r.status, r.body)
		}
		r := e.do("GET", "/fhir/DocumentReference/"+c.id, clin, "")
		if r.status != 200 || !strings.Contains(r.body, "GZ-LETTER") {
			t.Fatalf("%s: premise: the clinician reads the letter: %d %.300s", c.id, r.status, r.body)
		}
		if got := strings.Contains(r.body, data); got != c.kept {
			t.Errorf("%s: the compressed content went out as stored: %v, want %v: %.400s", c.id, got, c.kept, r.body)
		}
		if !c.kept && !strings.Contains(r.body, "masked") {
			t.Errorf("%s: no masked mark: %.400s", c.id, r.body)
		}
	}
}
