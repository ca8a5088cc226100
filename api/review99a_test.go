package api_test

import (
	"strings"
	"testing"
)

// Review 99a: a re-read of 9be3622 and de44ffd (revisions 2026-12-07j/k;
// its findings fixed in 2026-12-07l, but for the council's untagged
// message with an attachment, a document now, a choice the README states):
// carriesDocument (an item carrying a document is of the documents class
// too), a Task with a LOINC-coded input or output of the observations
// class too. Jane's shared record (r98bSeed); real server, SQLite file and
// tokens. SPEC §1: the social worker sees no clinical notes or lab
// results, the district nurse no documents, observations or
// safeguarding, the IG officer no clinical content.

const r99aLetter = "R99A-LETTER-SECRET: low mood, sertraline started; HbA1c 86 mmol/mol; eGFR 38"

// r99aGPTask is a GP Task for the council (it reaches the social worker
// as care plans), id, with the given input elements.
func r99aGPTask(id, inputs string) [2]string {
	return [2]string{"/fhir/Task/" + id, `{"resourceType":"Task","id":"` + id + `","status":"requested","intent":"order",
	 "code":{"text":"R99A-TASK"},"for":{"reference":"Patient/jane"},"owner":{"reference":"Organization/E06000999"},"input":[` + inputs + `]}`}
}

// r99aSWLeaks: the social worker's read of path and her $everything
// carry the letter (as base64 or text).
func r99aSWLeaks(t *testing.T, e *env, path string) {
	t.Helper()
	sw := e.token("social-worker", "council", r98bCouncil)
	r := e.do("GET", path, sw, "")
	t.Logf("social worker GET %s: %d", path, r.status)
	if r.status == 200 && (strings.Contains(r.body, r98bB64(r99aLetter)) || strings.Contains(r.body, "R99A-LETTER-SECRET")) {
		t.Errorf("the GP's clinical letter reached the social worker in %s (withheld from her as a DocumentReference): %.240s", path, r.body)
	}
	r = e.do("GET", "/fhir/Patient/jane/$everything", sw, "")
	if strings.Contains(r.body, r98bB64(r99aLetter)) || strings.Contains(r.body, "R99A-LETTER-SECRET") {
		t.Errorf("her $everything carries the letter of %s", path)
	}
}

// TestReview99aTaskLetterWithoutContentTypeReachesSocialWorker:
// the same letter as review 98b's, attached to the GP's Task with no
// contentType (Attachment.contentType is optional in R4). jsonPayload
// reads an attachment with no type as JSON, so carriesDocument does not
// count it a document.
func TestReview99aTaskLetterWithoutContentTypeReachesSocialWorker(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"),
		r99aGPTask("r99a-notype", `{"type":{"text":"referral letter"},"valueAttachment":{"data":"`+r98bB64(r99aLetter)+`"}}`))
	r99aSWLeaks(t, e, "/fhir/Task/r99a-notype")
}

// TestReview99aTaskLetterAsBase64BinaryReachesSocialWorker: the
// letter as the Task input's valueBase64Binary. carriesDocument checks
// valueBase64Binary with jsonPayload("", …), which is true for any data
// (no type: "may be JSON"), so that check never finds anything.
func TestReview99aTaskLetterAsBase64BinaryReachesSocialWorker(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"),
		r99aGPTask("r99a-b64", `{"type":{"text":"referral letter"},"valueBase64Binary":"`+r98bB64(r99aLetter)+`"}`))
	r99aSWLeaks(t, e, "/fhir/Task/r99a-b64")
}

// TestReview99aTaskLetterStartingWithBracketReachesSocialWorker:
// the letter typed text/plain whose text starts "[CONFIDENTIAL]": it
// "starts as JSON does" (jsonLike), so it is not counted a document.
func TestReview99aTaskLetterStartingWithBracketReachesSocialWorker(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"),
		r99aGPTask("r99a-bracket", `{"type":{"text":"referral letter"},"valueAttachment":{"contentType":"text/plain","data":"`+r98bB64("[CONFIDENTIAL] "+r99aLetter)+`"}}`))
	sw := e.token("social-worker", "council", r98bCouncil)
	r := e.do("GET", "/fhir/Task/r99a-bracket", sw, "")
	t.Logf("social worker: %d", r.status)
	if r.status == 200 && strings.Contains(r.body, r98bB64("[CONFIDENTIAL] "+r99aLetter)) {
		t.Errorf("the GP's letter typed text/plain and starting with '[' reached the social worker")
	}
}

// TestReview99aTaskJSONLetterReachesSocialWorker: the letter as
// a JSON document that is not a FHIR resource (a GP system's export,
// application/json): not a document (JSON), and no FHIR resource to
// class it.
func TestReview99aTaskJSONLetterReachesSocialWorker(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	js := `{"letterType":"clinic letter","body":"` + r99aLetter + `"}`
	e.putAll(t, e.token("system", "nhs", "A81001"),
		r99aGPTask("r99a-json", `{"type":{"text":"referral letter"},"valueAttachment":{"contentType":"application/json","data":"`+r98bB64(js)+`"}}`))
	sw := e.token("social-worker", "council", r98bCouncil)
	r := e.do("GET", "/fhir/Task/r99a-json", sw, "")
	t.Logf("social worker: %d", r.status)
	if r.status == 200 && strings.Contains(r.body, r98bB64(js)) {
		t.Errorf("the GP's letter as a (non-FHIR) JSON document reached the social worker")
	}
}

// TestReview99aTaskDataURLWithoutTypeReachesSocialWorker: the
// letter as a data: url with no media type (RFC 2397: text/plain then),
// as the Task input's valueUrl.
func TestReview99aTaskDataURLWithoutTypeReachesSocialWorker(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"),
		r99aGPTask("r99a-dataurl", `{"type":{"text":"referral letter"},"valueUrl":"data:;base64,`+r98bB64(r99aLetter)+`"}`))
	r99aSWLeaks(t, e, "/fhir/Task/r99a-dataurl")
}

// TestReview99aCarerPhotoTypedImageHoldingLetterReachesSocialWorker:
// review 98b's carer photo again, now typed image/jpeg while its data is
// the GP's letter (text, a PDF): de44ffd takes any photo typed image/…
// as a picture on its word.
func TestReview99aCarerPhotoTypedImageHoldingLetterReachesSocialWorker(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/RelatedPerson/r99a-carer", `{"resourceType":"RelatedPerson","id":"r99a-carer","patient":{"reference":"Patient/jane"},
		 "name":[{"family":"R99A-CARER"}],"photo":[{"contentType":"image/jpeg","data":"` + r98bB64("%PDF-1.4\n"+r99aLetter) + `"}]}`})
	sw := e.token("social-worker", "council", r98bCouncil)
	ig := e.token("ig-officer", "nhs", "A81001")
	for name, tok := range map[string]string{"social worker": sw, "IG officer": ig} {
		r := e.do("GET", "/fhir/RelatedPerson/r99a-carer", tok, "")
		t.Logf("%s: %d", name, r.status)
		if r.status == 200 && strings.Contains(r.body, r98bB64("%PDF-1.4\n"+r99aLetter)) {
			t.Errorf("the GP's letter (a PDF) as a carer's photo typed image/jpeg reached the %s", name)
		}
	}
}

// TestReview99aTaskLOINCAsOIDReachesSocialWorker: review 98b's
// HbA1c as the GP Task's output, its type coded in LOINC under LOINC's
// OID (urn:oid:2.16.840.1.113883.6.1, the system HL7 v3/CDA and many
// NHS interfaces send) and under https: ContentClasses takes
// http://loinc.org only.
func TestReview99aTaskLOINCAsOIDReachesSocialWorker(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	for id, sys := range map[string]string{"r99a-oid": "urn:oid:2.16.840.1.113883.6.1", "r99a-https": "https://loinc.org"} {
		e.putAll(t, gpSys, [2]string{"/fhir/Task/" + id, `{"resourceType":"Task","id":"` + id + `","status":"completed","intent":"order",
		 "code":{"text":"R99A-LOINC-TASK"},"for":{"reference":"Patient/jane"},"owner":{"reference":"Organization/E06000999"},
		 "output":[{"type":{"coding":[{"system":"` + sys + `","code":"4548-4"}],"text":"HbA1c"},"valueQuantity":{"value":86,"unit":"mmol/mol"}}]}`})
	}
	sw := e.token("social-worker", "council", r98bCouncil)
	// premise: under http://loinc.org it is withheld
	e.putAll(t, gpSys, [2]string{"/fhir/Task/r99a-http", `{"resourceType":"Task","id":"r99a-http","status":"completed","intent":"order",
	 "code":{"text":"R99A-LOINC-TASK"},"for":{"reference":"Patient/jane"},"owner":{"reference":"Organization/E06000999"},
	 "output":[{"type":{"coding":[{"system":"http://loinc.org","code":"4548-4"}],"text":"HbA1c"},"valueQuantity":{"value":86,"unit":"mmol/mol"}}]}`})
	if r := e.do("GET", "/fhir/Task/r99a-http", sw, ""); r.status != 404 {
		t.Fatalf("premise: the LOINC-coded Task under http://loinc.org reached the social worker: %d", r.status)
	}
	for _, id := range []string{"r99a-oid", "r99a-https"} {
		if r := e.do("GET", "/fhir/Task/"+id, sw, ""); r.status == 200 {
			t.Errorf("%s: the GP's HbA1c as the Task's LOINC-coded output reached the social worker (withheld under http://loinc.org)", id)
		}
	}
}

// TestReview99aCouncilAssessmentFormAsTextReachesNurse: the
// council's own assessment Task (social care: SPEC §1 gives the nurse
// "the social care package") with the filled-in assessment form attached
// as a PDF. carriesDocument makes it a document too, so the district
// nurse, who reads the same Task without the form, loses it whole.
// (Judgement: review 98b's rule was for NHS clinical letters reaching
// the council; the council's own assessment is social care.)
func TestReview99aCouncilAssessmentFormAsTextReachesNurse(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	council := e.token("system", "council", r98bCouncil)
	e.putAll(t, council,
		[2]string{"/fhir/Task/r99a-assess", `{"resourceType":"Task","id":"r99a-assess","status":"completed","intent":"order",
		 "meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},
		 "code":{"coding":[{"system":"http://snomed.info/sct","code":"410606002"}],"text":"R99A-COUNCIL-ASSESSMENT"},"for":{"reference":"Patient/jane"},
		 "output":[{"type":{"text":"care act assessment form"},"valueAttachment":{"contentType":"application/pdf","title":"Care Act assessment","data":"` + r98bB64("%PDF-1.4\nneeds: help washing and dressing, 14 hours a week") + `"}}]}`},
		[2]string{"/fhir/QuestionnaireResponse/r99a-qr", `{"resourceType":"QuestionnaireResponse","id":"r99a-qr","status":"completed",
		 "meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},"subject":{"reference":"Patient/jane"},
		 "item":[{"linkId":"1","text":"R99A-COUNCIL-QR","answer":[{"valueAttachment":{"contentType":"application/pdf","data":"` + r98bB64("%PDF-1.4\nsigned care plan") + `"}}]}]}`},
	)
	nurse := e.token("district-nurse", "nhs", "RCX")
	// premise: without its form, the nurse reads the council's assessment
	e.putAll(t, council, [2]string{"/fhir/Task/r99a-assess-bare", `{"resourceType":"Task","id":"r99a-assess-bare","status":"completed","intent":"order",
	 "meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},
	 "code":{"coding":[{"system":"http://snomed.info/sct","code":"410606002"}],"text":"R99A-COUNCIL-ASSESSMENT"},"for":{"reference":"Patient/jane"},
	 "output":[{"type":{"text":"hours of care a week"},"valueString":"14"}]}`})
	if r := e.do("GET", "/fhir/Task/r99a-assess-bare", nurse, ""); r.status != 200 {
		t.Fatalf("premise: the nurse reads the council's assessment without its form: %d", r.status)
	}
	// (Review 101a: a PDF carex cannot read for codes may hold what the
	// council received from the NHS, an HIV diagnosis: the council's
	// tagged items keep what carex reads — a form as text — and a PDF
	// makes them documents, withheld from her. A choice the README states.)
	for _, p := range []string{"/fhir/Task/r99a-assess", "/fhir/QuestionnaireResponse/r99a-qr"} {
		if r := e.do("GET", p, nurse, ""); r.status != 404 {
			t.Errorf("the council's tagged assessment %s with a PDF form carex cannot read reached the district nurse: %d", p, r.status)
		}
	}
	e.putAll(t, council, [2]string{"/fhir/Task/r99a-assess-text", `{"resourceType":"Task","id":"r99a-assess-text","status":"completed","intent":"order",
	 "meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},
	 "code":{"coding":[{"system":"http://snomed.info/sct","code":"410606002"}],"text":"R99A-COUNCIL-ASSESSMENT"},"for":{"reference":"Patient/jane"},
	 "output":[{"type":{"text":"care act assessment form"},"valueAttachment":{"contentType":"text/plain","data":"` + r98bB64("needs: help washing and dressing, 14 hours a week") + `"}}]}`})
	if r := e.do("GET", "/fhir/Task/r99a-assess-text", nurse, ""); r.status != 200 {
		t.Errorf("the district nurse is refused the council's tagged assessment with its form as text: %d", r.status)
	}
}

// TestReview99aCouncilTaskLOINCInputWithheldFromNurse: the
// council's assessment Task recording the person's housing situation
// with LOINC's social-determinant code (71802-3 Housing status, as the
// Gravity/SDOH value sets and some council systems use): a Task with a
// LOINC-coded input is made observations, and the district nurse loses
// the council's assessment. (Judgement: README says "a council's own
// measures are not so coded"; some are.)
func TestReview99aCouncilTaskLOINCInputWithheldFromNurse(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	council := e.token("system", "council", r98bCouncil)
	e.putAll(t, council, [2]string{"/fhir/Task/r99a-housing", `{"resourceType":"Task","id":"r99a-housing","status":"completed","intent":"order",
	 "meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},
	 "code":{"text":"R99A-COUNCIL-HOUSING"},"for":{"reference":"Patient/jane"},
	 "input":[{"type":{"coding":[{"system":"http://loinc.org","code":"71802-3","display":"Housing status"}]},"valueString":"lives alone, stairs to bedroom"}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	e.putAll(t, council, [2]string{"/fhir/Task/r99a-housing-text", `{"resourceType":"Task","id":"r99a-housing-text","status":"completed","intent":"order",
	 "meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},
	 "code":{"text":"R99A-COUNCIL-HOUSING"},"for":{"reference":"Patient/jane"},
	 "input":[{"type":{"text":"Housing status"},"valueString":"lives alone, stairs to bedroom"}]}`})
	if r := e.do("GET", "/fhir/Task/r99a-housing-text", nurse, ""); r.status != 200 {
		t.Fatalf("premise: the nurse reads the council's assessment with its input uncoded: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Task/r99a-housing", nurse, ""); r.status != 200 {
		t.Errorf("the district nurse is refused the council's assessment (social care) for its LOINC-coded housing status: %d", r.status)
	}
}

// TestReview99aSoundNoContentTypeOverWithholding: attachments and
// base64 with no media type are not documents, so a Patient's photo
// given without contentType, a Provenance's signature and an
// Observation's sampled data do not lose their readers (the IG officer
// reads the Patient and the Provenance).
func TestReview99aSoundNoContentTypeOverWithholding(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/RelatedPerson/r99a-photo", `{"resourceType":"RelatedPerson","id":"r99a-photo","patient":{"reference":"Patient/jane"},
		 "name":[{"family":"R99A-PHOTO"}],"photo":[{"data":"/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDAoI"}]}`},
		[2]string{"/fhir/Provenance/r99a-prov", `{"resourceType":"Provenance","id":"r99a-prov","target":[{"reference":"Patient/jane"}],"recorded":"2026-01-01T10:00:00Z",
		 "agent":[{"who":{"reference":"Organization/A81001"}}],
		 "signature":[{"type":[{"system":"urn:iso-astm:E1762-95:2013","code":"1.2.840.10065.1.12.1.1"}],"when":"2026-01-01T10:00:00Z","who":{"reference":"Organization/A81001"},"sigFormat":"application/jose","data":"ZXlKaGJHY2lPaUpTVXpJMU5pSjkuLnNpZw=="}]}`},
	)
	ig := e.token("ig-officer", "nhs", "A81001")
	sw := e.token("social-worker", "council", r98bCouncil)
	if r := e.do("GET", "/fhir/RelatedPerson/r99a-photo", sw, ""); r.status != 200 {
		t.Errorf("social worker, carer with an untyped photo: %d", r.status)
	}
	e.putAll(t, gpSys, [2]string{"/fhir/Provenance/r99a-prov2", `{"resourceType":"Provenance","id":"r99a-prov2","target":[{"reference":"Patient/jane"}],"recorded":"2026-01-01T10:00:00Z",
		 "agent":[{"who":{"reference":"Organization/A81001"}}]}`})
	for name, tok := range map[string]string{"IG officer": ig, "social worker": sw} {
		signed, unsigned := e.do("GET", "/fhir/Provenance/r99a-prov", tok, ""), e.do("GET", "/fhir/Provenance/r99a-prov2", tok, "")
		t.Logf("%s: signed %d, unsigned %d", name, signed.status, unsigned.status)
		if signed.status != unsigned.status {
			t.Errorf("%s: a Provenance's signature changes its reading: signed %d, unsigned %d", name, signed.status, unsigned.status)
		}
	}
}

// TestReview99aSoundNestedAttachmentsAreDocuments: a PDF letter in a
// contained resource's attachment, or as an extension's valueAttachment,
// keeps the GP's Task from the social worker.
func TestReview99aSoundNestedAttachmentsAreDocuments(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	pdf := r98bB64("%PDF-1.4\n" + r99aLetter)
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/Task/r99a-contained", `{"resourceType":"Task","id":"r99a-contained","status":"requested","intent":"order",
		 "contained":[{"resourceType":"Media","id":"m","status":"completed","content":{"contentType":"application/pdf","data":"` + pdf + `"}}],
		 "code":{"text":"R99A-TASK"},"for":{"reference":"Patient/jane"},"owner":{"reference":"Organization/E06000999"},"input":[{"type":{"text":"letter"},"valueReference":{"reference":"#m"}}]}`},
		[2]string{"/fhir/Task/r99a-ext", `{"resourceType":"Task","id":"r99a-ext","status":"requested","intent":"order",
		 "extension":[{"url":"https://gp.example/letter","valueAttachment":{"contentType":"application/pdf","data":"` + pdf + `"}}],
		 "code":{"text":"R99A-TASK"},"for":{"reference":"Patient/jane"},"owner":{"reference":"Organization/E06000999"}}`},
	)
	sw := e.token("social-worker", "council", r98bCouncil)
	for _, p := range []string{"/fhir/Task/r99a-contained", "/fhir/Task/r99a-ext"} {
		if r := e.do("GET", p, sw, ""); r.status != 404 {
			t.Errorf("social worker %s: %d", p, r.status)
		}
	}
}

// TestReview99aSoundTransactionMaskingKeepsOwnNewItems: the GP's
// transaction whose conditional create matches the hospital's admission
// beside Jane's objection to the practice (withheld, review 98a), and a
// new Condition and an Observation naming both by urn:uuid: the echoed
// Observation masks the admission and keeps the practice's new
// Condition. (carex does not read Prefer: return=minimal is answered
// with resources too, as before these commits; not asserted.)
func TestReview99aSoundTransactionMaskingKeepsOwnNewItems(t *testing.T) {
	for _, prefer := range []string{"return=representation"} {
		e := newEnv(t)
		seedShared(t, e)
		gp := e.token("gp", "nhs", "A81001")
		const urnEnc, urnCond = "urn:uuid:0b6c3f4e-5a0e-4b8e-9a53-0c1d2e3f4a5b", "urn:uuid:1c6c3f4e-5a0e-4b8e-9a53-0c1d2e3f4a5c"
		enc := `{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/jane"}}`
		cond := `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"R99A-NEW-COND"}}`
		obs := `{"resourceType":"Observation","id":"o99","status":"final","code":{"text":"R99A-OBS"},"subject":{"reference":"Patient/jane"},"encounter":{"reference":"` + urnEnc + `"},"hasMember":[],"derivedFrom":[{"reference":"` + urnCond + `"}]}`
		obs = strings.Replace(obs, `"hasMember":[],`, "", 1)
		tx := `{"resourceType":"Bundle","type":"transaction","entry":[
		 {"fullUrl":"` + urnEnc + `","resource":` + enc + `,"request":{"method":"POST","url":"Encounter","ifNoneExist":"_id=admission"}},
		 {"fullUrl":"` + urnCond + `","resource":` + cond + `,"request":{"method":"POST","url":"Condition"}},
		 {"resource":` + obs + `,"request":{"method":"PUT","url":"Observation/o99"}},
		 {"resource":` + denyOrgConsent("c99", "jane", "A81001") + `,"request":{"method":"PUT","url":"Consent/c99"}}]}`
		r := e.do("POST", "/fhir", gp, tx, "Prefer", prefer)
		if r.status != 200 {
			t.Fatalf("%s: transaction %d %.500s", prefer, r.status, r.body)
		}
		if strings.Contains(r.body, "Encounter/admission") || strings.Contains(r.body, "HOSP-ADMISSION") {
			t.Errorf("%s: the answer names the withheld admission", prefer)
		}
		if !strings.Contains(r.body, "R99A-NEW-COND") || !strings.Contains(r.body, `"derivedFrom":[{"reference":"Condition/`) {
			t.Errorf("the echoed Observation lost its reference to the practice's new Condition: %.900s", r.body)
		}
		if x := e.lastEntry(t); x.Withheld != 1 {
			t.Errorf("withheld logged as %d (reasons %v)", x.Withheld, x.Reasons)
		}
	}
}

// TestReview99aSoundOtherSystemIdentifierNamesNoOne: a Patient search by
// a hospital number of 10 digits that passes modulus 11 under the
// hospital's own system does not name the person carrying that NHS
// number (her $who-accessed does not list it); the same value under the
// NHS number system does.
func TestReview99aSoundOtherSystemIdentifierNamesNoOne(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	before := r98aSearches(t, e, "jane")[200]
	if r := e.do("GET", "/fhir/Patient?identifier=https://hosp.example/mrn|9434765919", gp, ""); r.status != 200 {
		t.Fatalf("search: %d %.300s", r.status, r.body)
	}
	if after := r98aSearches(t, e, "jane")[200]; after != before {
		t.Errorf("a search by a hospital number names Jane (searches %d -> %d)", before, after)
	}
	if r := e.do("GET", "/fhir/Patient?identifier="+r98aNHS+"|943%20476%205919&family=Nobody", gp, ""); r.status != 200 {
		t.Fatalf("search: %d %.300s", r.status, r.body)
	}
	if after := r98aSearches(t, e, "jane")[200]; after != before+1 {
		t.Errorf("a search by her NHS number written with spaces (nothing found) is not in her report: %d -> %d", before, after)
	}
}

// TestReview99aSoundSafeguardingInsideCarriers: a Flag contained in the
// council's care plan, and a GP Task carrying an HbA1c LOINC-coded output
// inside a stored document Bundle, keep the item from the district nurse
// (safeguarding) and the social worker (observations).
func TestReview99aSoundSafeguardingInsideCarriers(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	e.putAll(t, e.token("system", "council", r98bCouncil),
		[2]string{"/fhir/CarePlan/r99a-cp-flag", `{"resourceType":"CarePlan","id":"r99a-cp-flag","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},
		 "title":"R99A-CP-FLAG","contained":[{"resourceType":"Flag","id":"f","status":"active","code":{"text":"section 42 enquiry"},"subject":{"reference":"Patient/jane"}}],
		 "supportingInfo":[{"reference":"#f"}]}`})
	task := `{"resourceType":"Task","id":"t","status":"completed","intent":"order","for":{"reference":"Patient/jane"},"output":[{"type":{"coding":[{"system":"http://loinc.org","code":"4548-4"}]},"valueQuantity":{"value":86}}]}`
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/Bundle/r99a-bundle", `{"resourceType":"Bundle","id":"r99a-bundle","type":"collection","entry":[{"fullUrl":"https://gp.example/fhir/Task/t","resource":` + task + `}]}`},
		[2]string{"/fhir/CarePlan/r99a-cp-task", `{"resourceType":"CarePlan","id":"r99a-cp-task","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},
		 "title":"R99A-CP-TASK","contained":[` + task + `],"activity":[{"reference":{"reference":"#t"}}]}`})
	if r := e.do("GET", "/fhir/CarePlan/r99a-cp-flag", e.token("district-nurse", "nhs", "RCX"), ""); r.status != 404 {
		t.Errorf("the nurse reads the council's care plan carrying a safeguarding Flag: %d", r.status)
	}
	sw := e.token("social-worker", "council", r98bCouncil)
	for _, p := range []string{"/fhir/Bundle/r99a-bundle", "/fhir/CarePlan/r99a-cp-task"} {
		if r := e.do("GET", p, sw, ""); r.status == 200 && strings.Contains(r.body, "4548-4") {
			t.Errorf("the social worker reads %s carrying the GP's HbA1c Task", p)
		}
	}
}
