package api_test

// Review 33a: a re-read of 3425af3 (unreadPeople: more than 100 NHS
// numbers), 0038073 (a deny of an instance covers its carriers:
// urn:carex:carried-item) and 1bc4664 (attachments read however deep,
// base64 runs in other text, scanText, binaryFormat, utf16Like, TextLabels
// without leading zeros, data: urls in lists masked in place, utf8Type,
// a client's X-Request-Id of a batch entry's form, ServiceRequest dates).
// Setup as reviews 31a/32a: seedShared (Jane; RHX has a relationship),
// seed21a (r21, restricted, at A81001) and r24aHospTeam (RHX in her care
// team).

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// ---------------------------------------------------------------------
// X-Request-Id (server.go requestContext; auditlog/report.go
// bundleOfBreakGlass)

// TestReview33aDottedRequestIDHidesBatchBreakGlassAlert: 1bc4664 replaces
// a client's X-Request-Id of a batch entry's form ("<id>.<digits>"), but
// the Alerter (store/auditlog/report.go bundleOfBreakGlass) takes any id
// with a dot after its first character for a batch's entry: "<id>.x" or
// "<id>." are kept (saneRequestID, not batchEntryID) and still mark "<id>"
// as a batch whose entries carried its break-glass alert. The same batch
// as review 32c's (break-glass, its one entry answered by carex itself,
// naming no one) sent as "<id>" after such a request is then in no alert.
func TestReview33aDottedRequestIDHidesBatchBreakGlassAlert(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	batch := `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"https://elsewhere.example/fhir/Patient/jane/$everything"}}]}`
	for i, c := range [][2]string{{"r33a-batch-a", "r33a-batch-a.x"}, {"r33a-batch-b", "r33a-batch-b."}, {"r33a-batch-c", "r33a-batch-c.1a"}, {"r33a-batch-d", "r33a-batch-d.-"}} {
		sub := "r33a-rid-" + string(rune('a'+i))
		bid, dotted := c[0], c[1]
		tok := e.token("hospital-clinician", "nhs", "RZZ", func(c *auth.DevClaims) { c.Sub = sub })
		e.do("OPTIONS", "/fhir/Organization", tok, "", "X-Break-Glass", r32cBG, "X-Request-ID", dotted)
		kept := r32cSeqOf(t, e, sub, dotted) != 0
		if r := e.do("POST", "/fhir", tok, batch, "X-Break-Glass", r32cBG, "X-Request-ID", bid); r.status != 200 {
			t.Fatalf("premise: batch: %d %.300s", r.status, r.body)
		}
		seq := r32cSeqOf(t, e, sub, bid)
		if seq == 0 {
			t.Fatalf("premise: the batch's entry %s", bid)
		}
		if !r32cLinked(r32cAlerts(t, e), seq) {
			t.Errorf("a batch with X-Break-Glass sent as X-Request-ID %q after a request sent as %q (kept in the log: %v) is in no IG alert (entry %d)", bid, dotted, kept, seq)
		}
	}
}

// TestReview33aSoundBatchEntryIDsAndAlerts: a client's id of the entry
// form ("<id>.1") is not kept; a batch's entries are logged as
// "<id>.<n>", and its break-glass read of Jane is an alert linking them.
func TestReview33aSoundBatchEntryIDsAndAlerts(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	sub := "r33a-sound-rid"
	tok := e.token("hospital-clinician", "nhs", "RZZ", func(c *auth.DevClaims) { c.Sub = sub })
	e.do("OPTIONS", "/fhir/Organization", tok, "", "X-Request-ID", "r33a-b.1")
	if r32cSeqOf(t, e, sub, "r33a-b.1") != 0 {
		t.Errorf("a client's X-Request-Id r33a-b.1 was kept")
	}
	batch := `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient/jane"}},{"request":{"method":"GET","url":"Condition?patient=jane"}}]}`
	if r := e.do("POST", "/fhir", tok, batch, "X-Break-Glass", r32cBG, "X-Request-ID", "r33a-bg"); r.status != 200 {
		t.Fatalf("premise: batch %d %.300s", r.status, r.body)
	}
	s0, s1 := r32cSeqOf(t, e, sub, "r33a-bg.0"), r32cSeqOf(t, e, sub, "r33a-bg.1")
	if s0 == 0 || s1 == 0 {
		t.Fatalf("the batch's entries are not logged as r33a-bg.0/.1: %d %d", s0, s1)
	}
	als := r32cAlerts(t, e)
	if !r32cLinked(als, s0) || !r32cLinked(als, s1) {
		t.Errorf("the batch's break-glass entries are in no alert: %+v", als)
	}
	// A 64-character id: its entries keep "<id>.<n>" (longer than 64).
	long := strings.Repeat("a", 64)
	e.do("POST", "/fhir", tok, batch, "X-Request-ID", long)
	if r32cSeqOf(t, e, sub, long+".0") == 0 {
		t.Errorf("a 64-character batch id's entry id is not kept")
	}
}

// ---------------------------------------------------------------------
// A restricted person's demographics in base64 inside XML
// (redact.go unreadPeople / maskUnreadPeople; attached.go eachBase64Run)

// r33aXMLBinary is FHIR XML of a Binary (as a letter's XML carries an
// attachment: <data value>) whose data is doc.
func r33aXMLBinary(ct, doc string) string {
	return `<Binary xmlns="http://hl7.org/fhir"><contentType value="` + ct + `"/><data value="` + b64r31a(doc) + `"/></Binary>`
}

// r33aCDAB64 is a CDA letter with a nonXMLBody whose text is doc in base64
// (representation="B64").
func r33aCDAB64(mt, doc string) string {
	return `<ClinicalDocument xmlns="urn:hl7-org:v3"><title>Letter</title><component><nonXMLBody><text mediaType="` + mt + `" representation="B64">` + b64r31a(doc) + `</text></nonXMLBody></component></ClinicalDocument>`
}

// r33aHerPatientXMLNHS is r21's Patient as FHIR XML with her NHS number.
var r33aHerPatientXMLNHS = strings.Replace(r32aHerPatientXML, "<name>", `<identifier><system value="https://fhir.nhs.uk/Id/nhs-number"/><value value="9990000069"/></identifier><name>`, 1)

// TestReview33aHerPatientInBase64InsideXML: 1bc4664 reads a base64 run
// inside XML or CDA text as a payload, for the codes written in it; a
// restricted person's Patient carried that way is neither redacted nor
// masked. Her own letter (the GP's, about r21) whose FHIR XML Binary's
// <data value> or CDA B64 body is her Patient (FHIR JSON or XML: address,
// phone) goes whole to the hospital clinician RHX in her care team; so
// does Jane's letter carrying r21's Patient so. The same Patient written
// as plain XML in the letter is masked (controls: her own letter, and
// Jane's with r21's NHS number in it).
func TestReview33aHerPatientInBase64InsideXML(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seed21a(t, e, "")
	r24aHospTeam(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for _, c := range []struct {
		name, person, ct, text string
	}{
		{"control-plain-xml-her-own", "r21", "application/fhir+xml", r32aHerPatientXML},
		{"control-plain-xml-in-janes", "jane", "application/fhir+xml", r33aHerPatientXMLNHS},
		{"her-own-xml-binary-json", "r21", "application/fhir+xml", r33aXMLBinary("application/fhir+json", r31aHerPatient)},
		{"her-own-xml-binary-xml", "r21", "application/fhir+xml", r33aXMLBinary("application/fhir+xml", r32aHerPatientXML)},
		{"her-own-cda-b64", "r21", "application/xml", r33aCDAB64("text/xml", r32aHerPatientXML)},
		{"janes-xml-binary-json", "jane", "application/fhir+xml", r33aXMLBinary("application/fhir+json", r31aHerPatient)},
		{"janes-cda-b64", "jane", "application/xml", r33aCDAB64("application/fhir+json", r31aHerPatient)},
		{"janes-xml-binary-xml", "jane", "application/fhir+xml", r33aXMLBinary("application/fhir+xml", r33aHerPatientXMLNHS)},
	} {
		id := "r33a-b64xml-" + c.name
		data := b64r31a(c.text)
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/` + c.person + `"},
		"type":{"text":"R33A-LETTER"},"content":[{"attachment":{"contentType":"` + c.ct + `","data":"` + data + `"}}]}`})
		r := e.do("GET", "/fhir/DocumentReference/"+id, hosp, "")
		if r.status != 200 {
			t.Errorf("%s: premise: the hospital clinician RHX reads the letter: %d %.200s", c.name, r.status, r.body)
			continue
		}
		if strings.Contains(r.body, data) {
			t.Errorf("%s: the hospital clinician RHX reads %s's letter carrying r21's (restricted) Patient — address %q, phone — whole: 200 %.160s…", c.name, c.person, secretAddr22a, r.body)
		}
	}
}

// ---------------------------------------------------------------------
// Labels from attachment text (attached.go attachedContent,
// eachBase64Run, scanText; consent/policy.go TextLabels)

// TestReview33aHIVCodeWithLeadingZeroInXMLCodedElement: a SNOMED CT id
// written with a leading zero in a coded element is that id (policy.go
// normCode, sctIDs: "086406008 |HIV|" names 86406008). In a letter's FHIR
// XML or CDA, the text net is the only reader of its coded elements; at
// 1bc4664's parent it dropped leading zeros and labelled these letters
// (HIV: withheld from the hospital clinician RHX); now a run starting with
// a zero is skipped (review 32a, for a PDF's offsets — which binaryFormat
// now skips on its own), and Jane's HIV diagnosis goes to RHX.
func TestReview33aHIVCodeWithLeadingZeroInXMLCodedElement(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for _, c := range []struct{ name, ct, text string }{
		{"fhir-xml", "application/fhir+xml", `<Condition xmlns="http://hl7.org/fhir"><code><coding><system value="http://snomed.info/sct"/><code value="086406008"/></coding></code><subject><reference value="Patient/jane"/></subject></Condition>`},
		{"cda", "application/xml", `<ClinicalDocument xmlns="urn:hl7-org:v3"><component><structuredBody><component><section><entry><observation classCode="OBS" moodCode="EVN"><value xsi:type="CD" code="086406008" codeSystem="2.16.840.1.113883.6.96"/></observation></entry></section></component></structuredBody></component></ClinicalDocument>`},
	} {
		if st := r26aLetter(t, e, "r33a-zero-"+c.name, `{"contentType":"`+c.ct+`","data":"`+b64r31a(c.text)+`"}`, ""); st != 404 && st != -1 {
			t.Errorf("%s: the hospital clinician RHX reads the GP's letter coding Jane's HIV diagnosis as 086406008: %d", c.name, st)
		}
	}
}

// TestReview33aSoundHIVCodeWithLeadingZeroCoded: the same id with a
// leading zero in a coded element carex reads (a Condition, FHIR JSON in
// an attachment, FHIR JSON in base64 inside the letter's XML) labels it.
func TestReview33aSoundHIVCodeWithLeadingZeroCoded(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	cond := `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"086406008"}],"text":"R33A-HIV0"}}`
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Condition/r33a-hiv0", strings.Replace(cond, `{"resourceType":"Condition",`, `{"resourceType":"Condition","id":"r33a-hiv0",`, 1)})
	if st := e.do("GET", "/fhir/Condition/r33a-hiv0", e.token("hospital-clinician", "nhs", "RHX"), "").status; st != 404 {
		t.Errorf("a Condition coded 086406008 to RHX: %d", st)
	}
	if st := r26aLetter(t, e, "r33a-zero-json", `{"contentType":"application/fhir+json","data":"`+b64r31a(cond)+`"}`, ""); st != 404 {
		t.Errorf("FHIR JSON attachment coded 086406008: %d", st)
	}
	if st := r26aLetter(t, e, "r33a-zero-xmlb64", `{"contentType":"application/fhir+xml","data":"`+b64r31a(r33aXMLBinary("application/fhir+json", cond))+`"}`, ""); st != 404 {
		t.Errorf("FHIR JSON in base64 in a letter's XML, coded 086406008: %d", st)
	}
}

// TestReview33aHIVDigitsSplitByInvisibleNonFormatCharacters: scanText
// drops Unicode's format characters (Cf: a soft hyphen, a zero-width
// space), but not the other characters a viewer does not show between
// digits — a combining grapheme joiner (U+034F, Mn), a variation selector
// (U+FE00, Mn), written as such or as an XML character reference — nor
// digits a reader reads as digits in another form (full-width). Each
// letter shows "86406008" to its reader.
func TestReview33aHIVDigitsSplitByInvisibleNonFormatCharacters(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for _, c := range []struct{ name, ct, data string }{
		{"cgj", "text/plain; charset=utf-8", "Diagnosis: HIV infection (SNOMED 86406\u034f008)"},
		{"variation-selector", "text/plain; charset=utf-8", "Diagnosis: HIV infection (SNOMED 8640\ufe006008)"},
		{"cgj-xml-ref", "application/xml", "<p>Diagnosis: HIV infection (SNOMED 86406&#x34F;008)</p>"},
		{"fullwidth", "text/plain; charset=utf-8", "Diagnosis: HIV infection (SNOMED \uff18\uff16\uff14\uff10\uff16\uff10\uff10\uff18)"},
	} {
		if st := r26aLetter(t, e, "r33a-split-"+c.name, `{"contentType":"`+c.ct+`","data":"`+b64r31a(c.data)+`"}`, ""); st != 404 && st != -1 {
			t.Errorf("%s: the hospital clinician RHX reads the GP's letter naming Jane's HIV diagnosis %q: %d", c.name, c.data, st)
		}
	}
}

// TestReview33aSoundHIVDigitsSplitByFormatCharacters: those 1bc4664 reads
// (soft hyphen, zero-width space, &shy;, &#53;-style references, \u
// escapes, an entity in the middle of a CDA attribute).
func TestReview33aSoundHIVDigitsSplitByFormatCharacters(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for _, c := range []struct{ name, ct, data string }{
		{"soft-hyphen", "text/plain; charset=utf-8", "SNOMED 86406\u00ad008"},
		{"zwsp", "text/plain; charset=utf-8", "SNOMED 8640\u200b6008"},
		{"word-joiner", "text/plain; charset=utf-8", "SNOMED 8640\u20606008"},
		{"shy-entity", "text/html", "<p>SNOMED 86406&shy;008</p>"},
		{"dec-ref", "application/xml", `<value code="&#56;6406008"/>`},
		{"hex-ref", "application/xml", `<value code="&#x38;6406008"/>`},
		{"zwsp-entity", "text/html", "<p>SNOMED 86406&ZeroWidthSpace;008</p>"},
		{"u-escape", "text/plain", `{"code":"\u00386406008"`},
	} {
		if st := r26aLetter(t, e, "r33a-fsplit-"+c.name, `{"contentType":"`+c.ct+`","data":"`+b64r31a(c.data)+`"}`, ""); st != 404 {
			t.Errorf("%s: %q: %d, want 404", c.name, c.data, st)
		}
	}
}

// r33aMIME is a MIME message (an e-mail kept as a letter) whose one part
// is text in base64, wrapped at 76 as MIME writes it.
func r33aMIME(part string) string {
	b := b64r31a(part)
	var lines []string
	for len(b) > 76 {
		lines = append(lines, b[:76])
		b = b[76:]
	}
	lines = append(lines, b)
	return "From: clinic@example.org\r\nSubject: Clinic letter\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		strings.Join(lines, "\r\n") + "\r\n--XX--\r\n"
}

// TestReview33aHIVInMIMEBase64Part: eachBase64Run takes line breaks inside
// a run ("as MIME wraps it"), and so joins a MIME part's base64 to the
// header word before the blank line ("Content-Transfer-Encoding:
// base64\r\n\r\n…"): the run "base64PD94…" does not decode as the part's
// bytes, and an e-mail kept as a letter (message/rfc822, or text/plain)
// whose part names Jane's HIV diagnosis goes unlabelled to the hospital
// clinician RHX. The same part's text given alone is labelled (control).
func TestReview33aHIVInMIMEBase64Part(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	part := "Dear Dr Smith, I reviewed Jane today in clinic. Diagnosis: HIV infection (SNOMED 86406008). Regards"
	if st := r26aLetter(t, e, "r33a-mime-ctl", `{"contentType":"text/plain","data":"`+b64r31a(part)+`"}`, ""); st != 404 {
		t.Fatalf("premise: the part's text alone: %d", st)
	}
	// Control: a space after "base64" ends the run there, and the part
	// is read.
	sp := strings.Replace(r33aMIME(part), "base64\r\n", "base64 \r\n", 1)
	if st := r26aLetter(t, e, "r33a-mime-space", `{"contentType":"message/rfc822","data":"`+b64r31a(sp)+`"}`, ""); st != 404 {
		t.Errorf("control: the MIME letter with a space after the header word: %d, want 404", st)
	}
	for _, ct := range []string{"message/rfc822", "text/plain"} {
		for _, p := range []string{part, part + " Follow-up in six weeks."} {
			mime := r33aMIME(p)
			if st := r26aLetter(t, e, "r33a-mime-"+strings.ReplaceAll(ct, "/", "-")+"-"+string(rune('0'+len(p)%10)), `{"contentType":"`+ct+`","data":"`+b64r31a(mime)+`"}`, ""); st != 404 && st != -1 {
				t.Errorf("%s: the hospital clinician RHX reads the GP's e-mail letter whose base64 part (%d bytes) names Jane's HIV diagnosis: %d", ct, len(p), st)
			}
		}
	}
}

// TestReview33aSoundOrdinaryLettersWithBase64LikeRuns: a plain letter with
// long runs of base64 characters that are not base64 (a long URL, a
// SHA-256 in hex and in base64, a list of UUIDs without spaces, a
// 100-digit reference) and '&' entities is not labelled.
func TestReview33aSoundOrdinaryLettersWithBase64LikeRuns(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	texts := []string{
		"See https://results.example.org/reports/2026/12/05/patient-results-download-token-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 for details",
		"sha256 3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b and LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=",
		"ids 3f2504e0-4f89-11d3-9a0c-0305e82c33013f2504e0-4f89-11d3-9a0c-0305e82c33023f2504e0-4f89-11d3-9a0c-0305e82c3303",
		"ref " + strings.Repeat("1234567890", 10),
		"Smith &amp; Jones &lt;GP&gt; &#169; 2026 &nbsp; tel 0113&#160;496&#160;0999",
	}
	for i, s := range texts {
		for _, ct := range []string{"text/plain", "text/html"} {
			if st := r26aLetter(t, e, "r33a-plain-"+strings.ReplaceAll(ct, "/", "-")+string(rune('a'+i)), `{"contentType":"`+ct+`","data":"`+b64r31a(s)+`"}`, ""); st != 200 {
				t.Errorf("%s %q: the ordinary letter is withheld from RHX: %d", ct, s, st)
			}
		}
	}
}

// ---------------------------------------------------------------------
// A deny of an instance covers its carriers (rest.go derive;
// consent/engine.go dataMatch, carries)

const r33aDiabetes = `{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}],"text":"GP-DIABETES"}}`

// r33aDenyDiabetes writes Jane's deny of ref (data meaning instance) to RHX.
func r33aDenyDiabetes(t *testing.T, e *env, ref string) {
	t.Helper()
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Consent/r33a-inst", janeConsent("r33a-inst", "2026-01-10", "OPTIN",
		`,"provision":{"type":"deny","actor":[`+r31dOrgActor("RHX")+`],"data":[{"meaning":"instance","reference":{"reference":"`+ref+`"}}]}`)})
}

// TestReview33aDenyOfInstanceMissesCopyNamedByFullUrl: a stored Bundle's
// entry is the item its fullUrl names; FHIR lets a resource in a
// Bundle.entry leave out its id (Resource.id is 0..1; R4's
// Bundle.entry.fullUrl asks only that a RESTful fullUrl end with the id
// when there is one). derive
// records a carried item only by resource.id, so a GP summary Bundle
// whose entry is fullUrl "Condition/diabetes" (relative or absolute) with
// the resource written without id goes to RHX after Jane's deny of
// Condition/diabetes. Likewise an attached copy written as FHIR XML
// (<id value="diabetes"/>): README "a contained or attached copy".
func TestReview33aDenyOfInstanceMissesCopyNamedByFullUrl(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	noID := strings.Replace(r33aDiabetes, `"id":"diabetes",`, "", 1)
	xml := `<Condition xmlns="http://hl7.org/fhir"><id value="diabetes"/><code><coding><system value="http://snomed.info/sct"/><code value="44054006"/></coding><text value="GP-DIABETES"/></code><subject><reference value="Patient/jane"/></subject></Condition>`
	e.putAll(t, gp,
		[2]string{"/fhir/Condition/diabetes", r33aDiabetes},
		[2]string{"/fhir/Bundle/r33a-rel", `{"resourceType":"Bundle","id":"r33a-rel","type":"collection","entry":[{"fullUrl":"Condition/diabetes","resource":` + noID + `}]}`},
		[2]string{"/fhir/Bundle/r33a-abs", `{"resourceType":"Bundle","id":"r33a-abs","type":"collection","entry":[{"fullUrl":"https://gp.example.org/fhir/Condition/diabetes","resource":` + noID + `}]}`},
		[2]string{"/fhir/DocumentReference/r33a-xmlcopy", `{"resourceType":"DocumentReference","id":"r33a-xmlcopy","status":"current","subject":{"reference":"Patient/jane"},"type":{"text":"R33A-LETTER"},"content":[{"attachment":{"contentType":"application/fhir+xml","data":"` + b64r31a(xml) + `"}}]}`},
	)
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for _, p := range []string{"/fhir/Bundle/r33a-rel", "/fhir/Bundle/r33a-abs", "/fhir/DocumentReference/r33a-xmlcopy"} {
		if s, _ := r31dRead(e, hosp, p); s != 200 {
			t.Fatalf("premise: without the consent RHX reads %s: %d", p, s)
		}
	}
	r33aDenyDiabetes(t, e, "Condition/diabetes")
	if s, _ := r31dRead(e, hosp, "/fhir/Condition/diabetes"); s != 404 {
		t.Fatalf("premise: the deny withholds Condition/diabetes: %d", s)
	}
	for _, p := range []string{"/fhir/Bundle/r33a-rel", "/fhir/Bundle/r33a-abs", "/fhir/DocumentReference/r33a-xmlcopy"} {
		if s, b := r31dRead(e, hosp, p); s == 200 {
			t.Errorf("after Jane's deny of Condition/diabetes to RHX, the RHX clinician GET %s: 200, carrying the denied diagnosis: %.200s", p, b)
		}
	}
}

// TestReview33aSoundDenyOfInstanceCoversCarriers: a Bundle carrying a
// Bundle carrying the copy, an entry with a versioned fullUrl, a copy in
// a data: url, a contained copy of the same id (withheld: over-withholding
// fails closed), a deny written with a version or absolute url; a copy
// with another id (case differs: another item in FHIR) is not covered.
func TestReview33aSoundDenyOfInstanceCoversCarriers(t *testing.T) {
	for _, ref := range []string{"Condition/diabetes", "Condition/diabetes/_history/1", "https://carex.example/fhir/Condition/diabetes"} {
		t.Run(strings.ReplaceAll(ref, "/", "_"), func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			gp := e.token("system", "nhs", "A81001")
			inner := `{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"Condition/diabetes","resource":` + r33aDiabetes + `}]}`
			other := strings.NewReplacer(`"id":"diabetes"`, `"id":"Diabetes"`, "GP-DIABETES", "GP-OTHER").Replace(r33aDiabetes)
			e.putAll(t, gp,
				[2]string{"/fhir/Condition/diabetes", r33aDiabetes},
				[2]string{"/fhir/Bundle/r33a-nested", `{"resourceType":"Bundle","id":"r33a-nested","type":"collection","entry":[{"fullUrl":"urn:uuid:6a1c3e0e-9d55-4e0b-9d1e-000000000001","resource":` + inner + `}]}`},
				[2]string{"/fhir/Bundle/r33a-ver", `{"resourceType":"Bundle","id":"r33a-ver","type":"collection","entry":[{"fullUrl":"Condition/diabetes/_history/2","resource":` + r33aDiabetes + `}]}`},
				[2]string{"/fhir/CarePlan/r33a-dataurl", `{"resourceType":"CarePlan","id":"r33a-dataurl","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"instantiatesUri":["data:application/fhir+json;base64,` + b64r31a(r33aDiabetes) + `"]}`},
				[2]string{"/fhir/CarePlan/r33a-contained", `{"resourceType":"CarePlan","id":"r33a-contained","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"contained":[{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"text":"CONTAINED-OTHER"}}],"addresses":[{"reference":"#diabetes"}]}`},
				[2]string{"/fhir/Bundle/r33a-case", `{"resourceType":"Bundle","id":"r33a-case","type":"collection","entry":[{"fullUrl":"Condition/Diabetes","resource":` + other + `}]}`},
			)
			r33aDenyDiabetes(t, e, ref)
			hosp := e.token("hospital-clinician", "nhs", "RHX")
			for _, p := range []string{"/fhir/Condition/diabetes", "/fhir/Bundle/r33a-nested", "/fhir/Bundle/r33a-ver", "/fhir/CarePlan/r33a-dataurl", "/fhir/CarePlan/r33a-contained"} {
				if s, b := r31dRead(e, hosp, p); s != 404 {
					t.Errorf("deny of %s: GET %s: %d %.200s", ref, p, s, b)
				}
			}
			for _, p := range []string{"/fhir/Patient/jane/$everything", "/fhir/Bundle?_id=r33a-nested,r33a-ver"} {
				if _, b := r31dRead(e, hosp, p); strings.Contains(b, "GP-DIABETES") {
					t.Errorf("deny of %s: GET %s releases GP-DIABETES", ref, p)
				}
			}
			if s, _ := r31dRead(e, hosp, "/fhir/Bundle/r33a-case"); s != 200 {
				t.Errorf("deny of %s: the Bundle carrying Condition/Diabetes (another id): %d", ref, s)
			}
		})
	}
}

// ---------------------------------------------------------------------
// A data: url in a list masked in place (redact.go maskUnreadPeople)

// TestReview33aSoundMaskedListWriteBackRefused: her CarePlan's
// instantiatesUri list with a data: url of her Patient as XML is released
// to RHX as [url, null] with "_instantiatesUri": [null, {masked}] — valid
// FHIR JSON (a null with its extension beside it). Written back by RHX's
// clinician it is refused, and the stored list keeps the data: url.
func TestReview33aSoundMaskedListWriteBackRefused(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	r24aHospTeam(t, e)
	gp := e.token("system", "nhs", "A81001")
	u := "data:application/fhir+xml;base64," + b64r31a(r32aHerPatientXML)
	e.putAll(t, gp, [2]string{"/fhir/CarePlan/r33a-her-plan", `{"resourceType":"CarePlan","id":"r33a-her-plan","status":"active","intent":"plan","subject":{"reference":"Patient/r21"},"title":"R33A-HER-PLAN",
	  "instantiatesUri":["https://example.org/pathway","` + u + `"],"_instantiatesUri":[{"id":"first"},null]}`})
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	r := e.do("GET", "/fhir/CarePlan/r33a-her-plan", hosp, "")
	var m map[string]any
	if r.status != 200 || json.Unmarshal([]byte(r.body), &m) != nil {
		t.Fatalf("premise: %d %.300s", r.status, r.body)
	}
	list, _ := m["instantiatesUri"].([]any)
	marks, _ := m["_instantiatesUri"].([]any)
	if len(list) != 2 || list[0] != "https://example.org/pathway" || list[1] != nil || len(marks) != 2 || !strings.Contains(r.body, `"masked"`) {
		t.Errorf("the masked list: %s", r.body)
	} else if f, _ := marks[0].(map[string]any); f == nil || f["id"] != "first" {
		t.Errorf("the first value's own _instantiatesUri element is lost: %v", marks[0])
	}
	for _, tok := range []string{hosp, e.token("system", "nhs", "RHX")} {
		w := e.do("PUT", "/fhir/CarePlan/r33a-her-plan", tok, strings.Replace(r.body, "R33A-HER-PLAN", "R33A-EDITED", 1))
		if w.status < 400 {
			t.Errorf("writing back the masked list: %d %.300s", w.status, w.body)
		} else {
			t.Logf("write-back refused: %d %.160s", w.status, w.body)
		}
	}
	if s := e.do("GET", "/fhir/CarePlan/r33a-her-plan", gp, ""); !strings.Contains(s.body, u) || strings.Contains(s.body, "EDITED") {
		t.Errorf("the stored CarePlan changed: %.300s", s.body)
	}
	_ = base64.StdEncoding
}
