package api_test

import (
	"strings"
	"testing"
)

// Review 51f: sensitivity labels derived from codes (SPEC §5: labels
// derived by carex on the way in from the configured code lists, by
// default the four national GP summary data sharing exclusion refsets;
// labelled data released only to its source organisation or where the
// person explicitly permitted). The reader is a GP role at RCX (every
// data class, a relationship with Jane through the nursing CareTeam), so
// only the label can withhold; the writer is the practice A81001.

const r51fHIV = `{"system":"http://snomed.info/sct","code":"86406008"}`

func r51fCoded(sn string) string {
	return `{"coding":[` + sn + `]}`
}

// r51fPutThenRead writes body at path as the practice and reports the RCX
// GP's read (status, body); written=false when the write was refused.
func r51fPutThenRead(t *testing.T, e *env, path, body string) (written bool, r resp) {
	t.Helper()
	gp := e.token("system", "nhs", "A81001")
	w := e.do("PUT", path, gp, body)
	if w.status != 201 && w.status != 200 {
		t.Logf("%s: write refused %d %.200s", path, w.status, w.body)
		return false, w
	}
	return true, e.do("GET", path, e.token("gp", "nhs", "RCX"), "")
}

// TestReview51fSoundCodedElementsLabelled: a refset code in each coded
// element the brief lists (and from each of the four refsets) labels the
// item, so another organisation's GP does not read it.
func TestReview51fSoundCodedElementsLabelled(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hiv := r51fCoded(r51fHIV)
	gra := r51fCoded(`{"system":"http://snomed.info/sct","code":"4296008"}`)  // Transsexualism (GRA)
	top := r51fCoded(`{"system":"http://snomed.info/sct","code":"1321008"}`)  // Therapeutic abortion procedure (SEX)
	ivf := r51fCoded(`{"system":"http://snomed.info/sct","code":"46249006"}`) // Artificial insemination, heterologous (HFEA)
	subj := `"subject":{"reference":"Patient/jane"}`
	items := map[string]string{
		"/fhir/Condition/r51f-evidence": `{"resourceType":"Condition","id":"r51f-evidence",` + subj + `,"code":{"text":"R51F"},"evidence":[{"code":[` + hiv + `]}]}`,
		"/fhir/Condition/r51f-stage":    `{"resourceType":"Condition","id":"r51f-stage",` + subj + `,"code":{"text":"R51F"},"stage":[{"summary":` + hiv + `}]}`,
		"/fhir/Observation/r51f-interp": `{"resourceType":"Observation","id":"r51f-interp","status":"final",` + subj + `,"code":{"text":"R51F"},"interpretation":[` + hiv + `]}`,
		"/fhir/Observation/r51f-compval": `{"resourceType":"Observation","id":"r51f-compval","status":"final",` + subj + `,"code":{"text":"R51F"},
			"component":[{"code":{"text":"x"},"valueCodeableConcept":` + hiv + `}]}`,
		"/fhir/Procedure/r51f-code":         `{"resourceType":"Procedure","id":"r51f-code","status":"completed",` + subj + `,"code":` + top + `}`,
		"/fhir/Procedure/r51f-reason":       `{"resourceType":"Procedure","id":"r51f-reason","status":"completed",` + subj + `,"code":{"text":"R51F"},"reasonCode":[` + hiv + `]}`,
		"/fhir/Procedure/r51f-complication": `{"resourceType":"Procedure","id":"r51f-complication","status":"completed",` + subj + `,"code":{"text":"R51F"},"complication":[` + hiv + `]}`,
		"/fhir/Procedure/r51f-followup":     `{"resourceType":"Procedure","id":"r51f-followup","status":"completed",` + subj + `,"code":{"text":"R51F"},"followUp":[` + ivf + `]}`,
		"/fhir/MedicationRequest/r51f-reason": `{"resourceType":"MedicationRequest","id":"r51f-reason","status":"active","intent":"order",` + subj + `,
			"medicationCodeableConcept":{"text":"R51F"},"reasonCode":[` + hiv + `]}`,
		"/fhir/MedicationStatement/r51f-reason": `{"resourceType":"MedicationStatement","id":"r51f-reason","status":"active",` + subj + `,
			"medicationCodeableConcept":{"text":"R51F"},"reasonCode":[` + hiv + `]}`,
		"/fhir/MedicationRequest/r51f-containedmed": `{"resourceType":"MedicationRequest","id":"r51f-containedmed","status":"active","intent":"order",` + subj + `,
			"contained":[{"resourceType":"Medication","id":"m","ingredient":[{"itemCodeableConcept":` + hiv + `}]}],"medicationReference":{"reference":"#m"}}`,
		"/fhir/Encounter/r51f-type":        `{"resourceType":"Encounter","id":"r51f-type","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},` + subj + `,"type":[` + gra + `]}`,
		"/fhir/Flag/r51f-code":             `{"resourceType":"Flag","id":"r51f-code","status":"active",` + subj + `,"code":` + hiv + `}`,
		"/fhir/Task/r51f-code":             `{"resourceType":"Task","id":"r51f-code","status":"requested","intent":"order","for":{"reference":"Patient/jane"},"code":` + top + `}`,
		"/fhir/Task/r51f-reason":           `{"resourceType":"Task","id":"r51f-reason","status":"requested","intent":"order","for":{"reference":"Patient/jane"},"code":{"text":"R51F"},"reasonCode":` + hiv + `}`,
		"/fhir/ServiceRequest/r51f-code":   `{"resourceType":"ServiceRequest","id":"r51f-code","status":"active","intent":"order",` + subj + `,"code":` + ivf + `}`,
		"/fhir/ServiceRequest/r51f-reason": `{"resourceType":"ServiceRequest","id":"r51f-reason","status":"active","intent":"order",` + subj + `,"code":{"text":"R51F"},"reasonCode":[` + gra + `]}`,
		"/fhir/CarePlan/r51f-activity": `{"resourceType":"CarePlan","id":"r51f-activity","status":"active","intent":"plan",` + subj + `,
			"activity":[{"detail":{"status":"scheduled","code":` + top + `}}]}`,
		"/fhir/CarePlan/r51f-activityreason": `{"resourceType":"CarePlan","id":"r51f-activityreason","status":"active","intent":"plan",` + subj + `,
			"activity":[{"detail":{"status":"scheduled","code":{"text":"R51F"},"reasonCode":[` + hiv + `]}}]}`,
		"/fhir/DocumentReference/r51f-type": `{"resourceType":"DocumentReference","id":"r51f-type","status":"current",` + subj + `,"type":` + hiv + `,
			"content":[{"attachment":{"contentType":"text/plain","data":"UjUxRg=="}}]}`,
		"/fhir/DocumentReference/r51f-event": `{"resourceType":"DocumentReference","id":"r51f-event","status":"current",` + subj + `,"type":{"text":"R51F"},
			"context":{"event":[` + gra + `]},"content":[{"attachment":{"contentType":"text/plain","data":"UjUxRg=="}}]}`,
		"/fhir/AllergyIntolerance/r51f-code": `{"resourceType":"AllergyIntolerance","id":"r51f-code","patient":{"reference":"Patient/jane"},"code":` + hiv + `}`,
		"/fhir/Immunization/r51f-reason": `{"resourceType":"Immunization","id":"r51f-reason","status":"completed","patient":{"reference":"Patient/jane"},
			"vaccineCode":{"text":"R51F"},"occurrenceDateTime":"2025-01-01","reasonCode":[` + hiv + `]}`,
		"/fhir/EpisodeOfCare/r51f-type": `{"resourceType":"EpisodeOfCare","id":"r51f-type","status":"finished","patient":{"reference":"Patient/jane"},"type":[` + hiv + `]}`,
		"/fhir/Condition/r51f-extcoding": `{"resourceType":"Condition","id":"r51f-extcoding",` + subj + `,"code":{"text":"R51F"},
			"extension":[{"url":"https://example.org/a","extension":[{"url":"b","valueCoding":` + r51fHIV + `}]}]}`,
		"/fhir/Condition/r51f-codeext": `{"resourceType":"Condition","id":"r51f-codeext",` + subj + `,"code":{"text":"R51F",
			"extension":[{"url":"https://example.org/orig","valueCodeableConcept":` + hiv + `}]}}`,
	}
	for path, body := range items {
		ok, r := r51fPutThenRead(t, e, path, body)
		if !ok {
			t.Errorf("%s: the write was refused, not probed", path)
			continue
		}
		if r.status != 404 {
			t.Errorf("%s: another organisation's GP reads an item with a refset code: %d %.300s", path, r.status, r.body)
		}
	}
}

// TestReview51fSoundModifierExtensionRefused: a modifierExtension (the one
// place a code could change the meaning) is refused on write, so none is
// stored unlabelled.
func TestReview51fSoundModifierExtensionRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	r := e.do("PUT", "/fhir/Condition/r51f-modext", gp, `{"resourceType":"Condition","id":"r51f-modext","subject":{"reference":"Patient/jane"},"code":{"text":"R51F"},
		"modifierExtension":[{"url":"https://example.org/m","valueCodeableConcept":`+r51fCoded(r51fHIV)+`}]}`)
	if r.status == 201 || r.status == 200 {
		if g := e.do("GET", "/fhir/Condition/r51f-modext", e.token("gp", "nhs", "RCX"), ""); g.status != 404 {
			t.Errorf("stored with a modifierExtension and read by RCX: %d %.300s", g.status, g.body)
		}
	}
}

// TestReview51fSnomedSystemSpellings: SNOMED CT under further spellings of
// its system. FHIR puts the edition and version in Coding.version, but the
// full versioned edition URI (http://snomed.info/sct/{edition}/version/{date})
// is how SNOMED CT and NHS England name an edition release, and senders
// put it in system; isSnomedEdition takes the edition URI alone.
func TestReview51fSnomedSystemSpellings(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for _, c := range []struct{ id, system, code string }{
		{"r51f-sys-intver", "http://snomed.info/sct/900000000000207008/version/20240101", "86406008"},
		{"r51f-sys-ukver", "http://snomed.info/sct/83821000000107/version/20240403", "86406008"},
		{"r51f-sys-ukver-slash", "http://snomed.info/sct/999000041000000102/version/20240403/", "86406008"},
		// a version after "|", as a canonical is versioned: the code is
		// then read after a "|", as inside a |term|
		{"r51f-sys-pipe", "http://snomed.info/sct|20240101", "86406008"},
		{"r51f-icd-pipe", "http://hl7.org/fhir/sid/icd-10|2019", "B20"},
	} {
		ok, r := r51fPutThenRead(t, e, "/fhir/Condition/"+c.id, r22bCondition(c.id, c.system, c.code, "R51F"))
		if ok && r.status != 404 {
			t.Errorf("%s (%s|%q): an HIV diagnosis goes to the RCX GP unlabelled: %d %.200s", c.id, c.system, c.code, r.status, r.body)
		}
	}
}

// TestReview51fSoundSnomedSpellingsLabelled: spellings the brief lists.
func TestReview51fSoundSnomedSpellingsLabelled(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for _, c := range []struct{ id, system, code string }{
		{"r51f-ok-slash", "http://snomed.info/sct/", "86406008"},
		{"r51f-ok-https", "https://snomed.info/sct", "86406008"},
		{"r51f-ok-upper", "HTTP://SNOMED.INFO/SCT", "86406008"},
		{"r51f-ok-oid", "urn:oid:2.16.840.1.113883.6.96", "86406008"},
		{"r51f-ok-oidupper", "URN:OID:2.16.840.1.113883.6.96", "86406008"},
		{"r51f-ok-edition", "http://snomed.info/sct/83821000000107", "86406008"},
		{"r51f-ok-spaces", " http://snomed.info/sct ", " 86406008 "},
		{"r51f-ok-zeros", "http://snomed.info/sct", "00086406008"},
		{"r51f-ok-tab", "http://snomed.info/sct", "86406008\t"},
		{"r51f-ok-refset-gra", "http://snomed.info/sct", "4296008"},
	} {
		ok, r := r51fPutThenRead(t, e, "/fhir/Condition/"+c.id, r22bCondition(c.id, c.system, c.code, "R51F"))
		if ok && r.status != 404 {
			t.Errorf("%s (%s|%q): goes to the RCX GP: %d %.200s", c.id, c.system, c.code, r.status, r.body)
		}
	}
}

// TestReview51fSoundICD10CodeWithLeadingSpaceRefused: an ICD-10 HIV code written with
// whitespace before it. A SNOMED CT code so written is read (as an
// expression); an ICD-10 code is matched by prefix as written.
func TestReview51fSoundICD10CodeWithLeadingSpaceRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for _, c := range []struct{ id, system, code string }{
		{"r51f-icd-space", "http://hl7.org/fhir/sid/icd-10", " B20"},
		{"r51f-icd-uk-space", "http://hl7.org/fhir/sid/icd-10-uk", " B24"},
		{"r51f-icd-nl", "http://hl7.org/fhir/sid/icd-10-uk", "\nB20.1"},
	} {
		ok, r := r51fPutThenRead(t, e, "/fhir/Condition/"+c.id, r22bCondition(c.id, c.system, c.code, "R51F"))
		if ok && r.status != 404 {
			t.Errorf("%s (%s|%q): an HIV diagnosis goes to the RCX GP unlabelled: %d %.200s", c.id, c.system, c.code, r.status, r.body)
		}
	}
}

// TestReview51fSoundCodeNotAStringRefused: a coding whose code is a JSON number.
func TestReview51fSoundCodeNotAStringRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	ok, r := r51fPutThenRead(t, e, "/fhir/Condition/r51f-num", `{"resourceType":"Condition","id":"r51f-num","subject":{"reference":"Patient/jane"},
		"code":{"coding":[{"system":"http://snomed.info/sct","code":86406008}],"text":"R51F"}}`)
	if ok && r.status != 404 {
		t.Errorf("a numeric HIV code is stored and read by the RCX GP: %d %.200s", r.status, r.body)
	}
}

// TestReview51fSnomedConceptURIAsValue: a SNOMED CT concept given by its
// URI (http://snomed.info/id/86406008), as an extension's valueUri or
// valueCanonical, or a system naming the concept with no code.
func TestReview51fSnomedConceptURIAsValue(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for _, c := range []struct{ id, ext string }{
		{"r51f-uri", `{"url":"https://example.org/concept","valueUri":"http://snomed.info/id/86406008"}`},
		{"r51f-canon", `{"url":"https://example.org/concept","valueCanonical":"http://snomed.info/id/86406008"}`},
	} {
		body := `{"resourceType":"Condition","id":"` + c.id + `","subject":{"reference":"Patient/jane"},"code":{"text":"R51F"},"extension":[` + c.ext + `]}`
		ok, r := r51fPutThenRead(t, e, "/fhir/Condition/"+c.id, body)
		if ok && r.status != 404 {
			t.Errorf("%s: an HIV concept URI goes to the RCX GP unlabelled: %d %.200s", c.id, r.status, r.body)
		}
	}
}

// TestReview51fCodingWithoutSystem: a SNOMED CT concept id with no system.
// FHIR leaves such a code's meaning to the context; carex's labelling
// only reads codings with a system.
func TestReview51fCodingWithoutSystem(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	ok, r := r51fPutThenRead(t, e, "/fhir/Condition/r51f-nosys", `{"resourceType":"Condition","id":"r51f-nosys","subject":{"reference":"Patient/jane"},
		"code":{"coding":[{"code":"86406008","display":"Human immunodeficiency virus infection"}],"text":"R51F"}}`)
	if ok && r.status != 404 {
		t.Errorf("an HIV code with no system goes to the RCX GP unlabelled: %d %.300s", r.status, r.body)
	}
}

// TestReview51fMetaTagCode: a refset code carried in meta.tag (the one
// place otherCodings does not walk: it skips "meta").
func TestReview51fMetaTagCode(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	ok, r := r51fPutThenRead(t, e, "/fhir/Condition/r51f-tag", `{"resourceType":"Condition","id":"r51f-tag","subject":{"reference":"Patient/jane"},
		"meta":{"tag":[`+r51fHIV+`]},"code":{"text":"R51F"}}`)
	if ok && r.status != 404 {
		t.Errorf("an HIV code in meta.tag goes to the RCX GP unlabelled: %d %.300s", r.status, r.body)
	}
}

// TestReview51fSoundReasonReferenceToLabelledItem: items that point at
// Jane's HIV diagnosis (labelled by its code) without a code of their own
// are released, but never name it: the reference to Condition/hiv is not
// in what the RCX GP reads.
func TestReview51fSoundReasonReferenceToLabelledItem(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	subj := `"subject":{"reference":"Patient/jane"}`
	items := map[string]string{
		"/fhir/Procedure/r51f-rr": `{"resourceType":"Procedure","id":"r51f-rr","status":"completed",` + subj + `,"code":{"text":"R51F-PROC"},"reasonReference":[{"reference":"Condition/hiv"}]}`,
		"/fhir/Observation/r51f-hm": `{"resourceType":"Observation","id":"r51f-hm","status":"final",` + subj + `,"code":{"text":"R51F-OBS"},"hasMember":[{"reference":"Condition/hiv"}],
			"derivedFrom":[{"reference":"Condition/hiv"}]}`,
		"/fhir/Encounter/r51f-dx": `{"resourceType":"Encounter","id":"r51f-dx","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},` + subj + `,
			"diagnosis":[{"condition":{"reference":"Condition/hiv"}}]}`,
		"/fhir/MedicationRequest/r51f-rr": `{"resourceType":"MedicationRequest","id":"r51f-rr","status":"active","intent":"order",` + subj + `,"medicationCodeableConcept":{"text":"R51F-MED"},"reasonReference":[{"reference":"Condition/hiv"}]}`,
	}
	for path, body := range items {
		ok, r := r51fPutThenRead(t, e, path, body)
		if !ok {
			continue
		}
		t.Logf("%s: RCX GP reads %d", path, r.status)
		if r.status == 200 && strings.Contains(r.body, "Condition/hiv") {
			t.Errorf("%s: names the labelled diagnosis to the RCX GP: %.400s", path, r.body)
		}
	}
}

// TestReview51fSoundRecodedItemLosesDerivedLabel: a Condition coded HIV
// and then recoded to diabetes is released as version 2, version 1 stays
// withheld; a label the source set stays when it recodes.
func TestReview51fSoundRecodedItemLosesDerivedLabel(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	rcx := e.token("gp", "nhs", "RCX")
	if r := e.do("PUT", "/fhir/Condition/r51f-recode", gp, r22bCondition("r51f-recode", "http://snomed.info/sct", "86406008", "R51F-V1")); r.status != 201 {
		t.Fatalf("v1: %d %s", r.status, r.body)
	}
	if r := e.do("PUT", "/fhir/Condition/r51f-recode", gp, r22bCondition("r51f-recode", "http://snomed.info/sct", "44054006", "R51F-V2")); r.status != 200 {
		t.Fatalf("v2: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/r51f-recode", rcx, ""); r.status != 200 {
		t.Errorf("recoded: %d %.200s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/r51f-recode/_history/1", rcx, ""); r.status != 404 {
		t.Errorf("v1 (HIV) read: %d %.200s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/r51f-recode/_history", rcx, ""); strings.Contains(r.body, "R51F-V1") {
		t.Errorf("v1 in _history: %.300s", r.body)
	}
	// Source-set label, then recoded, keeping its label.
	src := `{"resourceType":"Condition","id":"r51f-srclabel","subject":{"reference":"Patient/jane"},
	 "meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"PSY"}]},
	 "code":{"coding":[{"system":"http://snomed.info/sct","code":"%s"}],"text":"R51F-SRC"}}`
	if r := e.do("PUT", "/fhir/Condition/r51f-srclabel", gp, strings.Replace(src, "%s", "35489007", 1)); r.status != 201 {
		t.Fatalf("src v1: %d %s", r.status, r.body)
	}
	if r := e.do("PUT", "/fhir/Condition/r51f-srclabel", gp, strings.Replace(src, "%s", "44054006", 1)); r.status != 200 {
		t.Fatalf("src v2: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/r51f-srclabel", rcx, ""); r.status != 404 {
		t.Errorf("source-labelled PSY item, recoded, read by RCX: %d %.200s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition?patient=jane", rcx, ""); strings.Contains(r.body, "R51F-SRC") || strings.Contains(r.body, "R51F-V1") {
		t.Errorf("search releases a labelled version: %.400s", r.body)
	}
}

// TestReview51fSoundSecuritySearch: _security searches by the reader who
// may not see labelled items release nothing (the derived HIV label and a
// source-set one), totals included; the source finds its own source-set
// label.
func TestReview51fSoundSecuritySearch(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	rcx := e.token("gp", "nhs", "RCX")
	if r := e.do("PUT", "/fhir/Condition/r51f-psy", gp, `{"resourceType":"Condition","id":"r51f-psy","subject":{"reference":"Patient/jane"},
	 "meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"PSY"}]},"code":{"text":"R51F-PSY"}}`); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	for _, q := range []string{
		"/fhir/Condition?patient=jane&_security=HIV",
		"/fhir/Condition?patient=jane&_security=http://terminology.hl7.org/CodeSystem/v3-ActCode|PSY",
		"/fhir/Condition?patient=jane&_security=PSY",
		"/fhir/Condition?patient=jane&_security:not=PSY",
		"/fhir/Condition?patient=jane&_security:not=HIV",
	} {
		r := e.do("GET", q, rcx, "")
		t.Logf("%s: %d", q, r.status)
		if strings.Contains(r.body, "R51F-PSY") || strings.Contains(r.body, "GP-HIV-UNLABELLED") {
			t.Errorf("%s releases a labelled item: %.400s", q, r.body)
		}
		if r.status == 200 && (strings.Contains(q, "=HIV") || strings.Contains(q, "=PSY") || strings.Contains(q, "|PSY")) && !strings.Contains(q, ":not") && !strings.Contains(r.body, `"total":0`) {
			t.Errorf("%s: total not 0: %.400s", q, r.body)
		}
	}
	if r := e.do("GET", "/fhir/Condition?patient=jane&_security=PSY", gp, ""); !strings.Contains(r.body, "R51F-PSY") {
		t.Errorf("the source does not find its own PSY-labelled item: %d %.300s", r.status, r.body)
	}
}

// TestReview51fStoredMedicationIngredientCodeNotCarried: a
// MedicationRequest whose medicationReference names a stored Medication
// takes that Medication's code (medicationCodes), but not the codes of its
// ingredients, which a contained Medication's request does take (see
// TestReview51fSoundCodedElementsLabelled, r51f-containedmed). The
// Medication.code variant is the control.
func TestReview51fStoredMedicationIngredientCodeNotCarried(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Medication/r51f-medcode", gp, `{"resourceType":"Medication","id":"r51f-medcode","code":`+r51fCoded(r51fHIV)+`}`); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r := e.do("PUT", "/fhir/Medication/r51f-med", gp, `{"resourceType":"Medication","id":"r51f-med","code":{"text":"R51F-MED"},
	 "ingredient":[{"itemCodeableConcept":`+r51fCoded(r51fHIV)+`}]}`); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	ok, r := r51fPutThenRead(t, e, "/fhir/MedicationRequest/r51f-medcoderef", `{"resourceType":"MedicationRequest","id":"r51f-medcoderef","status":"active","intent":"order",
	 "subject":{"reference":"Patient/jane"},"medicationReference":{"reference":"Medication/r51f-medcode"}}`)
	if ok && r.status != 404 {
		t.Errorf("control: a request naming a Medication whose code is HIV goes to the RCX GP: %d %.300s", r.status, r.body)
	}
	ok, r = r51fPutThenRead(t, e, "/fhir/MedicationRequest/r51f-medref", `{"resourceType":"MedicationRequest","id":"r51f-medref","status":"active","intent":"order",
	 "subject":{"reference":"Patient/jane"},"medicationReference":{"reference":"Medication/r51f-med"}}`)
	if ok && r.status != 404 {
		t.Errorf("a request naming a stored Medication whose ingredient is coded HIV goes to the RCX GP: %d %.300s", r.status, r.body)
	}
}

// TestReview51fVersionedSystemInTransactionAndSearch: the versioned
// edition URI through a transaction, and what the RCX GP then finds by
// searching Jane's conditions (the diagnosis, by its code).
func TestReview51fVersionedSystemInTransactionAndSearch(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:6f1c2b1e-51f0-4c1a-9b1e-000000000001",
	 "resource":{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct/83821000000107/version/20240403","code":"86406008","display":"Human immunodeficiency virus infection"}],"text":"R51F-TX-HIV"}},
	 "request":{"method":"POST","url":"Condition"}}]}`
	if r := e.do("POST", "/fhir", gp, tx); r.status != 200 {
		t.Fatalf("transaction: %d %.300s", r.status, r.body)
	}
	r := e.do("GET", "/fhir/Condition?patient=jane&code=86406008", e.token("district-nurse", "nhs", "RCX"), "")
	if strings.Contains(r.body, "R51F-TX-HIV") {
		t.Errorf("the district nurse finds the HIV diagnosis by its code: %d %.500s", r.status, r.body)
	}
	r = e.do("GET", "/fhir/Patient/jane/$everything", e.token("district-nurse", "nhs", "RCX"), "")
	if strings.Contains(r.body, "R51F-TX-HIV") {
		t.Errorf("the district nurse's $everything holds the HIV diagnosis: %d (snippet around it) %s", r.status, around51f(r.body, "R51F-TX-HIV"))
	}
}

func around51f(s, sub string) string {
	i := strings.Index(s, sub)
	if i < 0 {
		return ""
	}
	lo, hi := i-250, i+50
	if lo < 0 {
		lo = 0
	}
	if hi > len(s) {
		hi = len(s)
	}
	return s[lo:hi]
}

// TestReview51fVersionedSystemHidesLegallyRestrictedProcedure: an
// assisted-fertilisation procedure (HFEA, legally restricted: never
// released outside its source, break-glass included) coded under the
// versioned UK edition URI, read by the hospital clinician, plainly and
// with break-glass.
func TestReview51fVersionedSystemHidesLegallyRestrictedProcedure(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	body := `{"resourceType":"Procedure","id":"r51f-ivf","status":"completed","subject":{"reference":"Patient/jane"},
	 "code":{"coding":[{"system":"http://snomed.info/sct/83821000000107/version/20240403","code":"46249006"}],"text":"R51F-IVF"}}`
	ok, r := r51fPutThenRead(t, e, "/fhir/Procedure/r51f-ivf", body)
	if !ok {
		t.Fatal("write refused")
	}
	if r.status != 404 {
		t.Errorf("the RCX GP reads an assisted-fertilisation procedure: %d %.300s", r.status, r.body)
	}
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if g := e.do("GET", "/fhir/Procedure/r51f-ivf", hosp, "", "X-Break-Glass", "EMERGENCY: unconscious in A&E, history needed"); g.status != 404 {
		t.Errorf("break-glass releases a legally restricted (HFEA) procedure to the hospital: %d %.300s", g.status, g.body)
	}
}

// TestReview51fVersionedSystemEscapesDenyByCode: Jane's Consent denies
// her diabetes (SNOMED CT 44054006) to everyone but the practice; a
// diabetes Condition coded under the versioned UK edition URI is not met
// by the deny (a Consent's codes and items' are compared canonically:
// CanonicalCoding), while the control, coded under the edition URI alone,
// is.
func TestReview51fVersionedSystemEscapesDenyByCode(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	deny := `{"resourceType":"Consent","id":"r51f-deny-dm","status":"active",
 "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
 "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
 "patient":{"reference":"Patient/jane"},"dateTime":"2026-01-10",
 "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},
 "provision":{"type":"permit","provision":[{"type":"deny","code":[{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]}]}]}}`
	if r := e.do("PUT", "/fhir/Consent/r51f-deny-dm", gp, deny); r.status != 201 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	rcx := e.token("gp", "nhs", "RCX")
	for _, c := range []struct{ id, system string }{
		{"r51f-dm-edition", "http://snomed.info/sct/83821000000107"},
		{"r51f-dm-version", "http://snomed.info/sct/83821000000107/version/20240403"},
	} {
		if r := e.do("PUT", "/fhir/Condition/"+c.id, gp, r22bCondition(c.id, c.system, "44054006", "R51F-DM")); r.status != 201 {
			t.Fatalf("%s: %d %s", c.id, r.status, r.body)
		}
		if r := e.do("GET", "/fhir/Condition/"+c.id, rcx, ""); r.status != 404 {
			t.Errorf("%s (%s): Jane's denied diabetes goes to the RCX GP: %d %.250s", c.id, c.system, r.status, r.body)
		}
	}
}
