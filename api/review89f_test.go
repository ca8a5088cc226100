package api_test

// Review 89f: re-read of 4fe00ca — an item carrying gzip- or
// zlib-compressed data anywhere is its source's alone (README: "an item
// carrying gzip- or zlib-compressed data anywhere (an attachment, a data:
// url, base64 in its text, nested in another payload) is its source's
// alone ... carex does not inflate it ... so it could neither read its
// codes nor mask or redact what it carries").
//
// Each probe writes a hospital (RHX) item about Jane and reads it as her GP
// (A81001), who reads the hospital's ordinary letters (seedShared).

// (Lead: the three probes of compressed data where carex reads no
// payload — base64 in an ordinary string, a data: url inside narrative
// markup, base64 shorter than 64 characters in an attachment's text —
// are not kept: they fail, as uncompressed base64 there is not read
// either; the README says where payloads are read. The revision probe is
// not kept: TestDerivationRevision guards the revision.)

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"encoding/base64"
	"io"
	"math/rand"
	"net/url"
	"strings"
	"testing"
)

const hiv89f = `{"resourceType":"Condition","id":"c","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}`

func gz89f(t *testing.T, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(s))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// hospitalDoc89f writes a DocumentReference from the hospital and reports
// the GP's and the source's read status.
func hospitalDoc89f(t *testing.T, e *env, id, body string) (gpStatus, srcStatus int) {
	t.Helper()
	hosp := e.token("system", "nhs", "RHX")
	gp := e.token("gp", "nhs", "A81001")
	path := "/fhir/" + strings.SplitN(strings.SplitN(body, `"resourceType":"`, 2)[1], `"`, 2)[0] + "/" + id
	if r := e.do("PUT", path, hosp, body); r.status != 201 {
		t.Fatalf("%s: premise: PUT %d %.300s", id, r.status, r.body)
	}
	return e.do("GET", path, gp, "").status, e.do("GET", path, hosp, "").status
}

// TestReview89fZlibPresetDictionary: zlib with a preset dictionary other
// than the empty one (FDICT, DICTID ≠ 1) fails compressed()'s
// NewReaderDict(nil) check, so the attachment is read as text (garbage,
// no codes) and goes to the GP; whoever holds the dictionary (it can be a
// word) inflates an HIV diagnosis from it. Severity: leak (narrow: the
// reader needs the dictionary). Parents: 3768467 released it (opaque
// bytes); 4fe00ca~1 too (FDICT was not compressed()).
func TestReview89fZlibPresetDictionary(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	var buf bytes.Buffer
	zw, err := zlib.NewWriterLevelDict(&buf, zlib.DefaultCompression, []byte("Condition"))
	if err != nil {
		t.Fatal(err)
	}
	zw.Write([]byte(hiv89f))
	zw.Close()
	// (premise: it inflates with the dictionary)
	zr, err := zlib.NewReaderDict(bytes.NewReader(buf.Bytes()), []byte("Condition"))
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := io.ReadAll(zr); string(out) != hiv89f {
		t.Fatalf("premise: inflates to %q", out)
	}
	body := `{"resourceType":"DocumentReference","id":"zdict","status":"current","subject":{"reference":"Patient/jane"},"content":[{"attachment":{"contentType":"application/zlib","data":"` + base64.StdEncoding.EncodeToString(buf.Bytes()) + `"}}]}`
	if gp, _ := hospitalDoc89f(t, e, "zdict", body); gp != 404 {
		t.Errorf("the GP reads a hospital letter of zlib (preset dictionary) FHIR JSON of an HIV diagnosis: %d, want 404", gp)
	}
}

// TestReview89fOrdinaryTextReadAsZlib: a letter whose text opens "(SR)"
// (sinus rhythm), "(S2)" or "HK:" passes compressed(): '(' 'S' and 'H' 'K'
// are zlib headers without FDICT, and the next bytes decode as a fixed
// Huffman block to two bytes before failing. 4fe00ca dropped the old
// "inflate fails, so read as text too" fallback and now also takes the
// 2-byte check alone, so the ordinary letter is its source's alone.
// (Exhaustively, 9,480 of the 5.1 million printable 4-character openings
// with a zlib-header first byte are so read; 1 in ~11,900 random 256-byte
// blobs.) Breaks README "(choice)... text that merely opens as a zlib
// header does is read as text" (TestCompressedPayloadSourceOnly's comment)
// and SPEC §5 (released when policy and consent allow). Severity:
// over-withholding. Parents: 3768467 released (200); 4fe00ca~1 released
// (read as text too after a failed inflate).
func TestReview89fOrdinaryTextReadAsZlib(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for id, text := range map[string]string{
		"t-sr": "(SR) ECG shows sinus rhythm, rate 72. Echo normal.",
		"t-s2": "(S2) review in cardiology clinic; wound healing well.",
		"t-hk": "HK: seen in clinic, wound healing well.",
	} {
		body := `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},"content":[{"attachment":{"contentType":"text/plain","data":"` + b64(text) + `"}}]}`
		if gp, _ := hospitalDoc89f(t, e, id, body); gp != 200 {
			t.Errorf("%s: the GP reads the ordinary letter %q: %d, want 200", id, text, gp)
		}
	}
}

// compressed89f is compressed() as 4fe00ca has it (to pick a blob).
func compressed89f(raw []byte) bool {
	if bytes.HasPrefix(raw, []byte{0x1f, 0x8b}) {
		return true
	}
	if len(raw) < 2 || raw[0]&0x0f != 8 || raw[0]>>4 > 7 || (int(raw[0])<<8|int(raw[1]))%31 != 0 {
		return false
	}
	zr, err := zlib.NewReaderDict(bytes.NewReader(raw), nil)
	if err != nil {
		return false
	}
	var two [2]byte
	n, _ := io.ReadFull(zr, two[:])
	return n == 2
}

// TestReview89fSignedLetterReadAsZlib: a CDA letter carrying an XML
// signature (256 random bytes, base64) is withheld from the GP when the
// signature's bytes happen to open as zlib: one signed letter in ~12,000,
// told by nothing the sender chose. Severity: over-withholding (rare).
// Parents: released.
func TestReview89fSignedLetterReadAsZlib(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	rng := rand.New(rand.NewSource(89))
	sig := make([]byte, 256)
	for i := 0; ; i++ {
		rng.Read(sig)
		if compressed89f(sig) {
			break
		}
	}
	cda := `<ClinicalDocument xmlns="urn:hl7-org:v3"><title>Discharge letter</title><component><section><text>Wound healing well.</text></section></component><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignatureValue>` + base64.StdEncoding.EncodeToString(sig) + `</SignatureValue></Signature></ClinicalDocument>`
	body := `{"resourceType":"DocumentReference","id":"cda-sig","status":"current","subject":{"reference":"Patient/jane"},"content":[{"attachment":{"contentType":"application/xml","data":"` + b64(cda) + `"}}]}`
	if gp, _ := hospitalDoc89f(t, e, "cda-sig", body); gp != 200 {
		t.Errorf("the GP reads the hospital's signed discharge letter: %d, want 200", gp)
	}
}

// TestReview89fSoundReachedForms: compressed data in the other places the
// brief lists is reached: a data: url without ;base64 (percent-encoded),
// base64url alphabet, base64 with line breaks inside, a contained
// resource's Binary, an extension's valueAttachment, a stored
// Bundle's entry, a Binary, and a long run in FHIR XML; each is withheld
// from the GP. Base64url data is refused on write (422).
func TestReview89fSoundReachedForms(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	raw := gz89f(t, hiv89f)
	std := base64.StdEncoding.EncodeToString(raw)
	urlb := base64.URLEncoding.EncodeToString(raw)
	wrapped := ""
	for i := 0; i < len(std); i += 40 {
		wrapped += std[i:min(i+40, len(std))] + `\n`
	}
	att := func(data string) string { return `{"contentType":"application/gzip","data":"` + data + `"}` }
	doc := func(id, extra, attachment string) string {
		return `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"}` + extra + `,"content":[{"attachment":` + attachment + `}]}`
	}
	plain := `{"contentType":"text/plain","data":"` + b64("Seen in clinic.") + `"}`
	xmlLong := `<DocumentReference xmlns="http://hl7.org/fhir"><content><attachment><data value="` + std + `"/></attachment></content></DocumentReference>`
	cases := map[string]string{
		"f-pct":       doc("f-pct", "", `{"url":"data:application/gzip,`+url.PathEscape(string(raw))+`"}`),
		"f-wrapped":   doc("f-wrapped", "", att(wrapped)),
		"f-contained": doc("f-contained", `,"contained":[{"resourceType":"Binary","id":"b","contentType":"application/gzip","data":"`+std+`"}]`, plain),
		"f-ext":       doc("f-ext", `,"extension":[{"url":"https://example.org/x","valueAttachment":`+att(std)+`}]`, plain),
		"f-xml":       doc("f-xml", "", `{"contentType":"application/fhir+xml","data":"`+b64(xmlLong)+`"}`),
		"f-bundle":    `{"resourceType":"Bundle","id":"f-bundle","type":"collection","entry":[{"fullUrl":"https://rhx.example/fhir/DocumentReference/z","resource":` + doc("z", "", att(std)) + `}]}`,
		"f-binary":    `{"resourceType":"Binary","id":"f-binary","contentType":"application/gzip","securityContext":{"reference":"Patient/jane"},"data":"` + std + `"}`,
	}
	// base64url is refused on write (422), nothing stored
	if r := e.do("PUT", "/fhir/DocumentReference/f-b64url", e.token("system", "nhs", "RHX"), doc("f-b64url", "", att(urlb))); r.status != 422 {
		t.Errorf("f-b64url: PUT %d, want 422", r.status)
	}
	for id, body := range cases {
		gp, src := hospitalDoc89f(t, e, id, body)
		if gp == 200 {
			t.Errorf("%s: the GP reads it: %d", id, gp)
		}
		if src != 200 {
			t.Errorf("%s: its source reads it: %d", id, src)
		}
	}
}

// TestReview89fSoundRelabelFrom3768467: a gzip letter as 3768467 stored it
// (opaque bytes, no labels: here its labels emptied) reaches the GP until
// relabel, and after `carex relabel` (api.Relabel) is its source's alone;
// 3768467's records carry revision 2026-12-07a, which serve refuses
// (cmd/carex/policy.go) until then.
func TestReview89fSoundRelabelFrom3768467(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	body := `{"resourceType":"DocumentReference","id":"old-gz","status":"current","subject":{"reference":"Patient/jane"},"content":[{"attachment":{"contentType":"application/gzip","data":"` + base64.StdEncoding.EncodeToString(gz89f(t, hiv89f)) + `"}}]}`
	if gp, _ := hospitalDoc89f(t, e, "old-gz", body); gp != 404 {
		t.Fatalf("premise: withheld on write: %d", gp)
	}
	for _, q := range []string{
		`UPDATE versions SET labels = '' WHERE rid IN (SELECT rid FROM resources WHERE type = 'DocumentReference' AND id = 'old-gz')`,
		`UPDATE resources SET labels = '' WHERE type = 'DocumentReference' AND id = 'old-gz'`,
	} {
		if _, err := e.db.Writer().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/DocumentReference/old-gz", gp, ""); r.status != 200 {
		t.Fatalf("premise: as 3768467 stored it, released: %d", r.status)
	}
	if _, err := e.api.Relabel(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := e.do("GET", "/fhir/DocumentReference/old-gz", gp, ""); r.status != 404 {
		t.Errorf("after relabel, the GP reads the gzip letter: %d, want 404", r.status)
	}
	if r := e.do("GET", "/fhir/DocumentReference/old-gz", e.token("system", "nhs", "RHX"), ""); r.status != 200 {
		t.Errorf("after relabel, its source reads it: %d", r.status)
	}
}
