package api_test

// Review 66a: re-read of 0096bd0 (review 65a fixes), regressions only.
// Differential runs against c3a41e9 noted per probe.

import (
	"fmt"
	"strings"
	"testing"
)

const r66aHIV = `{"system":"http://snomed.info/sct","code":"86406008","display":"Human immunodeficiency virus infection"}`

const r66aHIVCond = `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[` + r66aHIV + `]}}`

const r66aHIVXMLBody = `<subject><reference value="Patient/jane"/></subject><code><coding><system value="http://snomed.info/sct"/><code value="86406008"/></coding></code>`

func r66aComm(id, s string) string {
	return `{"resourceType":"Communication","id":"` + id + `","status":"completed","subject":{"reference":"Patient/jane"},"payload":[{"contentString":"R66A-` + id + `"},{"contentString":` + r66aQuote(s) + `}]}`
}

func r66aQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range s {
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\ufeff':
			b.WriteString(`\ufeff`)
		default:
			b.WriteRune(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func r66aSnip(body, at string) string {
	if i := strings.Index(body, at); i >= 0 {
		return body[max(0, i-160):min(len(body), i+len(at)+160)]
	}
	return body[:min(len(body), 300)]
}

func r66aStrings(t *testing.T, cases map[string]string, want int) {
	t.Helper()
	e := newEnv(t)
	seedShared(t, e)
	nurseSys := e.token("system", "nhs", "RCX")
	for id, s := range cases {
		if r := e.do("PUT", "/fhir/Communication/"+id, nurseSys, r66aComm(id, s)); r.status != 200 && r.status != 201 {
			t.Fatalf("PUT %s: %d %.300s", id, r.status, r.body)
		}
	}
	// control: an uncoded message is released to the hospital
	ctl := "r66a-ctl"
	if r := e.do("PUT", "/fhir/Communication/"+ctl, nurseSys, r66aComm(ctl, "Seen today, well.")); r.status != 201 && r.status != 200 {
		t.Fatalf("PUT control: %d", r.status)
	}
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Communication/"+ctl, hosp, ""); r.status != 200 {
		t.Fatalf("control not released to the hospital: %d", r.status)
	}
	for id, s := range cases {
		if r := e.do("GET", "/fhir/Communication/"+id, hosp, ""); r.status != want {
			t.Errorf("%s: hospital-clinician RHX GET Communication/%s: %d, want %d (contentString %.70q) %s", id, id, r.status, want, s, r66aSnip(r.body, "86406008"))
		}
	}
}

// --- (1) structuredPayloads ---------------------------------------------

// TestReview66aStringResourceRepeatedKey: Jane's HIV Condition as FHIR JSON
// in a contentString whose "code" key is repeated (HIV first, a harmless
// text second). Every other route reads a repeated key both ways
// (firstKeptDocs, review 31a); structuredPayloads unmarshals the resource
// (last value kept) and marshals it again, so the HIV coding is gone
// before it is read. c3a41e9 passed the string as it was: withheld.
func TestReview66aStringResourceRepeatedKey(t *testing.T) {
	r66aStrings(t, map[string]string{
		"r66a-dup":       `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[` + r66aHIV + `]},"code":{"text":"chest infection"}}`,
		"r66a-dup-inner": `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[` + r66aHIV + `]},"code":{"text":"chest infection"}}}]}`,
	}, 404)
}

// TestReview66aStringXMLDoctype: FHIR XML with a document type declaration
// (or a prefixed FHIR namespace, or white space around xmlns's "=", all
// well-formed XML in FHIR's namespace): fhirXMLRoot skips only <?…?> and
// comments and matches xmlns="…" literally, so the string is not read.
// c3a41e9 read any XML naming FHIR's namespace: withheld.
func TestReview66aStringXMLDoctypeOrPrefix(t *testing.T) {
	r66aStrings(t, map[string]string{
		"r66a-doctype": `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<!DOCTYPE Condition>` + "\n" + `<Condition xmlns="http://hl7.org/fhir">` + r66aHIVXMLBody + `</Condition>`,
		"r66a-prefix":  `<f:Condition xmlns:f="http://hl7.org/fhir"><f:subject><f:reference value="Patient/jane"/></f:subject><f:code><f:coding><f:system value="http://snomed.info/sct"/><f:code value="86406008"/></f:coding></f:code></f:Condition>`,
		"r66a-spaceeq": `<Condition xmlns = "http://hl7.org/fhir">` + r66aHIVXMLBody + `</Condition>`,
	}, 404)
}

// TestReview66aStringPrettyConcatenated: two resources one after the
// other, the first on one line (a header), the HIV Condition pretty-printed
// over several lines. No line after the first is JSON alone, so only the
// header is read. c3a41e9 read the whole string once any line held a
// resource: withheld.
func TestReview66aStringPrettyConcatenated(t *testing.T) {
	r66aStrings(t, map[string]string{
		"r66a-pretty": `{"resourceType":"MessageHeader","eventCoding":{"code":"result"}}` + "\n{\n  \"resourceType\": \"Condition\",\n  \"subject\": {\"reference\": \"Patient/jane\"},\n  \"code\": {\"coding\": [" + r66aHIV + "]}\n}\n",
	}, 404)
}

// TestReview66aSoundStringForms: the forms the brief lists are read
// (withheld from the hospital): a Bundle with entries, NDJSON, after a
// BOM, XML after a processing instruction and a comment, the namespace in
// single quotes, a root Bundle in FHIR's namespace, a resource whose codes
// are in a contained resource, \u escapes in keys and values, a resource
// inside a Parameters inside a list.
func TestReview66aSoundStringForms(t *testing.T) {
	r66aStrings(t, map[string]string{
		"r66a-bundle":  `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Observation","status":"final","code":{"text":"t"}}},{"resource":` + r66aHIVCond + `}]}`,
		"r66a-ndjson":  `{"resourceType":"Observation","status":"final","code":{"text":"t"}}` + "\n" + r66aHIVCond + "\n",
		"r66a-bom":     "\ufeff  " + r66aHIVCond,
		"r66a-pi":      `<?xml version="1.0" encoding="UTF-8"?><!-- from lab --><Condition xmlns="http://hl7.org/fhir">` + r66aHIVXMLBody + `</Condition>`,
		"r66a-squote":  `<Condition xmlns='http://hl7.org/fhir'>` + r66aHIVXMLBody + `</Condition>`,
		"r66a-xbundle": `<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/><entry><resource><Condition>` + r66aHIVXMLBody + `</Condition></resource></entry></Bundle>`,
		"r66a-contain": `{"resourceType":"Observation","status":"final","code":{"text":"see"},"contained":[` + strings.Replace(r66aHIVCond, `"resourceType":"Condition"`, `"resourceType":"Condition","id":"c1"`, 1) + `],"focus":[{"reference":"#c1"}]}`,
		"r66a-uesc":    `{"resourc\u0065Type":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http:\/\/snomed.info\/sct","code":"\u0038\u0036406008"}]}}`,
		"r66a-params":  `[{"hdr":1},{"resourceType":"Parameters","parameter":[{"name":"r","resource":` + r66aHIVCond + `}]}]`,
	}, 404)
}

// --- (2) withoutOffers ----------------------------------------------------

func r66aPut(t *testing.T, e *env, tok, path, body string) {
	t.Helper()
	if r := e.do("PUT", path, tok, body); r.status != 200 && r.status != 201 {
		t.Fatalf("PUT %s: %d %.400s", path, r.status, r.body)
	}
}

func r66aForm(id, q, items string) string {
	return `{"resourceType":"QuestionnaireResponse","id":"` + id + `","status":"completed","questionnaire":"` + q + `","subject":{"reference":"Patient/jane"},"authored":"2026-01-02","item":` + items + `}`
}

// TestReview66aSoundFormQuestionnaireOwnCodes: a yes/no form answering a
// Questionnaire coded HIV in its own code, in an item's code, in an item's
// extension, in a nested item's code under a group with answerValueSet and
// enableWhen, is still withheld from the hospital; the same form answering
// an uncoded questionnaire is released (control).
func TestReview66aSoundFormQuestionnaireOwnCodes(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	qs := map[string]string{
		"r66a-qcode": `{"resourceType":"Questionnaire","id":"r66a-qcode","status":"active","code":[` + r66aHIV + `],"item":[{"linkId":"1","text":"Taking medicines daily?","type":"boolean"}]}`,
		"r66a-icode": `{"resourceType":"Questionnaire","id":"r66a-icode","status":"active","item":[{"linkId":"1","text":"Taking medicines daily?","type":"boolean","code":[` + r66aHIV + `]}]}`,
		"r66a-iext":  `{"resourceType":"Questionnaire","id":"r66a-iext","status":"active","item":[{"linkId":"1","text":"Taking medicines daily?","type":"boolean","extension":[{"url":"https://gp.example/fhir/StructureDefinition/topic","valueCoding":` + r66aHIV + `}]}]}`,
		"r66a-nest":  `{"resourceType":"Questionnaire","id":"r66a-nest","status":"active","contained":[{"resourceType":"ValueSet","id":"yn","status":"active"}],"item":[{"linkId":"g","type":"group","text":"Clinic","item":[{"linkId":"0","type":"choice","answerValueSet":"#yn"},{"linkId":"1","text":"Taking medicines daily?","type":"boolean","code":[` + r66aHIV + `],"enableWhen":[{"question":"0","operator":"exists","answerBoolean":true}]}]}]}`,
		"r66a-plain": `{"resourceType":"Questionnaire","id":"r66a-plain","status":"active","item":[{"linkId":"1","text":"Taking medicines daily?","type":"boolean"}]}`,
	}
	for id, q := range qs {
		r66aPut(t, e, gp, "/fhir/Questionnaire/"+id, q)
		r66aPut(t, e, gp, "/fhir/QuestionnaireResponse/"+id+"-jane", r66aForm(id+"-jane", "Questionnaire/"+id, `[{"linkId":"1","answer":[{"valueBoolean":true}]}]`))
	}
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for id := range qs {
		want := 404
		if id == "r66a-plain" {
			want = 200
		}
		if r := e.do("GET", "/fhir/QuestionnaireResponse/"+id+"-jane", hosp, ""); r.status != want {
			t.Errorf("%s: hospital GET of Jane's form: %d, want %d", id, r.status, want)
		}
	}
}

// --- (3) definitionCodes caps -----------------------------------------------

// TestReview66aSoundFormHIVQuestionnaireAfter300Names: a care plan naming
// 300 harmless definitions stored nowhere, then an HIV-coded Questionnaire
// (and one with 300 stored harmless ActivityDefinitions first: past 256
// found it is R) is withheld from the hospital; a QuestionnaireResponse
// whose contained care plan names 300 names then answers the HIV
// questionnaire likewise.
func TestReview66aSoundFormHIVQuestionnaireAfter300Names(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	r66aPut(t, e, gp, "/fhir/Questionnaire/r66a-hivq", `{"resourceType":"Questionnaire","id":"r66a-hivq","url":"https://gp.example/fhir/Questionnaire/r66a-hivq","status":"active","item":[{"linkId":"1","text":"Taking medicines daily?","type":"boolean","code":[`+r66aHIV+`]}]}`)
	var missing, stored []string
	for i := 0; i < 300; i++ {
		missing = append(missing, fmt.Sprintf(`"https://national.example/fhir/ActivityDefinition/step%03d"`, i))
	}
	for i := 0; i < 300; i++ {
		id := fmt.Sprintf("r66a-ad%03d", i)
		r66aPut(t, e, gp, "/fhir/ActivityDefinition/"+id, `{"resourceType":"ActivityDefinition","id":"`+id+`","status":"active","title":"step"}`)
		stored = append(stored, `"ActivityDefinition/`+id+`"`)
	}
	r66aPut(t, e, gp, "/fhir/CarePlan/r66a-cp-miss", `{"resourceType":"CarePlan","id":"r66a-cp-miss","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"instantiatesCanonical":[`+strings.Join(missing, ",")+`,"https://gp.example/fhir/Questionnaire/r66a-hivq"]}`)
	r66aPut(t, e, gp, "/fhir/CarePlan/r66a-cp-stored", `{"resourceType":"CarePlan","id":"r66a-cp-stored","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"instantiatesCanonical":[`+strings.Join(stored, ",")+`,"Questionnaire/r66a-hivq"]}`)
	r66aPut(t, e, gp, "/fhir/QuestionnaireResponse/r66a-qr300", `{"resourceType":"QuestionnaireResponse","id":"r66a-qr300","status":"completed","subject":{"reference":"Patient/jane"},"authored":"2026-01-02",`+
		`"contained":[{"resourceType":"CarePlan","id":"p","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"instantiatesCanonical":[`+strings.Join(missing, ",")+`]}],"basedOn":[{"reference":"#p"}],`+
		`"questionnaire":"https://gp.example/fhir/Questionnaire/r66a-hivq","item":[{"linkId":"1","answer":[{"valueBoolean":true}]}]}`)
	r66aPut(t, e, gp, "/fhir/CarePlan/r66a-cp-ctl", `{"resourceType":"CarePlan","id":"r66a-cp-ctl","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"instantiatesCanonical":[`+strings.Join(missing, ",")+`]}`)
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/CarePlan/r66a-cp-ctl", hosp, ""); r.status != 200 {
		t.Fatalf("control care plan of 300 unstored names: %d", r.status)
	}
	for _, p := range []string{"CarePlan/r66a-cp-miss", "CarePlan/r66a-cp-stored", "QuestionnaireResponse/r66a-qr300"} {
		if r := e.do("GET", "/fhir/"+p, hosp, ""); r.status != 404 {
			t.Errorf("%s: reached the hospital: %d %s", p, r.status, r66aSnip(r.body, "r66a-hivq"))
		}
	}
}
