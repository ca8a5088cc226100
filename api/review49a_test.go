package api_test

// Review 49a: re-read of 15a5de5 (dataURLs / eachDataURLInJSON) end to
// end: Jane's GP letter (A81001) read by the hospital clinician RHX
// (withheld, 404, when it carries her HIV Condition; released, 200, when
// ordinary).

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

const r49aCondSlash = `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"note":[{"text":"ok???????"}],"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}`

const r49aCond = `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}`

// TestReview49aB64URLEndedByPunctuationInJSONLetter: a JSON letter
// (application/json) whose prose or HTML holds Jane's HIV Condition as a
// base64 data: url, ended by a full stop, a bracket, or the backslash of
// an escaped attribute quote: RHX gets the letter (200), want 404.
func TestReview49aB64URLEndedByPunctuationInJSONLetter(t *testing.T) {
	b := base64.StdEncoding.EncodeToString([]byte(r49aCond))
	r39aLetterCases(t, []struct {
		name, ct, text string
		want           int
	}{
		{"r49a-p-premise", "application/json", `{"note":"Record: data:application/fhir+json;base64,` + b + ` filed"}`, 404},
		{"r49a-p-full-stop", "application/json", `{"note":"Record: data:application/fhir+json;base64,` + b + `. Filed"}`, 404},
		{"r49a-p-bracket", "application/json", `{"note":"Record (data:application/fhir+json;base64,` + b + `) filed"}`, 404},
		{"r49a-p-html-attr", "application/json", `{"html":"<a href=\"data:application/fhir+json;base64,` + b + `\">record</a>"}`, 404},
	})
}

// TestReview49aJSONStringInXMLAttachment: an XML letter holding a JSON
// snippet whose string is a base64 data: url of the HIV Condition wrapped
// with JSON "\n" escapes (as a JSON encoder writes MIME-wrapped base64).
func TestReview49aJSONStringInXMLAttachment(t *testing.T) {
	b := base64.StdEncoding.EncodeToString([]byte(r49aCond))
	var w []string
	for s := b; len(s) > 0; {
		n := min(40, len(s))
		w = append(w, s[:n])
		s = s[n:]
	}
	r39aLetterCases(t, []struct {
		name, ct, text string
		want           int
	}{
		{"r49a-x-premise", "application/xml", `<note><json>{"att":"data:application/fhir+json;base64,` + b + `"}</json></note>`, 404},
		{"r49a-x-nl", "application/xml", `<note><json>{"att":"data:application/fhir+json;base64,` + strings.Join(w, `\n`) + `"}</json></note>`, 404},
		{"r49a-x-slash", "application/xml", `<note><json>{"att":"data:application/fhir+json;base64,` + strings.ReplaceAll(base64.StdEncoding.EncodeToString([]byte(r49aCondSlash)), "/", `\/`) + `"}</json></note>`, 404},
	})
}

// TestReview49aSoundOrdinaryLettersReleased: ordinary letters that the
// 15a5de5 readings touch: HTML with an unclosed quote and many images,
// a JSON letter with many data: urls, prose with "data:" and tabs.
func TestReview49aSoundOrdinaryLettersReleased(t *testing.T) {
	var html, js, tabs strings.Builder
	html.WriteString(`<html><body><p title="unclosed>`)
	js.WriteString(`{"letter":"`)
	for i := 0; i < 300; i++ {
		img := base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("\x89PNG\r\n\x1a\n%04d", i)))
		fmt.Fprintf(&html, `<img src="data:image/png;base64,%s" alt="scan %d"/> <p>Hb %d, 5%% up</p>`+"\n", img, i, 120+i%30)
		fmt.Fprintf(&js, `<img src=\"data:image/png;base64,%s\"/> data:%d%% done. `, img, i%100)
		fmt.Fprintf(&tabs, "Visit %d:\tlab data:\tHb\t%d,\tsats\t9%d%%\n", i, 120+i%30, i%10)
	}
	js.WriteString(`"}`)
	r39aLetterCases(t, []struct {
		name, ct, text string
		want           int
	}{
		{"r49a-ok-html-unclosed", "text/html", html.String() + "</body></html>", 200},
		{"r49a-ok-json-many", "application/json", js.String(), 200},
		{"r49a-ok-tabs", "text/plain", tabs.String(), 200},
	})
}

// r49aSpaced is s in base64, a space every 40 characters (no run of 64).
func r49aSpaced(s string) string {
	b := base64.StdEncoding.EncodeToString([]byte(s))
	var out []string
	for len(b) > 40 {
		out = append(out, b[:40])
		b = b[40:]
	}
	return strings.Join(append(out, b), " ")
}

// TestReview49aB64URLThenNineWords: a plain-text letter whose spaced
// base64 data: url (the HIV Condition, '=' padded) is followed by a
// sentence of nine or more words of base64 letters: the readings drop at
// most maxWordsBack (8) words from its end.
func TestReview49aB64URLThenNineWords(t *testing.T) {
	b := r49aSpaced(r49aCond + " ")
	r39aLetterCases(t, []struct {
		name, ct, text string
		want           int
	}{
		{"r49a-w-eight", "text/plain", "Record: data:application/fhir+json;base64," + b + " please file this in her notes for today", 404},
		{"r49a-w-nine", "text/plain", "Record: data:application/fhir+json;base64," + b + " please file this in her notes for the GP", 404},
		{"r49a-w-nine-stop", "text/plain", "Record: data:application/fhir+json;base64," + b + " please file this in her notes for the GP. Regards", 404},
		{"r49a-w-lines", "text/plain", "Record: data:application/fhir+json;base64," + b + "\nPlease file this in her notes\nKind regards\nDr A Smith\nThe Surgery", 404},
	})
}

// TestReview49aRestrictedPersonJSONStringInXML: r21's (restricted)
// Patient as FHIR XML, base64 in a data: url inside a JSON string in her
// XML letter, wrapped with JSON "\n" escapes; and (checked) in a JSON
// letter ended by a full stop. RHX (her care team) must not get it whole.
func TestReview49aRestrictedPersonJSONStringInXML(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seed21a(t, e, "")
	r24aHospTeam(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	b := base64.StdEncoding.EncodeToString([]byte(r32aHerPatientXML))
	var w []string
	for s := b; len(s) > 0; {
		n := min(40, len(s))
		w = append(w, s[:n])
		s = s[n:]
	}
	for _, c := range []struct{ id, ct, text string }{
		{"r49a-rp-xml-premise", "application/xml", `<note><json>{"att":"data:application/fhir+xml;base64,` + b + `"}</json></note>`},
		{"r49a-rp-xml-nl", "application/xml", `<note><json>{"att":"data:application/fhir+xml;base64,` + strings.Join(w, `\n`) + `"}</json></note>`},
		{"r49a-rp-json-stop", "application/json", `{"note":"Her record: data:application/fhir+xml;base64,` + b + `. Filed"}`},
	} {
		data := b64r31a(c.text)
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + c.id, `{"resourceType":"DocumentReference","id":"` + c.id + `","status":"current","subject":{"reference":"Patient/r21"},
		"type":{"text":"R49A-LETTER"},"content":[{"attachment":{"contentType":"` + c.ct + `","data":"` + data + `"}}]}`})
		r := e.do("GET", "/fhir/DocumentReference/"+c.id, hosp, "")
		whole := strings.Contains(r.body, data)
		t.Logf("%s: %d whole=%v", c.id, r.status, whole)
		if whole {
			i := strings.Index(r.body, data)
			t.Errorf("hospital-clinician RHX: GET /fhir/DocumentReference/%s -> %d releases r21's letter whole (her Patient in a data: url): …%s…", c.id, r.status, r.body[max(0, i-60):min(len(r.body), i+60)])
		}
	}
}

// TestReview49aB64URLInResourceOwnText: the resource's own text (not an
// attachment) holding the base64 url in prose: description and a note.
// (The resource's own prose is not read for codes at all — a plain
// "86406008" in description goes out too — so only the whole-string url
// is asserted; the prose cases are logged.)
func TestReview49aSoundB64URLInResourceOwnText(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	b := base64.StdEncoding.EncodeToString([]byte(r49aCond))
	for _, c := range []struct{ name, extra string }{
		{"r49a-own-desc-whole", `,"description":"data:application/fhir+json;base64,` + b + `"`},
		{"r49a-own-desc-code", `,"description":"HIV infection 86406008 confirmed"`},
		{"r49a-own-desc-pct-prose", `,"description":"Record: data:application/fhir+json,` + pctAll(r49aCond) + ` filed"`},
		{"r49a-own-desc-space", `,"description":"Record: data:application/fhir+json;base64,` + b + ` filed"`},
		{"r49a-own-desc-stop", `,"description":"Record: data:application/fhir+json;base64,` + b + `. Filed"`},
	} {
		st := r26aLetter(t, e, c.name, `{"contentType":"text/plain","data":"`+base64.StdEncoding.EncodeToString([]byte("Seen today."))+`"}`, c.extra)
		t.Logf("%s: %d", c.name, st)
		if c.name == "r49a-own-desc-whole" && st != 404 {
			t.Errorf("%s: RHX GET: %d, want 404", c.name, st)
		}
	}
}

const r49aCondDataNote = `{"resourceType":"Condition","note":[{"text":"see data:x"}],"subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}`

// TestReview49aLiteralDataInsideWrappedURL: Jane's HTML letter whose href
// data: url percent-encodes her HIV Condition except its note's literal
// " data:x" (a space, line break or tab before it): a browser decodes the
// whole value (the Condition, note "see data:x"); carex's readings stop at
// the inner "data:", which has no comma and is not read. RHX gets it.
func TestReview49aLiteralDataInsideWrappedURL(t *testing.T) {
	i := strings.Index(r49aCondDataNote, " data:")
	but := func(ws string) string {
		return pctAll(r49aCondDataNote[:i]) + ws + "data:" + pctAll(r49aCondDataNote[i+6:])
	}
	r39aLetterCases(t, []struct {
		name, ct, text string
		want           int
	}{
		{"r49a-dn-premise", "text/html", `<html><body><a href="data:application/fhir+json,` + pctAll(r49aCondDataNote) + `">record</a></body></html>`, 404},
		{"r49a-dn-space", "text/html", `<html><body><a href="data:application/fhir+json,` + but(" ") + `">record</a></body></html>`, 404},
		{"r49a-dn-lf", "text/html", `<html><body><a href="data:application/fhir+json,` + but("\n") + `">record</a></body></html>`, 404},
	})
}
