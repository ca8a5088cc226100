package api_test

// Review 78c: a person's consent as real systems record it — functional
// correctness of the decision (SPEC §5 layer 3; README "Within the
// person's Consents"; consent/doc.go).

import (
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

const (
	r78cScope   = `"scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},"category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],"patient":{"reference":"Patient/jane"}`
	r78cIRCP    = `{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}`
	r78cCouncil = `{"role":{"coding":[` + r78cIRCP + `]},"reference":{"reference":"Organization/E06000999"}}`
	r78cRCX     = `{"role":{"coding":[` + r78cIRCP + `]},"reference":{"reference":"Organization/RCX"}}`
	r78cRHX     = `{"role":{"coding":[` + r78cIRCP + `]},"reference":{"reference":"Organization/RHX"}}`
)

// r78cConsent is a patient-privacy Consent of Jane's.
func r78cConsent(id, status, date, rule, provision string) string {
	s := `{"resourceType":"Consent","id":"` + id + `","status":"` + status + `",` + r78cScope + `,"dateTime":"` + date + `",
 "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"` + rule + `"}]}`
	if provision != "" {
		s += `,"provision":` + provision
	}
	return s + "}"
}

func r78cClass(code string) string {
	return `{"system":"https://carex.example/data-class","code":"` + code + `"}`
}

func r78cType(t string) string {
	return `{"system":"http://hl7.org/fhir/resource-types","code":"` + t + `"}`
}

// r78cEnv seeds seedShared's record plus the GP's depression diagnosis,
// two prescriptions (metformin; sertraline, an antidepressant) and an
// observation of 2018.
func r78cEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	for path, body := range map[string]string{
		"/fhir/Condition/depression": `{"resourceType":"Condition","id":"depression","subject":{"reference":"Patient/jane"},"onsetDateTime":"2024-02-01","code":{"coding":[{"system":"http://snomed.info/sct","code":"21897009","display":"Generalized anxiety disorder"}],"text":"GP-DEPRESSION"}}`,
		"/fhir/MedicationRequest/metformin": `{"resourceType":"MedicationRequest","id":"metformin","status":"active","intent":"order","subject":{"reference":"Patient/jane"},"authoredOn":"2025-01-10",
			"medicationCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"109081006","display":"Metformin"}],"text":"GP-METFORMIN"}}`,
		"/fhir/MedicationRequest/sertraline": `{"resourceType":"MedicationRequest","id":"sertraline","status":"active","intent":"order","subject":{"reference":"Patient/jane"},"authoredOn":"2025-01-10",
			"medicationCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"372594008","display":"Sertraline"}],"text":"GP-SERTRALINE"}}`,
		"/fhir/Observation/oldbp":   `{"resourceType":"Observation","id":"oldbp","status":"final","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}],"text":"GP-OLD-BP"},"effectiveDateTime":"2018-05-01"}`,
		"/fhir/Condition/oldasthma": `{"resourceType":"Condition","id":"oldasthma","subject":{"reference":"Patient/jane"},"onsetDateTime":"2015-03-01","code":{"coding":[{"system":"http://snomed.info/sct","code":"195967001"}],"text":"GP-OLD-ASTHMA"}}`,
	} {
		if r := e.do("PUT", path, gp, body); r.status != 201 && r.status != 200 {
			t.Fatalf("seed %s: %d %s", path, r.status, r.body)
		}
	}
	return e
}

type r78cWho struct{ gp, nurse, sw, hosp string }

func r78cUsers(e *env) r78cWho {
	return r78cWho{
		gp:    e.token("gp", "nhs", "A81001"),
		nurse: e.token("district-nurse", "nhs", "RCX"),
		sw:    e.token("social-worker", "council", "E06000999"),
		hosp:  e.token("hospital-clinician", "nhs", "RHX"),
	}
}

func r78cPut(t *testing.T, e *env, tok, id, body string, want int) {
	t.Helper()
	if r := e.do("PUT", "/fhir/Consent/"+id, tok, body); r.status != want {
		t.Fatalf("PUT Consent/%s: %d, want %d: %.400s", id, r.status, want, r.body)
	}
}

// r78cSees checks what a user sees of Jane in $everything, in a search by
// patient and by reading each item: markers in want present, markers in
// not absent.
func r78cSees(t *testing.T, e *env, who, tok string, want, not []string) {
	t.Helper()
	ev := e.do("GET", "/fhir/Patient/jane/$everything", tok, "")
	if ev.status != 200 {
		t.Errorf("%s: $everything %d %.300s", who, ev.status, ev.body)
		return
	}
	var s strings.Builder
	for _, typ := range []string{"Condition", "MedicationRequest", "Observation", "CarePlan", "Encounter", "EpisodeOfCare"} {
		r := e.do("GET", "/fhir/"+typ+"?patient=jane", tok, "")
		s.WriteString(r.body)
	}
	for _, m := range want {
		if !strings.Contains(ev.body, m) {
			t.Errorf("%s: $everything lacks %s (withheld where the person allowed it)", who, m)
		}
		if !strings.Contains(s.String(), m) {
			t.Errorf("%s: search by patient lacks %s (withheld where the person allowed it)", who, m)
		}
	}
	for _, m := range not {
		if strings.Contains(ev.body, m) {
			t.Errorf("%s: $everything RELEASES %s against the person's wish", who, m)
		}
		if strings.Contains(s.String(), m) {
			t.Errorf("%s: search by patient RELEASES %s against the person's wish", who, m)
		}
	}
}

func r78cRead(t *testing.T, e *env, who, tok, path string, want int) {
	t.Helper()
	if r := e.do("GET", path, tok, ""); r.status != want {
		t.Errorf("%s: GET %s = %d, want %d", who, path, r.status, want)
	}
}

// (1) "share everything except my mental health notes with the council":
// OPTIN, a deny to the council org of the depression code and of the
// antidepressant's.
func TestReview78cSoundNoMentalHealthToCouncil(t *testing.T) {
	e := r78cEnv(t)
	u := r78cUsers(e)
	gpSys := e.token("system", "nhs", "A81001")
	r78cPut(t, e, gpSys, "mh", r78cConsent("mh", "active", "2026-01-10", "OPTIN",
		`{"type":"deny","actor":[`+r78cCouncil+`],"code":[{"coding":[{"system":"http://snomed.info/sct","code":"21897009"}]},{"coding":[{"system":"http://snomed.info/sct","code":"372594008"}]}]}`), 201)
	r78cSees(t, e, "social worker", u.sw, []string{"GP-DIABETES", "GP-METFORMIN", "COUNCIL-CARE-PACKAGE"}, []string{"GP-DEPRESSION", "GP-SERTRALINE"})
	r78cRead(t, e, "social worker", u.sw, "/fhir/Condition/depression", 404)
	r78cSees(t, e, "nurse", u.nurse, []string{"GP-DEPRESSION", "GP-SERTRALINE", "GP-METFORMIN"}, nil)
	r78cSees(t, e, "hospital", u.hosp, []string{"GP-DEPRESSION", "GP-SERTRALINE"}, nil)
}

// (2) "don't share with social care at all": deny actor sector council.
func TestReview78cSoundNoSocialCareSector(t *testing.T) {
	e := r78cEnv(t)
	u := r78cUsers(e)
	gpSys := e.token("system", "nhs", "A81001")
	r78cPut(t, e, gpSys, "nosc", r78cConsent("nosc", "active", "2026-01-10", "OPTIN",
		`{"type":"deny","actor":[{"role":{"coding":[{"system":"https://carex.example/sector","code":"council"}]},"reference":{"display":"social care"}}]}`), 201)
	r78cSees(t, e, "social worker", u.sw, []string{"COUNCIL-CARE-PACKAGE"}, []string{"GP-DIABETES", "GP-METFORMIN", "TRUST-WOUND-CARE", "HOSP-ADMISSION"})
	r78cSees(t, e, "nurse", u.nurse, []string{"GP-DIABETES", "GP-METFORMIN", "COUNCIL-CARE-PACKAGE"}, nil)
}

// (3) "nothing before 2020 to anyone": deny dataPeriod to 2019-12-31.
func TestReview78cSoundNothingBefore2020(t *testing.T) {
	e := r78cEnv(t)
	u := r78cUsers(e)
	gpSys := e.token("system", "nhs", "A81001")
	r78cPut(t, e, gpSys, "pre2020", r78cConsent("pre2020", "active", "2026-01-10", "OPTIN",
		`{"type":"deny","dataPeriod":{"end":"2019-12-31"}}`), 201)
	r78cSees(t, e, "hospital", u.hosp, []string{"GP-METFORMIN", "GP-DEPRESSION", "HOSP-ADMISSION"}, []string{"GP-OLD-BP", "GP-OLD-ASTHMA"})
	r78cSees(t, e, "social worker", u.sw, []string{"GP-METFORMIN"}, []string{"GP-OLD-ASTHMA"})
	r78cSees(t, e, "gp", u.gp, []string{"GP-OLD-BP", "GP-OLD-ASTHMA"}, nil)
	r78cRead(t, e, "hospital", u.hosp, "/fhir/Patient/jane", 200)
}

// (4) "opt out, but my district nurse may see my medications".
func TestReview78cSoundOptOutNurseMedications(t *testing.T) {
	e := r78cEnv(t)
	u := r78cUsers(e)
	gpSys := e.token("system", "nhs", "A81001")
	r78cPut(t, e, gpSys, "oo", r78cConsent("oo", "active", "2026-01-10", "OPTOUT",
		`{"type":"deny","provision":[{"type":"permit","actor":[`+r78cRCX+`],"class":[`+r78cClass("medications")+`]}]}`), 201)
	r78cSees(t, e, "nurse", u.nurse, []string{"GP-METFORMIN", "GP-SERTRALINE", "TRUST-WOUND-CARE"}, []string{"GP-DIABETES", "GP-DEPRESSION", "HOSP-ADMISSION", "COUNCIL-CARE-PACKAGE"})
	r78cSees(t, e, "social worker", u.sw, []string{"COUNCIL-CARE-PACKAGE"}, []string{"GP-METFORMIN", "GP-DIABETES"})
	r78cSees(t, e, "hospital", u.hosp, []string{"HOSP-ADMISSION"}, []string{"GP-METFORMIN", "GP-DIABETES"})
}

// (5) three-level nesting: deny to the council → permit medications →
// deny the antidepressant. Deepest match decides.
func TestReview78cSoundThreeLevels(t *testing.T) {
	e := r78cEnv(t)
	u := r78cUsers(e)
	gpSys := e.token("system", "nhs", "A81001")
	r78cPut(t, e, gpSys, "three", r78cConsent("three", "active", "2026-01-10", "OPTIN",
		`{"type":"deny","actor":[`+r78cCouncil+`],"provision":[{"type":"permit","class":[`+r78cClass("medications")+`],"provision":[{"type":"deny","code":[{"coding":[{"system":"http://snomed.info/sct","code":"372594008"}]}]}]}]}`), 201)
	r78cSees(t, e, "social worker", u.sw, []string{"GP-METFORMIN", "COUNCIL-CARE-PACKAGE"}, []string{"GP-SERTRALINE", "GP-DIABETES", "GP-DEPRESSION"})
	r78cSees(t, e, "nurse", u.nurse, []string{"GP-SERTRALINE", "GP-DIABETES"}, nil)
}

// (6) two actors, two classes in one provision.
func TestReview78cSoundTwoActorsTwoClasses(t *testing.T) {
	e := r78cEnv(t)
	u := r78cUsers(e)
	gpSys := e.token("system", "nhs", "A81001")
	r78cPut(t, e, gpSys, "two", r78cConsent("two", "active", "2026-01-10", "OPTIN",
		`{"type":"deny","actor":[`+r78cCouncil+`,`+r78cRHX+`],"class":[`+r78cType("Condition")+`,`+r78cClass("medications")+`]}`), 201)
	r78cSees(t, e, "social worker", u.sw, []string{"COUNCIL-CARE-PACKAGE", "TRUST-WOUND-CARE"}, []string{"GP-DIABETES", "GP-METFORMIN"})
	r78cSees(t, e, "hospital", u.hosp, []string{"TRUST-WOUND-CARE", "GP-HBA1C"}, []string{"GP-DIABETES", "GP-METFORMIN"})
	r78cSees(t, e, "nurse", u.nurse, []string{"GP-DIABETES", "GP-METFORMIN"}, nil)
}

// (7) actor role codes: deny to the social-worker role, and by national
// RBAC job role R8001 (nurse).
func TestReview78cSoundRoleActors(t *testing.T) {
	e := r78cEnv(t)
	u := r78cUsers(e)
	gpSys := e.token("system", "nhs", "A81001")
	r78cPut(t, e, gpSys, "roles", r78cConsent("roles", "active", "2026-01-10", "OPTIN",
		`{"type":"deny","actor":[{"role":{"coding":[{"system":"https://carex.example/role","code":"social-worker"}]},"reference":{"display":"social workers"}},{"role":{"coding":[{"system":"https://carex.example/role","code":"R8001"}]},"reference":{"display":"nurses"}}],"class":[`+r78cType("Condition")+`]}`), 201)
	r78cSees(t, e, "social worker", u.sw, []string{"GP-METFORMIN"}, []string{"GP-DIABETES"})
	r78cSees(t, e, "nurse", u.nurse, []string{"GP-METFORMIN"}, []string{"GP-DIABETES"})
	r78cSees(t, e, "hospital", u.hosp, []string{"GP-DIABETES"}, nil)
}

// (8) expired and future periods; draft/rejected/inactive/entered-in-error.
func TestReview78cSoundNotInForce(t *testing.T) {
	e := r78cEnv(t)
	u := r78cUsers(e)
	gpSys := e.token("system", "nhs", "A81001")
	deny := `{"type":"deny","actor":[` + r78cCouncil + `]`
	r78cPut(t, e, gpSys, "expired", r78cConsent("expired", "active", "2026-01-10", "OPTIN", deny+`,"period":{"start":"2024-01-01","end":"2025-12-31"}}`), 201)
	r78cSees(t, e, "social worker (expired)", u.sw, []string{"GP-DIABETES"}, nil)
	r78cPut(t, e, gpSys, "future", r78cConsent("future", "active", "2026-01-11", "OPTIN", deny+`,"period":{"start":"2030-01-01"}}`), 201)
	r78cSees(t, e, "social worker (future)", u.sw, []string{"GP-DIABETES"}, nil)
	for i, st := range []string{"draft", "rejected", "inactive", "entered-in-error"} {
		id := "st-" + st
		code := 201
		r := e.do("PUT", "/fhir/Consent/"+id, gpSys, r78cConsent(id, st, "2026-01-1"+string(rune('2'+i)), "OPTIN", deny+`}`))
		if r.status != code {
			t.Logf("status %s: %d %.200s", st, r.status, r.body)
			continue
		}
		r78cSees(t, e, "social worker ("+st+")", u.sw, []string{"GP-DIABETES"}, nil)
	}
}

// (9) two active consents from two organisations: withhold wins.
func TestReview78cSoundTwoOrganisations(t *testing.T) {
	e := r78cEnv(t)
	u := r78cUsers(e)
	gpSys := e.token("system", "nhs", "A81001")
	rcxSys := e.token("system", "nhs", "RCX")
	r78cPut(t, e, gpSys, "gp-optin", r78cConsent("gp-optin", "active", "2026-02-01", "OPTIN", ""), 201)
	r78cPut(t, e, rcxSys, "rcx-deny", r78cConsent("rcx-deny", "active", "2026-01-10", "OPTIN", `{"type":"deny","actor":[`+r78cRHX+`]}`), 201)
	r78cSees(t, e, "hospital", u.hosp, []string{"HOSP-ADMISSION"}, []string{"GP-DIABETES", "TRUST-WOUND-CARE"})
	r78cSees(t, e, "social worker", u.sw, []string{"GP-DIABETES"}, nil)
}

// (10) a consent then its replacement: the older stops applying at once,
// and stays readable in _history.
func TestReview78cSoundReplacement(t *testing.T) {
	e := r78cEnv(t)
	u := r78cUsers(e)
	gpSys := e.token("system", "nhs", "A81001")
	r78cPut(t, e, gpSys, "v", r78cConsent("v", "active", "2026-01-10", "OPTIN", `{"type":"deny","actor":[`+r78cCouncil+`]}`), 201)
	r78cSees(t, e, "social worker", u.sw, []string{"COUNCIL-CARE-PACKAGE"}, []string{"GP-DIABETES"}) // warm caches
	// the replacement: a new Consent resource.
	r78cPut(t, e, gpSys, "v2", r78cConsent("v2", "active", "2026-02-01", "OPTIN", `{"type":"deny","actor":[`+r78cRHX+`]}`), 201)
	r78cSees(t, e, "social worker after replacement", u.sw, []string{"GP-DIABETES"}, nil)
	r78cSees(t, e, "hospital after replacement", u.hosp, []string{"HOSP-ADMISSION"}, []string{"GP-DIABETES"})
	// the replacement as a new version of the same Consent.
	r78cPut(t, e, gpSys, "v2", r78cConsent("v2", "active", "2026-02-02", "OPTIN", `{"type":"deny","actor":[`+r78cCouncil+`]}`), 200)
	r78cSees(t, e, "hospital after update", u.hosp, []string{"GP-DIABETES"}, nil)
	r78cSees(t, e, "social worker after update", u.sw, nil, []string{"GP-DIABETES"})
	h := e.do("GET", "/fhir/Consent/v2/_history", gpSys, "")
	if h.status != 200 || !strings.Contains(h.body, "Organization/RHX") || !strings.Contains(h.body, `"total":2`) {
		t.Errorf("older version not kept in _history: %d %.500s", h.status, h.body)
	}
}

// r78cPutAny stores a Consent and returns the status.
func r78cPutAny(e *env, tok, id, body string) resp {
	return e.do("PUT", "/fhir/Consent/"+id, tok, body)
}

// FINDING (leak, high). One actor whose role CodeableConcept carries two
// sector codings, council and nhs ("not to social care or other NHS
// bodies"): stored 201, consent.addActor keeps only the last coding
// (`sector = cd.Code`), so the council deny is dropped and the social
// worker reads the GP's record. README: "A Consent the engine cannot
// interpret is refused with a 422 naming the element". Same on parent
// 95fa010 (code from 5834d06).
func TestReview78cActorTwoSectorCodings(t *testing.T) {
	e := r78cEnv(t)
	u := r78cUsers(e)
	gpSys := e.token("system", "nhs", "A81001")
	r := r78cPutAny(e, gpSys, "twosec", r78cConsent("twosec", "active", "2026-01-10", "OPTIN",
		`{"type":"deny","actor":[{"role":{"coding":[{"system":"https://carex.example/sector","code":"council"},{"system":"https://carex.example/sector","code":"nhs"}]},"reference":{"display":"social care and other NHS bodies"}}]}`))
	if r.status == 422 {
		return
	}
	t.Logf("stored: %d", r.status)
	r78cSees(t, e, "social worker", u.sw, nil, []string{"GP-DIABETES", "GP-METFORMIN"})
	r78cSees(t, e, "hospital", u.hosp, nil, []string{"GP-DIABETES", "GP-METFORMIN"})
}

// FINDING (leak, high). One actor whose role carries IRCP and two carex
// role codings (social-worker, district-nurse): stored 201, only the last
// (`carexRole = cd.Code`) is kept, the social worker reads the record.
// README as P1. Same on parent.
func TestReview78cActorTwoRoleCodings(t *testing.T) {
	e := r78cEnv(t)
	u := r78cUsers(e)
	gpSys := e.token("system", "nhs", "A81001")
	r := r78cPutAny(e, gpSys, "tworole", r78cConsent("tworole", "active", "2026-01-10", "OPTIN",
		`{"type":"deny","actor":[{"role":{"coding":[`+r78cIRCP+`,{"system":"https://carex.example/role","code":"social-worker"},{"system":"https://carex.example/role","code":"district-nurse"}]},"reference":{"display":"social workers and district nurses"}}]}`))
	if r.status == 422 {
		return
	}
	t.Logf("stored: %d", r.status)
	r78cSees(t, e, "social worker", u.sw, nil, []string{"GP-DIABETES", "GP-METFORMIN"})
	r78cSees(t, e, "nurse", u.nurse, nil, []string{"GP-DIABETES", "GP-METFORMIN"})
}

// FINDING (over-withholding, safety; silent). "Share nothing, except my
// depression diagnosis with the hospital": deny root, permit actor RHX
// code 35489007. Stored 201; the diagnosis is PSY-labelled by the
// policy's own code list (default.policy `code PSY snomed 35489007`), and
// the permit does not name the label, so it is never released: the
// permit's one target is unreachable. README (layer 6): "needs an
// explicit permit naming that label and the user's organisation"; SPEC
// §5: "permits that release sensitive-labelled data to a named
// organisation"; README: "A Consent the engine cannot interpret is
// refused with a 422". The same permit as an assent is refused 422
// (P3b), and README already counts "codes the lists label" as labels a
// provision names when deciding who may read the Consent. Same on parent.
func TestReview78cPermitSensitiveByCode(t *testing.T) {
	e := r78cEnv(t)
	u := r78cUsers(e)
	gp := e.token("system", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Condition/dep", gp, `{"resourceType":"Condition","id":"dep","subject":{"reference":"Patient/jane"},"onsetDateTime":"2024-02-01","code":{"coding":[{"system":"http://snomed.info/sct","code":"35489007","display":"Depressive disorder"}],"text":"GP-PSY-DEP"}}`); r.status != 201 {
		t.Fatalf("seed: %d %s", r.status, r.body)
	}
	r78cSees(t, e, "hospital before", u.hosp, nil, []string{"GP-PSY-DEP"})
	r := r78cPutAny(e, gp, "psycode", r78cConsent("psycode", "active", "2026-01-10", "OPTIN",
		`{"type":"deny","provision":[{"type":"permit","actor":[`+r78cRHX+`],"code":[{"coding":[{"system":"http://snomed.info/sct","code":"35489007"}]}]}]}`))
	t.Logf("deny-all except permit by code to RHX: %d %.300s", r.status, r.body)
	if r.status == 201 {
		r78cSees(t, e, "hospital", u.hosp, []string{"GP-PSY-DEP"}, []string{"GP-DIABETES"})
	}
}

// (P4) "the hospital may see my mental health records" by label.
func TestReview78cSoundPermitSensitiveByLabel(t *testing.T) {
	e := r78cEnv(t)
	u := r78cUsers(e)
	gp := e.token("system", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Condition/dep", gp, `{"resourceType":"Condition","id":"dep","subject":{"reference":"Patient/jane"},"onsetDateTime":"2024-02-01","code":{"coding":[{"system":"http://snomed.info/sct","code":"35489007","display":"Depressive disorder"}],"text":"GP-PSY-DEP"}}`); r.status != 201 {
		t.Fatalf("seed: %d %s", r.status, r.body)
	}
	r78cPut(t, e, gp, "psylabel", r78cConsent("psylabel", "active", "2026-01-10", "OPTIN",
		`{"type":"permit","actor":[`+r78cRHX+`],"securityLabel":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"PSY"}]}`), 201)
	r78cSees(t, e, "hospital", u.hosp, []string{"GP-PSY-DEP", "GP-DIABETES"}, nil)
	r78cSees(t, e, "nurse", u.nurse, []string{"GP-DIABETES"}, []string{"GP-PSY-DEP"})
	r78cSees(t, e, "social worker", u.sw, []string{"GP-DIABETES"}, []string{"GP-PSY-DEP"})
}

// (P5) withdrawal by marking the old Consent inactive: at once.
func TestReview78cSoundWithdrawByInactive(t *testing.T) {
	e := r78cEnv(t)
	u := r78cUsers(e)
	gpSys := e.token("system", "nhs", "A81001")
	body := r78cConsent("w", "active", "2026-01-10", "OPTIN", `{"type":"deny","actor":[`+r78cCouncil+`]}`)
	r78cPut(t, e, gpSys, "w", body, 201)
	r78cSees(t, e, "social worker", u.sw, nil, []string{"GP-DIABETES"})
	r78cPut(t, e, gpSys, "w", strings.Replace(body, `"status":"active"`, `"status":"inactive"`, 1), 200)
	r78cSees(t, e, "social worker after withdrawal", u.sw, []string{"GP-DIABETES"}, nil)
	r78cPut(t, e, gpSys, "w", body, 200)
	r78cSees(t, e, "social worker after re-activation", u.sw, nil, []string{"GP-DIABETES"})
	if r := e.do("DELETE", "/fhir/Consent/w", gpSys, ""); r.status != 204 && r.status != 200 {
		t.Fatalf("delete: %d", r.status)
	}
	r78cSees(t, e, "social worker after delete", u.sw, []string{"GP-DIABETES"}, nil)
}

// (P6) OPTOUT with an untyped root (as a GP system writes it) and the
// nurse's medications permit; and a council-recorded opt-out.
func TestReview78cSoundOptOutUntypedRoot(t *testing.T) {
	e := r78cEnv(t)
	u := r78cUsers(e)
	gpSys := e.token("system", "nhs", "A81001")
	r78cPut(t, e, gpSys, "oo", r78cConsent("oo", "active", "2026-01-10", "OPTOUT",
		`{"provision":[{"type":"permit","actor":[`+r78cRCX+`],"class":[`+r78cType("MedicationRequest")+`]}]}`), 201)
	r78cSees(t, e, "nurse", u.nurse, []string{"GP-METFORMIN", "GP-SERTRALINE"}, []string{"GP-DIABETES", "HOSP-ADMISSION"})
	r78cSees(t, e, "hospital", u.hosp, []string{"HOSP-ADMISSION"}, []string{"GP-METFORMIN"})
	councilSys := e.token("system", "council", "E06000999")
	r78cPut(t, e, councilSys, "council-oo", r78cConsent("council-oo", "active", "2026-02-01", "OPTOUT", ""), 201)
	r78cSees(t, e, "nurse after council opt-out", u.nurse, []string{"TRUST-WOUND-CARE"}, []string{"GP-METFORMIN", "COUNCIL-CARE-PACKAGE"})
}

// (P7) nested provision periods: an expired and a future deny nested in
// an OPTIN root.
func TestReview78cSoundNestedPeriods(t *testing.T) {
	e := r78cEnv(t)
	u := r78cUsers(e)
	gpSys := e.token("system", "nhs", "A81001")
	r := r78cPutAny(e, gpSys, "np", r78cConsent("np", "active", "2026-01-10", "OPTIN",
		`{"type":"deny","actor":[`+r78cCouncil+`],"period":{"start":"2030-01-01"}}`))
	t.Logf("root future deny: %d", r.status)
	r78cSees(t, e, "social worker", u.sw, []string{"GP-DIABETES"}, nil)
	r = r78cPutAny(e, gpSys, "np2", r78cConsent("np2", "active", "2026-01-11", "OPTIN",
		`{"type":"deny","actor":[`+r78cCouncil+`],"provision":[{"type":"permit","class":[`+r78cClass("medications")+`],"period":{"end":"2025-06-30"}}]}`))
	if r.status != 201 {
		t.Fatalf("np2: %d %s", r.status, r.body)
	}
	// the permit has expired: the deny decides for medications too
	r78cSees(t, e, "social worker (expired permit)", u.sw, []string{"COUNCIL-CARE-PACKAGE"}, []string{"GP-METFORMIN", "GP-DIABETES"})
}

// (P8) "opt out, but my district nurse (by her SDS user id) may see my
// medications".
func TestReview78cSoundPermitNamedNurse(t *testing.T) {
	e := r78cEnv(t)
	u := r78cUsers(e)
	gpSys := e.token("system", "nhs", "A81001")
	r78cPut(t, e, gpSys, "jo", r78cConsent("jo", "active", "2026-01-10", "OPTOUT",
		`{"type":"deny","provision":[{"type":"permit","actor":[{"role":{"coding":[`+r78cIRCP+`]},"reference":{"identifier":{"system":"https://fhir.nhs.uk/Id/sds-user-id","value":"district-nurse-user"},"display":"Jo, district nurse"}}],"class":[`+r78cClass("medications")+`]}]}`), 201)
	r78cSees(t, e, "nurse", u.nurse, []string{"GP-METFORMIN"}, []string{"GP-DIABETES"})
	other := e.token("district-nurse", "nhs", "RCX", func(c *auth.DevClaims) { c.Sub = "other-nurse" })
	r78cSees(t, e, "another nurse", other, nil, []string{"GP-METFORMIN", "GP-DIABETES"})
}

// (P9) "don't share my social care records with the NHS" recorded by the
// council.
func TestReview78cSoundNoSocialCareToNHS(t *testing.T) {
	e := r78cEnv(t)
	u := r78cUsers(e)
	councilSys := e.token("system", "council", "E06000999")
	r78cPut(t, e, councilSys, "nonhs", r78cConsent("nonhs", "active", "2026-01-10", "OPTIN",
		`{"type":"deny","actor":[{"role":{"coding":[{"system":"https://carex.example/sector","code":"nhs"}]},"reference":{"display":"the NHS"}}],"class":[`+r78cClass("social-care")+`]}`), 201)
	r78cSees(t, e, "gp", u.gp, []string{"GP-DIABETES"}, []string{"COUNCIL-CARE-PACKAGE"})
	r78cSees(t, e, "nurse", u.nurse, []string{"GP-DIABETES"}, []string{"COUNCIL-CARE-PACKAGE"})
	r78cSees(t, e, "social worker", u.sw, []string{"COUNCIL-CARE-PACKAGE", "GP-DIABETES"}, nil)
	r78cRead(t, e, "nurse", u.nurse, "/fhir/EpisodeOfCare/package", 404)
	r78cRead(t, e, "nurse", u.nurse, "/fhir/EpisodeOfCare/package/_history", 404)
}

// (P10) the person named by NHS number, as GP systems often send it.
func TestReview78cSoundConsentPatientByNHSNumber(t *testing.T) {
	for name, pat := range map[string]string{
		"identifier":        `"patient":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}}`,
		"identifier-spaced": `"patient":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"943 476 5919"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			e := r78cEnv(t)
			u := r78cUsers(e)
			gpSys := e.token("system", "nhs", "A81001")
			body := strings.Replace(r78cConsent("nhsno", "active", "2026-01-10", "OPTIN", `{"type":"deny","actor":[`+r78cCouncil+`]}`), `"patient":{"reference":"Patient/jane"}`, pat, 1)
			r := r78cPutAny(e, gpSys, "nhsno", body)
			t.Logf("stored: %d %.200s", r.status, r.body)
			if r.status == 422 || r.status == 400 {
				return
			}
			r78cSees(t, e, "social worker", u.sw, []string{"COUNCIL-CARE-PACKAGE"}, []string{"GP-DIABETES", "GP-METFORMIN"})
		})
	}
}

// FINDING (leak, high; silent). P11: "don't share my eating disorder with the council", recorded as
// the ICD-10 category F50 (eating disorders); the GP's diagnosis is coded
// in the subcategory F50.0 (anorexia nervosa). F5* is on no code list, so
// the item is unlabelled and only the Consent can withhold it.
// Stored 201 in each form; none withholds F50.0 from the social worker.
// "F50*" (the form carex's own policy file uses) and "F50.-" (ICD-10's
// own "any subcategory" notation) are no ICD-10 codes at all and match
// nothing: a deny accepted and ignored. README: codes match "ICD-10 codes
// as the labelling reads them: without dots, in any case" — the labelling
// reads F3* as a prefix; the Consent does not. Same on parent.
func TestReview78cICD10CategoryDeny(t *testing.T) {
	for name, code := range map[string]string{"category": "F50", "wildcard": "F50*", "dotted": "F50.-"} {
		t.Run(name, func(t *testing.T) {
			e := r78cEnv(t)
			u := r78cUsers(e)
			gpSys := e.token("system", "nhs", "A81001")
			if r := e.do("PUT", "/fhir/Condition/anorexia", gpSys, `{"resourceType":"Condition","id":"anorexia","subject":{"reference":"Patient/jane"},"onsetDateTime":"2024-02-01","code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"F50.0","display":"Anorexia nervosa"}],"text":"GP-ANOREXIA"}}`); r.status != 201 {
				t.Fatalf("seed: %d %s", r.status, r.body)
			}
			r78cSees(t, e, "social worker before", u.sw, []string{"GP-ANOREXIA"}, nil)
			r := r78cPutAny(e, gpSys, "alc", r78cConsent("alc", "active", "2026-01-10", "OPTIN",
				`{"type":"deny","actor":[`+r78cCouncil+`],"code":[{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"`+code+`"}]}]}`))
			t.Logf("deny %s: %d %.250s", code, r.status, r.body)
			if r.status != 201 {
				return
			}
			r78cSees(t, e, "social worker", u.sw, []string{"GP-DIABETES"}, []string{"GP-ANOREXIA"})
		})
	}
}

// (P3b) the same permit as P3 without the surrounding deny.
// As an assent the code-only permit is refused 422; with the label named
// it is accepted.
func TestReview78cSoundPermitSensitiveByCodeAssent(t *testing.T) {
	e := r78cEnv(t)
	gp := e.token("system", "nhs", "A81001")
	for id, want := range map[string]int{"root-permit-code": 422, "root-permit-code-label": 201} {
		prov := `{"type":"permit","actor":[` + r78cRHX + `],"code":[{"coding":[{"system":"http://snomed.info/sct","code":"35489007"}]}]}`
		if want == 201 {
			prov = prov[:len(prov)-1] + `,"securityLabel":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"PSY"}]}`
		}
		if r := r78cPutAny(e, gp, id, r78cConsent(id, "active", "2026-01-10", "OPTIN", prov)); r.status != want {
			t.Errorf("%s: %d, want %d: %.250s", id, r.status, want, r.body)
		}
	}
}

// (P12) "don't share what the hospital recorded with the council":
// a recipient actor and a custodian actor in one provision.
func TestReview78cSoundRecipientAndCustodian(t *testing.T) {
	e := r78cEnv(t)
	u := r78cUsers(e)
	gpSys := e.token("system", "nhs", "A81001")
	r78cPut(t, e, gpSys, "cst", r78cConsent("cst", "active", "2026-01-10", "OPTIN",
		`{"type":"deny","actor":[`+r78cCouncil+`,{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"CST"}]},"reference":{"reference":"Organization/RHX"}}]}`), 201)
	r78cSees(t, e, "social worker", u.sw, []string{"GP-DIABETES", "COUNCIL-CARE-PACKAGE"}, []string{"HOSP-ADMISSION"})
	r78cSees(t, e, "gp", u.gp, []string{"HOSP-ADMISSION", "GP-DIABETES"}, nil)
}

// (P13) a deny by the exact ICD-10 subcategory, dotted, matches (control
// for P11).
func TestReview78cSoundICD10ExactDeny(t *testing.T) {
	e := r78cEnv(t)
	u := r78cUsers(e)
	gpSys := e.token("system", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Condition/anorexia", gpSys, `{"resourceType":"Condition","id":"anorexia","subject":{"reference":"Patient/jane"},"onsetDateTime":"2024-02-01","code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"F50.0"}],"text":"GP-ANOREXIA"}}`); r.status != 201 {
		t.Fatalf("seed: %d %s", r.status, r.body)
	}
	r78cPut(t, e, gpSys, "alc", r78cConsent("alc", "active", "2026-01-10", "OPTIN",
		`{"type":"deny","actor":[`+r78cCouncil+`],"code":[{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"F50.0"}]}]}`), 201)
	r78cSees(t, e, "social worker", u.sw, []string{"GP-DIABETES"}, []string{"GP-ANOREXIA"})
}

// FINDING (leak, medium: unusual shape). "opt out" recorded with
// policyRule codings OPTIN and OPTOUT: stored 201 and read as OPTIN (the
// first), so everything is shared. SPEC §5: "the base is policyRule …
// OPTIN or OPTOUT"; README: refuse what the engine cannot interpret.
// Same on parent. (P14)
// (a contradictory CodeableConcept, as P1/P2): either refused, or read as
// the withholding one.
func TestReview78cPolicyRuleTwoCodings(t *testing.T) {
	e := r78cEnv(t)
	u := r78cUsers(e)
	gpSys := e.token("system", "nhs", "A81001")
	body := strings.Replace(r78cConsent("pr", "active", "2026-01-10", "OPTOUT", ""),
		`"policyRule":{"coding":[`, `"policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"},`, 1)
	r := r78cPutAny(e, gpSys, "pr", body)
	if r.status == 422 {
		return
	}
	t.Logf("stored: %d", r.status)
	r78cSees(t, e, "hospital", u.hosp, []string{"HOSP-ADMISSION"}, []string{"GP-DIABETES"})
}

// (P15) replacement as a GP system sends it: a transaction marking the
// old Consent inactive and POSTing the new one; caches warmed before.
func TestReview78cSoundReplacementTransaction(t *testing.T) {
	e := r78cEnv(t)
	u := r78cUsers(e)
	gpSys := e.token("system", "nhs", "A81001")
	old := r78cConsent("old", "active", "2026-01-10", "OPTIN", `{"type":"deny","actor":[`+r78cCouncil+`]}`)
	r78cPut(t, e, gpSys, "old", old, 201)
	r78cSees(t, e, "social worker", u.sw, nil, []string{"GP-DIABETES"})
	r78cSees(t, e, "hospital", u.hosp, []string{"GP-DIABETES"}, nil)
	newer := strings.Replace(r78cConsent("x", "active", "2026-02-01", "OPTIN", `{"type":"deny","actor":[`+r78cRHX+`]}`), `"id":"x",`, "", 1)
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[
 {"resource":` + strings.Replace(old, `"status":"active"`, `"status":"inactive"`, 1) + `,"request":{"method":"PUT","url":"Consent/old"}},
 {"fullUrl":"urn:uuid:7d1c0d6e-8a57-4b8a-9c55-1f0e2b8f7a11","resource":` + newer + `,"request":{"method":"POST","url":"Consent"}}]}`
	if r := e.do("POST", "/fhir", gpSys, tx); r.status != 200 {
		t.Fatalf("transaction: %d %.400s", r.status, r.body)
	}
	r78cSees(t, e, "social worker after replacement", u.sw, []string{"GP-DIABETES"}, nil)
	r78cSees(t, e, "hospital after replacement", u.hosp, []string{"HOSP-ADMISSION"}, []string{"GP-DIABETES"})
	h := e.do("GET", "/fhir/Consent/old/_history", gpSys, "")
	if !strings.Contains(h.body, `"total":2`) {
		t.Errorf("older version not kept: %.300s", h.body)
	}
}
