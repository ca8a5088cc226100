package api_test

// Review 94a: re-read of 6f1d943 (icd10Shaped: a code with no system is
// read as ICD-10 only when written as one; placeReferenceText: in a
// restricted person's items a reference to a person loses its display)
// and the restricted-person redaction as a whole.

import (
	"strings"
	"testing"
)

const r94aICD10UK = "http://hl7.org/fhir/sid/icd-10-uk"

// TestReview94aSystemlessICD10TrailingDotUnlabelled: README
// ("Sensitive codes"): an ICD-10 code is read "with no system at all, as a
// Consent's code is", when "written as ICD-10 is". A three-character
// ICD-10 code is often written with a trailing dot (B20., Z21., F20.), and
// carex reads it as ICD-10 under its system (normCode drops the dot). With
// no system icd10Shaped refuses it (a dot with nothing after it), so
// Jane's HIV diagnosis, HIV-positive status and schizophrenia go to her
// district nurse. A Read v2 code is five characters (F20..), so four
// characters ending in one dot are no Read code. A regression of
// 6f1d943: with its "&& icd10Shaped(c.Code)" taken out (a temporary edit,
// reverted) this test passes.
func TestReview94aSystemlessICD10TrailingDotUnlabelled(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	withSys := r92cCondition("r94a-b20dot-sys", `{"system":"`+r94aICD10UK+`","code":"B20."}`)
	if got := r92cLeaks(t, e, nurse, withSys); len(got) != 0 {
		t.Fatalf("premise: B20. under ICD-10 UK is withheld from the nurse: %v", got)
	}
	items := [][2]string{
		r92cCondition("r94a-b20dot", `{"code":"B20.","display":"HIV disease"}`),
		r92cCondition("r94a-z21dot", `{"code":"Z21.","display":"Asymptomatic HIV infection status"}`),
		r92cCondition("r94a-f20dot", `{"code":"F20.","display":"Schizophrenia"}`),
	}
	if got := r92cLeaks(t, e, nurse, items...); len(got) > 0 {
		t.Errorf("LEAK: ICD-10 codes with no system written with a trailing dot reached the district nurse unlabelled: %v", got)
	}
}

// TestReview94aSoundSystemlessCodeWhitespaceRefused: icd10Shaped trims
// spaces (" B20" is ICD-10-shaped) while the code then looked up is
// normCode's, untrimmed, which no prefix meets (consent.Labels(" B20") is
// nil, checked in a scratch unit test); "B 20" is not shaped at all. None
// reaches Labels through the API: a code with leading, trailing or inner
// repeated whitespace is refused 422 as no valid FHIR code. "b20" (lower
// case) is labelled.
func TestReview94aSoundSystemlessCodeWhitespaceRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	for _, c := range []string{" B20", "Z31.3 ", `\tB20`} {
		it := r92cCondition("r94a-ws", `{"code":"`+c+`"}`)
		if w := e.do("PUT", it[0], gp, it[1]); w.status != 422 {
			t.Errorf("code %q: %d, want 422 %.200s", c, w.status, w.body)
		}
	}
	if got := r92cLeaks(t, e, e.token("district-nurse", "nhs", "RCX"), r92cCondition("r94a-lower", `{"code":"b20"}`)); len(got) != 0 {
		t.Errorf("b20 with no system reached the nurse: %v", got)
	}
}

// TestReview94aSystemlessICD10FiveCharsUndotted: README says a
// code with no system is ICD-10 when written "a letter, two digits, then
// at most a dot and four letters or digits": WHO ICD-10 F31.30 written
// without its dot (F3130: bipolar affective disorder, current episode
// mild depression) and ICD-10-CM F10.20 (alcohol dependence) as F1020
// fit it, and under an ICD-10 system both are labelled (PSY, ETH).
// icd10Shaped takes at most one character after the three when there is
// no dot, so both go to the district nurse. Either the README or the code
// is wrong. A regression of 6f1d943 (before it both were labelled: this
// test passes with the icd10Shaped condition taken out, edit reverted).
func TestReview94aSystemlessICD10FiveCharsUndotted(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	if got := r92cLeaks(t, e, nurse, r92cCondition("r94a-f3130-sys", `{"system":"`+r94aICD10UK+`","code":"F3130"}`)); len(got) != 0 {
		t.Fatalf("premise: F3130 under ICD-10 UK is withheld: %v", got)
	}
	items := [][2]string{
		r92cCondition("r94a-f3130", `{"code":"F3130","display":"Bipolar affective disorder, current episode mild or moderate depression"}`),
		r92cCondition("r94a-f1020", `{"code":"F1020","display":"Alcohol dependence, uncomplicated"}`),
	}
	if got := r92cLeaks(t, e, nurse, items...); len(got) > 0 {
		t.Errorf("DOC/LEAK: codes the README calls ICD-10-shaped (letter, two digits, no dot, two more) reached the district nurse unlabelled: %v", got)
	}
}

// TestReview94aSoundSystemlessOPCS4ReadAsICD10: the other side of the
// balance, documented. OPCS-4 procedure codes are written exactly as
// ICD-10 codes are (A52.1 therapeutic lumbar epidural injection, A55.9
// diagnostic spinal puncture, F34.1 bilateral tonsillectomy, F10.4
// extraction of multiple teeth); sent with no system they are read as
// ICD-10 A52 (syphilis: STD), F34 (PSY), F10 (ETH) and withheld from the
// hospital clinician (not their source). This predates 6f1d943 and follows the README's rule
// (ICD-10-shaped with no system is ICD-10; fail closed); the same codes
// under OPCS-4's system reach him. Checked: that is what happens.
func TestReview94aSoundSystemlessOPCS4ReadAsICD10(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("hospital-clinician", "nhs", "RHX") // (a district nurse sees no procedures)
	proc := func(id, coding string) [2]string {
		return [2]string{"/fhir/Procedure/" + id, `{"resourceType":"Procedure","id":"` + id + `","status":"completed","subject":{"reference":"Patient/jane"},"code":{"coding":[` + coding + `],"text":"R92C-` + id + `"}}`}
	}
	const opcs = "http://digital.nhs.uk/fhir/opcs-4"
	if got := r92cLeaks(t, e, nurse, proc("r94a-opcs-sys", `{"system":"`+opcs+`","code":"A52.1"}`)); len(got) != 1 {
		t.Fatalf("premise: OPCS-4 A52.1 under its system reaches the nurse: %v", got)
	}
	items := [][2]string{
		proc("r94a-opcs-a521", `{"code":"A52.1","display":"Therapeutic lumbar epidural injection"}`),
		proc("r94a-opcs-a559", `{"code":"A55.9","display":"Diagnostic spinal puncture"}`),
		proc("r94a-opcs-f341", `{"code":"F34.1","display":"Bilateral dissection tonsillectomy"}`),
		proc("r94a-opcs-f104", `{"code":"F10.4","display":"Extraction of multiple teeth"}`),
	}
	if got := r92cLeaks(t, e, nurse, items...); len(got) != 0 {
		t.Errorf("OPCS-4 codes with no system reached the hospital clinician (no longer read as ICD-10; the balance changed): %v", got)
	}
}

// r94aHerItem: Margaret (restricted, registered at A81001, RCX on her
// care team: r92aPerson) and an item of hers her practice writes; it
// returns what the district nurse and the practice read of it.
func r94aHerItem(t *testing.T, e *env, pid, path, body string) (nurse, gp resp) {
	t.Helper()
	r92aPerson(t, e, pid, `"name":[{"family":"Doyle"}]`)
	gpTok := e.token("system", "nhs", "A81001")
	e.putAll(t, gpTok, [2]string{path, body})
	nurse = e.do("GET", path, e.token("district-nurse", "nhs", "RCX"), "")
	if nurse.status != 200 {
		t.Fatalf("nurse read %s: %d %.300s", path, nurse.status, nurse.body)
	}
	return nurse, e.do("GET", path, e.token("gp", "nhs", "A81001"), "")
}

// TestReview94aSoundPersonReferenceTextGoesNeedsStay: in her Condition
// the display and the _display extension of a reference to her, to her
// carer (RelatedPerson) and by NHS number alone go, and so does a display
// on a reference's identifier's assigner; her subject reference, her
// carer's reference and the type stay, her own reference still resolves
// for the nurse (read, search, $everything, _history alike), and her
// practice (the source) reads every display.
func TestReview94aSoundPersonReferenceTextGoesNeedsStay(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	body := `{"resourceType":"Condition","id":"r94a-c1","code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}],"text":"Diabetes"},
		"subject":{"reference":"Patient/r94am1","display":"Margaret Doyle, 1 Hidden Lane LS9 7TF",
			"_display":{"extension":[{"url":"https://example.org/ext/x","valueString":"registered A81001"}]},
			"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000069","assigner":{"display":"Hidden Lane Surgery A81001"}}},
		"asserter":{"reference":"RelatedPerson/r94am1-carer","display":"Carer, lives with her at LS9 7TF"},
		"evidence":[{"detail":[{"type":"Patient","identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"},"display":"Mother, 1 Hidden Lane LS9 7TF"}]}]}`
	n, g := r94aHerItem(t, e, "r94am1", "/fhir/Condition/r94a-c1", body)
	if s := r90cLeaks(n.body); len(s) > 0 {
		t.Errorf("LEAK to the nurse: %v\n%.900s", s, n.body)
	}
	for _, keep := range []string{`"reference":"Patient/r94am1"`, `"reference":"RelatedPerson/r94am1-carer"`, `"9434765919"`, `"type":"Patient"`, `"9990000069"`} {
		if !strings.Contains(n.body, keep) {
			t.Errorf("LOST for the nurse: %s\n%.900s", keep, n.body)
		}
	}
	if r := e.do("GET", "/fhir/Patient/r94am1", e.token("district-nurse", "nhs", "RCX"), ""); r.status != 200 {
		t.Errorf("her subject reference does not resolve for the nurse: %d", r.status)
	}
	for _, p := range []string{"/fhir/Condition?patient=r94am1", "/fhir/Patient/r94am1/$everything", "/fhir/Condition/r94a-c1/_history"} {
		r := e.do("GET", p, e.token("district-nurse", "nhs", "RCX"), "")
		if r.status != 200 || !strings.Contains(r.body, "r94a-c1") {
			t.Errorf("%s: %d, no r94a-c1: %.300s", p, r.status, r.body)
		} else if s := r90cLeaks(r.body); len(s) > 0 {
			t.Errorf("LEAK to the nurse in %s: %v", p, s)
		}
	}
	for _, s := range []string{"1 Hidden Lane LS9 7TF", "registered A81001", "Hidden Lane Surgery A81001", "Carer, lives with her", "Mother, 1 Hidden Lane"} {
		if g.status != 200 || !strings.Contains(g.body, s) {
			t.Errorf("her practice (source) lost %q: %d %.600s", s, g.status, g.body)
		}
	}
}

// TestReview94aPersonReferenceIdentifierNamesHerPractice: her
// Patient keeps no identifier but the NHS number, since "a practice's own
// patient number names the practice, by its system and assigner"
// (README, review 21a). A reference to her by both (her literal reference
// carrying the practice's patient number, as a GP system's exports do)
// keeps that identifier in her Condition, system naming the practice
// (A81001), for the district nurse; by NHS number alone (no reference)
// the identifier of a place goes (placeReferenceText), a literal person
// reference keeps whatever identifier it carries.
func TestReview94aPersonReferenceIdentifierNamesHerPractice(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	body := `{"resourceType":"Condition","id":"r94a-c3","code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}],"text":"Diabetes"},
		"subject":{"reference":"Patient/r94am3","identifier":{"system":"https://hidden-lane-surgery.nhs.example/A81001/patient-number","value":"HL-4471"}}}`
	n, _ := r94aHerItem(t, e, "r94am3", "/fhir/Condition/r94a-c3", body)
	if p := e.do("GET", "/fhir/Patient/r94am3", e.token("district-nurse", "nhs", "RCX"), ""); strings.Contains(p.body, "hidden-lane-surgery") {
		t.Fatalf("premise: her Patient gives the nurse no practice number: %.400s", p.body)
	}
	if s := r90cLeaks(n.body); len(s) > 0 {
		t.Errorf("LEAK (judgement): her practice's patient number, on her own subject reference, reached the nurse: %v\n%.700s", s, n.body)
	}
}

// TestReview94aSoundPatientLinkDisplayGoes: in her Patient, a link to her
// other record and an extension naming her mother by NHS number lose
// display and _display; the references stay for the nurse.
func TestReview94aSoundPatientLinkDisplayGoes(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	r92aRelative(t, e, "r94aother", "9990000085")
	r92aPerson(t, e, "r94am5", `"name":[{"family":"Doyle"}],
		"link":[{"other":{"reference":"Patient/r94aother","display":"Her record at 1 Hidden Lane LS9 7TF",
			"_display":{"extension":[{"url":"https://example.org/ext/x","valueString":"registered A81001"}]}},"type":"seealso"}],
		"extension":[{"url":"https://example.org/ext/next-of-kin","valueReference":{"type":"Patient","identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"},
			"_display":{"extension":[{"url":"https://example.org/ext/x","valueString":"at LS9 7TF"}]}}}]`)
	r := e.do("GET", "/fhir/Patient/r94am5", e.token("district-nurse", "nhs", "RCX"), "")
	if r.status != 200 {
		t.Fatalf("nurse read: %d %.300s", r.status, r.body)
	}
	if s := r90cLeaks(r.body); len(s) > 0 {
		t.Errorf("LEAK: %v\n%.900s", s, r.body)
	}
	for _, keep := range []string{"Patient/r94aother", "9434765919"} {
		if !strings.Contains(r.body, keep) {
			t.Errorf("LOST for the nurse: %s\n%.900s", keep, r.body)
		}
	}
}

// TestReview94aSoundPersonReferenceFormsLoseDisplay: the display goes from
// a reference to her by absolute URL, by urn:uuid, to a contained
// RelatedPerson (#carer) and to a RelatedPerson by NHS number without a
// type; the references stay.
func TestReview94aSoundPersonReferenceFormsLoseDisplay(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	body := `{"resourceType":"Condition","id":"r94a-c6","code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}],"text":"Diabetes"},
		"contained":[{"resourceType":"RelatedPerson","id":"carer","patient":{"reference":"Patient/r94am6"},"name":[{"family":"Carer"}]}],
		"subject":{"reference":"Patient/r94am6"},
		"asserter":{"reference":"#carer","display":"Carer at LS9 7TF"},
		"evidence":[{"detail":[
			{"reference":"urn:uuid:6b0f1c1e-8a55-4d3e-9a57-3c1f3b0e6d11","display":"Her, registered A81001"},
			{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"},"display":"Mother at LS9 7TF"}]}]}`
	n, _ := r94aHerItem(t, e, "r94am6", "/fhir/Condition/r94a-c6", body)
	if s := r90cLeaks(n.body); len(s) > 0 {
		t.Errorf("LEAK: %v\n%.900s", s, n.body)
	}
	for _, keep := range []string{`"#carer"`, "urn:uuid:6b0f1c1e"} {
		if !strings.Contains(n.body, keep) {
			t.Errorf("LOST for the nurse: %s\n%.900s", keep, n.body)
		}
	}
}
