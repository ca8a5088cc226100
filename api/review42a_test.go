package api_test

// Review 42a: a re-read of the fix40a merge (eachBase64Run joining wrapped
// and indented lines; JSON sniffed under any media type; data: urls in XML
// text; nextNHSNumberLike). Probes are differential against fbe00f7 (the
// main before fix40a): a finding fails here and passed there.

import (
	"encoding/base64"
	"net/url"
	"time"

	"github.com/carex-project/carex/api"
	"strings"
	"testing"
)

// pad57r42a pads s with spaces to a multiple of 57 bytes, so that its
// base64 has no padding and each 76-character line decodes on its own.
func pad57r42a(s string) string {
	for len(s)%57 != 0 {
		s += " "
	}
	return s
}

// indentLinesR42a is enc in lines of n characters, each after a line
// break and indentation.
func indentLinesR42a(enc string, n int) string {
	var b strings.Builder
	for len(enc) > 0 {
		k := min(n, len(enc))
		b.WriteString("\n      " + enc[:k])
		enc = enc[k:]
	}
	return b.String()
}

// tokR42a is a reference token of n base64 characters (a line before the
// indented base64 ends with it).
func tokR42a(n int) string { return "REF0123456789ABCDEFGHIJ"[:n] }

// hivTextR42a: plain clinical text coding HIV (86406008), repeated so that
// each 57-byte piece of it carries the code whole somewhere.
var hivTextR42a = pad57r42a(strings.Repeat("Dx: SNOMED CT 86406008 HIV infection. ", 12))

// xmlLetterR42a is an XML letter whose <note> holds a reference token
// (tok, n characters) at the end of a line, then base64 of inner indented
// in 76-character lines below it, as a pretty-printed document wraps it.
func xmlLetterR42a(tok, inner string) string {
	return "<letter>\n  <note>Our ref " + tok + indentLinesR42a(b64(inner), 76) + "\n  </note>\n</letter>\n"
}

// TestReview42aHIVBase64AfterReferenceTokenLine: Jane's letter (by the GP
// A81001) as application/xml whose text holds base64 of a note coding HIV
// 86406008, wrapped at 76 and indented, below a line ending with a
// reference token. fbe00f7 read each indented line as a run (57 bytes of
// text each: the code found); fix40a joins the token's line to them when
// it holds >= 16 base64 characters, and a token of 18 or 19 characters
// shifts the whole run by 4 or 2 bits: it still decodes (raw base64), to
// bytes that hold no code, so the parts are never read and the letter goes
// unlabelled to the hospital clinician RHX.
func TestReview42aHIVBase64AfterReferenceTokenLine(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for _, n := range []int{0, 10, 16, 17, 18, 19, 22, 23} {
		tok := tokR42a(n)
		id := "r42a-hiv-tok" + itoa40a(n)
		att := `{"contentType":"application/xml","data":"` + b64(xmlLetterR42a(tok, hivTextR42a)) + `"}`
		if st := r26aLetter(t, e, id, att, ""); st != 404 {
			t.Errorf("hospital-clinician RHX: GET /fhir/DocumentReference/%s (XML letter: base64 of an HIV 86406008 note indented below a line ending with a %d-character reference %q) -> %d, want 404 (labelled HIV)", id, n, tok, st)
		}
	}
}

// TestReview42aHIVBase64AfterReferenceTokenTextPlain: the same, the letter
// typed text/plain.
func TestReview42aHIVBase64AfterReferenceTokenTextPlain(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for _, n := range []int{0, 16, 18, 19} {
		tok := tokR42a(n)
		id := "r42a-hivtp-tok" + itoa40a(n)
		letter := "Dear colleague,\nOur ref " + tok + indentLinesR42a(b64(hivTextR42a), 76) + "\n\nYours sincerely\n"
		att := `{"contentType":"text/plain","data":"` + b64(letter) + `"}`
		if st := r26aLetter(t, e, id, att, ""); st != 404 {
			t.Errorf("hospital-clinician RHX: GET /fhir/DocumentReference/%s (text/plain letter: base64 of an HIV note indented below a line ending with a %d-character reference) -> %d, want 404 (labelled HIV)", id, n, st)
		}
	}
}

// TestReview42aHerNumberBase64AfterReferenceTokenLine: Jane's letter (the
// GP's) as application/xml carrying r21's (restricted) NHS number in
// base64 indented below a line ending with a reference token: her number
// is to be masked from the hospital clinician RHX (not released whole).
func TestReview42aHerNumberBase64AfterReferenceTokenLine(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seed21a(t, e, "")
	r24aHospTeam(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	inner := pad57r42a(strings.Repeat("Sister: NHS No 9990000069. ", 12))
	for _, n := range []int{0, 10, 16, 18, 19} {
		id := "r42a-num-tok" + itoa40a(n)
		data := b64(xmlLetterR42a(tokR42a(n), inner))
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},
		"type":{"text":"R42A-LETTER"},"content":[{"attachment":{"contentType":"application/xml","data":"` + data + `"}}]}`})
		r := e.do("GET", "/fhir/DocumentReference/"+id, hosp, "")
		if r.status != 200 {
			t.Errorf("%s: premise: RHX reads Jane's letter: %d %.200s", id, r.status, r.body)
			continue
		}
		if strings.Contains(r.body, data) {
			t.Errorf("hospital-clinician RHX: GET /fhir/DocumentReference/%s -> 200 with the attachment whole: r21's (restricted) NHS number 9990000069 in base64 indented below a line ending with a %d-character reference", id, n)
		}
	}
}

// TestReview42aSoundPlainLetterStartingWithBracket: ordinary letters typed
// text/plain whose text starts with "[" or "{" (not JSON) naming the GP's
// own Organization: the GP A81001 reads each whole and writes it back
// unchanged (200), and the hospital clinician RHX reads them.
func TestReview42aSoundPlainLetterStartingWithBracket(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	sys := e.token("system", "nhs", "A81001")
	gpu := e.token("gp", "nhs", "A81001")
	letters := map[string]string{
		"r42a-br-draft": "[Draft] letter to Dr Smith, Riverside Surgery (Organization/A81001).\nSeen in clinic, well.\n",
		"r42a-br-brace": "{confidential} Review letter. Organization/A81001 Riverside Surgery.\n",
		"r42a-br-list":  "[1] bloods normal\n[2] follow up in 6 weeks\n",
	}
	for id, l := range letters {
		for _, form := range []string{"data", "url"} {
			att := `"contentType":"text/plain","data":"` + b64(l) + `"`
			if form == "url" {
				att = `"contentType":"text/plain","url":"data:text/plain;base64,` + b64(l) + `"`
			}
			did := id + "-" + form
			e.putAll(t, sys, [2]string{"/fhir/DocumentReference/" + did, docXML40a(did, att)})
			r := e.do("GET", "/fhir/DocumentReference/"+did, gpu, "")
			if r.status != 200 || strings.Contains(r.body, "masked") || !strings.Contains(r.body, b64(l)) {
				t.Errorf("gp A81001: GET %s -> %d, not whole: %.400s", did, r.status, r.body)
				continue
			}
			if w := e.do("PUT", "/fhir/DocumentReference/"+did, gpu, r.body); w.status != 200 && w.status != 201 {
				t.Errorf("gp A81001: PUT back %s as read -> %d: %.300s", did, w.status, w.body)
			}
			if h := e.do("GET", "/fhir/DocumentReference/"+did, e.token("hospital-clinician", "nhs", "RHX"), ""); h.status != 200 || !strings.Contains(h.body, b64(l)) {
				t.Errorf("hospital-clinician RHX: GET %s -> %d, letter not whole: %.300s", did, h.status, h.body)
			}
		}
	}
}

// TestReview42aSoundIndentedProseNotOverWithheld: an ordinary letter typed
// text/plain with long words at line ends and indented lines below
// (addresses, a list) is read whole by the hospital clinician RHX.
func TestReview42aSoundIndentedProseNotOverWithheld(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	l := "Dear Dr Smith, re MedicationReviewFollowUp2026\n    Bloods normal 2026 12 05 eGFR 90\n    BP 120 80 weight 70kg height 170cm\n" +
		"AcknowledgementsAndThanks\n    Outpatients ward 12 Leeds General Infirmary LS1 3EX\n    Next review 0113 243 2799\n"
	if st := r26aLetter(t, e, "r42a-prose", `{"contentType":"text/plain","data":"`+base64.StdEncoding.EncodeToString([]byte(l))+`"}`, ""); st != 200 {
		t.Errorf("hospital-clinician RHX: GET r42a-prose (an ordinary letter with indented lines) -> %d, want 200", st)
	}
}

// firstBlocksR42a are contents that may come first in a letter's base64,
// each a multiple of 57 bytes (no padding): a PNG image's bytes and a note
// in UTF-16LE with a byte order mark.
func firstBlocksR42a() map[string]string {
	png := "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + strings.Repeat("\x00\x01\x02\x03", 60)
	for len(png)%57 != 0 {
		png += "\x00"
	}
	u16 := string(utf16le40a("Clinic note: seen today, well, no change to medication. ", true))
	for len(u16)%114 != 0 {
		u16 += " \x00"
	}
	return map[string]string{"png": png, "utf16": u16}
}

// TestReview42aHIVBase64AfterAnotherBlock: Jane's XML letter whose note
// holds two base64 blocks, each wrapped at 76 and indented: a PNG image (or
// a UTF-16 note) and then a note coding HIV 86406008. fbe00f7 read each
// line on its own (the HIV note's lines: the code found); fix40a joins the
// two blocks into one run, which decodes (no padding between them) to a
// PNG (not read: binaryFormat) or to UTF-16 (the UTF-8 note garbled), so
// the letter goes unlabelled to the hospital clinician RHX.
func TestReview42aHIVBase64AfterAnotherBlock(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for name, first := range firstBlocksR42a() {
		id := "r42a-hiv-after-" + name
		letter := "<letter>\n  <note>" + indentLinesR42a(b64(first), 76) + indentLinesR42a(b64(hivTextR42a), 76) + "\n  </note>\n</letter>\n"
		att := `{"contentType":"application/xml","data":"` + b64(letter) + `"}`
		if st := r26aLetter(t, e, id, att, ""); st != 404 {
			t.Errorf("hospital-clinician RHX: GET /fhir/DocumentReference/%s (XML letter: base64 of a %s, then base64 of an HIV 86406008 note, both indented) -> %d, want 404 (labelled HIV)", id, name, st)
		}
	}
}

// TestReview42aHerNumberBase64AfterAnotherBlock: the same two blocks, the
// second carrying r21's (restricted) NHS number, in Jane's letter: to be
// masked from the hospital clinician RHX.
func TestReview42aHerNumberBase64AfterAnotherBlock(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seed21a(t, e, "")
	r24aHospTeam(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	inner := pad57r42a(strings.Repeat("Sister: NHS No 9990000069. ", 12))
	for name, first := range firstBlocksR42a() {
		id := "r42a-num-after-" + name
		letter := "<letter>\n  <note>" + indentLinesR42a(b64(first), 76) + indentLinesR42a(b64(inner), 76) + "\n  </note>\n</letter>\n"
		data := b64(letter)
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},
		"type":{"text":"R42A-LETTER"},"content":[{"attachment":{"contentType":"application/xml","data":"` + data + `"}}]}`})
		r := e.do("GET", "/fhir/DocumentReference/"+id, hosp, "")
		if r.status != 200 {
			t.Errorf("%s: premise: RHX reads Jane's letter: %d %.200s", id, r.status, r.body)
			continue
		}
		if strings.Contains(r.body, data) {
			t.Errorf("hospital-clinician RHX: GET /fhir/DocumentReference/%s -> 200 with the attachment whole: r21's (restricted) NHS number 9990000069 in base64 indented after a %s block", id, name)
		}
	}
}

// mimeLinesR42a is enc in lines of n characters (no indentation), as MIME
// wraps base64.
func mimeLinesR42a(enc string, n int) string {
	var b strings.Builder
	for len(enc) > 0 {
		k := min(n, len(enc))
		b.WriteString(enc[:k] + "\n")
		enc = enc[k:]
	}
	return b.String()
}

// TestReview42aHIVBase64InPlainLetterStartingAsJSON: Jane's letter typed
// text/plain, starting with a numbered list ("[1] ...") or a JSON header
// line, and holding base64 of a note coding HIV 86406008 (MIME-wrapped, or
// on one line). fbe00f7 read text/plain as text: its base64 runs were
// read and the code found. fix40a reads text starting with "[" or "{" as
// JSON whatever its type; a line of it decodes ("[1]", the header), so
// attachedContentCapped counts the payload as JSON and no longer reads
// its base64 runs: the letter goes unlabelled to the hospital clinician
// RHX.
func TestReview42aHIVBase64InPlainLetterStartingAsJSON(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	enc := b64(hivTextR42a)
	for i, l := range []string{
		"[1] Seen in clinic today.\n[2] Results below.\n\n" + mimeLinesR42a(enc, 76),
		"[1] Seen in clinic today.\n[2] Results below.\n\n" + enc + "\n",
		`{"letter":"draft","version":2}` + "\nDear colleague, results below.\n\n" + mimeLinesR42a(enc, 76),
		"Seen in clinic today.\n[1] Results below.\n\n" + mimeLinesR42a(enc, 76), // (premise: not starting as JSON)
	} {
		id := "r42a-hiv-plainjson" + itoa40a(i)
		att := `{"contentType":"text/plain","data":"` + b64(l) + `"}`
		if st := r26aLetter(t, e, id, att, ""); st != 404 {
			t.Errorf("hospital-clinician RHX: GET /fhir/DocumentReference/%s (text/plain letter starting %q, base64 of an HIV 86406008 note in it) -> %d, want 404 (labelled HIV)", id, l[:12], st)
		}
	}
}

// TestReview42aSoundCostIndentedShortLines: Jane's letter (the GP's), 6
// MiB of XML whose text is short indented base64-like lines (16 or 20
// characters: joined into one run of the whole text by fix40a), or
// lines that join but do not decode: written (labels) and read by the
// hospital clinician RHX (unread data, her number) in bounded time.
func TestReview42aSoundCostIndentedShortLines(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("a cost probe of 6 MiB bodies: run without -race (go test ./api -run " + t.Name() + ")")
	}
	e := newEnv(t, func(c *api.Config) { c.MaxBody = 16 << 20 })
	seedShared(t, e)
	seed21a(t, e, "")
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for _, c := range []struct{ name, line string }{
		{"l16", "QUJDREVGR0hJSktM"},
		{"l20", "OTk5MDAwMDA2OSAx0123"},
		{"bad", "QUJDREVGR0hJSktMT"},
	} {
		var b strings.Builder
		b.WriteString("<letter>\n  <note>")
		for b.Len() < 6<<20 {
			b.WriteString("\n      " + c.line)
		}
		b.WriteString("\n  </note>\n</letter>\n")
		id := "r42a-cost-" + c.name
		start := time.Now()
		w := e.do("PUT", "/fhir/DocumentReference/"+id, gp, `{"resourceType":"DocumentReference","id":"`+id+`","status":"current","subject":{"reference":"Patient/jane"},"content":[{"attachment":{"contentType":"application/xml","data":"`+b64(b.String())+`"}}]}`)
		put := time.Since(start)
		if w.status != 200 && w.status != 201 {
			t.Errorf("%s: PUT -> %d %.200s", id, w.status, w.body)
			continue
		}
		start = time.Now()
		r := e.do("GET", "/fhir/DocumentReference/"+id, hosp, "")
		get := time.Since(start)
		t.Logf("%s: PUT %v, RHX GET %v (%d)", id, put, get, r.status)
		if put > raceSlowdown*20*time.Second || get > raceSlowdown*10*time.Second {
			t.Errorf("%s: 6 MiB of short indented lines: PUT %v, hospital-clinician RHX GET %v", id, put, get)
		}
	}
}

// nestR42a wraps XML doc in n levels of FHIR XML DocumentReference whose
// Attachment's <url value> is a data: url (base64) of the level inside,
// each level's text holding an entity (&amp;), as a clinic name may.
func nestR42a(doc string, n int, amp string) string {
	for i := 0; i < n; i++ {
		doc = `<DocumentReference xmlns="http://hl7.org/fhir"><description value="Smith ` + amp + ` Jones clinic, level ` + itoa40a(i) + `"/><content><attachment><contentType value="application/fhir+xml"/><url value="data:application/fhir+xml;base64,` + b64(doc) + `"/></attachment></content></DocumentReference>`
	}
	return doc
}

// TestReview42aNestedDataURLsInXMLOverWithheld: the GP's letter for Jane
// as application/fhir+xml nesting an ordinary clinic note (no refuge, 150
// KB) in data: urls 1 to 4 levels deep: while the refuge is labelled
// (seed31b), the hospital clinician RCX is to read it whole. fix40a's
// textWithholds reads each base64 data: url twice (as a base64 run and as
// a data: url), once more per form (scanText differs where the text holds
// an entity, &amp;), at every level, so the reads multiply (2 or 3 per
// level) and pass the cap (8x the text) at 3 levels (4 without an
// entity): failing closed, the ordinary note is masked.
func TestReview42aNestedDataURLsInXMLOverWithheld(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.MaxBody = 16 << 20 })
	seed31b(t, e)
	gp := e.token("system", "nhs", "A81001")
	rcx := e.token("hospital-clinician", "nhs", "RCX")
	note := `<Basic xmlns="http://hl7.org/fhir"><code><text value="` + strings.Repeat("Clinic note: well, no change. ", 5000) + `"/></code></Basic>`
	for _, amp := range []string{"&amp;", "and"} {
		for n := 1; n <= 4; n++ {
			id := "r42a-nest" + itoa40a(n) + "-" + itoa40a(len(amp))
			data := b64(nestR42a(note, n, amp))
			e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, docXML40a(id, `"contentType":"application/fhir+xml","data":"`+data+`"`)})
			start := time.Now()
			r := e.do("GET", "/fhir/DocumentReference/"+id, rcx, "")
			t.Logf("%s: RCX GET %v (%d, %d bytes)", id, time.Since(start), r.status, len(r.body))
			if r.status != 200 || !strings.Contains(r.body, data) {
				t.Errorf("hospital-clinician RCX: GET /fhir/DocumentReference/%s (an ordinary note nested %d levels in data: urls, no refuge) -> %d, attachment not whole: %.300s", id, n, r.status, r.body)
			}
		}
	}
}

// TestReview42aDataURLRewriteSizeWithData: Jane's letter (the GP's) whose
// attachment gives its content as data (a plain letter, with its size and
// sha1 hash) and also a data: url holding an Encounter served by the
// refuge (labelled, withheld from RCX). For the hospital clinician RCX the
// url is rewritten (the reference masked); the data is not changed, so
// its size is to stay that of the data as released (FHIR: size and hash
// are of the data), not become the rewritten url content's.
func TestReview42aDataURLRewriteSizeWithData(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	gp := e.token("system", "nhs", "A81001")
	letter := "Dear colleague, Jane was seen today and is well. No change to treatment."
	enc := enc32b("enc42a", `,"serviceProvider":{"reference":"Organization/refuge31b"}`)
	id := "r42a-size"
	att := `"contentType":"text/plain","data":"` + b64(letter) + `","size":` + itoa40a(len(letter)) + `,"url":"data:application/fhir+json;base64,` + b64(enc) + `"`
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, docXML40a(id, att)})
	r := e.do("GET", "/fhir/DocumentReference/"+id, e.token("hospital-clinician", "nhs", "RCX"), "")
	if r.status != 200 || !strings.Contains(r.body, b64(letter)) {
		t.Fatalf("premise: RCX reads the letter's data whole: %d %.300s", r.status, r.body)
	}
	if strings.Contains(r.body, b64(enc)) {
		t.Fatalf("premise: the url is rewritten for RCX: %.300s", r.body)
	}
	if !strings.Contains(r.body, `"size":`+itoa40a(len(letter))) {
		i := strings.Index(r.body, `"size"`)
		t.Errorf("hospital-clinician RCX: GET /fhir/DocumentReference/%s -> %d: data released as stored (%d bytes), its size changed: …%.40s…", id, r.status, len(letter), r.body[max(i, 0):])
	}
}

// TestReview42aSoundRefugeJSONUnderOtherTypeVariants: the refuge's Organization
// as FHIR JSON (refugeCopy34b) in Jane's letter (the GP's), typed
// text/plain, in forms fix40a's sniff (first non-space byte { or [) may
// miss: UTF-16 with and without a byte order mark, big-endian, base64 wrapped as MIME wraps it, a percent-encoded
// data: url typed text/plain. The hospital clinician RCX (the refuge is
// RHX's, labelled) is not to get it as stored.
func TestReview42aSoundRefugeJSONUnderOtherTypeVariants(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	gp := e.token("system", "nhs", "A81001")
	rcx := e.token("hospital-clinician", "nhs", "RCX")
	doc := refugeCopy34b("x42a")
	be := func(s string, bom bool) string {
		var out []byte
		if bom {
			out = append(out, 0xfe, 0xff)
		}
		for _, c := range []byte(s) {
			out = append(out, 0, c)
		}
		return string(out)
	}
	b64s := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	cases := map[string]string{
		"u16le-bom": `"contentType":"text/plain","data":"` + b64s(string(utf16le40a(doc, true))) + `"`,
		"u16le-cs":  `"contentType":"text/plain;charset=utf-16le","data":"` + b64s(string(utf16le40a(doc, false))) + `"`,
		"u16be-bom": `"contentType":"text/plain","data":"` + b64s(be(doc, true)) + `"`,
		"u8-bom":    `"contentType":"text/plain","data":"` + b64s("\ufeff"+doc) + `"`,
		"mime":      `"contentType":"text/plain","data":"` + strings.ReplaceAll(mimeLinesR42a(b64s(doc), 76), "\n", `\r\n`) + `"`,
		"url-pct":   `"contentType":"text/plain","url":"data:text/plain,` + strings.ReplaceAll(url.PathEscape(doc), "%2F", "/") + `"`,
		"ws-first":  `"contentType":"text/plain","data":"` + b64s("\n\n   \t"+doc) + `"`,
		"control":   `"contentType":"text/plain","data":"` + b64s(doc) + `"`, // (fix40a's case)
	}
	for name, att := range cases {
		id := "r42a-json-" + name // ("json" in it: mayCarryFHIRData passes; see TestReview42aRefugeJSONTypedTextPlainNoJSONWord)
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, docXML40a(id, att)})
		r := e.do("GET", "/fhir/DocumentReference/"+id, rcx, "")
		data := att[strings.LastIndex(att[:len(att)-1], `"`)+1 : len(att)-1]
		if s := leaks40a(r.body); s != "" || strings.Contains(r.body, data) {
			t.Errorf("hospital-clinician RCX: GET /fhir/DocumentReference/%s (the refuge's Organization as FHIR JSON, %s) -> %d released as stored: …%s… body %.600s", id, name, r.status, s, r.body)
		}
	}
}

// TestReview42aRefugeJSONTypedTextPlainNoJSONWord: fix40a F3's own case,
// the refuge's Organization as FHIR JSON typed text/plain (or
// application/octet-stream) in Jane's letter (the GP's), is masked for the
// hospital clinician RCX only when the word "json" occurs somewhere else in
// the stored resource (review 40a's document ids were "d40a-json-plain",
// "d40a-json-octet"): the gate's prefilter mayCarryFHIRData still wants a
// JSON media type for data beside a contentType. With ids not saying
// "json", RCX gets the refuge's name, ODS code and address as stored.
func TestReview42aRefugeJSONTypedTextPlainNoJSONWord(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	gp := e.token("system", "nhs", "A81001")
	rcx := e.token("hospital-clinician", "nhs", "RCX")
	for _, c := range []struct{ id, ct string }{
		{"r42a-json-plain", "text/plain"}, // (premise: masked, as in review 40a)
		{"r42a-letter-plain", "text/plain"},
		{"r42a-letter-octet", "application/octet-stream"},
		{"r42a-letter-xmltyped", "application/fhir+xml"},
	} {
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + c.id, docXML40a(c.id, `"contentType":"`+c.ct+`","data":"`+b64(refugeCopy34b("x42a"))+`"`)})
		r := e.do("GET", "/fhir/DocumentReference/"+c.id, rcx, "")
		if s := leaks40a(r.body); s != "" {
			t.Errorf("hospital-clinician RCX: GET /fhir/DocumentReference/%s -> %d releases the labelled refuge as FHIR JSON typed %s: …%s…", c.id, r.status, c.ct, s)
		}
	}
}

// TestReview42aPlainLetterWithJSONHeadRewrittenWithoutItsText: Jane's
// letter typed text/plain whose first line is a JSON object naming the
// refuge (withheld from RCX) and whose body is prose. fix40a reads it as
// JSON (its first byte "{"); for the hospital clinician RCX the reference
// is masked and the payload rewritten as the JSON documents alone
// (encodeAttachedDocs), so the letter's prose is silently dropped though
// the attachment is not marked masked and still typed text/plain. Either
// masked (marked) or the prose kept is expected.
func TestReview42aPlainLetterWithJSONHeadRewrittenWithoutItsText(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	gp := e.token("system", "nhs", "A81001")
	letter := `{"about":{"reference":"Organization/refuge31b"}}` + "\nDear colleague, PROSE42A: Jane was seen today and is well.\n"
	id := "r42a-jsonhead"
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, docXML40a(id, `"contentType":"text/plain","data":"`+b64(letter)+`"`)})
	r := e.do("GET", "/fhir/DocumentReference/"+id, e.token("hospital-clinician", "nhs", "RCX"), "")
	if r.status != 200 {
		t.Fatalf("premise: RCX reads the letter: %d %.300s", r.status, r.body)
	}
	if strings.Contains(r.body, `"masked"`) {
		return
	}
	if dec := decoded38b(r.body); !strings.Contains(dec, "PROSE42A") {
		t.Errorf("hospital-clinician RCX: GET /fhir/DocumentReference/%s -> %d: the text/plain letter's prose is gone, not marked masked: %.600s", id, r.status, dec)
	}
}
