package api_test

// Review 50a: re-read of d020d05 end to end: Jane's GP letter (A81001)
// read by the hospital clinician RHX (r39aLetterCases: withheld, 404, when
// it carries her HIV Condition; released, 200, when ordinary).

import (
	"encoding/base64"
	"strings"
	"testing"
)

const r50aCondSlash = `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"note":[{"text":"ok???????"}],"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}`

// r50aPctSpaced: the HIV Condition's base64 whose first word (16
// characters a word) holds its first '/' or '+' percent-encoded, the rest
// in spaced words.
func r50aPctSpaced(t *testing.T) string {
	b := base64.StdEncoding.EncodeToString([]byte(r50aCondSlash))
	k := strings.IndexAny(b, "+/")
	if k < 0 {
		t.Fatal("premise: no + or / in the base64")
	}
	end := (k/16 + 1) * 16
	first := strings.NewReplacer("+", "%2B", "/", "%2F").Replace(b[:end])
	var words []string
	for i := end; i < len(b); i += 16 {
		words = append(words, b[i:min(i+16, len(b))])
	}
	return first + " " + strings.Join(words, " ")
}

// TestReview50aPctFirstWordSpacedB64URLInLetter: regression of d020d05.
// A base64 data: url whose first word holds a percent-encoded '/' and whose
// rest is wrapped in spaced words (read whole by d020d05^, from the first
// word's end on across the spaces): d020d05 reads from the comma over
// base64 characters only, stops at the '%', and never collects the words.
func TestReview50aPctFirstWordSpacedB64URLInLetter(t *testing.T) {
	u := r50aPctSpaced(t)
	plain := base64.StdEncoding.EncodeToString([]byte(r50aCondSlash))
	r39aLetterCases(t, []struct {
		name, ct, text string
		want           int
	}{
		{"r50a-pct-premise-unspaced", "text/plain", "Record: data:application/fhir+json;base64," + plain + " filed", 404},
		{"r50a-pct-plain", "text/plain", "Record: data:application/fhir+json;base64," + u, 404},
		{"r50a-pct-plain-then-prose", "text/plain", "Record: data:application/fhir+json;base64," + u + "\n\nFiled by the clinic.", 404},
		{"r50a-pct-html-quoted", "text/html", `<p><a href="data:application/fhir+json;base64,` + u + `">record</a></p>`, 404},
	})
}

// TestReview50aSoundOrdinaryLettersReleased: letters d020d05's readings
// touch: an image then long prose, XML with Windows paths in quoted
// attributes, RTF full of backslashes and quotes.
func TestReview50aSoundOrdinaryLettersReleased(t *testing.T) {
	img := make([]byte, 4000)
	copy(img, "\x89PNG\r\n\x1a\n")
	x := uint32(7)
	for i := 8; i < len(img); i++ {
		x = x*1103515245 + 12345
		img[i] = byte(x >> 16)
	}
	b := base64.StdEncoding.EncodeToString(img)
	prose := strings.Repeat("the patient was seen in clinic today and is much better her blood pressure is stable follow up in six weeks ", 200)
	var xml, rtf strings.Builder
	xml.WriteString(`<?xml version="1.0"?><letter>`)
	rtf.WriteString(`{\rtf1\ansi\deff0{\fonttbl{\f0\fswiss Helvetica;}}\f0\pard `)
	for range 300 {
		xml.WriteString(`<attachment path="C:\\Users\\jsmith\\Documents\\Letters\\clinic-letter.docx" note="see \"enclosed\" copy\n of it"/>`)
		rtf.WriteString(`Dear Dr Jones, \par she said \"I feel better\" and \b today\b0  BP fine.\par "quoted \\ text \n here" `)
	}
	xml.WriteString(`</letter>`)
	rtf.WriteString(`}`)
	r39aLetterCases(t, []struct {
		name, ct, text string
		want           int
	}{
		{"r50a-ok-html-img-prose", "text/html", `<p>Wound photo data:image/png;base64,` + b + " " + prose + `</p>`, 200},
		{"r50a-ok-plain-img-prose", "text/plain", `Wound photo data:image/png;base64,` + b + "\n" + prose, 200},
		{"r50a-ok-xml-paths", "application/xml", xml.String(), 200},
		{"r50a-ok-rtf", "text/rtf", rtf.String(), 200},
	})
}

// TestReview50aJSONStringAfterStrayQuoteInXML: d020d05's eachJSONStringIn
// pairs each quote with the next; one stray quote in the prose before a
// JSON snippet (a quoted remark left open) pairs the snippet's quotes the
// wrong way round, and its string holding a base64 data: url wrapped with
// "\n" escapes (review 49a's hole) is never decoded.
func TestReview50aJSONStringAfterStrayQuoteInXML(t *testing.T) {
	b := base64.StdEncoding.EncodeToString([]byte(r50aCondSlash))
	var w []string
	for s := b; len(s) > 0; {
		n := min(40, len(s))
		w = append(w, s[:n])
		s = s[n:]
	}
	u := strings.Join(w, `\n`)
	r39aLetterCases(t, []struct {
		name, ct, text string
		want           int
	}{
		{"r50a-sq-premise", "application/xml", `<note><p>She said fine</p><json>{"att":"data:application/fhir+json;base64,` + u + `"}</json></note>`, 404},
		{"r50a-sq-stray-quote", "application/xml", `<note><p>She said "fine</p><json>{"att":"data:application/fhir+json;base64,` + u + `"}</json></note>`, 404},
		{"r50a-sq-inch-mark", "text/plain", `Wound 2" long.` + "\n" + `{"att":"data:application/fhir+json;base64,` + u + `"}`, 404},
	})
}
