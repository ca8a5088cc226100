package api_test

// Review 65a: re-read of 5a29779 and f6ebb53 (reviews 64a, 64b fixes),
// regressions only. Differential runs against f643cf0 noted per probe.

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

const r65aHIV = `{"system":"http://snomed.info/sct","code":"86406008","display":"Human immunodeficiency virus infection"}`

func r65aPut(t *testing.T, e *env, tok, path, body string) {
	t.Helper()
	if r := e.do("PUT", path, tok, body); r.status != 200 && r.status != 201 {
		t.Fatalf("PUT %s: %d %.400s", path, r.status, r.body)
	}
}

func r65aSnip(body, at string) string {
	if i := strings.Index(body, at); i >= 0 {
		return body[max(0, i-160):min(len(body), i+len(at)+160)]
	}
	return body[:min(len(body), 300)]
}

func r65aForm(id, q, items string) string {
	return `{"resourceType":"QuestionnaireResponse","id":"` + id + `","status":"completed","questionnaire":"` + q + `","subject":{"reference":"Patient/jane"},"authored":"2026-01-02","item":` + items + `}`
}

func r65aOpt(code, disp string) string {
	return `{"valueCoding":{"system":"http://snomed.info/sct","code":"` + code + `","display":"` + disp + `"}}`
}

// --- (2) withoutOffers -------------------------------------------------

// TestReview65aFormEnableWhenAnswerCodingFalseHIV: a medical-history
// questionnaire offers asthma, diabetes and HIV as answers to question 1
// (answerOption: not read since 63a) and asks question 2 ("Are you taking
// your medicines daily?", uncoded) only when question 1's answer is HIV
// (enableWhen.answerCoding). The enableWhen's answerCoding is the same
// offer restated as a condition; withoutOffers keeps it, so Jane's form
// answering "asthma" alone is labelled HIV and withheld from the hospital
// — 63a's false label back through the condition.
func TestReview65aFormEnableWhenAnswerCodingFalseHIV(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	r65aPut(t, e, gpSys, "/fhir/Questionnaire/r65a-ew", `{"resourceType":"Questionnaire","id":"r65a-ew","status":"active","title":"Medical history",`+
		`"item":[{"linkId":"1","text":"Which of these have you had?","type":"choice","answerOption":[`+r65aOpt("195967001", "Asthma")+`,`+r65aOpt("44054006", "Diabetes")+`,`+r65aOpt("86406008", "HIV infection")+`]},`+
		`{"linkId":"2","text":"Are you taking your medicines daily?","type":"boolean","enableWhen":[{"question":"1","operator":"=","answerCoding":`+r65aHIV+`}]}]}`)
	r65aPut(t, e, gpSys, "/fhir/QuestionnaireResponse/r65a-ew-jane", r65aForm("r65a-ew-jane", "Questionnaire/r65a-ew", `[{"linkId":"1","answer":[`+r65aOpt("195967001", "Asthma")+`]}]`))
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/QuestionnaireResponse/r65a-ew-jane", hosp, ""); r.status != 200 {
		t.Errorf("Jane's medical-history form answering only \"asthma\" is withheld from the hospital (labelled HIV from the Questionnaire's enableWhen.answerCoding): %d %s", r.status, r65aSnip(r.body, "diagnostics"))
	}
	if r := e.do("GET", "/fhir/QuestionnaireResponse?patient=jane", hosp, ""); !strings.Contains(r.body, "r65a-ew-jane") {
		t.Errorf("search: the asthma form is absent for the hospital: %d", r.status)
	}
}

// TestReview65aFormContainedValueSetOffersFalseHIV: the same questionnaire
// giving its answers by a contained ValueSet (answerValueSet "#opts",
// whose expansion lists asthma, diabetes, HIV) rather than answerOption.
// withoutOffers drops answerOption and initial only, so the contained
// value set's offers label every form answering it HIV.
func TestReview65aFormContainedValueSetOffersFalseHIV(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	r65aPut(t, e, gpSys, "/fhir/Questionnaire/r65a-vs", `{"resourceType":"Questionnaire","id":"r65a-vs","status":"active","title":"Medical history",`+
		`"contained":[{"resourceType":"ValueSet","id":"opts","status":"active","expansion":{"timestamp":"2026-01-01T00:00:00Z","contains":[`+
		`{"system":"http://snomed.info/sct","code":"195967001","display":"Asthma"},{"system":"http://snomed.info/sct","code":"44054006","display":"Diabetes"},{"system":"http://snomed.info/sct","code":"86406008","display":"HIV infection"}]}}],`+
		`"item":[{"linkId":"1","text":"Which of these have you had?","type":"choice","answerValueSet":"#opts"}]}`)
	r65aPut(t, e, gpSys, "/fhir/QuestionnaireResponse/r65a-vs-jane", r65aForm("r65a-vs-jane", "Questionnaire/r65a-vs", `[{"linkId":"1","answer":[`+r65aOpt("195967001", "Asthma")+`]}]`))
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/QuestionnaireResponse/r65a-vs-jane", hosp, ""); r.status != 200 {
		t.Errorf("Jane's form answering only \"asthma\" from a contained answer ValueSet is withheld from the hospital (labelled HIV by the offers): %d %s", r.status, r65aSnip(r.body, "diagnostics"))
	}
}

// TestReview65aSoundFormChosenOfferStillRead: the answer Jane chose is the
// form's own coding: a form choosing HIV from answerOption, or whose
// answer copies the question's initial HIV coding, is withheld from the
// hospital; a form answering an answerValueSet naming an external HIV
// value set by url with the HIV coding too.
func TestReview65aSoundFormChosenOfferStillRead(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	r65aPut(t, e, gpSys, "/fhir/Questionnaire/r65a-ch", `{"resourceType":"Questionnaire","id":"r65a-ch","status":"active",`+
		`"item":[{"linkId":"1","text":"Which?","type":"choice","answerOption":[`+r65aOpt("195967001", "Asthma")+`,`+r65aOpt("86406008", "HIV infection")+`]},`+
		`{"linkId":"2","text":"Diagnosis","type":"choice","initial":[{"valueCoding":`+r65aHIV+`}]},`+
		`{"linkId":"3","text":"Condition","type":"choice","answerValueSet":"https://gp.example/fhir/ValueSet/hiv-conditions"}]}`)
	forms := map[string]string{
		"r65a-ch-opt":  `[{"linkId":"1","answer":[{"valueCoding":` + r65aHIV + `}]}]`,
		"r65a-ch-init": `[{"linkId":"2","answer":[{"valueCoding":` + r65aHIV + `}]}]`,
		"r65a-ch-avs":  `[{"linkId":"3","answer":[{"valueCoding":` + r65aHIV + `}]}]`,
	}
	for id, items := range forms {
		r65aPut(t, e, gpSys, "/fhir/QuestionnaireResponse/"+id, r65aForm(id, "Questionnaire/r65a-ch", items))
	}
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for id := range forms {
		if r := e.do("GET", "/fhir/QuestionnaireResponse/"+id, hosp, ""); r.status != 404 {
			t.Errorf("%s: form choosing HIV reached the hospital: %d", id, r.status)
		}
	}
}

// --- (3) definitionNames / definitionCodes through actions --------------

// TestReview65aCarePlanOfLongRoutinePathwayLabelledR: the practice's
// routine diabetes annual-review pathway (a PlanDefinition of 40 actions,
// each naming its own ActivityDefinition: foot check, eye screening, HbA1c
// …, none sensitive). Since f6ebb53 definitionCodes follows a pathway's
// actions, and the 33rd distinct name read labels the item R: Jane's care
// plan instantiating the one pathway is released to its source alone, and
// the pathway itself (a definition, labelled by what its actions name) too.
// At f643cf0 the care plan named one definition and was released.
func TestReview65aCarePlanOfLongRoutinePathwayLabelledR(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	var actions []string
	for i := 0; i < 40; i++ {
		id := fmt.Sprintf("r65a-ad%02d", i)
		r65aPut(t, e, gpSys, "/fhir/ActivityDefinition/"+id, `{"resourceType":"ActivityDefinition","id":"`+id+`","url":"https://gp.example/fhir/ActivityDefinition/`+id+`","status":"active","title":"Annual review step `+id+`",`+
			`"code":{"coding":[{"system":"http://snomed.info/sct","code":"401191002","display":"Diabetic foot examination"}]}}`)
		actions = append(actions, `{"title":"step `+id+`","definitionCanonical":"https://gp.example/fhir/ActivityDefinition/`+id+`"}`)
	}
	r65aPut(t, e, gpSys, "/fhir/PlanDefinition/r65a-pd", `{"resourceType":"PlanDefinition","id":"r65a-pd","url":"https://gp.example/fhir/PlanDefinition/r65a-pd","status":"active","title":"Diabetes annual review",`+
		`"action":[`+strings.Join(actions, ",")+`]}`)
	r65aPut(t, e, gpSys, "/fhir/CarePlan/r65a-cp", `{"resourceType":"CarePlan","id":"r65a-cp","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"R65A-CP",`+
		`"instantiatesCanonical":["https://gp.example/fhir/PlanDefinition/r65a-pd"]}`)
	// control: the same pathway cut to its first 30 steps
	r65aPut(t, e, gpSys, "/fhir/PlanDefinition/r65a-pd30", `{"resourceType":"PlanDefinition","id":"r65a-pd30","url":"https://gp.example/fhir/PlanDefinition/r65a-pd30","status":"active","title":"Diabetes annual review (short)",`+
		`"action":[`+strings.Join(actions[:30], ",")+`]}`)
	r65aPut(t, e, gpSys, "/fhir/CarePlan/r65a-cp30", `{"resourceType":"CarePlan","id":"r65a-cp30","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"R65A-CP30",`+
		`"instantiatesCanonical":["https://gp.example/fhir/PlanDefinition/r65a-pd30"]}`)
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/CarePlan/r65a-cp30", hosp, ""); r.status != 200 {
		t.Errorf("control: the 30-step pathway's care plan is withheld from the hospital: %d", r.status)
	}
	if r := e.do("GET", "/fhir/CarePlan/r65a-cp", e.token("gp", "nhs", "A81001"), ""); r.status != 200 {
		t.Fatalf("premise: the practice reads its care plan: %d", r.status)
	}
	for name, tok := range map[string]string{"hospital-clinician RHX": hosp, "district-nurse RCX": nurse} {
		if r := e.do("GET", "/fhir/CarePlan/r65a-cp", tok, ""); r.status != 200 {
			t.Errorf("%s: Jane's routine diabetes care plan (instantiating one 40-step pathway) is withheld: %d %s", name, r.status, r65aSnip(r.body, "diagnostics"))
		}
	}
	if r := e.do("GET", "/fhir/PlanDefinition/r65a-pd", hosp, ""); r.status != 200 {
		t.Errorf("the routine 40-step pathway itself is withheld from the hospital: %d", r.status)
	}
}

// TestReview65aSoundPathwayCycles: a pathway whose action names itself,
// and two pathways naming each other, are read once each: the care plan
// instantiating them is written promptly and reaches the hospital; an HIV
// activity behind the cycle still labels it.
func TestReview65aSoundPathwayCycles(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	pd := func(id, next, code string) string {
		return `{"resourceType":"PlanDefinition","id":"` + id + `","url":"https://gp.example/fhir/PlanDefinition/` + id + `","status":"active","title":"T-` + id + `",` +
			`"action":[{"title":"next","definitionCanonical":"https://gp.example/fhir/PlanDefinition/` + next + `"}` +
			func() string {
				if code == "" {
					return ""
				}
				return `,{"title":"c","code":[{"coding":[` + code + `]}]}`
			}() + `]}`
	}
	r65aPut(t, e, gpSys, "/fhir/PlanDefinition/r65a-self", pd("r65a-self", "r65a-self", ""))
	r65aPut(t, e, gpSys, "/fhir/PlanDefinition/r65a-a", pd("r65a-a", "r65a-b", ""))
	r65aPut(t, e, gpSys, "/fhir/PlanDefinition/r65a-b", pd("r65a-b", "r65a-a", ""))
	r65aPut(t, e, gpSys, "/fhir/PlanDefinition/r65a-a", pd("r65a-a", "r65a-b", "")) // again, now that b is stored
	r65aPut(t, e, gpSys, "/fhir/PlanDefinition/r65a-h1", pd("r65a-h1", "r65a-h2", ""))
	r65aPut(t, e, gpSys, "/fhir/PlanDefinition/r65a-h2", pd("r65a-h2", "r65a-h1", r65aHIV))
	start := time.Now()
	for _, c := range [][2]string{{"r65a-cp-self", "r65a-self"}, {"r65a-cp-ab", "r65a-a"}, {"r65a-cp-h", "r65a-h1"}} {
		r65aPut(t, e, gpSys, "/fhir/CarePlan/"+c[0], `{"resourceType":"CarePlan","id":"`+c[0]+`","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"R65A",`+
			`"instantiatesCanonical":["https://gp.example/fhir/PlanDefinition/`+c[1]+`"]}`)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("three care plans of cyclic pathways took %v", d)
	}
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for id, want := range map[string]int{"r65a-cp-self": 200, "r65a-cp-ab": 200, "r65a-cp-h": 404} {
		if r := e.do("GET", "/fhir/CarePlan/"+id, hosp, ""); r.status != want {
			t.Errorf("%s: %d, want %d", id, r.status, want)
		}
	}
	for id, want := range map[string]int{"r65a-self": 200, "r65a-a": 200, "r65a-b": 200} {
		if r := e.do("GET", "/fhir/PlanDefinition/"+id, hosp, ""); r.status != want {
			t.Errorf("PlanDefinition/%s: %d, want %d", id, r.status, want)
		}
	}
}

// --- (1) Slot / Schedule ------------------------------------------------

// TestReview65aSoundRoutineSlotsAndSchedules: the practice's routine
// clinic Schedule (actor a Practitioner) and Slot (service type general
// practice) are not labelled: every reader that sees appointments gets
// Jane's appointment with its slot reference intact, and the Slot and
// Schedule themselves. A Schedule whose actor is Jane is hers: the
// practice reads it, a reader outside her relationships does not.
func TestReview65aSoundRoutineSlotsAndSchedules(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	gp := `{"coding":[{"system":"http://snomed.info/sct","code":"394814009","display":"General practice"}]}`
	r65aPut(t, e, gpSys, "/fhir/Schedule/r65a-sch", `{"resourceType":"Schedule","id":"r65a-sch","active":true,"serviceType":[`+gp+`],"actor":[{"reference":"Practitioner/r65a-dr"}],"comment":"R65A-SCH"}`)
	r65aPut(t, e, gpSys, "/fhir/Slot/r65a-slot", `{"resourceType":"Slot","id":"r65a-slot","status":"busy","serviceType":[`+gp+`],"schedule":{"reference":"Schedule/r65a-sch"},"start":"2026-03-02T10:00:00Z","end":"2026-03-02T10:10:00Z","comment":"R65A-SLOT"}`)
	r65aPut(t, e, gpSys, "/fhir/Appointment/r65a-appt", `{"resourceType":"Appointment","id":"r65a-appt","status":"booked","description":"R65A-APPT","serviceType":[`+gp+`],"start":"2026-03-02T10:00:00Z","end":"2026-03-02T10:10:00Z",`+
		`"slot":[{"reference":"Slot/r65a-slot"}],"participant":[{"actor":{"reference":"Patient/jane"},"status":"accepted"}]}`)
	r65aPut(t, e, gpSys, "/fhir/Schedule/r65a-psch", `{"resourceType":"Schedule","id":"r65a-psch","active":true,"serviceType":[`+gp+`],"actor":[{"reference":"Patient/jane"}],"comment":"R65A-PSCH"}`)
	readers := map[string]string{
		"gp A81001":              e.token("gp", "nhs", "A81001"),
		"district-nurse RCX":     e.token("district-nurse", "nhs", "RCX"),
		"hospital-clinician RHX": e.token("hospital-clinician", "nhs", "RHX"),
		"social-worker":          e.token("social-worker", "council", "E06000999"),
	}
	for name, tok := range readers {
		r := e.do("GET", "/fhir/Appointment/r65a-appt", tok, "")
		t.Logf("%s: appointment %d", name, r.status)
		if r.status == 200 && !strings.Contains(r.body, `"Slot/r65a-slot"`) {
			t.Errorf("%s: the routine appointment's slot reference is masked: %s", name, r65aSnip(r.body, `"slot"`))
		}
		if name != "social-worker" && r.status != 200 {
			t.Errorf("%s: routine appointment withheld: %d %s", name, r.status, r65aSnip(r.body, "diagnostics"))
		}
		for _, p := range []string{"/fhir/Slot/r65a-slot", "/fhir/Schedule/r65a-sch"} {
			if r := e.do("GET", p, tok, ""); r.status != 200 {
				t.Errorf("%s: routine %s withheld: %d %s", name, p, r.status, r65aSnip(r.body, "diagnostics"))
			}
		}
		inc := e.do("GET", "/fhir/Appointment?patient=jane&_include=Appointment:slot", tok, "")
		if strings.Contains(inc.body, "R65A-APPT") && !strings.Contains(inc.body, "R65A-SLOT") {
			t.Errorf("%s: _include of the routine slot dropped it: %s", name, r65aSnip(inc.body, "R65A-APPT"))
		}
	}
	if r := e.do("GET", "/fhir/Schedule/r65a-psch", readers["gp A81001"], ""); r.status != 200 {
		t.Errorf("the practice reads Jane's own Schedule: %d %s", r.status, r65aSnip(r.body, "diagnostics"))
	}
	if r := e.do("GET", "/fhir/Schedule/r65a-psch", e.token("gp", "nhs", "Y99999"), ""); r.status == 200 {
		t.Errorf("a GP with no relationship with Jane reads her Schedule: %d", r.status)
	}
}

// --- (4) maskref uriKeys: questionnaire, definitionCanonical ------------

// TestReview65aSoundFormQuestionnaireNotMaskedWhenPlain: a form naming a
// plain stored Questionnaire (by id and by canonical) or an external url
// keeps its questionnaire for each reader that reads it; a ChargeItem's
// definitionCanonical naming a plain ChargeItemDefinition too.
func TestReview65aSoundFormQuestionnaireNotMaskedWhenPlain(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	r65aPut(t, e, gpSys, "/fhir/Questionnaire/r65a-mob", `{"resourceType":"Questionnaire","id":"r65a-mob","url":"https://gp.example/fhir/Questionnaire/r65a-mob","status":"active","title":"Mobility",`+
		`"item":[{"linkId":"1","text":"Can you climb stairs?","type":"boolean"}]}`)
	qs := map[string]string{
		"r65a-m-id":  "Questionnaire/r65a-mob",
		"r65a-m-url": "https://gp.example/fhir/Questionnaire/r65a-mob",
		"r65a-m-ext": "https://forms.nhs.example/fhir/Questionnaire/frailty-v3",
	}
	for id, q := range qs {
		r65aPut(t, e, gpSys, "/fhir/QuestionnaireResponse/"+id, r65aForm(id, q, `[{"linkId":"1","answer":[{"valueBoolean":true}]}]`))
	}
	readers := map[string]string{
		"gp A81001":              e.token("gp", "nhs", "A81001"),
		"district-nurse RCX":     e.token("district-nurse", "nhs", "RCX"),
		"hospital-clinician RHX": e.token("hospital-clinician", "nhs", "RHX"),
		"social-worker":          e.token("social-worker", "council", "E06000999"),
	}
	for name, tok := range readers {
		for id, q := range qs {
			r := e.do("GET", "/fhir/QuestionnaireResponse/"+id, tok, "")
			t.Logf("%s: %s %d", name, id, r.status)
			if r.status == 200 && !strings.Contains(r.body, `"questionnaire":"`+q+`"`) {
				t.Errorf("%s: %s: the plain form's questionnaire %q is masked: %s", name, id, q, r65aSnip(r.body, `"questionnaire"`))
			}
		}
	}
	if r := e.do("GET", "/fhir/QuestionnaireResponse/r65a-m-id", readers["hospital-clinician RHX"], ""); r.status != 200 {
		t.Errorf("hospital: plain form withheld: %d", r.status)
	}
}
func r65aObs(id, ext string) string {
	return `{"resourceType":"Observation","id":"` + id + `","status":"final","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}],"text":"R65A-BP"},"effectiveDateTime":"2026-01-05",` +
		`"extension":[{"url":"https://device.example/config","valueString":` + ext + `}]}`
}

// TestReview65aJSONConfigNamingDeviceFalseHIVLabel: a blood pressure
// reading whose device configuration (JSON) names the device it is for
// as {"resourceType":"Device","id":"bp1"} and polls every 86406008 ms.
// 63a's fix left such JSON unread (not a resource at its top); since
// f6ebb53 a resource at any depth makes the whole string attached text,
// and its numbers are read as codes: the reading is labelled HIV.
func TestReview65aJSONConfigNamingDeviceFalseHIVLabel(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	cfg := r64aQuote(`{"device":{"resourceType":"Device","id":"bp1"},"pollIntervalMs":86406008,"retries":3}`)
	r65aPut(t, e, gpSys, "/fhir/Observation/r65a-cfg", r65aObs("r65a-cfg", cfg))
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Observation/r65a-cfg", hosp, ""); r.status != 200 {
		t.Errorf("a blood pressure whose device configuration JSON names a Device and holds 86406008 is withheld from the hospital (labelled HIV): %d %s", r.status, r65aSnip(r.body, "diagnostics"))
	}
}

// TestReview65aXMLNoteMentioningFHIRFalseHIVLabel: a note that is an XML
// fragment mentioning the FHIR site (an XHTML narrative linking the FHIR
// spec; a device's XML settings with an hl7.org/fhir namespace) holding a
// number that is a refset code is read as FHIR XML.
func TestReview65aXMLNoteMentioningFHIRFalseHIVLabel(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	cases := map[string]string{
		"r65a-xhtml":  r64aQuote(`<div xmlns="http://www.w3.org/1999/xhtml"><p>Export per http://hl7.org/fhir/R4/observation.html, device serial 86406008</p></div>`),
		"r65a-xcfg":   r64aQuote(`<settings xmlns:f="http://hl7.org/fhir"><pollIntervalMs>86406008</pollIntervalMs></settings>`),
		"r65a-xplain": r64aQuote(`<div xmlns="http://www.w3.org/1999/xhtml"><p>device serial 86406008</p></div>`),
	}
	for id, s := range cases {
		r65aPut(t, e, gpSys, "/fhir/Observation/"+id, r65aObs(id, s))
	}
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Observation/r65a-xplain", hosp, ""); r.status != 200 {
		t.Fatalf("premise: XHTML not naming FHIR is not read: %d", r.status)
	}
	for _, id := range []string{"r65a-xhtml", "r65a-xcfg"} {
		if r := e.do("GET", "/fhir/Observation/"+id, hosp, ""); r.status != 200 {
			t.Errorf("%s: a reading whose XML string mentions http://hl7.org/fhir and holds 86406008 (not a coding) is withheld from the hospital (labelled HIV): %d", id, r.status)
		}
	}
}

// TestReview65aSoundStructuredStringCost: a 1 MiB string of pretty-printed
// JSON holding no resource (and one of many short JSON lines) is written
// in reasonable time.
func TestReview65aSoundStructuredStringCost(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	var b strings.Builder
	b.WriteString("[\n")
	for b.Len() < 1<<20-64 {
		b.WriteString("{\"a\":1},\n")
	}
	b.WriteString("{\"a\":1}\n]")
	start := time.Now()
	r := e.do("PUT", "/fhir/Observation/r65a-big", gpSys, r65aObs("r65a-big", r64aQuote(b.String())))
	d := time.Since(start)
	t.Logf("1 MiB JSON string: %d in %v", r.status, d)
	if d > 15*time.Second {
		t.Errorf("1 MiB JSON string took %v", d)
	}
	var c strings.Builder
	for c.Len() < 1<<20-64 {
		c.WriteString("[1,2,3,4,5,6,7,8,9,10,11,12]\n")
	}
	start = time.Now()
	r = e.do("PUT", "/fhir/Observation/r65a-big2", gpSys, r65aObs("r65a-big2", r64aQuote(c.String())))
	d = time.Since(start)
	t.Logf("1 MiB NDJSON-like string: %d in %v", r.status, d)
	if d > 15*time.Second {
		t.Errorf("1 MiB NDJSON-like string took %v", d)
	}
}

// --- (6) undatedCare -----------------------------------------------------

// TestReview65aSoundOnsetWithDateStaysDated: a problem with a real
// onsetPeriod start (2010) and its abatement in words stays dated by its
// onset, and is released to the hospital under Jane's deny of June 2015
// data; one whose onsetDateTime has a value and an extension too.
func TestReview65aSoundOnsetWithDateStaysDated(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, r63aDenyJune2015ToHospital())
	r65aPut(t, e, gpSys, "/fhir/Condition/r65a-c1", r63aCondition("r65a-c1", `,"onsetPeriod":{"start":"2010-03-01","end":"2010-04-01"},"abatementString":"June 2015"`))
	r65aPut(t, e, gpSys, "/fhir/Condition/r65a-c2", r63aCondition("r65a-c2", `,"onsetDateTime":"2010-03-01","_onsetDateTime":{"extension":[{"url":"https://example.org/x","valueString":"approx"}]},"abatementString":"June 2015"`))
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for _, id := range []string{"r65a-c1", "r65a-c2"} {
		if r := e.do("GET", "/fhir/Condition/"+id, hosp, ""); r.status != 200 {
			t.Errorf("%s: a problem begun 2010 (dated onset) is withheld under a deny of June 2015: %d", id, r.status)
		}
	}
}

// TestReview65aSoundChargeItemDefinition: a charge following a plain
// ChargeItemDefinition keeps its definitionCanonical for every reader that
// reads it; one following an HIV-coded definition is withheld from the
// hospital, and the definition itself too.
func TestReview65aSoundChargeItemDefinition(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	r65aPut(t, e, gpSys, "/fhir/ChargeItemDefinition/r65a-cid", `{"resourceType":"ChargeItemDefinition","id":"r65a-cid","url":"https://gp.example/fhir/ChargeItemDefinition/r65a-cid","status":"active","code":{"coding":[{"system":"http://snomed.info/sct","code":"185349003","display":"Encounter for check up"}]}}`)
	r65aPut(t, e, gpSys, "/fhir/ChargeItemDefinition/r65a-cidh", `{"resourceType":"ChargeItemDefinition","id":"r65a-cidh","url":"https://gp.example/fhir/ChargeItemDefinition/r65a-cidh","status":"active","code":{"coding":[`+r65aHIV+`]}}`)
	ci := func(id, def string) string {
		return `{"resourceType":"ChargeItem","id":"` + id + `","status":"billable","subject":{"reference":"Patient/jane"},"code":{"text":"R65A-CHARGE"},"definitionCanonical":["` + def + `"]}`
	}
	r65aPut(t, e, gpSys, "/fhir/ChargeItem/r65a-ci", ci("r65a-ci", "https://gp.example/fhir/ChargeItemDefinition/r65a-cid"))
	r65aPut(t, e, gpSys, "/fhir/ChargeItem/r65a-cih", ci("r65a-cih", "https://gp.example/fhir/ChargeItemDefinition/r65a-cidh"))
	for name, tok := range map[string]string{
		"gp A81001":              e.token("gp", "nhs", "A81001"),
		"district-nurse RCX":     e.token("district-nurse", "nhs", "RCX"),
		"hospital-clinician RHX": e.token("hospital-clinician", "nhs", "RHX"),
		"social-worker":          e.token("social-worker", "council", "E06000999"),
	} {
		r := e.do("GET", "/fhir/ChargeItem/r65a-ci", tok, "")
		t.Logf("%s: plain charge %d", name, r.status)
		if r.status == 200 && !strings.Contains(r.body, "ChargeItemDefinition/r65a-cid\"") {
			t.Errorf("%s: the plain charge's definitionCanonical is masked: %s", name, r65aSnip(r.body, "definition"))
		}
		if name == "gp A81001" {
			continue
		}
		if r := e.do("GET", "/fhir/ChargeItem/r65a-cih", tok, ""); r.status != 404 {
			t.Errorf("%s: charge following the HIV-coded definition: %d", name, r.status)
		}
		if r := e.do("GET", "/fhir/ChargeItemDefinition/r65a-cidh", tok, ""); r.status != 404 {
			t.Errorf("%s: HIV-coded ChargeItemDefinition: %d", name, r.status)
		}
	}
}

// TestReview65aCarePlanOfManyNationalActivitiesLabelledR: Jane's care plan
// lists 34 activities, each instantiating a national ActivityDefinition
// by its canonical on the national server (none stored here). Since
// f6ebb53 definitionNames reads names at any depth, and every distinct
// Type/id-shaped name counts toward the 32 cap whether stored here or not:
// the routine care plan is labelled R and withheld from every reader but
// its source. At f643cf0 only top-level names were read and it was
// released.
func TestReview65aCarePlanOfManyNationalActivitiesLabelledR(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	var acts []string
	for i := 0; i < 34; i++ {
		acts = append(acts, fmt.Sprintf(`{"detail":{"status":"scheduled","description":"step %d","instantiatesCanonical":["https://fhir.nhs.example/ActivityDefinition/diabetes-step-%d"]}}`, i, i))
	}
	r65aPut(t, e, gpSys, "/fhir/CarePlan/r65a-cp34", `{"resourceType":"CarePlan","id":"r65a-cp34","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"R65A-CP34","activity":[`+strings.Join(acts, ",")+`]}`)
	for name, tok := range map[string]string{"hospital-clinician RHX": e.token("hospital-clinician", "nhs", "RHX"), "district-nurse RCX": e.token("district-nurse", "nhs", "RCX")} {
		if r := e.do("GET", "/fhir/CarePlan/r65a-cp34", tok, ""); r.status != 200 {
			t.Errorf("%s: Jane's routine care plan of 34 national activities is withheld: %d %s", name, r.status, r65aSnip(r.body, "diagnostics"))
		}
	}
}

// TestReview65aSoundPlainQuestionnaireMaskRolesWithoutOther: the district
// nurse and the social worker see care plans and social care but not the
// class of definitions ("other"), so a plain Questionnaire (mobility, no
// sensitive code) is withheld from them. Since f6ebb53 uriKeys holds
// "questionnaire": the GP's social-care referral (a Task) carrying Jane's
// completed mobility form (contained) goes to them with the form's
// questionnaire masked, though nothing in it is sensitive. Also logged: a
// care plan's instantiatesCanonical naming a plain PlanDefinition (key
// masked before f6ebb53 too). Seen: the Task is 404 to both (the carried
// form makes it documents, a class neither role has), so no default role
// reads a form without reading definitions; the care plan goes to both
// with its instantiatesCanonical masked, as at f643cf0.
func TestReview65aSoundPlainQuestionnaireMaskRolesWithoutOther(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	r65aPut(t, e, gpSys, "/fhir/Questionnaire/r65a-mob2", `{"resourceType":"Questionnaire","id":"r65a-mob2","url":"https://gp.example/fhir/Questionnaire/r65a-mob2","status":"active","title":"Mobility",`+
		`"item":[{"linkId":"1","text":"Can you climb stairs?","type":"boolean"}]}`)
	r65aPut(t, e, gpSys, "/fhir/PlanDefinition/r65a-pdp", `{"resourceType":"PlanDefinition","id":"r65a-pdp","url":"https://gp.example/fhir/PlanDefinition/r65a-pdp","status":"active","title":"Falls prevention"}`)
	social := `{"coding":[{"system":"http://snomed.info/sct","code":"410606002","display":"Social service procedure"}],"text":"R65A-REFERRAL"}`
	form := `{"resourceType":"QuestionnaireResponse","id":"f","status":"completed","questionnaire":"Questionnaire/r65a-mob2","subject":{"reference":"Patient/jane"},"item":[{"linkId":"1","answer":[{"valueBoolean":false}]}]}`
	r65aPut(t, e, gpSys, "/fhir/Task/r65a-task", `{"resourceType":"Task","id":"r65a-task","status":"requested","intent":"order","for":{"reference":"Patient/jane"},"code":`+social+`,"contained":[`+form+`],"input":[{"type":{"text":"assessment"},"valueReference":{"reference":"#f"}}]}`)
	r65aPut(t, e, gpSys, "/fhir/CarePlan/r65a-cpp", `{"resourceType":"CarePlan","id":"r65a-cpp","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"R65A-CPP","instantiatesCanonical":["https://gp.example/fhir/PlanDefinition/r65a-pdp"]}`)
	for name, tok := range map[string]string{"district-nurse RCX": e.token("district-nurse", "nhs", "RCX"), "social-worker E06000999": e.token("social-worker", "council", "E06000999")} {
		q := e.do("GET", "/fhir/Questionnaire/r65a-mob2", tok, "")
		t.Logf("%s: plain Questionnaire %d", name, q.status)
		r := e.do("GET", "/fhir/Task/r65a-task", tok, "")
		t.Logf("%s: Task %d", name, r.status)
		if r.status == 200 && !strings.Contains(r.body, `"questionnaire":"Questionnaire/r65a-mob2"`) {
			t.Errorf("%s: the referral's plain mobility form has its questionnaire masked: %s", name, r65aSnip(r.body, "questionnaire"))
		}
		cp := e.do("GET", "/fhir/CarePlan/r65a-cpp", tok, "")
		t.Logf("%s: CarePlan %d, instantiatesCanonical kept=%v", name, cp.status, strings.Contains(cp.body, "PlanDefinition/r65a-pdp"))
	}
}

// TestReview65aSoundNarrativeLinkingFHIRNotReadAsXML: an XHTML narrative
// (text.div) that links the FHIR specification is "<" and contains
// http://hl7.org/fhir: is it read as FHIR XML? A heart rate whose
// narrative gives the device's serial number 86406008.
func TestReview65aSoundNarrativeLinkingFHIRNotReadAsXML(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	obs := func(id, div string) string {
		return `{"resourceType":"Observation","id":"` + id + `","status":"final","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}],"text":"R65A-HR"},"effectiveDateTime":"2026-01-05",` +
			`"text":{"status":"generated","div":` + r64aQuote(div) + `}}`
	}
	r65aPut(t, e, gpSys, "/fhir/Observation/r65a-nar0", obs("r65a-nar0", `<div xmlns="http://www.w3.org/1999/xhtml"><p>Heart rate 72/min, device serial 86406008</p></div>`))
	r65aPut(t, e, gpSys, "/fhir/Observation/r65a-nar1", obs("r65a-nar1", `<div xmlns="http://www.w3.org/1999/xhtml"><p>Heart rate 72/min (<a href="http://hl7.org/fhir/R4/observation.html">Observation</a>), device serial 86406008</p></div>`))
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	r0 := e.do("GET", "/fhir/Observation/r65a-nar0", hosp, "")
	r1 := e.do("GET", "/fhir/Observation/r65a-nar1", hosp, "")
	t.Logf("narrative without FHIR link: %d; with: %d", r0.status, r1.status)
	if r0.status == 200 && r1.status != 200 {
		t.Errorf("a heart rate whose narrative links the FHIR spec is withheld from the hospital (its serial number read as the HIV code): %d", r1.status)
	}
}
