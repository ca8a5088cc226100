package api_test

import (
	"encoding/base64"
	"strings"
	"testing"
)

// Review 98b: social care and the NHS across the sector line (SPEC §4,
// §5). The council's social worker (E06000999), its system, the district
// nurse (RCX) and the GP (A81001), on Jane's shared record (seedShared:
// the council's care package gives it a relationship). Real server, real
// SQLite file, real tokens. Its findings are fixed in revision
// 2026-12-07j: a Flag is safeguarding whatever its tag; an item carrying a
// document is of the documents class too; a Task with a LOINC-coded input
// or output is of the observations class too.

const (
	r98bCouncil = "E06000999"
	// r98bNotCouncil is Jane's objection to sharing with the council, as
	// the sector (SPEC §5: deny to a sector, provision actor).
	r98bNotCouncilProv = `,"provision":{"type":"deny","actor":[{"role":{"coding":[{"system":"https://carex.example/sector","code":"council"}]},"reference":{"display":"the council"}}]}`
	r98bNotNHSProv     = `,"provision":{"type":"deny","actor":[{"role":{"coding":[{"system":"https://carex.example/sector","code":"nhs"}]},"reference":{"display":"the NHS"}}]}`
)

func r98bB64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// r98bSeed: seedShared and, from each side of the sector line, the
// Yorkshire & Humber shapes.
func r98bSeed(t *testing.T, e *env) {
	t.Helper()
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	council := e.token("system", "council", r98bCouncil)
	e.putAll(t, gpSys,
		// the GP's referral to the council (a social-care ServiceRequest)
		[2]string{"/fhir/ServiceRequest/gp-referral", `{"resourceType":"ServiceRequest","id":"gp-referral","status":"active","intent":"order",
		 "category":[{"coding":[{"system":"http://snomed.info/sct","code":"410606002"}]}],"code":{"text":"GP-REFERRAL-TO-COUNCIL"},
		 "subject":{"reference":"Patient/jane"},"performer":[{"reference":"Organization/E06000999"}]}`},
		// the GP's assessment request the council owns
		[2]string{"/fhir/Task/gp-task", `{"resourceType":"Task","id":"gp-task","status":"requested","intent":"order",
		 "code":{"text":"GP-TASK-FOR-COUNCIL"},"for":{"reference":"Patient/jane"},"owner":{"reference":"Organization/E06000999"}}`},
		// a GP carer record
		[2]string{"/fhir/RelatedPerson/gp-carer", `{"resourceType":"RelatedPerson","id":"gp-carer","patient":{"reference":"Patient/jane"},
		 "relationship":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-RoleCode","code":"DAU"}]}],"name":[{"family":"GP-CARER-DAUGHTER"}]}`},
		// a GP falls flag
		[2]string{"/fhir/Flag/gp-falls", `{"resourceType":"Flag","id":"gp-falls","status":"active","code":{"text":"GP-FALLS-RISK"},"subject":{"reference":"Patient/jane"}}`},
		// a GP care plan
		[2]string{"/fhir/CarePlan/gp-plan", `{"resourceType":"CarePlan","id":"gp-plan","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"GP-CARE-PLAN"}`},
	)
	e.putAll(t, council,
		[2]string{"/fhir/Flag/council-s42", `{"resourceType":"Flag","id":"council-s42","status":"active","code":{"text":"COUNCIL-S42-CONCERN"},"subject":{"reference":"Patient/jane"}}`},
		[2]string{"/fhir/Task/council-assess", `{"resourceType":"Task","id":"council-assess","status":"in-progress","intent":"order",
		 "code":{"coding":[{"system":"http://snomed.info/sct","code":"410606002"}],"text":"COUNCIL-ASSESSMENT"},"for":{"reference":"Patient/jane"}}`},
	)
}

// TestReview98bSoundSocialWorkerShapes: without any objection the social
// worker reads what SPEC §1 gives her (care plans, the NHS referral and
// task, the carer, safeguarding, the problem list, the admission) and not
// the GP's HbA1c (lab results) nor its HIV entry (labelled).
func TestReview98bSoundSocialWorkerShapes(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	sw := e.token("social-worker", "council", r98bCouncil)
	r := e.do("GET", "/fhir/Patient/jane/$everything", sw, "")
	if r.status != 200 {
		t.Fatalf("$everything: %d %.300s", r.status, r.body)
	}
	for _, want := range []string{"GP-REFERRAL-TO-COUNCIL", "GP-TASK-FOR-COUNCIL", "GP-CARER-DAUGHTER", "GP-FALLS-RISK", "GP-CARE-PLAN",
		"COUNCIL-S42-CONCERN", "COUNCIL-ASSESSMENT", "GP-DIABETES", "HOSP-ADMISSION", "TRUST-WOUND-CARE"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the social worker's $everything lacks %s, which SPEC §1 gives her", want)
		}
	}
	for _, not := range []string{"GP-HBA1C", "GP-HIV-UNLABELLED"} {
		if strings.Contains(r.body, not) {
			t.Errorf("the social worker's $everything carries %s", not)
		}
	}
}

// TestReview98bSoundNurseNoCouncilSafeguarding: the district nurse, given
// no safeguarding (SPEC §1), is refused the council's safeguarding Flag
// (read, search, $everything), and sees the council's assessment.
func TestReview98bSoundNurseNoCouncilSafeguarding(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Flag/council-s42", nurse, ""); r.status != 404 {
		t.Errorf("nurse read of the council's safeguarding Flag: %d %.300s", r.status, r.body)
	}
	for _, p := range []string{"/fhir/Flag?patient=jane", "/fhir/Patient/jane/$everything", "/fhir/Patient?_id=jane&_revinclude=Flag:patient"} {
		r := e.do("GET", p, nurse, "")
		if r.status != 200 || strings.Contains(r.body, "COUNCIL-S42-CONCERN") {
			t.Errorf("%s: %d, carries the safeguarding concern: %v", p, r.status, strings.Contains(r.body, "COUNCIL-S42-CONCERN"))
		}
	}
	if r := e.do("GET", "/fhir/Task/council-assess", nurse, ""); r.status != 200 {
		t.Errorf("nurse read of the council's assessment (social care): %d", r.status)
	}
}

// TestReview98bCouncilFlagTaggedSocialCareReachesNurse: the
// council's case-management system tags what it sends with carex's
// data-class tag "social-care" (as README tells a hospital to mark a
// notice for the council). Its safeguarding concern — SPEC §5: "a
// safeguarding concern a Flag" — then reaches the district nurse, whom
// SPEC §1 gives no safeguarding. A lab result keeps its observations
// class whatever its tag (README, review 10b); a Flag does not keep
// safeguarding (README: "Whatever its category, a Flag stays
// safeguarding, so none reaches the district nurse").
func TestReview98bCouncilFlagTaggedSocialCareReachesNurse(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	council := e.token("system", "council", r98bCouncil)
	e.putAll(t, council, [2]string{"/fhir/Flag/council-s42-tagged", `{"resourceType":"Flag","id":"council-s42-tagged","status":"active",
	 "meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},
	 "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/flag-category","code":"safety"}]}],
	 "code":{"text":"COUNCIL-S42-TAGGED: section 42 enquiry, financial abuse by son"},"subject":{"reference":"Patient/jane"}}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Flag/council-s42-tagged", nurse, ""); r.status != 404 {
		t.Errorf("the district nurse read the council's safeguarding Flag (tagged social-care): %d %.300s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", nurse, ""); strings.Contains(r.body, "COUNCIL-S42-TAGGED") {
		t.Errorf("the district nurse's $everything carries the council's safeguarding concern")
	}
}

// TestReview98bNHSTaskAttachedLetterReachesSocialWorker: the GP's
// system sends the council a Task (care plans, README: "sends a Task the
// council owns … and it reaches her") with the GP's clinical letter
// attached as a PDF and as text/plain. SPEC §1 gives the social worker no
// clinical notes: the same letter as a DocumentReference is withheld
// from her (documents), but attached to the Task it reaches her whole.
// (Judgement: SPEC is silent on attachments inside care-plan items.)
func TestReview98bNHSTaskAttachedLetterReachesSocialWorker(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	letter := "GP-LETTER-SECRET: low mood, sertraline started; HbA1c 86 mmol/mol; eGFR 38"
	e.putAll(t, gpSys,
		[2]string{"/fhir/DocumentReference/gp-letter", `{"resourceType":"DocumentReference","id":"gp-letter","status":"current","subject":{"reference":"Patient/jane"},
		 "content":[{"attachment":{"contentType":"text/plain","data":"` + r98bB64(letter) + `"}}]}`},
		[2]string{"/fhir/Task/gp-task-letter", `{"resourceType":"Task","id":"gp-task-letter","status":"requested","intent":"order",
		 "code":{"text":"GP-TASK-WITH-LETTER"},"for":{"reference":"Patient/jane"},"owner":{"reference":"Organization/E06000999"},
		 "input":[{"type":{"text":"referral letter"},"valueAttachment":{"contentType":"text/plain","data":"` + r98bB64(letter) + `"}},
		          {"type":{"text":"referral letter pdf"},"valueAttachment":{"contentType":"application/pdf","data":"` + r98bB64("%PDF-1.4\n"+letter) + `"}}]}`},
	)
	sw := e.token("social-worker", "council", r98bCouncil)
	if r := e.do("GET", "/fhir/DocumentReference/gp-letter", sw, ""); r.status != 404 {
		t.Fatalf("premise: the GP's letter as a document reached the social worker: %d", r.status)
	}
	r := e.do("GET", "/fhir/Task/gp-task-letter", sw, "")
	t.Logf("social worker reads the Task: %d", r.status)
	if r.status == 200 && (strings.Contains(r.body, r98bB64(letter)) || strings.Contains(r.body, "GP-LETTER-SECRET")) {
		t.Errorf("the GP's clinical letter, withheld from the social worker as a document, reached her attached to the Task: %.300s", r.body)
	}
	r = e.do("GET", "/fhir/Patient/jane/$everything", sw, "")
	if strings.Contains(r.body, r98bB64(letter)) {
		t.Errorf("her $everything carries the letter attached to the Task")
	}
}

// TestReview98bSoundNHSReferralClinicalDetailWithheld: an NHS referral to
// the council carrying a contained lab result, or an HIV diagnosis as its
// reason, and a Task carrying a lab result as FHIR JSON in an input, is
// withheld from the social worker (lab results; HIV labelled).
func TestReview98bSoundNHSReferralClinicalDetailWithheld(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	lab := `{"resourceType":"Observation","id":"lab1","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],"code":{"text":"LAB-EGFR"},"subject":{"reference":"Patient/jane"},"valueQuantity":{"value":38}}`
	e.putAll(t, gpSys,
		[2]string{"/fhir/ServiceRequest/ref-contained", `{"resourceType":"ServiceRequest","id":"ref-contained","status":"active","intent":"order",
		 "category":[{"coding":[{"system":"http://snomed.info/sct","code":"410606002"}]}],"contained":[` + lab + `],"supportingInfo":[{"reference":"#lab1"}],
		 "code":{"text":"REF-CONTAINED"},"subject":{"reference":"Patient/jane"}}`},
		[2]string{"/fhir/ServiceRequest/ref-hiv", `{"resourceType":"ServiceRequest","id":"ref-hiv","status":"active","intent":"order",
		 "category":[{"coding":[{"system":"http://snomed.info/sct","code":"410606002"}]}],"reasonCode":[{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}],
		 "code":{"text":"REF-HIV"},"subject":{"reference":"Patient/jane"}}`},
		[2]string{"/fhir/Task/task-lab", `{"resourceType":"Task","id":"task-lab","status":"requested","intent":"order","code":{"text":"TASK-LAB"},
		 "for":{"reference":"Patient/jane"},"owner":{"reference":"Organization/E06000999"},
		 "input":[{"type":{"text":"result"},"valueAttachment":{"contentType":"application/fhir+json","data":"` + r98bB64(lab) + `"}}]}`},
		[2]string{"/fhir/Flag/gp-lab-flag", `{"resourceType":"Flag","id":"gp-lab-flag","status":"active","category":[{"coding":[{"code":"lab"}]}],"code":{"text":"GP-LAB-FLAG"},"subject":{"reference":"Patient/jane"}}`},
		[2]string{"/fhir/RelatedPerson/carer-contained", `{"resourceType":"RelatedPerson","id":"carer-contained","patient":{"reference":"Patient/jane"},"contained":[` + lab + `],
		 "name":[{"family":"CARER-CONTAINED"}]}`},
	)
	sw := e.token("social-worker", "council", r98bCouncil)
	for _, p := range []string{"/fhir/ServiceRequest/ref-contained", "/fhir/ServiceRequest/ref-hiv", "/fhir/Task/task-lab", "/fhir/Flag/gp-lab-flag", "/fhir/RelatedPerson/carer-contained"} {
		if r := e.do("GET", p, sw, ""); r.status != 404 {
			t.Errorf("social worker %s: %d %.200s", p, r.status, r.body)
		}
	}
	r := e.do("GET", "/fhir/Patient/jane/$everything", sw, "")
	for _, s := range []string{"REF-CONTAINED", "REF-HIV", "TASK-LAB", "GP-LAB-FLAG", "CARER-CONTAINED", "LAB-EGFR"} {
		if strings.Contains(r.body, s) {
			t.Errorf("social worker $everything carries %s", s)
		}
	}
	r = e.do("GET", "/fhir/Patient?_id=jane&_revinclude=ServiceRequest:subject&_revinclude=Task:patient&_revinclude=Flag:patient&_revinclude=RelatedPerson:patient", sw, "")
	if r.status != 200 {
		t.Fatalf("revinclude: %d %.300s", r.status, r.body)
	}
	for _, s := range []string{"REF-CONTAINED", "REF-HIV", "TASK-LAB", "GP-LAB-FLAG", "CARER-CONTAINED", "LAB-EGFR"} {
		if strings.Contains(r.body, s) {
			t.Errorf("social worker _revinclude carries %s", s)
		}
	}
	if !strings.Contains(r.body, "GP-REFERRAL-TO-COUNCIL") || !strings.Contains(r.body, "GP-CARER-DAUGHTER") {
		t.Errorf("social worker _revinclude lacks the plain referral or carer: %.300s", r.body)
	}
}

// r98bConsentBy writes Jane's sector deny with token tok (the GP's or the
// council's system).
func r98bConsentBy(t *testing.T, e *env, tok, id, prov string) {
	t.Helper()
	e.putAll(t, tok, [2]string{"/fhir/Consent/" + id, janeConsent(id, "2026-01-10", "OPTIN", prov)})
}

// TestReview98bSoundNotWithCouncilEveryShape: Jane's "not with the
// council" (sector deny), written by the GP's system and, separately, by
// the council's, withholds every NHS shape from the social worker —
// referral, task, carer, falls flag, care plan, problem, admission — and
// leaves her the council's own (package, assessment, safeguarding).
func TestReview98bSoundNotWithCouncilEveryShape(t *testing.T) {
	for _, writer := range []string{"gp", "council"} {
		t.Run(writer, func(t *testing.T) {
			e := newEnv(t)
			r98bSeed(t, e)
			tok := e.token("system", "nhs", "A81001")
			if writer == "council" {
				tok = e.token("system", "council", r98bCouncil)
			}
			r98bConsentBy(t, e, tok, "no-council", r98bNotCouncilProv)
			sw := e.token("social-worker", "council", r98bCouncil)
			nhs := map[string]string{
				"/fhir/ServiceRequest/gp-referral": "GP-REFERRAL-TO-COUNCIL", "/fhir/Task/gp-task": "GP-TASK-FOR-COUNCIL",
				"/fhir/RelatedPerson/gp-carer": "GP-CARER-DAUGHTER", "/fhir/Flag/gp-falls": "GP-FALLS-RISK",
				"/fhir/CarePlan/gp-plan": "GP-CARE-PLAN", "/fhir/Condition/diabetes": "GP-DIABETES",
				"/fhir/Encounter/admission": "HOSP-ADMISSION", "/fhir/CarePlan/wound": "TRUST-WOUND-CARE",
			}
			for p := range nhs {
				if r := e.do("GET", p, sw, ""); r.status != 404 {
					t.Errorf("%s: social worker read %s despite 'not with the council': %d", writer, p, r.status)
				}
			}
			r := e.do("GET", "/fhir/Patient/jane/$everything", sw, "")
			for _, s := range nhs {
				if strings.Contains(r.body, s) {
					t.Errorf("%s: her $everything carries %s", writer, s)
				}
			}
			for _, s := range []string{"COUNCIL-CARE-PACKAGE", "COUNCIL-S42-CONCERN", "COUNCIL-ASSESSMENT"} {
				if !strings.Contains(r.body, s) {
					t.Errorf("%s: her $everything lacks the council's own %s", writer, s)
				}
			}
			nurse := e.token("district-nurse", "nhs", "RCX")
			if r := e.do("GET", "/fhir/Task/gp-task", nurse, ""); r.status != 200 {
				t.Errorf("%s: the deny to the council withheld the GP's task from the nurse: %d", writer, r.status)
			}
		})
	}
}

// TestReview98bSoundNotWithNHSCouncilData: Jane's "not with the NHS"
// (sector deny) withholds the council's assessment and package from the
// district nurse and the GP, and its safeguarding Flag from the GP.
func TestReview98bSoundNotWithNHSCouncilData(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	r98bConsentBy(t, e, e.token("system", "council", r98bCouncil), "no-nhs", r98bNotNHSProv)
	for _, tok := range []string{e.token("district-nurse", "nhs", "RCX"), e.token("gp", "nhs", "A81001")} {
		for _, p := range []string{"/fhir/Task/council-assess", "/fhir/EpisodeOfCare/package", "/fhir/Flag/council-s42"} {
			if r := e.do("GET", p, tok, ""); r.status != 404 {
				t.Errorf("%s despite 'not with the NHS': %d", p, r.status)
			}
		}
		r := e.do("GET", "/fhir/Patient/jane/$everything", tok, "")
		for _, s := range []string{"COUNCIL-ASSESSMENT", "COUNCIL-CARE-PACKAGE", "COUNCIL-S42-CONCERN"} {
			if strings.Contains(r.body, s) {
				t.Errorf("$everything carries %s despite 'not with the NHS'", s)
			}
		}
	}
}

// TestReview98bSoundCouncilPackageNamesWithheldDiagnosis: the council's
// care package (EpisodeOfCare) names the GP's HIV Condition as its
// diagnosis. The district nurse, from whom the HIV entry itself is
// withheld (labelled from its code), reads the package:
// the reference's display must not carry what the Condition is (SPEC §5:
// withheld items are simply absent, never what they are).
func TestReview98bSoundCouncilPackageNamesWithheldDiagnosis(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	council := e.token("system", "council", r98bCouncil)
	e.putAll(t, council, [2]string{"/fhir/EpisodeOfCare/package2", `{"resourceType":"EpisodeOfCare","id":"package2","status":"active",
	 "patient":{"reference":"Patient/jane"},"managingOrganization":{"reference":"Organization/E06000999"},"type":[{"text":"PACKAGE2"}],
	 "diagnosis":[{"condition":{"reference":"Condition/hiv","display":"HIV-DIAG-DISPLAY"},"role":{"text":"primary"}}]}`})
	for _, tok := range []string{e.token("district-nurse", "nhs", "RCX")} {
		if r := e.do("GET", "/fhir/Condition/hiv", tok, ""); r.status != 404 {
			t.Fatalf("premise: HIV condition read: %d", r.status)
		}
		r := e.do("GET", "/fhir/EpisodeOfCare/package2", tok, "")
		t.Logf("package2: %d %.400s", r.status, r.body)
		if r.status == 200 && (strings.Contains(r.body, "HIV-DIAG-DISPLAY") || strings.Contains(r.body, "Condition/hiv")) {
			t.Errorf("the care package names the withheld HIV condition: %.400s", r.body)
		}
	}
}

// TestReview98bNHSCarerPhotoLetterReachesIGOfficer: a GP's carer
// record (RelatedPerson, demographics) whose photo element (an
// Attachment) holds the GP's clinical letter reaches the IG officer, who
// "sees no clinical data" (SPEC §1, §5 layer 1), and the social worker,
// who gets no clinical notes; the same letter as a DocumentReference is
// withheld from both.
func TestReview98bNHSCarerPhotoLetterReachesIGOfficer(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	letter := "GP-LETTER-SECRET: low mood, sertraline started; HbA1c 86 mmol/mol"
	e.putAll(t, gpSys,
		[2]string{"/fhir/DocumentReference/gp-letter", `{"resourceType":"DocumentReference","id":"gp-letter","status":"current","subject":{"reference":"Patient/jane"},
		 "content":[{"attachment":{"contentType":"text/plain","data":"` + r98bB64(letter) + `"}}]}`},
		[2]string{"/fhir/RelatedPerson/carer-photo", `{"resourceType":"RelatedPerson","id":"carer-photo","patient":{"reference":"Patient/jane"},
		 "name":[{"family":"CARER-PHOTO"}],"photo":[{"contentType":"text/plain","data":"` + r98bB64(letter) + `"}]}`},
	)
	for _, who := range []struct{ name, tok string }{
		{"ig-officer", e.token("ig-officer", "nhs", "A81001")},
		{"social-worker", e.token("social-worker", "council", r98bCouncil)},
	} {
		if r := e.do("GET", "/fhir/DocumentReference/gp-letter", who.tok, ""); r.status != 404 {
			t.Fatalf("premise: %s read the letter as a document: %d", who.name, r.status)
		}
		r := e.do("GET", "/fhir/RelatedPerson/carer-photo", who.tok, "")
		t.Logf("%s reads the carer: %d", who.name, r.status)
		if r.status == 200 && strings.Contains(r.body, r98bB64(letter)) {
			t.Errorf("%s: the GP's clinical letter, withheld as a document, reached her in the carer's photo", who.name)
		}
	}
}

// TestReview98bNHSTaskLabValueReachesSocialWorker: the GP's system
// sends the council a Task whose output is a laboratory result in
// structured form (type LOINC 4548-4 HbA1c, valueQuantity 86 mmol/mol).
// SPEC §1: the social worker gets no lab results; the same result as an
// Observation is withheld from her. (Judgement: carex reads a Task's
// inputs and outputs for codes, not for results.)
func TestReview98bNHSTaskLabValueReachesSocialWorker(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, [2]string{"/fhir/Task/task-hba1c", `{"resourceType":"Task","id":"task-hba1c","status":"completed","intent":"order",
	 "code":{"text":"TASK-HBA1C"},"for":{"reference":"Patient/jane"},"owner":{"reference":"Organization/E06000999"},
	 "output":[{"type":{"coding":[{"system":"http://loinc.org","code":"4548-4","display":"Hemoglobin A1c"}]},"valueQuantity":{"value":86,"unit":"mmol/mol","system":"http://unitsofmeasure.org","code":"mmol/mol"}}]}`})
	sw := e.token("social-worker", "council", r98bCouncil)
	if r := e.do("GET", "/fhir/Observation/hba1c", sw, ""); r.status != 404 {
		t.Fatalf("premise: the GP's HbA1c reached the social worker: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Task/task-hba1c", sw, ""); r.status == 200 && strings.Contains(r.body, "4548-4") {
		t.Errorf("an HbA1c result in the GP's Task output reached the social worker: %.400s", r.body)
	}
}

// TestReview98bSoundNotWithCouncilGPPatient: under "not with the council"
// the social worker does not read the GP's Patient record of Jane (with
// her registered practice).
func TestReview98bSoundNotWithCouncilGPPatient(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	r98bConsentBy(t, e, e.token("system", "nhs", "A81001"), "no-council", r98bNotCouncilProv)
	sw := e.token("social-worker", "council", r98bCouncil)
	r := e.do("GET", "/fhir/Patient/jane", sw, "")
	t.Logf("GP's Patient/jane to the social worker under 'not with the council': %d %.300s", r.status, r.body)
	if r.status == 200 && strings.Contains(r.body, "A81001") {
		t.Errorf("the GP's demographics (with the GP) reached the council despite 'not with the council'")
	}
}

// TestReview98bSoundCarerWithOwnNHSNumber: the GP's record of
// Jane's carer (her son Bob, a patient of the practice, recorded as a
// RelatedPerson of Jane's with his own NHS number as its identifier, as
// NHS systems link a carer to his own record). SPEC §5 makes carers and
// lasting power of attorney Jane's social care shapes; §1 gives the
// social worker and the district nurse her key contacts. Neither has any
// relationship with Bob himself; the carer record of Jane's should still
// reach them as the same record without his number does.
func TestReview98bSoundCarerWithOwnNHSNumber(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	seedBobAtTheGP(t, e, gpSys)
	e.putAll(t, gpSys, [2]string{"/fhir/RelatedPerson/carer-bob", `{"resourceType":"RelatedPerson","id":"carer-bob","patient":{"reference":"Patient/jane"},
	 "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],
	 "relationship":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-RoleCode","code":"SON"}]}],"name":[{"family":"CARER-BOB-SON"}]}`})
	for _, who := range []struct{ name, tok string }{
		{"social-worker", e.token("social-worker", "council", r98bCouncil)},
		{"district-nurse", e.token("district-nurse", "nhs", "RCX")},
	} {
		if r := e.do("GET", "/fhir/RelatedPerson/gp-carer", who.tok, ""); r.status != 200 {
			t.Fatalf("premise: %s reads Jane's other carer: %d", who.name, r.status)
		}
		r := e.do("GET", "/fhir/RelatedPerson/carer-bob", who.tok, "")
		if r.status != 200 {
			t.Errorf("%s: Jane's carer record, naming the carer by his own NHS number, refused: %d %.200s", who.name, r.status, r.body)
		}
		r = e.do("GET", "/fhir/RelatedPerson?patient=jane", who.tok, "")
		if !strings.Contains(r.body, "CARER-BOB-SON") {
			t.Errorf("%s: her carers search lacks the carer named by his NHS number: %.300s", who.name, r.body)
		}
	}
}

// TestReview98bSoundCouncilTaskIncludesNHSItems: the council's assessment
// (Task) names the GP's HbA1c as its focus and the GP's falls Flag as
// its reason; the social worker's _include of them brings the Flag and
// not the lab result, and her read of the Task masks the reference to
// the result.
func TestReview98bSoundCouncilTaskIncludesNHSItems(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	council := e.token("system", "council", r98bCouncil)
	e.putAll(t, council, [2]string{"/fhir/Task/council-assess2", `{"resourceType":"Task","id":"council-assess2","status":"in-progress","intent":"order",
	 "code":{"coding":[{"system":"http://snomed.info/sct","code":"410606002"}],"text":"COUNCIL-ASSESS2"},"for":{"reference":"Patient/jane"},
	 "focus":{"reference":"Observation/hba1c"},"reasonReference":{"reference":"Flag/gp-falls"}}`})
	sw := e.token("social-worker", "council", r98bCouncil)
	r := e.do("GET", "/fhir/Task?_id=council-assess2&_include=Task:focus", sw, "")
	if r.status != 200 || !strings.Contains(r.body, "COUNCIL-ASSESS2") || strings.Contains(r.body, "GP-HBA1C") {
		t.Errorf("_include=Task:focus: %d, carries the HbA1c: %v %.300s", r.status, strings.Contains(r.body, "GP-HBA1C"), r.body)
	}
	r = e.do("GET", "/fhir/Task?_id=council-assess2&_include=*", sw, "")
	t.Logf("_include=*: %d", r.status)
	if strings.Contains(r.body, "GP-HBA1C") {
		t.Errorf("_include=* carries the HbA1c")
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	r = e.do("GET", "/fhir/Task?_id=council-assess2&_include=Task:focus", nurse, "")
	if strings.Contains(r.body, "GP-HBA1C") {
		t.Errorf("nurse _include carries the HbA1c")
	}
}
