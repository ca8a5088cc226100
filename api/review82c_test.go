package api_test

// Review 82c: a council social worker's day — what she sees of the NHS, and
// what the NHS sees of the council.

import (
	"strings"
	"testing"
)

const r82cBob = `{"resourceType":"Patient","id":"bob","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],
"name":[{"family":"Smith","given":["Bob"]}],"gender":"male","birthDate":"1948-01-02","address":[{"line":["R82C-BOB-STREET"],"postalCode":"LS1 1AA"}],"telecom":[{"system":"phone","value":"0113 000 8282"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`

// r82cSeed: Jane (registered at A81001, a council client) and Bob (same
// practice, no council involvement); the GP's record of both; the council's
// feed writes a day's worth of social care for Jane in one transaction.
func r82cSeed(t *testing.T, e *env) {
	t.Helper()
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("system", "nhs", "RHX")
	council := e.token("system", "council", "E06000999")
	put := func(tok, path, body string) {
		t.Helper()
		if r := e.do("PUT", path, tok, body); r.status != 200 && r.status != 201 {
			t.Fatalf("seed %s: %d %s", path, r.status, r.body)
		}
	}
	put(gp, "/fhir/Patient/jane", janeJSON)
	put(gp, "/fhir/Patient/bob", r82cBob)
	for _, p := range []string{"jane", "bob"} {
		P := strings.ToUpper(p)
		put(gp, "/fhir/Condition/"+p+"-diab", `{"resourceType":"Condition","id":"`+p+`-diab","subject":{"reference":"Patient/`+p+`"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}],"text":"R82C-`+P+`-DIABETES"}}`)
		put(gp, "/fhir/Condition/"+p+"-depr", `{"resourceType":"Condition","id":"`+p+`-depr","subject":{"reference":"Patient/`+p+`"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"35489007"}],"text":"R82C-`+P+`-DEPRESSION"}}`)
		put(gp, "/fhir/MedicationStatement/"+p+"-met", `{"resourceType":"MedicationStatement","id":"`+p+`-met","status":"active","subject":{"reference":"Patient/`+p+`"},"medicationCodeableConcept":{"text":"R82C-`+P+`-METFORMIN"}}`)
		put(gp, "/fhir/AllergyIntolerance/"+p+"-pen", `{"resourceType":"AllergyIntolerance","id":"`+p+`-pen","patient":{"reference":"Patient/`+p+`"},"code":{"text":"R82C-`+P+`-PENICILLIN"}}`)
		put(gp, "/fhir/Observation/"+p+"-lab", `{"resourceType":"Observation","id":"`+p+`-lab","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],"subject":{"reference":"Patient/`+p+`"},"code":{"text":"R82C-`+P+`-HBA1C"}}`)
		put(gp, "/fhir/DocumentReference/"+p+"-note", `{"resourceType":"DocumentReference","id":"`+p+`-note","status":"current","subject":{"reference":"Patient/`+p+`"},"description":"R82C-`+P+`-GPNOTE","content":[{"attachment":{"contentType":"text/plain","data":"aGVsbG8="}}]}`)
		put(gp, "/fhir/Flag/"+p+"-gpflag", `{"resourceType":"Flag","id":"`+p+`-gpflag","status":"active","subject":{"reference":"Patient/`+p+`"},"code":{"text":"R82C-`+P+`-GP-SAFEGUARDING"}}`)
		put(hosp, "/fhir/Encounter/"+p+"-adm", `{"resourceType":"Encounter","id":"`+p+`-adm","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/`+p+`"},"period":{"start":"2026-03-01","end":"2026-03-09"},"serviceType":{"text":"R82C-`+P+`-ADMISSION"}}`)
	}
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"urn:uuid:eoc","resource":{"resourceType":"EpisodeOfCare","status":"active","patient":{"reference":"Patient/jane"},"managingOrganization":{"identifier":{"system":"https://carex.example/Id/council-code","value":"E06000999"}},"type":[{"text":"R82C-CARE-PACKAGE"}]},"request":{"method":"PUT","url":"EpisodeOfCare/r82c-eoc"}},
 {"resource":{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"R82C-COUNCIL-CAREPLAN"},"request":{"method":"PUT","url":"CarePlan/r82c-cp"}},
 {"resource":{"resourceType":"QuestionnaireResponse","status":"completed","subject":{"reference":"Patient/jane"},"item":[{"linkId":"1","text":"R82C-NEEDS-ASSESSMENT"}]},"request":{"method":"PUT","url":"QuestionnaireResponse/r82c-qr"}},
 {"resource":{"resourceType":"Flag","status":"active","category":[{"text":"safeguarding"}],"subject":{"reference":"Patient/jane"},"code":{"text":"R82C-COUNCIL-SAFEGUARDING"}},"request":{"method":"PUT","url":"Flag/r82c-flag"}},
 {"resource":{"resourceType":"Task","status":"requested","intent":"order","for":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"410606002"}],"text":"R82C-ASSESSMENT-TASK"}},"request":{"method":"PUT","url":"Task/r82c-task"}},
 {"resource":{"resourceType":"Appointment","status":"booked","description":"R82C-HOME-VISIT","participant":[{"actor":{"reference":"Patient/jane"},"status":"accepted"}]},"request":{"method":"PUT","url":"Appointment/r82c-appt"}},
 {"resource":{"resourceType":"RelatedPerson","patient":{"reference":"Patient/jane"},"relationship":[{"text":"unpaid carer"}],"name":[{"family":"R82C-CARER"}],"telecom":[{"system":"phone","value":"0113 000 1234"}]},"request":{"method":"PUT","url":"RelatedPerson/r82c-carer"}},
 {"resource":{"resourceType":"Communication","status":"completed","subject":{"reference":"Patient/jane"},"payload":[{"contentString":"R82C-COMMUNICATION"}]},"request":{"method":"PUT","url":"Communication/r82c-comm"}},
 {"resource":{"resourceType":"DocumentReference","status":"current","subject":{"reference":"Patient/jane"},"description":"R82C-COUNCIL-LETTER","content":[{"attachment":{"contentType":"text/plain","data":"aGVsbG8="}}]},"request":{"method":"PUT","url":"DocumentReference/r82c-letter"}}
]}`
	if r := e.do("POST", "/fhir", council, tx); r.status != 200 {
		t.Fatalf("council transaction: %d %s", r.status, r.body)
	}
}

func r82cMust(t *testing.T, who, path, body string, want map[string]bool) {
	t.Helper()
	for k, v := range want {
		if strings.Contains(body, k) != v {
			t.Errorf("%s %s: %q present=%v, want %v", who, path, k, !v, v)
		}
	}
}

// Sound: the social worker's view of a person her council supports follows
// SPEC §1's table (allergies, medications, problems, admissions, safeguarding;
// not lab results nor clinical notes; PSY-labelled problem withheld, §5.4),
// and her council's own records whole.
func TestReview82cSoundSocialWorkerView(t *testing.T) {
	e := newEnv(t)
	r82cSeed(t, e)
	sw := e.token("social-worker", "council", "E06000999")
	r := e.do("GET", "/fhir/Patient/jane/$everything", sw, "")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	r82cMust(t, "sw", "$everything", r.body, map[string]bool{"R82C-JANE-DIABETES": true, "R82C-JANE-METFORMIN": true, "R82C-JANE-PENICILLIN": true,
		"R82C-JANE-GP-SAFEGUARDING": true, "R82C-JANE-ADMISSION": true, "R82C-JANE-DEPRESSION": false, "R82C-JANE-HBA1C": false, "R82C-JANE-GPNOTE": false,
		"R82C-CARE-PACKAGE": true, "R82C-COUNCIL-SAFEGUARDING": true, "R82C-NEEDS-ASSESSMENT": true, "R82C-COUNCIL-LETTER": true, "confidential-items": true})
	for _, p := range []string{"/fhir/Patient/bob", "/fhir/Patient/bob/$everything", "/fhir/Condition?patient=bob"} {
		if r := e.do("GET", p, sw, ""); r.status != 403 || strings.Contains(r.body, "R82C-BOB") {
			t.Errorf("sw %s: %d %s", p, r.status, r.body)
		}
	}
	r = e.do("GET", "/fhir/Patient?family=smith", sw, "")
	r82cMust(t, "sw", "Patient?family=smith", r.body, map[string]bool{`"total":1`: true, "Patient/jane": true, "R82C-BOB-STREET": false, "9000000009": false, "0113 000 8282": false})
	r = e.do("GET", "/fhir/EpisodeOfCare?status=active", sw, "")
	r82cMust(t, "sw", "EpisodeOfCare?status=active", r.body, map[string]bool{`"total":1`: true, "R82C-CARE-PACKAGE": true})
}

// Sound: with a care team of the trust, the district nurse sees the council's
// care package, care plan, assessment Task, home visit and the carer (key
// contacts), not the council's safeguarding Flag (README choice), letter or
// QuestionnaireResponse (documents).
func TestReview82cSoundNurseSeesCouncil(t *testing.T) {
	e := newEnv(t)
	r82cSeed(t, e)
	trust := e.token("system", "nhs", "RCX")
	if r := e.do("PUT", "/fhir/CareTeam/r82c-ct", trust, `{"resourceType":"CareTeam","id":"r82c-ct","status":"active","subject":{"reference":"Patient/jane"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	r := e.do("GET", "/fhir/Patient/jane/$everything", nurse, "")
	r82cMust(t, "nurse", "$everything", r.body, map[string]bool{"R82C-CARE-PACKAGE": true, "R82C-COUNCIL-CAREPLAN": true, "R82C-ASSESSMENT-TASK": true,
		"R82C-HOME-VISIT": true, "R82C-CARER": true, "R82C-COUNCIL-SAFEGUARDING": false, "R82C-COUNCIL-LETTER": false, "R82C-JANE-ADMISSION": false, "R82C-JANE-DEPRESSION": false})
}

// Opt-out: nothing beyond the source. The social worker keeps her council's
// own records; the GP loses the council's, the social worker the GP's.
func TestReview82cSoundOptOut(t *testing.T) {
	e := newEnv(t)
	r82cSeed(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Consent/r82c-out", gpSys, janeConsent("r82c-out", "2026-01-10", "OPTOUT", "")); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	sw := e.token("social-worker", "council", "E06000999")
	r := e.do("GET", "/fhir/Patient/jane/$everything", sw, "")
	r82cMust(t, "sw", "$everything", r.body, map[string]bool{"R82C-JANE-DIABETES": false, "R82C-JANE-METFORMIN": false, "R82C-JANE-GP-SAFEGUARDING": false, "R82C-JANE-ADMISSION": false, "R82C-CARE-PACKAGE": true, "R82C-COUNCIL-SAFEGUARDING": true})
	gp := e.token("gp", "nhs", "A81001")
	r = e.do("GET", "/fhir/Patient/jane/$everything", gp, "")
	r82cMust(t, "gp", "$everything", r.body, map[string]bool{"R82C-JANE-DIABETES": true, "R82C-CARE-PACKAGE": false, "R82C-COUNCIL-SAFEGUARDING": false, "R82C-CARER": false})
}

// A permit of PSY to the council: SPEC §5.3 "permits that release
// sensitive-labelled data to a named organisation".
func TestReview82cSoundPermitPSYToCouncil(t *testing.T) {
	e := newEnv(t)
	r82cSeed(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	c := janeConsent("r82c-permit", "2026-01-10", "OPTIN", `,"provision":{"type":"deny","provision":[{"type":"permit","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"identifier":{"system":"https://carex.example/Id/council-code","value":"E06000999"}}}],"securityLabel":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"PSY"}]}]}`)
	if r := e.do("PUT", "/fhir/Consent/r82c-permit", gpSys, c); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	sw := e.token("social-worker", "council", "E06000999")
	r := e.do("GET", "/fhir/Patient/jane/$everything", sw, "")
	t.Logf("%d", r.status)
	r82cMust(t, "sw", "$everything", r.body, map[string]bool{"R82C-JANE-DEPRESSION": true})
}

// The care package ends: a finished EpisodeOfCare; the council stays a
// source of her data (README: source-lifetime 730d).
func TestReview82cSoundCarePackageEnds(t *testing.T) {
	e := newEnv(t)
	r82cSeed(t, e)
	council := e.token("system", "council", "E06000999")
	r := e.do("GET", "/fhir/EpisodeOfCare/r82c-eoc", council, "")
	body := strings.Replace(r.body, `"status":"active"`, `"status":"finished"`, 1)
	if r := e.do("PUT", "/fhir/EpisodeOfCare/r82c-eoc", council, body); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	sw := e.token("social-worker", "council", "E06000999")
	r = e.do("GET", "/fhir/Patient/jane/$everything", sw, "")
	// README: the council stays a source of her data (policy source-lifetime
	// 730d), so the record stays open to her; the caseload search drops it.
	if r.status != 200 || !strings.Contains(r.body, "R82C-CARE-PACKAGE") {
		t.Errorf("after the package ended: %d", r.status)
	}
	r = e.do("GET", "/fhir/EpisodeOfCare?status=active", sw, "")
	r82cMust(t, "sw", "EpisodeOfCare?status=active", r.body, map[string]bool{`"total":0`: true})
}

// Sound: a social worker may write (201); the council's feed naming Jane by
// her NHS number as the reference's identifier is joined to her record (the
// GP sees it); a write about Bob, whom the council does not support, makes
// the council a source (README: "gains the relationship a source has, its
// accesses flagged claimed-relationship") and IG's alerts name Bob.
func TestReview82cSoundWritesAndClaimedAlert(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	r82cSeed(t, e)
	sw := e.token("social-worker", "council", "E06000999")
	r := e.do("POST", "/fhir/CarePlan", sw, `{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"R82C-SW-PLAN"}`)
	t.Logf("sw write jane: %d %.300s", r.status, r.body)
	r = e.do("POST", "/fhir/CarePlan", sw, `{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/bob"},"title":"R82C-SW-BOB-PLAN"}`)
	t.Logf("sw write bob: %d %.300s", r.status, r.body)
	council := e.token("system", "council", "E06000999")
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Flag","status":"active","subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"943 476 5919"}},"code":{"text":"R82C-BY-NUMBER"}},"request":{"method":"POST","url":"Flag"}}]}`
	r = e.do("POST", "/fhir", council, tx)
	t.Logf("by number: %d %.300s", r.status, r.body)
	gp := e.token("gp", "nhs", "A81001")
	r = e.do("GET", "/fhir/Patient/jane/$everything", gp, "")
	r82cMust(t, "gp", "$everything", r.body, map[string]bool{"R82C-BY-NUMBER": true, "R82C-SW-PLAN": true})
	r = e.do("GET", "/fhir/Patient/bob/$everything", sw, "")
	if r.status != 200 || !strings.Contains(r.body, "R82C-BOB-DIABETES") {
		t.Errorf("premise (README choice): her write made the council a source of Bob's data: %d", r.status)
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	r = e.do("GET", "/fhir/AuditEvent/$alerts", ig, "")
	t.Logf("alerts: %d claimed=%v bob=%v", r.status, strings.Contains(r.body, "claimed"), strings.Contains(r.body, `"bob"`))
	if !strings.Contains(r.body, "claimed") || !strings.Contains(r.body, `"bob"`) {
		t.Errorf("no claimed-relationship alert naming Bob: %.2000s", r.body)
	}
}

// Restricted Jane: her carer's RelatedPerson (the council's) goes out
// without address and telephone outside the council (README rule 7).
func TestReview82cSoundRestrictedCarer(t *testing.T) {
	e := newEnv(t)
	r82cSeed(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	jr := strings.Replace(janeJSON, `"id":"jane",`, `"id":"jane","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},"address":[{"line":["R82C-REFUGE"]}],`, 1)
	if r := e.do("PUT", "/fhir/Patient/jane", gpSys, jr); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	sw := e.token("social-worker", "council", "E06000999")
	r := e.do("GET", "/fhir/Patient/jane/$everything", sw, "")
	r82cMust(t, "sw", "$everything", r.body, map[string]bool{"R82C-REFUGE": false, "A81001": false, "R82C-CARER": true})
	trust := e.token("system", "nhs", "RCX")
	e.do("PUT", "/fhir/CareTeam/r82c-ct", trust, `{"resourceType":"CareTeam","id":"r82c-ct","status":"active","subject":{"reference":"Patient/jane"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`)
	nurse := e.token("district-nurse", "nhs", "RCX")
	r = e.do("GET", "/fhir/RelatedPerson/r82c-carer", nurse, "")
	r82cMust(t, "nurse", "RelatedPerson", r.body, map[string]bool{"R82C-CARER": true, "0113 000 1234": false})
}

// FINDING (release beyond SPEC's table, medium): SPEC §1 gives the social
// worker "admissions and discharges … — not lab results or clinical notes";
// the default policy gives her the whole `encounters` class, so every GP
// consultation (class AMB) with its reason, and an outpatient attendance,
// goes to her as an admission does. README does not document this as a
// choice (it names no distinction between admissions and other encounters).
func TestReview82cSocialWorkerGetsGPConsultations(t *testing.T) {
	e := newEnv(t)
	r82cSeed(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Encounter/r82c-consult", gpSys, `{"resourceType":"Encounter","id":"r82c-consult","status":"finished",
	 "class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/jane"},
	 "period":{"start":"2026-11-02T10:00:00Z","end":"2026-11-02T10:10:00Z"},"type":[{"text":"GP consultation"}],
	 "reasonCode":[{"text":"R82C-CONSULT-REASON low mood, counselling discussed"}]}`); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	sw := e.token("social-worker", "council", "E06000999")
	r := e.do("GET", "/fhir/Patient/jane/$everything", sw, "")
	if !strings.Contains(r.body, "R82C-JANE-ADMISSION") {
		t.Fatalf("premise: the hospital admission goes to her: %.300s", r.body)
	}
	if strings.Contains(r.body, "R82C-CONSULT-REASON") {
		t.Errorf("a GP consultation (Encounter class AMB) and its reason went to the council's social worker; SPEC §1 gives her admissions and discharges, not clinical notes")
	}
	if r := e.do("GET", "/fhir/Encounter/r82c-consult", sw, ""); r.status != 404 {
		t.Errorf("GET Encounter/r82c-consult by the social worker: %d, want 404", r.status)
	}
}

// The council's feed naming Jane by a conditional reference on her NHS
// number (README: a limit — the council's system sees only its own data, so
// 412 not-found; name her by the reference's identifier instead).
func TestReview82cSoundFeedConditionalReferenceLimit(t *testing.T) {
	e := newEnv(t)
	r82cSeed(t, e)
	council := e.token("system", "council", "E06000999")
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919"},"title":"R82C-COND"},"request":{"method":"POST","url":"CarePlan"}}]}`
	r := e.do("POST", "/fhir", council, tx)
	if r.status != 412 || !strings.Contains(r.body, "not-found") {
		t.Errorf("conditional reference: %d %.400s", r.status, r.body)
	}
}

// Sound: a trace-shaped Patient search (family + exact birthdate) by the
// social worker releases nothing of Bob, whom her council does not support;
// the social worker may not break glass (policy), and the social worker of
// another council sees nothing of Jane, nor her in a caseload or name search.
func TestReview82cSoundNoRelationship(t *testing.T) {
	e := newEnv(t)
	r82cSeed(t, e)
	sw := e.token("social-worker", "council", "E06000999")
	r := e.do("GET", "/fhir/Patient?family=smith&birthdate=1948-01-02", sw, "")
	if r.status != 200 || strings.Contains(r.body, "Patient/bob") || strings.Contains(r.body, "R82C-BOB") {
		t.Errorf("trace by sw: %d %.500s", r.status, r.body)
	}
	r = e.do("GET", "/fhir/Patient/bob/$everything", sw, "", "X-Break-Glass", "EMERGENCY: safeguarding concern raised by neighbour")
	if r.status != 403 || strings.Contains(r.body, "R82C-BOB") {
		t.Errorf("break-glass by sw: %d %.300s", r.status, r.body)
	}
	other := e.token("social-worker", "council", "E06000123")
	if r := e.do("GET", "/fhir/Patient/jane/$everything", other, ""); r.status != 403 {
		t.Errorf("other council: %d", r.status)
	}
	for _, p := range []string{"/fhir/EpisodeOfCare?status=active", "/fhir/Patient?family=smith", "/fhir/Flag?code:text=R82C"} {
		r := e.do("GET", p, other, "")
		if strings.Contains(r.body, "R82C-") || strings.Contains(r.body, "Patient/jane\"") && strings.Contains(r.body, `"fullUrl"`) {
			t.Errorf("other council %s: %d %.400s", p, r.status, r.body)
		}
	}
}
