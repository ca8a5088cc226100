package api_test

// Review 56c: the role layer — data classes per role (SPEC §1, §5 layer 1).
// The social worker sees no lab results or clinical notes; the IG officer
// no clinical data. These probes look for other types and elements that
// carry a class the role may not see.

import (
	"strings"
	"testing"
)

// swReads reads each path with the social worker's token and reports every
// one whose body carries marker.
func review56cReads(t *testing.T, e *env, tok, who, marker string, paths ...string) {
	t.Helper()
	for _, p := range paths {
		r := e.do("GET", p, tok, "")
		if strings.Contains(r.body, marker) {
			i := strings.Index(r.body, marker)
			lo := i - 150
			if lo < 0 {
				lo = 0
			}
			hi := i + 80
			if hi > len(r.body) {
				hi = len(r.body)
			}
			t.Errorf("%s GET %s: %d released %q: …%s…", who, p, r.status, marker, r.body[lo:hi])
		}
	}
}

// A DiagnosticReport whose category is a laboratory section of HL7 v2-0074
// (HM haematology, CH chemistry, MB microbiology: the same code system as
// LAB) is a lab result. Tagged care-plans by its source, it should still
// carry the observations class (README: "a laboratory result ... carries the
// observations class whatever its data-class tag").
func TestReview56cLabSectionReportTaggedCarePlansReachesSocialWorker(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	for _, sec := range []string{"HM", "CH", "MB"} {
		e.putAll(t, gpSys, [2]string{"/fhir/DiagnosticReport/rep-" + strings.ToLower(sec), `{"resourceType":"DiagnosticReport","id":"rep-` + strings.ToLower(sec) + `",` + classTag("care-plans") + `"status":"final",
		 "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0074","code":"` + sec + `"}]}],
		 "code":{"text":"LABSEC-` + sec + `-REPORT"},"subject":{"reference":"Patient/jane"},
		 "conclusion":"LABSEC-` + sec + `-CONCLUSION haemoglobin 85 g/L, low"}`})
	}
	sw := e.token("social-worker", "council", "E06000999")
	for _, sec := range []string{"HM", "CH", "MB"} {
		review56cReads(t, e, sw, "social worker", "LABSEC-"+sec+"-CONCLUSION",
			"/fhir/DiagnosticReport/rep-"+strings.ToLower(sec))
	}
	review56cReads(t, e, sw, "social worker", "LABSEC-", "/fhir/DiagnosticReport?patient=jane", "/fhir/Patient/jane/$everything")
	// Control: LAB itself stays withheld.
	e.putAll(t, gpSys, [2]string{"/fhir/DiagnosticReport/rep-lab", `{"resourceType":"DiagnosticReport","id":"rep-lab",` + classTag("care-plans") + `"status":"final",
	 "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0074","code":"LAB"}]}],
	 "code":{"text":"LABCTRL-REPORT"},"subject":{"reference":"Patient/jane"},"conclusion":"LABCTRL-CONCLUSION"}`})
	if r := e.do("GET", "/fhir/DiagnosticReport/rep-lab", sw, ""); r.status != 404 || strings.Contains(r.body, "LABCTRL") {
		t.Errorf("control: LAB report tagged care-plans to the social worker: %d %.200s", r.status, r.body)
	}
}

// An Observation of category laboratory written under the FHIR STU3 code
// system (http://hl7.org/fhir/observation-category, still sent by many
// feeds) or with no system, tagged social-care, is a lab result all the same.
func TestReview56cLabObservationOtherCategorySystemTaggedReachesSocialWorker(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	cats := map[string]string{
		"stu3":  `{"system":"http://hl7.org/fhir/observation-category","code":"laboratory"}`,
		"nosys": `{"code":"laboratory"}`,
	}
	for k, c := range cats {
		e.putAll(t, gpSys, [2]string{"/fhir/Observation/lab-" + k, `{"resourceType":"Observation","id":"lab-` + k + `",` + classTag("social-care") + `"status":"final",
		 "category":[{"coding":[` + c + `]}],
		 "code":{"coding":[{"system":"http://loinc.org","code":"718-7"}],"text":"LABOBS-` + k + ` Haemoglobin"},"subject":{"reference":"Patient/jane"},"valueQuantity":{"value":85,"unit":"g/L"}}`})
	}
	sw := e.token("social-worker", "council", "E06000999")
	for k := range cats {
		review56cReads(t, e, sw, "social worker", "LABOBS-"+k, "/fhir/Observation/lab-"+k)
	}
	review56cReads(t, e, sw, "social worker", "LABOBS-", "/fhir/Observation?patient=jane", "/fhir/Patient/jane/$everything")
}

// The same for a Flag of category lab without the flag-category system:
// a laboratory alert is not only safeguarding.
func TestReview56cLabFlagWithoutCategorySystemReachesSocialWorker(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, [2]string{"/fhir/Flag/labflag-nosys", `{"resourceType":"Flag","id":"labflag-nosys","status":"active",
	 "category":[{"coding":[{"code":"lab"}]}],
	 "code":{"text":"LABFLAG-NOSYS potassium 6.9 mmol/L critical"},"subject":{"reference":"Patient/jane"}}`})
	sw := e.token("social-worker", "council", "E06000999")
	review56cReads(t, e, sw, "social worker", "LABFLAG-NOSYS", "/fhir/Flag/labflag-nosys", "/fhir/Flag?patient=jane")
}

// Specimen and lab-type resources other than Observation/DiagnosticReport
// tagged care-plans by the GP (README: the tag wins for any type; only lab
// Observations and LAB reports keep observations). Recorded as a probe: a
// Specimen collected for an HIV viral load is lab content.
func TestReview56cSpecimenTaggedCarePlansReachesSocialWorker(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, [2]string{"/fhir/Specimen/spec1", `{"resourceType":"Specimen","id":"spec1",` + classTag("care-plans") + `
	 "type":{"text":"SPECIMEN-TAGGED venous blood for viral load"},"subject":{"reference":"Patient/jane"},
	 "note":[{"text":"SPECIMEN-TAGGED-NOTE haemolysed, repeat"}]}`})
	sw := e.token("social-worker", "council", "E06000999")
	review56cReads(t, e, sw, "social worker", "SPECIMEN-TAGGED", "/fhir/Specimen/spec1", "/fhir/Specimen?patient=jane")
}

// Sound: untagged types carrying lab results or clinical notes stay away
// from the social worker, and from the IG officer.
func TestReview56cSoundUntaggedClinicalTypesWithheld(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Observation/lab-u", `{"resourceType":"Observation","id":"lab-u","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],"code":{"text":"SND-LAB-OBS"},"subject":{"reference":"Patient/jane"}}`},
		[2]string{"/fhir/Observation/vit-u", `{"resourceType":"Observation","id":"vit-u","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],"code":{"text":"SND-VITAL-OBS"},"subject":{"reference":"Patient/jane"}}`},
		[2]string{"/fhir/Observation/nocat-u", `{"resourceType":"Observation","id":"nocat-u","status":"final","code":{"text":"SND-NOCAT-OBS"},"subject":{"reference":"Patient/jane"}}`},
		[2]string{"/fhir/DiagnosticReport/dr-u", `{"resourceType":"DiagnosticReport","id":"dr-u","status":"final","code":{"text":"SND-DR"},"subject":{"reference":"Patient/jane"},"result":[{"reference":"Observation/lab-u","display":"SND-RESULTDISPLAY"}],"conclusion":"SND-DR-CONCLUSION","presentedForm":[{"contentType":"text/plain","data":"U05ELVBSRVNFTlRFRA=="}]}`},
		[2]string{"/fhir/ClinicalImpression/ci-u", `{"resourceType":"ClinicalImpression","id":"ci-u","status":"completed","subject":{"reference":"Patient/jane"},"summary":"SND-CLINIMP"}`},
		[2]string{"/fhir/QuestionnaireResponse/qr-u", `{"resourceType":"QuestionnaireResponse","id":"qr-u","status":"completed","subject":{"reference":"Patient/jane"},"item":[{"linkId":"1","text":"SND-PHQ9","answer":[{"valueString":"SND-PHQ9-ANSWER"}]}]}`},
		[2]string{"/fhir/DocumentReference/doc-u", `{"resourceType":"DocumentReference","id":"doc-u","status":"current","type":{"text":"SND-CLINICAL-NOTE"},"subject":{"reference":"Patient/jane"},"content":[{"attachment":{"contentType":"text/plain","data":"U05ELU5PVEU="}}]}`},
		[2]string{"/fhir/Composition/comp-u", `{"resourceType":"Composition","id":"comp-u","status":"final","type":{"text":"SND-DISCHARGE-SUMMARY"},"subject":{"reference":"Patient/jane"},"date":"2025-03-09","author":[{"reference":"Organization/A81001"}],"title":"SND-COMP-TITLE"}`},
		[2]string{"/fhir/Communication/comm-u", `{"resourceType":"Communication","id":"comm-u","status":"completed","subject":{"reference":"Patient/jane"},"payload":[{"contentString":"SND-COMM-PAYLOAD"}]}`},
		[2]string{"/fhir/RiskAssessment/ra-u", `{"resourceType":"RiskAssessment","id":"ra-u","status":"final","subject":{"reference":"Patient/jane"},"mitigation":"SND-RISK"}`},
		[2]string{"/fhir/FamilyMemberHistory/fmh-u", `{"resourceType":"FamilyMemberHistory","id":"fmh-u","status":"completed","patient":{"reference":"Patient/jane"},"relationship":{"text":"mother"},"condition":[{"code":{"text":"SND-FMH"}}]}`},
		[2]string{"/fhir/List/list-u", `{"resourceType":"List","id":"list-u","status":"current","mode":"working","title":"SND-LIST","subject":{"reference":"Patient/jane"},"entry":[{"item":{"reference":"Observation/lab-u","display":"SND-LIST-ENTRY"}}]}`},
		[2]string{"/fhir/Bundle/bun-u", `{"resourceType":"Bundle","id":"bun-u","type":"collection","entry":[{"fullUrl":"urn:uuid:11111111-1111-4111-8111-111111111111","resource":{"resourceType":"Observation","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],"code":{"text":"SND-BUNDLED-LAB"},"subject":{"reference":"Patient/jane"}}}]}`},
		[2]string{"/fhir/CarePlan/cp-lab", `{"resourceType":"CarePlan","id":"cp-lab","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"SND-CP-WITH-REPORT","contained":[{"resourceType":"DiagnosticReport","id":"r","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0074","code":"LAB"}]}],"code":{"text":"SND-CONTAINED-REPORT"}}],"supportingInfo":[{"reference":"#r"}]}`},
		[2]string{"/fhir/Condition/cond-ev", `{"resourceType":"Condition","id":"cond-ev","subject":{"reference":"Patient/jane"},"code":{"text":"anaemia"},"evidence":[{"detail":[{"reference":"Observation/lab-u","display":"SND-EVIDENCE-DISPLAY Hb 85"}]}]}`},
	)
	e.putAll(t, hosp,
		[2]string{"/fhir/Encounter/enc-lab", `{"resourceType":"Encounter","id":"enc-lab","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/jane"},"contained":[{"resourceType":"Observation","id":"o","status":"final","code":{"text":"SND-ENC-CONTAINED-OBS"}}],"reasonReference":[{"reference":"#o"}]}`},
	)
	sw := e.token("social-worker", "council", "E06000999")
	ig := e.token("ig-officer", "nhs", "A81001")
	paths := []string{"/fhir/Observation/lab-u", "/fhir/Observation/vit-u", "/fhir/Observation/nocat-u", "/fhir/DiagnosticReport/dr-u",
		"/fhir/ClinicalImpression/ci-u", "/fhir/QuestionnaireResponse/qr-u", "/fhir/DocumentReference/doc-u", "/fhir/Composition/comp-u",
		"/fhir/Communication/comm-u", "/fhir/RiskAssessment/ra-u", "/fhir/FamilyMemberHistory/fmh-u", "/fhir/List/list-u", "/fhir/Bundle/bun-u",
		"/fhir/CarePlan/cp-lab", "/fhir/Encounter/enc-lab", "/fhir/Condition/cond-ev", "/fhir/Observation/lab-u/_history",
		"/fhir/Patient/jane/$everything", "/fhir/Observation?patient=jane", "/fhir/Patient?_id=jane&_revinclude=Observation:patient",
		"/fhir/Condition?patient=jane&_include=Condition:evidence-detail", "/fhir/DiagnosticReport?patient=jane&_include=DiagnosticReport:result",
		"/fhir/CarePlan?patient=jane", "/fhir/Encounter?patient=jane"}
	review56cReads(t, e, sw, "social worker", "SND-", paths...)
	review56cReads(t, e, ig, "IG officer", "SND-", paths...)
	review56cReads(t, e, ig, "IG officer", "anaemia", paths...)
	review56cReads(t, e, ig, "IG officer", "GP-DIABETES", paths...)
	// The social worker still sees admissions and her care plans.
	if r := e.do("GET", "/fhir/Encounter/admission", sw, ""); r.status != 200 {
		t.Errorf("social worker reading an admission: %d %.200s", r.status, r.body)
	}
}
