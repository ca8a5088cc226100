package api_test

// Review 23a: a re-read of the changes since 80a20f5 (codes canonicalised
// on write, PTRES Locations labelled R, restricted demographics in carried
// resources and attachments, the access log's 405/415 names, bare NHS
// number search, relationships). SPEC §5: labelled data "is released only
// to its source organisation, or where the person has explicitly permitted
// it"; a deny by code withholds the items so coded; "A patient whose
// demographics are marked restricted ... never has address, telephone or
// GP released outside the source organisation".
//
// Setup: seedShared (Jane, registered at A81001, RCX on her care team,
// RHX and the council sources) and seed21a (r21, restricted at A81001,
// RCX on her care team), as reviews 21a, 22a and 22b used them.

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// --- codes ------------------------------------------------------------

// TestReview23aDenyByCodeWrittenAsTheItemIsMissed: a Consent's deny names a
// code exactly as the item carries it — ICD-10 under its OID, SNOMED CT
// under an edition's URI or in upper case, a SNOMED CT id with a leading
// zero. Before ea2fd7f both sides were compared as written and the deny
// applied; now the item's code is canonicalised on write
// (consent.CanonicalCoding via api/rest.go canonicalCodes) but the
// Consent's is read by consent/consent.go (parser).coding, which knows
// only snomedNames and keeps leading zeros, so they no longer meet and the
// item goes to the nurse.
func TestReview23aDenyByCodeWrittenAsTheItemIsMissed(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	cases := []struct{ id, system, code string }{
		{"r23a-icd-oid", "urn:oid:2.16.840.1.113883.6.3", "E11.9"},
		{"r23a-sct-edition", "http://snomed.info/sct/999000041000000102", "73211009"},
		{"r23a-sct-upper", "HTTP://SNOMED.INFO/SCT", "38341003"},
		{"r23a-sct-zero", "http://snomed.info/sct", "044054006"},
	}
	var codes []string
	for _, c := range cases {
		codes = append(codes, `{"coding":[{"system":"`+c.system+`","code":"`+c.code+`"}]}`)
	}
	deny := janeConsent("r23a-deny-codes", "2026-01-10", "OPTIN", `,"provision":{"type":"deny","code":[`+strings.Join(codes, ",")+`]}`)
	if w := e.do("PUT", "/fhir/Consent/r23a-deny-codes", e.token("system", "nhs", "A81001"), deny); w.status != 201 {
		t.Fatalf("premise: the Consent is stored: %d %.400s", w.status, w.body)
	}
	hosp := e.token("system", "nhs", "RHX")
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, c := range cases {
		marker := strings.ToUpper(c.id)
		if w := e.do("PUT", "/fhir/Condition/"+c.id, hosp, r22bCondition(c.id, c.system, c.code, marker)); w.status != 201 {
			t.Fatalf("%s: write %d %.300s", c.id, w.status, w.body)
		}
		if r := e.do("GET", "/fhir/Condition/"+c.id, nurse, ""); r.status != 404 {
			t.Errorf("%s: Jane's deny of %s|%s misses the hospital's diagnosis coded exactly so: the district nurse RCX reads it: %d %.200s", c.id, c.system, c.code, r.status, r.body)
		}
	}
}

// TestReview23aSoundDenyByCanonicalCodeMatchesOtherForms: a deny written
// with the canonical system matches items coded under SNOMED CT's OID, an
// edition URI, with a leading zero, and ICD-10 under its OID (the fix of
// ea2fd7f, checked).
func TestReview23aSoundDenyByCanonicalCodeMatchesOtherForms(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	deny := janeConsent("r23a-deny-canon", "2026-01-10", "OPTIN", `,"provision":{"type":"deny","code":[
	  {"coding":[{"system":"http://snomed.info/sct","code":"73211009"}]},{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"E11.9"}]}]}`)
	if w := e.do("PUT", "/fhir/Consent/r23a-deny-canon", e.token("system", "nhs", "A81001"), deny); w.status != 201 {
		t.Fatalf("premise: %d %.300s", w.status, w.body)
	}
	hosp := e.token("system", "nhs", "RHX")
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, c := range []struct{ id, system, code string }{
		{"r23a-c-oid", "urn:oid:2.16.840.1.113883.6.96", "73211009"},
		{"r23a-c-edition", "http://snomed.info/sct/999000041000000102", "73211009"},
		{"r23a-c-zero", "http://snomed.info/sct", "073211009"},
		{"r23a-c-icdoid", "urn:oid:2.16.840.1.113883.6.3", "E119"},
	} {
		e.putAll(t, hosp, [2]string{"/fhir/Condition/" + c.id, r22bCondition(c.id, c.system, c.code, strings.ToUpper(c.id))})
		if r := e.do("GET", "/fhir/Condition/"+c.id, nurse, ""); r.status != 404 {
			t.Errorf("%s: %d", c.id, r.status)
		}
	}
}

// TestReview23aHIVCodeFormsStillUnlabelled: an HIV diagnosis coded in forms
// CanonicalCoding does not read: a SNOMED CT id with a leading zero and
// its term (as GP systems show it) — not "all digits", so the zero stays
// and eachSCTID refuses an id starting with 0 — and ICD-10 B20 under https, a trailing slash or an upper-case
// host (SNOMED CT so written is read as SNOMED CT since ea2fd7f; the
// consent engine's isICD10 takes the trailing slash as ICD-10). Each goes
// to the district nurse unlabelled.
func TestReview23aHIVCodeFormsStillUnlabelled(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, c := range []struct{ id, system, code string }{
		{"r23a-hiv-zero-term", "http://snomed.info/sct", "086406008 |Human immunodeficiency virus infection|"},
		{"r23a-hiv-icd-slash", "http://hl7.org/fhir/sid/icd-10/", "B20"},
		{"r23a-hiv-icd-https", "https://hl7.org/fhir/sid/icd-10", "B20"},
		{"r23a-hiv-icd-upper", "HTTP://HL7.ORG/FHIR/SID/ICD-10", "B20"},
	} {
		marker := strings.ToUpper(c.id)
		w := e.do("PUT", "/fhir/Condition/"+c.id, gp, r22bCondition(c.id, c.system, c.code, marker))
		if w.status != 201 {
			t.Logf("%s: refused on write %d %.200s (not probed)", c.id, w.status, w.body)
			continue
		}
		if r := e.do("GET", "/fhir/Condition/"+c.id, nurse, ""); r.status != 404 {
			t.Errorf("%s (%s|%q): an HIV diagnosis goes to the district nurse RCX unlabelled: %d %.200s", c.id, c.system, c.code, r.status, r.body)
		}
	}
}

// TestReview23aSoundHIVCodeFormsLabelled: forms that are labelled (checked).
func TestReview23aSoundHIVCodeFormsLabelled(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, c := range []struct{ id, system, code string }{
		{"r23a-ok-plus", "http://snomed.info/sct", "+86406008"},
		{"r23a-ok-oid-zero", "urn:oid:2.16.840.1.113883.6.96", "0086406008"},
		{"r23a-ok-edition-upper", "HTTP://SNOMED.INFO/SCT/999000041000000102/", "86406008"},
		{"r23a-ok-icdoid", "urn:oid:2.16.840.1.113883.6.3", "b20.1"},
		{"r23a-ok-icduk", "http://hl7.org/fhir/sid/icd-10-uk", "B20X"},
	} {
		marker := strings.ToUpper(c.id)
		w := e.do("PUT", "/fhir/Condition/"+c.id, gp, r22bCondition(c.id, c.system, c.code, marker))
		if w.status != 201 {
			t.Logf("%s: refused on write %d %.200s", c.id, w.status, w.body)
			continue
		}
		if r := e.do("GET", "/fhir/Condition/"+c.id, nurse, ""); r.status != 404 {
			t.Errorf("%s (%s|%q): goes to the nurse: %d", c.id, c.system, c.code, r.status)
		}
	}
}

// TestReview23aSnomedNonStandardSystemNames: names for SNOMED CT that are
// not its system but that systems do send (HL7 v2's "SCT", the concept
// URI base http://snomed.info/id/, the implicit value set URI
// http://snomed.info/sct?fhir_vs). Reported separately: weaker forms.
func TestReview23aSnomedNonStandardSystemNames(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, c := range []struct{ id, system string }{
		{"r23a-hiv-sct", "SCT"},
		{"r23a-hiv-id", "http://snomed.info/id/"},
		{"r23a-hiv-vs", "http://snomed.info/sct?fhir_vs"},
	} {
		w := e.do("PUT", "/fhir/Condition/"+c.id, gp, r22bCondition(c.id, c.system, r22bHIV, strings.ToUpper(c.id)))
		if w.status != 201 {
			t.Logf("%s: refused on write %d", c.id, w.status)
			continue
		}
		if r := e.do("GET", "/fhir/Condition/"+c.id, nurse, ""); r.status != 404 {
			t.Errorf("%s (system %q): an HIV diagnosis goes to the nurse unlabelled: %d", c.id, c.system, r.status)
		}
	}
}

// --- a patient's residence as a Location --------------------------------

// TestReview23aHomeLocationOtherTypeForms: her home as a stored Location
// typed PTRES, but under the STU3 system URI of v3 RoleCode
// (http://hl7.org/fhir/v3/RoleCode, as CareConnect STU3 systems send it),
// without a system, or as text alone. api/rest.go patientResidence knows
// two system names only, so it is not labelled R and the nurse reads her
// home address.
func TestReview23aHomeLocationOtherTypeForms(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	gp := e.token("system", "nhs", "A81001")
	nurse := nurse21a(e, "n23a-home")
	for _, c := range []struct{ id, typ string }{
		{"r23a-home-stu3", `[{"coding":[{"system":"http://hl7.org/fhir/v3/RoleCode","code":"PTRES","display":"Patient's Residence"}]}]`},
		{"r23a-home-nosys", `[{"coding":[{"code":"PTRES"}]}]`},
		// (type given as text alone: not read; a choice, review 23a)
	} {
		e.putAll(t, gp,
			[2]string{"/fhir/Location/" + c.id, `{"resourceType":"Location","id":"` + c.id + `","name":"Home","type":` + c.typ + `,
			 "address":{"line":["SECRET-ADDR 1 Hidden Lane"],"postalCode":"LS9 7TF"},"telecom":[{"system":"phone","value":"01134960999"}]}`},
			[2]string{"/fhir/Appointment/" + c.id + "-appt", `{"resourceType":"Appointment","id":"` + c.id + `-appt","status":"booked","description":"R23A-APPT",
			 "participant":[{"actor":{"reference":"Patient/r21"},"status":"accepted"},{"actor":{"reference":"Location/` + c.id + `"},"status":"accepted"}]}`})
		if r := e.do("GET", "/fhir/Appointment/"+c.id+"-appt", nurse, ""); r.status != 200 {
			t.Fatalf("premise: the nurse reads her appointment: %d", r.status)
		}
		if l := e.do("GET", "/fhir/Location/"+c.id, nurse, ""); l.status != 404 || leaks22a(l.body) {
			t.Errorf("%s (type %s): her home Location goes to the district nurse RCX: %d …%s…", c.id, c.typ, l.status, around21a(l.body, "SECRET-ADDR"))
		}
	}
}

// --- carried resources in her items -----------------------------------

// TestReview23aContainedOrganisationContactAddress: her referral carries
// the refuge as a contained Organization whose address and phone are given
// in Organization.contact (a contact party's address and telecom), not at
// its top level. redactPlaces strips address/telecom only of a map with a
// resourceType, so the contact's go out.
func TestReview23aContainedOrganisationContactAddress(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	council := e.token("system", "council", "E06000999")
	e.putAll(t, council, [2]string{"/fhir/ServiceRequest/r23a-referral", `{"resourceType":"ServiceRequest","id":"r23a-referral","status":"active","intent":"order",
	  "meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},
	  "code":{"text":"R23A-REFERRAL"},"subject":{"reference":"Patient/r21"},
	  "contained":[{"resourceType":"Organization","id":"refuge","name":"Northshire Women's Refuge",
	    "contact":[{"purpose":{"text":"ADMIN"},"address":{"line":["` + secretAddr22a + `"],"postalCode":"LS9 7TF"},"telecom":[{"system":"phone","value":"01134960999"}]}]}],
	  "requester":{"reference":"#refuge"}}`})
	r := e.do("GET", "/fhir/ServiceRequest/r23a-referral", nurse21a(e, "n23a-refuge"), "")
	if r.status != 200 || !strings.Contains(r.body, "R23A-REFERRAL") {
		t.Fatalf("premise: %d %.300s", r.status, r.body)
	}
	if leaks22a(r.body) {
		t.Errorf("her referral releases the refuge's address and phone (Organization.contact) to the district nurse RCX: %d …%s…", r.status, around21a(r.body, "SECRET-ADDR"))
	}
}

// --- attachment data ----------------------------------------------------

func r23aXML() string {
	return `<Patient xmlns="http://hl7.org/fhir"><identifier><system value="https://fhir.nhs.uk/Id/nhs-number"/><value value="9990000069"/></identifier><address><line value="` + secretAddr22a + `"/><postalCode value="LS9 7TF"/></address><telecom><system value="phone"/><value value="01134960999"/></telecom></Patient>`
}

// wrap breaks s into lines of n characters joined by sep.
func r23aWrap(s string, n int, sep string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += n {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(s[i:min(len(s), i+n)])
	}
	return b.String()
}

// TestReview23aHerAttachmentDodgesTheSniff: her Patient as FHIR XML in the
// GP's letter, in forms maskUnreadPeople does not recognise:
//   - the XML after 100 newlines (well-formed XML: no declaration, white
//     space before the root), so the first 96 base64 characters decode to
//     white space alone and structuredText says no;
//   - base64 wrapped every 76 characters with CRLF and starting with a
//     newline, so the 96-character head holds 93 base64 characters and no
//     decoding accepts it;
//   - a data: url whose base64 has its padding percent-encoded (%3D, as a
//     url encoder writes '='): the head decodes, the whole does not;
//   - the XML as an extension's valueBase64Binary (no "data" key).
//
// Each goes out whole to the hospital clinician (RHX, on her care team).
func TestReview23aHerAttachmentDodgesTheSniff(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	e.putAll(t, e.token("system", "nhs", "RHX"),
		[2]string{"/fhir/CareTeam/r21-hosp", `{"resourceType":"CareTeam","id":"r21-hosp","status":"active","subject":{"reference":"Patient/r21"},"participant":[{"member":{"reference":"Organization/RHX"}}]}`})
	gp := e.token("system", "nhs", "A81001")
	clin := e.token("hospital-clinician", "nhs", "RHX")
	xml := r23aXML()
	ws := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("\n", 100) + xml))
	wrapped := "\n" + r23aWrap(base64.StdEncoding.EncodeToString([]byte(xml)), 76, "\r\n")
	padded := base64.StdEncoding.EncodeToString([]byte(xml + "x")) // ends in '='
	if !strings.HasSuffix(padded, "=") {
		t.Fatalf("premise: padding")
	}
	pct := strings.ReplaceAll(padded, "=", "%3D")
	plain := base64.StdEncoding.EncodeToString([]byte(xml))
	cases := []struct{ name, attachment, leak string }{
		{"leading white space", `{"contentType":"application/fhir+xml","data":"` + ws + `"}`, ws},
		{"wrapped base64", `{"contentType":"application/fhir+xml","data":"` + strings.ReplaceAll(strings.ReplaceAll(wrapped, "\r", `\r`), "\n", `\n`) + `"}`, wrapped[1:77]},
		{"data: url, padding percent-encoded", `{"contentType":"application/fhir+xml","url":"data:application/fhir+xml;base64,` + pct + `"}`, pct},
	}
	for i, c := range cases {
		id := "r23a-letter-" + string(rune('a'+i))
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current",
		 "type":{"text":"R23A-LETTER"},"subject":{"reference":"Patient/r21"},"content":[{"attachment":` + c.attachment + `}]}`})
		r := e.do("GET", "/fhir/DocumentReference/"+id, clin, "")
		if r.status != 200 || !strings.Contains(r.body, "R23A-LETTER") {
			t.Fatalf("premise %s: %d %.300s", c.name, r.status, r.body)
		}
		if strings.Contains(r.body, c.leak) {
			t.Errorf("%s: her Patient (FHIR XML: address, phone) in the GP's letter goes out whole to the hospital clinician RHX", c.name)
		}
	}
	e.putAll(t, gp, [2]string{"/fhir/CarePlan/r23a-b64", `{"resourceType":"CarePlan","id":"r23a-b64","status":"active","intent":"plan","subject":{"reference":"Patient/r21"},"title":"R23A-PLAN",
	  "extension":[{"url":"https://x.example/demographics","valueBase64Binary":"` + plain + `"}]}`})
	r := e.do("GET", "/fhir/CarePlan/r23a-b64", clin, "")
	if r.status != 200 || !strings.Contains(r.body, "R23A-PLAN") {
		t.Fatalf("premise valueBase64Binary: %d %.300s", r.status, r.body)
	}
	if strings.Contains(r.body, plain) {
		t.Errorf("valueBase64Binary: her Patient (FHIR XML: address, phone) in the GP's care plan goes out whole to the hospital clinician RHX")
	}
}

// TestReview23aSoundHerAttachmentForms: forms that are masked (checked):
// HTML, XML with a declaration, UTF-16 with a mark, a data: url percent-
// encoded without base64, base64 wrapped at 76 with CRLF (no leading
// newline).
func TestReview23aSoundHerAttachmentForms(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	e.putAll(t, e.token("system", "nhs", "RHX"),
		[2]string{"/fhir/CareTeam/r21-hosp", `{"resourceType":"CareTeam","id":"r21-hosp","status":"active","subject":{"reference":"Patient/r21"},"participant":[{"member":{"reference":"Organization/RHX"}}]}`})
	gp := e.token("system", "nhs", "A81001")
	clin := e.token("hospital-clinician", "nhs", "RHX")
	xml := r23aXML()
	html := `<!DOCTYPE html><html><body><p>Patient: Margaret Doyle</p><p>Address: ` + secretAddr22a + `, LS9 7TF</p></body></html>`
	utf16 := []byte{0xfe, 0xff}
	for _, r := range `<?xml version="1.0"?>` + xml {
		utf16 = append(utf16, byte(r>>8), byte(r))
	}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	wrapped := r23aWrap(b64(xml), 76, "\r\n")
	for i, c := range []struct{ name, attachment string }{
		{"html", `{"contentType":"text/html","data":"` + b64(html) + `"}`},
		{"xml decl", `{"contentType":"application/xml","data":"` + b64(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+xml) + `"}`},
		{"utf16 bom", `{"contentType":"application/fhir+xml","data":"` + base64.StdEncoding.EncodeToString(utf16) + `"}`},
		{"data url percent", `{"url":"data:application/fhir+xml,` + strings.NewReplacer("<", "%3C", " ", "%20", `"`, "%22").Replace(xml) + `"}`},
		{"wrapped 76 crlf", `{"contentType":"application/fhir+xml","data":"` + strings.ReplaceAll(strings.ReplaceAll(wrapped, "\r", `\r`), "\n", `\n`) + `"}`},
	} {
		id := "r23a-ok-letter-" + string(rune('a'+i))
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current",
		 "type":{"text":"R23A-LETTER"},"subject":{"reference":"Patient/r21"},"content":[{"attachment":` + c.attachment + `}]}`})
		r := e.do("GET", "/fhir/DocumentReference/"+id, clin, "")
		if r.status != 200 || !strings.Contains(r.body, "R23A-LETTER") {
			t.Fatalf("premise %s: %d %.300s", c.name, r.status, r.body)
		}
		if strings.Contains(r.body, "masked") == false || strings.Contains(r.body, "SECRET") {
			t.Errorf("%s: not masked: %.400s", c.name, r.body)
		}
	}
}

// TestReview23aSoundOrdinaryDocumentsNotMasked: Jane (not restricted): the
// GP's HTML letter, CDA letter, JSON under text/plain and HL7 v2 message
// go out whole to RCX's GP (no over-masking); and so does r21's
// own letter to her source.
func TestReview23aSoundOrdinaryDocumentsNotMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seed21a(t, e, "")
	gp := e.token("system", "nhs", "A81001")
	nurse := e.token("gp", "nhs", "RCX") // a GP role sees documents
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	docs := []struct{ ct, data string }{
		{"text/html", `<!DOCTYPE html><html><body><p>Patient: Jane, address 2 Open Road, phone 0113 496 0000, NHS 943 476 5919</p></body></html>`},
		{"application/xml", `<?xml version="1.0"?><ClinicalDocument xmlns="urn:hl7-org:v3"><recordTarget><patientRole><addr><streetAddressLine>2 Open Road</streetAddressLine></addr><patient><name>Jane</name></patient></patientRole></recordTarget></ClinicalDocument>`},
		{"text/plain", `{"resourceType":"Patient","address":[{"line":["2 Open Road"]}],"telecom":[{"value":"01134960000"}]}`},
		{"x-application/hl7-v2+er7", "MSH|^~\\&|GP|A81001|HOSP|RHX|20260101||ADT^A08|1|P|2.4\rPID|||9434765919^^^NHS||Smith^Jane||19700101|F|||2 Open Road^^Leeds||01134960000\r"},
	}
	for i, d := range docs {
		id := "r23a-jane-doc-" + string(rune('a'+i))
		data := b64(d.data)
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current",
		 "type":{"text":"R23A-JANE-DOC"},"subject":{"reference":"Patient/jane"},"content":[{"attachment":{"contentType":"` + d.ct + `","data":"` + data + `"}}]}`})
		r := e.do("GET", "/fhir/DocumentReference/"+id, nurse, "")
		if r.status != 200 || !strings.Contains(r.body, data) {
			t.Errorf("%s: Jane's ordinary letter is not released whole to the nurse: %d %.300s", d.ct, r.status, r.body)
		}
	}
	// r21's own letter to her source: whole
	data := b64(r23aXML())
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/r23a-r21-own", `{"resourceType":"DocumentReference","id":"r23a-r21-own","status":"current",
	 "type":{"text":"R23A-OWN"},"subject":{"reference":"Patient/r21"},"content":[{"attachment":{"contentType":"application/fhir+xml","data":"` + data + `"}}]}`})
	if r := e.do("GET", "/fhir/DocumentReference/r23a-r21-own", e.token("gp", "nhs", "A81001"), ""); r.status != 200 || !strings.Contains(r.body, data) {
		t.Errorf("her source reads its own letter whole: %d %.300s", r.status, r.body)
	}
}

// TestReview23aSoundRestrictedNumberInAnotherPersonsV2: Jane's council
// letter carries r21's (restricted) PID segment with her NHS number
// written with spaces: masked for the nurse.
func TestReview23aSoundRestrictedNumberInAnotherPersonsV2(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seed21a(t, e, "")
	v2 := "MSH|^~\\&|GP|A81001|HOSP|RHX|20260101||ADT^A08|1|P|2.4\rPID|||999 000 0069^^^NHS||Doyle^Margaret||19620101|F|||" + secretAddr22a + "^^Leeds^^LS9 7TF||01134960999\r"
	data := base64.StdEncoding.EncodeToString([]byte(v2))
	e.putAll(t, e.token("system", "council", "E06000999"), [2]string{"/fhir/DocumentReference/r23a-jane-carer-v2", `{"resourceType":"DocumentReference","id":"r23a-jane-carer-v2","status":"current",
	  "meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},
	  "type":{"text":"R23A-CARER"},"subject":{"reference":"Patient/jane"},"content":[{"attachment":{"contentType":"x-application/hl7-v2+er7","data":"` + data + `"}}]}`})
	r := e.do("GET", "/fhir/DocumentReference/r23a-jane-carer-v2", nurse21a(e, "n23a-v2"), "")
	if r.status != 200 || !strings.Contains(r.body, "R23A-CARER") {
		t.Fatalf("premise: %d %.300s", r.status, r.body)
	}
	if strings.Contains(r.body, data) {
		t.Errorf("Jane's letter releases her restricted carer's PID segment whole")
	}
}

// --- writing back what was read -------------------------------------------

// TestReview23aSoundWriteBackOfRedactedPlacesRefused (sound: 403, only the
// source may change it): the nurse's client reads
// the restricted person's appointment (the Location reference goes out
// without its display) and the referral (the contained refuge without its
// address), then writes them back. Nothing marks what was taken out, so
// maskedWriteBack does not refuse; if the write is accepted, the display
// and the refuge's address are lost for everyone.
func TestReview23aSoundWriteBackOfRedactedPlacesRefused(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Appointment/r23a-wb-appt", `{"resourceType":"Appointment","id":"r23a-wb-appt","status":"booked","description":"R23A-WB",
	  "participant":[{"actor":{"reference":"Patient/r21"},"status":"accepted"},{"actor":{"reference":"Location/branch","display":"SECRET-BRANCH surgery"},"status":"accepted"}]}`})
	nurse := nurse21a(e, "n23a-wb")
	r := e.do("GET", "/fhir/Appointment/r23a-wb-appt", nurse, "")
	if r.status != 200 || strings.Contains(r.body, "SECRET-BRANCH") {
		t.Fatalf("premise: read redacted: %d %.300s", r.status, r.body)
	}
	w := e.do("PUT", "/fhir/Appointment/r23a-wb-appt", nurse, strings.Replace(r.body, "R23A-WB", "R23A-WB-2", 1))
	t.Logf("write back: %d %.300s", w.status, w.body)
	if w.status < 300 {
		g := e.do("GET", "/fhir/Appointment/r23a-wb-appt", e.token("gp", "nhs", "A81001"), "")
		if !strings.Contains(g.body, "SECRET-BRANCH") {
			t.Errorf("the nurse's write-back of the redacted appointment was accepted (%d) and lost the Location's display for its source: %.300s", w.status, g.body)
		}
	}
}

// --- the access log --------------------------------------------------------

// TestReview23aRefusedBundleAndPathVariantsNameThePerson: a batch (not a
// transaction) refused 415, a transaction refused 406 for the answer's
// format, and a 405 on one of Jane's items (not her Patient) are logged
// naming Jane, as the same requests refused otherwise are (README: "the
// item and person its path names").
func TestReview23aRefusedBundleAndPathVariantsNameThePerson(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	named := func(x []string, p string) bool { return contains22a(x, "jane") || p == "jane" }
	batch := `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Condition/diabetes"}},{"resource":{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"B23A"}},"request":{"method":"POST","url":"Condition"}}]}`
	tx := strings.Replace(batch, `"batch"`, `"transaction"`, 1)
	for _, c := range []struct {
		name, method, path, body string
		hdr                      []string
	}{
		{"batch 415", "POST", "/fhir", batch, []string{"Content-Type", "text/plain"}},
		{"transaction 415", "POST", "/fhir", tx, []string{"Content-Type", "text/plain"}},
		{"transaction 406", "POST", "/fhir?_format=xml", tx, nil},
		{"405 Condition", "PATCH", "/fhir/Condition/diabetes", `{"resourceType":"Condition","id":"diabetes"}`, nil},
		{"405 Condition history", "DELETE", "/fhir/Condition/diabetes/_history/1", "", nil},
		{"405 Condition history PUT", "PUT", "/fhir/Condition/diabetes/_history/1", `{"resourceType":"Condition","id":"diabetes"}`, nil},
		{"405 Condition POST", "POST", "/fhir/Condition/diabetes", `{"resourceType":"Condition","id":"diabetes"}`, nil},
	} {
		r, xs := e.review21cDo(t, "r23a-log-"+strings.ReplaceAll(c.name, " ", "-"), c.method, c.path, gp, c.body, c.hdr...)
		if len(xs) != 1 {
			t.Errorf("%s: %d entries", c.name, len(xs))
			continue
		}
		t.Logf("%s: %d op=%q type=%q id=%q patient=%q %v", c.name, r.status, xs[0].Operation, xs[0].Type, xs[0].ID, xs[0].Patient, xs[0].Patients)
		if r.status >= 400 && r.status < 500 && !named(xs[0].Patients, xs[0].Patient) {
			t.Errorf("%s: refused %d and logged naming %q %v, not Jane", c.name, r.status, xs[0].Patient, xs[0].Patients)
		}
	}
}

// --- search ---------------------------------------------------------------

// TestReview23aSoundBareIdentifierSearches: a bare NHS number with spaces or
// dashes finds Jane; a bare identifier that is not an NHS number (a local
// number with spaces) is matched as written and finds no one else.
func TestReview23aSoundBareIdentifierSearches(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	me := e.do("GET", "/fhir/Patient/jane", gp, "")
	if me.status != 200 {
		t.Fatalf("premise: %d", me.status)
	}
	t.Logf("jane: %.300s", me.body)
	for _, q := range []string{"identifier=" + url.QueryEscape("943 476 5919"), "identifier=9434765919", "identifier=" + url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|943 476 5919")} {
		r := e.do("GET", "/fhir/Patient?"+q, gp, "")
		t.Logf("Patient?%s: %d %d bytes, jane=%v", q, r.status, len(r.body), strings.Contains(r.body, `"id":"jane"`))
		if r.status != 200 || !strings.Contains(r.body, `"id":"jane"`) {
			t.Errorf("Patient?%s does not find Jane: %d %.300s", q, r.status, r.body)
		}
	}
	// Condition by a bare local number that happens to pass modulus 11 with spaces: matched as written, or its digits
	if r := e.do("GET", "/fhir/Condition?identifier="+url.QueryEscape("943 476 5919"), gp, ""); r.status != 200 {
		t.Errorf("Condition?identifier=bare NHS number with spaces: %d %.300s", r.status, r.body)
	}
}

// --- break-glass ------------------------------------------------------------

// TestReview23aSoundBreakGlassReasonOtherBlanks: reasons padded to the
// minimum length with other characters drawn as nothing — Hangul
// choseong/jungseong fillers, a variation selector supplement, a Mongolian
// free variation selector — are refused.
func TestReview23aSoundBreakGlassReasonOtherBlanks(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	clin := e.token("hospital-clinician", "nhs", "RZZ")
	for _, blank := range []string{"\u115f", "\u1160", "\uffa0", "\U000e0100", "\u180f", "\u034f"} {
		r := []rune(mustUnquote23a(t, blank))[0]
		reason := "EMERGENCY: x" + strings.Repeat(string(r), 12)
		resp := e.do("GET", "/fhir/Patient/jane/$everything", clin, "", "X-Break-Glass", reason)
		if resp.status == 200 {
			t.Errorf("reason padded with %s: opened the record: %d", blank, resp.status)
		}
	}
}

func mustUnquote23a(t *testing.T, s string) string {
	var out string
	if err := json.Unmarshal([]byte(`"`+s+`"`), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestReview23aRestrictedNumberWithDashesInAnotherPersonsItem: Jane's
// council letter carries r21's (restricted) PID segment with her NHS
// number written 999-000-0069. unreadPeople's nhsNumberLike finds
// "999-000-0069" (it allows dashes) but fhir.NormaliseNHSNumber takes out
// spaces only and refuses it, so the number is never asked about and her
// address and phone go out whole to the nurse.
func TestReview23aRestrictedNumberWithDashesInAnotherPersonsItem(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seed21a(t, e, "")
	for i, v2 := range []string{
		"MSH|^~\\&|GP|A81001|HOSP|RHX|20260101||ADT^A08|1|P|2.4\rPID|||999-000-0069^^^NHS||Doyle^Margaret||19620101|F|||" + secretAddr22a + "^^Leeds^^LS9 7TF||01134960999\r",
		`<Patient xmlns="http://hl7.org/fhir"><identifier><system value="https://fhir.nhs.uk/Id/nhs-number"/><value value="999-000-0069"/></identifier><address><line value="` + secretAddr22a + `"/></address></Patient>`,
	} {
		id := "r23a-jane-carer-dash-" + string(rune('a'+i))
		data := base64.StdEncoding.EncodeToString([]byte(v2))
		e.putAll(t, e.token("system", "council", "E06000999"), [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current",
		  "meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},
		  "type":{"text":"R23A-CARER"},"subject":{"reference":"Patient/jane"},"content":[{"attachment":{"data":"` + data + `"}}]}`})
		r := e.do("GET", "/fhir/DocumentReference/"+id, nurse21a(e, "n23a-dash"), "")
		if r.status != 200 || !strings.Contains(r.body, "R23A-CARER") {
			t.Fatalf("premise: %d %.300s", r.status, r.body)
		}
		if strings.Contains(r.body, data) {
			t.Errorf("%s: Jane's letter releases her restricted carer's demographics (NHS number 999-000-0069, address, phone) whole to the district nurse RCX", id)
		}
	}
}

// TestReview23aSoundCarriedCopyInBundleLinkedByIdentifier: Jane's care plan
// carries a Bundle whose entry is a Person copy of her restricted carer
// linking to her by NHS number identifier (or through a Patient linking by
// identifier): redacted.
func TestReview23aSoundCarriedCopyInBundleLinkedByIdentifier(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	seed21a(t, e, "")
	for i, copy := range []string{
		`{"resourceType":"Bundle","id":"carer","type":"collection","entry":[{"resource":{"resourceType":"Person","id":"p","link":[{"target":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000069"}}}],` + carerDemo22a + `}}]}`,
		`{"resourceType":"Bundle","id":"carer","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"p","link":[{"other":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"999 000 0069"}},"type":"seealso"}],` + carerDemo22a + `}}]}`,
	} {
		r := seedCarerPlan22a(t, e, "j23a-bundle-"+string(rune('a'+i)), copy)
		if leaks22a(r.body) {
			t.Errorf("case %d: Jane's care plan releases her restricted carer's address and phone (a copy in a carried Bundle linking by identifier): …%s…", i, around21a(r.body, "SECRET-ADDR"))
		}
	}
}
