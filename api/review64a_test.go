package api_test

// Review 64a: re-read of f643cf0 (reviews 63a, 63b fixes), regressions only.

import (
	"strings"
	"testing"
)

const r64aHIV = `{"system":"http://snomed.info/sct","code":"86406008","display":"Human immunodeficiency virus infection"}`

func r64aPut(t *testing.T, e *env, tok, path, body string) {
	t.Helper()
	if r := e.do("PUT", path, tok, body); r.status != 200 && r.status != 201 {
		t.Fatalf("PUT %s: %d %.400s", path, r.status, r.body)
	}
}

// --- (1) undatedCare ---------------------------------------------------

// TestReview64aConditionOnsetPeriodAbsentAbatementInWordsEscapesDeny:
// f643cf0 makes a problem with no onset and its abatement in words
// undated, but "no onset" is tested by the keys onsetDateTime/onsetPeriod
// being present. An onsetPeriod that carries no date (only HL7's
// data-absent-reason extension: "onset unknown") leaves the key present:
// the problem, resolved "June 2015" and recorded in 2024, is judged by its
// recordedDate and reaches the hospital under Jane's deny of June 2015 —
// the 63a leak again.
func TestReview64aConditionOnsetPeriodAbsentAbatementInWordsEscapesDeny(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, r63aDenyJune2015ToHospital())
	absent := `,"onsetPeriod":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason","valueCode":"unknown"}]},"abatementString":"June 2015","recordedDate":"2024-03-01"`
	r64aPut(t, e, gpSys, "/fhir/Condition/r64a-dar", r63aCondition("r64a-dar", absent))
	r64aPut(t, e, gpSys, "/fhir/Condition/r64a-words", r63aCondition("r64a-words", `,"abatementString":"June 2015","recordedDate":"2024-03-01"`))
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Condition/r64a-words", hosp, ""); r.status != 404 {
		t.Fatalf("premise (63a fix): no onset, abatementString June 2015 reached the hospital: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Condition/r64a-dar", hosp, ""); r.status != 404 {
		t.Errorf("a problem whose onset is unknown (onsetPeriod with data-absent-reason only), resolved \"June 2015\", recorded 2024, reached the hospital under Jane's deny of June 2015 data: %d %s", r.status, r63aSnip(r.body, "abatement"))
	}
	if r := e.do("GET", "/fhir/Condition?patient=jane", hosp, ""); strings.Contains(r.body, "R63A-r64a-dar") {
		t.Errorf("the search released it too: %s", r63aSnip(r.body, "R63A-r64a-dar"))
	}
}

// TestReview64aLetterCarryingOnsetAbsentProblemEscapesDeny: the same
// through the carrier rule (innerClinicalRange calls undatedCare on each
// carried resource): a 2024 letter carrying that problem contained.
func TestReview64aLetterCarryingOnsetAbsentProblemEscapesDeny(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, r63aDenyJune2015ToHospital())
	letter := func(id, cond string) string {
		return `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},"date":"2024-03-01T10:00:00Z","description":"R64A-LETTER",` +
			`"contained":[{"resourceType":"Condition","id":"p1","subject":{"reference":"Patient/jane"},"code":{"text":"chest infection"}` + cond + `,"recordedDate":"2024-03-01"}],` +
			`"content":[{"attachment":{"contentType":"text/plain","data":"bGV0dGVy"}}]}`
	}
	r64aPut(t, e, gpSys, "/fhir/DocumentReference/r64a-l-words", letter("r64a-l-words", `,"abatementString":"June 2015"`))
	r64aPut(t, e, gpSys, "/fhir/DocumentReference/r64a-l-dar", letter("r64a-l-dar", `,"onsetPeriod":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason","valueCode":"unknown"}]},"abatementString":"June 2015"`))
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/DocumentReference/r64a-l-words", hosp, ""); r.status != 404 {
		t.Logf("premise (63a carrier): letter carrying a problem with no onset resolved June 2015 reached the hospital: %d", r.status)
	}
	if r := e.do("GET", "/fhir/DocumentReference/r64a-l-dar", hosp, ""); r.status != 404 {
		t.Errorf("a 2024 letter carrying a problem of unknown onset (onsetPeriod data-absent-reason), resolved \"June 2015\", reached the hospital under the deny of June 2015: %d %s", r.status, r63aSnip(r.body, "abatement"))
	}
}

// TestReview64aSoundUndatedCareVariants: an onset as an age with its
// abatement dated June 2015, an allergy begun "June 2015" in words, a
// procedure performed at an age, each recorded 2024: undated, withheld
// under the deny of June 2015; a problem begun 2024 and resolved in
// words is released (62a).
func TestReview64aSoundUndatedCareVariants(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, r63aDenyJune2015ToHospital())
	age := `{"value":40,"unit":"a","system":"http://unitsofmeasure.org","code":"a"}`
	items := map[string]string{
		"/fhir/Condition/r64a-ageab":          r63aCondition("r64a-ageab", `,"onsetAge":`+age+`,"abatementDateTime":"2015-06-20","recordedDate":"2024-03-01"`),
		"/fhir/Condition/r64a-2024w":          r63aCondition("r64a-2024w", `,"onsetDateTime":"2024-02-01","abatementString":"resolved","recordedDate":"2024-03-01"`),
		"/fhir/AllergyIntolerance/r64a-alw":   `{"resourceType":"AllergyIntolerance","id":"r64a-alw","patient":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"91936005"}]},"onsetString":"June 2015","recordedDate":"2024-03-01"}`,
		"/fhir/Procedure/r64a-prage":          `{"resourceType":"Procedure","id":"r64a-prage","status":"completed","subject":{"reference":"Patient/jane"},"code":{"text":"appendicectomy"},"performedAge":` + age + `}`,
		"/fhir/Procedure/r64a-prstr":          `{"resourceType":"Procedure","id":"r64a-prstr","status":"completed","subject":{"reference":"Patient/jane"},"code":{"text":"appendicectomy"},"performedString":"June 2015"}`,
		"/fhir/AllergyIntolerance/r64a-alrng": `{"resourceType":"AllergyIntolerance","id":"r64a-alrng","patient":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"91936005"}]},"onsetRange":{"low":` + age + `},"recordedDate":"2024-03-01"}`,
	}
	for p, b := range items {
		r64aPut(t, e, gpSys, p, b)
	}
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for p := range items {
		want := 404
		if strings.HasSuffix(p, "r64a-2024w") {
			want = 200
		}
		if r := e.do("GET", p, hosp, ""); r.status != want {
			t.Errorf("%s: %d, want %d", p, r.status, want)
		}
	}
}

// --- (2) MayWrite / untaggedClass --------------------------------------

// TestReview64aSoundCareAssistantTaskCarryingClinicalRefused:
// f643cf0 lets a role outside sees-own-records record an item by its
// class from its body (a Task coded social care is social care). The
// check reads the item's own class only, not the classes its carried
// resources add (README: "the resources an item carries … count as its
// content for classes"). The care assistant (social care, demographics,
// directory) tries to record a social care Task carrying a contained
// diagnosis and a laboratory result. Checked: refused (403; w.DataClass
// holds the carried classes), though the message names social-care.
func TestReview64aSoundCareAssistantTaskCarryingClinicalRefused(t *testing.T) {
	e := r63aCareAssistantEnv(t)
	ca := e.token("care-assistant", "council", "E06000999")
	social := `{"coding":[{"system":"http://snomed.info/sct","code":"410606002"}],"text":"R64A-SOCIAL"}`
	task := `{"resourceType":"Task","status":"requested","intent":"order","for":{"reference":"Patient/jane"},"code":` + social + `,` +
		`"contained":[{"resourceType":"Condition","id":"dx","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}],"text":"diabetes"}},` +
		`{"resourceType":"Observation","id":"lab","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],"subject":{"reference":"Patient/jane"},"code":{"text":"HbA1c"},"valueQuantity":{"value":60}}],` +
		`"reasonReference":{"reference":"#dx"},"input":[{"type":{"text":"result"},"valueReference":{"reference":"#lab"}}]}`
	plain := `{"resourceType":"Task","status":"requested","intent":"order","for":{"reference":"Patient/jane"},"code":` + social + `}`
	if r := e.do("POST", "/fhir/Task", ca, plain); r.status != 201 {
		t.Logf("premise: the care assistant records a plain social care Task: %d %s", r.status, r63aSnip(r.body, "diagnostics"))
	}
	r := e.do("POST", "/fhir/Task", ca, task)
	t.Logf("care assistant POST Task carrying a diagnosis and a lab result: %d %s", r.status, r63aSnip(r.body, "diagnostics"))
	if r.status < 400 {
		id := r63aID(r.body)
		g := e.do("GET", "/fhir/Task/"+id, ca, "")
		t.Errorf("care assistant (no problems or observations class) recorded a social care Task carrying a diagnosis and a lab result: %d; reading it back: %d", r.status, g.status)
	}
}

// TestReview64aSoundReceptionistAppointmentCarryingDiagnosisRefused: the same
// for the receptionist (demographics, appointments, directory): an
// Appointment carrying a contained Condition. Checked: refused (403),
// though the message names appointments.
func TestReview64aSoundReceptionistAppointmentCarryingDiagnosisRefused(t *testing.T) {
	e := r21bReceptionistEnv(t)
	rec := e.token("receptionist", "nhs", "A81001")
	appt := `{"resourceType":"Appointment","status":"booked","participant":[{"actor":{"reference":"Patient/jane"},"status":"accepted"}],"start":"2026-02-01T10:00:00Z","end":"2026-02-01T10:10:00Z",` +
		`"contained":[{"resourceType":"Condition","id":"dx","subject":{"reference":"Patient/jane"},"code":{"coding":[` + r64aHIV + `]}}],"reasonReference":[{"reference":"#dx"}]}`
	r := e.do("POST", "/fhir/Appointment", rec, appt)
	t.Logf("receptionist POST Appointment carrying an HIV diagnosis: %d %s", r.status, r63aSnip(r.body, "diagnostics"))
	if r.status < 400 {
		id := r63aID(r.body)
		g := e.do("GET", "/fhir/Appointment/"+id, rec, "")
		t.Errorf("receptionist (no problems class) recorded an Appointment carrying an HIV diagnosis: %d; reading it back: %d", r.status, g.status)
	}
}

// TestReview64aSoundReceptionistWrites: no false refusal (Appointment,
// Patient, Schedule, Slot; an Appointment tagged appointments) and the
// refusals hold (a Consent tagged appointments; one in a transaction; an
// Appointment tagged problems).
func TestReview64aSoundReceptionistWrites(t *testing.T) {
	e := r21bReceptionistEnv(t)
	rec := e.token("receptionist", "nhs", "A81001")
	ok := map[string]string{
		"Appointment": `{"resourceType":"Appointment","status":"booked","participant":[{"actor":{"reference":"Patient/jane"},"status":"accepted"}],"start":"2026-02-01T10:00:00Z","end":"2026-02-01T10:10:00Z"}`,
		"Patient":     `{"resourceType":"Patient","name":[{"family":"New","given":["Pat"]}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`,
		"Schedule":    `{"resourceType":"Schedule","active":true,"actor":[{"reference":"Organization/A81001"}]}`,
	}
	for typ, b := range ok {
		if r := e.do("POST", "/fhir/"+typ, rec, b); r.status != 201 {
			t.Errorf("receptionist POST %s: %d %s", typ, r.status, r63aSnip(r.body, "diagnostics"))
		}
	}
	sched := e.do("POST", "/fhir/Schedule", rec, ok["Schedule"])
	slot := `{"resourceType":"Slot","schedule":{"reference":"Schedule/` + r63aID(sched.body) + `"},"status":"free","start":"2026-02-01T10:00:00Z","end":"2026-02-01T10:10:00Z"}`
	if r := e.do("POST", "/fhir/Slot", rec, slot); r.status != 201 {
		t.Errorf("receptionist POST Slot: %d %s", r.status, r63aSnip(r.body, "diagnostics"))
	}
	tagged := strings.Replace(ok["Appointment"], `"status":"booked",`, `"status":"booked","meta":{"tag":[{"system":"https://carex.example/data-class","code":"appointments"}]},`, 1)
	if r := e.do("POST", "/fhir/Appointment", rec, tagged); r.status != 201 {
		t.Errorf("receptionist POST Appointment tagged appointments: %d %s", r.status, r63aSnip(r.body, "diagnostics"))
	}
	probl := strings.Replace(ok["Appointment"], `"status":"booked",`, `"status":"booked","meta":{"tag":[{"system":"https://carex.example/data-class","code":"problems"}]},`, 1)
	if r := e.do("POST", "/fhir/Appointment", rec, probl); r.status < 400 {
		t.Errorf("receptionist POST Appointment tagged problems: %d", r.status)
	}
	consentBody := strings.Replace(strings.Replace(janeConsent("", "2026-01-10", "OPTIN", ""), `"id":"",`, "", 1),
		`"status":"active",`, `"status":"active","meta":{"tag":[{"system":"https://carex.example/data-class","code":"appointments"}],"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Appointment"]},`, 1)
	if r := e.do("POST", "/fhir/Consent", rec, consentBody); r.status < 400 {
		t.Errorf("receptionist POST Consent tagged appointments with an Appointment profile: %d", r.status)
	}
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":` + consentBody + `,"request":{"method":"POST","url":"Consent"}}]}`
	if r := e.do("POST", "/fhir", rec, tx); r.status < 400 {
		t.Errorf("receptionist transaction with a Consent tagged appointments: %d %s", r.status, r63aSnip(r.body, "Consent"))
	}
	batch := strings.Replace(tx, `"transaction"`, `"batch"`, 1)
	if r := e.do("POST", "/fhir", rec, batch); !strings.Contains(r.body, `"status":"403`) {
		t.Errorf("receptionist batch with a Consent tagged appointments: %d %s", r.status, r63aSnip(r.body, "status"))
	}
	if r := e.do("PATCH", "/fhir/Appointment/x", rec, `[]`, "Content-Type", "application/json-patch+json"); r.status < 400 {
		t.Errorf("PATCH: %d", r.status)
	}
}

// --- (3) structuredString ----------------------------------------------

func r64aCommunication(id, s string) string {
	return `{"resourceType":"Communication","id":"` + id + `","status":"completed","subject":{"reference":"Patient/jane"},"payload":[{"contentString":"R64A-` + id + `"},{"contentString":` + s + `}]}`
}

func r64aQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range s {
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\ufeff':
			b.WriteString(`\ufeff`)
		default:
			b.WriteRune(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

const r64aHIVCondition = `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[` + r64aHIV + `]}}`

// TestReview64aStructuredStringRegressions: f643cf0 reads a string for
// codes only when it is a FHIR resource at its top, or a list whose first
// element is one. At 9f300ab any JSON was read. Jane's HIV diagnosis as
// FHIR JSON in a message body is released to the hospital when it is the
// second of a list (after a header object), or wrapped in an envelope
// object ({"message": …}, a bare {"entry":[{"resource": …}]}).
func TestReview64aStructuredStringRegressions(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurseSys := e.token("system", "nhs", "RCX")
	cases := map[string]string{
		"r64a-list2":    `[{"messageType":"result","sender":"RCX"},` + r64aHIVCondition + `]`,
		"r64a-envelope": `{"message":{"id":"m1","payload":` + r64aHIVCondition + `}}`,
		"r64a-entries":  `{"entry":[{"resource":` + r64aHIVCondition + `}]}`,
	}
	for id, s := range cases {
		r64aPut(t, e, nurseSys, "/fhir/Communication/"+id, r64aCommunication(id, r64aQuote(s)))
	}
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for id := range cases {
		if r := e.do("GET", "/fhir/Communication/"+id, hosp, ""); r.status != 404 {
			t.Errorf("%s: Jane's HIV diagnosis as FHIR JSON in contentString (%s) reached the hospital: %d %s", id, cases[id][:40], r.status, r63aSnip(r.body, "86406008"))
		}
	}
}

// TestReview64aStructuredStringForms: other forms of FHIR written into a
// string that are not read for codes (also so at 9f300ab): JSON after a
// byte-order mark, FHIR XML, NDJSON.
func TestReview64aStructuredStringForms(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurseSys := e.token("system", "nhs", "RCX")
	cases := map[string]string{
		"r64a-bom":    "\ufeff" + r64aHIVCondition,
		"r64a-xml":    `<Condition xmlns="http://hl7.org/fhir"><subject><reference value="Patient/jane"/></subject><code><coding><system value="http://snomed.info/sct"/><code value="86406008"/></coding></code></Condition>`,
		"r64a-ndjson": `{"resourceType":"Observation","status":"final","code":{"text":"temp"}}` + "\n" + r64aHIVCondition + "\n",
	}
	for id, s := range cases {
		r64aPut(t, e, nurseSys, "/fhir/Communication/"+id, r64aCommunication(id, r64aQuote(s)))
	}
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for id := range cases {
		if r := e.do("GET", "/fhir/Communication/"+id, hosp, ""); r.status != 404 {
			t.Errorf("%s: Jane's HIV diagnosis in contentString reached the hospital: %d %s", id, r.status, r63aSnip(r.body, "86406008"))
		}
	}
}

// TestReview64aSoundStructuredStringRead: a list whose first element is
// the HIV Condition, a Bundle in a string, JSON after whitespace and
// newlines, and an HL7 v2 message after a newline are read (withheld).
func TestReview64aSoundStructuredStringRead(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurseSys := e.token("system", "nhs", "RCX")
	cases := map[string]string{
		"r64a-list1":  `[` + r64aHIVCondition + `,{"resourceType":"Observation","status":"final","code":{"text":"t"}}]`,
		"r64a-listob": `[{"resourceType":"Observation","status":"final","code":{"text":"t"}},` + r64aHIVCondition + `]`,
		"r64a-bundle": `{"resourceType":"Bundle","type":"collection","entry":[{"resource":` + r64aHIVCondition + `}]}`,
		"r64a-ws":     "  \n\t" + r64aHIVCondition + "\n",
		"r64a-v2":     "\nMSH|^~\\&|LAB|RCX|GP|A81001|20260101||ORU^R01|1|P|2.4\rOBX|1|CE|86406008^HIV^SCT||positive",
	}
	for id, s := range cases {
		r64aPut(t, e, nurseSys, "/fhir/Communication/"+id, r64aCommunication(id, r64aQuote(s)))
	}
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for id := range cases {
		if r := e.do("GET", "/fhir/Communication/"+id, hosp, ""); r.status != 404 {
			t.Errorf("%s: reached the hospital: %d", id, r.status)
		}
	}
}

// --- (4) definitionCodes / answeredQuestions ----------------------------

func r64aForm(id, q, items string) string {
	return `{"resourceType":"QuestionnaireResponse","id":"` + id + `","status":"completed","questionnaire":"` + q + `","subject":{"reference":"Patient/jane"},"authored":"2026-01-02","item":` + items + `}`
}

// TestReview64aSoundFormNestedHIVQuestions: a form answering a question
// nested in a group, one nested under another's answer (answer.item), and
// one named with and without a version, each coded HIV, is withheld from
// the hospital; a form answering only the uncoded question is released.
func TestReview64aSoundFormNestedHIVQuestions(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	r64aPut(t, e, gpSys, "/fhir/Questionnaire/r64a-q", `{"resourceType":"Questionnaire","id":"r64a-q","url":"https://gp.example/fhir/Questionnaire/r64a-q","version":"2","status":"active","title":"Sexual health",`+
		`"item":[{"linkId":"0","text":"Do you smoke?","type":"boolean"},{"linkId":"g","type":"group","text":"History","item":[{"linkId":"g.1","text":"Diagnosed?","type":"boolean","code":[`+r64aHIV+`]}]},`+
		`{"linkId":"2","text":"Tested?","type":"boolean","item":[{"linkId":"2.1","text":"Result positive?","type":"boolean","code":[`+r64aHIV+`]}]}]}`)
	forms := map[string]string{
		"r64a-f-group":  r64aForm("r64a-f-group", "Questionnaire/r64a-q", `[{"linkId":"g","item":[{"linkId":"g.1","answer":[{"valueBoolean":true}]}]}]`),
		"r64a-f-ansit":  r64aForm("r64a-f-ansit", "https://gp.example/fhir/Questionnaire/r64a-q|2", `[{"linkId":"2","answer":[{"valueBoolean":true,"item":[{"linkId":"2.1","answer":[{"valueBoolean":true}]}]}]}]`),
		"r64a-f-noverf": r64aForm("r64a-f-noverf", "https://gp.example/fhir/Questionnaire/r64a-q", `[{"linkId":"g","item":[{"linkId":"g.1","answer":[{"valueBoolean":false}]}]}]`),
		"r64a-f-plain":  r64aForm("r64a-f-plain", "Questionnaire/r64a-q", `[{"linkId":"0","answer":[{"valueBoolean":true}]}]`),
	}
	for id, b := range forms {
		r64aPut(t, e, gpSys, "/fhir/QuestionnaireResponse/"+id, b)
	}
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	// (the fix chose otherwise: a form means its whole Questionnaire but
	// the answers it offers — review 64a's R2/R3 — so one answering only
	// the uncoded question of this sexual-health questionnaire is
	// withheld too)
	for id := range forms {
		want := 404
		if r := e.do("GET", "/fhir/QuestionnaireResponse/"+id, hosp, ""); r.status != want {
			t.Errorf("%s: %d, want %d", id, r.status, want)
		}
	}
}

// TestReview64aFormOfHIVQuestionnaireCodedElsewhere: f643cf0 gives a form
// only its Questionnaire's code and the codes of the questions it answers.
// The practice's HIV screening questionnaire says what it is about in its
// useContext (focus: HIV infection) and its questions are uncoded: the
// Questionnaire itself is labelled HIV (its own codes) and withheld from
// the hospital, but Jane's answers to it ("yes" to "unprotected sex?")
// are released. At 9f300ab every coding of the Questionnaire labelled the
// form.
func TestReview64aFormOfHIVQuestionnaireCodedElsewhere(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	r64aPut(t, e, gpSys, "/fhir/Questionnaire/r64a-hivscreen", `{"resourceType":"Questionnaire","id":"r64a-hivscreen","status":"active","title":"R64A screening",`+
		`"useContext":[{"code":{"system":"http://terminology.hl7.org/CodeSystem/usage-context-type","code":"focus"},"valueCodeableConcept":{"coding":[`+r64aHIV+`]}}],`+
		`"item":[{"linkId":"1","text":"Unprotected sex in the last 3 months?","type":"boolean"}]}`)
	r64aPut(t, e, gpSys, "/fhir/QuestionnaireResponse/r64a-hivscreen-jane", r64aForm("r64a-hivscreen-jane", "Questionnaire/r64a-hivscreen", `[{"linkId":"1","answer":[{"valueBoolean":true}]}]`))
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	q := e.do("GET", "/fhir/Questionnaire/r64a-hivscreen", hosp, "")
	t.Logf("hospital reads the HIV screening Questionnaire: %d", q.status)
	if r := e.do("GET", "/fhir/QuestionnaireResponse/r64a-hivscreen-jane", hosp, ""); r.status != 404 && q.status == 404 {
		t.Errorf("Jane's answers to the HIV screening questionnaire (withheld itself, labelled HIV by its useContext) reached the hospital: %d %s", r.status, r63aSnip(r.body, "answer"))
	}
}

// TestReview64aCarePlanOfPathwayWhoseActionIsHIVActivity: a CarePlan
// instantiates the practice's PlanDefinition, whose action names (by
// definitionCanonical) an ActivityDefinition coded HIV (an HIV viral load
// monitoring activity). definitionCodes reads the PlanDefinition whole but
// does not follow its actions' definitions: the care plan reaches the
// hospital. (Also so at 9f300ab.)
func TestReview64aCarePlanOfPathwayWhoseActionIsHIVActivity(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	r64aPut(t, e, gpSys, "/fhir/ActivityDefinition/r64a-ad", `{"resourceType":"ActivityDefinition","id":"r64a-ad","url":"https://gp.example/fhir/ActivityDefinition/r64a-ad","status":"active","title":"Viral load monitoring","code":{"coding":[`+r64aHIV+`]}}`)
	r64aPut(t, e, gpSys, "/fhir/PlanDefinition/r64a-pd", `{"resourceType":"PlanDefinition","id":"r64a-pd","url":"https://gp.example/fhir/PlanDefinition/r64a-pd","status":"active","title":"Chronic care pathway",`+
		`"action":[{"title":"monitor","definitionCanonical":"https://gp.example/fhir/ActivityDefinition/r64a-ad"}]}`)
	r64aPut(t, e, gpSys, "/fhir/CarePlan/r64a-cp", `{"resourceType":"CarePlan","id":"r64a-cp","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"R64A-CP","instantiatesCanonical":["https://gp.example/fhir/PlanDefinition/r64a-pd"]}`)
	r64aPut(t, e, gpSys, "/fhir/CarePlan/r64a-cp-ad", `{"resourceType":"CarePlan","id":"r64a-cp-ad","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"R64A-CP-AD","instantiatesCanonical":["https://gp.example/fhir/ActivityDefinition/r64a-ad"]}`)
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/CarePlan/r64a-cp-ad", hosp, ""); r.status != 404 {
		t.Errorf("premise: a care plan instantiating the HIV-coded ActivityDefinition directly reached the hospital: %d", r.status)
	}
	t.Logf("hospital reads the ActivityDefinition: %d", e.do("GET", "/fhir/ActivityDefinition/r64a-ad", hosp, "").status)
	pd := e.do("GET", "/fhir/PlanDefinition/r64a-pd", hosp, "")
	t.Logf("hospital reads the PlanDefinition: %d %s", pd.status, r63aSnip(pd.body, "definitionCanonical"))
	if r := e.do("GET", "/fhir/CarePlan/r64a-cp", hosp, ""); r.status != 404 {
		t.Errorf("a care plan instantiating a pathway whose action is the HIV-coded ActivityDefinition reached the hospital: %d %s", r.status, r63aSnip(r.body, "instantiates"))
	}
}

// TestReview64aFormOmittingHIVContextItems: f643cf0 reads only the codes
// of the questions a form answers. Where the HIV meaning sits on an item
// the form does not answer, the form is released to the hospital (at
// 9f300ab, every coding of the Questionnaire labelled it):
//   - disp: a display item coded HIV introduces uncoded follow-ups
//     (display items are never answered);
//   - hidden: "Do you take your antiretrovirals daily?" is enabled only
//     when "Do you have HIV?" (coded HIV) is answered true; the follow-up
//     visit's form answers the enabled question alone;
//   - flat: a group coded HIV whose uncoded question the form answers at
//     its top level.
func TestReview64aFormOmittingHIVContextItems(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	r64aPut(t, e, gpSys, "/fhir/Questionnaire/r64a-ctx", `{"resourceType":"Questionnaire","id":"r64a-ctx","status":"active","title":"Follow-up",`+
		`"item":[{"linkId":"intro","type":"display","text":"About your HIV care","code":[`+r64aHIV+`]},`+
		`{"linkId":"d1","type":"boolean","text":"Have you missed any clinic appointments?"},`+
		`{"linkId":"h1","type":"boolean","text":"Do you have HIV?","code":[`+r64aHIV+`]},`+
		`{"linkId":"h2","type":"boolean","text":"Do you take your antiretrovirals daily?","enableWhen":[{"question":"h1","operator":"=","answerBoolean":true}]},`+
		`{"linkId":"g","type":"group","text":"HIV","code":[`+r64aHIV+`],"item":[{"linkId":"g1","type":"boolean","text":"Viral load undetectable?"}]}]}`)
	forms := map[string]string{
		"r64a-ctx-disp":   `[{"linkId":"d1","answer":[{"valueBoolean":true}]}]`,
		"r64a-ctx-hidden": `[{"linkId":"h2","answer":[{"valueBoolean":true}]}]`,
		"r64a-ctx-flat":   `[{"linkId":"g1","answer":[{"valueBoolean":true}]}]`,
	}
	for id, items := range forms {
		r64aPut(t, e, gpSys, "/fhir/QuestionnaireResponse/"+id, r64aForm(id, "Questionnaire/r64a-ctx", items))
	}
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for id := range forms {
		if r := e.do("GET", "/fhir/QuestionnaireResponse/"+id, hosp, ""); r.status != 404 {
			t.Errorf("%s: Jane's answers on the HIV follow-up form reached the hospital: %d %s", id, r.status, r63aSnip(r.body, `"item"`))
		}
	}
}

// TestReview64aDefinitionsNamedBelowTopLevel: definitionCodes reads the
// names at the item's top level only: a CarePlan whose activity
// (activity.detail.instantiatesCanonical) follows the HIV-coded
// ActivityDefinition, and a letter carrying (contained) Jane's form
// answering the HIV-coded question, reach the hospital. (Also so at
// 9f300ab.)
func TestReview64aDefinitionsNamedBelowTopLevel(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	r64aPut(t, e, gpSys, "/fhir/ActivityDefinition/r64a-ad2", `{"resourceType":"ActivityDefinition","id":"r64a-ad2","status":"active","title":"Viral load monitoring","code":{"coding":[`+r64aHIV+`]}}`)
	r64aPut(t, e, gpSys, "/fhir/Questionnaire/r64a-qh", `{"resourceType":"Questionnaire","id":"r64a-qh","status":"active","item":[{"linkId":"1","type":"boolean","text":"Positive?","code":[`+r64aHIV+`]}]}`)
	r64aPut(t, e, gpSys, "/fhir/CarePlan/r64a-cp-act", `{"resourceType":"CarePlan","id":"r64a-cp-act","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"R64A-CP-ACT",`+
		`"activity":[{"detail":{"status":"scheduled","instantiatesCanonical":["ActivityDefinition/r64a-ad2"]}}]}`)
	r64aPut(t, e, gpSys, "/fhir/Communication/r64a-cqr", `{"resourceType":"Communication","id":"r64a-cqr","status":"completed","subject":{"reference":"Patient/jane"},`+
		`"contained":[`+r64aForm("qr", "Questionnaire/r64a-qh", `[{"linkId":"1","answer":[{"valueBoolean":true}]}]`)+`],"payload":[{"contentReference":{"reference":"#qr"}}]}`)
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for _, p := range []string{"/fhir/CarePlan/r64a-cp-act", "/fhir/Communication/r64a-cqr"} {
		if r := e.do("GET", p, hosp, ""); r.status != 404 {
			t.Errorf("%s: reached the hospital: %d %s", p, r.status, r63aSnip(r.body, "r64a-"))
		}
	}
}

// TestReview64aSoundCareAssistantTransactionAndUpdate: the care assistant
// records a social care Task and a council care package (EpisodeOfCare,
// uncoded) in a transaction, and updates her Task; an EpisodeOfCare she
// records as a hospital-sector item would be refused (not tested here).
func TestReview64aSoundCareAssistantTransactionAndUpdate(t *testing.T) {
	e := r63aCareAssistantEnv(t)
	ca := e.token("care-assistant", "council", "E06000999")
	social := `{"coding":[{"system":"http://snomed.info/sct","code":"410606002"}],"text":"R64A-SOCIAL"}`
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[
 {"resource":{"resourceType":"Task","status":"requested","intent":"order","for":{"reference":"Patient/jane"},"code":` + social + `},"request":{"method":"POST","url":"Task"}},
 {"resource":{"resourceType":"EpisodeOfCare","status":"active","patient":{"reference":"Patient/jane"},"managingOrganization":{"reference":"Organization/E06000999"}},"request":{"method":"POST","url":"EpisodeOfCare"}}]}`
	if r := e.do("POST", "/fhir", ca, tx); r.status != 200 {
		t.Errorf("care assistant transaction Task+EpisodeOfCare: %d %s", r.status, r63aSnip(r.body, "diagnostics"))
	}
	task := `{"resourceType":"Task","id":"r64a-t","status":"requested","intent":"order","for":{"reference":"Patient/jane"},"code":` + social + `}`
	if r := e.do("PUT", "/fhir/Task/r64a-t", ca, task); r.status != 201 {
		t.Fatalf("care assistant PUT Task: %d %s", r.status, r63aSnip(r.body, "diagnostics"))
	}
	if r := e.do("PUT", "/fhir/Task/r64a-t", ca, strings.Replace(task, "requested", "in-progress", 1)); r.status != 200 {
		t.Errorf("care assistant update of her Task: %d %s", r.status, r63aSnip(r.body, "diagnostics"))
	}
	// Turning it into a care-plans Task (social-care coding removed) is refused.
	if r := e.do("PUT", "/fhir/Task/r64a-t", ca, strings.Replace(task, "410606002", "225358003", 1)); r.status < 400 {
		t.Errorf("care assistant turned her Task into a care-plans item: %d", r.status)
	}
}

// TestReview64aReleasedFormNamesWithheldHIVQuestionnaire: since f643cf0 a
// form answering only the uncoded questions of a Questionnaire that has an
// HIV-coded question is released (63a's intent). The Questionnaire itself
// is labelled HIV by its own codes and withheld from the hospital (404),
// and README says references to such a definition are masked (the
// CarePlan's instantiatesCanonical is). The released form still names it
// in its questionnaire element, by id and by canonical url, so the
// hospital reads that Jane was given the practice's HIV risk assessment.
// (At 9f300ab the whole form was withheld.)
func TestReview64aReleasedFormNamesWithheldHIVQuestionnaire(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	r64aPut(t, e, gpSys, "/fhir/Questionnaire/hiv-risk-assessment", `{"resourceType":"Questionnaire","id":"hiv-risk-assessment","url":"https://gp.example/fhir/Questionnaire/hiv-risk-assessment","status":"active",`+
		`"item":[{"linkId":"1","type":"boolean","text":"Do you smoke?"},{"linkId":"2","type":"boolean","text":"Diagnosed?","code":[`+r64aHIV+`]}]}`)
	r64aPut(t, e, gpSys, "/fhir/QuestionnaireResponse/r64a-fid", r64aForm("r64a-fid", "Questionnaire/hiv-risk-assessment", `[{"linkId":"1","answer":[{"valueBoolean":false}]}]`))
	r64aPut(t, e, gpSys, "/fhir/QuestionnaireResponse/r64a-furl", r64aForm("r64a-furl", "https://gp.example/fhir/Questionnaire/hiv-risk-assessment", `[{"linkId":"1","answer":[{"valueBoolean":false}]}]`))
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Questionnaire/hiv-risk-assessment", hosp, ""); r.status != 404 {
		t.Fatalf("premise: the HIV-coded Questionnaire is withheld from the hospital: %d", r.status)
	}
	for _, id := range []string{"r64a-fid", "r64a-furl"} {
		r := e.do("GET", "/fhir/QuestionnaireResponse/"+id, hosp, "")
		if r.status == 200 && strings.Contains(r.body, "hiv-risk-assessment") {
			t.Errorf("%s: the released form names the withheld HIV-labelled Questionnaire: %d %s", id, r.status, r63aSnip(r.body, "hiv-risk-assessment"))
		}
	}
	if r := e.do("GET", "/fhir/QuestionnaireResponse?patient=jane", hosp, ""); strings.Contains(r.body, "hiv-risk-assessment") {
		t.Errorf("search: %s", r63aSnip(r.body, "hiv-risk-assessment"))
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", hosp, ""); strings.Contains(r.body, "hiv-risk-assessment") {
		t.Errorf("$everything: %s", r63aSnip(r.body, "hiv-risk-assessment"))
	}
}

// TestReview64aSoundReceptionistConsentCarriedInContainers: a receptionist
// (no consent class) does not record a Consent carried in a Bundle
// (collection), a List (contained) or a Parameters, however tagged.
func TestReview64aSoundReceptionistConsentCarriedInContainers(t *testing.T) {
	e := r21bReceptionistEnv(t)
	rec := e.token("receptionist", "nhs", "A81001")
	c := strings.Replace(strings.Replace(janeConsent("c1", "2026-01-10", "OPTIN", ""), `"status":"active",`, `"status":"active","meta":{"tag":[{"system":"https://carex.example/data-class","code":"appointments"}]},`, 1), "\n", "", -1)
	tag := `"meta":{"tag":[{"system":"https://carex.example/data-class","code":"appointments"}]},`
	bodies := map[string]string{
		"Bundle":     `{"resourceType":"Bundle",` + tag + `"type":"collection","entry":[{"fullUrl":"urn:uuid:11111111-1111-1111-1111-111111111111","resource":` + c + `}]}`,
		"List":       `{"resourceType":"List",` + tag + `"status":"current","mode":"working","subject":{"reference":"Patient/jane"},"contained":[` + c + `],"entry":[{"item":{"reference":"#c1"}}]}`,
		"Parameters": `{"resourceType":"Parameters",` + tag + `"parameter":[{"name":"consent","resource":` + c + `}]}`,
	}
	for typ, b := range bodies {
		r := e.do("POST", "/fhir/"+typ, rec, b)
		t.Logf("receptionist POST %s carrying a Consent: %d %s", typ, r.status, r63aSnip(r.body, "diagnostics"))
		if r.status < 400 {
			t.Errorf("receptionist recorded a %s carrying a Consent of Jane's: %d", typ, r.status)
		}
	}
}
