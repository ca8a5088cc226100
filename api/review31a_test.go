package api_test

// Review 31a: a fresh reading of attached-JSON recovery (attachedDocs,
// fhirAttachments, inlineAttachments, attachedFirstKept) and of
// maskUnreadPeople. SPEC §5: labelled data "is released only to its source
// organisation, or where the person has explicitly permitted it"; "A
// patient whose demographics are marked restricted ... never has address,
// telephone or GP released outside the source organisation".
//
// Setup: seedShared (Jane; the hospital RHX has a relationship through its
// admission) and seed21a (r21, restricted, at A81001). Letters are written
// by the GP A81001 (helper r26aLetter: the hospital clinician's read
// status, -1 when refused on write, which leaks nothing either).

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// r31aCond is Jane's HIV diagnosis (SNOMED 86406008), unlabelled.
const r31aCond = `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"ATT-HIV"}}`

// r31aDupCond: the HIV code first, a benign one repeating "code" last
// (encoding/json keeps the last; a reader keeping the first sees HIV).
const r31aDupCond = `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"ATT-HIV"},"code":{"text":"follow-up"}}`

const r31aObs = `{"resourceType":"Observation","status":"final","code":{"text":"BP"}}`

func b64r31a(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func r31aPretty(s string) string {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		panic(err)
	}
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// r31aDocRef is a DocumentReference (as FHIR JSON) whose attachment is att.
func r31aDocRef(att string) string {
	return `{"resourceType":"DocumentReference","status":"current","subject":{"reference":"Patient/jane"},"content":[{"attachment":` + att + `}]}`
}

func r31aCheck404(t *testing.T, e *env, cases []struct{ name, att, extra string }) {
	t.Helper()
	for _, c := range cases {
		id := "r31a-" + c.name
		if st := r26aLetter(t, e, id, c.att, c.extra); st != 404 && st != -1 {
			w := e.do("GET", "/fhir/DocumentReference/"+id, e.token("hospital-clinician", "nhs", "RHX"), "")
			t.Errorf("%s: the hospital clinician RHX reads the GP's letter carrying Jane's HIV diagnosis: %d %.200s", c.name, st, w.body)
		}
	}
}

// TestReview31aHIVInlineInsideAttachedDoc: the GP's letter carries, as
// application/fhir+json, a document whose own attachment gives Jane's HIV
// diagnosis as a data: url, or whose extension gives it as
// valueBase64Binary. fhirAttachments follows a document inside a document
// only through "data"; inlineAttachments reads only the letter itself.
func TestReview31aHIVInlineInsideAttachedDoc(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	inner := r31aDocRef(`{"contentType":"text/plain","url":"data:application/fhir+json;base64,` + b64r31a(r31aCond) + `"}`)
	ext := `{"resourceType":"Basic","code":{"text":"x"},"extension":[{"url":"https://example.org/x","valueBase64Binary":"` + b64r31a(r31aCond) + `"}]}`
	r31aCheck404(t, e, []struct{ name, att, extra string }{
		{"dataurl-in-doc", `{"contentType":"application/fhir+json","data":"` + b64r31a(inner) + `"}`, ""},
		{"b64ext-in-doc", `{"contentType":"application/fhir+json","data":"` + b64r31a(ext) + `"}`, ""},
	})
}

// TestReview31aHIVAttachedDocInsideInline: the reverse: a data: url (or a
// valueBase64Binary) carries a DocumentReference whose attachment data is
// Jane's HIV diagnosis. The documents inlineAttachments finds are read by
// attachedDocs alone, not walked for the attachments inside them.
func TestReview31aHIVAttachedDocInsideInline(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	inner := r31aDocRef(`{"contentType":"application/fhir+json","data":"` + b64r31a(r31aCond) + `"}`)
	r31aCheck404(t, e, []struct{ name, att, extra string }{
		{"doc-in-dataurl", `{"contentType":"text/plain","url":"data:application/fhir+json;base64,` + b64r31a(inner) + `"}`, ""},
		{"doc-in-b64ext", `{"contentType":"text/plain","data":"` + b64r31a("letter") + `"}`,
			`,"extension":[{"url":"https://example.org/x","valueBase64Binary":"` + b64r31a(inner) + `"}]`},
	})
}

// TestReview31aHIVRepeatedKeyOutOfFirstKeptReach: the Condition repeating
// "code" (HIV first) where attachedFirstKept does not look: in a document
// inside the attached document, in a second pretty-printed document, in
// NDJSON ending lines with CR alone, second on a line, and pretty-printed
// after a broken line. attachedDocs reads each (last "code" wins, benign).
func TestReview31aHIVRepeatedKeyOutOfFirstKeptReach(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nested := r31aDocRef(`{"contentType":"application/fhir+json","data":"` + b64r31a(r31aDupCond) + `"}`)
	// r31aPretty would drop the repeated key: write the pretty form by hand
	prettyDup := "{\n  \"resourceType\": \"Condition\",\n  \"subject\": {\"reference\": \"Patient/jane\"},\n  \"code\": {\"coding\": [{\"system\": \"http://snomed.info/sct\", \"code\": \"86406008\"}], \"text\": \"ATT-HIV\"},\n  \"code\": {\"text\": \"follow-up\"}\n}"
	nd := func(s string) string { return `{"contentType":"application/fhir+ndjson","data":"` + b64r31a(s) + `"}` }
	r31aCheck404(t, e, []struct{ name, att, extra string }{
		{"dup-nested", `{"contentType":"application/fhir+json","data":"` + b64r31a(nested) + `"}`, ""},
		{"dup-two-pretty", `{"contentType":"application/fhir+json","data":"` + b64r31a(r31aPretty(r31aObs)+"\n"+prettyDup+"\n") + `"}`, ""},
		{"dup-cr-lines", nd(r31aObs + "\r" + r31aDupCond + "\r"), ""},
		{"dup-second-on-line", nd(r31aObs + " " + r31aDupCond + "\n"), ""},
		{"dup-pretty-after-broken", nd("{bad\n" + prettyDup + "\n"), ""},
	})
}

// TestReview31aHIVAfterBadValueOnFirstLine: the first value of the data
// does not decode; attachedDocs then reads from the next line on, so a
// value after the bad one on the first line (or on the only line) is never
// read. Review 25a fixed the same shape on a later line.
func TestReview31aHIVAfterBadValueOnFirstLine(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nd := func(s string) string { return `{"contentType":"application/fhir+ndjson","data":"` + b64r31a(s) + `"}` }
	r31aCheck404(t, e, []struct{ name, att, extra string }{
		{"first-line-bad-then-hiv", nd(`{"resourceType":"Observation","status":oops} ` + r31aCond + "\n" + r31aObs + "\n"), ""},
		{"only-line-bad-then-hiv", nd(`{"resourceType":"Observation","valueQuantity":{"value":NaN}} ` + r31aCond), ""},
		{"good-then-bad-then-hiv-one-line", nd(r31aObs + ` {"a":oops} ` + r31aCond), ""},
	})
}

// TestReview31aHIVDataURLInValueUri: a data: url in an extension's
// valueUri or valueUrl (a uri, as Attachment.url is): inlineAttachments
// reads only a "url" key.
func TestReview31aHIVDataURLInValueUri(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	plain := `{"contentType":"text/plain","data":"` + b64r31a("letter") + `"}`
	u := "data:application/fhir+json;base64," + b64r31a(r31aCond)
	r31aCheck404(t, e, []struct{ name, att, extra string }{
		{"valueuri", plain, `,"extension":[{"url":"https://example.org/x","valueUri":"` + u + `"}]`},
		{"valueurl", plain, `,"extension":[{"url":"https://example.org/x","valueUrl":"` + u + `"}]`},
	})
}

// TestReview31aHIVOtherEncodings: FHIR JSON whose content type names its
// charset (UTF-16 without a byte order mark), and UTF-32 with one.
func TestReview31aHIVOtherEncodings(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	var u32 []byte
	for _, c := range []byte(r31aCond) {
		u32 = append(u32, c, 0, 0, 0)
	}
	r31aCheck404(t, e, []struct{ name, att, extra string }{
		{"utf16le-charset-nobom", `{"contentType":"application/fhir+json; charset=utf-16le","data":"` + b64r31a(r24aUTF16LE(r31aCond)) + `"}`, ""},
		{"utf16-charset-nobom", `{"contentType":"application/fhir+json; charset=UTF-16","data":"` + b64r31a(r24aUTF16LE(r31aCond)) + `"}`, ""},
		{"utf32le-bom", `{"contentType":"application/fhir+json","data":"` + b64r31a("\xff\xfe\x00\x00"+string(u32)) + `"}`, ""},
	})
}

// TestReview31aHIVCodeAsNumber: the attached Condition gives its code as a
// JSON number (not FHIR, as a broken line is not; carex reads attached
// JSON leniently). otherCodings takes only string codes.
func TestReview31aHIVCodeAsNumber(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	c := strings.Replace(r31aCond, `"code":"86406008"`, `"code":86406008`, 1)
	r31aCheck404(t, e, []struct{ name, att, extra string }{
		{"code-number", `{"contentType":"application/fhir+json","data":"` + b64r31a(c) + `"}`, ""},
	})
}

// TestReview31aSoundHIVPlaces: places and wrappers read as they should be
// (404): Parameters, List-contained, Bundle-in-Bundle, resourceType left
// out, a UTF-8 BOM, charset parameter, base64url unpadded with spaces,
// escaped quotes and brackets in strings, a nested attachment in an
// attached document (data), the Questionnaire answer's valueAttachment, a
// Communication payload, a Media content (written as DocumentReference
// extension valueAttachment).
func TestReview31aSoundHIVPlaces(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	js := func(s string) string { return `{"contentType":"application/fhir+json","data":"` + b64r31a(s) + `"}` }
	noRT := strings.Replace(r31aCond, `"resourceType":"Condition",`, ``, 1)
	esc := strings.Replace(r31aCond, `"text":"ATT-HIV"`, `"text":"a \"}]{[ \\\" b"`, 1)
	u := strings.TrimRight(base64.URLEncoding.EncodeToString([]byte(r31aCond)), "=")
	u = u[:20] + " \n" + u[20:]
	r31aCheck404(t, e, []struct{ name, att, extra string }{
		{"s-parameters", js(`{"resourceType":"Parameters","parameter":[{"name":"x","resource":` + r31aCond + `}]}`), ""},
		{"s-list-contained", js(`{"resourceType":"List","status":"current","mode":"snapshot","contained":[` + strings.Replace(r31aCond, `{"resourceType":"Condition",`, `{"resourceType":"Condition","id":"c",`, 1) + `],"entry":[{"item":{"reference":"#c"}}]}`), ""},
		{"s-bundle-bundle", js(`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Bundle","type":"collection","entry":[{"resource":` + r31aCond + `}]}}]}`), ""},
		{"s-no-resourcetype", js(noRT), ""},
		{"s-bom", js("\xef\xbb\xbf" + r31aCond), ""},
		{"s-charset", `{"contentType":"application/fhir+json; charset=utf-8; fhirVersion=4.0","data":"` + b64r31a(r31aCond) + `"}`, ""},
		{"s-b64url-spaces", `{"contentType":"application/fhir+json","data":"` + strings.ReplaceAll(u, "\n", `\n`) + `"}`, ""},
		{"s-escaped", js(esc), ""},
		{"s-nested-data", js(r31aDocRef(js(r31aCond))), ""},
		{"s-nested-3", js(r31aDocRef(js(r31aDocRef(js(r31aCond))))), ""},
		{"s-qr-valueattachment", js(`{"resourceType":"QuestionnaireResponse","status":"completed","subject":{"reference":"Patient/jane"},"item":[{"linkId":"1","answer":[{"valueAttachment":` + js(r31aCond) + `}]}]}`), ""},
		{"s-communication", js(`{"resourceType":"Communication","status":"completed","subject":{"reference":"Patient/jane"},"payload":[{"contentAttachment":` + js(r31aCond) + `}]}`), ""},
		{"s-media", `{"contentType":"text/plain","data":"` + b64r31a("x") + `"}`, `,"extension":[{"url":"https://example.org/m","valueAttachment":` + js(r31aCond) + `}]`},
		{"s-nocontenttype-array", `{"data":"` + b64r31a("["+r31aCond+"]") + `"}`, ""},
		{"s-dup-top", js(r31aDupCond), ""},
		{"s-dup-ndjson", `{"contentType":"application/fhir+ndjson","data":"` + b64r31a(r31aObs+"\n"+r31aDupCond+"\n") + `"}`, ""},
	})
}

// r31aLinkedCopy is a copy of r21 (restricted) with her address and phone,
// saying whose it is by a link to her Patient alone (no NHS number).
const r31aLinkedCopy = `{"resourceType":"Person","link":[{"target":{"reference":"Patient/r21"}}],` + carerDemo22a + `}`

// r31aJaneLetter writes the GP's letter about Jane with att and extra,
// and returns the hospital clinician's (RHX) read.
func r31aJaneLetter(t *testing.T, e *env, id, att, extra string) resp {
	t.Helper()
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},
		"type":{"text":"R31A-LETTER"},"content":[{"attachment":` + att + `}]` + extra + `}`})
	r := e.do("GET", "/fhir/DocumentReference/"+id, e.token("hospital-clinician", "nhs", "RHX"), "")
	if r.status != 200 || !strings.Contains(r.body, "R31A-LETTER") {
		t.Fatalf("premise %s: %d %.300s", id, r.status, r.body)
	}
	return r
}

// r31aLeaks reports whether body gives r21's address or phone, in clear
// or in any base64 data it carries (decoded recursively).
func r31aLeaks(body string) bool {
	if leaks22a(body) {
		return true
	}
	var v any
	if json.Unmarshal([]byte(body), &v) != nil {
		return false
	}
	found := false
	var walk func(any, int)
	walk = func(x any, depth int) {
		if found || depth > 6 {
			return
		}
		switch y := x.(type) {
		case map[string]any:
			for _, z := range y {
				walk(z, depth)
			}
		case []any:
			for _, z := range y {
				walk(z, depth)
			}
		case string:
			s := y
			if i := strings.Index(s, "base64,"); strings.HasPrefix(strings.ToLower(s), "data:") && i >= 0 {
				s = s[i+7:]
			}
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding} {
				if b, err := enc.DecodeString(s); err == nil && len(b) > 0 {
					if leaks22a(string(b)) {
						found = true
						return
					}
					var w any
					if json.Unmarshal(b, &w) == nil {
						walk(w, depth+1)
					}
				}
			}
		}
	}
	walk(v, 0)
	return found
}

// TestReview31aAnotherPersonsItemCarriesHerLinkedCopyInline: Jane's letter
// carries a copy of her restricted carer r21 that names her by a link to
// her Patient alone, as FHIR JSON in a data: url, a valueBase64Binary, a
// JSON array in the attachment's data, or a data: url inside an attached
// document. In an attachment's data as one resource it is redacted (sound,
// below); in these places maskUnreadPeople looks only for NHS numbers, and
// redactAttachedPeople reads neither data: urls, base64 values nor arrays:
// the hospital clinician gets her address and phone.
func TestReview31aAnotherPersonsItemCarriesHerLinkedCopyInline(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seed21a(t, e, "")
	plain := `{"contentType":"text/plain","data":"` + b64r31a("letter") + `"}`
	for _, c := range []struct{ id, att, extra string }{
		{"r31a-linked-dataurl", `{"contentType":"text/plain","url":"data:application/fhir+json;base64,` + b64r31a(r31aLinkedCopy) + `"}`, ""},
		{"r31a-linked-b64ext", plain, `,"extension":[{"url":"https://example.org/x","valueBase64Binary":"` + b64r31a(r31aLinkedCopy) + `"}]`},
		{"r31a-linked-array", `{"contentType":"application/fhir+json","data":"` + b64r31a("["+r31aLinkedCopy+"]") + `"}`, ""},
		{"r31a-linked-dataurl-in-doc", `{"contentType":"application/fhir+json","data":"` + b64r31a(r31aDocRef(`{"contentType":"text/plain","url":"data:application/fhir+json;base64,`+b64r31a(r31aLinkedCopy)+`"}`)) + `"}`, ""},
	} {
		r := r31aJaneLetter(t, e, c.id, c.att, c.extra)
		if r31aLeaks(r.body) {
			t.Errorf("%s: Jane's letter releases her restricted carer r21's address and phone (a copy linked to Patient/r21) to the hospital clinician RHX: %.300s", c.id, r.body)
		}
	}
}

// TestReview31aSoundAnotherPersonsItemCarriesHerCopyRedacted: the same copy
// in an attachment's data (one resource, NDJSON, a Bundle), and a copy
// carrying her NHS number in a data: url or a valueBase64Binary: redacted
// or masked.
func TestReview31aSoundAnotherPersonsItemCarriesHerCopyRedacted(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seed21a(t, e, "")
	withNumber := `{"resourceType":"Person","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000069"}],` + carerDemo22a + `}`
	plain := `{"contentType":"text/plain","data":"` + b64r31a("letter") + `"}`
	for _, c := range []struct{ id, att, extra string }{
		{"r31a-s-linked-data", `{"contentType":"application/fhir+json","data":"` + b64r31a(r31aLinkedCopy) + `"}`, ""},
		{"r31a-s-linked-ndjson", `{"contentType":"application/fhir+ndjson","data":"` + b64r31a(r31aObs+"\n"+r31aLinkedCopy+"\n") + `"}`, ""},
		{"r31a-s-linked-bundle", `{"contentType":"application/fhir+json","data":"` + b64r31a(`{"resourceType":"Bundle","type":"collection","entry":[{"resource":`+r31aLinkedCopy+`}]}`) + `"}`, ""},
		{"r31a-s-number-dataurl", `{"contentType":"text/plain","url":"data:application/fhir+json;base64,` + b64r31a(withNumber) + `"}`, ""},
		{"r31a-s-number-b64ext", plain, `,"extension":[{"url":"https://example.org/x","valueBase64Binary":"` + b64r31a(withNumber) + `"}]`},
		{"r31a-s-linked-nested-data", `{"contentType":"application/fhir+json","data":"` + b64r31a(r31aDocRef(`{"contentType":"application/fhir+json","data":"`+b64r31a(r31aLinkedCopy)+`"}`)) + `"}`, ""},
	} {
		r := r31aJaneLetter(t, e, c.id, c.att, c.extra)
		if r31aLeaks(r.body) {
			t.Errorf("%s: Jane's letter releases her restricted carer r21's address and phone to the hospital clinician RHX: %.300s", c.id, r.body)
		}
	}
}

// r31aHerPatient is r21's Patient as FHIR JSON (address, phone, GP).
const r31aHerPatient = `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000069"}],"name":[{"family":"Doyle"}],` +
	`"address":[{"line":["` + secretAddr22a + `"],"postalCode":"LS9 7TF"}],"telecom":[{"system":"phone","value":"01134960999"}],` +
	`"generalPractitioner":[{"reference":"Organization/A81001","display":"SECRET-PRACTICE"}]}`

// r31aHerLetter writes the GP's letter about r21 and returns the hospital
// clinician's (RHX, in her care team: r24aHospTeam) read.
func r31aHerLetter(t *testing.T, e *env, id, att, extra string) resp {
	t.Helper()
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/r21"},
		"type":{"text":"R31A-HER-LETTER"},"content":[{"attachment":` + att + `}]` + extra + `}`})
	r := e.do("GET", "/fhir/DocumentReference/"+id, e.token("hospital-clinician", "nhs", "RHX"), "")
	if r.status != 200 || !strings.Contains(r.body, "R31A-HER-LETTER") {
		t.Fatalf("premise %s: %d %.300s", id, r.status, r.body)
	}
	return r
}

// TestReview31aHerPatientInDataURLOtherKey: in her own letter, her Patient
// as FHIR JSON in a data: url given as an extension's valueUri or valueUrl
// (maskUnreadPeople reads a "url" key only): the hospital clinician RHX gets her
// address, phone and GP.
func TestReview31aHerPatientInDataURLOtherKey(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	r24aHospTeam(t, e)
	plain := `{"contentType":"text/plain","data":"` + b64r31a("letter") + `"}`
	u := "data:application/fhir+json;base64," + b64r31a(r31aHerPatient)
	for _, c := range []struct{ id, extra string }{
		{"r31a-her-valueuri", `,"extension":[{"url":"https://example.org/x","valueUri":"` + u + `"}]`},
		{"r31a-her-valueurl", `,"extension":[{"url":"https://example.org/x","valueUrl":"` + u + `"}]`},
	} {
		r := r31aHerLetter(t, e, c.id, plain, c.extra)
		if r31aLeaks(r.body) || strings.Contains(r.body, u) {
			t.Errorf("%s: her letter releases her Patient (address, phone, GP) in a data: url to the hospital clinician RHX: %.300s", c.id, r.body)
		}
	}
}

// TestReview31aSoundHerPatientInAttachmentsRedacted: her Patient in her own
// letter: attachment data (redacted), a data: url (masked), a
// valueBase64Binary, a data: url inside an attached document, a BOM and
// UTF-16: none gives her address or phone.
func TestReview31aSoundHerPatientInAttachmentsRedacted(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	r24aHospTeam(t, e)
	plain := `{"contentType":"text/plain","data":"` + b64r31a("letter") + `"}`
	for _, c := range []struct{ id, att, extra string }{
		{"r31a-her-s-data", `{"contentType":"application/fhir+json","data":"` + b64r31a(r31aHerPatient) + `"}`, ""},
		{"r31a-her-s-dataurl", `{"contentType":"text/plain","url":"data:application/fhir+json;base64,` + b64r31a(r31aHerPatient) + `"}`, ""},
		{"r31a-her-s-b64ext", plain, `,"extension":[{"url":"https://example.org/x","valueBase64Binary":"` + b64r31a(r31aHerPatient) + `"}]`},
		{"r31a-her-s-url-in-doc", `{"contentType":"application/fhir+json","data":"` + b64r31a(`{"resourceType":"DocumentReference","status":"current","content":[{"attachment":{"url":"data:application/fhir+json;base64,`+b64r31a(r31aHerPatient)+`"}}]}`) + `"}`, ""},
		{"r31a-her-s-bom", `{"contentType":"application/fhir+json","data":"` + b64r31a("\xef\xbb\xbf"+r31aHerPatient) + `"}`, ""},
		{"r31a-her-s-utf16", `{"contentType":"application/fhir+json","data":"` + b64r31a("\xff\xfe"+r24aUTF16LE(r31aHerPatient)) + `"}`, ""},
		{"r31a-her-s-utf16-nobom-charset", `{"contentType":"application/fhir+json; charset=utf-16le","data":"` + b64r31a(r24aUTF16LE(r31aHerPatient)) + `"}`, ""},
	} {
		r := r31aHerLetter(t, e, c.id, c.att, c.extra)
		if r31aLeaks(r.body) || strings.Contains(r.body, "SECRET-PRACTICE") {
			t.Errorf("%s: her letter releases her address, phone or GP to the hospital clinician RHX: %.300s", c.id, r.body)
		}
	}
}

// TestReview31aSoundOrdinaryDocumentsNotMasked: Jane's ordinary letters
// (text, a PDF header, HTML, FHIR JSON of her own Observation, an XML
// letter naming no restricted person) go to the hospital clinician with
// their data as stored.
func TestReview31aSoundOrdinaryDocumentsNotMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seed21a(t, e, "")
	for _, c := range []struct{ id, ct, data string }{
		{"r31a-ord-text", "text/plain", "Dear Dr, Jane is well. Address: 1 Main St."},
		{"r31a-ord-pdf", "application/pdf", "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj"},
		{"r31a-ord-html", "text/html", "<html><body>Patient Jane, address 1 Main St, NHS 999 000 0018</body></html>"},
		{"r31a-ord-json", "application/fhir+json", r31aObs},
		{"r31a-ord-xml", "application/xml", `<ClinicalDocument><recordTarget><patientRole><id extension="9990000018"/><addr>1 Main St</addr></patientRole></recordTarget></ClinicalDocument>`},
	} {
		data := b64r31a(c.data)
		r := r31aJaneLetter(t, e, c.id, `{"contentType":"`+c.ct+`","data":"`+data+`"}`, "")
		if !strings.Contains(r.body, data) {
			t.Errorf("%s: Jane's ordinary letter went out without its data: %.300s", c.id, r.body)
		}
	}
}

// TestReview31aHerPatientInArrayAfterNonJSONStart: in her own letter, her
// Patient as FHIR JSON inside a JSON array that follows a first value or
// line that is not an object or array (a number, a string, a comment line).
// attachedDocs reads the array, but redactAttachedPeople redacts only
// objects, readWhole says no (not resources alone), and maskUnreadPeople's
// sniff of the first bytes does not take the data for structured text:
// the hospital clinician (RHX, her care team) gets her address, phone and
// GP. (The array alone, "[…]", is masked: sound, below.)
func TestReview31aHerPatientInArrayAfterNonJSONStart(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	r24aHospTeam(t, e)
	for _, c := range []struct{ id, ct, data string }{
		{"r31a-her-arr-number", "application/fhir+json", "1\n[" + r31aHerPatient + "]"},
		{"r31a-her-arr-string", "application/json", `"export" [` + r31aHerPatient + "]"},
		{"r31a-her-arr-comment", "application/fhir+ndjson", "# export 2026-12-05\n[" + r31aHerPatient + "]\n"},
	} {
		r := r31aHerLetter(t, e, c.id, `{"contentType":"`+c.ct+`","data":"`+b64r31a(c.data)+`"}`, "")
		if r31aLeaks(r.body) || strings.Contains(r.body, b64r31a(c.data)) {
			t.Errorf("%s: her letter releases her Patient (address, phone, GP) to the hospital clinician RHX: %.300s", c.id, r.body)
		}
	}
}

// TestReview31aSoundHerArrayAndOpaqueForms: her Patient in an array alone,
// or after an object on the first line, is masked or redacted; her PDF and
// PNG letters (opaque) go as stored (not over-masked); UTF-32 JSON is
// masked.
func TestReview31aSoundHerArrayAndOpaqueForms(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	r24aHospTeam(t, e)
	var u32 []byte
	for _, c := range []byte(r31aHerPatient) {
		u32 = append(u32, c, 0, 0, 0)
	}
	for _, c := range []struct{ id, ct, data string }{
		{"r31a-her-s-arr", "application/fhir+json", "[" + r31aHerPatient + "]"},
		{"r31a-her-s-obj-then-arr", "application/fhir+ndjson", r31aObs + "\n[" + r31aHerPatient + "]\n"},
		{"r31a-her-s-utf32", "application/fhir+json", "\xff\xfe\x00\x00" + string(u32)},
	} {
		r := r31aHerLetter(t, e, c.id, `{"contentType":"`+c.ct+`","data":"`+b64r31a(c.data)+`"}`, "")
		if r31aLeaks(r.body) || strings.Contains(r.body, b64r31a(c.data)) {
			t.Errorf("%s: her letter releases her Patient (address, phone, GP) to the hospital clinician RHX: %.300s", c.id, r.body)
		}
	}
	for _, c := range []struct{ id, ct, data string }{
		{"r31a-her-s-pdf", "application/pdf", "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj"},
		{"r31a-her-s-png", "image/png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"},
	} {
		data := b64r31a(c.data)
		if r := r31aHerLetter(t, e, c.id, `{"contentType":"`+c.ct+`","data":"`+data+`"}`, ""); !strings.Contains(r.body, data) {
			t.Errorf("%s: her opaque letter went out without its data: %.300s", c.id, r.body)
		}
	}
}

// TestReview31aHIVNestedReachesDistrictNurse: the same nesting as
// TestReview31aHIVInlineInsideAttachedDoc in an item the district nurse
// sees: the GP's care plan for Jane with an extension valueAttachment whose
// FHIR JSON (a benign Condition) carries her HIV diagnosis as a
// valueBase64Binary. The district nurse (RCX) gets it by read and search.
func TestReview31aHIVNestedReachesDistrictNurse(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	benign := `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"195967001"}],"text":"asthma"},` +
		`"extension":[{"url":"https://example.org/x","valueBase64Binary":"` + b64r31a(r31aCond) + `"}]}`
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/CarePlan/r31a-plan", `{"resourceType":"CarePlan","id":"r31a-plan","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"R31A-PLAN",
		"extension":[{"url":"https://example.org/att","valueAttachment":{"contentType":"application/fhir+json","data":"` + b64r31a(benign) + `"}}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/CarePlan/r31a-plan", nurse, ""); r.status != 404 {
		t.Errorf("read: the district nurse RCX gets the GP's care plan carrying Jane's HIV diagnosis: %d %.200s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/CarePlan?patient=jane", nurse, ""); strings.Contains(r.body, "R31A-PLAN") {
		t.Errorf("search: the district nurse RCX finds the GP's care plan carrying Jane's HIV diagnosis: %d", r.status)
	}
	// control: the diagnosis one level up (the valueAttachment's own data) is labelled
	e.putAll(t, gp, [2]string{"/fhir/CarePlan/r31a-plan-1", `{"resourceType":"CarePlan","id":"r31a-plan-1","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"R31A-PLAN-1",
		"extension":[{"url":"https://example.org/att","valueAttachment":{"contentType":"application/fhir+json","data":"` + b64r31a(r31aCond) + `"}}]}`})
	if r := e.do("GET", "/fhir/CarePlan/r31a-plan-1", nurse, ""); r.status != 404 {
		t.Errorf("control: the district nurse RCX reads the care plan carrying the diagnosis directly: %d", r.status)
	}
}

// TestReview31aManyNumbersMaskedUnread: an XML letter in Jane's item
// listing more than 100 distinct NHS numbers is masked for another
// organisation without a lookup for each (each took store searches: a
// letter of thousands took a second to read); one listing a few that are
// no restricted person's goes as stored.
func TestReview31aManyNumbersMaskedUnread(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	few := "<list><id>" + r31aNHS(1) + "</id><id>" + r31aNHS(2) + "</id></list>"
	many, n := r31aXMLNumbers(3)
	if n <= 100 {
		t.Fatalf("premise: %d numbers", n)
	}
	for id, xml := range map[string]string{"r31a-few": few, "r31a-many": many} {
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},
		"content":[{"attachment":{"contentType":"application/xml","data":"` + b64r31a(xml) + `"}}]}`})
	}
	clin := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/DocumentReference/r31a-few", clin, ""); r.status != 200 || !strings.Contains(r.body, b64r31a(few)) {
		t.Errorf("a letter of two numbers: %d %.300s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/DocumentReference/r31a-many", clin, ""); r.status != 200 || strings.Contains(r.body, b64r31a(many)) || !strings.Contains(r.body, "masked") {
		t.Errorf("a letter of %d numbers: %d %.300s", n, r.status, r.body)
	}
	if r := e.do("GET", "/fhir/DocumentReference/r31a-many", e.token("gp", "nhs", "A81001"), ""); !strings.Contains(r.body, b64r31a(many)) {
		t.Errorf("the practice reads its own letter as stored: %d", r.status)
	}
}
