package api_test

// Review 76a: bda6f6a (reviews 75a, 75b) — string search with the
// 4,096-byte cut, and the control-character / lone-surrogate refusals —
// by real HTTP, real SQLite, real tokens; differential against 966834a.

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
)

const r76aPatient = `{"resourceType":"Patient","id":"r76a","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"name":[{"family":"Probe","given":["Ann"]}],"birthDate":"1960-01-01","generalPractitioner":[{"reference":"Organization/A81001"}]}`

func r76aSeed(t *testing.T) (*env, string) {
	e := newEnv(t, func(c *api.Config) { c.MaxBody = 1 << 20 })
	sys := e.token("system", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Patient/r76a", sys, r76aPatient); r.status != 201 {
		t.Fatalf("seed: %d %s", r.status, r.body)
	}
	return e, sys
}

func r76aObs(id, inner string) string {
	return `{"resourceType":"Observation","id":"` + id + `","status":"final","code":{"text":"R76A"},"subject":{"reference":"Patient/r76a"}` + inner + `}`
}

// TestReview76aLongValueStringCaseBlindSearch: an Observation whose
// valueString is 4.5 KB of plain ASCII text beginning with a capital
// ("Patient reports ...", as every clinical note does) is cut to its
// first 4,096 bytes in the index (NormString's fast path is "lower-case
// ASCII", not "ASCII"), so the GP searching
//
//	value-string=<the text, lower case>        -> not found
//	value-string:exact=<the text, lower case>  -> not found
//	value-string:contains=safeguarding (past byte 4,096) -> not found
//
// while the same text stored all in lower case is found by all three.
// README: strings are "compared, as every string search is, without case
// and accents"; "a string value holding any character but ASCII is indexed
// and searched by its first 4,096 bytes" — this value holds none. Parent
// 966834a: found by all three. Severity: an item not found by search (a
// safeguarding note missed), no leak — a regression.
func TestReview76aLongValueStringCaseBlindSearch(t *testing.T) {
	e, sys := r76aSeed(t)
	text := "Patient reports " + strings.Repeat("low mood and poor sleep; ", 180) + "safeguarding concern raised"
	for _, c := range [][2]string{{"r76a-cap", text}, {"r76a-low", strings.ToLower(text)}} {
		if r := e.do("PUT", "/fhir/Observation/"+c[0], sys, r76aObs(c[0], `,"valueString":"`+c[1]+`"`)); r.status != 201 {
			t.Fatalf("PUT %s: %d %s", c[0], r.status, r.body[:min(len(r.body), 300)])
		}
	}
	gp := e.token("gp", "nhs", "A81001")
	low := strings.ToLower(text)
	for _, q := range []string{"value-string=" + url.QueryEscape(low), "value-string:exact=" + url.QueryEscape(low), "value-string:contains=safeguarding"} {
		r := e.do("GET", "/fhir/Observation?patient=r76a&"+q, gp, "")
		if r.status != 200 {
			t.Fatalf("%s: %d %s", q[:min(len(q), 40)], r.status, r.body[:min(len(r.body), 300)])
		}
		for _, id := range []string{"r76a-cap", "r76a-low"} {
			if !strings.Contains(r.body, `"id":"`+id+`"`) {
				t.Errorf("GET Observation?%s… does not find %s", q[:min(len(q), 40)], id)
			}
		}
	}
}

// TestReview76aSoundValidStringsAccepted: strings R4 allows are still
// accepted in every element kind: tab/CR/LF, U+007F, C1 controls
// U+0080–U+009F, U+FFFD written literally, a surrogate pair escaped, and
// the text \u0000 written as an escaped backslash — in an extension's
// valueString, markdown (Annotation.text), the narrative div, a code, a
// uri, base64Binary with white space between groups (R4:
// (\s*([0-9a-zA-Z\+\=]){4}\s*)+).
func TestReview76aSoundValidStringsAccepted(t *testing.T) {
	e, sys := r76aSeed(t)
	s := `tab\t cr\r lf\n del` + "\u007f" + ` c1` + "\u0080\u0085\u009f" + ` fffd` + "\ufffd" + ` pair \ud83d\ude00 text \\u0000 and \\ud800 \\\\\ud83d\ude00 end`
	cases := map[string]string{
		"ext":      `,"extension":[{"url":"http://example.org/x","valueString":"` + s + `"}],"valueString":"x"`,
		"markdown": `,"note":[{"text":"` + s + `"}]`,
		"div":      `,"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">` + s + `</div>"}`,
		"code":     `,"valueCodeableConcept":{"coding":[{"system":"http://example.org/cs","code":"\\u0000` + "\u007f\u0085\ufffd" + `\ud83d\ude00"}]}`,
		"uri":      `,"valueCodeableConcept":{"coding":[{"system":"http://example.org/cs/\\u0000` + "\ufffd" + `","code":"x"}]}`,
		"base64":   `,"derivedFrom":[{"reference":"Patient/r76a"}],"valueString":"x","extension":[{"url":"http://example.org/a","valueAttachment":{"contentType":"text/plain","data":"SGVs\tbG8g\r\nd29y\nbGQ="}}]`,
	}
	for name, inner := range cases {
		id := "r76a-ok-" + name
		if r := e.do("PUT", "/fhir/Observation/"+id, sys, r76aObs(id, inner)); r.status != 201 {
			t.Errorf("%s: valid R4 refused: %d %s", name, r.status, r.body[:min(len(r.body), 400)])
		}
	}
}

// TestReview76aControlCharacterOutsideString: bda6f6a refuses U+0000–U+001F
// (but tab/CR/LF) in every string element value walker.value reaches, but
// two places that hold R4 strings escape it: an element's own "id"
// (Element.id is a string; in "_status":{"id":...} and
// "name":[{"id":...}]) and "fhir_comments", which the README says is kept
// on purpose and so is stored and returned. Each is stored as sent (NUL,
// BEL) and handed to every reader, as all strings were before. README
// "Strict validation"; R4 string: "SHALL NOT contain Unicode character
// points below 32, except for u0009, u000D, u000A"; commit bda6f6a: "a
// string holding U+0000-U+001F (but tab, CR, LF) ... 422 naming the
// element". Parent: stored too (not a regression, an incomplete fix).
// Severity: low (conformance; a downstream R4/XML client fails on it).
func TestReview76aControlCharacterOutsideString(t *testing.T) {
	e, sys := r76aSeed(t)
	cases := map[string]string{
		"element-id":    `,"valueString":"x","_status":{"id":"a\u0000b"}`,
		"datatype-id":   `,"valueCodeableConcept":{"id":"a\u0007b","text":"x"}`,
		"fhir_comments": `,"valueString":"x","fhir_comments":["a\u0000b"]`,
	}
	for name, inner := range cases {
		id := "r76a-ctl-" + strings.ReplaceAll(name, "_", "-")
		r := e.do("PUT", "/fhir/Observation/"+id, sys, r76aObs(id, inner))
		t.Logf("%s: %d %s", name, r.status, r.body[:min(len(r.body), 400)])
		if r.status != 422 {
			t.Errorf("%s: a control character stored: %d (want 422) %s", name, r.status, r.body[:min(len(r.body), 200)])
		}
	}
}

// TestReview76aSoundRefusedEveryRoute: \u0001 or a lone surrogate in an
// extension's valueString, markdown, the narrative div, a code, a uri,
// base64Binary, a key (lone surrogate), is refused by PUT (422 with a
// message naming U+0001 or the surrogate), by a transaction (nothing
// stored), by carex import of a Bundle and of NDJSON lines; and the
// refused PUT has its access-log entry (status 422).
func TestReview76aSoundRefusedEveryRoute(t *testing.T) {
	e, sys := r76aSeed(t)
	cases := map[string]string{
		"ext":        `,"extension":[{"url":"http://example.org/x","valueString":"a\u0001b"}],"valueString":"x"`,
		"markdown":   `,"note":[{"text":"a\u0001b"}]`,
		"div":        `,"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">a\u0001b</div>"}`,
		"div-lone":   `,"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">a\udc00b</div>"}`,
		"code":       `,"valueCodeableConcept":{"coding":[{"system":"http://example.org/cs","code":"a\u0001b"}]}`,
		"uri":        `,"valueCodeableConcept":{"coding":[{"system":"http://example.org/a\u0001b","code":"x"}]}`,
		"base64":     `,"valueString":"x","extension":[{"url":"http://example.org/a","valueAttachment":{"contentType":"text/plain","data":"SGVs\u0001bG8="}}]`,
		"key-lone":   `,"valueString":"x","extension":[{"url":"http://example.org/a","valueString":"y","\ud800":"z"}]`,
		"pair-split": `,"valueString":"\ud83d x \ude00"`,
	}
	p := &auth.Principal{Sub: "import", Org: "A81001", Sector: "nhs", Role: "system", Purpose: "TREAT"}
	for name, inner := range cases {
		id := "r76a-bad-" + name
		body := r76aObs(id, inner)
		r := e.do("PUT", "/fhir/Observation/"+id, sys, body)
		if r.status != 422 {
			t.Errorf("%s PUT: %d, want 422: %s", name, r.status, r.body[:min(len(r.body), 300)])
		} else if !strings.Contains(r.body, "U+0001") && !strings.Contains(r.body, "surrogate") {
			t.Errorf("%s PUT: 422 without a clear message: %s", name, r.body[:min(len(r.body), 300)])
		}
		if x := e.lastEntry(t); x.Status != 422 {
			t.Errorf("%s PUT: access log entry has status %d, want 422", name, x.Status)
		}
		tx := `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":` + body + `,"request":{"method":"PUT","url":"Observation/` + id + `"}}]}`
		if r := e.do("POST", "/fhir", sys, tx); r.status < 400 {
			t.Errorf("%s transaction: %d %s", name, r.status, r.body[:min(len(r.body), 300)])
		}
		if _, err := e.api.Import(context.Background(), p, []byte(`{"resourceType":"Bundle","type":"collection","entry":[{"resource":`+body+`}]}`)); err == nil {
			t.Errorf("%s import (Bundle): accepted", name)
		} else if !strings.Contains(err.Error(), "U+0001") && !strings.Contains(err.Error(), "surrogate") {
			t.Errorf("%s import: unclear: %v", name, err)
		}
		if _, err := e.api.ImportResources(context.Background(), p, [][]byte{[]byte(body)}); err == nil {
			t.Errorf("%s import (NDJSON): accepted", name)
		}
		if r := e.do("GET", "/fhir/Observation/"+id, sys, ""); r.status != 404 {
			t.Errorf("%s: stored after all: %d", name, r.status)
		}
	}
}
