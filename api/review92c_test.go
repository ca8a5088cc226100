package api_test

// Review 92c: sensitive codes — does every place a code can sit get
// labelled on the way in? (SPEC §5 layer 4: labels derived on the way in
// from configured code lists, by default the four national "GP summary
// data sharing exclusion" SNOMED CT refsets, plus carex's seed codes for
// HIV and its ICD-10 chapters; README "The sharing decision".)
//
// The reader is the district nurse (RCX: a member of Jane's care team, no
// permit), or, for classes the nurse's role does not see, the hospital
// clinician (RHX: a source of Jane's data, no permit). The writer is the
// GP practice's system (A81001). An item withheld from the reader is a 404.

import (
	"strings"
	"testing"
)

const r92cHIV = `{"system":"http://snomed.info/sct","code":"86406008"}`

// r92cCondition is a Condition of Jane's coded with coding (JSON Coding
// objects, comma-separated), its text the marker R92C-<id>.
func r92cCondition(id, coding string) [2]string {
	return [2]string{"/fhir/Condition/" + id, `{"resourceType":"Condition","id":"` + id + `","subject":{"reference":"Patient/jane"},"code":{"coding":[` + coding + `],"text":"R92C-` + id + `"}}`}
}

// r92cLeaks writes each item as the GP practice's system and returns the
// paths the reader was given (200 with the item's marker).
func r92cLeaks(t *testing.T, e *env, reader string, items ...[2]string) []string {
	t.Helper()
	gp := e.token("system", "nhs", "A81001")
	var leaked []string
	for _, it := range items {
		if w := e.do("PUT", it[0], gp, it[1]); w.status != 200 && w.status != 201 {
			t.Fatalf("writing %s: %d %.300s", it[0], w.status, w.body)
		}
		if r := e.do("GET", it[0], reader, ""); r.status == 200 && strings.Contains(r.body, "R92C-") {
			leaked = append(leaked, it[0])
		} else if r.status != 404 {
			t.Errorf("%s: %d %.200s, want 200 or 404", it[0], r.status, r.body)
		}
	}
	return leaked
}

// TestReview92cICD10OtherAssistedFertilisationUnlabelled: ICD-10
// Z31.3 "Other assisted fertilization methods" (ICSI, GIFT, ZIFT…) is
// assisted fertilisation, legally restricted (HFEA s.33A): the refset
// labels its SNOMED CT twins (315954005 "[V]Other assisted fertilization
// methods", 225244002 ICSI, 236912008 GIFT) HFEA, and carex's ICD-10 seed
// labels Z31.1 and Z31.2. Z31.3 is not in the seed list
// (consent/default.policy: "code HFEA icd10 Z311* Z312*"), so a hospital's
// ICD-10-coded record of it goes to the district nurse, and to a stranger
// under break-glass, which SPEC §5 says never releases it.
func TestReview92cICD10OtherAssistedFertilisationUnlabelled(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	stranger := e.token("gp", "nhs", "Z99999")
	ivf := r92cCondition("icd-z312", `{"system":"http://hl7.org/fhir/sid/icd-10","code":"Z31.2"}`)
	other := r92cCondition("icd-z313", `{"system":"http://hl7.org/fhir/sid/icd-10","code":"Z31.3"}`)
	if got := r92cLeaks(t, e, nurse, ivf); len(got) != 0 {
		t.Fatalf("baseline: the IVF record (Z31.2) went to the nurse: %v", got)
	}
	if got := r92cLeaks(t, e, nurse, other); len(got) != 0 {
		t.Errorf("LEAK: Jane's assisted-fertilisation record coded ICD-10 Z31.3 went to the district nurse (Z31.2 is withheld): %v", got)
	}
	for _, p := range []string{ivf[0], other[0]} {
		if r := e.do("GET", p, stranger, "", "X-Break-Glass", bgReason); r.status == 200 {
			t.Errorf("LEAK: break-glass released the legally restricted %s: %.200s", p, r.body)
		}
	}
}

// TestReview92cICD10HIVCodesOutsideB20B24Unlabelled: ICD-10 codes
// an HIV status as more than B20–B24 and Z21: O98.7 "HIV disease
// complicating pregnancy, childbirth and the puerperium" (the code a
// maternity record of an HIV-positive woman carries), R75 "Inconclusive
// laboratory evidence of HIV", Z20.6 "Contact with and exposure to HIV",
// Z71.7 "HIV counselling". The refset labels their SNOMED CT twins STD
// (91923005 "AIDS virus infection associated with pregnancy", 315658006
// "[V]Contact with and exposure to HIV", 313077009 "HIV counseling"); the
// ICD-10 codes go to the district nurse unlabelled.
func TestReview92cICD10HIVCodesOutsideB20B24Unlabelled(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	if got := r92cLeaks(t, e, nurse, r92cCondition("icd-b20", `{"system":"http://hl7.org/fhir/sid/icd-10","code":"B20"}`)); len(got) != 0 {
		t.Fatalf("baseline: B20 went to the nurse: %v", got)
	}
	got := r92cLeaks(t, e, nurse,
		r92cCondition("icd-o987", `{"system":"http://hl7.org/fhir/sid/icd-10","code":"O98.7"}`),
		r92cCondition("icd-r75", `{"system":"http://hl7.org/fhir/sid/icd-10","code":"R75"}`),
		r92cCondition("icd-z206", `{"system":"http://hl7.org/fhir/sid/icd-10","code":"Z20.6"}`),
		r92cCondition("icd-z717", `{"system":"http://hl7.org/fhir/sid/icd-10-uk","code":"Z71.7"}`))
	if len(got) != 0 {
		t.Errorf("LEAK: HIV-coded ICD-10 records went to the district nurse: %v", got)
	}
}

// TestReview92cICD10AbortionOtherThanO04Unlabelled: ICD-10 codes a
// termination of pregnancy under O04 "Medical abortion" and also O05
// "Other abortion", O06 "Unspecified abortion" (induced abortion NOS) and
// O07 "Failed attempted abortion" (O07.0–O07.4: failed medical abortion).
// The refset labels their SNOMED CT twins SEX (156078009 "Failed attempted
// abortion", 198805006 "Unspecified abortion NOS", 49632008 "Illegally
// induced abortion"); carex's ICD-10 seed is O04 alone.
func TestReview92cICD10AbortionOtherThanO04Unlabelled(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	if got := r92cLeaks(t, e, nurse, r92cCondition("icd-o04", `{"system":"http://hl7.org/fhir/sid/icd-10","code":"O04.9"}`)); len(got) != 0 {
		t.Fatalf("baseline: O04.9 went to the nurse: %v", got)
	}
	got := r92cLeaks(t, e, nurse,
		r92cCondition("icd-o05", `{"system":"http://hl7.org/fhir/sid/icd-10","code":"O05.9"}`),
		r92cCondition("icd-o06", `{"system":"http://hl7.org/fhir/sid/icd-10","code":"O06.9"}`),
		r92cCondition("icd-o07", `{"system":"http://hl7.org/fhir/sid/icd-10","code":"O07.4"}`))
	if len(got) != 0 {
		t.Errorf("LEAK: terminations of pregnancy coded ICD-10 went to the district nurse: %v", got)
	}
}

// TestReview92cSystemlessICD10Unlabelled: a coding with no system
// holding a concept id is labelled as SNOMED CT would label it (review
// 51f), and the README says a Consent reads "a code with no system" as
// "the ICD-10 code it also matches" (review 79a). The labelling does not:
// {"code":"B20"} (HIV disease) or {"code":"Z21"} (asymptomatic HIV) goes to
// the district nurse, where {"code":"86406008"} is withheld.
func TestReview92cSystemlessICD10Unlabelled(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	if got := r92cLeaks(t, e, nurse, r92cCondition("nosys-sct", `{"code":"86406008"}`)); len(got) != 0 {
		t.Fatalf("baseline: a system-less SNOMED CT id went to the nurse: %v", got)
	}
	got := r92cLeaks(t, e, nurse,
		r92cCondition("nosys-b20", `{"code":"B20"}`),
		r92cCondition("nosys-z21", `{"code":"Z21"}`),
		r92cCondition("nosys-f640", `{"code":"F64.0","display":"Transsexualism"}`))
	if len(got) != 0 {
		t.Errorf("LEAK: system-less ICD-10 codes of HIV and gender identity went to the district nurse: %v", got)
	}
}

// TestReview92cICD10EditionsOtherThanWHOAndUKUnlabelled (a
// judgement): carex reads ICD-10 "in any edition" as clinical
// (ClinicalSystem) and matches a Consent's code for icd-10 and icd-10-uk
// alike, but labels only those two systems; B20 under
// http://hl7.org/fhir/sid/icd-10-cm (the edition a record from a US
// provider, or a GP2GP import of one, carries) goes out unlabelled. B20–B24
// mean HIV disease in every edition.
func TestReview92cICD10EditionsOtherThanWHOAndUKUnlabelled(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	got := r92cLeaks(t, e, nurse, r92cCondition("icdcm-b20", `{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"B20"}`))
	if len(got) != 0 {
		t.Errorf("LEAK: an ICD-10-CM HIV disease code went to the district nurse: %v", got)
	}
}

// TestReview92cHIVConceptsCarrySTDOnly: the README says "An HIV
// diagnosis therefore carries both HIV and STD, and a permit must name
// both". Only three seed concepts carry HIV (86406008, 165816005,
// 62479008); the refset's other HIV concepts (about 570, e.g. 91947003
// "Asymptomatic HIV infection", 40780007 "HIV I infection") carry STD
// alone. Jane's GP records her permit of STD data (a chlamydia
// diagnosis) to the hospital, naming STD only: her asymptomatic HIV
// infection goes to the hospital with it, while the same diagnosis coded
// 86406008 is (rightly) withheld.
func TestReview92cHIVConceptsCarrySTDOnly(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	e.putAll(t, gp,
		r92cCondition("asym-hiv", `{"system":"http://snomed.info/sct","code":"91947003","display":"Asymptomatic human immunodeficiency virus infection"}`),
		r92cCondition("hiv1", `{"system":"http://snomed.info/sct","code":"40780007","display":"Human immunodeficiency virus I infection"}`),
		r92cCondition("chlamydia", `{"system":"http://snomed.info/sct","code":"105629000","display":"Chlamydial infection"}`))
	permit := janeConsent("std-to-hosp", "2026-01-10", "OPTIN", `,"provision":{"type":"permit","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"PRCP"}]},"reference":{"reference":"Organization/RHX"}}],"securityLabel":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"STD"}]}`)
	if w := e.do("PUT", "/fhir/Consent/std-to-hosp", gp, permit); w.status != 201 {
		t.Fatalf("the GP's permit of STD data to the hospital: %d %.300s", w.status, w.body)
	}
	if r := e.do("GET", "/fhir/Condition/chlamydia", hosp, ""); r.status != 200 {
		t.Fatalf("baseline: the permitted chlamydia diagnosis: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Condition/hiv", hosp, ""); r.status != 404 {
		t.Fatalf("baseline: the HIV diagnosis coded 86406008 went under an STD-only permit: %d", r.status)
	}
	for _, id := range []string{"asym-hiv", "hiv1"} {
		if r := e.do("GET", "/fhir/Condition/"+id, hosp, ""); r.status == 200 {
			t.Errorf("LEAK: Condition/%s (an HIV diagnosis) went to the hospital under a permit naming STD alone; it carries no HIV label", id)
		}
	}
}

// TestReview92cSoundSnomedForms: SNOMED CT under a trailing slash, upper
// case, its OID, https, an edition URI as Coding.version or as the
// system, leading zeros, a post-coordinated expression naming an STD
// organism as a value, and an expression with its term: each withheld
// from the district nurse.
func TestReview92cSoundSnomedForms(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	got := r92cLeaks(t, e, nurse,
		r92cCondition("sct-slash", `{"system":"http://snomed.info/sct/","code":"86406008"}`),
		r92cCondition("sct-upper", `{"system":"HTTP://SNOMED.INFO/SCT","code":"86406008"}`),
		r92cCondition("sct-https", `{"system":"https://snomed.info/sct","code":"86406008"}`),
		r92cCondition("sct-oid", `{"system":"urn:oid:2.16.840.1.113883.6.96","code":"86406008"}`),
		r92cCondition("sct-ver", `{"system":"http://snomed.info/sct","version":"http://snomed.info/sct/83821000000107/version/20240101","code":"86406008"}`),
		r92cCondition("sct-edsys", `{"system":"http://snomed.info/sct/83821000000107/version/20240101","code":"86406008"}`),
		r92cCondition("sct-zero", `{"system":"http://snomed.info/sct","code":"0086406008"}`),
		r92cCondition("sct-pc", `{"system":"http://snomed.info/sct","code":"404684003:246075003=19030005"}`),
		r92cCondition("sct-term", `{"system":"http://snomed.info/sct","code":"86406008 |Human immunodeficiency virus infection|"}`),
		r92cCondition("icd-lower", `{"system":"http://hl7.org/fhir/sid/icd-10","code":"b20.1"}`),
		r92cCondition("icd-https", `{"system":"https://hl7.org/fhir/sid/icd-10-uk","code":"B20"}`),
		r92cCondition("icd-oid", `{"system":"urn:oid:2.16.840.1.113883.6.3","code":"Z21"}`))
	if len(got) != 0 {
		t.Errorf("went to the nurse: %v", got)
	}
}

// TestReview92cSoundElements: the HIV code anywhere in an item labels it:
// an Observation's component value, interpretation, method, a
// modifierExtension, a contained Condition, a DiagnosticReport's
// conclusionCode, a DocumentReference's context.event, a Composition
// section's code, an Encounter diagnosis's use, a form's answer, a
// relative's condition (FamilyMemberHistory: judged right, a mother's HIV
// says something of her child's), a Bundle inside a Bundle, inside a
// contained Bundle, and a label the source set under STU3's system, an OID
// or no system. Each withheld from the hospital clinician (who sees every
// class).
func TestReview92cSoundElements(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	obs := func(id, rest string) [2]string {
		return [2]string{"/fhir/Observation/" + id, `{"resourceType":"Observation","id":"` + id + `","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"R92C-` + id + `"}` + rest + `}`}
	}
	got := r92cLeaks(t, e, hosp,
		obs("comp", `,"component":[{"code":{"text":"x"},"valueCodeableConcept":{"coding":[`+r92cHIV+`]}}]`),
		obs("interp", `,"interpretation":[{"coding":[`+r92cHIV+`]}]`),
		obs("meth", `,"method":{"coding":[`+r92cHIV+`]}`),
		obs("mext", `,"modifierExtension":[{"url":"https://example.org/m","valueCodeableConcept":{"coding":[`+r92cHIV+`]}}]`),
		obs("contained", `,"contained":[{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/jane"},"code":{"coding":[`+r92cHIV+`]}}],"focus":[{"reference":"#c1"}]`),
		obs("stu3sec", `,"meta":{"security":[{"system":"http://hl7.org/fhir/v3/ActCode","code":"HIV"}]}`),
		obs("oidsec", `,"meta":{"security":[{"system":"urn:oid:2.16.840.1.113883.5.4","code":"HIV"}]}`),
		obs("nosyssec", `,"meta":{"security":[{"code":"HIV"}]}`),
		obs("conf-r", `,"meta":{"security":[{"system":"urn:oid:2.16.840.1.113883.5.25","code":"R"}]}`),
		[2]string{"/fhir/DiagnosticReport/dr", `{"resourceType":"DiagnosticReport","id":"dr","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"R92C-dr"},"conclusionCode":[{"coding":[` + r92cHIV + `]}]}`},
		[2]string{"/fhir/DocumentReference/docref", `{"resourceType":"DocumentReference","id":"docref","status":"current","subject":{"reference":"Patient/jane"},"type":{"text":"R92C-docref"},"context":{"event":[{"coding":[` + r92cHIV + `]}]},"content":[{"attachment":{"contentType":"text/plain","data":"aGVsbG8="}}]}`},
		[2]string{"/fhir/Composition/comp", `{"resourceType":"Composition","id":"comp","status":"final","subject":{"reference":"Patient/jane"},"type":{"text":"R92C-composition"},"date":"2025-01-01","author":[{"reference":"Organization/A81001"}],"title":"x","section":[{"code":{"coding":[` + r92cHIV + `]},"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"}}]}`},
		[2]string{"/fhir/Encounter/enc", `{"resourceType":"Encounter","id":"enc","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/jane"},"serviceType":{"text":"R92C-enc"},"diagnosis":[{"condition":{"reference":"Condition/diabetes"},"use":{"coding":[` + r92cHIV + `]}}]}`},
		[2]string{"/fhir/QuestionnaireResponse/qr", `{"resourceType":"QuestionnaireResponse","id":"qr","status":"completed","subject":{"reference":"Patient/jane"},"item":[{"linkId":"1","text":"R92C-qr","answer":[{"valueCoding":` + r92cHIV + `}]}]}`},
		[2]string{"/fhir/FamilyMemberHistory/fmh", `{"resourceType":"FamilyMemberHistory","id":"fmh","status":"completed","patient":{"reference":"Patient/jane"},"relationship":{"text":"mother"},"condition":[{"code":{"coding":[` + r92cHIV + `],"text":"R92C-fmh"}}]}`},
		[2]string{"/fhir/Bundle/bib", `{"resourceType":"Bundle","id":"bib","type":"collection","entry":[{"resource":{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[` + r92cHIV + `],"text":"R92C-bib"}}}]}}]}`},
		[2]string{"/fhir/Condition/contained-bundle", `{"resourceType":"Condition","id":"contained-bundle","subject":{"reference":"Patient/jane"},"code":{"text":"R92C-cb"},"contained":[{"resourceType":"Bundle","id":"b","type":"collection","entry":[{"resource":{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[` + r92cHIV + `]}}}]}}]}]}`})
	if len(got) != 0 {
		t.Errorf("went to the hospital clinician: %v", got)
	}
}

// TestReview92cSoundUpdatesAndHistory: a Condition created clean, updated
// to carry the HIV code, then updated clean again: the nurse reads v1
// and v3, never v2 (read, vread, instance, type and system history,
// $everything); a conditional update and a transaction entry are labelled
// as a PUT is.
func TestReview92cSoundUpdatesAndHistory(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	e.putAll(t, gp, [2]string{"/fhir/Condition/up", `{"resourceType":"Condition","id":"up","subject":{"reference":"Patient/jane"},"code":{"text":"R92C-UP-CLEAN1"}}`})
	if r := e.do("GET", "/fhir/Condition/up", nurse, ""); r.status != 200 {
		t.Fatalf("clean v1: %d", r.status)
	}
	e.putAll(t, gp, [2]string{"/fhir/Condition/up", `{"resourceType":"Condition","id":"up","subject":{"reference":"Patient/jane"},"code":{"coding":[` + r92cHIV + `],"text":"R92C-UP-HIV"}}`})
	if r := e.do("GET", "/fhir/Condition/up", nurse, ""); r.status != 404 {
		t.Errorf("v2 (HIV) read: %d", r.status)
	}
	e.putAll(t, gp, [2]string{"/fhir/Condition/up", `{"resourceType":"Condition","id":"up","subject":{"reference":"Patient/jane"},"code":{"text":"R92C-UP-CLEAN3"}}`})
	if r := e.do("GET", "/fhir/Condition/up/_history/2", nurse, ""); r.status != 404 {
		t.Errorf("vread of v2: %d", r.status)
	}
	for _, p := range []string{"/fhir/Condition/up/_history", "/fhir/Condition/_history", "/fhir/_history", "/fhir/Patient/jane/$everything", "/fhir/Condition?patient=jane"} {
		if r := e.do("GET", p, nurse, ""); r.status != 200 || strings.Contains(r.body, "R92C-UP-HIV") {
			t.Errorf("%s: %d, HIV version present: %v", p, r.status, strings.Contains(r.body, "R92C-UP-HIV"))
		}
	}
	cu := `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"identifier":[{"system":"https://example.org/c","value":"cu1"}],"code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"B20"}],"text":"R92C-CU"}}`
	if w := e.do("PUT", "/fhir/Condition?identifier=https://example.org/c|cu1", gp, cu); w.status != 201 {
		t.Fatalf("conditional update: %d %.200s", w.status, w.body)
	}
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:11111111-1111-1111-1111-111111111111","resource":{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[` + r92cHIV + `],"text":"R92C-TX"}},"request":{"method":"POST","url":"Condition"}}]}`
	if w := e.do("POST", "/fhir", gp, tx); w.status != 200 {
		t.Fatalf("transaction: %d %.200s", w.status, w.body)
	}
	if r := e.do("GET", "/fhir/Condition?patient=jane", nurse, ""); strings.Contains(r.body, "R92C-CU") || strings.Contains(r.body, "R92C-TX") {
		t.Errorf("conditional update or transaction entry went to the nurse: %.300s", r.body)
	}
}

// TestReview92cSoundReferencesToLabelledItemMasked: an unlabelled item
// naming the HIV diagnosis by reference (Encounter.diagnosis with a
// display, Procedure.reasonReference, List.entry) goes to the hospital
// clinician with the reference masked, its display too.
func TestReview92cSoundReferencesToLabelledItemMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	items := [][2]string{
		{"/fhir/Encounter/enc2", `{"resourceType":"Encounter","id":"enc2","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/jane"},"serviceType":{"text":"R92C-enc2"},"diagnosis":[{"condition":{"reference":"Condition/hiv","display":"R92C-DISPLAY-HIV"}}]}`},
		{"/fhir/Procedure/proc", `{"resourceType":"Procedure","id":"proc","status":"completed","subject":{"reference":"Patient/jane"},"code":{"text":"R92C-proc"},"reasonReference":[{"reference":"Condition/hiv"}]}`},
		{"/fhir/List/list", `{"resourceType":"List","id":"list","status":"current","mode":"working","subject":{"reference":"Patient/jane"},"title":"R92C-list","entry":[{"item":{"reference":"Condition/hiv"}}]}`},
	}
	e.putAll(t, gp, items...)
	for _, it := range items {
		r := e.do("GET", it[0], hosp, "")
		if r.status != 200 || strings.Contains(r.body, "Condition/hiv") || strings.Contains(r.body, "R92C-DISPLAY-HIV") || !strings.Contains(r.body, `"masked"`) {
			t.Errorf("%s: %d %.300s", it[0], r.status, r.body)
		}
	}
}
