package api

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Review 50a: unit probes of d020d05 (dataURLs' base64 reading from the
// comma, structuredEnd, the quoted percent-encoded url, eachJSONStringIn)
// through attachedContentCapped, the label net's reader of attachments.
// Self-contained so the file runs unchanged against d020d05^.

const r50aHIVCond = `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"note":[{"text":"ok???????"}],"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}`

func r50aDoc(ct, text string) map[string]any {
	return map[string]any{"resourceType": "DocumentReference", "content": []any{map[string]any{"attachment": map[string]any{"contentType": ct, "data": base64.StdEncoding.EncodeToString([]byte(text))}}}}
}

// r50aNet: whether the net reads the HIV code, fails closed, and how many
// documents it found, and how long it took.
func r50aNet(ct, text string) (read, over bool, ndocs int, d time.Duration) {
	t0 := time.Now()
	docs, texts, over := attachedContentCapped(r50aDoc(ct, text), true)
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

// r50aPctFirstWord: the HIV Condition's base64, its first word holding a
// '/' or '+' written percent-encoded (%2F, %2B, as a URL writer does), the
// rest wrapped in spaced words of 16.
func r50aPctFirstWord(t *testing.T) string {
	b := base64.StdEncoding.EncodeToString([]byte(r50aHIVCond))
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

// TestReview50aUnitPctFirstWordThenSpacedB64: d020d05 starts the base64
// reading at the comma over base64 characters; a '%' (not one) in the first
// word now stops it there, and the words after it are never collected.
// d020d05^ read on from the first word's end across the spaced words.
func TestReview50aUnitPctFirstWordThenSpacedB64(t *testing.T) {
	u := r50aPctFirstWord(t)
	for _, c := range []struct{ name, ct, text string }{
		{"text-plain", "text/plain", "Record: data:application/fhir+json;base64," + u},
		{"text-plain-prose-after", "text/plain", "Record: data:application/fhir+json;base64," + u + "\n\nFiled by the clinic."},
		{"html-unquoted", "text/html", "<p>Record: data:application/fhir+json;base64," + u + "</p>"},
		{"html-quoted", "text/html", `<p><a href="data:application/fhir+json;base64,` + u + `">record</a></p>`},
	} {
		read, over, _, _ := r50aNet(c.ct, c.text)
		t.Logf("%s: read=%v over=%v", c.name, read, over)
		if !read && !over {
			t.Errorf("%s: the HIV Condition in a base64 url whose first word is percent-encoded and the rest spaced is neither read nor failed closed: %.140q…", c.name, c.text)
		}
	}
}

func r50aProse(n int) string {
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

// r50aImage: a PNG-like binary image's base64 (deterministic bytes).
func r50aImage(n int) string {
	img := make([]byte, n)
	copy(img, "\x89PNG\r\n\x1a\n")
	x := uint32(12345)
	for i := 8; i < n; i++ {
		x = x*1103515245 + 12345
		img[i] = byte(x >> 16)
	}
	return base64.StdEncoding.EncodeToString(img)
}

// TestReview50aSoundOrdinaryLettersNotFailedClosed: ordinary letters (an
// image then long prose, XML with Windows paths, RTF full of backslashes
// and quotes) are not failed closed and yield no documents.
func TestReview50aSoundOrdinaryLettersNotFailedClosed(t *testing.T) {
	var xml strings.Builder
	xml.WriteString(`<?xml version="1.0"?><letter>`)
	for i := range 400 {
		xml.WriteString(`<attachment path="C:\\Users\\jsmith\\Documents\\Letters\\clinic-letter-` + string(rune('a'+i%26)) + `.docx" note="see \"enclosed\" copy\n of the letter"/>`)
	}
	xml.WriteString(`</letter>`)
	var rtf strings.Builder
	rtf.WriteString(`{\rtf1\ansi\deff0{\fonttbl{\f0\fswiss Helvetica;}}\f0\pard `)
	for range 400 {
		rtf.WriteString(`Dear Dr Jones, \par the patient said \"I feel better\" and \b today\b0  her BP was fine.\par "quoted \\ text \n here" `)
	}
	rtf.WriteString(`}`)
	for _, c := range []struct{ name, ct, text string }{
		{"html-img-then-prose", "text/html", `<p>Wound photo: data:image/png;base64,` + r50aImage(6000) + ` ` + r50aProse(3000) + `</p>`},
		{"plain-img-then-prose", "text/plain", `Wound photo data:image/png;base64,` + r50aImage(6000) + "\n" + r50aProse(3000)},
		{"xml-windows-paths", "application/xml", xml.String()},
		{"rtf", "text/rtf", rtf.String()},
	} {
		read, over, n, d := r50aNet(c.ct, c.text)
		t.Logf("%s: %d bytes read=%v over=%v docs=%d in %v", c.name, len(c.text), read, over, n, d)
		if over || n > 0 {
			t.Errorf("%s: an ordinary letter is failed closed (over=%v) or yields %d documents", c.name, over, n)
		}
	}
}

// TestReview50aSoundCost: the inputs d020d05's new readings scan, against
// an ordinary letter of the same size.
func TestReview50aSoundCost(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("a cost probe of 1 MiB texts: run without -race")
	}
	const size = 1 << 20
	ordinary := r50aProse(size / 4)[:size]
	_, _, _, base := r50aNet("text/plain", ordinary)
	var spans strings.Builder
	for spans.Len() < size {
		spans.WriteString(`"QUJDREVGR0hJSktMTU5PUFFSU1RVVldY\nWVphYmNkZWZnaGlqa2xtbm9w" `)
	}
	var urls strings.Builder
	for urls.Len() < size {
		urls.WriteString(`"data:application/fhir+json;base64,eyJyZXNvdXJjZVR5cGUiOiJCYXNpYyJ9\n` + r50aProse(20) + `" `)
	}
	var manyB64 strings.Builder
	for manyB64.Len() < size {
		manyB64.WriteString(`data:application/fhir+json;base64,eyJyZXNvdXJjZVR5cGUiOiJCYXNpYyJ9 ` + r50aProse(40) + "\n")
	}
	cases := []struct{ name, ct, text string }{
		{"backslash-pairs", "text/plain", strings.Repeat(`"\\"`, size/4)},
		{"backslash-pairs-xml", "application/xml", "<a>" + strings.Repeat(`"\\"`, size/4) + "</a>"},
		{"escaped-spans", "text/plain", spans.String()},
		{"escaped-spans-with-urls", "text/plain", urls.String()},
		{"b64-then-thousands-of-words", "text/plain", "data:application/fhir+json;base64," + r50aImage(3000) + " " + r50aProse(150000)},
		{"many-b64-urls-with-prose", "text/plain", manyB64.String()},
		{"unclosed-quote-backslashes", "text/plain", `"` + strings.Repeat(`\"x`, size/3)},
	}
	t.Logf("ordinary letter %d bytes: %v", len(ordinary), base)
	for _, c := range cases {
		_, over, _, d := r50aNet(c.ct, c.text)
		t.Logf("%s: %d bytes over=%v %v (%.1fx ordinary)", c.name, len(c.text), over, d, float64(d)/float64(base))
		if d > raceSlowdown*3*time.Second && d > 30*base {
			t.Errorf("%s: %v for %d bytes (ordinary letter %v)", c.name, d, len(c.text), base)
		}
	}
}
