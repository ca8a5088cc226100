package api

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Review 53a: regressions of 4676780 (eachJSONStringIn in one pass, the
// percent escape in any base64 word, structuredEnd decoding escapes).
// Self-contained so it runs unchanged against 4676780^.

const r53aHIVCond = `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"note":[{"text":"ok???????"}],"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}`

func r53aDoc(ct, text string) map[string]any {
	return map[string]any{"resourceType": "DocumentReference", "content": []any{map[string]any{"attachment": map[string]any{"contentType": ct, "data": base64.StdEncoding.EncodeToString([]byte(text))}}}}
}

func r53aNet(ct, text, marker string) (read, over bool, ndocs int, d time.Duration) {
	t0 := time.Now()
	docs, texts, over := attachedContentCapped(r53aDoc(ct, text), true)
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

// r53aWrap: base64 of s cut every n characters, joined with sep.
func r53aWrap(s string, n int, sep string) string {
	b := base64.StdEncoding.EncodeToString([]byte(s))
	var parts []string
	for i := 0; i < len(b); i += n {
		parts = append(parts, b[i:min(i+n, len(b))])
	}
	return strings.Join(parts, sep)
}

func r53aURL(sep string) string {
	return "data:application/fhir+json;base64," + r53aWrap(r53aHIVCond, 20, sep)
}

type r53aCase struct{ name, ct, text string }

func r53aReaderCases() []r53aCase {
	w := r53aURL(`\n`)
	b := r53aWrap(r53aHIVCond, 20, `\n`) // bare base64, no data: url
	wr := r53aURL(`\r\n`)
	return []r53aCase{
		{"inch-marks-odd", "application/xml", `<note>He is 5' 10" tall, 6" wound: {"content":"` + w + `"}</note>`},
		{"win-path-valid-escapes-before", "text/plain", `Saved C:\new\table\ then {"content":"` + w + `"}`},
		{"win-path-valid-escapes-quoted-before", "text/plain", `Saved "C:\new\table\" then {"content":"` + w + `"}`},
		{"win-path-valid-escape-quote-opens", "text/plain", `From "EMIS" saved to C:\new\table\"` + w + `" by clinic`},
		{"win-path-valid-escape-quote-opens-noquote", "text/plain", `Saved to C:\new\table\"` + w + `" by clinic`},
		{"bad-u-escape-before", "text/plain", `See "\uZZ12 x" and {"content":"` + w + `"}`},
		{"bad-u-escape-in-region", "text/plain", `"a" \u12 {"content":"` + w + `"}`},
		{"bad-u-escape-short-at-quote", "text/plain", `"x \u00"` + w + `"`},
		{"escaped-quotes-inside", "application/xml", `<note>{"content":"she said \"see\" ` + w + ` \"ok\""}</note>`},
		{"double-backslash-before-quote", "application/xml", `<note>{"a":"C:\\","content":"` + w + `"}</note>`},
		{"double-backslash-close-then-open", "text/plain", `path "D:\\exports\\" and {"content":"` + w + `"}`},
		{"triple-backslash-quote", "text/plain", `x "y\\\"z" {"content":"` + w + `"}`},
		{"raw-tab-in-earlier-literal", "text/plain", "{\"a\":\"x\ty\",\"content\":\"" + w + "\"}"},
		{"raw-newline-between-literals", "text/plain", "{\"a\":\"b\",\n  \"content\":\"" + w + "\"}"},
		{"escaped-json-in-note-before", "text/plain", `JSON: {\"a\":\"b\"} and {"content":"` + w + `"}`},
		{"escaped-json-odd-before", "text/plain", `Said "x" then {\"a\":\"b\"} and {"content":"` + w + `"}`},
		{"crlf-escapes", "application/xml", `<note>{"content":"` + wr + `"}</note>`},
		{"slash-escapes", "application/xml", `<note>{"content":"` + strings.ReplaceAll(w, "/", `\/`) + `"}</note>`},
		{"bare-base64-wrapped", "application/xml", `<note>{"content":"` + b + `"}</note>`},
		{"bare-base64-after-winpath", "text/plain", `D:\exports\"` + b + `"`},
		{"bare-base64-after-inch", "text/plain", `5" scar {"c":"` + b + `"}`},
		{"unicode-escapes-in-literal", "text/plain", `{"content":"caf\u00e9 ` + w + `"}`},
		{"escape-is-last-byte", "text/plain", `{"content":"` + w + `"} C:\`},
		// pre-existing in both: a raw tab or newline inside the literal.
		{"raw-tab-inside-literal", "text/plain", "{\"content\":\"note\t" + w + "\"}"},
		{"literal-over-lines", "text/plain", "{\"content\":\"" + strings.ReplaceAll(w, `\n`, "\\n\n") + "\"}"},
		{"bad-escape-inside-literal-before", "text/plain", `{"content":"C:\exports ` + w + `"}`},
	}
}

// TestReview53aReaderVariants: the wrapped HIV Condition url (or bare
// base64) in a JSON string literal inside text that is not JSON must be
// read or failed closed.
func TestReview53aReaderVariants(t *testing.T) {
	for _, c := range r53aReaderCases() {
		read, over, _, _ := r53aNet(c.ct, c.text, "86406008")
		t.Logf("RESULT %s: read=%v over=%v", c.name, read, over)
		if !read && !over {
			t.Errorf("%s: the wrapped HIV Condition is neither read nor failed closed: %.220q…", c.name, c.text)
		}
	}
}

// TestReview53aSoundOrdinaryLettersUnit: ordinary letters through the net.
func TestReview53aSoundOrdinaryLettersUnit(t *testing.T) {
	for _, c := range r53aLetters() {
		read, over, n, d := r53aNet(c.ct, c.text, "86406008")
		t.Logf("RESULT %s: %d bytes read=%v over=%v docs=%d in %v", c.name, len(c.text), read, over, n, d)
		if over {
			t.Errorf("%s: an ordinary letter is failed closed (over=%v, %d documents)", c.name, over, n)
		}
	}
}

func r53aLetters() []r53aCase {
	var rtf, paths, speech, logs, mixed strings.Builder
	rtf.WriteString(`{\rtf1\ansi\deff0{\fonttbl{\f0 Arial;}}\f0\fs22 `)
	for range 400 {
		rtf.WriteString(`Dear Dr \'93Jones\'94, \par Re: Mrs \"Smith\" \u8217? C:\\Users\\GP\\Letters\\ \b seen\b0 in clinic; \tab BP 130/80. \par `)
		paths.WriteString(`Scanned from C:\new\table\records\"scan 12".pdf and \\server\share\notes\t1.docx; `)
		speech.WriteString(`She said "I can't manage the \"stairs\" any more" and "my 5" dressing \ keeps slipping". `)
		logs.WriteString(`{"ts":"2026-01-01T10:00:00Z","msg":"sync ok\n retry=0","path":"C:\\temp\\x","note":"He said \"fine\" \u2014 ok"} `)
		mixed.WriteString(`Windows path "C:\Program Files\EMIS\" then 12" of text \u00e9 and \x41 \" done. `)
	}
	return []r53aCase{
		{"rtf", "text/rtf", rtf.String() + `}`},
		{"windows-paths", "text/plain", paths.String()},
		{"quoted-speech", "text/plain", speech.String()},
		{"json-logs", "text/plain", logs.String()},
		{"json-logs-xml", "application/xml", "<log>" + logs.String() + "</log>"},
		{"mixed", "text/plain", mixed.String()},
	}
}

// TestReview53aCost: 1 MiB adversarial shapes, against an ordinary letter.
func TestReview53aCost(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("a cost probe: run without -race")
	}
	const size = 1 << 20
	ws := strings.Fields("the patient was seen in clinic today and reported feeling much better since the last review")
	var ord strings.Builder
	for i := 0; ord.Len() < size; i++ {
		ord.WriteString(ws[i%len(ws)] + " ")
	}
	_, _, _, base := r53aNet("text/plain", ord.String(), "86406008")
	fill := func(prefix, unit string) string {
		var b strings.Builder
		b.WriteString(prefix)
		for b.Len() < size {
			b.WriteString(unit)
		}
		return b.String()
	}
	b64 := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", 3000)))
	cases := []r53aCase{
		{"nl-literals-17", "text/plain", fill("", `"\n\n\n\n\n\n\n\n"`)},
		{"nl-literals-17-spaced", "text/plain", fill("", `"\n\n\n\n\n\n\n\n" `)},
		{"nl-literals-long", "text/plain", fill("", `"aaaaaaaaaaaaaaaaaaaaaaaa\naaaaaaaaaaaaaaaaaaaaaaaaa" `)},
		{"quote-backslash-alt", "text/plain", fill("", `"\`)},
		{"quote-backslash-alt2", "text/plain", fill("", `\"`)},
		{"quote-backslash-quote", "text/plain", fill("", `"\\"`)},
		{"u-escapes", "text/plain", fill(`"`, `\u0041`)},
		{"b64-in-literals", "text/plain", fill("", `"`+b64[:60]+`\n`+b64[60:120]+`" `)},
		{"pct-words-after-b64", "text/plain", fill("data:application/fhir+json;base64,"+b64+" ", "%2F%2B ")},
		{"pct-words-after-b64-long", "text/plain", fill("data:application/fhir+json;base64,"+b64+" ", "QUFB%2FQUFB%2BQU ")},
		{"many-urls-pct", "text/plain", fill("", "data:application/fhir+json;base64,"+b64[:64]+" %2F%2F %2B ")},
		{"pct-only-words", "text/plain", fill("data:application/fhir+json;base64,", "%41 ")},
		{"b64-words-with-pct", "text/plain", fill("data:application/fhir+json;base64,QUFB ", "QU%2F ")},
		{"data-in-literals-pct", "text/plain", fill("", `"data:application/fhir+json;base64,QUFB\nQU%2F QU%2F QU%2F QU%2F" `)},
	}
	t.Logf("ordinary letter %d bytes: %v", ord.Len(), base)
	for _, c := range cases {
		_, over, _, d := r53aNet(c.ct, c.text, "86406008")
		t.Logf("RESULT %s: %d bytes over=%v %v (%.1fx ordinary)", c.name, len(c.text), over, d, float64(d)/float64(base))
		if d > 3*time.Second && d > 30*base {
			t.Errorf("%s: %v for %d bytes (ordinary letter %v)", c.name, d, len(c.text), base)
		}
	}
}

// TestReview53aCostScaling: percent-escaped words after a base64 data:
// url's comma ("%41 " a word; "A " a word before 4676780 too), at 256 KiB,
// 512 KiB and 1 MiB: the time should grow linearly.
func TestReview53aCostScaling(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("a cost probe: run without -race")
	}
	for _, unit := range []string{"%41 ", "A ", "%41%41%41%41 ", "AAAA ", "%2F%2F%2F%2F "} {
		var prev time.Duration
		for _, size := range []int{1 << 18, 1 << 19, 1 << 20} {
			var b strings.Builder
			b.WriteString("data:application/fhir+json;base64,")
			for b.Len() < size {
				b.WriteString(unit)
			}
			_, over, _, d := r53aNet("text/plain", b.String(), "86406008")
			t.Logf("RESULT unit %q size %d: over=%v %v", unit, size, over, d)
			if size == 1<<20 && prev > 0 && d > 3*prev && d > time.Second {
				t.Errorf("unit %q: %v at 1 MiB, %v at 512 KiB: superlinear", unit, d, prev)
			}
			prev = d
		}
	}
}
