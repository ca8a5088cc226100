package api

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"
)

// Review 54a: re-read of 878ee25's attachment-text part (eachJSONStringIn
// lenient literals, JSON-like text read string by string too,
// structuredEnd's one-pass table), regressions only. Self-contained (only
// attachedContentCapped) so that it runs unchanged against 878ee25^.

const r54aHIVCond = `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"note":[{"text":"r54a"}],"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}`

// A restricted person's Patient (the marker is her NHS number).
const r54aPatient = `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765870"}],"name":[{"family":"R54aHidden"}],"address":[{"line":["1 Refuge Road"]}]}`

func r54aDoc(ct, text string) map[string]any {
	return map[string]any{"resourceType": "DocumentReference", "content": []any{map[string]any{"attachment": map[string]any{"contentType": ct, "data": base64.StdEncoding.EncodeToString([]byte(text))}}}}
}

func r54aNet(ct, text, marker string) (read, over bool, ndocs int, d time.Duration) {
	t0 := time.Now()
	docs, texts, over := attachedContentCapped(r54aDoc(ct, text), true)
	d = time.Since(t0)
	for _, x := range texts {
		read = read || strings.Contains(string(x), marker)
	}
	for _, dd := range docs {
		b, _ := json.Marshal(dd)
		read = read || strings.Contains(string(b), marker)
	}
	return read, over, len(docs), d
}

func r54aWrap(s string, n int, sep string) string {
	b := base64.StdEncoding.EncodeToString([]byte(s))
	var parts []string
	for i := 0; i < len(b); i += n {
		parts = append(parts, b[i:min(i+n, len(b))])
	}
	return strings.Join(parts, sep)
}

type r54aCase struct{ name, ct, text, marker string }

func r54aReaderCases() []r54aCase {
	const hiv, pat = "86406008", "9434765870"
	w := "data:application/fhir+json;base64," + r54aWrap(r54aHIVCond, 20, `\n`)
	wp := "data:application/fhir+json;base64," + r54aWrap(r54aPatient, 20, `\n`)
	b := r54aWrap(r54aHIVCond, 20, `\n`)
	bp := r54aWrap(r54aPatient, 20, `\r\n`)
	wRawCRLF := "data:application/fhir+json;base64," + r54aWrap(r54aHIVCond, 20, "\r\n")
	wU := "data:application\\u002Ffhir+json;base64," + r54aWrap(r54aHIVCond, 20, `\u000A`)
	// JSON inside a JSON string: the inner escapes doubled.
	inner := func(u string) string {
		return `{"note":"{\"content\":\"` + strings.ReplaceAll(u, `\`, `\\`) + `\"}"}`
	}
	return []r54aCase{
		// JSON text (jsonLike), now read string by string too
		{"jsonlike-tab-earlier-patient", "text/plain", "{\"a\":\"x\ty\",\"content\":\"" + wp + "\"}", pat},
		{"jsonlike-dbl-backslash-quote-before", "application/json", `{"a":"C:\\dir\\","content":"` + w + `"}`, hiv},
		{"jsonlike-escaped-quote-dbl-backslash", "application/json", `{"a":"say \"x\\\" y","content":"` + w + `"}`, hiv},
		{"jsonlike-u-escapes", "application/json", `{"content":"` + wU + `"}`, hiv},
		{"unread-both/jsonlike-bare-b64-wrapped", "application/json", `{"content":"` + b + `"}`, hiv},
		{"unread-both/jsonlike-bare-b64-crlf-escapes-patient", "application/json", `{"content":"` + bp + `"}`, pat},
		{"jsonlike-raw-crlf-with-escape", "text/plain", "{\"p\":\"a\\/b\",\"content\":\"x\\/y " + wRawCRLF + "\"}", hiv},
		{"jsonlike-raw-crlf-no-escape", "text/plain", "{\"content\":\"" + wRawCRLF + "\"}", hiv},
		{"jsonlike-bad-escape-before-quote", "text/plain", `{"p":"D:\exports\","content":"` + w + `"}`, hiv},
		{"jsonlike-bad-escape-in-literal", "text/plain", `{"content":"D:\exports\` + w + `"}`, hiv},
		{"jsonlike-bad-escape-at-end", "text/plain", `{"content":"` + w + ` \q"}`, hiv},
		{"jsonlike-x-escape-then-quote", "text/plain", `{"p":"\x41\","content":"` + w + `"}`, hiv},
		{"unread-both/jsonlike-nested-json-string", "application/json", inner(w), hiv},
		{"unread-both/jsonlike-nested-json-string-patient", "application/json", inner(wp), pat},
		// JSON inside XML and notes
		{"xml-tab-and-bad-escape", "application/xml", "<note>{\"a\":\"C:\\temp\\q\t\",\"content\":\"" + w + "\"}</note>", hiv},
		{"unread-both/xml-nested-json-string", "application/xml", "<note>" + inner(w) + "</note>", hiv},
		{"note-u-escapes", "text/plain", `Export: {"content":"` + wU + `"}`, hiv},
		{"note-crlf-escapes-patient", "text/plain", `Export: {"content":"data:application/fhir+json;base64,` + bp + `"}`, pat},
		{"unread-both/note-bad-escape-next-to-quote", "text/plain", `Saved \"` + w + `\" ok`, hiv},
		{"note-bad-escape-quote-formfeed", "text/plain", "Saved \"C:\\q\f\\\"" + w + "\" ok", hiv},
		{"note-dbl-backslash-quote", "text/plain", `Saved "C:\\" then "` + w + `"`, hiv},
	}
}

// TestReview54aReaderVariants: wrapped payloads (an HIV Condition, a
// restricted person's Patient) in JSON strings inside JSON, XML and notes
// are read or failed closed.
func TestReview54aSoundReaderVariants(t *testing.T) {
	for _, c := range r54aReaderCases() {
		if strings.HasPrefix(c.name, "unread-both/") {
			continue
		}
		read, over, n, _ := r54aNet(c.ct, c.text, c.marker)
		t.Logf("RESULT %s: read=%v over=%v docs=%d", c.name, read, over, n)
		if !read && !over {
			t.Errorf("%s: the wrapped payload is neither read nor failed closed: %.200q", c.name, c.text)
		}
	}
}

func r54aPNG(n int) string {
	r := rand.New(rand.NewSource(54))
	b := make([]byte, n)
	r.Read(b)
	copy(b, "\x89PNG\r\n\x1a\n")
	return r54aWrapBytes(b, 76, `\n`)
}

func r54aWrapBytes(raw []byte, n int, sep string) string {
	b := base64.StdEncoding.EncodeToString(raw)
	var parts []string
	for i := 0; i < len(b); i += n {
		parts = append(parts, b[i:min(i+n, len(b))])
	}
	return strings.Join(parts, sep)
}

func r54aLetters() []r54aCase {
	var logs, many, rtf, imgs strings.Builder
	for i := range 300 {
		fmt.Fprintf(&logs, "{\"ts\":\"2026-01-01T10:%02d:00Z\",\"msg\":\"sync ok\\n\\tretry=0\",\"path\":\"C:\\\\temp\\\\x%d\",\"note\":\"He said \\\"fine\\\" \\u2014 ok\"}\n", i%60, i)
	}
	many.WriteString(`{"letter":{"paragraphs":[`)
	for i := range 3000 {
		if i > 0 {
			many.WriteString(",")
		}
		fmt.Fprintf(&many, `"Paragraph %d:\n\tSeen in clinic; BP 130\/80; \"better\" \u2014 review in 6 weeks."`, i)
	}
	many.WriteString(`]}}`)
	rtf.WriteString(`{\rtf1\ansi\deff0{\fonttbl{\f0 Arial;}}\f0\fs22 `)
	for range 300 {
		rtf.WriteString(`Dear Dr \'93Jones\'94, \par Re: Mrs \"Smith\" \u8217? C:\\Users\\GP\\Letters\\ \b seen\b0 in clinic; \tab BP 130/80. \par `)
	}
	rtf.WriteString("}")
	imgs.WriteString(`{"resourceType":"Letter","body":"Dear Dr Jones,\n\tplease see the wound photos.","images":[`)
	for i := range 6 {
		if i > 0 {
			imgs.WriteString(",")
		}
		fmt.Fprintf(&imgs, `{"title":"photo %d","src":"data:image\/png;base64,%s"},{"raw":"%s"}`, i, r54aPNG(30000+i), r54aPNG(20000+i))
	}
	imgs.WriteString(`]}`)
	return []r54aCase{
		{"json-letter-images", "application/json", imgs.String(), ""},
		{"json-letter-images-text", "text/plain", imgs.String(), ""},
		{"json-letter-images-xml", "application/xml", "<doc>" + imgs.String() + "</doc>", ""},
		{"json-logs", "text/plain", logs.String(), ""},
		{"json-many-strings", "application/json", many.String(), ""},
		{"rtf", "text/rtf", rtf.String(), ""},
	}
}

// TestReview54aSoundOrdinaryLettersUnit: ordinary JSON letters (images in
// strings, logs, many escaped strings) and RTF are not failed closed and
// produce no documents.
func TestReview54aSoundOrdinaryLettersUnit(t *testing.T) {
	for _, c := range r54aLetters() {
		read, over, n, d := r54aNet(c.ct, c.text, "86406008")
		t.Logf("RESULT %s: %d bytes read=%v over=%v docs=%d in %v", c.name, len(c.text), read, over, n, d)
		if over || read {
			t.Errorf("%s: an ordinary letter is failed closed or read as HIV (over=%v read=%v docs=%d)", c.name, over, read, n)
		}
	}
}

// TestReview54aCost: 1 MiB shapes aimed at the lenient literal reading,
// against an ordinary letter.
func TestReview54aCost(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("a cost probe: run without -race")
	}
	const size = 1 << 20
	ws := strings.Fields("the patient was seen in clinic today and reported feeling much better since the last review")
	var ord strings.Builder
	for i := 0; ord.Len() < size; i++ {
		ord.WriteString(ws[i%len(ws)] + " ")
	}
	_, _, _, base := r54aNet("text/plain", ord.String(), "86406008")
	fill := func(prefix, unit, suffix string) string {
		var b strings.Builder
		b.WriteString(prefix)
		for b.Len() < size {
			b.WriteString(unit)
		}
		b.WriteString(suffix)
		return b.String()
	}
	b64 := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", 3000)))
	var manyJSON strings.Builder
	manyJSON.WriteString(`{"a":[`)
	for i := 0; manyJSON.Len() < size; i++ {
		fmt.Fprintf(&manyJSON, `"line %d\nnext \"q\" C:\\x\u00e9",`, i)
	}
	manyJSON.WriteString(`"end"]}`)
	cases := []r54aCase{
		{"tab-literals-17", "text/plain", fill("", "\"\t\t\t\t\t\t\t\t\t\t\t\t\t\t\\n\"", ""), ""},
		{"tab-literals-17-json", "text/plain", fill("[", "\"\t\t\t\t\t\t\t\t\t\t\t\t\t\t\\n\",", "\"\"]"), ""},
		{"bad-escape-literals", "text/plain", fill("", `"\q\q\q\q\q\q\q\n"`, ""), ""},
		{"bad-escapes-one-literal", "text/plain", fill(`"`, `\q`, `\n"`), ""},
		{"bad-escapes-everywhere", "text/plain", fill("", `\q`, ""), ""},
		{"bad-escape-quote-alt", "text/plain", fill("", `\q\"`, ""), ""},
		{"crlf-literals", "text/plain", fill("", "\"\r\n\r\n\r\n\r\n\r\n\r\n\r\n\\/\" ", ""), ""},
		{"json-many-escaped-strings", "application/json", manyJSON.String(), ""},
		{"json-many-escaped-strings-text", "text/plain", manyJSON.String(), ""},
		{"b64-literals-tab", "text/plain", fill("", "\"\t"+b64[:60]+`\n`+b64[60:120]+"\" ", ""), ""},
		{"data-urls-in-lenient-literals", "text/plain", fill("", "\"\tdata:application/fhir+json;base64,"+b64[:64]+`\n`+b64[64:128]+"\\q\" ", ""), ""},
		{"u-escapes-tab", "text/plain", fill("\"\t", `\u0041`, `"`), ""},
	}
	t.Logf("ordinary letter %d bytes: %v", ord.Len(), base)
	for _, c := range cases {
		_, over, _, d := r54aNet(c.ct, c.text, "86406008")
		t.Logf("RESULT %s: %d bytes over=%v %v (%.1fx ordinary)", c.name, len(c.text), over, d, float64(d)/float64(base))
		if d > 3*time.Second && d > 30*base {
			t.Errorf("%s: %v for %d bytes (ordinary letter %v)", c.name, d, len(c.text), base)
		}
	}
}

// TestReview54aSoundStructuredEnd: spaced base64 then prose (49a/50a),
// padded and unpadded, ending as JSON ('}'), an array (']') and XML ('>').
func TestReview54aSoundStructuredEnd(t *testing.T) {
	spaced := func(s string, n int, pad bool) string {
		b := base64.StdEncoding.EncodeToString([]byte(s))
		if !pad {
			b = strings.TrimRight(b, "=")
		}
		var parts []string
		for i := 0; i < len(b); i += n {
			parts = append(parts, b[i:min(i+n, len(b))])
		}
		return strings.Join(parts, " ")
	}
	xml := `<Condition xmlns="http://hl7.org/fhir"><code><coding><system value="http://snomed.info/sct"/><code value="86406008"/></coding></code><subject><reference value="Patient/jane"/></subject></Condition>`
	docs := map[string]string{
		"json":  r54aHIVCond,
		"json1": r54aHIVCond + " ",
		"json2": r54aHIVCond + "  ",
		"array": "[" + r54aHIVCond + "]",
		"xml":   xml,
		"xml1":  xml + "\n",
	}
	for name, doc := range docs {
		for _, pad := range []bool{true, false} {
			for _, n := range []int{4, 16, 40} {
				for _, tail := range []string{"", " Filed by the clinic today.", "\n\nRegards, Dr Jones", " A AAAA Yes"} {
					text := "Record: data:application/fhir+json;base64," + spaced(doc, n, pad) + tail
					if strings.HasPrefix(name, "xml") {
						text = "Record: data:application/fhir+xml;base64," + spaced(doc, n, pad) + tail
					}
					read, over, _, _ := r54aNet("text/plain", text, "86406008")
					if !read && !over {
						t.Errorf("%s pad=%v words=%d tail=%q (len%%3=%d): unread", name, pad, n, tail, len(doc)%3)
					}
				}
			}
		}
	}
}
