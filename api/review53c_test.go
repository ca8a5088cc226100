package api_test

import (
	"strings"
	"testing"
)

// Review 53c: re-read of a715015 / 4ae7683 (coded labels: otherCodings
// reads codings with no system, meta.tag, SNOMED CT concept URIs; a
// stored Medication's every coding joins the prescription's codes) and of
// 11380bc / 38e3686 (noteNamed, append-then-dedupe), regressions only.

const (
	r53cHIVDx    = `{"system":"http://snomed.info/sct","code":"86406008"}`
	r53cDiabetes = `{"system":"http://snomed.info/sct","code":"44054006"}`
	r53cHIVLabel = `{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HIV"}`
	r53cSTDLabel = `{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"STD"}`
	r53cHospital = `{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"PRCP"}]},"reference":{"reference":"Organization/RHX"}}`
)

// TestReview53cMedicationMentionIsNoExplicitRelease: review 11a's case
// (Jane: "do not share my HIV diagnosis, except that the hospital may see
// HIV-labelled records of it"), with the diagnosis mentioned not by the
// prescription's reasonCode but inside the Medication it names: an
// extension of a contained Medication, a tag of a contained Medication, an
// extension of a stored Medication. Since a715015 addMedicationCodes puts
// every coding of the Medication into the prescription's main Codes, so
// the deny matches it by what it *is* (byMention false), and the nested
// permit becomes Jane's explicit release of the HIV label. At 4676780 each
// stayed with the practice, as the reasonCode control still does.
func TestReview53cMedicationMentionIsNoExplicitRelease(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	arv := `{"coding":[{"system":"http://snomed.info/sct","code":"412218009"}],"text":"R53C-ARV"}`
	mentionExt := `"extension":[{"url":"https://example.org/fhir/StructureDefinition/indication","valueCodeableConcept":{"coding":[` + r53cHIVDx + `]}}]`
	e.putAll(t, gpSys,
		[2]string{"/fhir/Medication/r53c-stored", `{"resourceType":"Medication","id":"r53c-stored",` + mentionExt + `,"code":` + arv + `}`},
	)
	subj := `"subject":{"reference":"Patient/jane"}`
	sec := `"meta":{"security":[` + r53cHIVLabel + `]}`
	items := map[string]string{
		// control: review 11a's own case
		"r53c-reason": `{"resourceType":"MedicationRequest","id":"r53c-reason",` + sec + `,"status":"active","intent":"order",` + subj + `,
			"medicationCodeableConcept":` + arv + `,"reasonCode":[{"coding":[` + r53cHIVDx + `]}]}`,
		"r53c-contained-ext": `{"resourceType":"MedicationRequest","id":"r53c-contained-ext",` + sec + `,"status":"active","intent":"order",` + subj + `,
			"contained":[{"resourceType":"Medication","id":"m",` + mentionExt + `,"code":` + arv + `}],"medicationReference":{"reference":"#m"}}`,
		"r53c-contained-tag": `{"resourceType":"MedicationRequest","id":"r53c-contained-tag",` + sec + `,"status":"active","intent":"order",` + subj + `,
			"contained":[{"resourceType":"Medication","id":"m","meta":{"tag":[` + r53cHIVDx + `]},"code":` + arv + `}],"medicationReference":{"reference":"#m"}}`,
		"r53c-stored-ext": `{"resourceType":"MedicationRequest","id":"r53c-stored-ext",` + sec + `,"status":"active","intent":"order",` + subj + `,
			"medicationReference":{"reference":"Medication/r53c-stored"}}`,
	}
	for id, body := range items {
		e.putAll(t, gpSys, [2]string{"/fhir/MedicationRequest/" + id, body})
		if r := e.do("GET", "/fhir/MedicationRequest/"+id, hosp, ""); r.status != 404 {
			t.Fatalf("premise %s: without a consent the HIV-labelled prescription stays with the GP: %d", id, r.status)
		}
	}
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/r53c-hiv", janeConsent("r53c-hiv", "2026-01-10", "OPTIN",
		`,"provision":{"type":"deny","code":[{"coding":[`+r53cHIVDx+`]}],"provision":[{"type":"permit","actor":[`+r53cHospital+`],"securityLabel":[`+r53cHIVLabel+`,`+r53cSTDLabel+`]}]}`)})
	if r := e.do("GET", "/fhir/Condition/hiv", hosp, ""); r.status != 200 {
		t.Errorf("premise: the diagnosis itself is released to the hospital as Jane asked: %d", r.status)
	}
	for _, id := range []string{"r53c-reason", "r53c-contained-ext", "r53c-contained-tag", "r53c-stored-ext"} {
		if r := e.do("GET", "/fhir/MedicationRequest/"+id, hosp, ""); r.status != 404 {
			t.Errorf("%s: the HIV-labelled prescription whose Medication merely mentions the diagnosis is released to the hospital: %d %.200s", id, r.status, r.body)
		}
	}
	r := e.do("GET", "/fhir/MedicationRequest?patient=jane", hosp, "")
	for _, id := range []string{"r53c-contained-ext", "r53c-contained-tag", "r53c-stored-ext"} {
		if strings.Contains(r.body, `"id":"`+id+`"`) {
			t.Errorf("search: the hospital finds %s: %d", id, r.status)
		}
	}
}

// TestReview53cMedicationMentionMatchesPermit: Jane shares nothing from her
// GP record but her diabetes (a deny with a nested permit of code
// 44054006). A permit matches an item's main codes only, "so that nothing
// is released for what it merely mentions" (consent/engine.go byMention;
// doc.go): a prescription given for her diabetes (reasonCode) stays
// withheld. One whose Medication mentions diabetes (an extension of a
// contained Medication, a tag, an extension of a stored one) is now
// released: the Medication's every coding is the prescription's main code
// since a715015.
func TestReview53cMedicationMentionMatchesPermit(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	rcx := e.token("gp", "nhs", "RCX")
	sertraline := `{"coding":[{"system":"http://snomed.info/sct","code":"321949006"}],"text":"R53C-SERTRALINE"}`
	mentionExt := `"extension":[{"url":"https://example.org/fhir/StructureDefinition/indication","valueCodeableConcept":{"coding":[` + r53cDiabetes + `]}}]`
	e.putAll(t, gpSys,
		[2]string{"/fhir/Medication/r53c-stored2", `{"resourceType":"Medication","id":"r53c-stored2",` + mentionExt + `,"code":` + sertraline + `}`},
	)
	subj := `"subject":{"reference":"Patient/jane"}`
	items := map[string]string{
		"r53c-p-reason": `{"resourceType":"MedicationRequest","id":"r53c-p-reason","status":"active","intent":"order",` + subj + `,
			"medicationCodeableConcept":` + sertraline + `,"reasonCode":[{"coding":[` + r53cDiabetes + `]}]}`,
		"r53c-p-contained-ext": `{"resourceType":"MedicationRequest","id":"r53c-p-contained-ext","status":"active","intent":"order",` + subj + `,
			"contained":[{"resourceType":"Medication","id":"m",` + mentionExt + `,"code":` + sertraline + `}],"medicationReference":{"reference":"#m"}}`,
		"r53c-p-contained-tag": `{"resourceType":"MedicationRequest","id":"r53c-p-contained-tag","status":"active","intent":"order",` + subj + `,
			"contained":[{"resourceType":"Medication","id":"m","meta":{"tag":[` + r53cDiabetes + `]},"code":` + sertraline + `}],"medicationReference":{"reference":"#m"}}`,
		"r53c-p-stored-ext": `{"resourceType":"MedicationRequest","id":"r53c-p-stored-ext","status":"active","intent":"order",` + subj + `,
			"medicationReference":{"reference":"Medication/r53c-stored2"}}`,
	}
	for id, body := range items {
		e.putAll(t, gpSys, [2]string{"/fhir/MedicationRequest/" + id, body})
	}
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/r53c-only-dm", janeConsent("r53c-only-dm", "2026-01-10", "OPTIN",
		`,"provision":{"type":"deny","provision":[{"type":"permit","code":[{"coding":[`+r53cDiabetes+`]}]}]}`)})
	if r := e.do("GET", "/fhir/Condition/diabetes", rcx, ""); r.status != 200 {
		t.Errorf("premise: her diabetes is released as she asked: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Observation/hba1c", rcx, ""); r.status != 404 {
		t.Errorf("premise: the rest of her GP record is withheld: %d", r.status)
	}
	for _, id := range []string{"r53c-p-reason", "r53c-p-contained-ext", "r53c-p-contained-tag", "r53c-p-stored-ext"} {
		if r := e.do("GET", "/fhir/MedicationRequest/"+id, rcx, ""); r.status != 404 {
			t.Errorf("%s: a sertraline prescription whose Medication merely mentions diabetes is released by the permit of diabetes: %d %.200s", id, r.status, r.body)
		}
	}
	r := e.do("GET", "/fhir/Patient/jane/$everything", rcx, "")
	if strings.Contains(r.body, "R53C-SERTRALINE") {
		t.Errorf("$everything: the RCX GP sees a sertraline prescription: %d %s", r.status, around53c(r.body, "R53C-SERTRALINE"))
	}
}

func around53c(s, sub string) string {
	i := strings.Index(s, sub)
	if i < 0 {
		return ""
	}
	lo, hi := max(0, i-300), min(len(s), i+60)
	return s[lo:hi]
}

// TestReview53cQuantityCodeWithoutSystem: a Quantity whose unit code has no
// system is no Coding (FHIR qty-3: the code's system SHALL be present),
// yet otherCodings reads any object with a string "code" and no "system"
// as one, and Policy.Labels a digits-only such code as SNOMED CT. An
// Observation whose value is 5 units "86406008" (no system) or an
// extension's Quantity so coded: either refused as invalid or released,
// not labelled as an HIV diagnosis.
func TestReview53cQuantityCodeWithoutSystem(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	rcx := e.token("gp", "nhs", "RCX")
	subj := `"subject":{"reference":"Patient/jane"}`
	items := map[string]string{
		"r53c-qty": `{"resourceType":"Observation","id":"r53c-qty","status":"final",` + subj + `,"code":{"text":"R53C-QTY"},
			"valueQuantity":{"value":5,"unit":"units","code":"86406008"}}`,
		"r53c-qty-ext": `{"resourceType":"Observation","id":"r53c-qty-ext","status":"final",` + subj + `,"code":{"text":"R53C-QTYEXT"},
			"extension":[{"url":"https://example.org/dose","valueQuantity":{"value":5,"code":"86406008"}}]}`,
		"r53c-range": `{"resourceType":"Observation","id":"r53c-range","status":"final",` + subj + `,"code":{"text":"R53C-RANGE"},
			"valueQuantity":{"value":5,"system":"http://unitsofmeasure.org","code":"mmol/L"},
			"referenceRange":[{"low":{"value":4,"unit":"x","code":"46249006"}}]}`,
	}
	for id, body := range items {
		w := e.do("PUT", "/fhir/Observation/"+id, gp, body)
		t.Logf("%s: write %d %.200s", id, w.status, w.body)
		if w.status != 200 && w.status != 201 {
			continue
		}
		if r := e.do("GET", "/fhir/Observation/"+id, rcx, ""); r.status != 200 {
			t.Errorf("%s: a Quantity's system-less unit code read as an HIV/IVF concept: the observation is withheld from the RCX GP (%d), though nothing in it is coded", id, r.status)
		}
	}
}

// TestReview53cSoundFreeTextConceptURIMention: prose that merely mentions
// a SNOMED CT concept URI (a note, a valueString with words around it) is
// not labelled by snomedConceptURI; the whole-string URI value is.
func TestReview53cSoundFreeTextConceptURIMention(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	rcx := e.token("gp", "nhs", "RCX")
	subj := `"subject":{"reference":"Patient/jane"}`
	for id, body := range map[string]string{
		"r53c-note": `{"resourceType":"Observation","id":"r53c-note","status":"final",` + subj + `,"code":{"text":"R53C-NOTE"},
			"note":[{"text":"Coding guidance: see http://snomed.info/id/86406008 for the concept (not this patient)"}]}`,
		"r53c-vstr": `{"resourceType":"Observation","id":"r53c-vstr","status":"final",` + subj + `,"code":{"text":"R53C-VSTR"},
			"valueString":"looked up http://snomed.info/id/86406008"}`,
	} {
		e.putAll(t, gp, [2]string{"/fhir/Observation/" + id, body})
		if r := e.do("GET", "/fhir/Observation/"+id, rcx, ""); r.status != 200 {
			t.Errorf("%s: prose mentioning a concept URI is withheld: %d", id, r.status)
		}
	}
	e.putAll(t, gp, [2]string{"/fhir/Observation/r53c-vuri", `{"resourceType":"Observation","id":"r53c-vuri","status":"final",` + subj + `,"code":{"text":"R53C-VURI"},
			"valueString":"http://snomed.info/id/86406008"}`})
	if r := e.do("GET", "/fhir/Observation/r53c-vuri", rcx, ""); r.status != 404 {
		t.Errorf("control: a value that is the HIV concept's URI is released: %d", r.status)
	}
}

// TestReview53cSoundCodeSearchUnchanged: a search by code finds an item by
// its own code, not by the codes its Medication or its tags hold (the
// prescription's Codes now hold them; search reads the index).
func TestReview53cSoundCodeSearchUnchanged(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Condition/r53c-tagged", `{"resourceType":"Condition","id":"r53c-tagged","subject":{"reference":"Patient/jane"},
			"meta":{"tag":[{"system":"https://smarthealthit.org/tags","code":"synthea-5-2019"}]},"code":{"coding":[{"system":"http://snomed.info/sct","code":"195662009"}],"text":"R53C-TAGGED"}}`},
	)
	r := e.do("GET", "/fhir/Condition?patient=jane&code=https://smarthealthit.org/tags|synthea-5-2019", gp, "")
	if strings.Contains(r.body, "R53C-TAGGED") {
		t.Errorf("a search by a tag's code as code finds the condition: %d", r.status)
	}
	r = e.do("GET", "/fhir/Condition?patient=jane&code=195662009", gp, "")
	if !strings.Contains(r.body, "R53C-TAGGED") {
		t.Errorf("control: the condition by its code: %d %.300s", r.status, r.body)
	}
}
