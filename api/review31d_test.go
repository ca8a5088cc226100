package api_test

// Review 31d: the person's consent (SPEC §5 layer 3), semantics end to
// end: real Consent JSON written through the API, read by users of other
// organisations.

import (
	"strings"
	"testing"
)

const r31dIRCP = `{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}`

// r31dOrgActor is a recipient actor naming an organisation by reference.
func r31dOrgActor(org string) string {
	return `{"role":{"coding":[` + r31dIRCP + `]},"reference":{"reference":"Organization/` + org + `"}}`
}

// r31dRead reads path with tok and returns the status and body.
func r31dRead(e *env, tok, path string, hdr ...string) (int, string) {
	r := e.do("GET", path, tok, "", hdr...)
	return r.status, r.body
}

// TestReview31dDataPeriodMissesExplicitUTCWholeDays: an item whose
// period is given as explicit UTC instants that happen to fall on UTC
// midnights (start 2015-06-01T00:00:00Z, end 2015-06-30T23:59:59Z, as
// systems that keep UTC write whole days) is read as a run of whole UTC
// *dates* and moved an hour earlier to "the same days in England"
// (api/rest.go clinicalSpan). Its last hour, 23:00–23:59:59Z on 30 June,
// is 00:00–00:59 on 1 July in England (BST): data of July. Jane's deny of
// her data from 1 July 2015 must cover it (README: "covered by a deny
// whose period holds any part of it"); the item's true instants overlap
// the deny. A control item ending 22:30Z (23:30 BST, 30 June) is
// released.
func TestReview31dDataPeriodMissesExplicitUTCWholeDays(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	enc := func(id, start, end string) string {
		return `{"resourceType":"Encounter","id":"` + id + `","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},
		 "subject":{"reference":"Patient/jane"},"period":{"start":"` + start + `","end":"` + end + `"},"serviceType":{"text":"R31D-` + id + `"}}`
	}
	e.putAll(t, gpSys,
		[2]string{"/fhir/Encounter/r31d-utc", enc("r31d-utc", "2015-06-01T00:00:00Z", "2015-06-30T23:59:59Z")},
		[2]string{"/fhir/Encounter/r31d-ctl", enc("r31d-ctl", "2015-06-01T00:00:00Z", "2015-06-30T22:30:00Z")},
		[2]string{"/fhir/Encounter/r31d-bst", enc("r31d-bst", "2015-06-01T00:00:00+01:00", "2015-07-01T00:59:59+01:00")},
		[2]string{"/fhir/Consent/r31d-from-july", janeConsent("r31d-from-july", "2026-01-10", "OPTIN",
			`,"provision":{"type":"deny","dataPeriod":{"start":"2015-07-01"}}`)},
	)
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if s, b := r31dRead(e, hosp, "/fhir/Encounter/r31d-ctl"); s != 200 {
		t.Fatalf("premise: an encounter wholly in June (England) is released: %d %.200s", s, b)
	}
	// The same instants written with the +01:00 offset: 23:59:59Z on 30 June.
	if s, _ := r31dRead(e, hosp, "/fhir/Encounter/r31d-bst"); s != 404 {
		t.Errorf("premise: the encounter ending 00:59:59+01:00 on 1 July is covered: %d", s)
	}
	if s, b := r31dRead(e, hosp, "/fhir/Encounter/r31d-utc"); s != 404 {
		t.Errorf("GET Encounter/r31d-utc (period to 2015-06-30T23:59:59Z = 00:59:59 BST on 1 July) released despite Jane's deny of data from 1 July 2015: %d %.200s", s, b)
	}
	s, b := r31dRead(e, hosp, "/fhir/Patient/jane/$everything")
	if s != 200 || strings.Contains(b, "R31D-r31d-utc") {
		t.Errorf("$everything releases the encounter running into 1 July (England): %d contains=%v", s, strings.Contains(b, "R31D-r31d-utc"))
	}
}

// TestReview31dDataPeriodTaskJudgedByAuthoredOn: a social-care assessment
// (Task) carried out in June 2015 (executionPeriod) and entered in 2024
// (authoredOn) is 2015 data, as a letter about 2015 care written in 2024
// is (review 9c). Jane's deny of her 2015 data must withhold it from the
// district nurse; carex judges a Task by authoredOn (rest.go
// clinicalDateParams puts authored-on before period).
func TestReview31dDataPeriodTaskJudgedByAuthoredOn(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	council := e.token("system", "council", "E06000999")
	e.putAll(t, council,
		[2]string{"/fhir/Task/r31d-assess", `{"resourceType":"Task","id":"r31d-assess","status":"completed","intent":"order","for":{"reference":"Patient/jane"},
		 "meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},
		 "code":{"text":"R31D-ASSESSMENT-JUNE-2015"},"authoredOn":"2024-02-01","executionPeriod":{"start":"2015-06-02","end":"2015-06-20"}}`},
		[2]string{"/fhir/Task/r31d-ctl", `{"resourceType":"Task","id":"r31d-ctl","status":"completed","intent":"order","for":{"reference":"Patient/jane"},
		 "meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},
		 "code":{"text":"R31D-ASSESSMENT-2024"},"authoredOn":"2024-02-01","executionPeriod":{"start":"2024-01-10","end":"2024-01-20"}}`},
	)
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/Consent/r31d-no-2015", janeConsent("r31d-no-2015", "2026-01-10", "OPTIN",
			`,"provision":{"type":"deny","dataPeriod":{"start":"2015","end":"2015"}}`)})
	nurse := e.token("district-nurse", "nhs", "RCX")
	if s, b := r31dRead(e, nurse, "/fhir/Task/r31d-ctl"); s != 200 {
		t.Fatalf("premise: the nurse reads the 2024 assessment: %d %.200s", s, b)
	}
	if s, b := r31dRead(e, nurse, "/fhir/Task/r31d-assess"); s != 404 {
		t.Errorf("GET Task/r31d-assess (assessment carried out June 2015, authoredOn 2024) released despite Jane's deny of her 2015 data: %d %.160s", s, b)
	}
}

// TestReview31dSoundThreeLevelNesting: OPTIN; deny to RHX; except permit
// of problems; except deny of the diabetes code. RHX's clinician sees the
// HbA1c? No (deny to RHX), the HIV diagnosis? No (sensitive), diabetes? No
// (deepest deny); another organisation (RCX nurse) sees diabetes.
func TestReview31dSoundThreeLevelNesting(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Condition/r31d-asthma", `{"resourceType":"Condition","id":"r31d-asthma","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"195967001"}],"text":"R31D-ASTHMA"}}`},
		[2]string{"/fhir/Consent/r31d-nest", janeConsent("r31d-nest", "2026-01-10", "OPTIN",
			`,"provision":{"type":"deny","actor":[`+r31dOrgActor("RHX")+`],
			  "provision":[{"type":"permit","class":[{"system":"https://carex.example/data-class","code":"problems"}],
			    "provision":[{"type":"deny","code":[{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]}]}]}]}`)})
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	want := map[string]int{"/fhir/Condition/r31d-asthma": 200, "/fhir/Condition/diabetes": 404, "/fhir/Observation/hba1c": 404, "/fhir/Condition/hiv": 404}
	for p, w := range want {
		if s, _ := r31dRead(e, hosp, p); s != w {
			t.Errorf("RHX clinician GET %s: %d, want %d", p, s, w)
		}
	}
	if s, _ := r31dRead(e, e.token("district-nurse", "nhs", "RCX"), "/fhir/Condition/diabetes"); s != 200 {
		t.Errorf("RCX nurse GET diabetes: %d, want 200 (the deny names RHX only)", s)
	}
	_, b := r31dRead(e, hosp, "/fhir/Patient/jane/$everything")
	if strings.Contains(b, "GP-DIABETES") || strings.Contains(b, "GP-HBA1C") || !strings.Contains(b, "R31D-ASTHMA") {
		t.Errorf("RHX $everything disagrees with the reads: diabetes=%v hba1c=%v asthma=%v", strings.Contains(b, "GP-DIABETES"), strings.Contains(b, "GP-HBA1C"), strings.Contains(b, "R31D-ASTHMA"))
	}
}

// TestReview31dSoundActorForms: a deny to the council written each way
// carex documents — Organization reference, council-code identifier,
// sector, role, national job role — withholds the GP's diabetes from the
// council's social worker and not from the RCX nurse.
func TestReview31dSoundActorForms(t *testing.T) {
	forms := map[string]string{
		"reference":  r31dOrgActor("E06000999"),
		"identifier": `{"role":{"coding":[` + r31dIRCP + `]},"reference":{"identifier":{"system":"https://carex.example/Id/council-code","value":"e06000999"}}}`,
		"sector":     `{"role":{"coding":[{"system":"https://carex.example/sector","code":"council"}]},"reference":{"display":"council"}}`,
		"role":       `{"role":{"coding":[{"system":"https://carex.example/role","code":"social-worker"}]},"reference":{"display":"social workers"}}`,
		"job role":   `{"role":{"coding":[{"system":"https://carex.example/role","code":"S8000:G8000:R8014"}]},"reference":{"display":"social workers"}}`,
	}
	for name, actor := range forms {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			if r := e.do("PUT", "/fhir/Consent/r31d-a", e.token("system", "nhs", "A81001"), janeConsent("r31d-a", "2026-01-10", "OPTIN",
				`,"provision":{"type":"deny","actor":[`+actor+`]}`)); r.status != 201 && r.status != 200 {
				t.Fatalf("consent refused: %d %.300s", r.status, r.body)
			}
			if s, _ := r31dRead(e, e.token("social-worker", "council", "E06000999"), "/fhir/Condition/diabetes"); s != 404 {
				t.Errorf("social worker reads diabetes: %d", s)
			}
			if s, _ := r31dRead(e, e.token("district-nurse", "nhs", "RCX"), "/fhir/Condition/diabetes"); s != 200 {
				t.Errorf("nurse refused diabetes: %d", s)
			}
		})
	}
}

// TestReview31dSoundPeriodsAndSupersession: a deny not yet started or
// already ended withholds nothing; a newer consent of the same recorder
// lifts its objection, entered-in-error brings it back; another
// organisation's newer OPTIN does not lift the GP's objection; a Consent
// about another person, or of treatment scope, is not Jane's sharing rule.
func TestReview31dSoundPeriodsAndSupersession(t *testing.T) {
	gpSys := func(e *env) string { return e.token("system", "nhs", "A81001") }
	nurseReads := func(e *env) int {
		s, _ := r31dRead(e, e.token("district-nurse", "nhs", "RCX"), "/fhir/Condition/diabetes")
		return s
	}
	optOut := janeConsent("r31d-out", "2026-01-10", "OPTOUT", "")
	t.Run("deny not yet started", func(t *testing.T) {
		e := newEnv(t)
		seedShared(t, e)
		e.putAll(t, gpSys(e), [2]string{"/fhir/Consent/r31d-p", janeConsent("r31d-p", "2026-01-10", "OPTIN",
			`,"provision":{"type":"deny","period":{"start":"2099-01-01"}}`)})
		if s := nurseReads(e); s != 200 {
			t.Errorf("future deny withholds now: %d", s)
		}
	})
	t.Run("nested deny ended", func(t *testing.T) {
		e := newEnv(t)
		seedShared(t, e)
		e.putAll(t, gpSys(e), [2]string{"/fhir/Consent/r31d-p", janeConsent("r31d-p", "2026-01-10", "OPTIN",
			`,"provision":{"class":[{"system":"https://carex.example/data-class","code":"problems"}],"provision":[{"type":"deny","period":{"end":"2020-01-01"}}]}`)})
		if s := nurseReads(e); s != 200 {
			t.Errorf("ended deny withholds now: %d", s)
		}
	})
	t.Run("withdrawn, then withdrawal entered in error", func(t *testing.T) {
		e := newEnv(t)
		seedShared(t, e)
		e.putAll(t, gpSys(e), [2]string{"/fhir/Consent/r31d-out", optOut})
		if s := nurseReads(e); s != 404 {
			t.Fatalf("premise: opt-out withholds: %d", s)
		}
		in := janeConsent("r31d-in", "2026-02-01", "OPTIN", "")
		e.putAll(t, gpSys(e), [2]string{"/fhir/Consent/r31d-in", in})
		if s := nurseReads(e); s != 200 {
			t.Errorf("newer OPTIN does not lift the GP's own objection: %d", s)
		}
		e.putAll(t, gpSys(e), [2]string{"/fhir/Consent/r31d-in", strings.Replace(in, `"status":"active"`, `"status":"entered-in-error"`, 1)})
		if s := nurseReads(e); s != 404 {
			t.Errorf("withdrawal entered in error: the objection is not back: %d", s)
		}
	})
	t.Run("another organisation's OPTIN", func(t *testing.T) {
		e := newEnv(t)
		seedShared(t, e)
		e.putAll(t, gpSys(e), [2]string{"/fhir/Consent/r31d-out", optOut})
		e.putAll(t, e.token("system", "nhs", "RCX"), [2]string{"/fhir/Consent/r31d-rcx", janeConsent("r31d-rcx", "2026-02-01", "OPTIN", "")})
		if s := nurseReads(e); s != 404 {
			t.Errorf("RCX's own OPTIN lifts the GP's objection: %d", s)
		}
	})
	t.Run("draft and proposed newer", func(t *testing.T) {
		e := newEnv(t)
		seedShared(t, e)
		e.putAll(t, gpSys(e), [2]string{"/fhir/Consent/r31d-out", optOut})
		for _, st := range []string{"draft", "proposed", "rejected", "inactive"} {
			e.putAll(t, gpSys(e), [2]string{"/fhir/Consent/r31d-" + st, strings.Replace(janeConsent("r31d-"+st, "2026-02-01", "OPTIN", ""), `"status":"active"`, `"status":"`+st+`"`, 1)})
		}
		if s := nurseReads(e); s != 404 {
			t.Errorf("a non-active newer consent lifts the objection: %d", s)
		}
	})
}

// TestReview31dPermitDataPeriodWithholdsCareUntilItsLastDay: Jane opts
// out except for her data up to 20 June 2015 (OPTOUT; permit dataPeriod
// end 2015-06-20). An encounter "until 20 June 2015" (period with an end
// only, R4 allows it) is data of that time, wholly inside the permit, and
// must be released to the hospital clinician. carex reads
// the end date as a UTC day (to 23:59:59.999Z, 00:59 BST on 21 June) and
// moves to days in England only a span whose start is also a UTC midnight
// (rest.go clinicalSpan; an open start is minClinicalStart), so the permit
// does not hold it and it is withheld. The same care written start
// 2015-06-01, end 2015-06-20 is released.
func TestReview31dPermitDataPeriodWithholdsCareUntilItsLastDay(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	enc := func(id, period string) string {
		return `{"resourceType":"Encounter","id":"` + id + `","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},
		 "subject":{"reference":"Patient/jane"},"period":` + period + `,"serviceType":{"text":"R31D-` + id + `"}}`
	}
	e.putAll(t, gpSys,
		[2]string{"/fhir/Encounter/r31d-until", enc("r31d-until", `{"end":"2015-06-20"}`)},
		[2]string{"/fhir/Encounter/r31d-both", enc("r31d-both", `{"start":"2015-06-01","end":"2015-06-20"}`)},
		[2]string{"/fhir/Encounter/r31d-later", enc("r31d-later", `{"start":"2015-06-01","end":"2015-06-21"}`)},
		[2]string{"/fhir/Consent/r31d-upto", janeConsent("r31d-upto", "2026-01-10", "OPTOUT",
			`,"provision":{"type":"permit","dataPeriod":{"end":"2015-06-20"}}`)},
	)
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if s, _ := r31dRead(e, hosp, "/fhir/Encounter/r31d-both"); s != 200 {
		t.Fatalf("premise: care 1–20 June 2015 is released by the permit: %d", s)
	}
	if s, _ := r31dRead(e, hosp, "/fhir/Encounter/r31d-later"); s != 404 {
		t.Fatalf("premise: care to 21 June is not wholly in the permit: %d", s)
	}
	if s, b := r31dRead(e, hosp, "/fhir/Encounter/r31d-until"); s != 200 {
		t.Errorf("GET Encounter/r31d-until (period end 2015-06-20, no start) withheld though Jane permits her data up to 20 June 2015: %d %.160s", s, b)
	}
}

// TestReview31dSoundDataPeriodDaysAndOffsets: a deny of June 2015 (dates
// in England) covers items timed with offsets inside it and not those just
// outside, and an undated item (fail closed) — checked on a read each.
func TestReview31dSoundDataPeriodDaysAndOffsets(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	obs := func(id, eff string) string {
		return `{"resourceType":"Observation","id":"` + id + `","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"R31D-` + id + `"}` + eff + `}`
	}
	e.putAll(t, gpSys,
		[2]string{"/fhir/Observation/r31d-in1", obs("r31d-in1", `,"effectiveDateTime":"2015-06-01T00:10:00+01:00"`)},
		[2]string{"/fhir/Observation/r31d-in2", obs("r31d-in2", `,"effectiveDateTime":"2015-06-30T23:30:00+01:00"`)},
		[2]string{"/fhir/Observation/r31d-in3", obs("r31d-in3", `,"effectiveDateTime":"2015"`)},
		[2]string{"/fhir/Observation/r31d-in4", obs("r31d-in4", "")},
		[2]string{"/fhir/Observation/r31d-out1", obs("r31d-out1", `,"effectiveDateTime":"2015-05-31T23:50:00+01:00"`)},
		[2]string{"/fhir/Observation/r31d-out2", obs("r31d-out2", `,"effectiveDateTime":"2015-07-01T00:00:00+01:00"`)},
		[2]string{"/fhir/Consent/r31d-june", janeConsent("r31d-june", "2026-01-10", "OPTIN",
			`,"provision":{"type":"deny","dataPeriod":{"start":"2015-06","end":"2015-06"}}`)},
	)
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for id, want := range map[string]int{"r31d-in1": 404, "r31d-in2": 404, "r31d-in3": 404, "r31d-in4": 404, "r31d-out1": 200, "r31d-out2": 200} {
		if s, _ := r31dRead(e, hosp, "/fhir/Observation/"+id); s != want {
			t.Errorf("GET Observation/%s: %d, want %d", id, s, want)
		}
	}
}

// TestReview31dSoundOtherOrgCannotRewriteTheObjection: the nurse's trust
// cannot replace or delete the GP's Consent recording Jane's objection.
func TestReview31dSoundOtherOrgCannotRewriteTheObjection(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Consent/r31d-out", janeConsent("r31d-out", "2026-01-10", "OPTOUT", "")})
	rcx := e.token("system", "nhs", "RCX")
	if r := e.do("PUT", "/fhir/Consent/r31d-out", rcx, janeConsent("r31d-out", "2026-02-01", "OPTIN", "")); r.status < 400 {
		t.Errorf("RCX replaced the GP's objection: %d", r.status)
	}
	if r := e.do("DELETE", "/fhir/Consent/r31d-out", rcx, ""); r.status < 400 {
		t.Errorf("RCX deleted the GP's objection: %d", r.status)
	}
	if s, _ := r31dRead(e, e.token("district-nurse", "nhs", "RCX"), "/fhir/Condition/diabetes"); s != 404 {
		t.Errorf("the objection no longer withholds: %d", s)
	}
}

// TestReview31dSoundOptOutShapes: an opt-out written as OPTOUT alone, as
// OPTIN with an unnarrowed deny, or as OPTOUT with a root limited only by
// an open period, withholds the GP's diabetes from the nurse and RHX,
// while the GP sees its own.
func TestReview31dSoundOptOutShapes(t *testing.T) {
	shapes := map[string][2]string{
		"OPTOUT alone":            {"OPTOUT", ""},
		"OPTIN, deny":             {"OPTIN", `,"provision":{"type":"deny"}`},
		"OPTOUT, period from":     {"OPTOUT", `,"provision":{"period":{"start":"2020-01-01"}}`},
		"OPTIN, deny, action":     {"OPTIN", `,"provision":{"type":"deny","action":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentaction","code":"access"}]}]}`},
		"OPTIN, deny, TREAT only": {"OPTIN", `,"provision":{"type":"deny","purpose":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"TREAT"}]}`},
	}
	for name, sh := range shapes {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Consent/r31d-o", janeConsent("r31d-o", "2026-01-10", sh[0], sh[1])})
			for _, tok := range []string{e.token("district-nurse", "nhs", "RCX"), e.token("hospital-clinician", "nhs", "RHX")} {
				if s, _ := r31dRead(e, tok, "/fhir/Condition/diabetes"); s != 404 {
					t.Errorf("diabetes released: %d", s)
				}
			}
			if s, _ := r31dRead(e, e.token("gp", "nhs", "A81001"), "/fhir/Condition/diabetes"); s != 200 {
				t.Errorf("the GP does not see its own: %d", s)
			}
		})
	}
}

// TestReview31dSoundNotJanesSharingRule: a treatment-scope Consent with a
// deny, Bob's opt-out, and Jane's opt-out as a draft do not withhold
// Jane's diabetes from the nurse; two same-day Consents decide in the
// order recorded (objection after permission: withheld).
func TestReview31dSoundNotJanesSharingRule(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Patient/bob", `{"resourceType":"Patient","id":"bob","name":[{"family":"Jones"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`},
		[2]string{"/fhir/Consent/r31d-treat", strings.Replace(janeConsent("r31d-treat", "2026-01-10", "OPTOUT", `,"provision":{"type":"deny"}`), `"code":"patient-privacy"`, `"code":"treatment"`, 1)},
		[2]string{"/fhir/Consent/r31d-bob", strings.Replace(janeConsent("r31d-bob", "2026-01-10", "OPTOUT", ""), "Patient/jane", "Patient/bob", 1)},
		[2]string{"/fhir/Consent/r31d-draft", strings.Replace(janeConsent("r31d-draft", "2026-01-10", "OPTOUT", ""), `"status":"active"`, `"status":"draft"`, 1)},
	)
	if s, _ := r31dRead(e, nurse, "/fhir/Condition/diabetes"); s != 200 {
		t.Errorf("a Consent that is not Jane's active sharing rule withholds: %d", s)
	}
	e.putAll(t, gpSys,
		[2]string{"/fhir/Consent/r31d-in", janeConsent("r31d-in", "2026-01-10", "OPTIN", "")},
		[2]string{"/fhir/Consent/r31d-out", janeConsent("r31d-out", "2026-01-10", "OPTOUT", "")})
	if s, _ := r31dRead(e, nurse, "/fhir/Condition/diabetes"); s != 404 {
		t.Errorf("a same-day objection recorded after the permission does not decide: %d", s)
	}
}

// TestReview31dDenyOfAnInstanceMissesItsCopies: Jane's deny of one
// diagnosis to the hospital RHX. Written by its code (subtest "code": sound)
// it also keeps from RHX the GP's summary Bundle that carries the same
// diagnosis, whose entries are its content (README: a stored Bundle is
// labelled and coded from its entries). Written as the item itself (data
// meaning instance, Condition/diabetes: subtest "instance") it withholds
// the Condition but RHX's clinician reads the same diagnosis, same id,
// from the Bundle, by read, search and $everything. A clinician at RCX
// reads the summary in both cases.
func TestReview31dDenyOfAnInstanceMissesItsCopies(t *testing.T) {
	for _, what := range []string{"code", "instance"} {
		t.Run(what, func(t *testing.T) { r31dInstanceCopies(t, what) })
	}
}

func r31dInstanceCopies(t *testing.T, what string) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Bundle/r31d-summary", `{"resourceType":"Bundle","id":"r31d-summary","type":"collection","entry":[
		 {"fullUrl":"Patient/jane","resource":{"resourceType":"Patient","id":"jane","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"name":[{"family":"Smith"}]}},
		 {"fullUrl":"Condition/diabetes","resource":{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}],"text":"GP-DIABETES"}}}]}`})
	sw := e.token("hospital-clinician", "nhs", "RHX")
	if s, b := r31dRead(e, sw, "/fhir/Bundle/r31d-summary"); s != 200 || !strings.Contains(b, "GP-DIABETES") {
		t.Fatalf("premise: without the consent the RHX clinician reads the summary: %d %.300s", s, b)
	}
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/r31d-inst", janeConsent("r31d-inst", "2026-01-10", "OPTIN",
		`,"provision":{"type":"deny","actor":[`+r31dOrgActor("RHX")+`],`+map[string]string{
			"instance": `"data":[{"meaning":"instance","reference":{"reference":"Condition/diabetes"}}]}`,
			"code":     `"code":[{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]}]}`}[what])})
	if s, _ := r31dRead(e, sw, "/fhir/Condition/diabetes"); s != 404 {
		t.Fatalf("premise: the instance deny withholds the diagnosis: %d", s)
	}
	for _, p := range []string{"/fhir/Condition?patient=jane", "/fhir/Condition/diabetes/_history", "/fhir/Patient/jane/$everything", "/fhir/Bundle/r31d-summary", "/fhir/Bundle?_id=r31d-summary"} {
		if _, b := r31dRead(e, sw, p); strings.Contains(b, "GP-DIABETES") {
			t.Errorf("deny by %s of Condition/diabetes to RHX: RHX clinician GET %s releases the denied diagnosis (GP-DIABETES, from the GP's summary Bundle carrying it)", what, p)
		}
	}
	if s, b := r31dRead(e, e.token("hospital-clinician", "nhs", "RCX"), "/fhir/Bundle/r31d-summary"); s != 200 || !strings.Contains(b, "GP-DIABETES") {
		t.Errorf("the deny to RHX withholds the summary from RCX: %d", s)
	}
}

// TestReview31dSoundOptOutShapes: an opt-out written as OPTOUT alone, as
// OPTIN with an unnarrowed deny, or as OPTOUT with a root limited only by

// TestReview31dSoundPermitOfAnInstanceReleasesNoCarrier: under Jane's
// objection, a permit of Condition/diabetes to the hospital releases that
// Condition, and not the GP's summary Bundle carrying it beside another
// diagnosis.
func TestReview31dSoundPermitOfAnInstanceReleasesNoCarrier(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Bundle/r31d-summary2", `{"resourceType":"Bundle","id":"r31d-summary2","type":"collection","entry":[
		 {"fullUrl":"Condition/diabetes","resource":{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"text":"GP-DIABETES"}}},
		 {"fullUrl":"Condition/r31d-other","resource":{"resourceType":"Condition","id":"r31d-other","subject":{"reference":"Patient/jane"},"code":{"text":"R31D-OTHER"}}}]}`},
		[2]string{"/fhir/Consent/r31d-permit", janeConsent("r31d-permit", "2026-01-10", "OPTOUT",
			`,"provision":{"type":"permit","actor":[`+r31dOrgActor("RHX")+`],"data":[{"meaning":"instance","reference":{"reference":"Condition/diabetes"}}]}`)})
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if s, _ := r31dRead(e, hosp, "/fhir/Condition/diabetes"); s != 200 {
		t.Errorf("the permitted Condition: %d", s)
	}
	if s, b := r31dRead(e, hosp, "/fhir/Bundle/r31d-summary2"); s != 404 || strings.Contains(b, "R31D-OTHER") {
		t.Errorf("the Bundle carrying it and another: %d", s)
	}
}
