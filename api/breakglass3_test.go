package api_test

import (
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

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
