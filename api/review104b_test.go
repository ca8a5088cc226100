package api

// Review 104b: fuzz targets for the newest content rules of the sharing
// decision (carriesDocument, onlyResources, signatureHolds, claimsOnly,
// base64Only, documentBytes, pictureHead), and replays of what they found.
// SPEC §5: each resource has one data class and a user sees it only when
// every layer allows it; the district nurse, the social worker and the IG
// officer see no documents (default policy), the IG officer no clinical
// data. Its three findings (a top-level string never read, a text photo
// opening "BM" read as a bitmap, a note opening "Data:" read as a data:
// url) pass since revision 2026-12-07q.

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/carex-project/carex/consent"
	"github.com/carex-project/carex/fhir/search"
)

// r104bSkipKnown (R104B_SKIP_KNOWN=1) makes the fuzz targets pass over
// the shapes of the findings this file replays, so that a run looks for
// others.
var r104bSkipKnown = os.Getenv("R104B_SKIP_KNOWN") == "1"

// r104bRFC2397 is a data: url's head as RFC 2397 writes it: an optional
// type/subtype, attribute=value parameters, ";base64", then the comma.
var r104bRFC2397 = regexp.MustCompile(`(?i)^data:([a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+)?(;[a-z0-9!#$&^_.+-]+=[^,;]*)*(;base64)?,`)

// r104bDoc reports whether the item carries a document, as the server
// classes it (withInnerClasses).
func r104bDoc(typ string, res map[string]any, org string) bool {
	class, _ := withInnerClasses(search.DataClassFrom(typ, res, org), typ, res, nil, org)
	return slices.Contains(strings.Split(class, consent.ClassSep), search.ClassDocuments)
}

// r104bFreeText is an AllergyIntolerance (and an Observation) whose note
// and value are s: plain FHIR JSON, no attachment.
func r104bFreeText(s string) map[string]map[string]any {
	var a, o map[string]any
	_ = json.Unmarshal([]byte(`{"resourceType":"AllergyIntolerance","id":"a1","patient":{"reference":"Patient/jane"},
	  "code":{"coding":[{"system":"http://snomed.info/sct","code":"91936005","display":"Allergy to penicillin"}]},"note":[]}`), &a)
	a["note"] = []any{map[string]any{"text": s}}
	_ = json.Unmarshal([]byte(`{"resourceType":"Observation","id":"o1","status":"final","subject":{"reference":"Patient/jane"},
	  "code":{"text":"blood pressure"}}`), &o)
	o["valueString"] = s
	return map[string]map[string]any{"AllergyIntolerance": a, "Observation": o}
}

// FuzzReview104bPlainTextNeverDocument: a Patient's allergy or an
// Observation written in plain FHIR JSON (free text in a note or a
// valueString; no attachment, no base64, no RFC 2397 data: url) never
// carries the documents class.
func FuzzReview104bPlainTextNeverDocument(f *testing.F) {
	for _, s := range []string{"Rash and wheeze after amoxicillin", "Data: confirmed by hospital pharmacist, 2019", "data:x", "DATA: from GP2GP transfer; reviewed", "https://example.org/a,b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if r104bSkipKnown && strings.HasPrefix(strings.ToLower(s), "data:") {
			return // (the finding TestReview104bFreeTextStartingDataIsDocument replays)
		}
		if !utf8.ValidString(s) || r104bRFC2397.MatchString(s) || len(s) >= 64 && r104bHasBase64Block(s) {
			return
		}
		for typ, res := range r104bFreeText(s) {
			if r104bDoc(typ, res, "A81001") {
				t.Fatalf("%s whose free text is %q (no attachment, no data: url) is classed a document", typ, s)
			}
		}
	})
}

// TestReview104bFreeTextStartingDataIsDocument replays what
// FuzzReview104bPlainTextNeverDocument found: free text that starts with
// "Data:" (any case) is read as a data: url (dataURL only checks the
// prefix), its "payload" is not FHIR JSON, so the GP's penicillin allergy
// whose note reads "Data: confirmed by hospital pharmacist, 2019" becomes a
// document, and the district nurse (who sees allergies, not documents)
// loses it. RFC 2397 needs a media type of type/subtype (or none) before
// the comma; " confirmed by hospital pharmacist" is none.
func TestReview104bFreeTextStartingDataIsDocument(t *testing.T) {
	nurse := consent.DefaultPolicy().Role("district-nurse")
	if !nurse.Sees(search.ClassAllergies) || nurse.Sees(search.ClassDocuments) {
		t.Fatal("premise: the default policy gives the district nurse allergies and no documents")
	}
	if r104bDoc("AllergyIntolerance", r104bFreeText("Confirmed by hospital pharmacist, 2019")["AllergyIntolerance"], "A81001") {
		t.Fatal("premise: the allergy with an ordinary note is a document")
	}
	for _, s := range []string{"Data: confirmed by hospital pharmacist, 2019", "DATA: from GP2GP transfer, reviewed"} {
		for typ, res := range r104bFreeText(s) {
			if r104bDoc(typ, res, "A81001") {
				t.Errorf("%s whose note/value is %q is classed a document (withheld from the district nurse and the social worker)", typ, s)
			}
		}
	}
}

// r104bWraps is document payload b as each carrier carex reads: an
// Attachment's data (padded, unpadded, URL-safe, wrapped at 76), a data:
// url in an Attachment's url and as a valueString, a valueAttachment, and
// a valueBase64Binary.
func r104bWraps(b []byte) map[string]map[string]any {
	std := base64.StdEncoding.EncodeToString(b)
	var wrapped strings.Builder
	for i := 0; i < len(std); i += 76 {
		wrapped.WriteString(std[i:min(i+76, len(std))])
		wrapped.WriteString("\r\n")
	}
	att := func(x map[string]any) map[string]any {
		return map[string]any{"resourceType": "DocumentReference", "status": "current", "subject": map[string]any{"reference": "Patient/jane"},
			"content": []any{map[string]any{"attachment": x}}}
	}
	out := map[string]map[string]any{}
	for name, enc := range map[string]string{"std": std, "raw": base64.RawStdEncoding.EncodeToString(b), "url": base64.URLEncoding.EncodeToString(b),
		"rawurl": base64.RawURLEncoding.EncodeToString(b), "wrapped": wrapped.String()} {
		out["data-"+name] = att(map[string]any{"contentType": "text/plain", "data": enc})
		out["data-noct-"+name] = att(map[string]any{"data": enc})
		out["dataurl-"+name] = att(map[string]any{"url": "data:text/plain;base64," + enc})
		out["task-valueAttachment-"+name] = map[string]any{"resourceType": "Task", "status": "requested", "intent": "order",
			"for": map[string]any{"reference": "Patient/jane"}, "input": []any{map[string]any{"type": map[string]any{"text": "letter"},
				"valueAttachment": map[string]any{"contentType": "application/octet-stream", "data": enc}}}}
		out["ext-valueBase64Binary-"+name] = map[string]any{"resourceType": "Observation", "status": "final",
			"subject": map[string]any{"reference": "Patient/jane"}, "code": map[string]any{"text": "x"},
			"extension": []any{map[string]any{"url": "https://example.org/letter", "valueBase64Binary": enc}}}
		out["careplan-note-dataurl-"+name] = r104bCarePlan("note", "data:text/plain;base64,"+enc)
		out["careplan-description-dataurl-"+name] = r104bCarePlan("description", "data:text/plain;base64,"+enc)
		if len(enc) >= 64 {
			out["careplan-note-base64-"+name] = r104bCarePlan("note", enc)
			out["careplan-description-base64-"+name] = r104bCarePlan("description", enc)
		}
	}
	return out
}

// r104bCarePlan is the GP's CarePlan for Jane with s as its description
// (where "description") or as a note's text.
func r104bCarePlan(where, s string) map[string]any {
	cp := map[string]any{"resourceType": "CarePlan", "status": "active", "intent": "plan", "subject": map[string]any{"reference": "Patient/jane"}}
	if where == "description" {
		cp["description"] = s
	} else {
		cp["note"] = []any{map[string]any{"text": s}}
	}
	return cp
}

// TestReview104bTopLevelStringNeverRead replays what
// FuzzReview104bDocumentStaysDocument found: carriesDocument walks the
// objects inside each member of the resource (eachObject(v, ...)), never
// the resource's own strings, so a letter as a data: url or as base64 in a
// CarePlan's description (or a Task's description, an Observation's
// valueString) is not a document, where the same string as a note's text
// is (reviews 101a, 102a). The GP's CarePlan with the letter goes to the
// district nurse and the social worker, who see care plans and no
// documents.
func TestReview104bTopLevelStringNeverRead(t *testing.T) {
	letter := "Dear colleague, Jane attends the HIV clinic at St James's; please do not discuss with her family. Dr A Smith"
	enc := base64.StdEncoding.EncodeToString([]byte(letter))
	for _, s := range []string{enc, "data:text/plain;base64," + enc} {
		if !r104bDoc("CarePlan", r104bCarePlan("note", s), "A81001") {
			t.Fatalf("premise: the letter %.30q… in a CarePlan's note is not a document", s)
		}
		if !r104bDoc("CarePlan", r104bCarePlan("description", s), "A81001") {
			t.Errorf("the letter %.30q… as a CarePlan's description is not a document (as a note's text it is)", s)
		}
	}
}

// FuzzReview104bDocumentStaysDocument: a payload that is a document
// (documentBytes, not FHIR JSON resources alone) is a document in every
// carrier and base64 form; in a Patient's photo too, unless it is an image.
func FuzzReview104bDocumentStaysDocument(f *testing.F) {
	for _, s := range []string{"Dear Dr Smith, I saw Jane today in clinic.", "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "BMI 41. Referred to the weight management service.", "\xff\xfeD\x00e\x00a\x00r\x00 \x00D\x00r\x00 \x00X\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<14 || !documentBytes(b) || onlyResources("", b) {
			return
		}
		for name, res := range r104bWraps(b) {
			if r104bSkipKnown && strings.HasPrefix(name, "careplan-description-") {
				continue // (TestReview104bTopLevelStringNeverRead)
			}
			typ, _ := res["resourceType"].(string)
			if !carriesDocument(typ, res, "A81001") {
				t.Fatalf("document %q as %s is not a document", b, name)
			}
		}
		// A photo that is not an image (text, a PDF) is a document.
		txt := attachmentText("", b)
		if utf8.Valid(txt) && !binaryFormat(b) && !(r104bSkipKnown && bytes.HasPrefix(b, []byte("BM"))) {
			p := map[string]any{"resourceType": "Patient", "photo": []any{map[string]any{"contentType": "text/plain", "data": base64.StdEncoding.EncodeToString(b)}}}
			if !carriesDocument("Patient", p, "A81001") {
				t.Fatalf("text %q as a Patient's photo (contentType text/plain) is not a document", b)
			}
		}
	})
}

// FuzzReview104bDocumentStaysDocument found: pictureHead takes any data
// whose first two bytes are "BM" for a BMP image, whatever its
// contentType, so a letter typed text/plain that starts "BMI 41." in a
// Patient's photo is a picture, not a document: the Patient (demographics)
// with the letter goes to the IG officer and the social worker, who see no
// documents. The same letter starting "Weight 120 kg" is a document.
func TestReview104bPhotoTextStartingBMIsPicture(t *testing.T) {
	photo := func(s string) map[string]any {
		return map[string]any{"resourceType": "Patient", "photo": []any{map[string]any{"contentType": "text/plain",
			"data": base64.StdEncoding.EncodeToString([]byte(s))}}}
	}
	letter := " Referred to the weight management service; HIV clinic follow-up as before. Dr A Smith, Leeds GP."
	if !r104bDoc("Patient", photo("Weight 120 kg."+letter), "A81001") {
		t.Fatal("premise: a letter as a Patient's photo is not a document")
	}
	if !r104bDoc("Patient", photo("BMI 41."+letter), "A81001") {
		t.Errorf("a letter (text/plain) starting \"BMI 41.\" as a Patient's photo is not a document: pictureHead(%q) = %v", "BMI 41.", pictureHead("text/plain", base64.StdEncoding.EncodeToString([]byte("BMI 41."+letter))))
	}
}

// FuzzReview104bSignatureClaims: signatureHolds and claimsOnly never
// panic; claimsOnly holds only for a JSON object of at most 512 bytes; a
// compact JWS whose payload is a letter (text that is not a set of claims)
// holds a document whichever base64 alphabet or padding it is written in,
// and one with an empty (detached) payload does not.
func FuzzReview104bSignatureClaims(f *testing.F) {
	f.Add([]byte(`{"iss":"a","iat":1}`), []byte("Dear Dr Smith, Jane was seen today."))
	f.Add([]byte("0\x82\x01\x00%PDF-"), []byte(`{"sub":"x y"}`))
	f.Fuzz(func(t *testing.T, raw, payload []byte) {
		signatureHolds(raw)
		if claimsOnly(raw) && (len(raw) > 512 || json.Valid(raw) == false) {
			t.Fatalf("claimsOnly(%q) but not a short JSON object", raw)
		}
		if len(payload) == 0 || claimsOnly(payload) || !documentBytes(payload) {
			return
		}
		head := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256"}`))
		// (a signature value's bytes, not text: since revision
		// 2026-12-07u a JWS whose signature part is text is a document)
		sum := sha256.Sum256([]byte("r104b"))
		sig := base64.RawURLEncoding.EncodeToString(sum[:])
		for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.StdEncoding, base64.RawStdEncoding} {
			jws := head + "." + enc.EncodeToString(payload) + "." + sig
			if !signatureHolds([]byte(jws)) {
				t.Fatalf("JWS with letter payload %q (%v) does not hold a document", payload, enc == base64.StdEncoding)
			}
		}
		if signatureHolds([]byte(head + ".." + sig)) {
			t.Fatal("a detached JWS holds a document")
		}
	})
}

// FuzzReview104bOnlyResources: FHIR JSON resources alone (one, a list,
// NDJSON, with a byte order mark) are resources; anything beside them (a
// letter) is not.
func FuzzReview104bOnlyResources(f *testing.F) {
	f.Add("Dear Dr Smith", "Observation")
	f.Add("", "Patient")
	f.Add("{}", "Condition")
	f.Fuzz(func(t *testing.T, extra, typ string) {
		onlyResources("", []byte(extra))
		onlyResources("text/plain; charset=utf-16", []byte(extra))
		r := `{"resourceType":"Patient","id":"p1"}`
		for _, s := range []string{r, "[" + r + "," + r + "]", r + "\n" + r, "\xef\xbb\xbf" + r} {
			if !onlyResources("application/fhir+json", []byte(s)) {
				t.Fatalf("resources %q are not resources", s)
			}
		}
		if e := strings.TrimSpace(extra); e != "" && documentBytes([]byte(e)) && !strings.ContainsAny(e, "{}[]") {
			if onlyResources("", []byte(r+"\n"+e)) {
				t.Fatalf("a resource with %q beside it counts as resources alone", e)
			}
		}
	})
}

// r104bAllocs is the bytes allocated by carriesDocument over res.
func r104bAllocs(res map[string]any) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	carriesDocument("Task", res, "E08000035")
	carriesDocument("Provenance", res, "A81001")
	carriesDocument("Patient", res, "A81001")
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// FuzzReview104bCarriesDocumentLinear: the work carriesDocument does
// (bytes allocated) for a string of 10×N bytes in every carrier is at
// most ~linear in it: no more than 40 times that for N bytes, plus slack.
func FuzzReview104bCarriesDocumentLinear(f *testing.F) {
	f.Add("%25", 200)
	f.Add("QUJD", 300)
	f.Add("data:,%2525", 100)
	f.Add("Content-Transfer-Encoding: base64\n\n", 50)
	f.Fuzz(func(t *testing.T, unit string, n int) {
		if unit == "" || n <= 0 || len(unit)*n > 4000 {
			return
		}
		build := func(k int) map[string]any {
			s := strings.Repeat(unit, k)
			return map[string]any{"resourceType": "Task", "note": []any{map[string]any{"text": s}},
				"signature": []any{map[string]any{"data": s}},
				"photo":     []any{map[string]any{"data": s, "url": "data:;base64," + s}},
				"input":     []any{map[string]any{"valueString": s, "valueBase64Binary": s, "valueAttachment": map[string]any{"data": s, "url": "data:," + s}}}}
		}
		small, big := r104bAllocs(build(n)), r104bAllocs(build(10*n))
		if big > 40*small+1<<20 {
			t.Fatalf("carriesDocument allocates %d bytes for %d×%q, %d for 10× that", small, n, unit, big)
		}
	})
}

// r104bHasBase64Block reports whether s holds a block carriesDocument
// reads as base64 (eachBase64Block).
func r104bHasBase64Block(s string) bool {
	found := false
	eachBase64Block(s, func([]byte) bool { found = true; return false })
	return found
}
