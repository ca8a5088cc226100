package api

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Review 49a: unit probes of 15a5de5 (dataURLs, eachDataURLInJSON) through
// attachedContentCapped, the label net's reader of an item's attachments.

const r49aHIVCond = `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}`

// r49aDoc is a DocumentReference whose one attachment is text typed ct.
func r49aDoc(ct, text string) map[string]any {
	return map[string]any{"resourceType": "DocumentReference", "content": []any{map[string]any{"attachment": map[string]any{"contentType": ct, "data": base64.StdEncoding.EncodeToString([]byte(text))}}}}
}

// r49aNetReads reports whether the label net (attachedContentCapped) reads
// the HIV Condition (a document or a text holding its code), or fails
// closed (over).
func r49aNetReads(ct, text string) (read, over bool) {
	docs, texts, over := attachedContentCapped(r49aDoc(ct, text), true)
	for _, x := range texts {
		read = read || strings.Contains(string(x), "86406008")
	}
	for _, d := range docs {
		b, _ := json.Marshal(d)
		read = read || strings.Contains(string(b), "86406008")
	}
	return read, over
}

func r49aPct(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

// r49aHIVCondSlash is the HIV Condition with a note whose "?"s put '/'
// characters in its base64.
const r49aHIVCondSlash = `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"note":[{"text":"ok???????"}],"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}`

func r49aB64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestReview49aUnitB64URLEndedByPunctuation: a base64 data: url (one run,
// no spaces) ended by a character that is neither base64 nor white space
// nor a quote/'<'/'>' — a full stop or bracket in prose, or the backslash of
// an escaped quote in a JSON string holding HTML — in a declared JSON
// letter. Its first reading keeps that character and does not decode; the
// base64 reading is tried only when spaces split it (len(words) > 0); the
// base64-run net is not run for declared JSON.
func TestReview49aUnitB64URLEndedByPunctuation(t *testing.T) {
	b := r49aB64(r49aHIVCond)
	for _, c := range []struct{ name, ct, text string }{
		{"premise-json-space", "application/json", `{"note":"Record: data:application/fhir+json;base64,` + b + ` filed"}`},
		{"json-full-stop", "application/json", `{"note":"Record: data:application/fhir+json;base64,` + b + `. Filed"}`},
		{"json-bracket", "application/json", `{"note":"Record (data:application/fhir+json;base64,` + b + `) filed"}`},
		{"json-html-escaped-quote", "application/json", `{"html":"<a href=\"data:application/fhir+json;base64,` + b + `\">record</a>"}`},
		{"fhirjson-html-escaped-quote", "application/fhir+json", `{"resourceType":"Basic","text":{"div":"<div><a href=\"data:application/fhir+json;base64,` + b + `\">r</a></div>"}}`},
		{"text-plain-full-stop", "text/plain", `Record: data:application/fhir+json;base64,` + b + `. Filed`},
	} {
		read, over := r49aNetReads(c.ct, c.text)
		t.Logf("%s: read=%v over=%v", c.name, read, over)
		if !read && !over {
			t.Errorf("%s: the HIV Condition in the base64 url is neither read nor failed closed: %.120q…", c.name, c.text)
		}
	}
}

// TestReview49aUnitJSONStringInNonJSONText: a JSON string in an XML or
// plain-text attachment (not JSON-like: eachDataURLInJSON is not run)
// holding a base64 data: url with JSON's escapes: "\/" for '/', "\n"
// wrapping. A JSON reader of the string takes the url whole.
func TestReview49aUnitJSONStringInNonJSONText(t *testing.T) {
	b := r49aB64(r49aHIVCond)
	var wrapped []string
	for s := b; len(s) > 0; {
		n := min(40, len(s))
		wrapped = append(wrapped, s[:n])
		s = s[n:]
	}
	bs := r49aB64(r49aHIVCondSlash)
	esc := strings.ReplaceAll(bs, "/", `\/`)
	nl := strings.Join(wrapped, `\n`)
	t.Logf("slashes in base64: %d", strings.Count(bs, "/"))
	if !strings.Contains(bs, "/") {
		t.Fatalf("premise: no '/' in %s", bs)
	}
	for _, c := range []struct{ name, ct, text string }{
		{"premise-xml-plain", "application/xml", `<note><json>{"att":"data:application/fhir+json;base64,` + b + `"}</json></note>`},
		{"xml-json-nl-escaped", "application/xml", `<note><json>{"att":"data:application/fhir+json;base64,` + nl + `"}</json></note>`},
		{"text-json-nl-escaped", "text/plain", `Payload follows: {"att":"data:application/fhir+json;base64,` + nl + `"}`},
		{"xml-json-slash-escaped", "application/xml", `<note><json>{"att":"data:application/fhir+json;base64,` + esc + `"}</json></note>`},
	} {
		read, over := r49aNetReads(c.ct, c.text)
		t.Logf("%s: read=%v over=%v", c.name, read, over)
		if !read && !over {
			t.Errorf("%s: not read: %.140q…", c.name, c.text)
		}
	}
}

// TestReview49aSoundUnitHoles: variants checked and read: a url in a JSON
// key, an unclosed quote, prose with tabs, a JSON-like text/plain letter.
func TestReview49aSoundUnitHoles(t *testing.T) {
	p := r49aPct(r49aHIVCond)
	b := r49aB64(r49aHIVCond)
	for _, c := range []struct{ name, ct, text string }{
		{"json-key", "application/json", `{"data:application/fhir+json,` + p + `":1}`},
		{"json-key-b64", "application/json", `{"data:application/fhir+json;base64,` + b + `":1}`},
		{"unclosed-quote-html", "text/html", `<a href="data:application/fhir+json,` + p + ` rest of the letter, 50% done`},
		{"unclosed-quote-json-value", "application/json", `{"h":"<a href='data:application/fhir+json,` + p + `"}`},
		{"tab-wrapped-pct", "text/plain", "Record data:application/fhir+json," + p[:90] + "\t" + p[90:] + " ok"},
		{"lf-wrapped-b64-json", "application/json", `{"n":"data:application/fhir+json;base64,` + b[:40] + `\n` + b[40:] + `"}`},
		{"json-escaped-slash", "application/json", `{"n":"data:application/fhir+json;base64,` + strings.ReplaceAll(r49aB64(r49aHIVCondSlash), "/", `\/`) + `"}`},
		{"xml-json-u-escaped-slash", "application/xml", `<j>{"n":"data:application/fhir+json;base64,` + strings.ReplaceAll(r49aB64(r49aHIVCondSlash), "/", `\u002F`) + `"}</j>`},
	} {
		read, over := r49aNetReads(c.ct, c.text)
		t.Logf("%s: read=%v over=%v", c.name, read, over)
		if !read && !over {
			t.Errorf("%s: not read: %.140q…", c.name, c.text)
		}
	}
}

// TestReview49aSoundUnitOverFailsClosedJSON: with the cap lowered, a
// declared JSON letter with many distinct data: urls in its strings, then
// the HIV one: eachDataURLInJSON's early stop leaves over set.
func TestReview49aSoundUnitOverFailsClosedJSON(t *testing.T) {
	oldMin, oldF := minDecodedCap, maxDecodedFactor
	minDecodedCap, maxDecodedFactor = 2000, 1
	defer func() { minDecodedCap, maxDecodedFactor = oldMin, oldF }()
	var parts []string
	for i := 0; i < 200; i++ {
		parts = append(parts, fmt.Sprintf(`"item %d data:text/plain,%s"`, i, r49aPct(fmt.Sprintf("filler %d %s", i, strings.Repeat("y", 30)))))
	}
	parts = append(parts, `"record data:application/fhir+json,`+r49aPct(r49aHIVCond)+`"`)
	for _, ct := range []string{"application/json", "text/plain"} {
		_, texts, over := attachedContentCapped(r49aDoc(ct, `{"notes":[`+strings.Join(parts, ",")+`]}`), true)
		read := false
		for _, x := range texts {
			read = read || strings.Contains(string(x), "86406008")
		}
		t.Logf("%s: over=%v read=%v", ct, over, read)
		if !over && !read {
			t.Errorf("%s: neither read nor failed closed", ct)
		}
	}
}

// TestReview49aUnitCost: 1 MiB shapes through attachedContentCapped as
// the label net reads them; reports time and over (an ordinary letter
// that comes out over is withheld from everyone outside its source).
func TestReview49aUnitCost(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("a cost probe of 1 MiB texts: run without -race")
	}
	const n = 1 << 20
	fill := func(unit string) string { return strings.Repeat(unit, n/len(unit)+1)[:n] }
	var jsonMany strings.Builder
	jsonMany.WriteString(`{"a":[`)
	for i := 0; jsonMany.Len() < n; i++ {
		if i > 0 {
			jsonMany.WriteString(",")
		}
		fmt.Fprintf(&jsonMany, `"data:%d"`, i%10)
	}
	jsonMany.WriteString("]}")
	var jsonImgs strings.Builder
	jsonImgs.WriteString(`{"letter":"<html><body>`)
	for i := 0; jsonImgs.Len() < n; i++ {
		fmt.Fprintf(&jsonImgs, `<img src=\"data:image/png;base64,%s\"/> <p>Hb %d, 5%% up</p>`, r49aB64(fmt.Sprintf("\x89PNG\r\n\x1a\n%06d", i)), 120+i%30)
	}
	jsonImgs.WriteString(`</body></html>"}`)
	wrap76 := func(b64, sep string) string {
		var out []string
		for len(b64) > 76 {
			out = append(out, b64[:76])
			b64 = b64[76:]
		}
		return strings.Join(append(out, b64), sep)
	}
	svg := `<svg xmlns="http://www.w3.org/2000/svg">` + strings.Repeat(`<rect x="1" y="2" width="30" height="40" fill="#abc"/>`, 12000) + `</svg>`
	png := "\x89PNG\r\n\x1a\n" + strings.Repeat("\x00\x10\x20\xff pixel data ", 50000)
	shapes := []struct{ name, ct, text string }{
		{"html-spaced-svg-img", "text/html", `<html><body><p>Wound photo</p><img src="data:image/svg+xml;base64,` + wrap76(r49aB64(svg), " ") + `"/><p>Regards</p></body></html>`},
		{"html-crlf-png-img", "text/html", `<html><body><p>Wound photo</p><img src="data:image/png;base64,` + wrap76(r49aB64(png), "\r\n") + `"/><p>Regards</p></body></html>`},
		{"text-spaced-svg-prose", "text/plain", "Photo: data:image/svg+xml;base64," + wrap76(r49aB64(svg), " ") + " please file this in her notes for the GP today thanks"},
		{"ordinary-letter", "text/plain", fill("Seen in clinic today, BP 120/80, plan: review in 3 months. ")},
		{"ordinary-json-letter", "application/json", `{"letter":"` + fill("Seen in clinic today, BP 120/80, plan: review in 3 months. ") + `"}`},
		{"unclosed-quote-many-urls", "text/html", `<p title="` + fill("data:,%41 data:;base64,QUJD ")},
		{"unclosed-quote-pct", "text/html", `<a href="data:,%41 ` + fill("x% ")},
		{"json-100k-strings-data", "application/json", jsonMany.String()},
		{"json-100k-strings-data-plain", "text/plain", jsonMany.String()},
		{"b64-9-words-repeat", "text/plain", fill("data:;base64,QUJD QUJD QUJD QUJD QUJD QUJD QUJD QUJD QUJD QUJD ")},
		{"b64-one-url-many-words", "text/plain", "data:;base64," + fill("QUJD ")},
		{"b64-one-url-many-words-json", "application/json", `{"a":"data:;base64,` + fill("QUJD ") + `"}`},
		{"json-escaped-imgs", "application/json", jsonImgs.String()},
		{"tabs-data-prose", "text/plain", fill("data:,\tlab\tdata:\tHb\t120,\t")},
		{"tabs-nl-wrap", "text/plain", fill("data:text/plain,%41\n%42\n%43\n")},
		{"json-tabs-wrap", "application/json", `{"a":"` + fill(`data:text/plain,%41\n%42\t`) + `"}`},
	}
	for _, s := range shapes {
		start := time.Now()
		_, _, over := attachedContentCapped(r49aDoc(s.ct, s.text), true)
		d := time.Since(start)
		t.Logf("%-30s %8d bytes: %v over=%v", s.name, len(s.text), d, over)
		if d > raceSlowdown*3*time.Second {
			t.Errorf("%s: 1 MiB took %v", s.name, d)
		}
		if over {
			t.Errorf("%s: over the decode cap: an ordinary-looking letter fails closed (withheld)", s.name)
		}
	}
}

// r49aPctBut is s percent-encoded byte by byte, except "data:" and the
// white space before it, left literal.
func r49aPctBut(s, ws string) string {
	i := strings.Index(s, " data:")
	return r49aPct(s[:i]) + ws + "data:" + r49aPct(s[i+6:])
}

const r49aHIVCondDataNote = `{"resourceType":"Condition","note":[{"text":"see data:x"}],"subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}`

// TestReview49aUnitLiteralDataInsideWrappedURL: an href data: url
// percent-encoding the HIV Condition, whose note text "see data:x" is
// written literally, a space or a line break before its "data:" (a
// reader keeps the space, drops the line break, and decodes the whole
// value): the readings on across white space stop before the next
// "data:", and that one has no comma (all percent-encoded) so is not a url.
func TestReview49aUnitLiteralDataInsideWrappedURL(t *testing.T) {
	for _, c := range []struct{ name, ct, text string }{
		{"premise-all-pct", "text/html", `<a href="data:application/fhir+json,` + r49aPct(r49aHIVCondDataNote) + `">x</a>`},
		{"space-before-data", "text/html", `<a href="data:application/fhir+json,` + r49aPctBut(r49aHIVCondDataNote, " ") + `">x</a>`},
		{"lf-before-data", "text/html", `<a href="data:application/fhir+json,` + r49aPctBut(r49aHIVCondDataNote, "\n") + `">x</a>`},
		{"tab-before-data", "text/html", `<a href="data:application/fhir+json,` + r49aPctBut(r49aHIVCondDataNote, "\t") + `">x</a>`},
		{"json-space-before-data", "application/json", `{"href":"data:application/fhir+json,` + r49aPctBut(r49aHIVCondDataNote, " ") + `"}`},
	} {
		read, over := r49aNetReads(c.ct, c.text)
		t.Logf("%s: read=%v over=%v", c.name, read, over)
		if !read && !over {
			t.Errorf("%s: not read: %.160q…", c.name, c.text)
		}
	}
}
