package api_test

// Review 32a: a re-read of c867e84 (placeReferenceText) and 86e187e (one
// walk over every attachment payload: attachedContent, payloadsOf,
// attachmentText; TextLabels; redactAttachedPeople, maskUnreadPeople).
// Setup as review 31a: seedShared (Jane; RHX has a relationship), seed21a
// (r21, restricted, at A81001; r24aHospTeam puts RHX in her care team).

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

const r32aHIVLabelOnly = `{"resourceType":"Condition","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HIV"}]},"subject":{"reference":"Patient/jane"},"code":{"text":"R32A-LABELLED"}}`

// r32aNest is doc carried n levels down: level 1 is the letter's own
// attachment data, each further level a DocumentReference whose
// attachment data (application/fhir+json) is the level below.
func r32aNest(doc string, n int) string {
	s := doc
	for i := 1; i < n; i++ {
		s = r31aDocRef(`{"contentType":"application/fhir+json","data":"` + b64r31a(s) + `"}`)
	}
	return `{"contentType":"application/fhir+json","data":"` + b64r31a(s) + `"}`
}

// TestReview32aHIVBeyondEightLevels: the GP's letter carries Jane's HIV
// diagnosis nine levels down (labelled HIV by its source in meta.security,
// no code) or ten levels down (SNOMED 86406008). Before 86e187e,
// fhirAttachments followed a document inside a document with no bound
// (eachObject(doc, "data", visit)), so both were labelled; now the walk
// stops at maxAttachedDepth 8. The whole letter is ~12 KB (64 KiB limit).
func TestReview32aHIVBeyondEightLevels(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for _, c := range []struct {
		name, doc string
		n         int
	}{
		{"label-level9", r32aHIVLabelOnly, 9},
		{"code-level10", r31aCond, 10},
		{"code-level12", r31aCond, 12},
	} {
		att := r32aNest(c.doc, c.n)
		if st := r26aLetter(t, e, "r32a-deep-"+c.name, att, ""); st != 404 && st != -1 {
			t.Errorf("%s (%d bytes): the hospital clinician RHX reads the GP's letter carrying Jane's HIV diagnosis %d levels down: %d", c.name, len(att), c.n, st)
		}
	}
}

// TestReview32aSoundHIVWithinEightLevels: the same at levels 2, 8 (label
// only) and 9 (code: read as text at level 8): labelled, withheld.
func TestReview32aSoundHIVWithinEightLevels(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for _, c := range []struct {
		name, doc string
		n         int
	}{
		{"label-level2", r32aHIVLabelOnly, 2},
		{"label-level8", r32aHIVLabelOnly, 8},
		{"code-level9", r31aCond, 9},
	} {
		if st := r26aLetter(t, e, "r32a-deep-s-"+c.name, r32aNest(c.doc, c.n), ""); st != 404 && st != -1 {
			t.Errorf("%s: the hospital clinician RHX reads the GP's letter carrying Jane's HIV diagnosis %d levels down: %d", c.name, c.n, st)
		}
	}
}

// TestReview32aIVFCodeEncodedInAttachmentText: the GP's letter carries the
// IVF procedure (SNOMED 52637005, assisted fertilisation: legally
// restricted) written so that every XML or JSON reader reads 52637005,
// but not as a run of ASCII digits: an XML character reference in a CDA
// code attribute or a FHIR XML value, a JSON \u escape in FHIR JSON sent as
// text/plain; or as FHIR JSON in the base64 data of an attachment inside a
// FHIR XML document, or in a CDA nonXMLBody (representation B64). The
// hospital clinician with a relationship, and a break-glass clinician, may
// not read it (SPEC §5.4, §5.5).
func TestReview32aIVFCodeEncodedInAttachmentText(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	ivfJSON := `{"resourceType":"Procedure","status":"completed","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"52637005"}],"text":"R32A-IVF"}}`
	forms := []struct{ name, ct, data string }{
		{"cda-charref", "application/xml", `<ClinicalDocument xmlns="urn:hl7-org:v3"><component><structuredBody><component><section><entry><procedure classCode="PROC" moodCode="EVN"><code code="&#53;2637005" codeSystem="2.16.840.1.113883.6.96" displayName="R32A-IVF-CDA"/></procedure></entry></section></component></structuredBody></component></ClinicalDocument>`},
		{"fhirxml-hexref", "application/fhir+xml", `<Procedure xmlns="http://hl7.org/fhir"><status value="completed"/><code><coding><system value="http://snomed.info/sct"/><code value="&#x35;2637005"/></coding><text value="R32A-IVF-XML"/></code><subject><reference value="Patient/jane"/></subject></Procedure>`},
		{"json-text-uescape", "text/plain", `{"resourceType":"Procedure","status":"completed","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"\u00352637005"}],"text":"R32A-IVF-TEXT"}}`},
		{"json-in-fhirxml", "application/fhir+xml", `<DocumentReference xmlns="http://hl7.org/fhir"><status value="current"/><content><attachment><contentType value="application/fhir+json"/><data value="` + b64r31a(ivfJSON) + `"/></attachment></content></DocumentReference>`},
		{"json-in-cda-b64", "application/xml", `<ClinicalDocument xmlns="urn:hl7-org:v3"><component><nonXMLBody><text mediaType="application/fhir+json" representation="B64">` + b64r31a(ivfJSON) + `</text></nonXMLBody></component></ClinicalDocument>`},
	}
	gp := e.token("system", "nhs", "A81001")
	for _, f := range forms {
		id := "r32a-enc-" + f.name
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},"description":"R32A-LETTER",
		  "content":[{"attachment":{"contentType":"` + f.ct + `","data":"` + b64r31a(f.data) + `"}}]}`})
	}
	hosp := e.token("hospital-clinician", "nhs", "RHX", func(c *auth.DevClaims) { c.Sub = "r32a-hosp" })
	ae := e.token("hospital-clinician", "nhs", "RZZ", func(c *auth.DevClaims) { c.Sub = "r32a-ae" })
	for _, f := range forms {
		id := "r32a-enc-" + f.name
		if r := e.do("GET", "/fhir/DocumentReference/"+id, hosp, ""); r.status != 404 {
			t.Errorf("%s: the hospital clinician RHX (relationship) GET /fhir/DocumentReference/%s: %d %.160s", f.name, id, r.status, r.body)
		}
		if r := e.do("GET", "/fhir/DocumentReference/"+id, ae, "", "X-Break-Glass", "EMERGENCY: collapsed in ED, no history available"); strings.Contains(r.body, b64r31a(f.data)) {
			t.Errorf("%s: a break-glass clinician (RZZ) GET /fhir/DocumentReference/%s gets the IVF procedure (HFEA, legally restricted): %d", f.name, id, r.status)
		}
	}
}

// TestReview32aSoundIVFInOtherPayloads: the IVF code in plain digits in a
// Communication's payload, a Media's content, and as ISO-8859-1 text:
// labelled, withheld from the hospital clinician with a relationship.
func TestReview32aSoundIVFInOtherPayloads(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	xml := `<code code="52637005" codeSystem="2.16.840.1.113883.6.96"/>`
	e.putAll(t, gp,
		[2]string{"/fhir/Communication/r32a-comm", `{"resourceType":"Communication","id":"r32a-comm","status":"completed","subject":{"reference":"Patient/jane"},"payload":[{"contentAttachment":{"contentType":"application/xml","data":"` + b64r31a(xml) + `"}}]}`},
		[2]string{"/fhir/Media/r32a-media", `{"resourceType":"Media","id":"r32a-media","status":"completed","subject":{"reference":"Patient/jane"},"content":{"contentType":"text/plain; charset=iso-8859-1","data":"` + b64r31a("Proc\xe9dure 52637005") + `"}}`},
	)
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for _, p := range []string{"/fhir/Communication/r32a-comm", "/fhir/Media/r32a-media"} {
		if r := e.do("GET", p, hosp, ""); r.status != 404 {
			t.Errorf("GET %s by the hospital clinician RHX: %d %.160s", p, r.status, r.body)
		}
	}
}

// TestReview32aPDFByteOffsetLabelsOrdinaryLetter: an ordinary PDF letter
// (no clinical code in it) whose cross-reference table gives an object at
// byte 151004, written as PDF writes it, "0000151004 00000 n". TextLabels
// reads every digit run of every attachment, PDFs included, dropping
// leading zeros: 151004 is Gonococcal meningitis in the STD refset, so the
// letter is labelled STD and withheld from the hospital clinician with a
// relationship. Every PDF over 100 KB has 6-digit offsets like these (one
// per object).
func TestReview32aPDFByteOffsetLabelsOrdinaryLetter(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	pdf := "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\nxref\n0 4\n0000000000 65535 f \n0000000015 00000 n \n0000000074 00000 n \n0000151004 00000 n \ntrailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n151230\n%%EOF\n"
	data := b64r31a(pdf)
	st := r26aLetter(t, e, "r32a-pdf-offset", `{"contentType":"application/pdf","data":"`+data+`"}`, "")
	if st != 200 {
		t.Errorf("the hospital clinician RHX (relationship) reads Jane's ordinary PDF letter: %d, want 200", st)
	}
	if st := r26aLetter(t, e, "r32a-pdf-offset-ctl", `{"contentType":"application/pdf","data":"`+b64r31a(strings.Replace(pdf, "0000151004", "0000151005", 1))+`"}`, ""); st != 200 {
		t.Errorf("control (offset 151005): %d", st)
	}
}

// TestReview32aSoundOrdinaryLetterNumbers: a text letter full of the
// numbers letters hold (NHS numbers, phone numbers, dates, a postcode, a
// lab number) is not labelled.
func TestReview32aSoundOrdinaryLetterNumbers(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	text := "NHS 943 476 5919 / 9434765919; tel 01134960999, 07700 900123; seen 20261205, 05/12/2026, 2026-12-05T10:30:00Z; LS9 7TF; lab 000123456; ref 20150601-0001"
	if st := r26aLetter(t, e, "r32a-numbers", `{"contentType":"text/plain","data":"`+b64r31a(text)+`"}`, ""); st != 200 {
		t.Errorf("an ordinary letter's numbers withhold it from the hospital clinician RHX: %d", st)
	}
}

// r32aHerPatientXML is r21's Patient as FHIR XML (unread by carex).
const r32aHerPatientXML = `<Patient xmlns="http://hl7.org/fhir"><name><family value="Doyle"/></name><telecom><system value="phone"/><value value="01134960999"/></telecom><address><line value="` + secretAddr22a + `"/><postalCode value="LS9 7TF"/></address></Patient>`

// TestReview32aHerPatientInListOfDataURLs: her own CarePlan (by the GP)
// gives her Patient as FHIR XML in a data: url that is one value of a
// list (instantiatesUri). maskUnreadPeople masks a data: url in any key,
// but only a string value: a list is passed over. The hospital clinician
// RHX (her care team) gets her address and phone.
func TestReview32aHerPatientInListOfDataURLs(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	r24aHospTeam(t, e)
	gp := e.token("system", "nhs", "A81001")
	u := "data:application/fhir+xml;base64," + b64r31a(r32aHerPatientXML)
	e.putAll(t, gp, [2]string{"/fhir/CarePlan/r32a-her-plan", `{"resourceType":"CarePlan","id":"r32a-her-plan","status":"active","intent":"plan","subject":{"reference":"Patient/r21"},"title":"R32A-HER-PLAN",
	  "instantiatesUri":["https://example.org/pathway","` + u + `"]}`})
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for _, p := range []string{"/fhir/CarePlan/r32a-her-plan", "/fhir/CarePlan?patient=r21", "/fhir/Patient/r21/$everything"} {
		r := e.do("GET", p, hosp, "")
		if !strings.Contains(r.body, "R32A-HER-PLAN") {
			t.Errorf("premise GET %s: %d %.200s", p, r.status, r.body)
			continue
		}
		if strings.Contains(r.body, b64r31a(r32aHerPatientXML)) {
			t.Errorf("GET %s: her CarePlan releases her Patient (address, phone) as FHIR XML in a data: url in a list to the hospital clinician RHX: %d", p, r.status)
		}
	}
}

// TestReview32aSoundHerPatientInDataURLSingleAndJSONList: the same XML in
// a single extension valueUri is masked; her Patient as FHIR JSON in a list
// of data: urls is redacted.
func TestReview32aSoundHerPatientInDataURLSingleAndJSONList(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	r24aHospTeam(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/CarePlan/r32a-her-plan-ext", `{"resourceType":"CarePlan","id":"r32a-her-plan-ext","status":"active","intent":"plan","subject":{"reference":"Patient/r21"},"title":"R32A-HER-PLAN",
	  "extension":[{"url":"https://example.org/x","valueUri":"data:application/fhir+xml;base64,` + b64r31a(r32aHerPatientXML) + `"}]}`},
		[2]string{"/fhir/CarePlan/r32a-her-plan-json", `{"resourceType":"CarePlan","id":"r32a-her-plan-json","status":"active","intent":"plan","subject":{"reference":"Patient/r21"},"title":"R32A-HER-PLAN",
	  "instantiatesUri":["https://example.org/pathway","data:application/fhir+json;base64,` + b64r31a(r31aHerPatient) + `"]}`})
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for _, id := range []string{"r32a-her-plan-ext", "r32a-her-plan-json"} {
		r := e.do("GET", "/fhir/CarePlan/"+id, hosp, "")
		if r.status != 200 || r31aLeaks(r.body) || strings.Contains(r.body, b64r31a(r32aHerPatientXML)) {
			t.Errorf("%s: %d %.300s", id, r.status, r.body)
		}
	}
}

// TestReview32aSoundSourceSeesHerReferencesAsStored: c867e84 takes a
// logical reference's display and identifier out of her items outside the
// source; the source (the GP) reads her appointment as stored, and another
// patient's (Jane's) appointment keeps its logical reference's display for
// the hospital clinician.
func TestReview32aSoundSourceSeesHerReferencesAsStored(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seed21a(t, e, "")
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Appointment/r32a-her-appt", `{"resourceType":"Appointment","id":"r32a-her-appt","status":"booked","participant":[{"actor":{"reference":"Patient/r21"},"status":"accepted"},
		  {"actor":{"type":"Location","identifier":{"system":"https://example.org/uprn","value":"R32A-UPRN-77"},"display":"R32A-HOME 1 Hidden Lane"},"status":"accepted"}]}`},
		[2]string{"/fhir/Appointment/r32a-jane-appt", `{"resourceType":"Appointment","id":"r32a-jane-appt","status":"booked","participant":[{"actor":{"reference":"Patient/jane"},"status":"accepted"},
		  {"actor":{"type":"Practitioner","display":"R32A-DR-SMITH"},"status":"accepted"}]}`})
	r := e.do("GET", "/fhir/Appointment/r32a-her-appt", e.token("gp", "nhs", "A81001"), "")
	if r.status != 200 || !strings.Contains(r.body, "R32A-HOME") || !strings.Contains(r.body, "R32A-UPRN-77") {
		t.Errorf("the source GP reads her appointment not as stored: %d %.300s", r.status, r.body)
	}
	r = e.do("GET", "/fhir/Appointment/r32a-jane-appt", e.token("hospital-clinician", "nhs", "RHX"), "")
	if r.status != 200 || !strings.Contains(r.body, "R32A-DR-SMITH") {
		t.Errorf("Jane's appointment to the hospital clinician: %d %.300s", r.status, r.body)
	}
}

// r32aUTF16LE is s (UTF-8) as UTF-16LE without a byte order mark.
func r32aUTF16LE(s string) string {
	var out []byte
	for _, r := range s {
		if r > 0xffff {
			panic("BMP only")
		}
		out = append(out, byte(r), byte(r>>8))
	}
	return string(out)
}

// TestReview32aHIVInUTF16WithoutMarkNonLatinStart: Jane's HIV diagnosis
// as FHIR JSON, or a text letter naming 86406008, in UTF-16LE without a
// byte order mark or charset, whose first 32 characters hold one character
// outside Latin-1 (an en dash, as a word processor writes): utf16Like
// wants a zero byte at every other place of the first 64 bytes, so the
// data is read as bytes, the JSON does not decode and the digits are
// interleaved with zeros.
func TestReview32aHIVInUTF16WithoutMarkNonLatinStart(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	cond := `{"code":{"text":"HIV – positive","coding":[{"system":"http://snomed.info/sct","code":"86406008"}]},"resourceType":"Condition","subject":{"reference":"Patient/jane"}}`
	for _, c := range []struct{ name, ct, data string }{
		{"json", "application/fhir+json", r32aUTF16LE(cond)},
		{"text", "text/plain", r32aUTF16LE("Dear Dr – Jane: HIV (SNOMED 86406008) confirmed.")},
	} {
		if st := r26aLetter(t, e, "r32a-u16-"+c.name, `{"contentType":"`+c.ct+`","data":"`+b64r31a(c.data)+`"}`, ""); st != 404 && st != -1 {
			t.Errorf("%s: the hospital clinician RHX reads the GP's letter carrying Jane's HIV diagnosis in UTF-16LE without a mark: %d", c.name, st)
		}
	}
}

// TestReview32aRedactedAttachmentStaysConsistent: her own letter (r21)
// carries her Patient as FHIR JSON, in UTF-16LE named by its charset, and
// in a data: url with the attachment's size and hash of that content.
// Redaction rewrites the data (UTF-8) and the url; what goes to the
// hospital clinician must still be a well-formed attachment: data in the
// charset its contentType names, and no size or hash that no longer fits.
func TestReview32aRedactedAttachmentStaysConsistent(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	r24aHospTeam(t, e)
	u16 := `{"contentType":"application/fhir+json; charset=utf-16le","data":"` + b64r31a(r24aUTF16LE(r31aHerPatient)) + `"}`
	r := r31aHerLetter(t, e, "r32a-her-u16", u16, "")
	if r31aLeaks(r.body) {
		t.Fatalf("premise: leaks %.300s", r.body)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		t.Fatal(err)
	}
	att := v["content"].([]any)[0].(map[string]any)["attachment"].(map[string]any)
	if d, _ := att["data"].(string); d != "" {
		raw, _ := base64.StdEncoding.DecodeString(d)
		ct, _ := att["contentType"].(string)
		if strings.Contains(strings.ToLower(ct), "utf-16") && len(raw) > 1 && raw[1] != 0 {
			t.Errorf("the redacted data is UTF-8 (%.40q) under contentType %q", raw, ct)
		}
	}
	inner := "data:application/fhir+json;base64," + b64r31a(r31aHerPatient)
	sum := sha1.Sum([]byte(r31aHerPatient))
	for i, ct := range []string{`"contentType":"application/fhir+json",`, "", `"contentType":"text/plain",`} {
		withHash := `{` + ct + `"url":"` + inner + `","size":` + strconv.Itoa(len(r31aHerPatient)) + `,"hash":"` + base64.StdEncoding.EncodeToString(sum[:]) + `"}`
		r = r31aHerLetter(t, e, "r32a-her-urlhash"+strconv.Itoa(i), withHash, "")
		t.Logf("url+size+hash letter (%s) as released: %.700s", ct, r.body)
		if r31aLeaks(r.body) {
			t.Fatalf("premise: leaks %.300s", r.body)
		}
		v = nil
		if err := json.Unmarshal([]byte(r.body), &v); err != nil {
			t.Fatal(err)
		}
		att = v["content"].([]any)[0].(map[string]any)["attachment"].(map[string]any)
		if u, _ := att["url"].(string); u != "" && u != inner {
			_, data, _ := strings.Cut(u, ",")
			raw, _ := base64.StdEncoding.DecodeString(data)
			if s, ok := att["size"].(float64); ok && int(s) != len(raw) {
				t.Errorf("%s: the rewritten data: url carries %d bytes, the attachment's size still says %d", ct, len(raw), int(s))
			}
			if h, ok := att["hash"].(string); ok {
				got := sha1.Sum(raw)
				if h != base64.StdEncoding.EncodeToString(got[:]) {
					t.Errorf("%s: the rewritten data: url no longer matches the attachment's hash %s", ct, h)
				}
			}
		}
	}
}

// TestReview32aSoundBinaryAndDataURLForms: Jane's HIV code (86406008) in
// a Binary with no patient whose securityContext is the GP's letter about
// her, and in data: urls written percent-encoded, with BASE64 in capitals,
// or with a charset before ;base64: each is labelled, withheld from the
// hospital clinician RHX (relationship).
func TestReview32aSoundBinaryAndDataURLForms(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/DocumentReference/r32a-bin-letter", `{"resourceType":"DocumentReference","id":"r32a-bin-letter","status":"current","subject":{"reference":"Patient/jane"},"content":[{"attachment":{"contentType":"text/plain","url":"Binary/r32a-bin"}}]}`},
		[2]string{"/fhir/Binary/r32a-bin", `{"resourceType":"Binary","id":"r32a-bin","contentType":"text/plain","securityContext":{"reference":"DocumentReference/r32a-bin-letter"},"data":"` + b64r31a("Dx: HIV infection, SNOMED 86406008") + `"}`})
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Binary/r32a-bin", hosp, ""); r.status != 404 {
		t.Errorf("GET /fhir/Binary/r32a-bin by RHX: %d %.200s", r.status, r.body)
	}
	for _, c := range []struct{ name, url string }{
		{"pct", "data:text/plain,HIV%20%38%36%34%30%36%30%30%38"},
		{"caps", "data:text/plain;BASE64," + b64r31a("HIV 86406008")},
		{"charset", "data:text/plain;charset=utf-16le;base64," + b64r31a(r24aUTF16LE("HIV 86406008"))},
		{"json-caps", "data:APPLICATION/FHIR+JSON;Base64," + b64r31a(r31aCond)},
	} {
		if st := r26aLetter(t, e, "r32a-du-"+c.name, `{"contentType":"text/plain","url":"`+c.url+`"}`, ""); st != 404 && st != -1 {
			t.Errorf("%s: RHX reads the letter whose data: url carries Jane's HIV code: %d", c.name, st)
		}
	}
}

// TestReview32aSoundHerHomeUPRNInLiteralLocationReference: her Appointment (by
// the GP) names her home Location (PTRES, withheld from the nurse) by a
// literal reference that also carries the home's identifier, a UPRN
// (which any address lookup turns into her address). placeReferenceText
// drops the identifier only of a logical reference; of a literal
// Location/… reference it drops the display alone, and maskRefs masks the
// reference string: the identifier goes to the district nurse.
func TestReview32aSoundHerHomeUPRNInLiteralLocationReference(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Location/r32a-home", `{"resourceType":"Location","id":"r32a-home","name":"Home",
		 "identifier":[{"system":"https://fhir.hl7.org.uk/Id/uprn","value":"100023336956"}],
		 "type":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-RoleCode","code":"PTRES"}]}],
		 "address":{"line":["SECRET-ADDR 1 Hidden Lane"],"postalCode":"LS9 7TF"}}`},
		[2]string{"/fhir/Appointment/r32a-appt-uprn", `{"resourceType":"Appointment","id":"r32a-appt-uprn","status":"booked","description":"R32A-APPT-UPRN",
		 "participant":[{"actor":{"reference":"Patient/r21"},"status":"accepted"},
		 {"actor":{"reference":"Location/r32a-home","type":"Location","identifier":{"system":"https://fhir.hl7.org.uk/Id/uprn","value":"100023336956"},"display":"Home"},"status":"accepted"}]}`})
	nurse := nurse21a(e, "n32a-uprn")
	if l := e.do("GET", "/fhir/Location/r32a-home", nurse, ""); l.status != 404 {
		t.Fatalf("premise: her home Location is withheld from the nurse: %d", l.status)
	}
	for _, p := range []string{"/fhir/Appointment/r32a-appt-uprn", "/fhir/Appointment?patient=r21", "/fhir/Patient/r21/$everything"} {
		r := e.do("GET", p, nurse, "")
		if r.status != 200 || !strings.Contains(r.body, "R32A-APPT-UPRN") {
			t.Errorf("premise: GET %s: %d %.300s", p, r.status, r.body)
			continue
		}
		if i := strings.Index(r.body, "100023336956"); i >= 0 {
			t.Errorf("district nurse RCX: GET %s releases her home's UPRN (the identifier of a literal reference to her withheld home Location): %d …%s…", p, r.status, r.body[max(0, i-200):min(len(r.body), i+40)])
		}
	}
	if r := e.do("GET", "/fhir/Appointment/r32a-appt-uprn", e.token("gp", "nhs", "A81001"), ""); r.status != 200 || !strings.Contains(r.body, "100023336956") {
		t.Errorf("the practice reads its own appointment as stored: %d", r.status)
	}
}

// TestReview32aHIVDigitsSplitByInvisibleCharacters: a text or HTML letter
// whose HIV code (86406008) a reader sees whole, split by a character a
// viewer does not show (a soft hyphen, a zero-width space, an HTML &shy;).
// TextLabels reads runs of ASCII digits only. (The README reads such
// characters out of urls and links, not out of attachment text.)
func TestReview32aHIVDigitsSplitByInvisibleCharacters(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for _, c := range []struct{ name, ct, data string }{
		{"soft-hyphen", "text/plain; charset=utf-8", "Diagnosis: HIV infection (SNOMED 86406\u00ad008)"},
		{"zero-width", "text/plain; charset=utf-8", "Diagnosis: HIV infection (SNOMED 8640\u200b6008)"},
		{"html-shy", "text/html", "<p>Diagnosis: HIV infection (SNOMED 86406&shy;008)</p>"},
	} {
		if st := r26aLetter(t, e, "r32a-split-"+c.name, `{"contentType":"`+c.ct+`","data":"`+b64r31a(c.data)+`"}`, ""); st != 404 && st != -1 {
			t.Errorf("%s: the hospital clinician RHX reads the GP's letter naming Jane's HIV diagnosis %q: %d", c.name, c.data, st)
		}
	}
	if st := r26aLetter(t, e, "r32a-split-control", `{"contentType":"text/plain","data":"`+b64r31a("Diagnosis: HIV infection (SNOMED 86406008)")+`"}`, ""); st != 404 {
		t.Errorf("control, digits whole: %d", st)
	}
}
