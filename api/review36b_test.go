package api_test

// Review 36b: a re-read of the fix34b merge (981fe79, bb48f27:
// api/labelleddir.go nestedCopy/dropEntryCopies/maskIdentifierValues/
// dropContainedCopies, api/maskref.go maskRefs). SPEC §5: labelled data is
// released only to its source organisation; withheld items are simply
// absent, also from totals, and a response never says how much was
// withheld. Seeds: seed31b (RHX's refuge Organization refuge31b, ODS
// NSREF31, labelled R).

import (
	"encoding/base64"
	"strings"
	"testing"
)

// refugeNoIdent36b: a copy of the refuge's directory entry naming it by
// its id alone (no identifier): name and address.
func refugeNoIdent36b(id string) string {
	return `{"resourceType":"Organization","id":"` + id + `","name":"` + refugeName31b + `","address":[{"line":["` + refugeAddr31b + `"]}]}`
}

// TestReview36bBundleEntryCopyByIdOnly: the GP's collection Bundle has an
// entry whose resource is Organization/refuge31b (its id, name and address;
// no identifier), with a urn:uuid fullUrl or none, and nothing in the Bundle
// references it literally. nestedCopy would find it by its id, but
// maskedRefs only calls logicalRefs when maybeNamesLabelled finds an
// identifier value of a labelled item in the body.
func TestReview36bBundleEntryCopyByIdOnly(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Bundle/b36b-id", `{"resourceType":"Bundle","id":"b36b-id","type":"collection","entry":[
	  {"fullUrl":"urn:uuid:3b0c1f1e-0000-4000-8000-000000036b01","resource":` + enc32b("enc36b-id", "") + `},
	  {"fullUrl":"urn:uuid:3b0c1f1e-0000-4000-8000-000000036b02","resource":` + refugeNoIdent36b("refuge31b") + `}]}`},
		[2]string{"/fhir/Bundle/b36b-id2", `{"resourceType":"Bundle","id":"b36b-id2","type":"collection","entry":[
	  {"resource":` + enc32b("enc36b-id2", "") + `},
	  {"resource":` + refugeNoIdent36b("refuge31b") + `}]}`},
		[2]string{"/fhir/Bundle/b36b-id3", `{"resourceType":"Bundle","id":"b36b-id3","type":"collection","entry":[
	  {"resource":` + enc32b("enc36b-id3", "") + `},
	  {"resource":{"resourceType":"Location","id":"refugeloc31b","name":"` + refugeName31b + ` LOC","address":{"line":["` + refugeAddr31b + `"]}}}]}`})
	rcx := e.token("hospital-clinician", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Organization/refuge31b", rcx, ""); r.status != 404 {
		t.Fatalf("premise: refuge withheld from RCX: %d", r.status)
	}
	for _, p := range []string{"/fhir/Bundle/b36b-id", "/fhir/Bundle/b36b-id2", "/fhir/Bundle/b36b-id3", "/fhir/Bundle?_id=b36b-id", "/fhir/Patient/jane/$everything"} {
		r := e.do("GET", p, rcx, "")
		if r.status != 200 || !strings.Contains(r.body, "ENC36B-ID") {
			t.Errorf("premise: RCX GET %s: %d %.300s", p, r.status, r.body)
		}
		if strings.Contains(r.body, refugeName31b) || strings.Contains(r.body, "REFUGEADDR31B") {
			t.Errorf("hospital-clinician RCX: GET %s -> %d releases a labelled directory item (Organization/refuge31b or Location/refugeloc31b, 404 to her) as a Bundle entry named by its id alone: …%s…", p, r.status, snippet32b(r.body, refugeName31b))
		}
	}
}

// TestReview36bAttachmentIsTheOrganisation: a DocumentReference's
// application/fhir+json attachment whose FHIR JSON IS the refuge's
// Organization (with its ODS identifier, and with its id refuge31b).
// fhirAttachments yields the Organization as the doc; logicalRefs skips
// a resource's own "identifier" and looks for copies only in contained
// lists and entries' resources: nothing is masked.
func TestReview36bAttachmentIsTheOrganisation(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	gp := e.token("system", "nhs", "A81001")
	doc := func(id, json string) string {
		return `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},"description":"` + strings.ToUpper(id) + `",
		  "content":[{"attachment":{"contentType":"application/fhir+json","data":"` + base64.StdEncoding.EncodeToString([]byte(json)) + `"}}]}`
	}
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/d36b-org", doc("d36b-org", refugeCopy34b("x36b"))},
		[2]string{"/fhir/DocumentReference/d36b-orgid", doc("d36b-orgid", refugeCopy34b("refuge31b"))})
	rcx := e.token("hospital-clinician", "nhs", "RCX")
	for _, id := range []string{"d36b-org", "d36b-orgid"} {
		r := e.do("GET", "/fhir/DocumentReference/"+id, rcx, "")
		if r.status != 200 {
			t.Errorf("premise: RCX GET %s: %d %.200s", id, r.status, r.body)
			continue
		}
		dec := decodeAttached34b(r.body)
		if strings.Contains(dec, refugeName31b) || strings.Contains(dec, "NSREF31") {
			t.Errorf("hospital-clinician RCX: GET /fhir/DocumentReference/%s -> 200, its attachment's FHIR JSON is the labelled refuge itself: …%s…", id, snippet32b(dec, refugeName31b))
		}
	}
}

// TestReview36bSearchsetTotalAfterEntryRemoved: a stored searchset Bundle
// (total 2: an Encounter and a refuge copy). Removing the copy leaves
// total 2 beside one entry: says how much was withheld (SPEC §5: absent
// from totals).
func TestReview36bSearchsetTotalAfterEntryRemoved(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Bundle/b36b-ss", `{"resourceType":"Bundle","id":"b36b-ss","type":"searchset","total":2,"entry":[
	  {"fullUrl":"https://gp.example/fhir/Encounter/enc36b-ss","resource":` + enc32b("enc36b-ss", "") + `,"search":{"mode":"match"}},
	  {"fullUrl":"urn:uuid:3b0c1f1e-0000-4000-8000-000000036b03","resource":` + refugeCopy34b("x36b") + `,"search":{"mode":"match"}}]}`})
	rcx := e.token("hospital-clinician", "nhs", "RCX")
	r := e.do("GET", "/fhir/Bundle/b36b-ss", rcx, "")
	if r.status != 200 || !strings.Contains(r.body, "ENC36B-SS") {
		t.Fatalf("premise: %d %.300s", r.status, r.body)
	}
	if strings.Contains(r.body, refugeName31b) {
		t.Fatalf("copy released: %s", snippet32b(r.body, refugeName31b))
	}
	// (fix36b: and the total lowered, a number, not left out)
	if strings.Contains(r.body, `"total":2`) || !strings.Contains(r.body, `"total":1`) {
		t.Errorf("hospital-clinician RCX: GET /fhir/Bundle/b36b-ss -> 200 with one entry left and \"total\":2: says one item was withheld: %.600s", r.body)
	}
}

// TestReview36bSoundCompositionSectionToRemovedEntry: a document Bundle's
// Composition section references the refuge copy entry by urn:uuid; a
// Parameters entry carries another copy as a parameter's resource; a List
// entry's item names the refuge by identifier with its display. None of
// it reaches RCX; the section entry is masked (not dangling).
func TestReview36bSoundCompositionSectionToRemovedEntry(t *testing.T) {
	body, urn := docBundle36b(t)
	r := resp{status: 200, body: body}
	for _, s := range []string{refugeName31b, "NSREF31", `"reference":"` + urn} {
		if strings.Contains(r.body, s) {
			t.Errorf("RCX GET /fhir/Bundle/b36b-doc: %q released: …%s…", s, snippet32b(r.body, s))
		}
	}
	if !strings.Contains(r.body, "data-absent-reason") {
		t.Errorf("the section entry to the removed copy is not masked: %.1500s", r.body)
	}
}

// docBundle36b: the GP's document Bundle b36b-doc (a Composition whose
// section and narrative point at a refuge copy entry by urn:uuid, the copy,
// an Encounter, a Parameters with another copy, a List naming the refuge by
// identifier), as the RCX clinician reads it.
func docBundle36b(t *testing.T) (body, urn string) {
	e := newEnv(t)
	seed31b(t, e)
	gp := e.token("system", "nhs", "A81001")
	urn = "urn:uuid:3b0c1f1e-0000-4000-8000-000000036b04"
	e.putAll(t, gp, [2]string{"/fhir/Bundle/b36b-doc", `{"resourceType":"Bundle","id":"b36b-doc","type":"document","identifier":{"system":"https://gp.example/doc","value":"B36BDOC"},"timestamp":"2026-01-01T00:00:00Z","entry":[
	  {"fullUrl":"urn:uuid:3b0c1f1e-0000-4000-8000-000000036b05","resource":{"resourceType":"Composition","status":"final","type":{"text":"COMP36B"},"subject":{"reference":"Patient/jane"},"date":"2026-01-01","author":[{"reference":"Organization/A81001"}],"title":"T","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><a href=\"` + urn + `\">place</a></div>"},
	     "section":[{"title":"Places","entry":[{"reference":"` + urn + `"},{"reference":"urn:uuid:3b0c1f1e-0000-4000-8000-000000036b06"}]}]}},
	  {"fullUrl":"` + urn + `","resource":` + refugeCopy34b("x36b") + `},
	  {"fullUrl":"urn:uuid:3b0c1f1e-0000-4000-8000-000000036b06","resource":` + enc32b("enc36b-doc", "") + `},
	  {"fullUrl":"urn:uuid:3b0c1f1e-0000-4000-8000-000000036b07","resource":{"resourceType":"Parameters","parameter":[{"name":"p","resource":` + strings.Replace(refugeCopy34b("y36b"), refugeName31b, refugeName31b+" PARAM", 1) + `},{"name":"q","valueString":"PARAMQ36B"}]}},
	  {"fullUrl":"urn:uuid:3b0c1f1e-0000-4000-8000-000000036b08","resource":{"resourceType":"List","status":"current","mode":"working","subject":{"reference":"Patient/jane"},"entry":[{"item":{"identifier":{"system":"` + odsOrg34b + `","value":"NSREF31"},"display":"` + refugeName31b + ` LIST"}}]}}]}`})
	r := e.do("GET", "/fhir/Bundle/b36b-doc", e.token("hospital-clinician", "nhs", "RCX"), "")
	if r.status != 200 || !strings.Contains(r.body, "ENC36B-DOC") || !strings.Contains(r.body, "PARAMQ36B") {
		t.Fatalf("premise: %d %.500s", r.status, r.body)
	}
	return r.body, urn
}

// TestReview36bSoundOrdinaryBundleKept: the GP's collection Bundle of
// Jane's items (her Patient with NHS number, a Condition, the GP's own
// Organization with its ODS code, a Practitioner, an Encounter with her
// NHS number as an extension's valueIdentifier) loses nothing for RCX.
func TestReview36bSoundOrdinaryBundleKept(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Bundle/b36b-ord", ordinaryBundle36b})
	rcx := e.token("hospital-clinician", "nhs", "RCX")
	r := e.do("GET", "/fhir/Bundle/b36b-ord", rcx, "")
	if r.status != 200 {
		t.Fatalf("premise: %d %.300s", r.status, r.body)
	}
	for _, s := range []string{"COND36B", "RIVERSIDE36B", "DR36B", "G36B", "ENC36B-ORD", "Jane", "masked"} {
		if strings.Contains(r.body, s) == (s == "masked") {
			t.Errorf("RCX GET /fhir/Bundle/b36b-ord: %q (over-masking): %.900s", s, r.body)
		}
	}
	if n := strings.Count(r.body, "9434765919"); n != 2 {
		t.Errorf("RCX GET /fhir/Bundle/b36b-ord: Jane's NHS number appears %d times, want 2: %.1500s", n, r.body)
	}
}

const ordinaryBundle36b = `{"resourceType":"Bundle","id":"b36b-ord","type":"collection","entry":[
	  {"fullUrl":"https://gp.example/fhir/Patient/jane","resource":` + janeJSON + `},
	  {"fullUrl":"https://gp.example/fhir/Condition/c36b","resource":{"resourceType":"Condition","id":"c36b","subject":{"reference":"Patient/jane"},"code":{"text":"COND36B"}}},
	  {"fullUrl":"https://gp.example/fhir/Organization/A81001","resource":{"resourceType":"Organization","id":"A81001","identifier":[{"system":"` + odsOrg34b + `","value":"A81001"}],"name":"RIVERSIDE36B"}},
	  {"fullUrl":"https://gp.example/fhir/Practitioner/gp36b","resource":{"resourceType":"Practitioner","id":"gp36b","identifier":[{"system":"https://fhir.hl7.org.uk/Id/gmc-number","value":"G36B"}],"name":[{"text":"DR36B"}]}},
	  {"fullUrl":"urn:uuid:3b0c1f1e-0000-4000-8000-000000036b09","resource":{"resourceType":"Encounter","id":"enc36b-ord","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},
	     "subject":{"reference":"Patient/jane"},"serviceType":{"text":"ENC36B-ORD"},"extension":[{"url":"https://example.org/nhs","valueIdentifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}}]}}]}`

// TestReview36bSystemlessLabelledIdentifierCollision: RHX labels a
// Practitioner whose identifiers are written without a system (a feed
// writing the code alone), values 9434765919 and G36B. named() matches a
// system-less labelled identifier against a value under ANY system, so in
// the GP's ordinary Bundle (as above) Jane's NHS number (nhs-number
// system) in the Encounter's valueIdentifier is masked, and the GP's own
// Practitioner entry (GMC number G36B) is removed whole, for RCX: neither
// names the labelled item.
func TestReview36bSystemlessLabelledIdentifierCollision(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	e.putAll(t, e.token("system", "nhs", "RHX"), [2]string{"/fhir/Practitioner/prac36b", `{"resourceType":"Practitioner","id":"prac36b",` + rLabel31b + `,"identifier":[{"value":"9434765919"},{"value":"G36B"}],"name":[{"text":"PRAC36B REFUGE WORKER"}]}`})
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Bundle/b36b-ord", ordinaryBundle36b})
	rcx := e.token("hospital-clinician", "nhs", "RCX")
	r := e.do("GET", "/fhir/Bundle/b36b-ord", rcx, "")
	if r.status != 200 {
		t.Fatalf("premise: %d %.300s", r.status, r.body)
	}
	if !strings.Contains(r.body, "DR36B") {
		t.Errorf("hospital-clinician RCX: GET /fhir/Bundle/b36b-ord: the GP's own Practitioner entry (gmc-number G36B) is removed because a labelled item has a system-less identifier G36B: %.1500s", r.body)
	}
	if n := strings.Count(r.body, "9434765919"); n != 2 {
		t.Errorf("hospital-clinician RCX: GET /fhir/Bundle/b36b-ord: Jane's NHS number (nhs-number system) in the Encounter's valueIdentifier is masked (appears %d times, want 2) because a labelled item has a system-less identifier of that value: …%s…", n, snippet32b(r.body, "valueIdentifier"))
	}
}

// TestReview36bSoundAttachedIdOnlyEntry: the id-only entry copy inside an
// attachment's Bundle is taken out (attachedRefs always runs logicalRefs).
func TestReview36bSoundAttachedIdOnlyEntry(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	inner := `{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:3b0c1f1e-0000-4000-8000-000000036b0c","resource":` + refugeNoIdent36b("refuge31b") + `}]}`
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/DocumentReference/d36b-idonly", `{"resourceType":"DocumentReference","id":"d36b-idonly","status":"current","subject":{"reference":"Patient/jane"},"description":"D36B",
		  "content":[{"attachment":{"contentType":"application/fhir+json","data":"` + base64.StdEncoding.EncodeToString([]byte(inner)) + `"}}]}`})
	r := e.do("GET", "/fhir/DocumentReference/d36b-idonly", e.token("hospital-clinician", "nhs", "RCX"), "")
	if r.status != 200 {
		t.Fatalf("premise: %d %.300s", r.status, r.body)
	}
	if dec := decodeAttached34b(r.body); strings.Contains(dec, refugeName31b) {
		t.Errorf("RCX: attached id-only copy released: …%s…", snippet32b(dec, refugeName31b))
	}
}

// TestReview36bSoundContainedCopyWriteBackRefused: the GP person reads an
// Encounter whose contained refuge copy is referenced by serviceProvider
// "#refuge" (removed, reference masked) and PUTs it back: 409.
func TestReview36bSoundContainedCopyWriteBackRefused(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	sys := e.token("system", "nhs", "A81001")
	e.putAll(t, sys, [2]string{"/fhir/Encounter/enc36b-cwb", enc32b("enc36b-cwb", `,"contained":[`+refugeCopy34b("refuge")+`],"serviceProvider":{"reference":"#refuge"}`)})
	gpu := e.token("gp", "nhs", "A81001")
	r := e.do("GET", "/fhir/Encounter/enc36b-cwb", gpu, "")
	if r.status != 200 || strings.Contains(r.body, refugeName31b) {
		t.Skipf("premise: %d %.300s", r.status, r.body)
	}
	if w := e.do("PUT", "/fhir/Encounter/enc36b-cwb", gpu, r.body); w.status != 409 {
		t.Errorf("gp A81001: PUT back of the Encounter with its contained copy removed -> %d, want 409: %.300s", w.status, w.body)
	}
}

// TestReview36bSoundBundleLocationEntryKept: the GP's collection Bundle
// has an Encounter referencing Location/ward36b and that Location as an
// entry (fullUrl Location/ward36b; the Location is not stored on its own).
// Nothing is labelled: the entry stays.
func TestReview36bSoundBundleLocationEntryKept(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Bundle/b36b-loc", `{"resourceType":"Bundle","id":"b36b-loc","type":"collection","entry":[
	  {"fullUrl":"Encounter/enc36b-loc","resource":` + enc32b("enc36b-loc", `,"location":[{"location":{"reference":"Location/ward36b"}}]`) + `},
	  {"fullUrl":"Location/ward36b","resource":{"resourceType":"Location","id":"ward36b","name":"WARD36B"}}]}`})
	for _, tok := range []string{e.token("hospital-clinician", "nhs", "RCX"), e.token("gp", "nhs", "A81001")} {
		r := e.do("GET", "/fhir/Bundle/b36b-loc", tok, "")
		if r.status != 200 || !strings.Contains(r.body, "ENC36B-LOC") {
			t.Fatalf("premise: %d %.300s", r.status, r.body)
		}
		if !strings.Contains(r.body, "WARD36B") {
			t.Errorf("GET /fhir/Bundle/b36b-loc: the unlabelled Location entry is removed (over-masking): %.900s", r.body)
		}
	}
}

// TestReview36bWriteBackLosesRemovedEntry: a GP at A81001 (a person, not
// the practice's system) reads the practice's Bundle holding a refuge copy
// entry (no reference to it: removal leaves no mark) and PUTs what she
// read back: the entry is silently lost, where a masked reference's
// write-back is refused with 409 (maskedWriteBack).
func TestReview36bWriteBackLosesRemovedEntry(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	sys := e.token("system", "nhs", "A81001")
	e.putAll(t, sys, [2]string{"/fhir/Bundle/b36b-wb", `{"resourceType":"Bundle","id":"b36b-wb","type":"collection","entry":[
	  {"fullUrl":"urn:uuid:3b0c1f1e-0000-4000-8000-000000036b0a","resource":` + enc32b("enc36b-wb", "") + `},
	  {"fullUrl":"urn:uuid:3b0c1f1e-0000-4000-8000-000000036b0b","resource":` + refugeCopy34b("x36b") + `}]}`})
	gpu := e.token("gp", "nhs", "A81001")
	r := e.do("GET", "/fhir/Bundle/b36b-wb", gpu, "")
	if r.status != 200 || !strings.Contains(r.body, "ENC36B-WB") {
		t.Fatalf("premise: %d %.300s", r.status, r.body)
	}
	if strings.Contains(r.body, refugeName31b) {
		t.Skipf("the GP person sees the refuge copy: nothing removed for her")
	}
	w := e.do("PUT", "/fhir/Bundle/b36b-wb", gpu, r.body)
	t.Logf("PUT back: %d %.300s", w.status, w.body)
	if w.status == 200 || w.status == 201 {
		after := e.do("GET", "/fhir/Bundle/b36b-wb", sys, "")
		if !strings.Contains(after.body, refugeName31b) {
			t.Errorf("gp A81001: GET then PUT /fhir/Bundle/b36b-wb -> %d: the refuge entry removed on read is silently lost from the stored Bundle (want 409 as maskedWriteBack gives for masked references): %.500s", w.status, after.body)
		}
	}
}

// TestReview36bSoundStoredLocationEntryKept: RHX stores an unlabelled
// Location ward36c; the GP's Bundle references it and carries it as an
// entry (fullUrl Location/ward36c): the entry stays for RCX and the GP.
func TestReview36bSoundStoredLocationEntryKept(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	e.putAll(t, e.token("system", "nhs", "RHX"), [2]string{"/fhir/Location/ward36c", `{"resourceType":"Location","id":"ward36c","name":"WARD36C","managingOrganization":{"reference":"Organization/RHX"}}`})
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Bundle/b36b-loc2", `{"resourceType":"Bundle","id":"b36b-loc2","type":"collection","entry":[
	  {"fullUrl":"Encounter/enc36b-loc2","resource":` + enc32b("enc36b-loc2", `,"location":[{"location":{"reference":"Location/ward36c"}}]`) + `},
	  {"fullUrl":"Location/ward36c","resource":{"resourceType":"Location","id":"ward36c","name":"WARD36C BUNDLE"}}]}`})
	for who, tok := range map[string]string{"RCX": e.token("hospital-clinician", "nhs", "RCX"), "A81001": e.token("gp", "nhs", "A81001")} {
		r := e.do("GET", "/fhir/Bundle/b36b-loc2", tok, "")
		if r.status != 200 || !strings.Contains(r.body, "ENC36B-LOC2") {
			t.Fatalf("premise %s: %d %.300s", who, r.status, r.body)
		}
		if !strings.Contains(r.body, "WARD36C BUNDLE") || strings.Contains(r.body, "masked") {
			t.Errorf("GET /fhir/Bundle/b36b-loc2: the unlabelled Location entry or its reference is removed/masked (over-masking): %.900s", r.body)
		}
	}
}

// TestReview36bSoundWriteBackReferencedEntryRefused: as
// TestReview36bWriteBackLosesRemovedEntry, but an Encounter entry
// references the copy by its urn: the masked reference makes the PUT back
// 409.
func TestReview36bSoundWriteBackReferencedEntryRefused(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	urn := "urn:uuid:3b0c1f1e-0000-4000-8000-000000036b0d"
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Bundle/b36b-wb2", `{"resourceType":"Bundle","id":"b36b-wb2","type":"collection","entry":[
	  {"fullUrl":"urn:uuid:3b0c1f1e-0000-4000-8000-000000036b0e","resource":` + enc32b("enc36b-wb2", `,"serviceProvider":{"reference":"`+urn+`"}`) + `},
	  {"fullUrl":"` + urn + `","resource":` + refugeCopy34b("x36b") + `}]}`})
	gpu := e.token("gp", "nhs", "A81001")
	r := e.do("GET", "/fhir/Bundle/b36b-wb2", gpu, "")
	if r.status != 200 || strings.Contains(r.body, refugeName31b) {
		t.Skipf("premise: %d %.300s", r.status, r.body)
	}
	if w := e.do("PUT", "/fhir/Bundle/b36b-wb2", gpu, r.body); w.status != 409 {
		t.Errorf("PUT back -> %d, want 409: %.300s", w.status, w.body)
	}
}
