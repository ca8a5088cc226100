package api_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

const bgReason = "EMERGENCY: unconscious in A&E, no next of kin"

func seedCouple(t *testing.T, e *env) {
	t.Helper()
	gpSys := e.token("system", "nhs", "A81001")
	rcx := e.token("system", "nhs", "RCX")
	for path, body := range map[string]string{
		"/fhir/Patient/margaret": `{"resourceType":"Patient","id":"margaret","name":[{"family":"Jones","given":["Margaret"]}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`,
		"/fhir/Patient/arthur":   `{"resourceType":"Patient","id":"arthur","name":[{"family":"Jones","given":["Arthur"]}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`,
	} {
		if r := e.do("PUT", path, gpSys, body); r.status != 201 {
			t.Fatalf("seed %s: %d %s", path, r.status, r.body)
		}
	}
	// Margaret's care team: the community trust, and Arthur (her husband, her carer).
	if r := e.do("PUT", "/fhir/CareTeam/margaret-carers", rcx, `{"resourceType":"CareTeam","id":"margaret-carers","status":"active","subject":{"reference":"Patient/margaret"},
		"name":"MARGARET-CARE-TEAM","participant":[{"member":{"reference":"Organization/RCX"}},{"member":{"reference":"Patient/arthur"}}]}`); r.status != 201 {
		t.Fatalf("seed care team: %d %s", r.status, r.body)
	}
}

// A break-glass read of Margaret's care team, which names her husband as a
// member (so the item is in both compartments), opens Arthur (sorted
// first), not Margaret: the read is 404 and the 4-hour grant is stored for
// Arthur, whom the clinician never asked about.
func TestBreakGlassReadOfTwoPersonItem(t *testing.T) {
	e := newEnv(t)
	seedCouple(t, e)
	ae := e.token("hospital-clinician", "nhs", "RZZ")
	r := e.do("GET", "/fhir/CareTeam/margaret-carers", ae, "", "X-Break-Glass", bgReason)
	if r.status != 200 || !strings.Contains(r.body, "MARGARET-CARE-TEAM") {
		t.Errorf("break-glass read of Margaret's care team: %d %s", r.status, r.body)
	}
	// The read opens Margaret, its subject, not Arthur who shares it.
	if r := e.do("GET", "/fhir/Patient/arthur", ae, ""); r.status == 200 {
		t.Errorf("a break-glass grant was stored for Arthur, who was not asked about: GET Patient/arthur without the header is %d", r.status)
	}
	if r := e.do("GET", "/fhir/Patient/margaret", ae, ""); r.status != 200 {
		t.Errorf("no grant for Margaret, whose item was asked for: %d", r.status)
	}
	// A lookup of the item by id names nobody: break-glass does not decide
	// whose record it opens (the id's sort order would), so the shared item
	// is decided as without it, and no one's record is opened. A read of it
	// (its subject) or the person's $everything is the way in.
	other := e.token("hospital-clinician", "nhs", "RYY", func(c *auth.DevClaims) { c.Sub = "another-clinician" })
	r = e.do("GET", "/fhir/CareTeam?_id=margaret-carers", other, "", "X-Break-Glass", bgReason)
	if r.status != 200 || !strings.Contains(r.body, `"total":0`) {
		t.Errorf("break-glass CareTeam?_id=margaret-carers: %d %.300s", r.status, r.body)
	}
	for _, id := range []string{"arthur", "margaret"} {
		if r := e.do("GET", "/fhir/Patient/"+id, other, ""); r.status == 200 {
			t.Errorf("a lookup of a shared care team by id opened %s's record", id)
		}
	}
}

// A batch's entries are each their own request with the parent's
// X-Break-Glass header: one POST opens (and grants 4 hours on) as many
// people as it has entries.
func TestBreakGlassBatchOpensOnePerson(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedCouple(t, e)
	ae := e.token("hospital-clinician", "nhs", "RZZ")
	r := e.do("POST", "/fhir", ae, `{"resourceType":"Bundle","type":"batch","entry":[
		{"request":{"method":"GET","url":"Patient/jane/$everything"}},
		{"request":{"method":"GET","url":"Patient/margaret/$everything"}},
		{"request":{"method":"GET","url":"Patient/arthur/$everything"}}]}`, "X-Break-Glass", bgReason)
	opened := strings.Count(r.body, `"status":"200 OK"`)
	if opened > 1 {
		t.Errorf("one break-glass request opened %d people's records", opened)
	}
	for _, id := range []string{"jane", "margaret", "arthur"} {
		if g := e.do("GET", "/fhir/Patient/"+id, ae, ""); g.status == 200 {
			t.Logf("grant now held for %s", id)
		}
	}
}

// Per-recorder supersession (a choice): an OPTOUT recorded by another
// organisation stays in force over the GP practice's newer OPTIN, and is
// lifted by a newer consent of the organisation that recorded it. (A GP
// able to lift other organisations' consents could lift one made against
// itself; a stray objection withholds, the privacy-safe direction.)
func TestAnotherOrganisationsOptOutIsLiftedWhereRecorded(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	// The community trust (RCX, on Jane's care team) records the
	// objection; its nurse then sees only what the trust itself recorded.
	other := e.token("system", "nhs", "RCX")
	gp := e.token("gp", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, c := range []struct {
		tok, id, date, rule string
		open                bool
	}{
		{other, "z-optout", "2026-02-01", "OPTOUT", false},
		{gp, "gp-optin", "2026-03-01", "OPTIN", false},
		{other, "z-optin", "2026-04-01", "OPTIN", true},
	} {
		if r := e.do("PUT", "/fhir/Consent/"+c.id, c.tok, janeConsent(c.id, c.date, c.rule, "")); r.status != 201 {
			t.Fatalf("%s: %d %s", c.id, r.status, r.body)
		}
		if r := e.do("GET", "/fhir/Patient/jane/$everything", nurse, ""); strings.Contains(r.body, "GP-DIABETES") != c.open {
			t.Errorf("after %s the nurse sees Jane's record: %v, want %v", c.id, !c.open, c.open)
		}
	}
}

// Break-glass $everything of Margaret: her care team names her husband
// (so it is in his compartment too) and is withheld, though it is her
// record and her carer is what an emergency needs.
func TestBreakGlassEverythingKeepsSharedItems(t *testing.T) {
	e := newEnv(t)
	seedCouple(t, e)
	ae := e.token("hospital-clinician", "nhs", "RZZ")
	r := e.do("GET", "/fhir/Patient/margaret/$everything", ae, "", "X-Break-Glass", bgReason)
	if r.status != 200 || !strings.Contains(r.body, "MARGARET-CARE-TEAM") {
		t.Errorf("break-glass $everything of Margaret lacks her care team: %d %.500s", r.status, r.body)
	}
}

// An emergency trace by name and birth date (NHS number unknown) under
// break-glass is now refused outright.
func TestBreakGlassDemographicTrace(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	ae := e.token("hospital-clinician", "nhs", "RZZ")
	r := e.do("GET", "/fhir/Patient?family=Smith&birthdate=1950-03-04", ae, "", "X-Break-Glass", bgReason)
	if r.status != 200 || !strings.Contains(r.body, `"total":1`) {
		t.Errorf("break-glass trace by name and birth date: %d %s", r.status, r.body)
	}
	// The trace finds the person; it opens no one's record.
	if r := e.do("GET", "/fhir/Patient/jane", ae, ""); r.status != 403 {
		t.Errorf("a trace stored a grant: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Patient?family=Smith&_revinclude=Condition:subject", ae, "", "X-Break-Glass", bgReason); r.status != 400 {
		t.Errorf("a break-glass trace with an include: %d", r.status)
	}
}

// A lookup of a restricted person by NHS number that also asks for her GP
// (a common client pattern) finds no one, with no notice: she vanishes.
func TestRestrictedPersonStaysWithGPInclude(t *testing.T) {
	e := newEnv(t)
	seedRestricted(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	q := "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000069"
	if r := e.do("GET", q, nurse, ""); !strings.Contains(r.body, `"total":1`) {
		t.Fatalf("precondition: plain lookup finds her: %s", r.body)
	}
	r := e.do("GET", q+"&_include=Patient:general-practitioner", nurse, "")
	if !strings.Contains(r.body, `"total":1`) || strings.Contains(r.body, "SECRET-") {
		t.Errorf("lookup with _include=Patient:general-practitioner: %.400s", r.body)
	}
}

// Searches within the new limits (MaxValues 500) must not answer 500.
func TestSearchWithinLimitsIsNeverA500(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	for name, q := range map[string]string{
		"497 codes":         "/fhir/Condition?code=" + strings.TrimSuffix(strings.Repeat("http://snomed.info/sct|1,", 497), ","),
		"498 dates":         "/fhir/Observation?date=" + strings.TrimSuffix(strings.Repeat("ge2020-01-01,", 498), ","),
		"patient+499 codes": "/fhir/Observation?patient=jane&code=" + strings.TrimSuffix(strings.Repeat("http://loinc.org|x,", 499), ","),
	} {
		if r := e.do("GET", q, gp, ""); r.status >= 500 {
			t.Errorf("%s: %d %.200s", name, r.status, r.body)
		}
	}
}

// Checked: a newer consent by the same organisation (system vs user, code
// in another case) supersedes its older one.
func TestSameOrgSupersedes(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	sys := e.token("system", "nhs", "a81001")
	gp := e.token("gp", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("PUT", "/fhir/Consent/c1", sys, janeConsent("c1", "2026-02-01", "OPTOUT", "")); r.status != 201 {
		t.Fatal(r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", nurse, ""); strings.Contains(r.body, "GP-DIABETES") {
		t.Fatal("opt-out not in force")
	}
	if r := e.do("PUT", "/fhir/Consent/c2", gp, janeConsent("c2", "2026-03-01", "OPTIN", "")); r.status != 201 {
		t.Fatal(r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", nurse, ""); !strings.Contains(r.body, "GP-DIABETES") {
		t.Errorf("same organisation's newer consent did not supersede: %.300s", r.body)
	}
}

// The hospital records Jane's objection to her GP practice seeing hospital
// data; her GP practice then records a newer plain OPTIN, which must not
// lift the objection made against the GP itself.
func TestGPCannotLiftAnObjectionToItself(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Consent/no-gp", hosp, janeConsent("no-gp", "2026-02-01", "OPTIN", `,
 "provision":{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},
   "reference":{"reference":"Organization/A81001"}}]}`)); r.status != 201 {
		t.Fatalf("hospital consent: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Encounter/admission", gp, ""); r.status != 404 {
		t.Fatalf("precondition: objection in force for the GP: %d", r.status)
	}
	if r := e.do("PUT", "/fhir/Consent/gp-optin", gp, janeConsent("gp-optin", "2026-03-01", "OPTIN", "")); r.status != 201 {
		t.Fatalf("GP consent: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Encounter/admission", gp, ""); r.status == 200 {
		t.Errorf("the GP lifted Jane's objection to the GP by recording its own OPTIN: %d %.200s", r.status, r.body)
	}
}

// A GP consent that governs no reads (expired) must not lift another
// organisation's active OPTOUT.
func TestExpiredGPConsentLiftsNothing(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	gp := e.token("gp", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("PUT", "/fhir/Consent/h-out", hosp, janeConsent("h-out", "2024-01-01", "OPTOUT", "")); r.status != 201 {
		t.Fatal(r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", nurse, ""); strings.Contains(r.body, "GP-DIABETES") {
		t.Fatal("precondition: opt-out not in force")
	}
	// A short restriction the GP recorded last year, long expired.
	if r := e.do("PUT", "/fhir/Consent/gp-old", gp, janeConsent("gp-old", "2025-01-01", "OPTOUT", `,"provision":{"period":{"start":"2025-01-01","end":"2025-02-01"}}`)); r.status != 201 {
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

// A break-glass vread / history of Margaret's care team (shared with Arthur).
func TestBreakGlassVersionAndHistoryOfSharedItem(t *testing.T) {
	e := newEnv(t)
	seedCouple(t, e)
	ae := e.token("hospital-clinician", "nhs", "RZZ")
	if r := e.do("GET", "/fhir/CareTeam/margaret-carers", ae, "", "X-Break-Glass", bgReason); r.status != 200 {
		t.Fatalf("precondition read: %d", r.status)
	}
	ae2 := e.token("hospital-clinician", "nhs", "RYY")
	if r := e.do("GET", "/fhir/CareTeam/margaret-carers/_history/1", ae2, "", "X-Break-Glass", bgReason); r.status != 200 || !strings.Contains(r.body, "MARGARET-CARE-TEAM") {
		t.Errorf("break-glass vread of a shared item: %d %.200s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/CareTeam/margaret-carers/_history", ae2, "", "X-Break-Glass", bgReason); r.status != 200 || !strings.Contains(r.body, "MARGARET-CARE-TEAM") {
		t.Errorf("break-glass history of a shared item: %d %.200s", r.status, r.body)
	}
}

// A break-glass read of a Coverage whose beneficiary is Margaret and whose
// subscriber is Arthur (no subject/patient element).
func TestBreakGlassReadOfSharedItemWithoutSubject(t *testing.T) {
	e := newEnv(t)
	seedCouple(t, e)
	rcx := e.token("system", "nhs", "RCX")
	if r := e.do("PUT", "/fhir/Coverage/cov", rcx, `{"resourceType":"Coverage","id":"cov","status":"active","beneficiary":{"reference":"Patient/margaret"},"subscriber":{"reference":"Patient/arthur"},"payor":[{"reference":"Organization/RCX"}],"subscriberId":"COV-MARKER"}`); r.status != 201 {
		t.Fatalf("seed: %d %s", r.status, r.body)
	}
	ae := e.token("hospital-clinician", "nhs", "RZZ")
	r := e.do("GET", "/fhir/Coverage/cov", ae, "", "X-Break-Glass", bgReason)
	if r.status != 200 {
		t.Errorf("break-glass read of a shared Coverage: %d %.200s", r.status, r.body)
	}
}

// TestBreakGlassEarlierVersionsOfSharedItem: a single-item request for an
// item several people share now opens its subject (or no one) and brings
// along only the people its current version names: an earlier version
// naming someone else is decided as without break-glass, and grants no
// one (found in review: a history granted Bob, named by version 1 only,
// and released Bob and Carol's version), while an earlier version naming
// the subject alone comes along.
func TestBreakGlassEarlierVersionsOfSharedItem(t *testing.T) {
	e := newEnv(t)
	seedCouple(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	rcx := e.token("system", "nhs", "RCX")
	for _, id := range []string{"bob", "carol"} {
		if r := e.do("PUT", "/fhir/Patient/"+id, gpSys, `{"resourceType":"Patient","id":"`+id+`"}`); r.status != 201 {
			t.Fatal(r.body)
		}
	}
	appt := func(text string, who ...string) string {
		var ps []string
		for _, w := range who {
			ps = append(ps, `{"actor":{"reference":"Patient/`+w+`"},"status":"accepted"}`)
		}
		return `{"resourceType":"Appointment","id":"ap","status":"booked","description":"` + text + `","participant":[` + strings.Join(ps, ",") + `]}`
	}
	for _, b := range []string{appt("BOB-AND-CAROL", "bob", "carol"), appt("MARGARET-AND-ARTHUR", "margaret", "arthur")} {
		if r := e.do("PUT", "/fhir/Appointment/ap", rcx, b); r.status != 201 && r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
	}
	x := e.token("hospital-clinician", "nhs", "RZZ", func(c *auth.DevClaims) { c.Sub = "x" })
	for _, p := range []string{"/fhir/Appointment/ap/_history", "/fhir/Appointment/ap/_history/1", "/fhir/Appointment/ap"} {
		r := e.do("GET", p, x, "", "X-Break-Glass", bgReason)
		if strings.Contains(r.body, "BOB-AND-CAROL") {
			t.Errorf("GET %s released the version naming Bob and Carol: %.200s", p, r.body)
		}
		if p == "/fhir/Appointment/ap" && !strings.Contains(r.body, "MARGARET-AND-ARTHUR") {
			t.Errorf("the shared appointment itself: %d %.200s", r.status, r.body)
		}
	}
	for _, id := range []string{"bob", "carol", "margaret", "arthur"} {
		if r := e.do("GET", "/fhir/Patient/"+id, x, ""); r.status == 200 {
			t.Errorf("an appointment with no subject opened %s's record", id)
		}
	}
	// A care team of Margaret alone, then shared with Arthur: its first
	// version comes along with Margaret, its subject.
	for _, b := range []string{
		`{"resourceType":"CareTeam","id":"ct","status":"active","subject":{"reference":"Patient/margaret"},"name":"CT-V1"}`,
		`{"resourceType":"CareTeam","id":"ct","status":"active","subject":{"reference":"Patient/margaret"},"name":"CT-V2","participant":[{"member":{"reference":"Patient/arthur"}}]}`,
	} {
		if r := e.do("PUT", "/fhir/CareTeam/ct", rcx, b); r.status != 201 && r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
	}
	y := e.token("hospital-clinician", "nhs", "RZZ", func(c *auth.DevClaims) { c.Sub = "y" })
	if r := e.do("GET", "/fhir/CareTeam/ct/_history/1", y, "", "X-Break-Glass", bgReason); r.status != 200 || !strings.Contains(r.body, "CT-V1") {
		t.Errorf("break-glass version read of the care team's first version: %d %.200s", r.status, r.body)
	}
}
