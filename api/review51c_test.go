package api_test

// Review 51c: the consent lifecycle (SPEC §5 layer 3, §3 "Consents are
// ordinary FHIR Consent resources (create, supersede, history)").

import (
	"strings"
	"testing"
	"time"
)

const r51cCouncilIRCP = `{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/E06000999"}}`

// r51cSWReadsDiabetes: does the council's social worker read the GP's
// diabetes diagnosis (problems are in the social worker's classes)?
func r51cSWReadsDiabetes(t *testing.T, e *env) bool {
	t.Helper()
	sw := e.token("social-worker", "council", "E06000999")
	r := e.do("GET", "/fhir/Condition/diabetes", sw, "")
	if r.status != 200 && r.status != 404 {
		t.Fatalf("social worker read: %d %s", r.status, r.body)
	}
	return r.status == 200
}

// TestReview51cConsentCodeDenyNamesWithheldCodeToCouncil: Jane asks that
// her diabetes (SNOMED 44054006) is not shared with the council. The GP
// diagnosis is then withheld from the social worker (404), yet the
// Consent recording the choice — readable by the social worker, whose
// role sees the consent class — names the code and its term, telling the
// council what was withheld from it. A deny of the same item by
// reference (data meaning instance) is masked for her (README: "a
// Consent provision naming an item ... carries the reference masked");
// the code naming the same withheld item is not.
func TestReview51cConsentCodeDenyNamesWithheldCodeToCouncil(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	sw := e.token("social-worker", "council", "E06000999")
	if !r51cSWReadsDiabetes(t, e) {
		t.Fatal("setup: the social worker does not read the diagnosis before any consent")
	}
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/no-diabetes-to-council", janeConsent("no-diabetes-to-council", "2026-01-10", "OPTIN",
		`,"provision":{"type":"deny","actor":[`+r51cCouncilIRCP+`],
		  "code":[{"coding":[{"system":"http://snomed.info/sct","code":"44054006","display":"R51C-TYPE-2-DIABETES"}]}]}`)})
	if r51cSWReadsDiabetes(t, e) {
		t.Fatal("the deny of the diabetes code to the council is not applied")
	}
	for _, path := range []string{"/fhir/Consent/no-diabetes-to-council", "/fhir/Consent?patient=jane", "/fhir/Patient/jane/$everything"} {
		r := e.do("GET", path, sw, "")
		if r.status == 200 && (strings.Contains(r.body, "44054006") || strings.Contains(r.body, "R51C-TYPE-2-DIABETES")) {
			t.Errorf("GET %s as the council's social worker: %d, the diagnosis is withheld from her but the Consent names it: %s", path, r.status, r51cSnippet(r.body, "44054006"))
		}
	}
}

// TestReview51cSoundConsentInstanceDenyMaskedToCouncil: the same choice
// made by naming the item (data meaning instance) is masked.
func TestReview51cSoundConsentInstanceDenyMaskedToCouncil(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	sw := e.token("social-worker", "council", "E06000999")
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/no-diabetes-item", janeConsent("no-diabetes-item", "2026-01-10", "OPTIN",
		`,"provision":{"type":"deny","actor":[`+r51cCouncilIRCP+`],
		  "data":[{"meaning":"instance","reference":{"reference":"Condition/diabetes"}}]}`)})
	if r51cSWReadsDiabetes(t, e) {
		t.Fatal("the deny of Condition/diabetes to the council is not applied")
	}
	for _, path := range []string{"/fhir/Consent/no-diabetes-item", "/fhir/Consent?patient=jane", "/fhir/Patient/jane/$everything"} {
		r := e.do("GET", path, sw, "")
		if strings.Contains(r.body, "Condition/diabetes") {
			t.Errorf("GET %s: %d names the withheld item: %s", path, r.status, r51cSnippet(r.body, "Condition/diabetes"))
		}
	}
}

func r51cSnippet(body, at string) string {
	i := strings.Index(body, at)
	if i < 0 {
		if len(body) > 300 {
			return body[:300]
		}
		return body
	}
	lo, hi := max(0, i-200), min(len(body), i+150)
	return body[lo:hi]
}

// TestReview51cSoundConsentWriters: who may record, change and remove a
// Consent of Jane's.
func TestReview51cSoundConsentWriters(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	janeObjects(t, e, gpSys) // GP objection, 2025-03-01, nurse withheld
	deny := func(id string) string {
		return janeConsent(id, "2026-01-10", "OPTIN", `,"provision":{"type":"deny","actor":[`+r51cCouncilIRCP+`]}`)
	}
	permitAll := func(id string) string { return janeConsent(id, "2026-01-11", "OPTIN", "") }
	cases := []struct {
		name, method, path, token, body string
		ok                              bool
	}{
		{"IG officer records a consent", "PUT", "/fhir/Consent/ig1", e.token("ig-officer", "nhs", "A81001"), deny("ig1"), false},
		{"stranger GP records a consent", "PUT", "/fhir/Consent/st1", e.token("gp", "nhs", "Z99999"), deny("st1"), false},
		{"stranger system records a consent", "PUT", "/fhir/Consent/st2", e.token("system", "nhs", "Z99999"), deny("st2"), false},
		{"council social worker overwrites the GP's objection", "PUT", "/fhir/Consent/objection", e.token("social-worker", "council", "E06000999"), permitAll("objection"), false},
		{"council system overwrites the GP's objection", "PUT", "/fhir/Consent/objection", e.token("system", "council", "E06000999"), permitAll("objection"), false},
		{"nurse deletes the GP's objection", "DELETE", "/fhir/Consent/objection", e.token("district-nurse", "nhs", "RCX"), "", false},
		{"council social worker deletes the GP's objection", "DELETE", "/fhir/Consent/objection", e.token("social-worker", "council", "E06000999"), "", false},
		{"IG officer deletes the GP's objection", "DELETE", "/fhir/Consent/objection", e.token("ig-officer", "nhs", "A81001"), "", false},
		{"hospital clinician records a permit of everything (newer)", "PUT", "/fhir/Consent/h1", e.token("hospital-clinician", "nhs", "RHX"), permitAll("h1"), true},
		{"council social worker records a permit of everything (newer)", "PUT", "/fhir/Consent/c1", e.token("social-worker", "council", "E06000999"), permitAll("c1"), true},
		{"nurse records a permit of everything (newer)", "PUT", "/fhir/Consent/n1", e.token("district-nurse", "nhs", "RCX"), permitAll("n1"), true},
	}
	for _, tc := range cases {
		r := e.do(tc.method, tc.path, tc.token, tc.body)
		okStatus := r.status == 200 || r.status == 201 || r.status == 204
		if okStatus != tc.ok {
			t.Errorf("%s: %d %s", tc.name, r.status, r51cSnippet(r.body, ""))
		}
		if nurseReadsDiabetes(t, e) {
			t.Fatalf("after %s (%d), Jane's GP objection no longer holds: the nurse reads her diabetes", tc.name, r.status)
		}
	}
	// With break-glass, a stranger still may not record her choices.
	if r := e.do("PUT", "/fhir/Consent/st3", e.token("gp", "nhs", "Z99999"), deny("st3"), "X-Break-Glass", "EMERGENCY: unconscious in A&E, no history"); r.status != 403 {
		t.Errorf("stranger with break-glass records a consent: %d %s", r.status, r51cSnippet(r.body, ""))
	}
}

// TestReview51cSoundStatusValues: a newer permit of the GP's lifts the
// objection only while active; any other status, or a change of the
// newer to one, leaves the objection in force.
func TestReview51cSoundStatusValues(t *testing.T) {
	for _, status := range []string{"draft", "proposed", "rejected", "inactive", "entered-in-error"} {
		t.Run(status, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			gpSys := e.token("system", "nhs", "A81001")
			janeObjects(t, e, gpSys)
			permit := janeConsent("permit", "2025-03-02", "OPTIN", "")
			r := e.do("PUT", "/fhir/Consent/permit", gpSys, strings.Replace(permit, `"status":"active"`, `"status":"`+status+`"`, 1))
			if r.status != 201 && r.status != 200 {
				t.Logf("a %s permit: %d %s", status, r.status, r51cSnippet(r.body, ""))
			}
			if nurseReadsDiabetes(t, e) {
				t.Errorf("a %s newer permit lifted the objection", status)
			}
			e.putAll(t, gpSys, [2]string{"/fhir/Consent/permit", permit})
			if !nurseReadsDiabetes(t, e) {
				t.Fatal("the active permit did not lift the objection")
			}
			if r := e.do("PUT", "/fhir/Consent/permit", gpSys, strings.Replace(permit, `"status":"active"`, `"status":"`+status+`"`, 1)); r.status != 200 {
				t.Fatalf("permit to %s: %d %s", status, r.status, r.body)
			}
			if nurseReadsDiabetes(t, e) {
				t.Errorf("the newer permit, changed to %s, still lifts the objection", status)
			}
		})
	}
	t.Run("unknown status", func(t *testing.T) {
		e := newEnv(t)
		seedShared(t, e)
		gpSys := e.token("system", "nhs", "A81001")
		r := e.do("PUT", "/fhir/Consent/odd", gpSys, strings.Replace(janeConsent("odd", "2025-03-02", "OPTOUT", ""), `"status":"active"`, `"status":"suspended"`, 1))
		if r.status != 400 && r.status != 422 {
			t.Errorf("status suspended: %d %s", r.status, r51cSnippet(r.body, ""))
		}
	})
}

// TestReview51cSoundDateTimeOrdering: same dateTime, recording order
// decides; none or future is refused.
func TestReview51cSoundDateTimeOrdering(t *testing.T) {
	t.Run("objection then permit, same day", func(t *testing.T) {
		e := newEnv(t)
		seedShared(t, e)
		gpSys := e.token("system", "nhs", "A81001")
		janeObjects(t, e, gpSys)
		e.putAll(t, gpSys, [2]string{"/fhir/Consent/permit", janeConsent("permit", "2025-03-01", "OPTIN", "")})
		if !nurseReadsDiabetes(t, e) {
			t.Error("the permit recorded after the objection, same dateTime, does not decide")
		}
	})
	t.Run("permit then objection, same day", func(t *testing.T) {
		e := newEnv(t)
		seedShared(t, e)
		gpSys := e.token("system", "nhs", "A81001")
		e.putAll(t, gpSys, [2]string{"/fhir/Consent/permit", janeConsent("permit", "2025-03-01", "OPTIN", "")})
		janeObjects(t, e, gpSys)
	})
	t.Run("same instant, objection recorded last, permit of another org", func(t *testing.T) {
		e := newEnv(t)
		seedShared(t, e)
		gpSys := e.token("system", "nhs", "A81001")
		janeObjects(t, e, gpSys)
		e.putAll(t, e.token("system", "nhs", "RCX"), [2]string{"/fhir/Consent/rcx-permit", janeConsent("rcx-permit", "2026-01-01", "OPTIN", "")})
		if nurseReadsDiabetes(t, e) {
			t.Error("the trust's own newer permit lifted the GP's objection")
		}
	})
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	noDate := strings.Replace(janeConsent("nodate", "X", "OPTOUT", ""), `"dateTime":"X",`, "", 1)
	if r := e.do("PUT", "/fhir/Consent/nodate", gpSys, noDate); r.status != 422 {
		t.Errorf("no dateTime: %d %s", r.status, r51cSnippet(r.body, ""))
	}
	// (two days on: "tomorrow" at 23:59:52 began within the clock skew
	// allowed, and CI once ran it then)
	tomorrow := time.Now().Add(48 * time.Hour).Format("2006-01-02")
	if r := e.do("PUT", "/fhir/Consent/future", gpSys, janeConsent("future", tomorrow, "OPTIN", "")); r.status != 422 {
		t.Errorf("dated tomorrow: %d %s", r.status, r51cSnippet(r.body, ""))
	}
	soon := time.Now().Add(10 * time.Minute).UTC().Format(time.RFC3339)
	if r := e.do("PUT", "/fhir/Consent/soon", gpSys, janeConsent("soon", soon, "OPTIN", "")); r.status != 422 {
		t.Errorf("dated 10 minutes ahead: %d %s", r.status, r51cSnippet(r.body, ""))
	}
}

// TestReview51cSoundRootPeriod: a deny to the council in force only
// within its period; a date-only end is the whole of that day in England.
func TestReview51cSoundRootPeriod(t *testing.T) {
	london, _ := time.LoadLocation("Europe/London")
	now := time.Now().In(london)
	today := now.Format("2006-01-02")
	cases := []struct {
		name, period string
		inForce      bool
	}{
		{"starts tomorrow", `{"start":"` + now.Add(24*time.Hour).Format("2006-01-02") + `"}`, false},
		{"ended yesterday", `{"end":"` + now.Add(-24*time.Hour).Format("2006-01-02") + `"}`, false},
		{"ends today (date only)", `{"end":"` + today + `"}`, true},
		{"starts today (date only)", `{"start":"` + today + `"}`, true},
		{"ended a minute ago", `{"end":"` + time.Now().Add(-time.Minute).UTC().Format(time.RFC3339) + `"}`, false},
		{"starts in an hour (instant, +05:00)", `{"start":"` + time.Now().Add(time.Hour).In(time.FixedZone("", 5*3600)).Format(time.RFC3339) + `"}`, false},
		{"ends in an hour (instant, -07:00)", `{"end":"` + time.Now().Add(time.Hour).In(time.FixedZone("", -7*3600)).Format(time.RFC3339) + `"}`, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			gpSys := e.token("system", "nhs", "A81001")
			e.putAll(t, gpSys, [2]string{"/fhir/Consent/c", janeConsent("c", "2026-01-10", "OPTIN",
				`,"provision":{"type":"deny","period":`+tc.period+`,"actor":[`+r51cCouncilIRCP+`]}`)})
			if got := !r51cSWReadsDiabetes(t, e); got != tc.inForce {
				t.Errorf("deny with period %s: in force %v, want %v", tc.period, got, tc.inForce)
			}
		})
	}
}

// TestReview51cSoundChangesApplyAtOnce: every read path of the social
// worker follows the GP's consent changes with no stale answer.
func TestReview51cSoundChangesApplyAtOnce(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	sw := e.token("social-worker", "council", "E06000999")
	paths := []string{
		"/fhir/Condition/diabetes",
		"/fhir/Condition/diabetes/_history",
		"/fhir/Condition/diabetes/_history/1",
		"/fhir/Condition?patient=jane",
		"/fhir/Condition?_id=diabetes",
		"/fhir/Patient/jane/$everything",
		"/fhir/Patient?_id=jane&_revinclude=Condition:subject",
		"/fhir/Condition?code=http://snomed.info/sct|44054006",
	}
	check := func(stage string, want bool) {
		t.Helper()
		for _, p := range paths {
			r := e.do("GET", p, sw, "")
			if got := strings.Contains(r.body, "GP-DIABETES"); got != want {
				t.Errorf("%s: GET %s: released %v, want %v (%d)", stage, p, got, want, r.status)
			}
		}
	}
	check("before", true)
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/nc", janeConsent("nc", "2026-01-10", "OPTIN", `,"provision":{"type":"deny","actor":[`+r51cCouncilIRCP+`]}`)})
	check("after the deny", false)
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/nc2", janeConsent("nc2", "2026-01-11", "OPTIN", "")})
	check("after a newer permit", true)
	if r := e.do("DELETE", "/fhir/Consent/nc2", gpSys, ""); r.status != 204 && r.status != 200 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	check("after deleting the newer permit", false)
	if r := e.do("PUT", "/fhir/Consent/nc", gpSys, strings.Replace(janeConsent("nc", "2026-01-10", "OPTIN", `,"provision":{"type":"deny","actor":[`+r51cCouncilIRCP+`]}`), `"status":"active"`, `"status":"entered-in-error"`, 1)); r.status != 200 {
		t.Fatalf("entered-in-error: %d %s", r.status, r.body)
	}
	check("after the deny was entered in error", true)
}

// TestReview51cSoundActorForms: a deny to the council by reference, by
// its council-code identifier, by sector, by role; by class as resource
// type or data class.
func TestReview51cSoundActorForms(t *testing.T) {
	ircp := `"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]}`
	cases := map[string]string{
		"identifier":           `"actor":[{` + ircp + `,"reference":{"identifier":{"system":"https://carex.example/Id/council-code","value":"E06000999"}}}]`,
		"reference lower case": `"actor":[{` + ircp + `,"reference":{"reference":"Organization/e06000999"}}]`,
		"absolute reference":   `"actor":[{` + ircp + `,"reference":{"reference":"https://elsewhere.example/fhir/Organization/E06000999"}}]`,
		"sector":               `"actor":[{"role":{"coding":[{"system":"https://carex.example/sector","code":"council"}]},"reference":{"display":"the council"}}]`,
		"role R8014":           `"actor":[{"role":{"coding":[{"system":"https://carex.example/role","code":"R8014"}]},"reference":{"display":"social workers"}}]`,
		"class Condition":      `"actor":[` + r51cCouncilIRCP + `],"class":[{"system":"http://hl7.org/fhir/resource-types","code":"Condition"}]`,
		"class problems":       `"actor":[` + r51cCouncilIRCP + `],"class":[{"system":"https://carex.example/data-class","code":"problems"}]`,
	}
	for name, prov := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			gpSys := e.token("system", "nhs", "A81001")
			r := e.do("PUT", "/fhir/Consent/c", gpSys, janeConsent("c", "2026-01-10", "OPTIN", `,"provision":{"type":"deny",`+prov+`}`))
			if r.status == 422 || r.status == 400 {
				t.Logf("refused: %s", r51cSnippet(r.body, ""))
				return
			}
			if r.status != 201 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if r51cSWReadsDiabetes(t, e) {
				t.Errorf("deny (%s) accepted (201) but the social worker reads the diagnosis", name)
			}
		})
	}
}

// TestReview51cSoundDataPeriod: a deny to the hospital of data from May
// 2025 covers the observation of 1 May 2025 and the undated diagnosis,
// not the admission of March 2025.
func TestReview51cSoundDataPeriod(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, [2]string{"/fhir/Observation/undated", `{"resourceType":"Observation","id":"undated","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"GP-UNDATED-OBS"}}`})
	e.putAll(t, gpSys, [2]string{"/fhir/Observation/old", `{"resourceType":"Observation","id":"old","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"GP-OLD-OBS"},"effectiveDateTime":"2024-01-01"}`})
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/c", janeConsent("c", "2026-01-10", "OPTIN",
		`,"provision":{"type":"deny","dataPeriod":{"start":"2025-05-01","end":"2025-05-31"},"actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RHX"}}]}`)})
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	r := e.do("GET", "/fhir/Patient/jane/$everything", hosp, "")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	for _, s := range []string{"GP-HBA1C", "GP-UNDATED-OBS", "GP-DIABETES"} {
		if strings.Contains(r.body, s) {
			t.Errorf("%s released to the hospital under a deny of May 2025 data", s)
		}
	}
	for _, s := range []string{"GP-OLD-OBS", "HOSP-ADMISSION"} {
		if !strings.Contains(r.body, s) {
			t.Errorf("%s withheld from the hospital though outside the deny's dataPeriod", s)
		}
	}
}

// TestReview51cSoundConsentSearchByMaskedDataReference: the GP's deny of
// Condition/diabetes to the council goes out to the social worker with
// the data reference masked. A search of Consents by that reference must
// not tell her which item it names: the answer to data=Condition/diabetes
// must be the answer to data= an item the Consent does not name.
func TestReview51cSoundConsentSearchByMaskedDataReference(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	sw := e.token("social-worker", "council", "E06000999")
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/no-diabetes-item", janeConsent("no-diabetes-item", "2026-01-10", "OPTIN",
		`,"provision":{"type":"deny","actor":[`+r51cCouncilIRCP+`],
		  "data":[{"meaning":"instance","reference":{"reference":"Condition/diabetes"}}]}`)})
	if r51cSWReadsDiabetes(t, e) {
		t.Fatal("premise: the deny is applied")
	}
	if r := e.do("GET", "/fhir/Consent/no-diabetes-item", sw, ""); r.status != 200 || strings.Contains(r.body, "Condition/diabetes") {
		t.Fatalf("premise: the social worker reads the Consent with the reference masked: %d %s", r.status, r51cSnippet(r.body, ""))
	}
	finds := func(q string) bool {
		t.Helper()
		r := e.do("GET", "/fhir/Consent?"+q, sw, "")
		if r.status != 200 {
			t.Logf("%s: %d %s", q, r.status, r51cSnippet(r.body, ""))
			return false
		}
		return strings.Contains(r.body, `"no-diabetes-item"`)
	}
	if r := e.do("GET", "/fhir/Consent?data=Condition/diabetes", gpSys, ""); !strings.Contains(r.body, `"no-diabetes-item"`) {
		t.Logf("control: the GP's own search by data does not find its Consent either: %d %s", r.status, r51cSnippet(r.body, ""))
	} else {
		t.Log("control: the GP finds its Consent by data=Condition/diabetes")
	}
	for _, pair := range [][2]string{
		{"data=Condition/diabetes", "data=Condition/hiv"},
		{"patient=jane&data=Condition/diabetes", "patient=jane&data=Condition/hiv"},
		{"data=diabetes", "data=hba1c"},
		{"data:Condition=diabetes", "data:Condition=hiv"},
		{"data:not=Condition/diabetes", "data:not=Condition/hiv"},
		{"data.code=44054006", "data.code=86406008"},
		{"data:Condition.code=44054006", "data:Condition.code=86406008"},
	} {
		if a, b := finds(pair[0]), finds(pair[1]); a != b {
			t.Errorf("Consent?%s finds the Consent: %v; Consent?%s: %v — the masked reference is told", pair[0], a, pair[1], b)
		}
	}
	for _, q := range []string{"patient=jane&_include=Consent:data", "patient=jane&_include=*", "_id=no-diabetes-item&_include:iterate=Consent:data"} {
		r := e.do("GET", "/fhir/Consent?"+q, sw, "")
		if strings.Contains(r.body, "GP-DIABETES") || strings.Contains(r.body, "Condition/diabetes") {
			t.Errorf("Consent?%s: %d releases or names the withheld item: %s", q, r.status, r51cSnippet(r.body, "diabetes"))
		}
	}
}

// TestReview51cSoundDataPeriodOpenEndedAndRecordedOnly: Jane asks that
// her records of 2020 are not shared with the hospital. A care plan
// running since 2014 with no end is care of 2020 too (README: an item
// over a period is covered by a deny whose period holds any part of it);
// a diagnosis with only a recordedDate in 2020, and one with no date, are
// covered too (an undated item may be of that period).
func TestReview51cSoundDataPeriodOpenEndedAndRecordedOnly(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/CarePlan/ongoing", `{"resourceType":"CarePlan","id":"ongoing","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"GP-ONGOING-PLAN","period":{"start":"2014-01-01"}}`},
		[2]string{"/fhir/Encounter/ongoing", `{"resourceType":"Encounter","id":"ongoing","status":"in-progress","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/jane"},"serviceType":{"text":"GP-ONGOING-ENC"},"period":{"start":"2019-06-01"}}`},
		[2]string{"/fhir/Condition/recorded2020", `{"resourceType":"Condition","id":"recorded2020","subject":{"reference":"Patient/jane"},"code":{"text":"GP-RECORDED-2020"},"recordedDate":"2020-05-05"}`},
		[2]string{"/fhir/MedicationRequest/ongoing", `{"resourceType":"MedicationRequest","id":"ongoing","status":"active","intent":"order","subject":{"reference":"Patient/jane"},"medicationCodeableConcept":{"text":"GP-MED-SINCE-2018"},"authoredOn":"2018-02-02","dosageInstruction":[{"timing":{"repeat":{"boundsPeriod":{"start":"2018-02-02"}}}}]}`},
		[2]string{"/fhir/Condition/onset2014", `{"resourceType":"Condition","id":"onset2014","subject":{"reference":"Patient/jane"},"code":{"text":"GP-ONSET-2014-ABATED-2021"},"onsetDateTime":"2014-03-03","abatementDateTime":"2021-01-01"}`},
	)
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/c", janeConsent("c", "2026-01-10", "OPTIN",
		`,"provision":{"type":"deny","dataPeriod":{"start":"2020-01-01","end":"2020-12-31"},"actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RHX"}}]}`)})
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	r := e.do("GET", "/fhir/Patient/jane/$everything", hosp, "")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	for _, s := range []string{"GP-ONGOING-PLAN", "GP-ONGOING-ENC", "GP-RECORDED-2020", "GP-DIABETES"} {
		if strings.Contains(r.body, s) {
			t.Errorf("%s released to the hospital under Jane's deny of her 2020 records", s)
		}
	}
	for _, s := range []string{"GP-MED-SINCE-2018", "GP-ONSET-2014-ABATED-2021"} {
		t.Logf("%s released: %v", s, strings.Contains(r.body, s))
	}
}

// TestReview51cSoundConsentsOfUnrelatedPeople: John's Consent (his GP's)
// is not released to the council, which has no relationship with him, by
// any route that does not name him.
func TestReview51cSoundConsentsOfUnrelatedPeople(t *testing.T) {
	const john = `{"resourceType":"Patient","id":"john","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765870"}],
"name":[{"family":"Jones","given":["John"]}],"gender":"male","birthDate":"1951-01-01","generalPractitioner":[{"reference":"Organization/A81001"}]}`
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, [2]string{"/fhir/Patient/john", john},
		[2]string{"/fhir/Consent/john-c", strings.NewReplacer(`"Patient/jane"`, `"Patient/john"`, `"id":"john-c"`, `"id":"john-c"`).Replace(janeConsent("john-c", "2026-01-10", "OPTOUT", ""))})
	for _, tok := range []struct{ name, tok string }{
		{"social worker", e.token("social-worker", "council", "E06000999")},
		{"nurse", e.token("district-nurse", "nhs", "RCX")},
		{"council system", e.token("system", "council", "E06000999")},
	} {
		for _, p := range []string{"/fhir/Consent", "/fhir/Consent?status=active", "/fhir/Consent/_history", "/fhir/_history",
			"/fhir/Consent?_id=john-c", "/fhir/Consent/john-c", "/fhir/Consent/john-c/_history", "/fhir/Consent?patient=john",
			"/fhir/Consent?scope=patient-privacy", "/fhir/Consent?_lastUpdated=gt2000-01-01", "/fhir/Consent?patient:missing=false",
			"/fhir/Consent?_summary=count", "/fhir/Consent?policy-rule=OPTOUT"} {
			r := e.do("GET", p, tok.tok, "")
			if strings.Contains(r.body, `"id":"john-c"`) || strings.Contains(r.body, `"reference":"Patient/john"`) || (r.status == 200 && strings.HasPrefix(p, "/fhir/Consent") && strings.Contains(r.body, `"total":1`)) {
				t.Errorf("%s: GET %s: %d tells John's Consent: %s", tok.name, p, r.status, r51cSnippet(r.body, "john"))
			}
		}
	}
}

// TestReview51cSoundDenyCodeFormsAppliedOrRefused: a deny to the council
// of Jane's diabetes written with a code form the engine may not read is
// either refused (4xx) or applied; never stored and ignored.
func TestReview51cSoundDenyCodeFormsAppliedOrRefused(t *testing.T) {
	forms := map[string]string{
		"no system":             `{"coding":[{"code":"44054006"}]}`,
		"text only":             `{"text":"diabetes"}`,
		"snomed trailing slash": `{"coding":[{"system":"http://snomed.info/sct/","code":"44054006"}]}`,
		"snomed upper case":     `{"coding":[{"system":"HTTP://SNOMED.INFO/SCT","code":"44054006"}]}`,
		"snomed version uri":    `{"coding":[{"system":"http://snomed.info/sct","version":"http://snomed.info/sct/83821000000107/version/20240101","code":"44054006"}]}`,
		"code with spaces":      `{"coding":[{"system":"http://snomed.info/sct","code":" 44054006 "}]}`,
		"second coding":         `{"coding":[{"system":"http://example.org/local","code":"DM2"},{"system":"http://snomed.info/sct","code":"44054006"}]}`,
		"unknown system":        `{"coding":[{"system":"http://example.org/local","code":"DM2"}]}`,
	}
	for name, code := range forms {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			gpSys := e.token("system", "nhs", "A81001")
			r := e.do("PUT", "/fhir/Consent/c", gpSys, janeConsent("c", "2026-01-10", "OPTIN",
				`,"provision":{"type":"deny","actor":[`+r51cCouncilIRCP+`],"code":[`+code+`]}`))
			if r.status >= 400 && r.status < 500 {
				t.Logf("refused %d: %s", r.status, r51cSnippet(r.body, ""))
				return
			}
			if r.status != 201 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if name == "unknown system" {
				return // names nothing Jane's record holds
			}
			if r51cSWReadsDiabetes(t, e) {
				t.Errorf("a deny of Jane's diabetes (%s) was stored (201) and the social worker still reads it", name)
			}
		})
	}
}

// TestReview51cSoundObserveDenyOfParentConcept records (does not assert:
// SPEC says "deny a code", and FHIR applies a provision's code "if found
// in an instance") whether a deny of SNOMED 73211009 |Diabetes mellitus|
// covers Jane's 44054006 |Type 2 diabetes mellitus|, a descendant.
func TestReview51cSoundObserveDenyOfParentConcept(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/c", janeConsent("c", "2026-01-10", "OPTIN",
		`,"provision":{"type":"deny","actor":[`+r51cCouncilIRCP+`],"code":[{"coding":[{"system":"http://snomed.info/sct","code":"73211009"}]}]}`)})
	t.Logf("deny of 73211009 (parent) to the council; the social worker reads Jane's 44054006 (child): %v", r51cSWReadsDiabetes(t, e))
}
