package api_test

import (
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
	other := e.token("system", "nhs", "Z99999")
	gp := e.token("gp", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	consent := func(id, date, rule string) string {
		return `{"resourceType":"Consent","id":"` + id + `","status":"active",
 "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
 "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
 "patient":{"reference":"Patient/jane"},"dateTime":"` + date + `",
 "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"` + rule + `"}]}}`
	}
	for _, c := range []struct {
		tok, id, date, rule string
		open                bool
	}{
		{other, "z-optout", "2026-02-01", "OPTOUT", false},
		{gp, "gp-optin", "2026-03-01", "OPTIN", false},
		{other, "z-optin", "2026-04-01", "OPTIN", true},
	} {
		if r := e.do("PUT", "/fhir/Consent/"+c.id, c.tok, consent(c.id, c.date, c.rule)); r.status != 201 {
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
	q := "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919"
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
	consent := func(id, date, rule string) string {
		return `{"resourceType":"Consent","id":"` + id + `","status":"active",
 "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
 "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
 "patient":{"reference":"Patient/jane"},"dateTime":"` + date + `",
 "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"` + rule + `"}]}}`
	}
	if r := e.do("PUT", "/fhir/Consent/c1", sys, consent("c1", "2026-02-01", "OPTOUT")); r.status != 201 {
		t.Fatal(r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", nurse, ""); strings.Contains(r.body, "GP-DIABETES") {
		t.Fatal("opt-out not in force")
	}
	if r := e.do("PUT", "/fhir/Consent/c2", gp, consent("c2", "2026-03-01", "OPTIN")); r.status != 201 {
		t.Fatal(r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", nurse, ""); !strings.Contains(r.body, "GP-DIABETES") {
		t.Errorf("same organisation's newer consent did not supersede: %.300s", r.body)
	}
}
