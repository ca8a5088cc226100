package api_test

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/carex-project/carex/api"
)

// Review 104a: a re-read of da90e91 and 23f4b78 (revision 2026-12-07p)
// for what they made worse than dae8f4c and for leaks left: documents
// carried inside items (carriesDocument, signatureHolds, claimsOnly,
// base64Only) and Tasks holding results (search.taskLOINC). Jane's shared
// record (r98bSeed); real server, real SQLite file, real tokens. SPEC §1:
// the social worker sees no lab results or clinical notes, the IG officer
// no clinical content; default.policy: the district nurse sees no
// documents or observations, but does see care plans and social care.
// Run against dae8f4c in a second worktree: the gzip, JPEG and
// curly-apostrophe CMS probes, the MIME variants, the council's tagged
// plain sentence and the posint/boolean Task results pass there
// (regressions of da90e91); the rest fail there too (left open).
// Each probe that failed passes since revision 2026-12-07q (CMS signatures
// read as CMS, base64 blocks by whole lines in any string, a Task's
// measurement under any code: search.taskResult). Its probe of a letter's
// base64 cut into 60-character strings, one a Task input, is dropped: a
// stated limit in the README, left.

// r104aLetter is a GP letter of several paragraphs, as a word processor
// writes it (typographic apostrophes, a pound sign).
const r104aLetter = "R104A-LETTER-SECRET. Dear Colleague, I saw Jane today. She reports low mood for several months and we have started sertraline 50mg once daily; " +
	"her HbA1c was 86 mmol/mol and her eGFR 38, so metformin is reduced. She is awaiting a memory clinic appointment. " +
	"Jane’s daughter is her main carer and was present; she is worried about Jane’s falls at night and has asked about a key safe. " +
	"The practice will review her in four weeks. Prescription charge exemption applies (£0). " +
	"Please contact the surgery if you need anything further. Her blood pressure today was 162/94 and we will repeat it at her next visit; " +
	"she declined a referral to talking therapies for now but will reconsider. Yours sincerely, Dr A Montgomery, Riverside Surgery."

// r104aReads reports whether the user reads path with the letter in it.
func r104aReads(t *testing.T, e *env, path, tok string, needles ...string) (int, bool) {
	t.Helper()
	r := e.do("GET", path, tok, "")
	holds := strings.Contains(r.body, "R104A-LETTER-SECRET")
	for _, n := range needles {
		holds = holds || strings.Contains(r.body, n)
	}
	return r.status, r.status == 200 && holds
}

// TestReview104aCMSGzipLetterReachesIG: the GP signs its letter,
// compressed (gzip, as CMS CompressedData or a signing tool's "compress
// before signing" does), with an attached-content CMS signature and gives
// it as its Provenance's signature. dae8f4c called DER holding 1f 8b a
// document; da90e91 dropped gzip from the markers (review 103a: 1f 8b in
// a real RSA signature one time in 250) and the compressed letter is no
// long text, so the IG officer now reads it: a regression. The same gzip
// letter in the Provenance's extension is withheld from her.
func TestReview104aCMSGzipLetterReachesIG(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte(r104aLetter))
	w.Close()
	der := r102aCMS(t, gz.Bytes())
	sig := base64.StdEncoding.EncodeToString(der)
	e.putAll(t, e.token("system", "nhs", "A81001"),
		r102aProv("r104a-ext-gz", `,"extension":[{"url":"https://example.org/gp/letter","valueAttachment":{"contentType":"application/gzip","data":"`+base64.StdEncoding.EncodeToString(gz.Bytes())+`"}}]`),
		r102aProv("r104a-cms-gz", r102aSig("application/pkcs7-signature", sig)))
	ig := e.token("ig-officer", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Provenance/r104a-ext-gz", ig, ""); r.status == 200 {
		t.Fatalf("premise: the gzip letter in the Provenance's extension reached the IG officer")
	}
	if st, leaks := r104aReads(t, e, "/fhir/Provenance/r104a-cms-gz", ig, sig); leaks {
		t.Errorf("the GP's gzip-compressed letter inside an attached-content CMS signature reached the IG officer (%d)", st)
	}
}

// TestReview104aCMSJPEGScanReachesIG: the scanned letter (a JPEG)
// signed with an attached-content CMS signature. dae8f4c's markers held
// ff d8 ff; da90e91 dropped it, so the scan reaches the IG officer.
func TestReview104aCMSJPEGScanReachesIG(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	jpeg := append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"), bytes.Repeat([]byte{0x11, 0x9a, 0xc3, 0x07}, 2048)...)
	jpeg = append(jpeg, 0xff, 0xd9)
	sig := base64.StdEncoding.EncodeToString(r102aCMS(t, jpeg))
	e.putAll(t, e.token("system", "nhs", "A81001"), r102aProv("r104a-cms-jpeg", r102aSig("application/pkcs7-signature", sig)))
	if st, leaks := r104aReads(t, e, "/fhir/Provenance/r104a-cms-jpeg", e.token("ig-officer", "nhs", "A81001"), sig); leaks {
		t.Errorf("the GP's scanned letter (JPEG) inside an attached-content CMS signature reached the IG officer (%d)", st)
	}
}

// TestReview104aCMSLetterWithCurlyApostrophesReachesIG: the letter
// as a word processor writes it, UTF-8 with a typographic apostrophe or a
// pound sign every few hundred characters, signed with an
// attached-content CMS signature. signatureHolds counts only a run of 512
// ASCII characters as text, so each ’ or £ starts the count again and
// the whole letter (about 900 characters) reaches the IG officer. The
// same letter with ASCII apostrophes is withheld.
func TestReview104aCMSLetterWithCurlyApostrophesReachesIG(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	ascii := strings.NewReplacer("’", "'", "£", "GBP ").Replace(r104aLetter)
	sigASCII := base64.StdEncoding.EncodeToString(r102aCMS(t, []byte(ascii)))
	sigUTF8 := base64.StdEncoding.EncodeToString(r102aCMS(t, []byte(r104aLetter)))
	e.putAll(t, e.token("system", "nhs", "A81001"),
		r102aProv("r104a-cms-ascii", r102aSig("application/pkcs7-signature", sigASCII)),
		r102aProv("r104a-cms-utf8", r102aSig("application/pkcs7-signature", sigUTF8)))
	ig := e.token("ig-officer", "nhs", "A81001")
	if st, _ := r104aReads(t, e, "/fhir/Provenance/r104a-cms-ascii", ig); st == 200 {
		t.Fatalf("premise: the ASCII letter in a CMS signature reached the IG officer")
	}
	if st, leaks := r104aReads(t, e, "/fhir/Provenance/r104a-cms-utf8", ig, sigUTF8); leaks {
		t.Errorf("the GP's letter (UTF-8, with ’ and £) inside an attached-content CMS signature reached the IG officer (%d)", st)
	}
}

// TestReview104aCMSUTF16LetterReachesIG: the same letter saved as
// Unicode text (UTF-16LE, as Windows "Unicode" does) and signed: every
// other byte is 00, so no run of text is ever counted.
func TestReview104aCMSUTF16LetterReachesIG(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	u := utf16.Encode([]rune(r104aLetter))
	b := []byte{0xff, 0xfe}
	for _, c := range u {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	sig := base64.StdEncoding.EncodeToString(r102aCMS(t, b))
	e.putAll(t, e.token("system", "nhs", "A81001"), r102aProv("r104a-cms-u16", r102aSig("application/pkcs7-signature", sig)))
	if st, leaks := r104aReads(t, e, "/fhir/Provenance/r104a-cms-u16", e.token("ig-officer", "nhs", "A81001"), sig); leaks {
		t.Errorf("the GP's letter as UTF-16 text inside an attached-content CMS signature reached the IG officer (%d)", st)
	}
}

// TestReview104aJWSClaimsLetterReachesIG: a JWS whose claims are
// the letter's sentences, each under 64 bytes, words joined by no-break
// spaces (U+00A0), in 10 claims under 512 bytes. claimsOnly looks for
// " " and "\n" only, so the claims count as a JWT's and the IG officer
// reads the letter. (Judgement: contrived, but the rule is meant to stop
// a letter given as claims: review 103a.)
func TestReview104aJWSClaimsLetterReachesIG(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	nb := func(s string) string { return strings.ReplaceAll(s, " ", "\u00a0") }
	claims := `{"iss":"A81001","a":"` + nb("R104A-LETTER-SECRET low mood") + `","b":"` + nb("sertraline 50mg started") + `","c":"` + nb("HbA1c 86 mmol/mol") +
		`","d":"` + nb("eGFR 38 metformin reduced") + `","e":"` + nb("memory clinic awaited") + `","f":"` + nb("falls at night") + `"}`
	if len(claims) > 512 {
		t.Fatalf("premise: claims %d bytes", len(claims))
	}
	data := base64.StdEncoding.EncodeToString([]byte(r102aJWS(t, []byte(claims), false)))
	e.putAll(t, e.token("system", "nhs", "A81001"), r102aProv("r104a-jws-nb", r102aSig("application/jose", data)))
	if st, leaks := r104aReads(t, e, "/fhir/Provenance/r104a-jws-nb", e.token("ig-officer", "nhs", "A81001"), data); leaks {
		t.Errorf("the GP's letter as JWS claims (no-break spaces) reached the IG officer (%d)", st)
	}
}

// TestReview104aMIMEVariantsReachSocialWorker: the letter as a
// MIME part whose header is written "Content-Transfer-Encoding:base64"
// (no space after the colon, as RFC 2045 allows), and as the second part
// of a multipart body whose first part is plain text. carriesDocument
// looks for "content-transfer-encoding: base64" before the first blank
// line only, so both reach the social worker; the part as dae8f4c's
// probe wrote it is withheld.
func TestReview104aMIMEVariantsReachSocialWorker(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	b64 := r98bB64(r101aPDF())
	var wrapped strings.Builder
	for i := 0; i < len(b64); i += 76 {
		wrapped.WriteString(b64[i:min(i+76, len(b64))] + "\r\n")
	}
	in := func(v string) string {
		return `{"type":{"text":"discharge letter"},"valueString":"` + strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(v) + `"}`
	}
	e.putAll(t, e.token("system", "nhs", "A81001"),
		r101aTask("r104a-mime", "", in("Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"+wrapped.String())),
		r101aTask("r104a-mime-nospace", "", in("Content-Type: application/pdf\r\nContent-Transfer-Encoding:base64\r\n\r\n"+wrapped.String())),
		r101aTask("r104a-multipart", "", in("Content-Type: text/plain\r\n\r\nPlease find the letter attached.\r\n--frontier\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"+wrapped.String()+"--frontier--\r\n")))
	sw := e.token("social-worker", "council", r98bCouncil)
	if st, _ := r104aReads(t, e, "/fhir/Task/r104a-mime", sw); st == 200 {
		t.Fatalf("premise: the MIME part (76-character lines) reached the social worker")
	}
	for _, id := range []string{"r104a-mime-nospace", "r104a-multipart"} {
		if st, leaks := r104aReads(t, e, "/fhir/Task/"+id, sw, b64[:76]); leaks {
			t.Errorf("%s: the GP's letter as a MIME part reached the social worker (%d)", id, st)
		}
	}
}

// TestReview104aNHSTaskResultSNOMEDOrOtherValueReachesSocialWorker:
// the GP's Task for the council whose output is a result: an HbA1c as
// valueQuantity under SNOMED CT (999791000000106, as UK GP systems code
// results), an HbA1c under LOINC written "http://www.loinc.org", a
// platelet count as valuePositiveInt under LOINC, and a SARS-CoV-2 PCR as
// valueBoolean under LOINC. SPEC §1: the social worker sees no lab
// results; taskLOINC names LOINC by four spellings and results by six
// value types, so each reaches her. The same HbA1c under http://loinc.org
// is withheld.
func TestReview104aNHSTaskResultSNOMEDOrOtherValueReachesSocialWorker(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	out := func(id, sys, code, val string) [2]string {
		return r103aNHSTask(id, `"output":[{"type":{"coding":[{"system":"`+sys+`","code":"`+code+`"}],"text":"R104A-RESULT"},`+val+`}]`)
	}
	hb := `"valueQuantity":{"value":86,"unit":"mmol/mol","system":"http://unitsofmeasure.org","code":"mmol/mol"}`
	e.putAll(t, e.token("system", "nhs", "A81001"),
		out("r104a-loinc", "http://loinc.org", "4548-4", hb),
		out("r104a-snomed", "http://snomed.info/sct", "999791000000106", hb),
		out("r104a-www", "http://www.loinc.org", "4548-4", hb),
		out("r104a-posint", "http://loinc.org", "777-3", `"valuePositiveInt":150`),
		out("r104a-bool", "http://loinc.org", "94500-6", `"valueBoolean":true`))
	sw := e.token("social-worker", "council", r98bCouncil)
	if r := e.do("GET", "/fhir/Task/r104a-loinc", sw, ""); r.status == 200 {
		t.Fatalf("premise: the LOINC-named HbA1c reached the social worker")
	}
	for _, id := range []string{"r104a-snomed", "r104a-www", "r104a-posint", "r104a-bool"} {
		if r := e.do("GET", "/fhir/Task/"+id, sw, ""); r.status == 200 {
			t.Errorf("%s: the GP's Task holding a lab result reached the social worker (200)", id)
		}
	}
}

// TestReview104aCouncilTaskResultReachesNurse: the council's
// assessment Task records the HbA1c the GP gave it, as valueQuantity
// under SNOMED CT, and as a LOINC-named valueCodeableConcept of text
// "HbA1c 86 mmol/mol". default.policy gives the district nurse social
// care but no observations; README: a council's Task is a result only by
// a LOINC-named measurement, so both reach her. (Judgement: the value is
// a lab result whoever copied it; review 100a/101a called a council's
// HbA1c a leak.)
func TestReview104aCouncilTaskResultReachesNurse(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	task := func(id, typ, val string) [2]string {
		return [2]string{"/fhir/Task/" + id, `{"resourceType":"Task","id":"` + id + `","status":"completed","intent":"order",
		 "code":{"coding":[{"system":"http://snomed.info/sct","code":"410606002"}],"text":"COUNCIL-ASSESSMENT"},"for":{"reference":"Patient/jane"},
		 "output":[{"type":` + typ + `,` + val + `}]}`}
	}
	hb := `"valueQuantity":{"value":86,"unit":"mmol/mol"}`
	e.putAll(t, e.token("system", "council", r98bCouncil),
		task("r104a-c-loinc", `{"coding":[{"system":"http://loinc.org","code":"4548-4"}]}`, hb),
		task("r104a-c-snomed", `{"coding":[{"system":"http://snomed.info/sct","code":"999791000000106"}]}`, hb),
		task("r104a-c-cc", `{"coding":[{"system":"http://loinc.org","code":"4548-4"}]}`, `"valueCodeableConcept":{"text":"HbA1c 86 mmol/mol"}`))
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Task/r104a-c-loinc", nurse, ""); r.status == 200 {
		t.Fatalf("premise: the council's LOINC-named HbA1c reached the nurse")
	}
	for _, id := range []string{"r104a-c-snomed", "r104a-c-cc"} {
		if r := e.do("GET", "/fhir/Task/"+id, nurse, ""); r.status == 200 {
			t.Errorf("%s: the council's Task holding the HbA1c reached the district nurse (200)", id)
		}
	}
}

// TestReview104aLOINCPlanOfCareWithNumberWithheld: README (review
// 103a): "LOINC names questions and notes too: ... a plan of care in
// words ... [is] none". The GP's plan of care note (LOINC 18776-5) in
// words that hold a number ("twice weekly" written "2x weekly", "4
// visits a day") is withheld from the social worker and the nurse as a
// result; the same plan with the numbers in words is released.
func TestReview104aLOINCPlanOfCareWithNumberWithheld(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	in := func(id, plan string) [2]string {
		return r103aNHSTask(id, `"input":[{"type":{"coding":[{"system":"http://loinc.org","code":"18776-5","display":"Plan of care note"}]},"valueString":"`+plan+`"}]`)
	}
	e.putAll(t, e.token("system", "nhs", "A81001"),
		in("r104a-plan-words", "District nurse to dress leg ulcer twice weekly; carers four visits a day"),
		in("r104a-plan-digits", "District nurse to dress leg ulcer 2x weekly; carers 4 visits a day"))
	sw := e.token("social-worker", "council", r98bCouncil)
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, tok := range []string{sw, nurse} {
		if r := e.do("GET", "/fhir/Task/r104a-plan-words", tok, ""); r.status != 200 {
			t.Fatalf("premise: the plan of care in words is withheld: %d", r.status)
		}
	}
	for who, tok := range map[string]string{"social worker": sw, "district nurse": nurse} {
		if r := e.do("GET", "/fhir/Task/r104a-plan-digits", tok, ""); r.status != 200 {
			t.Errorf("the GP's plan of care in words with a number ('2x weekly') is withheld from the %s: %d", who, r.status)
		}
	}
}

// TestReview104aCouncilTaggedPlainSentenceWithheldFromNurse: the
// council's care package note it tags social care, with a note of
// 64 characters or more made of letters and spaces only (no punctuation),
// as case workers write, or an identifier that is a case file's SHA-256
// in hex (64 characters). base64Only lets spaces through, decodeBase64
// strips them and decodes the words to bytes that are not UTF-8; for a
// council's tagged item any such payload is a document, so the nurse,
// who sees social care, does not get the care package.
func TestReview104aCouncilTaggedPlainSentenceWithheldFromNurse(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	ep := func(id, desc string) [2]string {
		return [2]string{"/fhir/Task/" + id, `{"resourceType":"Task","id":"` + id + `","status":"in-progress","intent":"order",
		 "meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},
		 "code":{"text":"COUNCIL-PACKAGE"},"for":{"reference":"Patient/jane"},"note":[{"text":"` + desc + `"}]}`}
	}
	e.putAll(t, e.token("system", "council", r98bCouncil),
		ep("r104a-pkg-short", "Carers visit four times daily"),
		ep("r104a-pkg-long", "Carers visit four times daily and her daughter stays at weekends to help"),
		ep("r104a-pkg-hash", "Care plan agreed"),
	)
	hashed := ep("r104a-pkg-hash", "Care plan agreed")
	hashed[1] = strings.Replace(hashed[1], `"code":{"text":"COUNCIL-PACKAGE"}`, `"identifier":[{"system":"https://council.example/case-file-sha256","value":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}],"code":{"text":"COUNCIL-PACKAGE"}`, 1)
	e.putAll(t, e.token("system", "council", r98bCouncil), hashed)
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Task/r104a-pkg-short", nurse, ""); r.status != 200 {
		t.Fatalf("premise: the council's tagged package with a short note is withheld from the nurse: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Task/r104a-pkg-long", nurse, ""); r.status != 200 {
		t.Errorf("the council's tagged care package whose note is a plain sentence of 72 characters is withheld from the district nurse: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Task/r104a-pkg-hash", nurse, ""); r.status != 200 {
		t.Errorf("the council's tagged care package with a SHA-256 (hex) identifier is withheld from the district nurse: %d", r.status)
	}
}

// TestReview104aBase64LetterInTopLevelStringReachesSocialWorker:
// the GP's letter as base64 in the Task's own description (a top-level
// string). carriesDocument reads strings only inside objects below the
// resource (eachObject of each top-level value), never the resource's
// own strings, so the social worker reads it; the same base64 in an
// input's valueString is withheld.
func TestReview104aBase64LetterInTopLevelStringReachesSocialWorker(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	b64 := r98bB64(r101aPDF())
	task := func(id, extra string) [2]string {
		return [2]string{"/fhir/Task/" + id, `{"resourceType":"Task","id":"` + id + `","status":"requested","intent":"order",
		 "code":{"text":"R104A-TASK"},"for":{"reference":"Patient/jane"},"owner":{"reference":"Organization/E06000999"}` + extra + `}`}
	}
	e.putAll(t, e.token("system", "nhs", "A81001"),
		task("r104a-in", `,"input":[{"type":{"text":"letter"},"valueString":"`+b64+`"}]`),
		task("r104a-desc", `,"description":"`+b64+`"`))
	sw := e.token("social-worker", "council", r98bCouncil)
	if st, _ := r104aReads(t, e, "/fhir/Task/r104a-in", sw); st == 200 {
		t.Fatalf("premise: the letter in an input's valueString reached the social worker")
	}
	if st, leaks := r104aReads(t, e, "/fhir/Task/r104a-desc", sw, b64); leaks {
		t.Errorf("the GP's letter as base64 in Task.description reached the social worker (%d)", st)
	}
}

// TestReview104aSoundLetterOtherPlacesWithheld: the letter (PDF) as
// base64url without padding in a valueString, as MIME-wrapped base64
// (76-character lines) in a valueString, in an extension's
// valueBase64Binary, in an extension's valueAttachment, and in a contained
// DocumentReference's attachment: each is withheld from the social
// worker.
func TestReview104aSoundLetterOtherPlacesWithheld(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	pdf := r101aPDF() + "\n" + r104aLetter
	raw := base64.RawURLEncoding.EncodeToString([]byte(pdf))
	std := r98bB64(pdf)
	var wrapped strings.Builder
	for i := 0; i < len(std); i += 76 {
		wrapped.WriteString(std[i:min(i+76, len(std))] + `\r\n`)
	}
	task := func(id, extra string) [2]string {
		return [2]string{"/fhir/Task/" + id, `{"resourceType":"Task","id":"` + id + `","status":"requested","intent":"order",
		 "code":{"text":"R104A-TASK"},"for":{"reference":"Patient/jane"},"owner":{"reference":"Organization/E06000999"}` + extra + `}`}
	}
	cases := map[string]string{
		"r104a-url":    `,"input":[{"type":{"text":"letter"},"valueString":"` + raw + `"}]`,
		"r104a-wrap":   `,"input":[{"type":{"text":"letter"},"valueString":"` + wrapped.String() + `"}]`,
		"r104a-extb64": `,"extension":[{"url":"https://example.org/letter","valueBase64Binary":"` + std + `"}]`,
		"r104a-extatt": `,"extension":[{"url":"https://example.org/letter","valueAttachment":{"data":"` + std + `"}}]`,
		"r104a-cont": `,"contained":[{"resourceType":"DocumentReference","id":"l","status":"current","subject":{"reference":"Patient/jane"},
		  "content":[{"attachment":{"contentType":"application/pdf","data":"` + std + `"}}]}],"input":[{"type":{"text":"letter"},"valueReference":{"reference":"#l"}}]`,
	}
	gp := e.token("system", "nhs", "A81001")
	for id, extra := range cases {
		e.putAll(t, gp, task(id, extra))
	}
	sw := e.token("social-worker", "council", r98bCouncil)
	if r := e.do("GET", "/fhir/Task/gp-task", sw, ""); r.status != 200 {
		t.Fatalf("premise: the GP's Task with no letter is withheld from the social worker: %d", r.status)
	}
	for id := range cases {
		if st, _ := r104aReads(t, e, "/fhir/Task/"+id, sw); st == 200 {
			t.Errorf("%s: the GP's letter reached the social worker (200)", id)
		}
	}
}

// r104aExample reads one of /work/shared/fhir-examples, gives it id and
// points its patient element (key) at Jane.
func r104aExample(t *testing.T, file, id, key string) (map[string]any, [2]string) {
	t.Helper()
	b, err := os.ReadFile("/work/shared/fhir-examples/" + file)
	if err != nil {
		t.Skipf("example not available: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	m["id"] = id
	if key != "" {
		m[key] = map[string]any{"reference": "Patient/jane"}
	}
	out, _ := json.Marshal(m)
	return m, [2]string{"/fhir/" + m["resourceType"].(string) + "/" + id, string(out)}
}

// TestReview104aXMLDSigAndImageSignedProvenanceWithheldFromIG:
// HL7's own examples sign with an XML digital signature
// (Provenance-signature: sigFormat application/signature+xml, the format
// R4's Signature names first) and with an image of a handwritten
// signature (Bundle-father: sigFormat image/jpg). The GP's Provenance of
// Jane's record signed either way is withheld from the IG officer as a
// "document": signatureHolds knows DER and JWS only and hands the rest to
// documentBytes, which calls XML text and a JPEG documents. Review 99a:
// signed Provenances must not leave the IG officer; the same Provenance
// with a JWS of claims reaches her. (Judgement: README lists DER and JWS
// as signatures; a careful IG officer expects an XML-DSig or a scanned
// signature to be a signature.)
func TestReview104aXMLDSigAndImageSignedProvenanceWithheldFromIG(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	father, _ := r104aExample(t, "hl7-r4/bundle/Bundle-father.json", "x", "")
	jpg := father["signature"].(map[string]any)["data"].(string)
	xmldsig := `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>` +
		`<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><Reference URI="#Provenance"><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>` +
		`<DigestValue>q2ZsGn4XC3QkQ0hqUyVx8mWY1v2c0c8O9bT+e0YH5bE=</DigestValue></Reference></SignedInfo>` +
		`<SignatureValue>` + strings.Repeat("kR3mZ9x8QbN2pLwV", 21) + `</SignatureValue>` +
		`<KeyInfo><X509Data><X509Certificate>` + strings.Repeat("MIIDdzCCAl+gAwIBAgIE", 40) + `</X509Certificate></X509Data></KeyInfo></Signature>`
	claims := r102aJWS(t, []byte(`{"iss":"A81001","iat":1748772000,"jti":"c7a1f0e2"}`), false)
	e.putAll(t, e.token("system", "nhs", "A81001"),
		r102aProv("r104a-jws", r102aSig("application/jose", base64.StdEncoding.EncodeToString([]byte(claims)))),
		r102aProv("r104a-xmldsig", r102aSig("application/signature+xml", base64.StdEncoding.EncodeToString([]byte(xmldsig)))),
		r102aProv("r104a-jpgsig", r102aSig("image/jpg", jpg)))
	ig := e.token("ig-officer", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Provenance/r104a-jws", ig, ""); r.status != 200 {
		t.Fatalf("premise: the JWS-signed Provenance is withheld from the IG officer: %d", r.status)
	}
	for _, id := range []string{"r104a-xmldsig", "r104a-jpgsig"} {
		if r := e.do("GET", "/fhir/Provenance/"+id, ig, ""); r.status != 200 {
			t.Errorf("%s: the GP's signed Provenance is withheld from the IG officer: %d", id, r.status)
		}
	}
}

// TestReview104aSoundHL7ExamplesReleased: HL7 R4 and UK Core examples
// written as the GP and pointed at Jane: the carer with a JPEG photo
// (RelatedPerson-f002) and the UK Core colonoscopy Task (its output a
// reference) reach the district nurse and the social worker; the ECG
// Observation (SampledData "data") reaches neither (observations).
func TestReview104aSoundHL7ExamplesReleased(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	_, carer := r104aExample(t, "hl7-r4/clinical/RelatedPerson-f002.json", "r104a-carer", "patient")
	_, task := r104aExample(t, "ukcore/UKCore-Task-Colonoscopy-Example.json", "r104a-colon", "for")
	_, ecg := r104aExample(t, "hl7-r4/clinical/Observation-ekg.json", "r104a-ecg", "subject")
	e.putAll(t, e.token("system", "nhs", "A81001"), carer, task, ecg)
	for who, tok := range map[string]string{"social worker": e.token("social-worker", "council", r98bCouncil), "district nurse": e.token("district-nurse", "nhs", "RCX")} {
		for _, p := range []string{carer[0], task[0]} {
			if r := e.do("GET", p, tok, ""); r.status != 200 {
				t.Errorf("%s is withheld from the %s: %d", p, who, r.status)
			}
		}
		if r := e.do("GET", ecg[0], tok, ""); r.status == 200 {
			t.Errorf("the ECG observation reached the %s", who)
		}
	}
}

// TestReview104aSoundCostOneMegabyteAttachment: the GP writes a Task
// carrying a 1 MB plain-text attachment (as attachment data) and the same
// as base64 in an input's valueString. Each write answers within 20 s on
// this shared 2-core machine (about 10× what it takes here); the time and
// the bytes allocated per write are logged (-v) for comparison.
func TestReview104aSoundCostOneMegabyteAttachment(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.MaxBody = 8 << 20 })
	r98bSeed(t, e)
	text := strings.Repeat("Jane walks with a frame; carers visit four times daily. ", 1<<20/56)
	b64 := r98bB64(text)
	gp := e.token("system", "nhs", "A81001")
	for _, c := range []struct{ id, in string }{
		{"r104a-big-att", `{"type":{"text":"notes"},"valueAttachment":{"contentType":"text/plain","data":"` + b64 + `"}}`},
		{"r104a-big-str", `{"type":{"text":"notes"},"valueString":"` + b64 + `"}`},
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		r := e.do("PUT", "/fhir/Task/"+c.id, gp, r101aTask(c.id, "", c.in)[1])
		took := time.Since(start)
		runtime.ReadMemStats(&after)
		t.Logf("%s: %d in %v, %d MB allocated, %d allocations", c.id, r.status, took, (after.TotalAlloc-before.TotalAlloc)>>20, after.Mallocs-before.Mallocs)
		if r.status != 200 && r.status != 201 {
			t.Fatalf("%s: write refused: %d %.200s", c.id, r.status, r.body)
		}
		if took > 20*time.Second {
			t.Errorf("%s: a write of a 1 MB attachment took %v", c.id, took)
		}
	}
}

// TestReview104aSoundBinaryAndAttachedMeasurement: the GP's letter as a
// Binary of Jane's (securityContext), referenced from a Task input, and
// an HbA1c given as an attached FHIR JSON Observation in a LOINC-named
// Task output: the social worker reads neither the Binary nor the
// Observation's Task, and reads the Task that only references the Binary.
func TestReview104aSoundBinaryAndAttachedMeasurement(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	obs := `{"resourceType":"Observation","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],` +
		`"code":{"coding":[{"system":"http://loinc.org","code":"4548-4"}]},"subject":{"reference":"Patient/jane"},"valueQuantity":{"value":86,"unit":"mmol/mol"}}`
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/Binary/r104a-letter", `{"resourceType":"Binary","id":"r104a-letter","contentType":"application/pdf","securityContext":{"reference":"Patient/jane"},"data":"` + r98bB64(r101aPDF()) + `"}`},
		r103aNHSTask("r104a-ref", `"input":[{"type":{"text":"letter"},"valueReference":{"reference":"Binary/r104a-letter"}}]`),
		r103aNHSTask("r104a-obs-att", `"output":[{"type":{"coding":[{"system":"http://loinc.org","code":"4548-4"}]},"valueAttachment":{"contentType":"application/fhir+json","data":"`+r98bB64(obs)+`"}}]`))
	sw := e.token("social-worker", "council", r98bCouncil)
	if r := e.do("GET", "/fhir/Task/r104a-ref", sw, ""); r.status != 200 {
		t.Errorf("the GP's Task referencing a Binary is withheld from the social worker: %d", r.status)
	}
	if st, _ := r104aReads(t, e, "/fhir/Binary/r104a-letter", sw); st == 200 {
		t.Errorf("the GP's letter as a Binary reached the social worker")
	}
	if r := e.do("GET", "/fhir/Task/r104a-obs-att", sw, ""); r.status == 200 {
		t.Errorf("the GP's Task carrying an attached HbA1c Observation reached the social worker")
	}
}
