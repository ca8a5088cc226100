package api_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// seedShared writes one person's record the way carex receives it: each
// organisation's system writes its own part.
func seedShared(t testing.TB, e *env) {
	t.Helper()
	put := func(tok, path, body string) {
		t.Helper()
		if r := e.do("PUT", path, tok, body); r.status != 200 && r.status != 201 {
			t.Fatalf("seed %s: %d %s", path, r.status, r.body)
		}
	}
	gp := e.token("system", "nhs", "A81001")
	trust := e.token("system", "nhs", "RCX")
	hosp := e.token("system", "nhs", "RHX")
	council := e.token("system", "council", "E06000999")
	put(gp, "/fhir/Patient/jane", janeJSON)
	put(gp, "/fhir/Condition/diabetes", `{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}],"text":"GP-DIABETES"}}`)
	put(gp, "/fhir/Condition/hiv", `{"resourceType":"Condition","id":"hiv","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"GP-HIV-UNLABELLED"}}`)
	put(gp, "/fhir/Observation/hba1c", `{"resourceType":"Observation","id":"hba1c","status":"final","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://loinc.org","code":"4548-4"}],"text":"GP-HBA1C"},"effectiveDateTime":"2025-05-01"}`)
	put(trust, "/fhir/CareTeam/nursing", `{"resourceType":"CareTeam","id":"nursing","status":"active","subject":{"reference":"Patient/jane"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`)
	put(trust, "/fhir/CarePlan/wound", `{"resourceType":"CarePlan","id":"wound","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"TRUST-WOUND-CARE"}`)
	put(hosp, "/fhir/Encounter/admission", `{"resourceType":"Encounter","id":"admission","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/jane"},"period":{"start":"2025-03-01","end":"2025-03-09"},"serviceType":{"text":"HOSP-ADMISSION"}}`)
	put(council, "/fhir/EpisodeOfCare/package", `{"resourceType":"EpisodeOfCare","id":"package","status":"active","patient":{"reference":"Patient/jane"},"managingOrganization":{"reference":"Organization/E06000999"},
		"meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},"type":[{"text":"COUNCIL-CARE-PACKAGE"}]}`)
}

// janeNotSharedWithCouncil is Jane's objection to sharing her NHS record
// with the council: a deny to the council sector.
const janeNotSharedWithCouncil = `{"resourceType":"Consent","id":"jane-no-council","status":"active",
 "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
 "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
 "patient":{"reference":"Patient/jane"},"dateTime":"2026-01-10",
 "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},
 "provision":{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},
   "reference":{"reference":"Organization/E06000999"}}]}}`

// janeConsent is a patient-privacy Consent of Jane's: id, dateTime,
// policyRule (OPTIN or OPTOUT), and extra top-level elements
// (`,"provision":{…}`).
func janeConsent(id, date, rule, extra string) string {
	return patientConsent(id, "jane", date, rule, extra)
}

// patientConsent is janeConsent for the Patient with id patient.
func patientConsent(id, patient, date, rule, extra string) string {
	return `{"resourceType":"Consent","id":"` + id + `","status":"active",
 "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
 "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
 "patient":{"reference":"Patient/` + patient + `"},"dateTime":"` + date + `",
 "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"` + rule + `"}]}` + extra + `}`
}

// denyOrgConsent is patient's objection, dated 2026-01-10, to sharing
// with the organisation org (a deny of it as recipient, IRCP).
func denyOrgConsent(id, patient, org string) string {
	return patientConsent(id, patient, "2026-01-10", "OPTIN", `,
 "provision":{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},
   "reference":{"reference":"Organization/`+org+`"}}]}`)
}

func TestSharingDecisionScenarios(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	sw := e.token("social-worker", "council", "E06000999")
	stranger := e.token("gp", "nhs", "Z99999")
	ig := e.token("ig-officer", "nhs", "A81001")
	hospSys := e.token("system", "nhs", "RHX")
	notice := "confidential-items"

	e.run(t, []scenario{
		{name: "registered GP sees the whole record, its own HIV entry included", method: "GET", path: "/fhir/Patient/jane/$everything", token: gp, status: 200,
			contains: []string{"GP-DIABETES", "GP-HIV-UNLABELLED", "TRUST-WOUND-CARE", "HOSP-ADMISSION", "COUNCIL-CARE-PACKAGE"}},
		{name: "nurse: care plans and social care, no HIV (labelled from its code), no observations", method: "GET", path: "/fhir/Patient/jane/$everything", token: nurse, status: 200,
			contains: []string{"TRUST-WOUND-CARE", "COUNCIL-CARE-PACKAGE", "GP-DIABETES", notice}, absent: []string{"GP-HIV-UNLABELLED", "GP-HBA1C"}},
		{name: "nurse search total counts only what she sees", method: "GET", path: "/fhir/Condition?patient=jane", token: nurse, status: 200,
			contains: []string{`"total":1`, "GP-DIABETES", notice}, absent: []string{"GP-HIV-UNLABELLED"}},
		{name: "nurse reading the HIV condition directly: 404", method: "GET", path: "/fhir/Condition/hiv", token: nurse, status: 404, absent: []string{"HIV"}},
		{name: "nurse history of the HIV condition: 404", method: "GET", path: "/fhir/Condition/hiv/_history", token: nurse, status: 404},
		{name: "nurse vread of the HIV condition: 404", method: "GET", path: "/fhir/Condition/hiv/_history/1", token: nurse, status: 404},
		{name: "search without patient filters silently", method: "GET", path: "/fhir/Condition?code=86406008", token: nurse, status: 200, contains: []string{`"total":0`}, absent: []string{"GP-HIV"}},
		{name: "_include cannot pull in withheld items", method: "GET", path: "/fhir/Patient?_id=jane&_revinclude=Condition:subject", token: nurse, status: 200, absent: []string{"GP-HIV-UNLABELLED"}},
		{name: "social worker: no lab results", method: "GET", path: "/fhir/Patient/jane/$everything", token: sw, status: 200,
			contains: []string{"COUNCIL-CARE-PACKAGE", "GP-DIABETES"}, absent: []string{"GP-HBA1C", "GP-HIV-UNLABELLED"}},
		{name: "no relationship: 403 on the record", method: "GET", path: "/fhir/Patient/jane/$everything", token: stranger, status: 403, absent: []string{"GP-", "Smith"}},
		{name: "no relationship: 403 on the patient", method: "GET", path: "/fhir/Patient/jane", token: stranger, status: 403, absent: []string{"Smith"}},
		{name: "no relationship: 403 on a patient search", method: "GET", path: "/fhir/Observation?patient=jane", token: stranger, status: 403},
		{name: "no relationship: item read is 404", method: "GET", path: "/fhir/Condition/diabetes", token: stranger, status: 404},
		{name: "IG officer sees no clinical content", method: "GET", path: "/fhir/Patient/jane/$everything", token: ig, status: 200,
			absent: []string{"GP-DIABETES", "GP-HBA1C", "TRUST-WOUND-CARE", "HOSP-ADMISSION"}},
		{name: "a system reads back only its own organisation's data", method: "GET", path: "/fhir/Condition?patient=jane", token: hospSys, status: 200,
			contains: []string{`"total":0`}, absent: []string{"GP-DIABETES"}},
		{name: "marketing purpose refused", method: "GET", path: "/fhir/Patient/jane", token: e.token("gp", "nhs", "A81001", withPurpose("HMARKT")), status: 403},
		{name: "break-glass with a bad reason", method: "GET", path: "/fhir/Patient/jane/$everything", token: stranger, headers: []string{"X-Break-Glass", "because"}, status: 403},
	})

	// The nurse's only relationship is the care team her own trust recorded:
	// her access is logged with the claimed-relationship alert code; the
	// registered GP's is not.
	if !e.accessLogged(t, "district-nurse-user", "claimed-relationship") {
		t.Error("the nurse's access through her own trust's care team was not flagged")
	}
	if e.accessLogged(t, "gp-user", "claimed-relationship") {
		t.Error("the registered GP's access was flagged as a claimed relationship")
	}

	// An IG officer asks what the nurse would see, and why.
	e.run(t, []scenario{
		{name: "explain for IG officers", method: "GET", path: "/fhir/Patient/jane/$explain?role=district-nurse&org=RCX&sector=nhs", token: ig, status: 200,
			contains: []string{`"Condition/hiv"`, "sensitive-label", `"Observation/hba1c"`, "class-not-permitted", "released"}, absent: []string{"GP-HIV-UNLABELLED", "GP-HBA1C"}},
		{name: "explain is not for clinicians", method: "GET", path: "/fhir/Patient/jane/$explain?role=district-nurse&org=RCX&sector=nhs", token: nurse, status: 403},
	})
	// A feed cannot probe for withheld records with a conditional create: the
	// GP's HIV diagnosis does not match for the hospital's system, so a new
	// resource is created and nothing of the GP's is returned.
	probe := e.do("POST", "/fhir/Condition", hospSys, `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"HOSP-OWN"}}`,
		"If-None-Exist", "patient=jane&code=http://snomed.info/sct|86406008")
	if probe.status != 201 || strings.Contains(probe.body, "GP-HIV") {
		t.Fatalf("conditional create revealed a withheld record: %d %s", probe.status, probe.body)
	}
	cond := e.do("PUT", "/fhir/Condition?patient=jane&code=http://snomed.info/sct|44054006", hospSys, `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}],"text":"HOSP-DIABETES"}}`)
	if cond.status != 201 {
		t.Fatalf("conditional update matched a record the caller cannot see: %d %s", cond.status, cond.body)
	}
	// A write by another organisation to the GP's record is refused and
	// stores nothing: 409, the id is taken, for a system that cannot see
	// it (own organisation's data only); 403 for a user who can.
	if r := e.do("PUT", "/fhir/Condition/diabetes", hospSys, `{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"text":"OVERWRITTEN"}}`); r.status != 409 || strings.Contains(r.body, "another organisation") {
		t.Fatalf("cross-organisation update of an item the writer cannot see: %d %s", r.status, r.body)
	}
	if r := e.do("PUT", "/fhir/Condition/diabetes", e.token("district-nurse", "nhs", "RCX"), `{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"text":"OVERWRITTEN"}}`); r.status != 403 {
		t.Fatalf("cross-organisation update of an item the writer sees: %d %s", r.status, r.body)
	}
	// Jane objects to the council seeing her NHS record.
	if r := e.do("PUT", "/fhir/Consent/jane-no-council", gp, janeNotSharedWithCouncil); r.status != 201 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	e.run(t, []scenario{
		{name: "after the objection the council sees only its own data", method: "GET", path: "/fhir/Patient/jane/$everything", token: sw, status: 200,
			contains: []string{"COUNCIL-CARE-PACKAGE", notice}, absent: []string{"GP-DIABETES", "TRUST-WOUND-CARE", "HOSP-ADMISSION"}},
		{name: "the nurse is unaffected", method: "GET", path: "/fhir/Patient/jane/$everything", token: nurse, status: 200, contains: []string{"GP-DIABETES"}},
		{name: "break-glass opens the record for an unrelated clinician, never the HIV item", method: "GET", path: "/fhir/Patient/jane/$everything", token: stranger,
			headers: []string{"X-Break-Glass", "EMERGENCY: unconscious in A&E, no next of kin"}, status: 200, contains: []string{"GP-DIABETES"}, absent: []string{"GP-HIV-UNLABELLED"}},
		{name: "the break-glass grant lasts for that user and patient", method: "GET", path: "/fhir/Patient/jane", token: stranger, status: 200},
	})
	// A newer consent supersedes the objection in the decision: the older
	// one stays stored as recorded, and the council sees the shared record
	// again.
	newer := strings.NewReplacer(`"id":"jane-no-council"`, `"id":"jane-shares-all"`, `"dateTime":"2026-01-10"`, `"dateTime":"2026-02-01"`).Replace(janeNotSharedWithCouncil)
	newer = newer[:strings.Index(newer, `,
 "provision"`)] + "}"
	if r := e.do("PUT", "/fhir/Consent/jane-shares-all", gp, newer); r.status != 201 {
		t.Fatalf("newer consent: %d %s", r.status, r.body)
	}
	e.run(t, []scenario{
		{name: "the older consent stays as recorded", method: "GET", path: "/fhir/Consent/jane-no-council", token: gp, status: 200, contains: []string{`"status":"active"`, `"versionId":"1"`}},
		{name: "the council sees the shared record again", method: "GET", path: "/fhir/Patient/jane/$everything", token: sw, status: 200, contains: []string{"GP-DIABETES"}},
	})
	// Nothing of the refused update was stored.
	if r := e.do("GET", "/fhir/Condition/diabetes", gp, ""); strings.Contains(r.body, "OVERWRITTEN") {
		t.Fatal("refused write was stored")
	}
}

func withPurpose(p string) func(*auth.DevClaims) { return func(c *auth.DevClaims) { c.Purpose = p } }

// TestDeniedPartyCannotLiftObjection: Jane's objection to the council,
// recorded by her GP practice, stays in force when the council records a
// newer consent of its own: an objection is lifted only where it was
// recorded (found in review: the council's OPTIN superseded it and the
// council then read her NHS record).
func TestDeniedPartyCannotLiftObjection(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	sw := e.token("social-worker", "council", "E06000999")
	if r := e.do("PUT", "/fhir/Consent/jane-no-council", gpSys, janeNotSharedWithCouncil); r.status != 201 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", sw, ""); strings.Contains(r.body, "GP-DIABETES") {
		t.Fatal("objection not in force")
	}
	optin := func(id, date string) string {
		c := strings.NewReplacer(`"id":"jane-no-council"`, `"id":"`+id+`"`, `"dateTime":"2026-01-10"`, `"dateTime":"`+date+`"`).Replace(janeNotSharedWithCouncil)
		return c[:strings.Index(c, `,
 "provision"`)] + "}"
	}
	if r := e.do("PUT", "/fhir/Consent/council-optin", e.token("system", "council", "E06000999"), optin("council-optin", "2026-02-01")); r.status != 201 {
		t.Fatalf("the council's own consent: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", sw, ""); r.status != 200 || strings.Contains(r.body, "GP-DIABETES") {
		t.Errorf("the council's newer consent lifted the objection the GP recorded: %d %.300s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Consent/jane-no-council", gpSys, ""); !strings.Contains(r.body, `"status":"active"`) {
		t.Errorf("another organisation's consent marked the objection inactive: %s", r.body)
	}
	// Where it was recorded, a newer consent lifts it.
	if r := e.do("PUT", "/fhir/Consent/gp-optin", gpSys, optin("gp-optin", "2026-03-01")); r.status != 201 {
		t.Fatalf("the GP's newer consent: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", sw, ""); !strings.Contains(r.body, "GP-DIABETES") {
		t.Errorf("the GP practice's newer consent did not lift its own objection: %.300s", r.body)
	}
	// Its correction (entered in error) brings the objection back.
	if r := e.do("PUT", "/fhir/Consent/gp-optin", gpSys, strings.Replace(optin("gp-optin", "2026-03-01"), `"status":"active"`, `"status":"entered-in-error"`, 1)); r.status != 200 {
		t.Fatalf("the correction: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", sw, ""); strings.Contains(r.body, "GP-DIABETES") {
		t.Errorf("the GP practice's newer consent, entered in error, still lifts the objection: %.300s", r.body)
	}
}

// TestWritesDoNotRevealWithheldItems: a DELETE of an item the caller may
// not see, or of a deleted one, answers as for an id that never existed;
// a PUT over such an id is refused as a taken id in the same words
// whatever the item is (live or deleted, which organisation's, which
// version, If-Match or not), except to the organisation that recorded it.
// PUT-as-create necessarily tells a taken id
// from a free one; nothing more. (Found in review: 403 "recorded by
// another organisation", 204 for a deleted id, "is at version 3", and a
// PUT continuing a deleted item's versions.)
func TestWritesDoNotRevealWithheldItems(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	hospSys := e.token("system", "nhs", "RHX")
	gpSys := e.token("system", "nhs", "A81001")
	cond := func(id string) string {
		return `{"resourceType":"Condition","id":"` + id + `","subject":{"reference":"Patient/jane"},"code":{"text":"H"}}`
	}
	same := func(what string, a, b resp, aID, bID string) {
		t.Helper()
		if a.status != b.status || strings.ReplaceAll(a.body, aID, "ID") != strings.ReplaceAll(b.body, bID, "ID") || a.header.Get("ETag") != b.header.Get("ETag") {
			t.Errorf("%s: %d %s / %d %s", what, a.status, a.body, b.status, b.body)
		}
	}
	if r := e.do("GET", "/fhir/Condition/hiv", nurse, ""); r.status != 404 {
		t.Fatalf("precondition: HIV withheld from the nurse: %d", r.status)
	}
	same("DELETE of a withheld item and of a missing one", e.do("DELETE", "/fhir/Condition/hiv", nurse, ""), e.do("DELETE", "/fhir/Condition/never", nurse, ""), "hiv", "never")
	for _, v := range []string{"1", "2"} {
		e.do("PUT", "/fhir/Condition/gone", gpSys, strings.Replace(cond("gone"), `"H"`, `"GP-GONE-`+v+`"`, 1))
	}
	if r := e.do("DELETE", "/fhir/Condition/gone", gpSys, ""); r.status != 204 {
		t.Fatalf("the GP's delete: %d %s", r.status, r.body)
	}
	same("DELETE of a deleted item and of a missing one", e.do("DELETE", "/fhir/Condition/gone", hospSys, ""), e.do("DELETE", "/fhir/Condition/never", hospSys, ""), "gone", "never")
	// The source's second DELETE is R4's 204, storing nothing: it reads the
	// item as gone (410) already (review 73b chose so; it was the 404 of a
	// missing id). Anyone else's is that 404, above.
	if r := e.do("DELETE", "/fhir/Condition/gone", gpSys, ""); r.status != 204 {
		t.Errorf("the source's second DELETE: %d %s", r.status, r.body)
	}
	taken := e.do("PUT", "/fhir/Condition/hiv", nurse, cond("hiv"))
	if taken.status != 409 {
		t.Fatalf("PUT over a withheld id: %d %s", taken.status, taken.body)
	}
	same("PUT over a deleted id and over a withheld one", e.do("PUT", "/fhir/Condition/gone", hospSys, cond("gone")), taken, "gone", "hiv")
	same("PUT If-Match over a deleted id", e.do("PUT", "/fhir/Condition/gone", hospSys, cond("gone"), "If-Match", `W/"1"`), taken, "gone", "hiv")
	same("PUT If-Match over a withheld id", e.do("PUT", "/fhir/Condition/hiv", nurse, cond("hiv"), "If-Match", `W/"7"`), taken, "hiv", "hiv")
	// Her organisation's own data she may replace, whatever her role sees:
	// a nurse retries and corrects what she recorded (and deletes it).
	obs := `{"resourceType":"Observation","id":"visit-bp","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"BP at home visit"},"valueString":"140/90"}`
	for i, want := range []int{201, 200, 200} {
		if r := e.do("PUT", "/fhir/Observation/visit-bp", nurse, strings.Replace(obs, "140", strconv.Itoa(140-i), 1)); r.status != want {
			t.Errorf("the nurse's PUT %d of her own observation: %d %s", i+1, r.status, r.body)
		}
	}
	if r := e.do("DELETE", "/fhir/Observation/visit-bp", nurse, ""); r.status != 204 {
		t.Errorf("the nurse deletes her own observation: %d %s", r.status, r.body)
	}
	// The GP practice records its deleted id again, continuing its history.
	if r := e.do("PUT", "/fhir/Condition/gone", gpSys, cond("gone")); r.status != 201 || r.header.Get("ETag") != `W/"4"` {
		t.Errorf("the source records its deleted id again: %d %s %s", r.status, r.header.Get("ETag"), r.body)
	}
	if r := e.do("GET", "/fhir/Condition/gone", gpSys, ""); !strings.Contains(r.body, `"H"`) {
		t.Errorf("the refused writes changed something: %s", r.body)
	}
}

// TestSensitiveCodeAnywhereLabels: an HIV diagnosis code as an
// Encounter's or a prescription's reason, an Observation's value or a
// contained Condition's code labels the item as the Condition's own code
// does, so it is withheld where the Condition is (found in review: only
// the main code was labelled).
func TestSensitiveCodeAnywhereLabels(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	gp := e.token("gp", "nhs", "A81001")
	sw := e.token("social-worker", "council", "E06000999")
	hiv := `{"coding":[{"system":"http://snomed.info/sct","code":"86406008","display":"HIV infection"}]}`
	for path, body := range map[string]string{
		"/fhir/Condition/hosp-hiv":     `{"resourceType":"Condition","id":"hosp-hiv","subject":{"reference":"Patient/jane"},"code":` + hiv + `}`,
		"/fhir/Encounter/hiv-clinic":   `{"resourceType":"Encounter","id":"hiv-clinic","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/jane"},"reasonCode":[` + hiv + `]}`,
		"/fhir/CarePlan/hiv-plan":      `{"resourceType":"CarePlan","id":"hiv-plan","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"contained":[{"resourceType":"Condition","id":"c","subject":{"reference":"Patient/jane"},"code":` + hiv + `}],"addresses":[{"reference":"#c"}]}`,
		"/fhir/Observation/hiv-status": `{"resourceType":"Observation","id":"hiv-status","status":"final","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://loinc.org","code":"75622-1"}]},"valueCodeableConcept":` + hiv + `}`,
		"/fhir/MedicationRequest/arv":  `{"resourceType":"MedicationRequest","id":"arv","status":"active","intent":"order","subject":{"reference":"Patient/jane"},"medicationCodeableConcept":{"text":"ARV"},"reasonCode":[` + hiv + `]}`,
		"/fhir/Encounter/fracture":     `{"resourceType":"Encounter","id":"fracture","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/jane"},"reasonCode":[{"coding":[{"system":"http://snomed.info/sct","code":"71620000"}]}]}`,
	} {
		if r := e.do("PUT", path, hosp, body); r.status != 201 {
			t.Fatalf("seed %s: %d %s", path, r.status, r.body)
		}
	}
	for _, who := range []struct{ name, tok string }{{"GP", gp}, {"social worker", sw}} {
		r := e.do("GET", "/fhir/Patient/jane/$everything", who.tok, "")
		for _, id := range []string{`"hosp-hiv"`, `"hiv-clinic"`, `"hiv-plan"`, `"hiv-status"`, `"arv"`} {
			if strings.Contains(r.body, id) {
				t.Errorf("%s's $everything carries the hospital's %s, coded HIV", who.name, id)
			}
		}
		if who.name == "GP" && !strings.Contains(r.body, `"fracture"`) {
			t.Errorf("the GP's $everything lacks the hospital's other encounter: %.300s", r.body)
		}
	}
	if r := e.do("GET", "/fhir/Encounter/hiv-clinic", hosp, ""); r.status != 200 {
		t.Errorf("the source organisation reads its own: %d", r.status)
	}
}

// TestConditionalConsentCreateIsANoOp: a feed that sends the same Consent
// again with If-None-Exist stores nothing, and so supersedes nothing: the
// retry marked the stored consent inactive while storing no new one,
// silently lifting the person's objection. In a transaction, a
// conditional create that matches another organisation's resource is a
// no-op too (it was refused 403 as a write to it).
func TestConditionalConsentCreateIsANoOp(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	sw := e.token("social-worker", "council", "E06000999")
	consentBody := strings.Replace(janeNotSharedWithCouncil, `"id":"jane-no-council",`, `"identifier":[{"system":"https://example.org/consent","value":"c-1"}],`, 1)
	var first string
	for i := range 2 {
		r := e.do("POST", "/fhir/Consent", gpSys, consentBody, "If-None-Exist", "identifier=https://example.org/consent|c-1")
		if r.status != 201 && r.status != 200 {
			t.Fatalf("post %d: %d %s", i, r.status, r.body)
		}
		if i == 0 {
			first = r.header.Get("Location")
		} else if r.status != 200 {
			t.Fatalf("the retry created another consent: %d %s", r.status, r.body)
		}
	}
	if r := e.do("GET", "/fhir/Consent?patient=jane&status=active", gpSys, ""); !strings.Contains(r.body, `"total":1`) {
		t.Errorf("after a retried conditional create the objection (%s) is no longer active: %s", first, r.body)
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", sw, ""); strings.Contains(r.body, "GP-DIABETES") {
		t.Error("the retry lifted the objection")
	}
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient","name":[{"family":"Smith"}]},"request":{"method":"POST","url":"Patient","ifNoneExist":"_id=jane"}}]}`
	if r := e.do("POST", "/fhir", e.token("district-nurse", "nhs", "RCX"), tx); r.status != 200 || !strings.Contains(r.body, `"200 OK"`) {
		t.Errorf("transaction conditional create matching another organisation's record: %d %s", r.status, r.body)
	}
}

// janeHIVToHospital: Jane's HIV-labelled data may go to the hospital.
const janeHIVToHospital = `{"resourceType":"Consent","id":"jane-hiv-hosp","status":"active",
 "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
 "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
 "patient":{"reference":"Patient/jane"},"dateTime":"2026-01-10",
 "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},
 "provision":{"type":"permit","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"PRCP"}]},
   "reference":{"reference":"Organization/RHX"}}],
   "securityLabel":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HIV"},{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"STD"}],
   "code":[{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}]}}`

// TestNoOneGrantsThemselvesSensitiveData: a permit of sensitive labels
// does not name the organisation that recorded it, so an organisation
// cannot release a person's HIV diagnosis to itself by recording a
// consent (found in review: a stranger's own Consent released it); the
// same permit recorded by the GP practice releases it to the hospital.
func TestNoOneGrantsThemselvesSensitiveData(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for _, org := range []string{"Z99999", "RHX"} {
		self := strings.NewReplacer("jane-hiv-hosp", "self-"+org, "Organization/RHX", "Organization/"+org).Replace(janeHIVToHospital)
		e.do("PUT", "/fhir/Observation/obs-"+org, e.token("system", "nhs", org), `{"resourceType":"Observation","id":"obs-`+org+`","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"x"}}`)
		w := e.do("PUT", "/fhir/Consent/self-"+org, e.token("system", "nhs", org), self)
		if r := e.do("GET", "/fhir/Condition/hiv", e.token("hospital-clinician", "nhs", org), ""); r.status != 404 {
			t.Errorf("%s's own consent (%d) released Jane's HIV diagnosis to it: %d %.200s", org, w.status, r.status, r.body)
		}
	}
	if r := e.do("PUT", "/fhir/Consent/jane-hiv-hosp", e.token("system", "nhs", "A81001"), janeHIVToHospital); r.status != 201 {
		t.Fatalf("the GP practice's consent: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/hiv", e.token("hospital-clinician", "nhs", "RHX"), ""); r.status != 200 {
		t.Errorf("the GP practice's permit to the hospital: %d %s", r.status, r.body)
	}
}

// TestLabelledItemWithoutCompartmentIsWithheld: an item that names its
// person only by identifier belongs to no compartment, so no consent can
// release it; a sensitive label keeps it with its source (it went to
// every role that sees its class; found in review).
func TestLabelledItemWithoutCompartmentIsWithheld(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	body := `{"resourceType":"Condition","id":"logical-hiv","subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"},"display":"Jane Smith"},
	 "code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"HOSP-LOGICAL-HIV"}}`
	if r := e.do("PUT", "/fhir/Condition/logical-hiv", hosp, body); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	for _, who := range []struct{ name, tok string }{
		{"district nurse", e.token("district-nurse", "nhs", "RCX")},
		{"unrelated GP", e.token("gp", "nhs", "Z99999")},
		{"social worker", e.token("social-worker", "council", "E06000999")},
	} {
		for _, p := range []string{"/fhir/Condition/logical-hiv", "/fhir/Condition?code=http://snomed.info/sct|86406008"} {
			if r := e.do("GET", p, who.tok, ""); strings.Contains(r.body, "HOSP-LOGICAL-HIV") {
				t.Errorf("%s: GET %s: %d releases an HIV-labelled item: %.160s", who.name, p, r.status, r.body)
			}
		}
	}
	if r := e.do("GET", "/fhir/Condition/logical-hiv", e.token("hospital-clinician", "nhs", "RHX"), ""); r.status != 200 {
		t.Errorf("its source: %d", r.status)
	}
}

// TestConsentDoesNotRevealSensitiveStatus: a Consent that permits HIV
// data to the hospital tells that Jane has some; it carries the labels it
// names and is released as such data is (to its recorder, to IG, to a
// recipient a permit covering the Consent itself names), not to every
// role that reads consents (found in review).
func TestConsentDoesNotRevealSensitiveStatus(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	if r := e.do("PUT", "/fhir/Consent/jane-hiv-hosp", e.token("system", "nhs", "A81001"), janeHIVToHospital); r.status != 201 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	for _, who := range []struct{ name, tok string }{
		{"district nurse", e.token("district-nurse", "nhs", "RCX")},
		{"social worker", e.token("social-worker", "council", "E06000999")},
	} {
		for _, p := range []string{"/fhir/Consent?patient=jane", "/fhir/Patient/jane/$everything", "/fhir/Consent/jane-hiv-hosp"} {
			r := e.do("GET", p, who.tok, "")
			if strings.Contains(r.body, `"HIV"`) || strings.Contains(r.body, "86406008") {
				t.Errorf("%s: GET %s: %d shows the HIV permit: %.200s", who.name, p, r.status, r.body)
			}
		}
	}
	for _, tok := range []string{e.token("gp", "nhs", "A81001"), e.token("ig-officer", "nhs", "A81001")} {
		if r := e.do("GET", "/fhir/Consent/jane-hiv-hosp", tok, ""); r.status != 200 {
			t.Errorf("the permit is hidden from those it concerns: %d %s", r.status, r.body)
		}
	}
	// It still governs: the hospital sees the HIV diagnosis, the nurse does not.
	if r := e.do("GET", "/fhir/Condition/hiv", e.token("hospital-clinician", "nhs", "RHX"), ""); r.status != 200 {
		t.Errorf("the hidden permit no longer releases: %d", r.status)
	}
}

// TestWithheldCurrentVersionHidesOlderVersions: an item whose current
// version is withheld looks like one that never existed: none of its
// earlier versions is shown, in any history (found in review: version 1,
// uncoded, stayed readable after version 2 was coded HIV).
func TestWithheldCurrentVersionHidesOlderVersions(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	v1 := `{"resourceType":"Condition","id":"query","subject":{"reference":"Patient/jane"},"code":{"text":"UNDER-INVESTIGATION"}}`
	v2 := `{"resourceType":"Condition","id":"query","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"CONFIRMED"}}`
	for _, b := range []string{v1, v2} {
		if r := e.do("PUT", "/fhir/Condition/query", gpSys, b); r.status != 200 && r.status != 201 {
			t.Fatalf("seed: %d %s", r.status, r.body)
		}
	}
	if r := e.do("GET", "/fhir/Condition/query", nurse, ""); r.status != 404 {
		t.Fatalf("precondition: the HIV-coded current version is withheld from the nurse: %d", r.status)
	}
	for _, p := range []string{"/fhir/Condition/query/_history", "/fhir/Condition/query/_history/1"} {
		got, never := e.do("GET", p, nurse, ""), e.do("GET", strings.Replace(p, "query", "never", 1), nurse, "")
		if got.status != never.status || strings.ReplaceAll(got.body, "query", "never") != never.body {
			t.Errorf("GET %s: %d, never-existed id: %d\n%s\n%s", p, got.status, never.status, got.body, never.body)
		}
	}
	for _, p := range []string{"/fhir/Condition/_history", "/fhir/_history", "/fhir/Patient/jane/$everything"} {
		if r := e.do("GET", p, nurse, ""); strings.Contains(r.body, "Condition/query") || strings.Contains(r.body, "UNDER-INVESTIGATION") {
			t.Errorf("GET %s names the withheld item: %s", p, r.body)
		}
	}
	if r := e.do("GET", "/fhir/Condition/query/_history/1", gpSys, ""); r.status != 200 {
		t.Errorf("its source reads its history: %d", r.status)
	}
}
