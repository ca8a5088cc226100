package consent

import (
	"fmt"
	"testing"
	"time"
)

var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// Organisations of the test world.
const (
	orgGP      = "A81001" // registered GP practice
	orgHosp    = "RXX01"  // hospital, care team member
	orgCouncil = "C001"   // council, episode of care (care package)
	orgNurse   = "N0001"  // community nursing, care team member
	orgClinic  = "RCLIN"  // sexual health clinic, a source of data
	orgOther   = "Z9999"  // no relationship
)

func users() map[string]User {
	return map[string]User{
		"gp":       {Sub: "u-gp", Name: "Dr GP", Role: "gp", Org: orgGP, Sector: "nhs"},
		"hosp":     {Sub: "u-hosp", Name: "Dr Ward", Role: "hospital-clinician", Org: orgHosp, Sector: "nhs"},
		"nurse":    {Sub: "u-nurse", Name: "Nurse", Role: "district-nurse", Org: orgNurse, Sector: "nhs"},
		"sw":       {Sub: "u-sw", Name: "Social Worker", Role: "social-worker", Org: orgCouncil, Sector: "council"},
		"clinic":   {Sub: "u-clinic", Name: "Dr Clinic", Role: "hospital-clinician", Org: orgClinic, Sector: "nhs"},
		"stranger": {Sub: "u-str", Name: "Dr Elsewhere", Role: "hospital-clinician", Org: orgOther, Sector: "nhs"},
		"ig":       {Sub: "u-ig", Name: "IG", Role: "ig-officer", Org: "IG001", Sector: "nhs"},
		"sys":      {Sub: "gp-system", Role: "system", Org: orgGP, Sector: "nhs"},
	}
}

func patient(consents ...*Consent) Patient {
	return Patient{
		ID: "p1",
		Relationships: []Relationship{
			{Org: orgGP, Kind: RelRegisteredGP},
			{Org: orgHosp, Kind: RelCareTeam, Until: now.AddDate(0, 1, 0)},
			{Org: orgNurse, Kind: RelCareTeam},
			{Org: orgCouncil, Kind: RelEpisodeOfCare},
			{Org: orgClinic, Kind: RelSource, LastRecorded: now.AddDate(0, -2, 0)},
		},
		Consents: consents,
	}
}

// cons builds a patient-privacy Consent for p1 from a policyRule and a
// provision in JSON ("" for none) and parses it.
func cons(t testing.TB, rule, prov string) *Consent {
	t.Helper()
	return consAt(t, "c1", "2024-01-01", rule, prov)
}

func consAt(t testing.TB, id, date, rule, prov string) *Consent {
	t.Helper()
	c, err := ParseConsent(consentJSON(id, date, rule, prov))
	if err != nil {
		t.Fatalf("ParseConsent: %v", err)
	}
	return c
}

func consentJSON(id, date, rule, prov string) []byte {
	p := ""
	if prov != "" {
		p = `,"provision":` + prov
	}
	return []byte(fmt.Sprintf(`{"resourceType":"Consent","id":%q,"status":"active",
	"scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
	"patient":{"reference":"Patient/p1"},"dateTime":%q,
	"policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":%q}]}%s}`, id, date, rule, p))
}

// JSON fragments for provisions.
func org(code string) string {
	return `{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"PRCP"}]},"reference":{"reference":"Organization/` + code + `"}}`
}
func custodian(code string) string {
	return `{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"CST"}]},"reference":{"reference":"Organization/` + code + `"}}`
}
func author(ref string) string {
	return `{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"AUT"}]},"reference":{"reference":"` + ref + `"}}`
}
func data(meaning, ref string) string {
	return `{"meaning":"` + meaning + `","reference":{"reference":"` + ref + `"}}`
}
func roleActor(role string) string {
	return `{"role":{"coding":[{"system":"https://carex.example/role","code":"` + role + `"}]}}`
}
func sectorActor(s string) string {
	return `{"role":{"coding":[{"system":"https://carex.example/sector","code":"` + s + `"}]}}`
}
func label(code string) string {
	return `{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"` + code + `"}`
}
func class(code string) string {
	if code[0] >= 'A' && code[0] <= 'Z' {
		return `{"system":"http://hl7.org/fhir/resource-types","code":"` + code + `"}`
	}
	return `{"system":"https://carex.example/data-class","code":"` + code + `"}`
}
func action(code string) string {
	return `{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentaction","code":"` + code + `"}]}`
}

func obs(src string) *Item {
	return &Item{Type: "Observation", ID: "o1", DataClass: "observations", SourceOrg: src, Date: now.AddDate(0, -1, 0)}
}
func med(src string) *Item {
	return &Item{Type: "MedicationStatement", ID: "m1", DataClass: "medications", SourceOrg: src, Date: now.AddDate(-1, 0, 0)}
}
func cond(src string, labels ...string) *Item {
	return &Item{Type: "Condition", ID: "c1", DataClass: "problems", SourceOrg: src, Labels: labels, Date: now.AddDate(-2, 0, 0)}
}

func decide(t testing.TB, u User, p Patient, it *Item) Decision {
	t.Helper()
	return Prepare(DefaultPolicy(), u, p, now).Decide(it)
}

func firstCode(d Decision) string {
	if len(d.Reasons) == 0 {
		return ""
	}
	return d.Reasons[0].Code
}
