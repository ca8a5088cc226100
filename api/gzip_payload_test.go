package api_test

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"io"
	"strings"
	"testing"
)

// Compressing writers, for compressWith.
var (
	gzipWriter    = func(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) }
	zlibWriter    = func(w io.Writer) io.WriteCloser { return zlib.NewWriter(w) }
	deflateWriter = func(w io.Writer) io.WriteCloser { zw, _ := flate.NewWriter(w, flate.BestCompression); return zw }
)

// compressWith is s written through the compressing writer wrap makes
// (into memory: it cannot fail).
func compressWith(wrap func(io.Writer) io.WriteCloser, s string) string {
	var buf bytes.Buffer
	zw := wrap(&buf)
	zw.Write([]byte(s))
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.String()
}

func gzipped(t *testing.T, s string) string { t.Helper(); return compressWith(gzipWriter, s) }

func zlibbed(t *testing.T, s string) string { t.Helper(); return compressWith(zlibWriter, s) }

// badChecksum is zlib data z with its Adler-32 check broken.
func badChecksum(z string) string { return z[:len(z)-1] + string([]byte{z[len(z)-1] ^ 0xff}) }

// TestCompressedPayloadSourceOnly: an item carrying gzip- or
// zlib-compressed data is its source's alone: carex does not inflate it,
// so it can neither read its codes nor mask or redact what it carries
// (review 88c: an HIV diagnosis as gzip FHIR JSON in a hospital letter
// went to the GP, unread; reviews 89b, 89e: inflating it instead cost
// seconds a read, and a restricted person's address went out compressed).
// Text that merely opens as a zlib header does is read as text: released
// where it holds no listed code.
func TestCompressedPayloadSourceOnly(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	gp := e.token("gp", "nhs", "A81001")
	hiv := `{"resourceType":"Condition","id":"c","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}`
	letter := "Seen in clinic. Wound healing well; review in two weeks."
	doc := func(id, ct, data string) string {
		return `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},"type":{"text":"GZ-DOC"},"content":[{"attachment":{"contentType":"` + ct + `","data":"` + b64(data) + `"}}]}`
	}
	for _, c := range []struct {
		id, ct, data string
		gpReads      bool
	}{
		{"gz-fhir", "application/fhir+json", gzipped(t, hiv), false},
		{"gz-typed", "application/gzip", gzipped(t, hiv), false},
		{"gz-png", "image/png", gzipped(t, hiv), false},
		{"gz-twice", "application/gzip", gzipped(t, gzipped(t, hiv)), false},
		{"gz-trailing", "application/gzip", gzipped(t, hiv) + "\x1f\x8bnot gzip", false},
		{"gz-letter", "text/plain", gzipped(t, letter), false},
		{"gz-bomb", "application/gzip", gzipped(t, strings.Repeat("0", 16<<20)), false},
		{"zlib-fhir", "application/fhir+json", zlibbed(t, hiv), false},
		{"zlib-letter", "text/plain", zlibbed(t, letter), false},
		{"zlib-in-gzip", "application/octet-stream", gzipped(t, zlibbed(t, hiv)), false},
		// text that opens as a zlib header does is read as text
		{"x-caret-text", "text/plain", "x^c note: SNOMED 86406008 confirmed", false},
		{"x-caret-letter", "text/plain", "x^c note: wound healing well", true},
		{"sr-letter", "text/plain", "(SR) ECG shows sinus rhythm, review in clinic", true},
		{"hk-letter", "text/plain", "HK: seen in clinic, wound healing well", true},
		// a broken zlib stream is read for what it inflates to
		{"zlib-truncated", "text/plain", zlibbed(t, "SNOMED 86406008 confirmed. "+strings.Repeat("Seen in clinic. ", 20))[:30], false},
		{"zlib-bad-checksum", "text/plain", badChecksum(zlibbed(t, letter)), false},
		{"plain-letter", "text/plain", letter, true},
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
	// compressed data in a data: url, in valueBase64Binary, and in the
	// attachment of an attached FHIR JSON document
	inner := `{"resourceType":"DocumentReference","status":"current","content":[{"attachment":{"contentType":"application/gzip","data":"` + b64(gzipped(t, letter)) + `"}}]}`
	for id, body := range map[string]string{
		"gz-url":    `{"resourceType":"DocumentReference","id":"gz-url","status":"current","subject":{"reference":"Patient/jane"},"content":[{"attachment":{"url":"data:application/gzip;base64,` + b64(gzipped(t, letter)) + `"}}]}`,
		"gz-ext":    `{"resourceType":"DocumentReference","id":"gz-ext","status":"current","subject":{"reference":"Patient/jane"},"extension":[{"url":"https://example.org/x","valueBase64Binary":"` + b64(gzipped(t, letter)) + `"}],"content":[{"attachment":{"contentType":"text/plain","data":"` + b64(letter) + `"}}]}`,
		"gz-nested": `{"resourceType":"DocumentReference","id":"gz-nested","status":"current","subject":{"reference":"Patient/jane"},"content":[{"attachment":{"contentType":"application/fhir+json","data":"` + b64(inner) + `"}}]}`,
	} {
		if r := e.do("PUT", "/fhir/DocumentReference/"+id, hosp, body); r.status != 201 {
			t.Fatalf("%s: premise: PUT %d %.300s", id, r.status, r.body)
		}
		if got := e.do("GET", "/fhir/DocumentReference/"+id, gp, "").status; got != 404 {
			t.Errorf("%s: Jane's GP reads the hospital's document carrying compressed data: %d, want 404", id, got)
		}
	}
}
