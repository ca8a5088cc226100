package api_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// The hospital records Jane's objection to her GP practice seeing hospital
// data; her GP practice then records a newer plain OPTIN. The GP's consent
// supersedes the objection made against the GP itself.
func TestGPCannotLiftAnObjectionToItself(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Consent/no-gp", hosp, `{"resourceType":"Consent","id":"no-gp","status":"active",
 "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
 "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
 "patient":{"reference":"Patient/jane"},"dateTime":"2026-02-01",
 "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},
 "provision":{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},
   "reference":{"reference":"Organization/A81001"}}]}}`); r.status != 201 {
		t.Fatalf("hospital consent: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Encounter/admission", gp, ""); r.status != 404 {
		t.Fatalf("precondition: objection in force for the GP: %d", r.status)
	}
	if r := e.do("PUT", "/fhir/Consent/gp-optin", gp, `{"resourceType":"Consent","id":"gp-optin","status":"active",
 "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
 "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
 "patient":{"reference":"Patient/jane"},"dateTime":"2026-03-01",
 "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]}}`); r.status != 201 {
		t.Fatalf("GP consent: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Encounter/admission", gp, ""); r.status == 200 {
		t.Errorf("the GP lifted Jane's objection to the GP by recording its own OPTIN: %d %.200s", r.status, r.body)
	}
}

// A GP consent that governs no reads (expired) still wipes another
// organisation's active OPTOUT.
func TestExpiredGPConsentLiftsNothing(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	gp := e.token("gp", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	c := func(id, date, rule, extra string) string {
		return `{"resourceType":"Consent","id":"` + id + `","status":"active",
 "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
 "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
 "patient":{"reference":"Patient/jane"},"dateTime":"` + date + `",
 "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"` + rule + `"}]}` + extra + `}`
	}
	if r := e.do("PUT", "/fhir/Consent/h-out", hosp, c("h-out", "2024-01-01", "OPTOUT", "")); r.status != 201 {
		t.Fatal(r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", nurse, ""); strings.Contains(r.body, "GP-DIABETES") {
		t.Fatal("precondition: opt-out not in force")
	}
	// A short restriction the GP recorded last year, long expired.
	if r := e.do("PUT", "/fhir/Consent/gp-old", gp, c("gp-old", "2025-01-01", "OPTOUT", `,"provision":{"period":{"start":"2025-01-01","end":"2025-02-01"}}`)); r.status != 201 {
		t.Fatal(r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", nurse, ""); strings.Contains(r.body, "GP-DIABETES") {
		t.Errorf("an expired GP restriction lifted the hospital's active OPTOUT: %.200s", r.body)
	}
}

// One break-glass lookup (identifier with one value, allowed as a
// one-person search) releases two couples' shared care teams, and stores no
// grant: four people under one break-glass request.
func TestBreakGlassLookupOpensOneCouple(t *testing.T) {
	e := newEnv(t)
	gpSys := e.token("system", "nhs", "A81001")
	rcx := e.token("system", "nhs", "RCX")
	for _, id := range []string{"a1", "a2", "b1", "b2"} {
		if r := e.do("PUT", "/fhir/Patient/"+id, gpSys, `{"resourceType":"Patient","id":"`+id+`","generalPractitioner":[{"reference":"Organization/A81001"}]}`); r.status != 201 {
			t.Fatal(r.status, r.body)
		}
	}
	for _, ct := range [][3]string{{"ct-a", "a1", "a2"}, {"ct-b", "b1", "b2"}} {
		if r := e.do("PUT", "/fhir/CareTeam/"+ct[0], rcx, `{"resourceType":"CareTeam","id":"`+ct[0]+`","status":"active",
 "identifier":[{"system":"https://rcx.example/ct","value":"`+ct[0]+`"}],"subject":{"reference":"Patient/`+ct[1]+`"},
 "name":"TEAM-`+ct[0]+`","participant":[{"member":{"reference":"Organization/RCX"}},{"member":{"reference":"Patient/`+ct[2]+`"}}]}`); r.status != 201 {
			t.Fatal(r.status, r.body)
		}
	}
	ae := e.token("hospital-clinician", "nhs", "RZZ")
	r := e.do("GET", "/fhir/CareTeam?identifier=https://rcx.example/ct|", ae, "", "X-Break-Glass", bgReason)
	if strings.Contains(r.body, "TEAM-ct-a") && strings.Contains(r.body, "TEAM-ct-b") {
		t.Errorf("one break-glass request released two couples' records: %d %.200s", r.status, r.body)
	}
}

// A break-glass "trace" needs no criteria: Patient? lists everyone.
func TestBreakGlassTraceNeedsCriteria(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedCouple(t, e)
	ae := e.token("hospital-clinician", "nhs", "RZZ")
	r := e.do("GET", "/fhir/Patient?_count=100", ae, "", "X-Break-Glass", bgReason)
	n := 0
	for _, s := range []string{"Smith", "Margaret", "Arthur", "9434765919", "1950-03-04"} {
		if strings.Contains(r.body, s) {
			n++
		}
	}
	if n > 0 {
		t.Errorf("break-glass Patient? with no criteria: %d, released %d of the population's identifiers: %.300s", r.status, n, r.body)
	}
}

func TestRevincludeThroughRestrictedGP(t *testing.T) {
	e := newEnv(t)
	seedRestricted(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, q := range []string{
		"/fhir/Practitioner?_id=dr-secret&_revinclude=Patient:general-practitioner",
		"/fhir/Practitioner?_revinclude=Patient:general-practitioner",
		"/fhir/Patient?_id=marg&_include=Patient:general-practitioner&_revinclude=Patient:general-practitioner",
	} {
		r := e.do("GET", q, nurse, "")
		if strings.Contains(r.body, "Doyle") && strings.Contains(r.body, "dr-secret") {
			t.Errorf("%s: %d %.600s", q, r.status, r.body)
		}
	}
}

// TestBreakGlassTraceCannotEnumerate: a trace needs an exact birth date
// and a name (two letters or more) or postcode, and has one page: a range
// of dates and paging listed everyone (found in review).
func TestBreakGlassTraceCannotEnumerate(t *testing.T) {
	e := newEnv(t)
	gp := e.token("system", "nhs", "A81001")
	for i := 0; i < 25; i++ {
		id := fmt.Sprintf("p%02d", i)
		e.do("PUT", "/fhir/Patient/"+id, gp, fmt.Sprintf(`{"resourceType":"Patient","id":"%s","name":[{"family":"Smith%02d"}],"birthDate":"19%02d-01-01"}`, id, i, 40+i))
	}
	ae := e.token("hospital-clinician", "nhs", "RZZ")
	seen := map[string]bool{}
	for _, q := range []string{"birthdate=ge1800-01-01&family=s", "birthdate=ge1800-01-01&family=smith", "birthdate=1940-01-01&family=smith&_offset=10", "birthdate=1940&family=smith"} {
		r := e.do("GET", "/fhir/Patient?"+q, ae, "", "X-Break-Glass", bgReason)
		for _, m := range regexp.MustCompile(`Smith\d\d`).FindAllString(r.body, -1) {
			seen[m] = true
		}
		if r.status != 400 {
			t.Errorf("%s: %d, want 400", q, r.status)
		}
	}
	if r := e.do("GET", "/fhir/Patient?birthdate=1940-01-01&family=smith", ae, "", "X-Break-Glass", bgReason); r.status != 200 || !strings.Contains(r.body, "Smith00") {
		t.Errorf("an exact trace: %d %.200s", r.status, r.body)
	}
	if len(seen) > 0 {
		t.Errorf("break-glass traces listed %d people", len(seen))
	}
}
