package api_test

import (
	"fmt"
	"github.com/carex-project/carex/api/auth"
	"slices"
	"strings"
	"testing"
)

// TestReview17cObjectionSurvivesDeletedSameNumberRecord: a person's
// objection reaches another organisation's Patient carrying her NHS number
// (1a2a415), but only while that Patient exists: the NHS numbers came from
// the Patient resource alone. When the hospital retired its own record of
// Jane (DELETE Patient/hosp-jane, its diagnosis still filed under it), the
// district nurse on the hospital's care team read the hospital's diagnosis
// again by read, search and $everything although Jane's opt-out at her GP
// stood. A deleted Patient's links already count (its last version's);
// now its last version's NHS numbers do too.
func TestReview17cObjectionSurvivesDeletedSameNumberRecord(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("system", "nhs", "RHX")
	nurse := e.token("district-nurse", "nhs", "RCX")
	seedHospitalJane(t, e, hosp, "943 476 5919")
	if r := e.do("PUT", "/fhir/Consent/jane-optout", gp, janeConsent("jane-optout", "2026-11-01", "OPTOUT", "")); r.status != 201 {
		t.Fatalf("opt-out: %d %s", r.status, r.body)
	}
	reads := []string{"/fhir/Condition/hosp-fracture", "/fhir/Condition?patient=hosp-jane", "/fhir/Patient/hosp-jane/$everything"}
	for _, path := range reads {
		if r := e.do("GET", path, nurse, ""); strings.Contains(r.body, "HOSP-FRACTURE") {
			t.Fatalf("the premise: Jane's opt-out withholds the hospital's record of her (%s): %d %.300s", path, r.status, r.body)
		}
	}
	if r := e.do("DELETE", "/fhir/Patient/hosp-jane", hosp, ""); r.status != 200 && r.status != 204 {
		t.Fatalf("the hospital retires its record: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/hosp-fracture", hosp, ""); r.status != 200 {
		t.Fatalf("the premise: the diagnosis remains, the hospital reads it: %d %s", r.status, r.body)
	}
	for _, path := range reads {
		if r := e.do("GET", path, nurse, ""); strings.Contains(r.body, "HOSP-FRACTURE") {
			t.Errorf("%s: with the hospital's Patient deleted, Jane's opt-out no longer reaches its items: %d %.300s", path, r.status, r.body)
		}
	}
}

// TestReview17cHistoryEntryNamesNoOneElsesItems: a person's access report
// shows an entry naming several people without the items it released,
// which are not told apart by person (a9d0a16); but the operations it
// knew as several people's were "search", "history", "transaction" and
// "batch", while carex logs a history as "history-type", "history-system"
// or "history-instance". A GP's GET /fhir/Condition/_history releasing
// Jane's and Bob's conditions went into Jane's report (or Bob's, whoever
// the entry named first) with the other person's items listed:
// Condition/bob-gout in the report about Jane. Now a history of a type
// or of the server is shown as a search is.
func TestReview17cHistoryEntryNamesNoOneElsesItems(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	seedBobAtTheGP(t, e, gpSys)
	gp := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "gp-17c-sub" })
	for _, path := range []string{"/fhir/Condition/_history?_count=100", "/fhir/_history?_count=100"} {
		if r := e.do("GET", path, gp, ""); r.status != 200 || !strings.Contains(r.body, "bob-gout") || !strings.Contains(r.body, "diabetes") {
			t.Fatalf("the premise: the GP's %s holds both people's conditions: %d %.300s", path, r.status, r.body)
		}
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	for _, who := range []struct{ patient, others string }{{"jane", "bob-gout"}, {"bob", "Condition/diabetes"}} {
		for _, path := range []string{"/fhir/AuditEvent/$who-accessed?patient=" + who.patient, "/fhir/AuditEvent?patient=" + who.patient + "&_count=1000"} {
			r := e.do("GET", path, ig, "")
			if r.status != 200 || !strings.Contains(r.body, "gp-17c-sub") {
				t.Fatalf("%s: the premise: the GP's histories are listed: %d %.300s", path, r.status, r.body)
			}
			if strings.Contains(r.body, who.others) {
				t.Errorf("%s: the report about %s lists another person's item (%s) from a history: %.1500s", path, who.patient, who.others, r.body)
			}
		}
	}
}

// TestReview17cSameNumberObjectionByActorAndBreakGlass: an objection
// recorded on the hospital's own record of Jane (Patient/hosp-jane,
// carrying her NHS number) that denies one organisation (provision actor)
// reaches her GP's record of her for that organisation only; break-glass
// over it is logged as an override, and $explain gives the other record's
// Consent as the reason for that organisation. (Passed when first written: a probe of 1a2a415.)
func TestReview17cSameNumberObjectionByActorAndBreakGlass(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	nurse := e.token("district-nurse", "nhs", "RCX")
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Condition/diabetes", nurse, ""); r.status != 200 {
		t.Fatalf("the premise: the nurse reads Jane's GP diagnosis: %d %s", r.status, r.body)
	}
	denyRCX := strings.Replace(janeConsent("hosp-deny-rcx", "2026-11-01", "OPTIN",
		`,"provision":{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RCX"}}]}`),
		"Patient/jane", "Patient/hosp-jane", 1)
	e.putAll(t, hosp,
		[2]string{"/fhir/Patient/hosp-jane", `{"resourceType":"Patient","id":"hosp-jane","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"943 476 5919"}],"name":[{"family":"Smith"}]}`},
		[2]string{"/fhir/Consent/hosp-deny-rcx", denyRCX})
	if r := e.do("GET", "/fhir/Condition/diabetes", nurse, ""); r.status != 404 {
		t.Errorf("the objection to RCX on the hospital's record of Jane does not reach her GP record: %d %.300s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/diabetes", gp, ""); r.status != 200 {
		t.Errorf("the objection names RCX alone, yet her GP is refused: %d", r.status)
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Patient/jane/$explain?role=district-nurse&org=RCX&sector=nhs", ig, ""); r.status != 200 || !strings.Contains(r.body, "Consent/hosp-deny-rcx") {
		t.Errorf("$explain does not name the other record's objection as withholding from RCX: %d %.600s", r.status, r.body)
	}
	r := e.do("GET", "/fhir/Condition/diabetes", nurse, "", "X-Break-Glass", "EMERGENCY: collapsed at home, no history available")
	if r.status != 200 {
		t.Fatalf("break-glass read: %d %s", r.status, r.body)
	}
	if x := e.lastEntry(t); !slices.Contains(x.Reasons, "break-glass-override") {
		t.Errorf("the access log's reasons %v do not say break-glass overrode her objection on the other record", x.Reasons)
	}
}

// TestReview17cObjectionNotLostBehindManySameNumberRecords: a person's
// objection reaches the other Patients carrying her NHS number, at most
// 20 of them read, oldest first (1a2a415); with more, restriction fails
// closed but the objections of the records not read were left out. Any
// system may write a Patient: with 25 records already filed under Jane's
// NHS number by another organisation's feed, Jane's opt-out recorded on
// the hospital's new record of her (Patient/hosp-jane) did not reach her
// GP's record, and the district nurse read her GP diagnosis. Now a number
// carried by more Patients than are read fails closed for consent too.
func TestReview17cObjectionNotLostBehindManySameNumberRecords(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	other := e.token("system", "nhs", "RYY")
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Condition/diabetes", nurse, ""); r.status != 200 {
		t.Fatalf("the premise: the nurse reads Jane's GP diagnosis: %d", r.status)
	}
	for i := 0; i < 25; i++ {
		id := fmt.Sprintf("aa-dup-%02d", i)
		if r := e.do("PUT", "/fhir/Patient/"+id, other, `{"resourceType":"Patient","id":"`+id+`","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}]}`); r.status != 201 {
			t.Fatalf("%s: %d %s", id, r.status, r.body)
		}
	}
	e.putAll(t, hosp,
		[2]string{"/fhir/Patient/hosp-jane", `{"resourceType":"Patient","id":"hosp-jane","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"name":[{"family":"Smith"}]}`},
		[2]string{"/fhir/Consent/hosp-optout", strings.Replace(janeConsent("hosp-optout", "2026-11-01", "OPTOUT", ""), "Patient/jane", "Patient/hosp-jane", 1)})
	for _, path := range []string{"/fhir/Condition/diabetes", "/fhir/Condition?patient=jane", "/fhir/Patient/jane/$everything"} {
		if r := e.do("GET", path, nurse, ""); strings.Contains(r.body, "GP-DIABETES") {
			t.Errorf("%s: with 25 older records carrying Jane's number, her opt-out on the hospital's record no longer reaches her GP record: %d %.300s", path, r.status, r.body)
		}
	}
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Condition/diabetes", gp, ""); r.status != 200 {
		t.Errorf("her GP, the source, still reads its own record: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Condition/diabetes", nurse, "", "X-Break-Glass", "EMERGENCY: collapsed at home, no history available"); r.status != 200 {
		t.Errorf("break-glass overrides the objection assumed: %d %.300s", r.status, r.body)
	} else if x := e.lastEntry(t); !slices.Contains(x.Reasons, "break-glass-override") {
		t.Errorf("the access log's reasons %v do not say break-glass overrode an objection", x.Reasons)
	}
}
