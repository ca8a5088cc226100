package api

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Review 51a: probes of c4a762a (dataURLs' base64 reading from where the
// first reading ends, eachJSONStringIn taken from the last quote before
// each escape) through attachedContentCapped. Self-contained so it runs
// unchanged against c4a762a^.

const r51aHIVCond = `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"note":[{"text":"ok???????"}],"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}`

func r51aDoc(ct, text string) map[string]any {
	return map[string]any{"resourceType": "DocumentReference", "content": []any{map[string]any{"attachment": map[string]any{"contentType": ct, "data": base64.StdEncoding.EncodeToString([]byte(text))}}}}
}

func r51aNet(ct, text string) (read, over bool, ndocs int, d time.Duration) {
	t0 := time.Now()
	docs, texts, over := attachedContentCapped(r51aDoc(ct, text), true)
	d = time.Since(t0)
	for _, x := range texts {
		read = read || strings.Contains(string(x), "86406008")
	}
	for _, dd := range docs {
		b, _ := json.Marshal(dd)
		read = read || strings.Contains(string(b), "86406008")
	}
	return read, over, len(docs), d
}

func r51aProse(n int) string {
	ws := strings.Fields("the patient was seen in clinic today and reported feeling much better since the last review her blood pressure is stable and she will continue on the current plan with a follow up in six weeks")
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(ws[i%len(ws)])
	}
	return b.String()
}

// r51aSpaced: the HIV Condition's base64 in words of 16, the word holding
// the first '/' or '+' (word index pctWord<0: that word; else the word
// pctWord) written percent-encoded with rep.
func r51aSpaced(t *testing.T, cond string, rep *strings.Replacer, firstOnly bool) string {
	b := base64.StdEncoding.EncodeToString([]byte(cond))
	k := strings.IndexAny(b, "+/")
	if k < 0 {
		t.Fatal("premise: no + or / in the base64")
	}
	var words []string
	for i := 0; i < len(b); i += 16 {
		words = append(words, b[i:min(i+16, len(b))])
	}
	w := k / 16
	if firstOnly {
		// Make the '+'/'/' word the first: glue the words before it in.
		words = append([]string{strings.Join(words[:w+1], "")}, words[w+1:]...)
		w = 0
	}
	words[w] = rep.Replace(words[w])
	return strings.Join(words, " ")
}

var r51aPct = strings.NewReplacer("+", "%2B", "/", "%2F")

// TestReview51aSoundPctFirstWordThenLongProse: review 50a's shape (a
// percent-encoded first word, the rest in spaced words) followed by more
// than maxWordsBack words of prose: structuredEnd decodes the run as it is
// written, "%2F" and all, so it finds no end; the Condition goes unread.
func TestReview51aSoundPctFirstWordThenLongProse(t *testing.T) {
	u := r51aSpaced(t, r51aHIVCond, r51aPct, true)
	for _, c := range []struct{ name, ct, text string }{
		{"plain-12-words", "text/plain", "Record: data:application/fhir+json;base64," + u + " " + r51aProse(12)},
		{"plain-newline-prose", "text/plain", "Record: data:application/fhir+json;base64," + u + "\n\n" + r51aProse(40)},
		{"html-unquoted-prose", "text/html", "<p>Record: data:application/fhir+json;base64," + u + " " + r51aProse(20) + "</p>"},
	} {
		read, over, _, _ := r51aNet(c.ct, c.text)
		t.Logf("%s: read=%v over=%v", c.name, read, over)
		if !read && !over {
			t.Errorf("%s: the HIV Condition (percent-encoded first word, spaced base64, then prose) is neither read nor failed closed: %.160q…", c.name, c.text)
		}
	}
}

// TestReview51aUnitPctLaterWord: the percent escape in a later word of the
// spaced base64 (not the first): the reading over base64 characters stops
// at its '%', and the words after it are not read.
func TestReview51aUnitPctLaterWord(t *testing.T) {
	for _, c := range []struct {
		name string
		rep  *strings.Replacer
	}{
		{"upper", r51aPct},
		{"lower", strings.NewReplacer("+", "%2b", "/", "%2f")},
	} {
		u := r51aSpaced(t, r51aHIVCond, c.rep, false)
		if strings.HasPrefix(u, strings.Fields(u)[0]) && strings.Contains(strings.Fields(u)[0], "%") {
			t.Logf("note: escape fell in the first word")
		}
		for _, d := range []struct{ name, ct, text string }{
			{"plain", "text/plain", "Record: data:application/fhir+json;base64," + u},
			{"html-quoted", "text/html", `<p><a href="data:application/fhir+json;base64,` + u + `">record</a></p>`},
		} {
			read, over, _, _ := r51aNet(d.ct, d.text)
			t.Logf("%s/%s: read=%v over=%v", c.name, d.name, read, over)
			if !read && !over {
				t.Errorf("%s/%s: the HIV Condition with a percent escape in a later spaced word is neither read nor failed closed: %.200q…", c.name, d.name, d.text)
			}
		}
	}
}

// TestReview51aSoundPctFirstWordVariants: other escapes in the first word
// (lowercase, '=' padding as %3D) with a few words after it.
func TestReview51aSoundPctFirstWordVariants(t *testing.T) {
	for _, c := range []struct {
		name string
		rep  *strings.Replacer
	}{
		{"lower", strings.NewReplacer("+", "%2b", "/", "%2f")},
		{"upper", r51aPct},
		{"all-escaped", strings.NewReplacer("+", "%2B", "/", "%2F", "A", "%41")},
	} {
		u := r51aSpaced(t, r51aHIVCond, c.rep, true)
		for _, d := range []struct{ name, ct, text string }{
			{"plain", "text/plain", "Record: data:application/fhir+json;base64," + u + " filed."},
			{"html-quoted", "text/html", `<p><a href='data:application/fhir+json;base64,` + u + `'>record</a></p>`},
		} {
			read, over, _, _ := r51aNet(d.ct, d.text)
			t.Logf("%s/%s: read=%v over=%v", c.name, d.name, read, over)
			if !read && !over {
				t.Errorf("%s/%s: unread: %.200q…", c.name, d.name, d.text)
			}
		}
	}
}

// r51aWrapped: the Condition's base64 in a JSON string, wrapped with "\n"
// escapes every 20 characters, as a data: url.
func r51aWrapped() string {
	b := base64.StdEncoding.EncodeToString([]byte(r51aHIVCond))
	var parts []string
	for i := 0; i < len(b); i += 20 {
		parts = append(parts, b[i:min(i+20, len(b))])
	}
	return "data:application/fhir+json;base64," + strings.Join(parts, `\n`)
}

// TestReview51aSoundJSONStringVariants: the wrapped url in a JSON string
// literal inside text that is not JSON, after stray quotes of both kinds,
// quotes escaped inside the literal, an escaped backslash before an
// escaped quote, XML single-quoted attributes holding double quotes.
func TestReview51aSoundJSONStringVariants(t *testing.T) {
	w := r51aWrapped()
	for _, c := range []struct{ name, ct, text string }{
		{"three-stray-quotes", "application/xml", `<note>He is 5' 10" tall, 6" wound, 7" scar: {"content":"` + w + `"}</note>`},
		{"many-stray-quotes", "application/xml", `<note>` + strings.Repeat(`12" `, 101) + `{"content":"` + w + `"}</note>`},
		{"escaped-quotes-inside", "application/xml", `<note>{"content":"she said \"see\" ` + w + `"}</note>`},
		{"backslash-pair-then-escaped-quote", "application/xml", `<note>{"a":"x\\\"y","content":"\\\"` + w + `"}</note>`},
		{"xml-single-quoted-attr", "application/xml", `<note title='the "draft" copy' alt='5"'>{"content":"` + w + `"}</note>`},
		{"windows-path-before", "application/xml", `<note>"C:\Users\jsmith\Documents\" then {"content":"` + w + `"}</note>`},
		{"escape-before-any-quote", "text/plain", `See D:\exports\ {"content":"` + w + `"}`},
	} {
		read, over, _, _ := r51aNet(c.ct, c.text)
		t.Logf("%s: read=%v over=%v", c.name, read, over)
		if !read && !over {
			t.Errorf("%s: the wrapped HIV Condition url in a JSON string is neither read nor failed closed: %.200q…", c.name, c.text)
		}
	}
}

// TestReview51aUnitEscapedQuoteOpensLiteral: a backslash right before the
// literal's opening quote (a Windows folder written "D:\exports\" and the
// literal after it). c4a762a^ paired from each quote and read the literal;
// c4a762a skips the character after any backslash seen before a quote, or
// takes the literal from the last quote before it, through the invalid
// "\e" escape, which does not parse.
func TestReview51aUnitEscapedQuoteOpensLiteral(t *testing.T) {
	w := r51aWrapped()
	for _, c := range []struct{ name, ct, text string }{
		{"no-quote-before", "text/plain", `Saved to D:\exports\"` + w + `" by the clinic`},
		{"quote-before", "text/plain", `From "EMIS" saved to D:\exports\"` + w + `" by the clinic`},
		{"xml-quote-before", "application/xml", `<note>From "EMIS" saved to D:\exports\"` + w + `"</note>`},
	} {
		read, over, _, _ := r51aNet(c.ct, c.text)
		t.Logf("%s: read=%v over=%v", c.name, read, over)
		if !read && !over {
			t.Errorf("%s: the wrapped HIV Condition url after a backslash-quote is neither read nor failed closed: %.200q…", c.name, c.text)
		}
	}
}

// TestReview51aSoundOrdinaryLetters: ordinary letters are not failed closed
// and yield no documents.
func TestReview51aSoundOrdinaryLetters(t *testing.T) {
	img := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("\x89PNG\r\n\x1a\nimagebytes", 400)))
	var quoted strings.Builder
	for range 300 {
		quoted.WriteString(`She said "I've had enough of the 5" dressings" and he replied 'fine' at C:\Temp\notes\n.txt. `)
	}
	for _, c := range []struct{ name, ct, text string }{
		{"html-img-prose", "text/html", `<html><body><p>Photo <img src="data:image/png;base64,` + img + `"/> ` + r51aProse(4000) + `</p></body></html>`},
		{"xml-single-attrs", "application/xml", `<letter><img src='data:image/png;base64,` + img + `' alt='the "wound"'/><p>` + r51aProse(3000) + `</p></letter>`},
		{"rtf", "text/rtf", `{\rtf1\ansi ` + strings.Repeat(`Dear Dr \"Jones\", \par C:\\Users\\x\\ \b bold\b0 "q" `, 500) + `}`},
		{"quoted-speech-paths", "text/plain", quoted.String()},
		{"plain-pct-url-prose", "text/plain", `Photo data:image/png;base64,` + strings.ReplaceAll(img[:4000], "/", "%2F") + ` ` + r51aProse(3000)},
	} {
		read, over, n, d := r51aNet(c.ct, c.text)
		t.Logf("%s: %d bytes read=%v over=%v docs=%d in %v", c.name, len(c.text), read, over, n, d)
		if over || n > 0 || read {
			t.Errorf("%s: an ordinary letter is failed closed (over=%v) or yields %d documents", c.name, over, n)
		}
	}
}

// TestReview51aSoundCost: 1 MiB adversarial shapes for the new readings,
// against an ordinary letter of the same size.
func TestReview51aSoundCost(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("a cost probe: run without -race")
	}
	const size = 1 << 20
	ordinary := r51aProse(size / 4)[:size]
	_, _, _, base := r51aNet("text/plain", ordinary)
	var pcts strings.Builder
	for pcts.Len() < size {
		pcts.WriteString("data:application/fhir+json;base64,eyJy%2FZX%2BNvd%3D QUFB QUFB QUFB ")
	}
	var pctWords strings.Builder
	pctWords.WriteString("data:application/fhir+json;base64,")
	for pctWords.Len() < size {
		pctWords.WriteString("QU%2FB%2B ")
	}
	var strayEsc strings.Builder
	for strayEsc.Len() < size {
		strayEsc.WriteString(`5" C:\x `)
	}
	var strayLong strings.Builder
	strayLong.WriteString(`"`)
	for strayLong.Len() < size {
		strayLong.WriteString(`aaaaaaaaaaaaaaaaaaaaaaaaaa\n`)
	}
	var words strings.Builder
	words.WriteString("data:application/fhir+json;base64,eyJ%2F ")
	for words.Len() < size {
		words.WriteString("QUFB ")
	}
	cases := []struct{ name, ct, text string }{
		{"many-stray-quotes", "text/plain", strings.Repeat(`5" `, size/3)},
		{"many-stray-quotes-escapes", "application/xml", "<a>" + strayEsc.String() + "</a>"},
		{"unclosed-long-escaped", "text/plain", strayLong.String()},
		{"many-pct-urls", "text/plain", pcts.String()},
		{"one-url-pct-words", "text/plain", pctWords.String()},
		{"pct-first-then-thousands-of-words", "text/plain", words.String() + r51aProse(1000)},
		{"many-percent", "text/plain", strings.Repeat("%2F", size/3)},
	}
	t.Logf("ordinary letter %d bytes: %v", len(ordinary), base)
	for _, c := range cases {
		_, over, _, d := r51aNet(c.ct, c.text)
		t.Logf("%s: %d bytes over=%v %v (%.1fx ordinary)", c.name, len(c.text), over, d, float64(d)/float64(base))
		if d > 3*time.Second && d > 30*base {
			t.Errorf("%s: %v for %d bytes (ordinary letter %v)", c.name, d, len(c.text), base)
		}
	}
}
