package api_test

// Review 26a: a re-read of 573c76e and a8b8077 (attachedDocs after a broken
// line: values by their brackets, a decode budget, the next value on a
// line; inlineAttachments; readWhole; structuredText; the keyword list of
// unreadPeople). SPEC §5: labelled data "is released only to its source
// organisation, or where the person has explicitly permitted it"; "A
// patient whose demographics are marked restricted ... never has address,
// telephone or GP released outside the source organisation".
//
// Setup: seedShared (Jane) and seed21a (r21, restricted at A81001). Only
// helpers that exist at be5248b are used, so the file runs there too.

import (
	"encoding/json"
	"strings"
	"testing"
)

const r26aCond = `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"ATT-HIV"}}`

// r26aLetter writes the GP's letter about Jane carrying att and reports
// the hospital clinician's (RHX) read status (-1: refused on write).
func r26aLetter(t *testing.T, e *env, id, att, extra string) int {
	t.Helper()
	gp := e.token("system", "nhs", "A81001")
	w := e.do("PUT", "/fhir/DocumentReference/"+id, gp, `{"resourceType":"DocumentReference","id":"`+id+`","status":"current","subject":{"reference":"Patient/jane"},
		"type":{"text":"R26A-LETTER"},"content":[{"attachment":`+att+`}]`+extra+`}`)
	if w.status != 201 && w.status != 200 {
		t.Logf("%s: refused on write %d %.200s", id, w.status, w.body)
		return -1
	}
	return e.do("GET", "/fhir/DocumentReference/"+id, e.token("hospital-clinician", "nhs", "RHX"), "").status
}

// r26aHospTeam puts the hospital RHX in r21's care team.
func r26aHospTeam(t *testing.T, e *env) {
	t.Helper()
	e.putAll(t, e.token("system", "nhs", "RHX"),
		[2]string{"/fhir/CareTeam/r21-hosp26a", `{"resourceType":"CareTeam","id":"r21-hosp26a","status":"active","subject":{"reference":"Patient/r21"},"participant":[{"member":{"reference":"Organization/RHX"}}]}`})
}

func r26aNDJSON(data string) string {
	return `{"contentType":"application/fhir+ndjson","data":"` + base64Std21a(data) + `"}`
}

// TestReview26aHIVInsideFailedValueSkippedByValueOnItsClosingLine: after a
// broken line, a value that closes but does not decode (a "[" on its own
// line ... "]") is to have the lines inside it read (a8b8077: "else the
// lines inside it may hold values that decode"); but when another value
// follows it on its closing line ("] {}"), attachedDocs jumps to that value
// and never reads the lines inside. Jane's HIV diagnosis on its own line
// inside goes unlabelled to the hospital clinician (at be5248b, read line
// by line, it was labelled: 404).
func TestReview26aHIVInsideFailedValueSkippedByValueOnItsClosingLine(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for i, data := range []string{
		"{bad\n[\n" + r26aCond + "\nx\n] {}\n",
		"{bad\n[\n" + r26aCond + "\nx\n] [0]\n",
		"{bad\n{\"resourceType\":\"Bundle\",\"entry\":[\n" + r26aCond + "\n BROKEN ]} {\"resourceType\":\"Basic\"}\n",
	} {
		id := "r26a-failnext-" + string(rune('a'+i))
		if st := r26aLetter(t, e, id, r26aNDJSON(data), ""); st != 404 && st != -1 {
			t.Errorf("%q: the hospital clinician RHX reads the GP's letter carrying Jane's HIV diagnosis: %d", data, st)
		}
	}
}

// TestReview26aHIVAfterBudgetExhaustedByNestedJunk: the decode budget
// (16 times the data + 64 KiB) is spent by the junk before the HIV
// document: "[" on each of N lines closed by N "]" on one line, each
// nested value charged its whole length (about 1.5 N² bytes in all, for
// 3N bytes of data). The HIV diagnosis on its own line after it is then
// not decoded: unlabelled, the hospital clinician reads it (at be5248b,
// read line by line, it was labelled: 404).
func TestReview26aHIVAfterBudgetExhaustedByNestedJunk(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for _, n := range []int{400, 1500} {
		data := "{bad\n" + strings.Repeat("[\n", n) + "x\n" + strings.Repeat("]", n) + "\n" + r26aCond + "\n"
		id := "r26a-budget-" + strings.Repeat("n", n/400)
		if st := r26aLetter(t, e, id, r26aNDJSON(data), ""); st != 404 && st != -1 {
			t.Errorf("n=%d (%d bytes of junk): the hospital clinician RHX reads the GP's letter carrying Jane's HIV diagnosis after the junk: %d", n, len(data)-len(r26aCond), st)
		}
	}
}

// TestReview26aSoundHIVVariantsLabelled: variants of the new paths that are
// read: a failed value with nothing after it on its closing line, a
// decoded value followed by the HIV document on its line, a CR-only file
// with a failed value, a pretty doc inside a failed value, junk that does
// not nest (budget not exhausted), the HIV in a data: url and
// valueBase64Binary after a broken line and with a repeated key.
func TestReview26aSoundHIVVariantsLabelled(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	var pretty []byte
	{
		var v any
		_ = json.Unmarshal([]byte(r26aCond), &v)
		pretty, _ = json.MarshalIndent(v, "", "  ")
	}
	dup := strings.Replace(r26aCond, `"text":"ATT-HIV"}`, `"text":"ATT-HIV"},"code":{"text":"follow-up"}`, 1)
	plain := `{"contentType":"text/plain","data":"` + base64Std21a("letter") + `"}`
	ext := func(v string) string {
		return `,"extension":[{"url":"https://example.org/x","valueBase64Binary":"` + v + `"}]`
	}
	for _, c := range []struct{ id, att, extra string }{
		{"r26a-s-failalone", r26aNDJSON("{bad\n[\n" + r26aCond + "\nx\n]\n"), ""},
		{"r26a-s-okthenhiv", r26aNDJSON("{bad\n{} " + r26aCond + "\n"), ""},
		{"r26a-s-cr", r26aNDJSON("{bad\r[\r" + r26aCond + "\rx\r]\r"), ""},
		{"r26a-s-prettyin", r26aNDJSON("{bad\n[\n" + string(pretty) + "\nx\n]\n"), ""},
		{"r26a-s-flatjunk", r26aNDJSON("{bad\n" + strings.Repeat("[x]\n", 8000) + r26aCond + "\n"), ""},
		{"r26a-s-url-dup", `{"contentType":"text/plain","url":"data:application/fhir+json;base64,` + base64Std21a(dup) + `"}`, ""},
		{"r26a-s-ext-dup", plain, ext(base64Std21a(dup))},
		{"r26a-s-ext-broken-pretty", plain, ext(base64Std21a("{bad\n" + string(pretty) + "\n"))},
	} {
		if st := r26aLetter(t, e, c.id, c.att, c.extra); st != 404 && st != -1 {
			t.Errorf("%s: the hospital clinician RHX reads the letter carrying Jane's HIV diagnosis: %d", c.id, st)
		}
	}
}

// r26aEscPatient: her Patient (address, phone, GP) as FHIR JSON whose
// keys and type are written with JSON \u escapes where a keyword of
// unreadPeople would be ("patient", "addr", "telecom"): any JSON reader
// reads it as the plain one.
const r26aEscPatient = `{"resourceType":"\u0050atient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000069"}],"name":[{"family":"Doyle"}],` +
	`"\u0061ddress":[{"line":["SECRET-HOME 1 Hidden Lane"],"postalCode":"LS9 7TF"}],"t\u0065lecom":[{"system":"phone","value":"01134960999"}],` +
	`"generalPractitioner":[{"reference":"Organization/A81001","display":"SECRET-PRACTICE"}]}`

// TestReview26aHerEscapedPatientGoesWhole: in her own items (the GP's
// letter about r21) attachment data that readWhole rejects (a JSON array,
// truncated), and any valueBase64Binary or data: url (never redacted,
// only masked), are masked only when the decoded bytes contain one of the
// keywords "patient", "person", "addr", "telecom", "location". Her Patient
// with those words \u-escaped goes whole to the hospital clinician RHX
// (in her care team).
func TestReview26aHerEscapedPatientGoesWhole(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	r26aHospTeam(t, e)
	gp := e.token("system", "nhs", "A81001")
	var plainCheck any
	if err := json.Unmarshal([]byte(r26aEscPatient), &plainCheck); err != nil || plainCheck.(map[string]any)["resourceType"] != "Patient" {
		t.Fatalf("premise: escaped Patient does not read as a Patient: %v", err)
	}
	b64 := base64Std21a(r26aEscPatient)
	for _, c := range []struct{ id, att, extra, leak string }{
		{"r26a-her-esc-array", `{"contentType":"application/fhir+json","data":"` + base64Std21a("["+r26aEscPatient+"]") + `"}`, "", base64Std21a("[" + r26aEscPatient + "]")},
		{"r26a-her-esc-trunc", `{"contentType":"application/fhir+json","data":"` + base64Std21a(r26aEscPatient[:len(r26aEscPatient)-1]) + `"}`, "", base64Std21a(r26aEscPatient[:len(r26aEscPatient)-1])},
		{"r26a-her-esc-ext", `{"contentType":"text/plain","data":"` + base64Std21a("letter") + `"}`, `,"extension":[{"url":"https://example.org/x","valueBase64Binary":"` + b64 + `"}]`, b64},
		{"r26a-her-esc-url", `{"contentType":"text/plain","url":"data:application/fhir+json;base64,` + b64 + `"}`, "", b64},
	} {
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + c.id, `{"resourceType":"DocumentReference","id":"` + c.id + `","status":"current",
		 "type":{"text":"R26A-LETTER"},"subject":{"reference":"Patient/r21"},
		 "content":[{"attachment":` + c.att + `}]` + c.extra + `}`})
		r := e.do("GET", "/fhir/DocumentReference/"+c.id, e.token("hospital-clinician", "nhs", "RHX"), "")
		if r.status != 200 || !strings.Contains(r.body, "R26A-LETTER") {
			t.Errorf("premise %s: %d %.300s", c.id, r.status, r.body)
			continue
		}
		if strings.Contains(r.body, c.leak) {
			t.Errorf("%s: her Patient (address %q, phone 01134960999, GP SECRET-PRACTICE) goes whole to the hospital clinician RHX: %d …%.200s…", c.id, "SECRET-HOME 1 Hidden Lane", r.status, r.body[strings.Index(r.body, c.leak[:20]):])
		}
	}
}

// TestReview26aJaneItemCarriesHerEscapedNumberInline: Jane's carer letter
// (the council's) carries r21's Patient in an extension's
// valueBase64Binary or a data: url, or as a JSON array in its data. In
// another person's item unreadPeople masks it only when a ten-digit run
// in the bytes is a restricted person's NHS number; with a digit written
// "\u0039" no run is found, and the district nurse RCX gets her NHS
// number, address and phone. (Controls: plain digits in the extension are
// masked; the escaped copy as a single object in data is read whole and
// redacted.)
func TestReview26aJaneItemCarriesHerEscapedNumberInline(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seed21a(t, e, "")
	council := e.token("system", "council", "E06000999")
	plainP := strings.NewReplacer(`\u0050`, "P", `\u0061`, "a", `t\u0065`, "te").Replace(r26aEscPatient)
	escP := strings.Replace(plainP, `"9990000069"`, `"\u0039990000069"`, 1)
	for _, c := range []struct {
		id, doc string
		how     string
		leaks   bool
	}{
		{"r26a-jane-ext-plain", plainP, "ext", false},
		{"r26a-jane-data-esc", escP, "data", false}, // read whole, redacted by the decoded number
		{"r26a-jane-ext-esc", escP, "ext", true},
		{"r26a-jane-url-esc", escP, "url", true},
		{"r26a-jane-arr-esc", "[" + escP + "]", "data", true},
	} {
		b64 := base64Std21a(c.doc)
		att, extra := `{"contentType":"text/plain","data":"`+base64Std21a("letter")+`"}`, ""
		switch c.how {
		case "ext":
			extra = `,"extension":[{"url":"https://example.org/x","valueBase64Binary":"` + b64 + `"}]`
		case "url":
			att = `{"contentType":"text/plain","url":"data:application/fhir+json;base64,` + b64 + `"}`
		case "data":
			att = `{"contentType":"application/fhir+json","data":"` + b64 + `"}`
		}
		e.putAll(t, council, [2]string{"/fhir/DocumentReference/" + c.id, `{"resourceType":"DocumentReference","id":"` + c.id + `","status":"current",
		  "meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},
		  "type":{"text":"R26A-CARER-LETTER"},"subject":{"reference":"Patient/jane"},
		  "content":[{"attachment":` + att + `}]` + extra + `}`})
		r := e.do("GET", "/fhir/DocumentReference/"+c.id, nurse21a(e, "n26a-"+c.id), "")
		if r.status == 404 {
			t.Logf("%s: withheld from the nurse (404)", c.id)
			continue
		}
		if r.status != 200 || !strings.Contains(r.body, "R26A-CARER-LETTER") {
			t.Errorf("premise %s: %d %.300s", c.id, r.status, r.body)
			continue
		}
		if strings.Contains(r.body, b64) {
			if c.leaks {
				t.Errorf("%s: Jane's carer letter releases her restricted carer r21's Patient (NHS number 9990000069, address SECRET-HOME 1 Hidden Lane, phone) whole to the district nurse RCX: %d", c.id, r.status)
			} else {
				t.Errorf("control %s: plain digits not masked either", c.id)
			}
		}
	}
}

// TestReview26aSoundJaneDocumentsNotOverMasked: Jane (not restricted):
// her own Patient as a JSON array, truncated, repeating a key, in a data:
// url and a valueBase64Binary, an HL7 v2 message with her NHS number
// (framed, other separator), and a text letter starting "[" and naming
// "patient": the hospital clinician gets each whole (no masked data).
func TestReview26aSoundJaneDocumentsNotOverMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	janeP := `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"name":[{"family":"Smith"}],"address":[{"line":["JANE-ADDR 2 Open Road"]}]}`
	v2 := "\x0bMSH#^~\\&#GP\rPID###9434765919##Smith######JANE-ADDR 2 Open Road\r\x1c\r"
	plain := `{"contentType":"text/plain","data":"` + base64Std21a("letter") + `"}`
	for _, c := range []struct{ id, att, extra, want string }{
		{"r26a-jane-ok-array", `{"contentType":"application/fhir+json","data":"` + base64Std21a("["+janeP+"]") + `"}`, "", base64Std21a("[" + janeP + "]")},
		{"r26a-jane-ok-trunc", `{"contentType":"application/fhir+json","data":"` + base64Std21a(janeP[:len(janeP)-2]) + `"}`, "", base64Std21a(janeP[:len(janeP)-2])},
		{"r26a-jane-ok-dup", `{"contentType":"application/fhir+json","data":"` + base64Std21a(strings.Replace(janeP, `}`, `,"name":[{"family":"S"}]}`, 1)) + `"}`, "", ""},
		{"r26a-jane-ok-url", `{"contentType":"text/plain","url":"data:application/fhir+json;base64,` + base64Std21a(janeP) + `"}`, "", base64Std21a(janeP)},
		{"r26a-jane-ok-ext", plain, `,"extension":[{"url":"https://example.org/x","valueBase64Binary":"` + base64Std21a(janeP) + `"}]`, base64Std21a(janeP)},
		{"r26a-jane-ok-v2", `{"contentType":"x-application/hl7-v2+er7","data":"` + base64Std21a(v2) + `"}`, "", base64Std21a(v2)},
		{"r26a-jane-ok-text", `{"contentType":"text/plain","data":"` + base64Std21a("[Clinic letter] The patient was seen at 2 Open Road.") + `"}`, "", base64Std21a("[Clinic letter] The patient was seen at 2 Open Road.")},
	} {
		if st := r26aLetter(t, e, c.id, c.att, c.extra); st != 200 {
			t.Errorf("%s: %d", c.id, st)
			continue
		}
		r := e.do("GET", "/fhir/DocumentReference/"+c.id, e.token("hospital-clinician", "nhs", "RHX"), "")
		if strings.Contains(r.body, `"masked"`) || c.want != "" && !strings.Contains(r.body, c.want) {
			t.Errorf("%s: Jane's letter is masked or changed for the hospital clinician: %.400s", c.id, r.body)
		}
	}
}

// TestReview26aSoundHerFramedV2AndPlainInlineMasked: her own items: a v2
// message framed (MLLP), with "#" as field separator, with LF segment
// ends; her plain Patient in a valueBase64Binary and a percent-encoded
// data: url: none goes whole to the hospital clinician RHX.
func TestReview26aSoundHerFramedV2AndPlainInlineMasked(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	r26aHospTeam(t, e)
	gp := e.token("system", "nhs", "A81001")
	plainP := strings.NewReplacer(`\u0050`, "P", `\u0061`, "a", `t\u0065`, "te").Replace(r26aEscPatient)
	v2a := base64Std21a("\x0bMSH#^~\\&#GP\rPID###9990000069##Doyle######SECRET-ADDR 1 Hidden Lane\r\x1c\r")
	v2b := base64Std21a("MSH|^~\\&|GP\nPID|||9990000069||Doyle||||||SECRET-ADDR 1 Hidden Lane\n")
	pct := strings.NewReplacer(`"`, "%22", " ", "%20").Replace(plainP)
	for i, c := range []struct{ att, extra, leak string }{
		{`{"contentType":"text/plain","data":"` + v2a + `"}`, "", v2a},
		{`{"contentType":"text/plain","data":"` + v2b + `"}`, "", v2b},
		{`{"contentType":"text/plain","data":"` + base64Std21a("letter") + `"}`, `,"extension":[{"url":"https://example.org/x","valueBase64Binary":"` + base64Std21a(plainP) + `"}]`, base64Std21a(plainP)},
		{`{"contentType":"text/plain","url":"data:application/fhir+json,` + pct + `"}`, "", "SECRET"},
	} {
		id := "r26a-her-sound-" + string(rune('a'+i))
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current",
		 "type":{"text":"R26A-LETTER"},"subject":{"reference":"Patient/r21"},
		 "content":[{"attachment":` + c.att + `}]` + c.extra + `}`})
		r := e.do("GET", "/fhir/DocumentReference/"+id, e.token("hospital-clinician", "nhs", "RHX"), "")
		if r.status != 200 || strings.Contains(r.body, c.leak) {
			t.Errorf("case %s: %d %.300s", id, r.status, r.body)
		}
	}
}
