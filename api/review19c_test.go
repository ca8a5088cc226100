package api_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestReview19cBackslashURLInFreeTextIsMasked: a browser reads a
// backslash in an http(s) url as '/' (WHATWG; carex's own url reader,
// urlSegments, does too), and a markdown viewer renders
// "BASE/fhir\Condition\hiv" in free text as one link: clicking it fetches
// BASE/fhir/Condition/hiv. But a url in free text ended at its first
// backslash (fhir.EachAutolink, written for JSON escapes read as
// written), so the GP document's description went to the hospital
// clinician as written, telling her the withheld diagnosis' and letter's
// ids, and she found the document by them (description:contains=hiv).
// Now such a url is read whole: it goes out as #(masked), a search does
// not match the text for her, the practice reads and finds it as stored,
// and writing her masked copy back is refused (409). A url so written to
// an item she sees (the diabetes diagnosis) goes out masked too, as an
// attachment url so written does (review 16f): the reference reader
// (refReleasable) reads no backslash as a separator, so it names nothing
// readable.
func TestReview19cBackslashURLInFreeTextIsMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	gpSystem := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	hospSys := e.token("system", "nhs", "RHX")
	// As JSON: each \\ is one backslash in the text.
	text := `BSL-ONE see ` + e.base + `/fhir\\Condition\\hiv and ` + e.base + `\\fhir\\Binary\\hivbin, sugar ` + e.base + `/fhir\\Condition\\diabetes end`
	doc := func(id string) string {
		return `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},
			"description":"` + text + `","content":[{"attachment":{"contentType":"text/plain","title":"` + id + `-title"}}]}`
	}
	e.putAll(t, gpSystem, [2]string{"/fhir/DocumentReference/bsl-gp", doc("bsl-gp")})
	e.putAll(t, hospSys, [2]string{"/fhir/DocumentReference/bsl-hosp", doc("bsl-hosp")})
	for _, path := range []string{"/fhir/DocumentReference/bsl-gp", "/fhir/DocumentReference?patient=jane", "/fhir/Patient/jane/$everything"} {
		r := e.do("GET", path, hosp, "")
		if r.status != 200 || !strings.Contains(r.body, "BSL-ONE") {
			t.Fatalf("%s: the premise: the hospital reads the document: %d %.300s", path, r.status, r.body)
		}
		for _, leak := range []string{`Condition\\hiv`, `Binary\\hivbin`} {
			if strings.Contains(r.body, leak) {
				t.Errorf("%s: a url in the text names a withheld item to the hospital: %s", path, leak)
			}
		}
		if want := `BSL-ONE see #(masked) and #(masked), sugar #(masked) end`; !strings.Contains(r.body, want) {
			t.Errorf("%s: the hospital's text lacks %s: %.1500s", path, want, r.body)
		}
	}
	if r := e.do("GET", "/fhir/DocumentReference/bsl-gp", gpSystem, ""); !strings.Contains(r.body, `/fhir\\Condition\\hiv and`) {
		t.Errorf("the practice reads its text as stored: %s", r.body)
	}
	searchHidesDocument(t, e, hosp, gpSystem, "bsl-gp", "description:contains=hiv", "description:contains="+url.QueryEscape(`Binary\h`), "description=bsl-one")
	maskedCopyRefused(t, e, hosp, "/fhir/DocumentReference/bsl-hosp", "BSL-ONE", "BSL-EDITED")
}

// TestReview19cURLWithInvisibleCharacterIsMasked: a soft hyphen or a
// zero-width character (Unicode format characters) is invisible in the
// text: a markdown viewer renders "BASE/fhir/Condi<soft hyphen>tion/hiv"
// in free text as one link, shown as BASE/fhir/Condition/hiv. But the
// link's target was read with the character in place, naming no resource
// type, so the GP document's description went to the hospital clinician
// as written (as UTF-8, or as the JSON escape \u200b), showing her the
// withheld diagnosis' and letter's ids, and she found the document by them
// (description:contains=hiv). Now a link's target is read without such
// characters, as the tabs and newlines a url parser drops: the urls go out
// as #(masked), a search does not match the text for her, the practice
// reads and finds it as stored, and her masked copy written back is
// refused (409). A url that is the whole string, decided as a string, was
// read so too: it goes out as #(masked) as well.
func TestReview19cURLWithInvisibleCharacterIsMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	gpSystem := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	hospSys := e.token("system", "nhs", "RHX")
	texts := map[string]string{
		"inv-utf8":   "INV-ONE see " + e.base + "/fhir/Condi\u00adtion/hiv and <" + e.base + "/fhir/Bin\u200bary/hivbin> or " + e.base + "/fhir/Condi&shy;tion/hiv, guide https://other.example/guide end",
		"inv-escape": "INV-ONE see " + e.base + `/fhir/Condi\u00adtion/hiv and <` + e.base + `/fhir/Bin\u200bary/hivbin> or ` + e.base + "/fhir/Condi&shy;tion/hiv, guide https://other.example/guide end",
		"inv-whole":  e.base + "/fhir/Condi\u00adtion/hiv",
	}
	doc := func(id, text string) string {
		return `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},
			"description":"` + text + `","content":[{"attachment":{"contentType":"text/plain","title":"` + id + `-title"}}]}`
	}
	for id, text := range texts {
		e.putAll(t, gpSystem, [2]string{"/fhir/DocumentReference/" + id, doc(id, text)})
		e.putAll(t, hospSys, [2]string{"/fhir/DocumentReference/" + id + "-hosp", doc(id+"-hosp", text)})
	}
	for id := range texts {
		want := `INV-ONE see #(masked) and <#(masked)> or #(masked), guide https://other.example/guide end`
		if id == "inv-whole" {
			want = `"description":"#(masked)"` // a url that is the whole string too
		}
		for _, path := range []string{"/fhir/DocumentReference/" + id, "/fhir/DocumentReference?_id=" + id, "/fhir/Patient/jane/$everything"} {
			r := e.do("GET", path, hosp, "")
			if r.status != 200 || !strings.Contains(r.body, `"`+id+`"`) {
				t.Fatalf("%s: the premise: the hospital reads the document: %d %.300s", path, r.status, r.body)
			}
			for _, leak := range []string{"tion/hiv", "ary/hivbin"} {
				if strings.Contains(r.body, leak) {
					t.Errorf("%s: a url in the text names a withheld item to the hospital: %s", path, leak)
				}
			}
			if !strings.Contains(r.body, want) {
				t.Errorf("%s: the hospital's text lacks %s: %.1500s", path, want, r.body)
			}
		}
		if r := e.do("GET", "/fhir/DocumentReference/"+id, gpSystem, ""); !strings.Contains(r.body, "tion/hiv") || strings.Contains(r.body, "#(masked)") {
			t.Errorf("%s: the practice reads its text as stored: %s", id, r.body)
		}
		searchHidesDocument(t, e, hosp, gpSystem, id, "description:contains=hiv", "description="+strings.ToLower(texts[id][:7]))
		maskedCopyRefused(t, e, hosp, "/fhir/DocumentReference/"+id+"-hosp", `"current"`, `"superseded"`)
	}
}

// TestReview19cURLAfterQuoteAtTheEndIsMasked: the byte scan that passes
// over items holding no url in free text (fhir.MayHoldAutolink) leaves a
// url that is a whole JSON string to be decided as a string, knowing it
// by the quotes around it; but a quote inside the text (written \" in the
// JSON) was taken for the string's opening quote. The GP document whose
// description ends `letter at "BASE/fhir/Binary/hivbin` was passed over
// unread, and went to the hospital clinician as written, telling her the
// withheld letter's id, though the decoded text reads the url as one
// inside it (found by FuzzScanFindsWhatDecodingFinds). Now it goes out as
// #(masked), and her masked copy written back is refused (409).
func TestReview19cURLAfterQuoteAtTheEndIsMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	gpSystem := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	hospSys := e.token("system", "nhs", "RHX")
	doc := func(id string) string {
		return `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},
			"description":"QUOTE-ONE letter at \"` + e.base + `/fhir/Binary/hivbin","content":[{"attachment":{"contentType":"text/plain","title":"` + id + `-title"}}]}`
	}
	e.putAll(t, gpSystem, [2]string{"/fhir/DocumentReference/quote-gp", doc("quote-gp")})
	e.putAll(t, hospSys, [2]string{"/fhir/DocumentReference/quote-hosp", doc("quote-hosp")})
	for _, path := range []string{"/fhir/DocumentReference/quote-gp", "/fhir/DocumentReference?patient=jane", "/fhir/Patient/jane/$everything"} {
		r := e.do("GET", path, hosp, "")
		if r.status != 200 || !strings.Contains(r.body, "QUOTE-ONE") {
			t.Fatalf("%s: the premise: the hospital reads the document: %d %.300s", path, r.status, r.body)
		}
		if strings.Contains(r.body, "hivbin") {
			t.Errorf("%s: a url in the text names the withheld letter to the hospital", path)
		}
		if want := `"QUOTE-ONE letter at \"#(masked)"`; !strings.Contains(r.body, want) {
			t.Errorf("%s: the hospital's text lacks %s: %.1500s", path, want, r.body)
		}
	}
	if r := e.do("GET", "/fhir/DocumentReference/quote-gp", gpSystem, ""); !strings.Contains(r.body, `/fhir/Binary/hivbin"`) {
		t.Errorf("the practice reads its text as stored: %s", r.body)
	}
	maskedCopyRefused(t, e, hosp, "/fhir/DocumentReference/quote-hosp", "QUOTE-ONE", "QUOTE-EDITED")
}

// TestReview19cSearchByEntityEncodedLinkTargetFindsNothing: release reads
// a link's target in free text with character references decoded, and
// masks "[the letter](Binary&#x2F;hivbin)" (a viewer follows
// Binary/hivbin); the search index hides such text from gated readers
// (fhir.IndexedMayNameItem reads it decoded too), but the SQL before it
// passed over every value holding no '/', '\', '?' or '%' as naming
// nothing, unread. A target whose every slash is a character reference
// holds none, and the hospital clinician found the GP's document by the
// masked target (description:contains=hivbin) and could read it letter
// by letter. Now a value holding '&' is read too.
func TestReview19cSearchByEntityEncodedLinkTargetFindsNothing(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	gpSystem := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	forms := map[string]string{
		"ent-hex":   `See [the letter](Binary&#x2F;hivbin) first`,
		"ent-named": `See [the letter](Binary&sol;hivbin) first`,
		"ent-html":  `See <a href=\"Binary&#47;hivbin\">the letter</a> first`,
	}
	for id, desc := range forms {
		e.putAll(t, gpSystem, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current",
			"subject":{"reference":"Patient/jane"},"description":"` + desc + `","content":[{"attachment":{"contentType":"text/plain","title":"` + id + `-title"}}]}`})
		r := e.do("GET", "/fhir/DocumentReference/"+id, hosp, "")
		if r.status != 200 || strings.Contains(r.body, "hivbin") || !strings.Contains(r.body, "#(masked)") {
			t.Fatalf("%s: the premise: the hospital reads the document with its link masked: %d %.400s", id, r.status, r.body)
		}
	}
	for _, q := range []string{"description:contains=hivbin", "description=see", "_sort=description&description:contains=letter"} {
		rh := e.do("GET", "/fhir/DocumentReference?"+q, hosp, "")
		rg := e.do("GET", "/fhir/DocumentReference?"+q, gpSystem, "")
		if rh.status != 200 || rg.status != 200 {
			t.Fatalf("%s: %d %d", q, rh.status, rg.status)
		}
		for id := range forms {
			if strings.Contains(rh.body, `"`+id+`"`) {
				t.Errorf("DocumentReference?%s: the hospital finds %s by text it sees masked", q, id)
			}
			if !strings.Contains(rg.body, `"`+id+`"`) {
				t.Errorf("DocumentReference?%s: the practice no longer finds its own %s", q, id)
			}
		}
	}
}
