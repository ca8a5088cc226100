package api

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Review 48a: unit probes of eachDataURL / eachEmbeddedPayload as of
// b591528 (header without white space, quote-ended urls, base64 read on
// across spaces, percent-encoded read on to the next url, early stop).

const r48aHIVCond = `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}`

func r48aPct(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

// r48aGives reports whether any payload eachEmbeddedPayload gives from
// text (at the first level) holds the HIV code.
func r48aGives(text string) bool {
	found := false
	eachEmbeddedPayload([]byte(text), func(_ string, raw []byte) bool {
		if strings.Contains(string(raw), "86406008") {
			found = true
		}
		return true
	})
	return found
}

// r48aSpacedB64 is s in base64 with a space every 40 characters (no run of
// 64), ending in '=' padding.
func r48aSpacedB64(s string) string {
	b := base64.StdEncoding.EncodeToString([]byte(s))
	var out []string
	for len(b) > 40 {
		out = append(out, b[:40])
		b = b[40:]
	}
	return strings.Join(append(out, b), " ")
}

// TestReview48aUnitHeaderBrokenByDroppedWhiteSpace: a data: url whose
// header (before its comma) holds a tab or line break a URL parser drops
// (written "&#10;" / "&#9;" in HTML, or literally in an attribute value):
// a reader takes "data:application/fhir+json,%7B..."; eachDataURL ends the
// header at the white space and the url is never read.
func TestReview48aUnitHeaderBrokenByDroppedWhiteSpace(t *testing.T) {
	p := r48aPct(r48aHIVCond)
	for _, c := range []struct{ name, text string }{
		{"premise-plain", `<a href="data:application/fhir+json,` + p + `">x</a>`},
		{"lf-entity-in-type", `<a href="data:application/fhir+json&#10;,` + p + `">x</a>`},
		{"tab-entity-in-type", `<a href="data:application/fhir&#9;+json,` + p + `">x</a>`},
		{"lf-literal-in-attr", "<a href=\"data:application/fhir+json\n," + p + "\">x</a>"},
		{"lf-entity-after-scheme", `<a href="data:&#10;application/fhir+json,` + p + `">x</a>`},
		{"lf-entity-no-type", `<a href="data:&#10;,` + p + `">x</a>`},
		{"cr-lf-b64-header", "<a href=\"data:application/fhir+json\r\n;base64," + r48aSpacedB64(r48aHIVCond) + "\">x</a>"},
	} {
		got := r48aGives(c.text)
		t.Logf("%s: HIV payload given=%v", c.name, got)
		if !got {
			t.Errorf("%s: eachEmbeddedPayload does not give the HIV Condition of %.90q…", c.name, c.text)
		}
	}
}

// TestReview48aUnitJSONEscapedQuoteInURL: a JSON (non-FHIR) letter whose
// string holds a data: url with an escaped quote \" in its data: a JSON
// reader takes the string with the quote in it, and the url's data
// percent-decodes to text holding the HIV code after it.
func TestReview48aUnitJSONEscapedQuoteInURL(t *testing.T) {
	code := r48aPct("86406008")
	for _, c := range []struct{ name, text string }{
		{"premise-no-quote", `{"note":"see data:text/plain,HIV%20` + code + ` ok"}`},
		{"escaped-quote-prose", `{"note":"see data:text/plain,said%20\"yes\"%20` + code + ` ok"}`},
		{"escaped-quote-whole-value", `{"note":"data:text/plain,said%20\"yes\"%20` + code + `"}`},
		{"u0022-quote-prose", `{"note":"see data:text/plain,said%20\u0022yes\u0022%20` + code + ` ok"}`},
	} {
		got := r48aGives(c.text)
		t.Logf("%s: given=%v", c.name, got)
		if !got {
			t.Errorf("%s: the HIV code after an escaped quote in a JSON string's data: url is not given: %q", c.name, c.text)
		}
	}
}

// TestReview48aUnitQuotedURLOtherQuote: a url opened by one quote holding
// the other (legal in the attribute): read to its own closing quote.
func TestReview48aUnitQuotedURLOtherQuote(t *testing.T) {
	code := r48aPct("86406008")
	for _, c := range []struct{ name, text string }{
		{"single-holds-double", `<a href='data:text/plain,he said "no" ` + code + `'>x</a>`},
		{"double-holds-single", `<a href="data:text/plain,it's%20` + code + `">x</a>`},
		{"single-holds-double-nospace", `<a href='data:text/plain,he%20said%20"no"%20` + code + `'>x</a>`},
	} {
		got := r48aGives(c.text)
		t.Logf("%s: given=%v", c.name, got)
		if !got {
			t.Errorf("%s: not given: %q", c.name, c.text)
		}
	}
}

// TestReview48aUnitBase64ThenProse: a base64 data: url in prose, wrapped
// with spaces (no run of 64), ending in '=' padding, then two or more
// words of prose made of base64 letters: neither "with" nor "without its
// last word" is the url.
func TestReview48aUnitBase64ThenProse(t *testing.T) {
	b := r48aSpacedB64(r48aHIVCondPadded)
	if !strings.HasSuffix(b, "=") {
		t.Fatalf("premise: padding expected: %q", b)
	}
	for _, c := range []struct{ name, text string }{
		{"premise-then-end", "Record: data:application/fhir+json;base64," + b},
		{"premise-one-word", "Record: data:application/fhir+json;base64," + b + " Regards"},
		{"two-words", "Record: data:application/fhir+json;base64," + b + " Kind regards"},
		{"two-words-lf", "Record: data:application/fhir+json;base64," + b + "\nKind regards\nDr Smith"},
		{"sentence", "Record: data:application/fhir+json;base64," + b + " please file this in her notes"},
	} {
		got := r48aGives(c.text)
		t.Logf("%s: given=%v", c.name, got)
		if !got {
			t.Errorf("%s: the HIV Condition in spaced base64 followed by prose is not given: …%q", c.name, c.text[max(0, len(c.text)-60):])
		}
	}
}

// r48aHIVCondPadded: the Condition with a trailing space, so its base64
// ends in '=' padding.
const r48aHIVCondPadded = r48aHIVCond + " "

// TestReview48aUnitSoundOverFailsClosed: with the cap lowered, a letter of
// many distinct payloads then the HIV Condition: the walk stops (over) and
// the item is then labelled (derive: over -> R).
func TestReview48aUnitSoundOverFailsClosed(t *testing.T) {
	oldMin, oldF := minDecodedCap, maxDecodedFactor
	minDecodedCap, maxDecodedFactor = 2000, 1
	defer func() { minDecodedCap, maxDecodedFactor = oldMin, oldF }()
	var b strings.Builder
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&b, "Item %d: data:text/plain,%s\n", i, r48aPct(fmt.Sprintf("filler number %d %s", i, strings.Repeat("x", 40))))
	}
	b.WriteString("Record: data:application/fhir+json," + r48aPct(r48aHIVCond) + "\n")
	m := map[string]any{"resourceType": "DocumentReference", "content": []any{map[string]any{"attachment": map[string]any{"contentType": "text/plain", "data": base64.StdEncoding.EncodeToString([]byte(b.String()))}}}}
	_, texts, over := attachedContentCapped(m, true)
	read := false
	for _, x := range texts {
		read = read || strings.Contains(string(x), "86406008")
	}
	t.Logf("over=%v hivRead=%v texts=%d", over, read, len(texts))
	if !over && !read {
		t.Errorf("the HIV Condition after the cap is neither read nor failed closed")
	}
}

// TestReview48aUnitCost: 1 MiB adversarial shapes through eachEmbeddedPayload
// and attachedContentCapped, against an ordinary 1 MiB letter.
func TestReview48aUnitCost(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("a cost probe of 1 MiB texts: run without -race")
	}
	const n = 1 << 20
	fill := func(unit string) string { return strings.Repeat(unit, n/len(unit)+1)[:n] }
	shapes := []struct{ name, text string }{
		{"ordinary-letter", fill("Seen in clinic today, BP 120/80, plan: review in 3 months. ")},
		{"data-comma-space", fill("data:, ")},
		{"data-b64-spaced", "data:;base64," + fill("QUJD ")},
		{"many-b64-urls", fill("data:;base64,QUJD QUJD ")},
		{"pct-spaced", "data:," + fill("% ")},
		{"many-pct-urls", fill("data:,%41 %42 ")},
		{"quote-data", fill(`"data:,x `)},
		{"data-no-comma", fill("data:")},
		{"header-long", "data:" + fill("a")},
		{"b64-words-then-urls", fill("data:;base64,QUJD QUJD QUJD QUJD QUJD QUJD data:,%41%20 ")},
		{"apos-data", fill(`'data:;base64,QUJD `)},
		{"html-imgs", fill(`<img src="data:image/png;base64,iVBORw0KGgo="/> `)},
	}
	for _, s := range shapes {
		start := time.Now()
		n, bytesOut := 0, 0
		eachEmbeddedPayload([]byte(s.text), func(_ string, raw []byte) bool { n++; bytesOut += len(raw); return true })
		d1 := time.Since(start)
		m := map[string]any{"resourceType": "DocumentReference", "content": []any{map[string]any{"attachment": map[string]any{"contentType": "text/plain", "data": base64.StdEncoding.EncodeToString([]byte(s.text))}}}}
		start = time.Now()
		_, _, over := attachedContentCapped(m, true)
		d2 := time.Since(start)
		t.Logf("%-20s each: %v (%d payloads, %d bytes)  capped: %v over=%v", s.name, d1, n, bytesOut, d2, over)
		if d1+d2 > raceSlowdown*3*time.Second {
			t.Errorf("%s: 1 MiB took %v + %v", s.name, d1, d2)
		}
	}
}
