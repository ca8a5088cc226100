package api_test

// Review 25a: a re-read of be5248b..573c76e (attachedDocs finding values
// after a broken line by their brackets, jsonValueEnds, inlineAttachedDocs,
// readWhole, structuredText's v2 batches, redactPlaces for a Location's
// position and text). SPEC §5: labelled data "is released only to its
// source organisation, or where the person has explicitly permitted it";
// "A patient whose demographics are marked restricted ... never has
// address, telephone or GP released outside the source organisation".
//
// Setup: seedShared (Jane) and seed21a (r21, restricted at A81001).

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

const r25aCond = `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"ATT-HIV"}}`

// r25aLetter writes the GP's letter about Jane carrying att and reports
// the hospital clinician's read status.
func r25aLetter(t *testing.T, e *env, id, att, extra string) int {
	t.Helper()
	gp := e.token("system", "nhs", "A81001")
	w := e.do("PUT", "/fhir/DocumentReference/"+id, gp, `{"resourceType":"DocumentReference","id":"`+id+`","status":"current","subject":{"reference":"Patient/jane"},
		"type":{"text":"R25A-LETTER"},"content":[{"attachment":`+att+`}]`+extra+`}`)
	if w.status != 201 && w.status != 200 {
		t.Logf("%s: refused on write %d %.200s", id, w.status, w.body)
		return -1
	}
	return e.do("GET", "/fhir/DocumentReference/"+id, e.token("hospital-clinician", "nhs", "RHX"), "").status
}

// TestReview25aHIVAfterABadValueOnTheSameLineUnlabelled: after a broken
// line attachedDocs reads "value by value" (README), but when a value that
// closes does not decode it passes over the rest of its line: Jane's HIV
// diagnosis following it on that line goes unlabelled to the hospital
// clinician. (jsonValueEnds has already found where the HIV document
// begins and ends.)
func TestReview25aHIVAfterABadValueOnTheSameLineUnlabelled(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for i, data := range []string{
		"{bad\n" + `{"resourceType":"Observation","status":oops}` + " " + r25aCond + "\n",
		"{bad\n" + `{"resourceType":"Observation","status":oops}` + r25aCond + "\n",
		"{bad\n" + `[1,2,]` + " " + r25aCond + "\n",
	} {
		id := "r25a-badval-" + string(rune('a'+i))
		if st := r25aLetter(t, e, id, `{"contentType":"application/fhir+ndjson","data":"`+base64Std21a(data)+`"}`, ""); st != 404 && st != -1 {
			t.Errorf("%q: the hospital clinician RHX reads the letter carrying Jane's HIV diagnosis: %d", data, st)
		}
	}
}

// TestReview25aHIVOddLineShapesAfterBrokenLine: shapes that jsonValueEnds
// might mis-read, each after a broken line. Each case is reported on its
// own (garbage before the value, CR-only line ends and a byte-order mark
// at a line's start are not JSON; the others are).
func TestReview25aHIVOddLineShapesAfterBrokenLine(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	withNote := func(note string) string {
		return strings.Replace(r25aCond, `"text":"ATT-HIV"}`, `"text":"ATT-HIV"},"note":[{"text":`+note+`}]`, 1)
	}
	pretty := func(s string) string {
		var v any
		_ = json.Unmarshal([]byte(s), &v)
		b, _ := json.MarshalIndent(v, "   ", "\t")
		return string(b)
	}
	for _, c := range []struct{ name, data string }{
		{"escaped quotes and brackets in a string", "{bad\n" + withNote(`"a \"{[\" b \\\\\" c ] } \\\\"`) + "\n"},
		{"closing brackets in a string", "{bad\n" + withNote(`"}}]] \\\" }"`) + "\n"},
		{"CRLF, pretty, indented with spaces then tabs", "{bad\r\n" + strings.ReplaceAll("    "+pretty(r25aCond), "\n", "\r\n") + "\r\n"},
		{"broken line with an unclosed string and brackets", `{"a":"x\" [{ ` + "\n" + r25aCond + "\n"},
		{"broken line with an unmatched closer", `]]}} {"a":` + "\n" + r25aCond + "\n"},
		{"broken pretty value, HIV nested deeper on its own line", "{\n \"resourceType\":\"Bundle\",\n \"entry\":[ BAD\n   " + r25aCond + "\n ]\n}\n"},
		{"HIV then broken on one line, after a broken line", "{bad\n" + r25aCond + ` {"x":` + "\n"},
		{"broken line then a pretty doc with escaped newline in a string", "{bad\n" + pretty(withNote(`"line1\nline2 {"`)) + "\n"},
		{"CR-only line ends (not NDJSON)", "{bad\r" + r25aCond + "\r"},
	} {
		id := "r25a-shape-" + strings.ReplaceAll(strings.Fields(c.name)[0]+"-"+strings.Fields(c.name)[1], ",", "")
		if st := r25aLetter(t, e, id+"-"+time.Now().Format("150405.000000"), `{"contentType":"application/fhir+ndjson","data":"`+base64Std21a(c.data)+`"}`, ""); st != 404 && st != -1 {
			t.Errorf("%s: the hospital clinician RHX reads the letter carrying Jane's HIV diagnosis: %d (data %q)", c.name, st, c.data)
		}
	}
}

// TestReview25aSoundInlineDocsLabelled: FHIR JSON in a data: url with a
// charset before ;base64, upper case DATA: and BASE64, percent-encoded
// plain text, a base64 wrapped with CRLF, base64url; and a
// valueBase64Binary holding NDJSON, a Bundle, an array, UTF-16 with a BOM.
func TestReview25aSoundInlineDocsLabelled(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	b64 := base64Std21a(r25aCond)
	wrapped := b64[:40] + "\r\n" + b64[40:]
	bundle := `{"resourceType":"Bundle","type":"collection","entry":[{"resource":` + r25aCond + `}]}`
	nd := `{"resourceType":"Observation","status":"final","code":{"text":"x"}}` + "\n" + r25aCond + "\n"
	url := func(u string) string { return `{"contentType":"text/plain","url":"` + u + `"}` }
	ext := func(v string) string {
		return `,"extension":[{"url":"https://example.org/x","valueBase64Binary":"` + v + `"}]`
	}
	plain := `{"contentType":"text/plain","data":"` + base64Std21a("letter") + `"}`
	for _, c := range []struct{ id, att, extra string }{
		{"r25a-url-charset", url("data:application/fhir+json;charset=utf-8;base64," + b64), ""},
		{"r25a-url-upper", url("DATA:APPLICATION/FHIR+JSON;BASE64," + b64), ""},
		{"r25a-url-nomt", url("data:;base64," + b64), ""},
		{"r25a-url-pct", url("data:application/fhir+json," + strings.NewReplacer(`"`, "%22", " ", "%20").Replace(r25aCond)), ""},
		{"r25a-url-wrapped", url("data:application/fhir+json;base64," + strings.ReplaceAll(wrapped, "\r\n", "%0D%0A")), ""},
		{"r25a-url-b64url", url("data:application/fhir+json;base64," + strings.NewReplacer("+", "-", "/", "_").Replace(b64)), ""},
		{"r25a-url-ndjson", url("data:application/fhir+ndjson;base64," + base64Std21a("{bad\n"+nd)), ""},
		{"r25a-ext-ndjson", plain, ext(base64Std21a(nd))},
		{"r25a-ext-bundle", plain, ext(base64Std21a(bundle))},
		{"r25a-ext-array", plain, ext(base64Std21a("[" + r25aCond + "]"))},
		{"r25a-ext-utf16", plain, ext(base64Std21a("\xff\xfe" + r24aUTF16LE(r25aCond)))},
		{"r25a-ext-broken", plain, ext(base64Std21a("{bad\n" + r25aCond))},
	} {
		if st := r25aLetter(t, e, c.id, c.att, c.extra); st != 404 && st != -1 {
			t.Errorf("%s: the hospital clinician RHX reads the letter carrying Jane's HIV diagnosis: %d", c.id, st)
		}
	}
}

// r25aHerPatientDup: her Patient (address, phone, GP) as FHIR JSON with a
// second "resourceType" key: encoding/json keeps the last.
func r25aHerPatientWith(rt string) string {
	return `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000069"}],"name":[{"family":"Doyle"}],` +
		`"address":[{"line":["` + secretAddr22a + `"],"postalCode":"LS9 7TF"}],"telecom":[{"system":"phone","value":"01134960999"}],` +
		`"generalPractitioner":[{"reference":"Organization/A81001","display":"SECRET-PRACTICE"}]` + rt + `}`
}

// TestReview25aHerPatientReadWholeButNotRedacted: readWhole takes any JSON
// whose values carry a "resourceType" as FHIR JSON that
// redactAttachedPeople redacts, so maskUnreadPeople leaves it; but
// redactAttachedPeople decodes with encoding/json (the last of a repeated
// key wins) and redacts as a person only resourceType "Patient",
// "RelatedPerson", "Person" (strings, case sensitive); redactPlaces takes
// address and telecom from other typed resources, not generalPractitioner,
// and nothing from one whose resourceType is not a string. Her Patient
// with a second "resourceType":"Basic" or with "resourceType":"patient"
// in the GP's letter about her: the hospital clinician gets her GP; with
// "resourceType":1, the letter goes whole (address, phone, GP).
func TestReview25aHerPatientReadWholeButNotRedacted(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	r24aHospTeam(t, e)
	gp := e.token("system", "nhs", "A81001")
	clin := e.token("hospital-clinician", "nhs", "RHX")
	for id, doc := range map[string]string{
		"r25a-her-dup":    r25aHerPatientWith(`,"resourceType":"Basic"`),
		"r25a-her-lower":  strings.Replace(r25aHerPatientWith(""), `"Patient"`, `"patient"`, 1),
		"r25a-her-number": strings.Replace(r25aHerPatientWith(""), `"Patient"`, `1`, 1),
	} {
		data := base64Std21a(doc)
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current",
		 "type":{"text":"R25A-LETTER"},"subject":{"reference":"Patient/r21"},
		 "content":[{"attachment":{"contentType":"application/fhir+json","data":"` + data + `"}}]}`})
		r := e.do("GET", "/fhir/DocumentReference/"+id, clin, "")
		if r.status != 200 || !strings.Contains(r.body, "R25A-LETTER") {
			t.Fatalf("premise %s: %d %.300s", id, r.status, r.body)
		}
		if strings.Contains(r.body, data) {
			t.Errorf("%s: her Patient JSON (address %q, phone, GP SECRET-PRACTICE) in the GP's letter goes out whole to the hospital clinician RHX: %d %.300s", id, secretAddr22a, r.status, r25aAttached(t, r.body))
		} else if got := r25aAttached(t, r.body); strings.Contains(got, "SECRET-") || strings.Contains(got, "01134960999") {
			t.Errorf("%s: her Patient in the GP's letter goes to the hospital clinician RHX with her address, phone or GP: %s", id, got)
		}
	}
}

// r25aAttached is the decoded data of the first attachment in body.
func r25aAttached(t *testing.T, body string) string {
	var m struct {
		Content []struct {
			Attachment struct {
				Data []byte `json:"data"`
			} `json:"attachment"`
		} `json:"content"`
	}
	_ = json.Unmarshal([]byte(body), &m)
	if len(m.Content) == 0 {
		return ""
	}
	return string(m.Content[0].Attachment.Data)
}

// TestReview25aAnotherPersonsItemCarriesHerOddlyTypedCopy: Jane's carer
// letter (the council's) carries her restricted carer r21's Patient as
// FHIR JSON whose resourceType is "patient" or 1 (or repeated, last
// "Basic"/"Observation": those letters are withheld, 404, and logged).
// In another person's item redactAttachedPeople asks which() only of
// resources typed "Patient", "RelatedPerson" or "Person", and
// maskUnreadPeople leaves the data as readWhole (any resourceType counts
// as FHIR's): the district nurse gets her NHS number, address and phone.
func TestReview25aAnotherPersonsItemCarriesHerOddlyTypedCopy(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seed21a(t, e, "")
	for id, doc := range map[string]string{
		"r25a-jane-dup":    r25aHerPatientWith(`,"resourceType":"Basic"`),
		"r25a-jane-lower":  strings.Replace(r25aHerPatientWith(""), `"Patient"`, `"patient"`, 1),
		"r25a-jane-number": strings.Replace(r25aHerPatientWith(""), `"Patient"`, `1`, 1),
		"r25a-jane-dupobs": r25aHerPatientWith(`,"resourceType":"Observation"`),
	} {
		data := base64Std21a(doc)
		council := e.token("system", "council", "E06000999")
		e.putAll(t, council, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current",
		  "meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},
		  "type":{"text":"R25A-CARER-LETTER"},"subject":{"reference":"Patient/jane"},
		  "content":[{"attachment":{"contentType":"application/fhir+json","data":"` + data + `"}}]}`})
		r := e.do("GET", "/fhir/DocumentReference/"+id, nurse21a(e, "n25a-"+id), "")
		if r.status == 404 {
			t.Logf("%s: withheld from the nurse (404)", id)
			continue
		}
		if r.status != 200 || !strings.Contains(r.body, "R25A-CARER-LETTER") {
			t.Errorf("premise %s: %d %.300s", id, r.status, r.body)
			continue
		}
		if strings.Contains(r.body, data) {
			t.Errorf("%s: Jane's carer letter releases her restricted carer's Patient (NHS number, address %q, phone) whole to the district nurse RCX: %d %.300s", id, secretAddr22a, r.status, r25aAttached(t, r.body))
		}
	}
}

// TestReview25aSoundHerOddAttachmentsMasked: her Patient in forms readWhole
// rejects (truncated, a JSON object without resourceType, NDJSON with a
// broken line, nested arrays), a v2 batch, and a contained Location with
// position or text: none goes whole to the hospital clinician.
func TestReview25aSoundHerOddAttachmentsMasked(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	r24aHospTeam(t, e)
	gp := e.token("system", "nhs", "A81001")
	clin := e.token("hospital-clinician", "nhs", "RHX")
	p := r25aHerPatientWith("")
	for i, c := range []struct{ ct, data string }{
		{"application/fhir+json", p[:len(p)-1]},
		{"application/fhir+json", "[[" + p + "]]"},
		{"application/fhir+ndjson", "{bad\n" + p + "\n"},
		{"", `{"patient":` + p + `}`},
		{"application/fhir+json", `{"resourceType":"Bundle","entry":[{"resource":` + p + `}]}`},
		{"application/fhir+json", `{"resourceType":"Parameters","parameter":[{"name":"p","resource":` + p + `}]}`},
		{"application/fhir+json", `{"resourceType":"Basic","contained":[` + p + `]}`},
		{"text/plain", "FHS|^~\\&|GP\rBHS|^~\\&|GP\rMSH|^~\\&|GP\rPID|||9990000069||Doyle||||||" + secretAddr22a + "\r"},
	} {
		id := "r25a-her-odd-" + string(rune('a'+i))
		data := base64Std21a(c.data)
		ct := ""
		if c.ct != "" {
			ct = `"contentType":"` + c.ct + `",`
		}
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current",
		 "type":{"text":"R25A-LETTER"},"subject":{"reference":"Patient/r21"},
		 "content":[{"attachment":{` + ct + `"data":"` + data + `"}}]}`})
		r := e.do("GET", "/fhir/DocumentReference/"+id, clin, "")
		if r.status != 200 || strings.Contains(r.body, data) || strings.Contains(r.body, "SECRET-") || strings.Contains(r.body, "01134960999") {
			t.Errorf("case %d (%s): %d, whole %v", i, c.ct, r.status, strings.Contains(r.body, data))
		}
	}
}

// TestReview25aSoundOrdinaryLettersNotMasked: over-masking check. Jane's
// (not restricted) letters as FHIR JSON, truncated JSON, XML, a v2 batch,
// and a contained Location with position, go to the district nurse as
// stored (and without a 5xx).
func TestReview25aSoundOrdinaryLettersNotMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	nurse := e.token("hospital-clinician", "nhs", "RHX")
	pat := `{"resourceType":"Patient","name":[{"family":"Smith"}],"address":[{"line":["1 Open Street"]}]}`
	for i, c := range []struct{ ct, data string }{
		{"application/fhir+json", pat},
		{"application/fhir+json", pat[:len(pat)-3]},
		{"application/fhir+ndjson", "{bad\n" + pat + "\n"},
		{"application/xml", "<Patient><address value=\"1 Open Street\"/></Patient>"},
		{"text/plain", "BHS|^~\\&|GP\rMSH|^~\\&|GP\rPID|||||Smith||||||1 Open Street\r"},
	} {
		id := "r25a-jane-ok-" + string(rune('a'+i))
		data := base64Std21a(c.data)
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current",
		 "type":{"text":"R25A-LETTER"},"subject":{"reference":"Patient/jane"},
		 "content":[{"attachment":{"contentType":"` + c.ct + `","data":"` + data + `"}}]}`})
		r := e.do("GET", "/fhir/DocumentReference/"+id, nurse, "")
		if r.status != 200 || !strings.Contains(r.body, data) {
			t.Errorf("case %d (%s): %d, data kept %v: %.200s", i, c.ct, r.status, strings.Contains(r.body, data), r.body)
		}
	}
	e.putAll(t, gp, [2]string{"/fhir/Appointment/r25a-jane-home", `{"resourceType":"Appointment","id":"r25a-jane-home","status":"booked","description":"R25A-HOME",
	 "contained":[{"resourceType":"Location","id":"home","position":{"latitude":53.80077,"longitude":-1.49123}}],
	 "participant":[{"actor":{"reference":"Patient/jane"},"status":"accepted"},{"actor":{"reference":"#home"},"status":"accepted"}]}`})
	if r := e.do("GET", "/fhir/Appointment/r25a-jane-home", nurse, ""); r.status != 200 || !strings.Contains(r.body, "53.80077") {
		t.Errorf("Jane's (not restricted) home visit Location position masked: %d %.300s", r.status, r.body)
	}
}

// TestReview25aNestedBracketsCost: timing only (logged, not asserted):
// a 48 KiB attachment (the test server's 64 KiB body) after a broken line
// of lines each opening "[" and all closed on the last line: jsonValueEnds
// records every line's "[" and attachedDocs decodes each one, each to its
// error (or encoding/json's depth limit): quadratic in the lines.
func TestReview25aNestedBracketsCost(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	n := 16000
	data := "{bad\n" + strings.Repeat("[\n", n) + "x" + strings.Repeat("]", n)
	small := "{bad\n" + strings.Repeat("[\n", n/8) + "x" + strings.Repeat("]", n/8)
	for _, c := range []struct{ id, data string }{{"r25a-nest-small", small}, {"r25a-nest", data}} {
		body := `{"resourceType":"DocumentReference","id":"` + c.id + `","status":"current","subject":{"reference":"Patient/jane"},
		"content":[{"attachment":{"contentType":"application/fhir+ndjson","data":"` + base64Std21a(c.data) + `"}}]}`
		t0 := time.Now()
		w := e.do("PUT", "/fhir/DocumentReference/"+c.id, gp, body)
		t.Logf("%s: %d bytes of data, body %d bytes: PUT %d in %v", c.id, len(c.data), len(body), w.status, time.Since(t0))
		t0 = time.Now()
		r := e.do("GET", "/fhir/DocumentReference/"+c.id, e.token("district-nurse", "nhs", "RCX"), "")
		t.Logf("%s: nurse GET %d in %v", c.id, r.status, time.Since(t0))
	}
	// in the restricted person's item, each read redacts (attachedDocs again)
	seed21a(t, e, "")
	r24aHospTeam(t, e)
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/r25a-nest-r21", `{"resourceType":"DocumentReference","id":"r25a-nest-r21","status":"current","subject":{"reference":"Patient/r21"},
		"content":[{"attachment":{"contentType":"application/fhir+ndjson","data":"` + base64Std21a(data) + `"}}]}`})
	clin := e.token("hospital-clinician", "nhs", "RHX")
	for _, p := range []string{"/fhir/DocumentReference/r25a-nest-r21", "/fhir/DocumentReference?subject=Patient/r21"} {
		t0 := time.Now()
		r := e.do("GET", p, clin, "")
		t.Logf("r21's letter: clinician GET %s %d in %v", p, r.status, time.Since(t0))
	}
}

// TestReview25aHIVInlineDocWithRepeatedCodeUnlabelled: Jane's HIV
// diagnosis as FHIR JSON repeating "code" (first the HIV code, then a
// benign one). In an attachment's data attachedFirstKept reads it keeping
// the first (labelled: the control); in a data: url or an extension's
// valueBase64Binary only inlineAttachedDocs reads it, with attachedDocs
// (the last wins), so the letter goes unlabelled to the hospital clinician.
func TestReview25aHIVInlineDocWithRepeatedCodeUnlabelled(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	dup := strings.TrimSuffix(r25aCond, "}") + `,"code":{"text":"sprained ankle"}}`
	b64 := base64Std21a(dup)
	plain := `{"contentType":"text/plain","data":"` + base64Std21a("letter") + `"}`
	if st := r25aLetter(t, e, "r25a-dup-data", `{"contentType":"application/fhir+json","data":"`+b64+`"}`, ""); st != 404 {
		t.Errorf("control (data): %d", st)
	}
	for _, c := range []struct{ id, att, extra string }{
		{"r25a-dup-url", `{"contentType":"application/fhir+json","url":"data:application/fhir+json;base64,` + b64 + `"}`, ""},
		{"r25a-dup-ext", plain, `,"extension":[{"url":"https://example.org/x","valueBase64Binary":"` + b64 + `"}]`},
	} {
		if st := r25aLetter(t, e, c.id, c.att, c.extra); st != 404 && st != -1 {
			t.Errorf("%s: the hospital clinician RHX reads the letter carrying Jane's HIV diagnosis (repeated code, HIV first): %d", c.id, st)
		}
	}
}

// TestReview25aHerPatientInAJSONArray: her Patient as a JSON array of one
// FHIR resource ([{…}], which readWhole reads as FHIR JSON, as review 15a
// had attachedDocs read it for labels) in the GP's letter about her, and
// in Jane's carer letter: redactAttachedPeople looks at each decoded
// value that is an object, not into an array.
func TestReview25aHerPatientInAJSONArray(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seed21a(t, e, "")
	r24aHospTeam(t, e)
	p := r25aHerPatientWith("")
	for _, c := range []struct{ id, who, ct, data string }{
		{"r25a-arr-her", "r21", "application/fhir+json", "[" + p + "]"},
		{"r25a-arr-her-noct", "r21", "", "[" + p + "]"},
		{"r25a-arr-her-nd", "r21", "application/fhir+ndjson", "[" + p + "]\n"},
		{"r25a-arr-jane", "jane", "application/fhir+json", "[" + p + "]"},
	} {
		data := base64Std21a(c.data)
		ct := ""
		if c.ct != "" {
			ct = `"contentType":"` + c.ct + `",`
		}
		tok, reader := e.token("system", "nhs", "A81001"), e.token("hospital-clinician", "nhs", "RHX")
		tag := ""
		if c.who == "jane" {
			tok, reader = e.token("system", "council", "E06000999"), nurse21a(e, "n25a-arr")
			tag = `"meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},`
		}
		e.putAll(t, tok, [2]string{"/fhir/DocumentReference/" + c.id, `{"resourceType":"DocumentReference","id":"` + c.id + `","status":"current",` + tag + `
		 "type":{"text":"R25A-LETTER"},"subject":{"reference":"Patient/` + c.who + `"},
		 "content":[{"attachment":{` + ct + `"data":"` + data + `"}}]}`})
		r := e.do("GET", "/fhir/DocumentReference/"+c.id, reader, "")
		if r.status != 200 {
			t.Logf("%s: %d", c.id, r.status)
			continue
		}
		if got := r25aAttached(t, r.body); strings.Contains(got, "SECRET-") || strings.Contains(got, "01134960999") {
			t.Errorf("%s: her Patient in a JSON array goes out with her address, phone or GP: %d %.300s", c.id, r.status, got)
		}
	}
}

// TestReview25aHerHL7v2MessageFramedOrOtherSeparator: her PID segment
// (address, phone) in an HL7 v2 message attached to the GP's letter, as
// captured from an MLLP feed (the VT start byte 0x0B before MSH, FS CR
// after) or with a field separator other than "|" (MSH-1 may be any
// character). structuredText knows a message by "MSH|", "FHS|" or
// "BHS|" at its start (after BOM and spaces) only: it goes whole to the
// hospital clinician. The plain message is the control.
func TestReview25aHerHL7v2MessageFramedOrOtherSeparator(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	r24aHospTeam(t, e)
	gp := e.token("system", "nhs", "A81001")
	clin := e.token("hospital-clinician", "nhs", "RHX")
	msg := "MSH|^~\\&|GP|A81001|HOSP|RHX|20260101||ADT^A08|1|P|2.4\rPID|||9990000069^^^NHS||Doyle^Margaret||19620101|F|||" + secretAddr22a + "^^Leeds^^LS9 7TF||01134960999\r"
	for i, c := range []struct{ name, data string }{
		{"control: plain message", msg},
		{"MLLP-framed", "\x0b" + msg + "\x1c\r"},
		{"field separator #", strings.ReplaceAll(msg, "|", "#")},
	} {
		id := "r25a-v2-" + string(rune('a'+i))
		enc := base64Std21a(c.data)
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current",
		 "type":{"text":"R25A-LETTER"},"subject":{"reference":"Patient/r21"},
		 "content":[{"attachment":{"contentType":"x-application/hl7-v2+er7","data":"` + enc + `"}}]}`})
		r := e.do("GET", "/fhir/DocumentReference/"+id, clin, "")
		if r.status != 200 || !strings.Contains(r.body, "R25A-LETTER") {
			t.Fatalf("premise: %d %.300s", r.status, r.body)
		}
		if strings.Contains(r.body, enc) {
			t.Errorf("%s: her PID segment (address, phone) in an HL7 v2 message goes whole to the hospital clinician RHX", c.name)
		}
	}
}

// TestReview25aSoundHerHomeLocationInAttachment: her home as a FHIR JSON
// Location (position only, or narrative only) in the GP's letter about her,
// alone, in a Bundle, or in NDJSON after a broken line: the position and
// narrative do not reach the hospital clinician.
func TestReview25aSoundHerHomeLocationInAttachment(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	r24aHospTeam(t, e)
	gp := e.token("system", "nhs", "A81001")
	clin := e.token("hospital-clinician", "nhs", "RHX")
	pos := `{"resourceType":"Location","name":"Patient's home","position":{"latitude":53.80077,"longitude":-1.49123}}`
	txt := `{"resourceType":"Location","name":"Patient's home","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">SECRET-ADDR 1 Hidden Lane</div>"}}`
	for i, c := range []struct{ ct, data string }{
		{"application/fhir+json", pos},
		{"application/fhir+json", txt},
		{"application/fhir+json", `{"resourceType":"Bundle","type":"collection","entry":[{"resource":` + pos + `},{"resource":` + txt + `}]}`},
		{"application/fhir+ndjson", "{bad\n" + pos + "\n" + txt + "\n"},
	} {
		id := "r25a-her-loc-" + string(rune('a'+i))
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current",
		 "type":{"text":"R25A-LETTER"},"subject":{"reference":"Patient/r21"},
		 "content":[{"attachment":{"contentType":"` + c.ct + `","data":"` + base64Std21a(c.data) + `"}}]}`})
		r := e.do("GET", "/fhir/DocumentReference/"+id, clin, "")
		if got := r25aAttached(t, r.body); r.status != 200 || strings.Contains(got, "53.80077") || strings.Contains(got, "SECRET-ADDR") || strings.Contains(r.body, base64Std21a(c.data)) {
			t.Errorf("case %d: %d %.300s", i, r.status, got)
		}
	}
}
