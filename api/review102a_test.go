package api_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/google/uuid"

	"github.com/carex-project/carex/api"
)

// Review 102a (its findings fixed in revision 2026-12-07o, but for base64
// split over several strings of under 64 characters, left): a re-read of
// 8eb4509 (revision 2026-12-07n): signatures
// read (carriesDocument, signatureHolds), base64 in strings
// (base64Only, documentBytes), a council's tagged item, and a Task of the
// observations class only by a LOINC-named measurement
// (search.taskLOINC). Jane's shared record (r98bSeed); real server, real
// SQLite file, real tokens. SPEC §1: the social worker sees no lab
// results or clinical notes; the IG officer no clinical content;
// default.policy: the district nurse sees no documents or observations.

// r102aProv is the GP's Provenance of Jane's record, with signature sig
// (JSON members after "agent", or "").
func r102aProv(id, sig string) [2]string {
	return [2]string{"/fhir/Provenance/" + id, `{"resourceType":"Provenance","id":"` + id + `","target":[{"reference":"Patient/jane"}],
	 "recorded":"2025-06-01T10:00:00Z","agent":[{"who":{"reference":"Organization/A81001"}}]` + sig + `}`}
}

func r102aSig(format, data string) string {
	return `,"signature":[{"type":[{"system":"urn:iso-astm:E1762-95:2013","code":"1.2.840.10065.1.12.1.5"}],"when":"2025-06-01T10:00:00Z",
	 "who":{"reference":"Organization/A81001"},"sigFormat":"` + format + `","data":"` + data + `"}]`
}

// r102aJWS is a real RS256 compact JWS of payload (detached: the payload
// part left empty).
func r102aJWS(t *testing.T, payload []byte, detached bool) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding
	in := enc.EncodeToString([]byte(`{"alg":"RS256","kid":"gp-a81001-2025"}`)) + "." + enc.EncodeToString(payload)
	h := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h[:])
	if err != nil {
		t.Fatal(err)
	}
	head, _, _ := strings.Cut(in, ".")
	if detached {
		return head + ".." + enc.EncodeToString(sig)
	}
	return in + "." + enc.EncodeToString(sig)
}

// TestReview102aJWSClaimsSignatureWithheldFromIG: the GP signs its
// Provenance with a real RS256 JWS whose payload is a claims set (who
// signed, when, a token id: no clinical content, no letter). README: a
// Provenance's signature is "a signature when its data is one (binary, or
// a JWS whose payload is no document)"; review 99a: signed Provenances
// must not leave the IG officer, who audits provenance. documentBytes
// calls any 8+ characters of printable text a document, so the JSON
// claims make the Provenance a document and the IG officer gets 404; the
// same JWS detached (no payload) reaches her.
func TestReview102aJWSClaimsSignatureWithheldFromIG(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	claims := []byte(`{"iss":"https://gp.example.nhs.uk/A81001","iat":1748772000,"jti":"` + uuid.NewString() + `","sub":"Provenance/r102a-jws-claims"}`)
	e.putAll(t, e.token("system", "nhs", "A81001"),
		r102aProv("r102a-jws-detached", r102aSig("application/jose", r98bB64(r102aJWS(t, claims, true)))),
		r102aProv("r102a-jws-claims", r102aSig("application/jose", r98bB64(r102aJWS(t, claims, false)))))
	ig := e.token("ig-officer", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Provenance/r102a-jws-detached", ig, ""); r.status != 200 {
		t.Fatalf("premise: the IG officer cannot read the Provenance signed with a detached JWS: %d %.200s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Provenance/r102a-jws-claims", ig, ""); r.status != 200 {
		t.Errorf("the GP's Provenance signed with an RS256 JWS of a claims set (no document) is withheld from the IG officer: %d %.200s", r.status, r.body)
	}
}

// TestReview102aSoundJWSLetterPayloadWithheldFromIG: a JWS whose payload
// is the letter as a PDF, or as text, base64url padded or not, as a
// Provenance's signature, does not reach the IG officer.
func TestReview102aSoundJWSLetterPayloadWithheldFromIG(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	pdf := r101aPDF()
	unpadded := r102aJWS(t, []byte(pdf), false) // RawURL: unpadded
	parts := strings.Split(r102aJWS(t, []byte(r101aLetter+" and more"), false), ".")
	parts[1] = base64.URLEncoding.EncodeToString([]byte(r101aLetter + " and more")) // padded
	e.putAll(t, e.token("system", "nhs", "A81001"),
		r102aProv("r102a-jws-pdf", r102aSig("application/jose", r98bB64(unpadded))),
		r102aProv("r102a-jws-text", r102aSig("application/jose", r98bB64(strings.Join(parts, ".")))))
	ig := e.token("ig-officer", "nhs", "A81001")
	for _, id := range []string{"r102a-jws-pdf", "r102a-jws-text"} {
		if r := e.do("GET", "/fhir/Provenance/"+id, ig, ""); r.status == 200 {
			t.Errorf("%s: the JWS signing the letter reached the IG officer", id)
		}
	}
}

// r102aCMS is a CMS SignedData (RFC 5652) with its content attached: the
// signed letter inside the DER.
func r102aCMS(t *testing.T, content []byte) []byte {
	t.Helper()
	type algID struct{ Algorithm asn1.ObjectIdentifier }
	type encap struct {
		Type    asn1.ObjectIdentifier
		Content []byte `asn1:"explicit,tag:0"`
	}
	type signedData struct {
		Version    int
		Digests    []algID `asn1:"set"`
		Encap      encap
		SignerInfo []asn1.RawValue `asn1:"set"`
	}
	type contentInfo struct {
		Type    asn1.ObjectIdentifier
		Content signedData `asn1:"explicit,tag:0"`
	}
	sha := asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	der, err := asn1.Marshal(contentInfo{
		Type: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2},
		Content: signedData{Version: 1, Digests: []algID{{sha}},
			Encap:      encap{Type: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}, Content: content},
			SignerInfo: []asn1.RawValue{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestReview102aCMSAttachedLetterReachesIG: the GP signs the
// letter (a PDF) with an attached-content CMS/PKCS#7 signature, as a
// signing tool's default does, and gives it as the Provenance's signature
// (sigFormat application/pkcs7-signature). The DER holds the whole letter
// in its encapsulated content; signatureHolds calls DER binary ("a DER
// signature is binary: none") without looking inside, so the IG officer,
// who sees no clinical content (SPEC §1), reads the letter. The same PDF
// in the Provenance's extension is withheld from her. (Judgement: a
// signature whose bytes carry the signed document carries the document.)
func TestReview102aCMSAttachedLetterReachesIG(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	pdf := r101aPDF()
	der := r102aCMS(t, []byte(pdf))
	if !strings.Contains(string(der), "R101A-LETTER-SECRET") {
		t.Fatal("premise: the DER holds the letter")
	}
	sig := base64.StdEncoding.EncodeToString(der)
	e.putAll(t, e.token("system", "nhs", "A81001"),
		r102aProv("r102a-ext", `,"extension":[{"url":"https://example.org/gp/letter","valueAttachment":{"contentType":"application/pdf","data":"`+r98bB64(pdf)+`"}}]`),
		r102aProv("r102a-cms", r102aSig("application/pkcs7-signature", sig)))
	ig := e.token("ig-officer", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Provenance/r102a-ext", ig, ""); r.status == 200 {
		t.Fatalf("premise: the letter in the Provenance's extension reached the IG officer")
	}
	if r := e.do("GET", "/fhir/Provenance/r102a-cms", ig, ""); r.status == 200 && strings.Contains(r.body, sig) {
		t.Errorf("the GP's letter inside an attached-content CMS signature reached the IG officer (200; the DER's base64 in the body, the letter at byte %d of it)", strings.Index(string(der), "R101A"))
	}
}

// TestReview102aTaskLOINCNotQuantityReachesSocialWorker: the GP's
// Task for the council whose output is a lab result LOINC names, given
// not as a Quantity: an HbA1c as valueString "86 mmol/mol", and a
// SARS-CoV-2 PCR result as valueCodeableConcept with LOINC's answer
// "Detected" (LA11882-0). SPEC §1: the social worker sees no lab results;
// 98b made any NHS Task with a LOINC-coded output observations, and
// 8eb4509 narrowed it to a Quantity, Range, Ratio, SampledData, decimal
// or integer value (taskLOINC), so both results reach her; the same
// HbA1c as valueQuantity is withheld. The district nurse (no
// observations) reads them too.
func TestReview102aTaskLOINCNotQuantityReachesSocialWorker(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	task := func(id, out string) [2]string {
		return [2]string{"/fhir/Task/" + id, `{"resourceType":"Task","id":"` + id + `","status":"completed","intent":"order",
		 "code":{"text":"R102A-TASK"},"for":{"reference":"Patient/jane"},"owner":{"reference":"Organization/E06000999"},"output":[` + out + `]}`}
	}
	hba1c := `{"type":{"coding":[{"system":"http://loinc.org","code":"4548-4","display":"Hemoglobin A1c"}]},`
	e.putAll(t, e.token("system", "nhs", "A81001"),
		task("r102a-qty", hba1c+`"valueQuantity":{"value":86,"unit":"mmol/mol","system":"http://unitsofmeasure.org","code":"mmol/mol"}}`),
		task("r102a-str", hba1c+`"valueString":"86 mmol/mol"}`),
		task("r102a-cc", `{"type":{"coding":[{"system":"http://loinc.org","code":"94500-6","display":"SARS-CoV-2 RNA [Presence] in Respiratory specimen by NAA with probe detection"}]},
		 "valueCodeableConcept":{"coding":[{"system":"http://loinc.org","code":"LA11882-0","display":"Detected"}]}}`))
	sw := e.token("social-worker", "council", r98bCouncil)
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Task/r102a-qty", sw, ""); r.status == 200 {
		t.Fatalf("premise: the HbA1c as valueQuantity reached the social worker")
	}
	for _, id := range []string{"r102a-str", "r102a-cc"} {
		if r := e.do("GET", "/fhir/Task/"+id, sw, ""); r.status == 200 {
			t.Errorf("%s: the GP's lab result (LOINC-named, not a Quantity) reached the social worker (200)", id)
		}
		if r := e.do("GET", "/fhir/Task/"+id, nurse, ""); r.status == 200 {
			t.Errorf("%s: the GP's lab result (LOINC-named, not a Quantity) reached the district nurse (200)", id)
		}
	}
}

// TestReview102aSoundUTF16LetterAsBase64WithheldFromSocialWorker: the
// letter as UTF-16LE (with and without its byte order mark), base64 in a
// Task input's valueString, padded and unpadded, does not reach the
// social worker.
func TestReview102aSoundUTF16LetterAsBase64WithheldFromSocialWorker(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	u16 := func(bom bool) []byte {
		var b []byte
		if bom {
			b = []byte{0xff, 0xfe}
		}
		for _, c := range utf16.Encode([]rune(r101aLetter)) {
			b = binary.LittleEndian.AppendUint16(b, c)
		}
		return b
	}
	in := func(v string) string { return `{"type":{"text":"discharge letter"},"valueString":"` + v + `"}` }
	e.putAll(t, e.token("system", "nhs", "A81001"),
		r101aTask("r102a-u16bom", "", in(base64.StdEncoding.EncodeToString(u16(true)))),
		r101aTask("r102a-u16", "", in(base64.RawStdEncoding.EncodeToString(u16(false)))),
		r101aTask("r102a-u16url", "", in(base64.RawURLEncoding.EncodeToString(u16(false)))))
	sw := e.token("social-worker", "council", r98bCouncil)
	for _, id := range []string{"r102a-u16bom", "r102a-u16", "r102a-u16url"} {
		if r := e.do("GET", "/fhir/Task/"+id, sw, ""); r.status == 200 {
			t.Errorf("%s: the letter as UTF-16 base64 reached the social worker", id)
		}
	}
}

// TestReview102aSoundLongIdentifiersNotDocuments: an allergy the GP
// records with long strings of base64's characters that are not content
// (a SHA-512 hex digest, a list of GUIDs, a long URL-safe key, a long
// reference) still reaches the district nurse (she sees allergies, not
// documents).
func TestReview102aSoundLongIdentifiersNotDocuments(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	sum := sha512.Sum512([]byte("record 1"))
	key := make([]byte, 48)
	_, _ = rand.Read(key)
	ids := []string{hex.EncodeToString(sum[:]), uuid.NewString() + " " + uuid.NewString(), base64.RawURLEncoding.EncodeToString(key),
		"DocumentReference/" + uuid.NewString() + "-" + uuid.NewString()}
	var writes [][2]string
	for i, v := range ids {
		id := fmt.Sprintf("r102a-allergy-%d", i)
		writes = append(writes, [2]string{"/fhir/AllergyIntolerance/" + id, `{"resourceType":"AllergyIntolerance","id":"` + id + `","patient":{"reference":"Patient/jane"},
		 "code":{"coding":[{"system":"http://snomed.info/sct","code":"91936005","display":"Allergy to penicillin"}]},
		 "identifier":[{"system":"https://gp.example.nhs.uk/record-key","value":"` + v + `"}]}`})
	}
	e.putAll(t, e.token("system", "nhs", "A81001"), writes...)
	nurse := e.token("district-nurse", "nhs", "RCX")
	for i, v := range ids {
		if r := e.do("GET", fmt.Sprintf("/fhir/AllergyIntolerance/r102a-allergy-%d", i), nurse, ""); r.status != 200 {
			t.Errorf("an allergy with identifier %q (%d chars) is withheld from the district nurse: %d", v, len(v), r.status)
		}
	}
}

// TestReview102aSoundCouncilTaggedFHIRJSONCarryingPDF: the council's
// Task it tags social-care, with a FHIR JSON Binary attached whose data
// is the hospital's letter as a PDF, does not reach the district nurse;
// the same tagged Task with a text note does.
func TestReview102aSoundCouncilTaggedFHIRJSONCarryingPDF(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	tag := `"meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},`
	binary := `{"resourceType":"Binary","contentType":"application/pdf","data":"` + r98bB64(r101aPDF()) + `"}`
	e.putAll(t, e.token("system", "council", r98bCouncil),
		r101aTask("r102a-ct-json", tag, `{"type":{"text":"hospital letter"},"valueAttachment":{"contentType":"application/fhir+json","data":"`+r98bB64(binary)+`"}}`),
		r101aTask("r102a-ct-text", tag, `{"type":{"text":"note"},"valueString":"carer visits daily"}`))
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Task/r102a-ct-text", nurse, ""); r.status != 200 {
		t.Fatalf("premise: the council's tagged Task with a note is withheld from the nurse: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Task/r102a-ct-json", nurse, ""); r.status == 200 {
		t.Errorf("the hospital's PDF letter in FHIR JSON in the council's tagged Task reached the district nurse")
	}
}

// TestReview102aSoundCostLongBase64Strings: a write of an Observation
// with 10,000 strings of 64 base64 characters (random bytes: read, no
// document), against the same with each string one '.' away from base64
// (not read), and a relabel, timed; fails only past 10x.
func TestReview102aSoundCostLongBase64Strings(t *testing.T) {
	for _, n := range []int{48, 384} {
		r102aCost(t, n)
	}
}

func r102aCost(t *testing.T, n int) {
	e := newEnv(t, func(c *api.Config) { c.MaxBody = 16 << 20 })
	tok := e.token("system", "nhs", "A81001")
	e.putAll(t, tok, [2]string{"/fhir/Patient/p1", `{"resourceType":"Patient","id":"p1","name":[{"family":"Big"}]}`})
	body := func(id string, dot bool) string {
		var sb strings.Builder
		sb.WriteString(`{"resourceType":"Observation","id":"` + id + `","status":"final","code":{"text":"device trace"},"subject":{"reference":"Patient/p1"},"component":[`)
		b := make([]byte, n)
		for i := 0; i < 10000; i++ {
			_, _ = rand.Read(b)
			s := base64.StdEncoding.EncodeToString(b)
			if dot {
				s = s[:len(s)-1] + "."
			}
			if i > 0 {
				sb.WriteString(",")
			}
			fmt.Fprintf(&sb, `{"code":{"text":"c%d"},"valueString":"%s"}`, i, s)
		}
		sb.WriteString(`]}`)
		return sb.String()
	}
	b64, dot := body(fmt.Sprint("b64-", n), false), body(fmt.Sprint("dot-", n), true)
	tb := r101aCostMedian(t, e, tok, fmt.Sprint("/fhir/Observation/b64-", n), b64)
	td := r101aCostMedian(t, e, tok, fmt.Sprint("/fhir/Observation/dot-", n), dot)
	t0 := time.Now()
	_, err := e.api.Relabel(t.Context())
	t.Logf("10,000 %d-char base64 strings (%d bytes): median write %v; not base64: %v (%.2fx); relabel %v %v", n*4/3, len(b64), tb, td, float64(tb)/float64(td), time.Since(t0), err)
	if tb > 10*td {
		t.Errorf("a write with 10,000 long base64 strings took %v, %.1fx the same without base64 (%v)", tb, float64(tb)/float64(td), td)
	}
}

// TestReview102aMIMEWrappedBase64LetterReachesSocialWorker: the
// GP's Task for the council with the letter (a PDF) as a MIME part in an
// input's valueString: its headers, a blank line, then the base64, as a
// mail-based interface passes it on. carriesDocument reads a string only
// when it is base64 alone (base64Only), so the headers hide it and the
// social worker, who sees no clinical notes (SPEC §1), reads the letter;
// as the bare base64 (101a) it is withheld. carex's label readers find
// base64 runs inside text (eachBase64Run, review 40a); this one does not.
func TestReview102aMIMEWrappedBase64LetterReachesSocialWorker(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	b64 := r98bB64(r101aPDF())
	in := func(v string) string {
		return `{"type":{"text":"discharge letter"},"valueString":"` + strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(v) + `"}`
	}
	e.putAll(t, e.token("system", "nhs", "A81001"),
		r101aTask("r102a-bare", "", in(b64)),
		r101aTask("r102a-mime", "", in("Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"+b64)))
	sw := e.token("social-worker", "council", r98bCouncil)
	if r := e.do("GET", "/fhir/Task/r102a-bare", sw, ""); r.status == 200 {
		t.Fatalf("premise: the letter as bare base64 reached the social worker")
	}
	if r := e.do("GET", "/fhir/Task/r102a-mime", sw, ""); r.status == 200 && strings.Contains(r.body, b64) {
		t.Errorf("the GP's letter as a MIME part (headers, then base64) in a Task input's valueString reached the social worker (200)")
	}
}
