package api_test

import (
	"strings"
	"testing"
)

// Review 101a (its findings fixed in revision 2026-12-07n): a re-read of
// b546ada (revision 2026-12-07m): a payload is a
// document unless it is FHIR JSON resources alone (carriesDocument,
// onlyResources, pictureHead); a council's item it tags social-care is as
// tagged; a council's Task is observations only by a LOINC-named
// measurement (search.taskLOINC); a search by NHS number names the
// number's carrier only when no released Patient carries it
// (releasedCarries). Jane's shared record (r98bSeed); real server, real
// SQLite file, real tokens. SPEC §1: the social worker sees no clinical
// notes or lab results; the IG officer no clinical content;
// default.policy: the district nurse sees no documents or observations.

const r101aLetter = "R101A-LETTER-SECRET: low mood, sertraline started; HbA1c 86 mmol/mol; eGFR 38"

func r101aPDF() string { return "%PDF-1.4\n" + r101aLetter }

// r101aGet reads path as the user and reports the status and whether the
// body carries the letter (as text or as base64 of any payload).
func r101aGet(t *testing.T, e *env, path, tok string, payloads ...string) (int, bool) {
	t.Helper()
	r := e.do("GET", path, tok, "")
	holds := strings.Contains(r.body, "R101A-LETTER-SECRET")
	for _, p := range payloads {
		holds = holds || strings.Contains(r.body, r98bB64(p))
	}
	return r.status, r.status == 200 && holds
}

func r101aTask(id, meta, in string) [2]string {
	return [2]string{"/fhir/Task/" + id, `{"resourceType":"Task","id":"` + id + `",` + meta + `"status":"requested","intent":"order",
	 "code":{"text":"R101A-TASK"},"for":{"reference":"Patient/jane"},"owner":{"reference":"Organization/E06000999"},"input":[` + in + `]}`}
}

// TestReview101aProvenanceSignatureCarriesLetterToIG: the GP's
// Provenance of Jane's record whose signature's data is not a signature
// but the letter as a PDF (sigFormat application/pdf). carriesDocument
// skips every Provenance's signature unread ("a signature is a
// signature"), so the IG officer, who sees provenance but no clinical
// content (SPEC §1), reads the letter; the same PDF in the Provenance's
// extension is withheld from her.
func TestReview101aProvenanceSignatureCarriesLetterToIG(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	pdf := r101aPDF()
	prov := func(id, ext, sig string) [2]string {
		return [2]string{"/fhir/Provenance/" + id, `{"resourceType":"Provenance","id":"` + id + `","target":[{"reference":"Patient/jane"}],
		 "recorded":"2025-06-01T10:00:00Z","agent":[{"who":{"reference":"Organization/A81001"}}]` + ext + sig + `}`}
	}
	e.putAll(t, e.token("system", "nhs", "A81001"),
		prov("r101a-prov-ext", `,"extension":[{"url":"https://example.org/gp/letter","valueAttachment":{"contentType":"application/pdf","data":"`+r98bB64(pdf)+`"}}]`, ""),
		prov("r101a-prov-sig", "", `,"signature":[{"type":[{"system":"urn:iso-astm:E1762-95:2013","code":"1.2.840.10065.1.12.1.1"}],"when":"2025-06-01T10:00:00Z",
		 "who":{"reference":"Organization/A81001"},"sigFormat":"application/pdf","data":"`+r98bB64(pdf)+`"}]`))
	ig := e.token("ig-officer", "nhs", "A81001")
	if st, leak := r101aGet(t, e, "/fhir/Provenance/r101a-prov-ext", ig, pdf); leak {
		t.Fatalf("premise: the letter in the Provenance's extension reached the IG officer (%d)", st)
	}
	if r := e.do("GET", "/fhir/Provenance/r101a-prov-sig", ig, ""); r.status == 200 {
		st, leak := r101aGet(t, e, "/fhir/Provenance/r101a-prov-sig", ig, pdf)
		if !leak {
			t.Fatalf("premise: the IG officer's read of the signed Provenance lacks the data (%d)", st)
		}
	}
	if st, leak := r101aGet(t, e, "/fhir/Provenance/r101a-prov-sig", ig, pdf); leak {
		t.Errorf("the GP's letter (a PDF) as a Provenance's signature data reached the IG officer (%d)", st)
	}
}

// TestReview101aBase64LetterInValueStringReachesSocialWorker: the
// GP's Task for the council with the letter as base64 in an input's
// valueString (not valueBase64Binary, not a data: url). README: an item
// carrying "a base64 value that is not FHIR JSON resources alone ... a
// letter, a PDF" carries the documents class; carriesDocument reads only
// attachment data, valueBase64Binary and data: urls.
func TestReview101aBase64LetterInValueStringReachesSocialWorker(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	pdf := r101aPDF()
	e.putAll(t, e.token("system", "nhs", "A81001"),
		r101aTask("r101a-b64bin", "", `{"type":{"text":"discharge letter"},"valueBase64Binary":"`+r98bB64(pdf)+`"}`),
		r101aTask("r101a-b64str", "", `{"type":{"text":"discharge letter"},"valueString":"`+r98bB64(pdf)+`"}`))
	sw := e.token("social-worker", "council", r98bCouncil)
	if st, leak := r101aGet(t, e, "/fhir/Task/r101a-b64bin", sw, pdf); leak {
		t.Fatalf("premise: the letter as valueBase64Binary reached the social worker (%d)", st)
	}
	if st, leak := r101aGet(t, e, "/fhir/Task/r101a-b64str", sw, pdf); leak {
		t.Errorf("the GP's letter as base64 in a Task input's valueString reached the social worker (%d)", st)
	}
}

// TestReview101aSoundCarriedResourcesHoldingLetters: a letter inside FHIR
// JSON that is "resources alone" is still found: a Binary whose data is
// the PDF, a Bundle holding a DocumentReference with it, attached as FHIR
// JSON to the GP's Task for the council; and a DocumentReference
// contained in the Task. None reaches the social worker.
func TestReview101aSoundCarriedResourcesHoldingLetters(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	pdf := r101aPDF()
	binary := `{"resourceType":"Binary","contentType":"application/pdf","data":"` + r98bB64(pdf) + `"}`
	docref := `{"resourceType":"DocumentReference","status":"current","subject":{"reference":"Patient/jane"},"content":[{"attachment":{"contentType":"application/pdf","data":"` + r98bB64(pdf) + `"}}]}`
	bundle := `{"resourceType":"Bundle","type":"collection","entry":[{"resource":` + docref + `}]}`
	att := func(j string) string {
		return `{"type":{"text":"attached"},"valueAttachment":{"contentType":"application/fhir+json","data":"` + r98bB64(j) + `"}}`
	}
	contained := [2]string{"/fhir/Task/r101a-contained", `{"resourceType":"Task","id":"r101a-contained","contained":[` + strings.Replace(docref, `{"resourceType":"DocumentReference",`, `{"resourceType":"DocumentReference","id":"d1",`, 1) + `],
	 "status":"requested","intent":"order","code":{"text":"R101A-TASK"},"for":{"reference":"Patient/jane"},"owner":{"reference":"Organization/E06000999"},
	 "input":[{"type":{"text":"letter"},"valueReference":{"reference":"#d1"}}]}`}
	e.putAll(t, e.token("system", "nhs", "A81001"),
		r101aTask("r101a-binary", "", att(binary)),
		r101aTask("r101a-bundle", "", att(bundle)),
		contained)
	sw := e.token("social-worker", "council", r98bCouncil)
	for _, id := range []string{"r101a-binary", "r101a-bundle", "r101a-contained"} {
		st, leak := r101aGet(t, e, "/fhir/Task/"+id, sw, pdf, binary, bundle)
		t.Logf("%s: social worker %d", id, st)
		if leak {
			t.Errorf("the letter inside %s reached the social worker", id)
		}
	}
}

// TestReview101aGPExtensionBase64BlobWithholdsAllergy: the GP's
// allergy record carrying its system's small binary extension (a 16-byte
// record GUID as valueBase64Binary, as GP systems add to items). It is no
// letter, yet carriesDocument makes the allergy a document, withheld from
// the district nurse, who must see allergies (SPEC §1). Judgement: a
// careful NHS user would not accept losing an allergy to a record id.
func TestReview101aGPExtensionBase64BlobWithholdsAllergy(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	guid := "\x9f\x12\x07\xc3\x55\x1a\x4e\x02\x8b\x33\xd0\x6e\x71\x10\xaa\x04"
	allergy := func(id, ext string) [2]string {
		return [2]string{"/fhir/AllergyIntolerance/" + id, `{"resourceType":"AllergyIntolerance","id":"` + id + `",` + ext + `"patient":{"reference":"Patient/jane"},
		 "code":{"coding":[{"system":"http://snomed.info/sct","code":"91936005"}],"text":"R101A-PENICILLIN-ALLERGY"}}`}
	}
	e.putAll(t, e.token("system", "nhs", "A81001"),
		allergy("r101a-allergy-plain", ""),
		allergy("r101a-allergy-guid", `"extension":[{"url":"https://example.org/gp/record-guid","valueBase64Binary":"`+r98bB64(guid)+`"}],`))
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/AllergyIntolerance/r101a-allergy-plain", nurse, ""); r.status != 200 {
		t.Fatalf("premise: the nurse cannot read the plain allergy: %d %.200s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/AllergyIntolerance/r101a-allergy-guid", nurse, ""); r.status != 200 {
		t.Errorf("the GP's penicillin allergy carrying a 16-byte record id (valueBase64Binary) is withheld from the district nurse: %d", r.status)
	}
}

// TestReview101aSoundHashNotDocument: an Attachment's hash (base64
// SHA-1) beside a url is no document: a carer's photo given by url with
// its hash reaches the nurse as the plain carer does. (A Device with a
// UDI carrier AIDC was tried too: no role but its source reads a Device
// at all, so it shows nothing; kept as a log line.)
func TestReview101aSoundHashNotDocument(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	hash := r98bB64("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14")
	carer := func(id, photo string) [2]string {
		return [2]string{"/fhir/RelatedPerson/" + id, `{"resourceType":"RelatedPerson","id":"` + id + `","patient":{"reference":"Patient/jane"},"name":[{"family":"R101A-CARER"}]` + photo + `}`}
	}
	device := func(id, aidc string) [2]string {
		return [2]string{"/fhir/Device/" + id, `{"resourceType":"Device","id":"` + id + `","patient":{"reference":"Patient/jane"},"status":"active",
		 "deviceName":[{"name":"R101A-HEARING-AID","type":"user-friendly-name"}],"udiCarrier":[{"deviceIdentifier":"00844588003288"` + aidc + `}]}`}
	}
	e.putAll(t, e.token("system", "nhs", "A81001"),
		carer("r101a-carer-plain", ""),
		carer("r101a-carer-hash", `,"photo":[{"contentType":"image/jpeg","url":"https://gp.example/photos/1.jpg","hash":"`+hash+`","size":20480}]`),
		carer("r101a-carer-nohashurl", `,"photo":[{"contentType":"image/jpeg","url":"https://gp.example/photos/1.jpg"}]`),
		device("r101a-dev-plain", ""),
		device("r101a-dev-aidc", `,"carrierAIDC":"`+r98bB64("]d2010084458800328817141120")+`"`))
	nurse := e.token("district-nurse", "nhs", "RCX")
	st := map[string]int{}
	for _, p := range []string{"RelatedPerson/r101a-carer-plain", "RelatedPerson/r101a-carer-hash", "RelatedPerson/r101a-carer-nohashurl", "Device/r101a-dev-plain", "Device/r101a-dev-aidc"} {
		st[p] = e.do("GET", "/fhir/"+p, nurse, "").status
	}
	t.Logf("nurse: %v", st)
	if st["RelatedPerson/r101a-carer-plain"] != 200 {
		t.Fatalf("premise: the nurse cannot read the plain carer")
	}
	if st["RelatedPerson/r101a-carer-hash"] != 200 {
		t.Errorf("a carer's photo by url with its hash withholds the carer from the nurse: %d", st["RelatedPerson/r101a-carer-hash"])
	}
}

// TestReview101aCouncilTaskDecimalHbA1cReachesNurse: the council's
// Task copying an HbA1c from a discharge summary, LOINC 4548-4, with its
// value as valueDecimal (or valueInteger) rather than a Quantity. A
// number is a measurement as a Quantity is; taskLOINC(measured) counts
// only Quantity, Range, Ratio and SampledData, so the lab result reaches
// the district nurse (no observations in default.policy) as social care.
func TestReview101aCouncilTaskDecimalHbA1cReachesNurse(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	out := func(v string) string {
		return `{"type":{"coding":[{"system":"http://loinc.org","code":"4548-4","display":"Hemoglobin A1c"}],"text":"R101A-HBA1C"},` + v + `}`
	}
	task := func(id, v string) [2]string {
		return [2]string{"/fhir/Task/" + id, `{"resourceType":"Task","id":"` + id + `","status":"completed","intent":"order",
		 "code":{"coding":[{"system":"http://snomed.info/sct","code":"410606002"}],"text":"R101A-COUNCIL-ASSESS"},"for":{"reference":"Patient/jane"},"output":[` + out(v) + `]}`}
	}
	e.putAll(t, e.token("system", "council", r98bCouncil),
		task("r101a-c-qty", `"valueQuantity":{"value":86,"unit":"mmol/mol"}`),
		task("r101a-c-dec", `"valueDecimal":86`),
		task("r101a-c-int", `"valueInteger":86`))
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Task/r101a-c-qty", nurse, ""); r.status == 200 {
		t.Fatalf("premise: the council's Quantity HbA1c reached the nurse")
	}
	for _, id := range []string{"r101a-c-dec", "r101a-c-int"} {
		if r := e.do("GET", "/fhir/Task/"+id, nurse, ""); r.status == 200 && strings.Contains(r.body, "R101A-HBA1C") {
			t.Errorf("the council's Task with an HbA1c (LOINC 4548-4) as %s reached the district nurse", id)
		}
	}
}

// TestReview101aGPReferralReasonLOINCInWordsReachesSocialWorker: the
// GP's Task for the council (care plans) whose input is the reason for
// referral under LOINC 42349-1 ("Reason for referral (narrative)") as
// text. Any LOINC-named input of an NHS Task makes it observations
// (taskLOINC(res, false)), so the social worker loses the referral the GP
// sent her council. Judgement: LOINC names questions as well as results.
func TestReview101aGPReferralReasonLOINCInWordsReachesSocialWorker(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"),
		r101aTask("r101a-reason-text", "", `{"type":{"text":"Reason for referral"},"valueString":"R101A-NEEDS-HELP-WASHING"}`),
		r101aTask("r101a-reason-loinc", "", `{"type":{"coding":[{"system":"http://loinc.org","code":"42349-1","display":"Reason for referral (narrative)"}]},"valueString":"needs help washing and dressing"}`))
	sw := e.token("social-worker", "council", r98bCouncil)
	if r := e.do("GET", "/fhir/Task/r101a-reason-text", sw, ""); r.status != 200 {
		t.Fatalf("premise: the social worker cannot read the GP's referral Task: %d", r.status)
	}
	// (Reviews 102a, 103a: an NHS Task's LOINC-named input is a result
	// when its value is a measurement, coded, or words holding a number
	// — "86 mmol/mol" — not a reason for referral in words.)
	if r := e.do("GET", "/fhir/Task/r101a-reason-loinc", sw, ""); r.status != 200 {
		t.Errorf("the GP's referral Task to the council, its reason in words under LOINC 42349-1, is withheld from the social worker: %d", r.status)
	}
}

// TestReview101aCouncilTaggedPDFNamingHIVReachesNurse: the
// council's Task tagged social-care carrying the hospital's discharge
// letter it received, as a PDF that names HIV (SNOMED 86406008). The tag
// keeps the letter social care (README's choice, b546ada), and carex does
// not read a PDF for codes, so nothing labels it: the district nurse
// reads the hospital's HIV letter. The same text as text/plain is
// labelled and withheld from her (seen in a scratch run), and untagged
// the PDF is a document, withheld. Judgement (SPEC §5 sensitivity): a
// payload carex cannot read for labels should not be released by a tag.
func TestReview101aCouncilTaggedPDFNamingHIVReachesNurse(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	tag := `"meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},`
	plain := r101aPDF()
	hiv := "%PDF-1.4\nR101A-LETTER-SECRET: discharge summary. Diagnosis SNOMED 86406008 HIV disease."
	task := func(id, pdf string) [2]string {
		return [2]string{"/fhir/Task/" + id, `{"resourceType":"Task","id":"` + id + `",` + tag + `"status":"in-progress","intent":"order",
		 "code":{"text":"R101A-COUNCIL-ASSESS"},"for":{"reference":"Patient/jane"},
		 "input":[{"type":{"text":"hospital discharge letter"},"valueAttachment":{"contentType":"application/pdf","data":"` + r98bB64(pdf) + `"}}]}`}
	}
	e.putAll(t, e.token("system", "council", r98bCouncil), task("r101a-ct-plain", plain), task("r101a-ct-hiv", hiv))
	nurse := e.token("district-nurse", "nhs", "RCX")
	stPlain, _ := r101aGet(t, e, "/fhir/Task/r101a-ct-plain", nurse, plain)
	stHIV, leak := r101aGet(t, e, "/fhir/Task/r101a-ct-hiv", nurse, hiv)
	t.Logf("nurse: plain letter %d, HIV letter %d (the choice: a council's tagged item is as tagged, attachments and all)", stPlain, stHIV)
	if leak {
		t.Errorf("the council's tagged Task with a hospital letter naming HIV reached the nurse")
	}
}

// TestReview101aReleasedPatientMentioningNumberHidesSearchFromOwner:
// the GP's Patient search by two NHS numbers, Kim's and Marg's, narrowed
// by Kim's family name: Kim is released, Marg not matched, nothing
// withheld. Kim's record holds Marg's number as her next of kin's (in a
// contact extension), so releasedCarries finds "a released Patient
// carrying" Marg's number and the entry does not name Marg: the probe of
// her record is missing from her $who-accessed, as review 98a's fix put it
// there for the same search by her number alone.
func TestReview101aReleasedPatientMentioningNumberHidesSearchFromOwner(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	seedRestricted(t, e)
	gp := e.token("gp", "nhs", "A81001")
	kimNHS := nhsNumber(101)
	kim := func(contact string) string {
		return `{"resourceType":"Patient","id":"kim","identifier":[{"system":"` + r98aNHS + `","value":"` + kimNHS + `"}],
		 "name":[{"family":"Rkimtest"}],"birthDate":"1960-02-02","generalPractitioner":[{"reference":"Organization/A81001"}]` + contact + `}`
	}
	if r := e.do("PUT", "/fhir/Patient/kim", gp, kim("")); r.status != 201 && r.status != 200 {
		t.Fatalf("kim: %d %.300s", r.status, r.body)
	}
	q := "/fhir/Patient?identifier=" + r98aNHS + "|" + kimNHS + "," + r98aNHS + "|9990000069&family=Rkimtest"
	// premise: without the mention, Marg's report lists the search
	before := r98aSearches(t, e, "marg")[200]
	if r := e.do("GET", q, gp, ""); r.status != 200 || !strings.Contains(r.body, `"id":"kim"`) || strings.Contains(r.body, `"id":"marg"`) {
		t.Fatalf("search: %d %.300s", r.status, r.body)
	}
	if after := r98aSearches(t, e, "marg")[200]; after != before+1 {
		t.Fatalf("premise: Marg's report lacks the search by her number before Kim mentions it: %d -> %d", before, after)
	}
	if r := e.do("PUT", "/fhir/Patient/kim", gp, kim(`,"contact":[{"relationship":[{"text":"next of kin"}],"name":{"text":"Marg"},
		 "extension":[{"url":"https://example.org/gp/contact-nhs-number","valueString":"9990000069"}]}]`)); r.status != 200 && r.status != 201 {
		t.Fatalf("kim with contact: %d %.300s", r.status, r.body)
	}
	before = r98aSearches(t, e, "marg")[200]
	if r := e.do("GET", q, gp, ""); r.status != 200 || !strings.Contains(r.body, `"id":"kim"`) || strings.Contains(r.body, `"id":"marg"`) {
		t.Fatalf("search: %d %.300s", r.status, r.body)
	}
	if after := r98aSearches(t, e, "marg")[200]; after != before+1 {
		t.Errorf("the search by Marg's NHS number is missing from her $who-accessed once the released Kim's record mentions her number (%d -> %d)", before, after)
	}
}
