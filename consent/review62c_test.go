package consent

// Review 62c: the consent engine on its own, against SPEC §5 read
// literally. Table probes (TestReview62cSound… pass: checked and sound)
// and a random provision-tree comparison with an independent reference
// written from SPEC's words (TestReview62cRandomTreesAgreeWithReference).

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"
)

const r62SNOMED = "http://snomed.info/sct"

func r62code(system, code string) string {
	if system == "" {
		return `{"coding":[{"code":"` + code + `"}]}`
	}
	return `{"coding":[{"system":"` + system + `","code":"` + code + `"}]}`
}

func r62odsActor(v string) string {
	return `{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"PRCP"}]},"reference":{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"` + v + `"}}}`
}

func r62roleAt(role, orgCode string) string {
	return `{"role":{"coding":[{"system":"https://carex.example/role","code":"` + role + `"}]},"reference":{"reference":"Organization/` + orgCode + `"}}`
}

// r62c is one consent of a case: recorder, dateTime, status, policyRule, provision.
type r62c struct {
	id, recorder, date, status, rule, prov string
}

type r62case struct {
	name     string
	user     string
	mod      func(*User)
	pmod     func(*Patient)
	consents []r62c
	item     *Item
	effect   Effect
	code     string // first reason code, "-" = do not check
	flags    Flags
	anyFlags bool // do not check flags
}

func r62build(t *testing.T, cs []r62c) []*Consent {
	t.Helper()
	var out []*Consent
	for i, c := range cs {
		id := c.id
		if id == "" {
			id = fmt.Sprintf("c%d", i+1)
		}
		date := c.date
		if date == "" {
			date = "2024-01-01"
		} else if date == "none" {
			date = ""
		}
		cn := consAt(t, id, date, c.rule, c.prov)
		if c.status != "" {
			cn.Status = c.status
		}
		cn.Recorder = c.recorder
		if cn.Recorder == "" {
			cn.Recorder = orgGP
		}
		out = append(out, cn)
	}
	return out
}

func r62run(t *testing.T, cases []r62case) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u, ok := users()[tc.user]
			if !ok {
				t.Fatalf("unknown user %q", tc.user)
			}
			if tc.mod != nil {
				tc.mod(&u)
			}
			p := patient(r62build(t, tc.consents)...)
			if tc.pmod != nil {
				tc.pmod(&p)
			}
			d := Prepare(DefaultPolicy(), u, p, now).Decide(tc.item)
			if d.Effect != tc.effect || (tc.code != "-" && firstCode(d) != tc.code) {
				t.Fatalf("got %s, want %s/%s", d.Explain(), tc.effect, tc.code)
			}
			if !tc.anyFlags && d.Flags != tc.flags {
				t.Fatalf("flags %b, want %b (%s)", d.Flags, tc.flags, d.Explain())
			}
		})
	}
}

func r62item(typ, class, src string, labels []string, codes ...Coding) *Item {
	return &Item{Type: typ, ID: "i1", DataClass: class, SourceOrg: src, Labels: labels, Codes: codes, Date: now.AddDate(-1, 0, 0)}
}

// --- base policyRule ------------------------------------------------------

func TestReview62cSoundBasePolicyRule(t *testing.T) {
	r62run(t, []r62case{
		{name: "OPTIN alone shares", user: "hosp", consents: []r62c{{rule: "OPTIN"}}, item: med(orgGP), effect: Permit, code: ""},
		{name: "OPTOUT alone shares nothing", user: "hosp", consents: []r62c{{rule: "OPTOUT"}}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "OPTOUT: council too", user: "sw", consents: []r62c{{rule: "OPTOUT"}}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "OPTOUT: source still sees", user: "hosp", consents: []r62c{{rule: "OPTOUT"}}, item: med(orgHosp), effect: Permit, code: ""},
		{name: "OPTIN + unnarrowed deny: nothing shared", user: "nurse", consents: []r62c{{rule: "OPTIN", prov: `{"type":"deny"}`}}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "OPTOUT with permit exception to RXX01", user: "hosp", consents: []r62c{{rule: "OPTOUT", prov: `{"provision":[{"type":"permit","actor":[` + org(orgHosp) + `]}]}`}}, item: med(orgGP), effect: Permit, code: ""},
		{name: "OPTOUT with permit exception to RXX01: nurse withheld", user: "nurse", consents: []r62c{{rule: "OPTOUT", prov: `{"provision":[{"type":"permit","actor":[` + org(orgHosp) + `]}]}`}}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "OPTOUT root permit (exception) to RXX01: nurse withheld", user: "nurse", consents: []r62c{{rule: "OPTOUT", prov: `{"type":"permit","actor":[` + org(orgHosp) + `]}`}}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "OPTOUT root permit (exception) to RXX01: hosp permitted", user: "hosp", consents: []r62c{{rule: "OPTOUT", prov: `{"type":"permit","actor":[` + org(orgHosp) + `]}`}}, item: med(orgGP), effect: Permit, code: ""},
		{name: "OPTOUT permit exception does not release HIV without naming the label", user: "hosp", consents: []r62c{{rule: "OPTOUT", prov: `{"provision":[{"type":"permit","actor":[` + org(orgHosp) + `]}]}`}}, item: cond(orgClinic, "HIV"), effect: Withhold, code: CodeSensitive},
	})
	// An unknown policyRule, or none, is refused (nothing silently read as OPTIN).
	for _, rule := range []string{"OPTX", "", "opt-in"} {
		if _, err := ParseConsent(consentJSON("x", "2024-01-01", rule, "")); err == nil {
			t.Errorf("policyRule %q accepted", rule)
		}
	}
	if _, err := ParseConsent([]byte(`{"resourceType":"Consent","id":"x","status":"active","scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},"patient":{"reference":"Patient/p1"},"dateTime":"2024-01-01"}`)); err == nil {
		t.Errorf("a patient-privacy Consent without policyRule is accepted")
	}
}

// --- nesting ---------------------------------------------------------------

func TestReview62cSoundDeepNesting(t *testing.T) {
	// OPTIN; deny problems; inside it permit to RXX01; inside that deny code 111; inside that permit to practitioner u-hosp.
	prov := `{"provision":[{"type":"deny","class":[` + class("problems") + `],"provision":[{"type":"permit","actor":[` + org(orgHosp) + `],"provision":[{"type":"deny","code":[` + r62code(r62SNOMED, "111") + `],"provision":[{"type":"permit","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"PRCP"}]},"reference":{"reference":"Practitioner/u-hosp"}}]}]}]}]}]}`
	c := []r62c{{rule: "OPTIN", prov: prov}}
	plain := r62item("Condition", "problems", orgGP, nil, Coding{r62SNOMED, "222"})
	coded := r62item("Condition", "problems", orgGP, nil, Coding{r62SNOMED, "111"})
	r62run(t, []r62case{
		{name: "depth1 deny: nurse", user: "nurse", consents: c, item: plain, effect: Withhold, code: CodeConsentDeny},
		{name: "depth2 permit: hosp", user: "hosp", consents: c, item: plain, effect: Permit, code: ""},
		{name: "depth4 permit: u-hosp coded", user: "hosp", consents: c, item: coded, effect: Permit, code: ""},
		{name: "depth3 deny: colleague at hosp coded", user: "hosp", mod: func(u *User) { u.Sub = "u-other" }, consents: c, item: coded, effect: Withhold, code: CodeConsentDeny},
		{name: "outside: meds to nurse", user: "nurse", consents: c, item: med(orgGP), effect: Permit, code: ""},
		{name: "a permit below an unmatched deny does not apply", user: "hosp", consents: c, item: med(orgGP), effect: Permit, code: ""},
	})
	// Siblings both matching at depth 1 (two denies) and a permit at depth 2 under one of them: the deepest decides.
	sib := []r62c{{rule: "OPTIN", prov: `{"provision":[{"type":"deny","actor":[` + org(orgHosp) + `],"provision":[{"type":"permit","class":[` + class("medications") + `]}]},{"type":"deny","class":[` + class("medications") + `]}]}`}}
	r62run(t, []r62case{
		{name: "sibling: deeper permit decides for hosp", user: "hosp", consents: sib, item: med(orgGP), effect: Permit, code: ""},
		{name: "sibling: nurse meds denied", user: "nurse", consents: sib, item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "sibling: hosp problems denied", user: "hosp", consents: sib, item: cond(orgGP), effect: Withhold, code: CodeConsentDeny},
	})
	// A nested provision of its parent's type is refused (not an exception), so deny and permit never meet at one depth of one Consent.
	if _, err := ParseConsent(consentJSON("x", "2024-01-01", "OPTIN", `{"provision":[{"type":"deny","provision":[{"type":"deny"}]}]}`)); err == nil {
		t.Errorf("deny inside deny accepted")
	}
}

// --- actors ----------------------------------------------------------------

func TestReview62cSoundActors(t *testing.T) {
	denyTo := func(a string) []r62c {
		return []r62c{{rule: "OPTIN", prov: `{"provision":[{"type":"deny","actor":[` + a + `]}]}`}}
	}
	r62run(t, []r62case{
		{name: "org by reference", user: "hosp", consents: denyTo(org(orgHosp)), item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "org by reference lower case", user: "hosp", consents: denyTo(org(strings.ToLower(orgHosp))), item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "org by ODS identifier", user: "hosp", consents: denyTo(r62odsActor("rxx01")), item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "org by ODS identifier: others", user: "nurse", consents: denyTo(r62odsActor("rxx01")), item: med(orgGP), effect: Permit, code: ""},
		{name: "sector council", user: "sw", consents: denyTo(sectorActor("council")), item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "sector nhs", user: "nurse", consents: denyTo(sectorActor("nhs")), item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "sector nhs: council unaffected", user: "sw", consents: denyTo(sectorActor("nhs")), item: med(orgGP), effect: Permit, code: ""},
		{name: "role only", user: "nurse", consents: denyTo(roleActor("district-nurse")), item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "job role R8001", user: "nurse", consents: denyTo(roleActor("R8001")), item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "role at org", user: "hosp", consents: denyTo(r62roleAt("hospital-clinician", orgHosp)), item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "role at org: same role elsewhere", user: "clinic", consents: denyTo(r62roleAt("hospital-clinician", orgHosp)), item: med(orgGP), effect: Permit, code: ""},
		{name: "several actors: first", user: "hosp", consents: denyTo(org(orgHosp) + "," + sectorActor("council")), item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "several actors: second", user: "sw", consents: denyTo(org(orgHosp) + "," + sectorActor("council")), item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "several actors: neither", user: "nurse", consents: denyTo(org(orgHosp) + "," + sectorActor("council")), item: med(orgGP), effect: Permit, code: ""},
		{name: "practitioner", user: "hosp", consents: denyTo(`{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Practitioner/u-hosp"}}`), item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "practitioner by user's own reference", user: "hosp", mod: func(u *User) { u.Sub = "x"; u.Practitioner = "Practitioner/u-hosp" }, consents: denyTo(`{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Practitioner/u-hosp"}}`), item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "council by council code identifier", user: "sw", consents: denyTo(`{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"PRCP"}]},"reference":{"identifier":{"system":"https://carex.example/Id/council-code","value":"c001"}}}`), item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
	})
}

// --- class, code, label, purpose, action ----------------------------------

func TestReview62cSoundItemConditions(t *testing.T) {
	deny := func(c string) []r62c {
		return []r62c{{rule: "OPTIN", prov: `{"provision":[{"type":"deny",` + c + `}]}`}}
	}
	condCoded := func(sys, code string) *Item {
		return r62item("Condition", "problems", orgGP, nil, Coding{sys, code})
	}
	r62run(t, []r62case{
		{name: "class data class", user: "hosp", consents: deny(`"class":[` + class("problems") + `]`), item: cond(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "class resource type", user: "hosp", consents: deny(`"class":[` + class("Condition") + `]`), item: cond(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "class resource type: other type", user: "hosp", consents: deny(`"class":[` + class("Condition") + `]`), item: med(orgGP), effect: Permit, code: ""},
		{name: "class without system (data class)", user: "hosp", consents: deny(`"class":[{"code":"medications"}]`), item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "class without system (type)", user: "hosp", consents: deny(`"class":[{"code":"MedicationStatement"}]`), item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "code with system", user: "hosp", consents: deny(`"code":[` + r62code(r62SNOMED, "35489007") + `]`), item: condCoded(r62SNOMED, "35489007"), effect: Withhold, code: CodeConsentDeny},
		{name: "code with system: other system same code", user: "hosp", consents: deny(`"code":[` + r62code(r62SNOMED, "12345") + `]`), item: condCoded("http://read.info/ctv3", "12345"), effect: Permit, code: ""},
		{name: "code without system: any system", user: "hosp", consents: deny(`"code":[` + r62code("", "12345") + `]`), item: condCoded("http://read.info/ctv3", "12345"), effect: Withhold, code: CodeConsentDeny},
		{name: "ICD-10 dots", user: "hosp", consents: deny(`"code":[` + r62code("http://hl7.org/fhir/sid/icd-10", "J45.0") + `]`), item: condCoded("http://hl7.org/fhir/sid/icd-10-uk", "J450"), effect: Withhold, code: CodeConsentDeny},
		{name: "deny code matches a reason (OtherCodes)", user: "hosp", consents: deny(`"code":[` + r62code(r62SNOMED, "111") + `]`), item: &Item{Type: "MedicationStatement", DataClass: "medications", SourceOrg: orgGP, OtherCodes: []Coding{{r62SNOMED, "111"}}, Date: now}, effect: Withhold, code: CodeConsentDeny},
		{name: "label deny", user: "hosp", consents: deny(`"securityLabel":[` + label("PSY") + `]`), item: cond(orgGP, "PSY"), effect: Withhold, code: CodeConsentDeny},
		{name: "label deny: unlabelled item", user: "hosp", consents: deny(`"securityLabel":[` + label("PSY") + `]`), item: cond(orgGP), effect: Permit, code: ""},
		{name: "purpose TREAT deny covers ETREAT", user: "hosp", mod: func(u *User) { u.Purpose = "ETREAT" }, consents: deny(`"purpose":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"TREAT"}]`), item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "purpose COC deny does not cover TREAT", user: "hosp", consents: deny(`"purpose":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"COC"}]`), item: med(orgGP), effect: Permit, code: ""},
		{name: "action access", user: "hosp", consents: deny(`"action":[` + action("access") + `]`), item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "action disclose", user: "hosp", consents: deny(`"action":[` + action("disclose") + `]`), item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "action correct only", user: "hosp", consents: deny(`"action":[` + action("correct") + `]`), item: med(orgGP), effect: Permit, code: ""},
		{name: "action collect only", user: "hosp", consents: deny(`"action":[` + action("collect") + `]`), item: med(orgGP), effect: Permit, code: ""},
	})
	// OPTOUT with an emergency-only permit: ETREAT released, TREAT not.
	em := []r62c{{rule: "OPTOUT", prov: `{"provision":[{"type":"permit","purpose":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"ETREAT"}]}]}`}}
	r62run(t, []r62case{
		{name: "ETREAT-only permit: ETREAT", user: "hosp", mod: func(u *User) { u.Purpose = "ETREAT" }, consents: em, item: med(orgGP), effect: Permit, code: ""},
		{name: "ETREAT-only permit: TREAT", user: "hosp", consents: em, item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "ETREAT-only permit: COC", user: "hosp", mod: func(u *User) { u.Purpose = "COC" }, consents: em, item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
	})
}

// --- sensitivity and explicit permits -------------------------------------

func TestReview62cSoundLabelPermits(t *testing.T) {
	hivTo := []r62c{{rule: "OPTIN", prov: `{"type":"permit","actor":[` + org(orgHosp) + `],"securityLabel":[` + label("HIV") + `]}`}}
	nested := []r62c{{rule: "OPTIN", prov: `{"provision":[{"type":"deny","securityLabel":[` + label("PSY") + `],"provision":[{"type":"permit","actor":[` + org(orgHosp) + `]}]}]}`}}
	r62run(t, []r62case{
		{name: "permit HIV to RXX01: HIV item", user: "hosp", consents: hivTo, item: cond(orgClinic, "HIV"), effect: Permit, code: ""},
		{name: "permit HIV to RXX01: nurse", user: "nurse", consents: hivTo, item: cond(orgClinic, "HIV"), effect: Withhold, code: CodeSensitive},
		{name: "permit HIV to RXX01: PSY item", user: "hosp", consents: hivTo, item: cond(orgClinic, "PSY"), effect: Withhold, code: CodeSensitive},
		{name: "permit HIV to RXX01: HIV+PSY item", user: "hosp", consents: hivTo, item: cond(orgClinic, "HIV", "PSY"), effect: Withhold, code: CodeSensitive},
		{name: "permit HIV to RXX01: HIV+R item", user: "hosp", consents: hivTo, item: cond(orgClinic, "HIV", "R"), effect: Withhold, code: CodeSensitive},
		{name: "permit HIV to RXX01: plain item", user: "hosp", consents: hivTo, item: cond(orgClinic), effect: Permit, code: ""},
		{name: "deny PSY except RXX01: hosp", user: "hosp", consents: nested, item: cond(orgGP, "PSY"), effect: Permit, code: ""},
		{name: "deny PSY except RXX01: nurse", user: "nurse", consents: nested, item: cond(orgGP, "PSY"), effect: Withhold, code: CodeConsentDeny},
		{name: "permit by sector names no org: HIV withheld", user: "hosp", consents: []r62c{{rule: "OPTIN", prov: `{"provision":[{"type":"deny","securityLabel":[` + label("HIV") + `],"provision":[{"type":"permit","actor":[` + sectorActor("nhs") + `]}]}]}`}}, item: cond(orgClinic, "HIV"), effect: Withhold, code: CodeSensitive},
		{name: "permit by a non-source non-GP recorder: HIV withheld", user: "hosp", consents: []r62c{{rule: "OPTIN", recorder: orgNurse, prov: `{"type":"permit","actor":[` + org(orgHosp) + `],"securityLabel":[` + label("HIV") + `]}`}}, item: cond(orgClinic, "HIV"), effect: Withhold, code: CodeSensitive},
		{name: "permit recorded by the user's own org: HIV withheld", user: "hosp", consents: []r62c{{rule: "OPTIN", recorder: orgHosp, prov: `{"type":"permit","actor":[` + org(orgHosp) + `],"securityLabel":[` + label("HIV") + `]}`}}, item: cond(orgClinic, "HIV"), effect: Withhold, code: CodeSensitive},
	})
}

// TestReview62cPermitNamingOrgAfterSectorIsNotExplicit: a permit whose
// actors are [sector nhs, Organization/RXX01] and securityLabel HIV names
// RXX01 (SPEC §5: "permits that release sensitive-labelled data to a named
// organisation"), exactly as [Organization/RXX01, sector nhs] does. The
// engine's userMatch returns on the first recipient that matches, so the
// sector actor answers "not named" and the HIV item stays withheld; with
// the actors in the other order it is released.
func TestReview62cPermitNamingOrgAfterSectorIsNotExplicit(t *testing.T) {
	orgFirst := `{"type":"permit","actor":[` + org(orgHosp) + `,` + sectorActor("nhs") + `],"securityLabel":[` + label("HIV") + `]}`
	sectorFirst := `{"type":"permit","actor":[` + sectorActor("nhs") + `,` + org(orgHosp) + `],"securityLabel":[` + label("HIV") + `]}`
	r62run(t, []r62case{
		{name: "org first", user: "hosp", consents: []r62c{{rule: "OPTIN", prov: orgFirst}}, item: cond(orgClinic, "HIV"), effect: Permit, code: ""},
		{name: "sector first (same provision, actors reordered)", user: "hosp", consents: []r62c{{rule: "OPTIN", prov: sectorFirst}}, item: cond(orgClinic, "HIV"), effect: Permit, code: ""},
	})
}

// --- period and dataPeriod edges ------------------------------------------

func TestReview62cSoundPeriods(t *testing.T) {
	deny := func(c string) []r62c {
		return []r62c{{rule: "OPTIN", prov: `{"provision":[{"type":"deny",` + c + `}]}`}}
	}
	at := func(ts string) *Item {
		d, _ := time.Parse(time.RFC3339, ts)
		return &Item{Type: "MedicationStatement", ID: "m", DataClass: "medications", SourceOrg: orgGP, Date: d}
	}
	r62run(t, []r62case{
		{name: "period not begun", user: "hosp", consents: deny(`"period":{"start":"2025-06-02"}`), item: med(orgGP), effect: Permit, code: ""},
		{name: "period open start, ends today (date)", user: "hosp", consents: deny(`"period":{"end":"2025-06-01"}`), item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "period ends at now's second", user: "hosp", consents: deny(`"period":{"end":"2025-06-01T12:00:00Z"}`), item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "period ended a second before", user: "hosp", consents: deny(`"period":{"end":"2025-06-01T11:59:59Z"}`), item: med(orgGP), effect: Permit, code: ""},
		{name: "period starts at now", user: "hosp", consents: deny(`"period":{"start":"2025-06-01T12:00:00Z"}`), item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "period equal instants = now", user: "hosp", consents: deny(`"period":{"start":"2025-06-01T12:00:00Z","end":"2025-06-01T12:00:00Z"}`), item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "dataPeriod end date holds its day (BST)", user: "hosp", consents: deny(`"dataPeriod":{"end":"2024-06-01"}`), item: at("2024-06-01T22:30:00Z"), effect: Withhold, code: CodeConsentDeny},
		{name: "dataPeriod end date: next day in England", user: "hosp", consents: deny(`"dataPeriod":{"end":"2024-06-01"}`), item: at("2024-06-01T23:30:00Z"), effect: Permit, code: ""},
		{name: "dataPeriod start date: day before in England", user: "hosp", consents: deny(`"dataPeriod":{"start":"2024-06-01"}`), item: at("2024-05-31T22:30:00Z"), effect: Permit, code: ""},
		{name: "dataPeriod start date: first minute in England", user: "hosp", consents: deny(`"dataPeriod":{"start":"2024-06-01"}`), item: at("2024-05-31T23:00:00Z"), effect: Withhold, code: CodeConsentDeny},
		{name: "dataPeriod equal instants", user: "hosp", consents: deny(`"dataPeriod":{"start":"2024-06-01T10:00:00Z","end":"2024-06-01T10:00:00Z"}`), item: at("2024-06-01T10:00:00Z"), effect: Withhold, code: CodeConsentDeny},
		{name: "dataPeriod deny covers an undated item", user: "hosp", consents: deny(`"dataPeriod":{"start":"2015-01-01","end":"2015-12-31"}`), item: &Item{Type: "MedicationStatement", DataClass: "medications", SourceOrg: orgGP}, effect: Withhold, code: CodeConsentDeny},
		{name: "dataPeriod permit does not release an undated item", user: "hosp", consents: []r62c{{rule: "OPTOUT", prov: `{"provision":[{"type":"permit","dataPeriod":{"start":"2015-01-01"}}]}`}}, item: &Item{Type: "MedicationStatement", DataClass: "medications", SourceOrg: orgGP}, effect: Withhold, code: CodeConsentDeny},
		{name: "dataPeriod permit does not release a range it holds in part", user: "hosp", consents: []r62c{{rule: "OPTOUT", prov: `{"provision":[{"type":"permit","dataPeriod":{"start":"2015-01-01"}}]}`}}, item: &Item{Type: "MedicationStatement", DataClass: "medications", SourceOrg: orgGP, Date: time.Date(2014, 6, 1, 0, 0, 0, 0, time.UTC), DateEnd: time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)}, effect: Withhold, code: CodeConsentDeny},
	})
}

// --- several Consents ------------------------------------------------------

func TestReview62cSoundSupersessionAndStatus(t *testing.T) {
	r62run(t, []r62case{
		{name: "newer OPTIN over older OPTOUT", user: "hosp", consents: []r62c{{rule: "OPTOUT", date: "2023-01-01"}, {rule: "OPTIN", date: "2024-01-01"}}, item: med(orgGP), effect: Permit, code: ""},
		{name: "newer OPTOUT over older OPTIN", user: "hosp", consents: []r62c{{rule: "OPTIN", date: "2024-01-01"}, {rule: "OPTOUT", date: "2023-01-01T10:00:00Z", id: "z"}, {rule: "OPTOUT", date: "2024-02-01"}}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "equal dateTime: withhold wins", user: "hosp", consents: []r62c{{rule: "OPTIN", date: "2024-01-01T10:00:00Z"}, {rule: "OPTOUT", date: "2024-01-01T10:00:00Z"}}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "newer OPTIN supersedes an older HIV permit", user: "hosp", consents: []r62c{{rule: "OPTIN", date: "2023-01-01", prov: `{"type":"permit","actor":[` + org(orgHosp) + `],"securityLabel":[` + label("HIV") + `]}`}, {rule: "OPTIN", date: "2024-01-01"}}, item: cond(orgClinic, "HIV"), effect: Withhold, code: CodeSensitive},
		{name: "inactive OPTOUT ignored", user: "hosp", consents: []r62c{{rule: "OPTOUT", status: "inactive"}}, item: med(orgGP), effect: Permit, code: ""},
		{name: "entered-in-error OPTOUT ignored", user: "hosp", consents: []r62c{{rule: "OPTOUT", status: "entered-in-error"}}, item: med(orgGP), effect: Permit, code: ""},
		{name: "draft OPTOUT ignored", user: "hosp", consents: []r62c{{rule: "OPTOUT", status: "draft"}}, item: med(orgGP), effect: Permit, code: ""},
		{name: "newer inactive OPTIN does not lift an active OPTOUT", user: "hosp", consents: []r62c{{rule: "OPTOUT", date: "2023-01-01"}, {rule: "OPTIN", date: "2024-01-01", status: "inactive"}}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "newer entered-in-error OPTIN does not lift an active OPTOUT", user: "hosp", consents: []r62c{{rule: "OPTOUT", date: "2023-01-01"}, {rule: "OPTIN", date: "2024-01-01", status: "entered-in-error"}}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
	})
}

// TestReview62cNewerConsentElsewhereDoesNotSupersedeOlderLabelPermit:
// SPEC §5 "A newer consent of the same scope supersedes the older". Jane's
// GP recorded (2023) a permit releasing her HIV records to the hospital
// RXX01. In 2024 the sexual health clinic (the HIV data's source) records
// her newer choice: HIV records to the community nurses N0001 only. The
// engine supersedes within one recorder only, so the GP's older permit
// still counts beside the newer one, and as the "explicit" one it is
// preferred: the hospital still receives the HIV diagnosis the person's
// latest Consent no longer releases to it.
func TestReview62cNewerConsentElsewhereDoesNotSupersedeOlderLabelPermit(t *testing.T) {
	older := r62c{id: "gp-2023", recorder: orgGP, date: "2023-01-01", rule: "OPTIN", prov: `{"type":"permit","actor":[` + org(orgHosp) + `],"securityLabel":[` + label("HIV") + `]}`}
	newer := r62c{id: "clinic-2024", recorder: orgClinic, date: "2024-01-01", rule: "OPTIN", prov: `{"type":"permit","actor":[` + org(orgNurse) + `],"securityLabel":[` + label("HIV") + `]}`}
	r62run(t, []r62case{
		{name: "nurse gets HIV (newest consent)", user: "nurse", consents: []r62c{older, newer}, item: cond(orgClinic, "HIV"), effect: Permit, code: ""},
		{name: "hospital no longer gets HIV", user: "hosp", consents: []r62c{older, newer}, item: cond(orgClinic, "HIV"), effect: Withhold, code: CodeSensitive},
	})
}

// --- break-glass and restricted demographics ------------------------------

func TestReview62cSoundBreakGlassAndRestricted(t *testing.T) {
	bg := func(u *User) { u.BreakGlassReason = emergency }
	restricted := func(p *Patient) { p.Restricted = true }
	pat := &Item{Type: "Patient", ID: "p1", DataClass: "demographics", SourceOrg: orgGP}
	rp := &Item{Type: "RelatedPerson", ID: "rp1", DataClass: "social-care", SourceOrg: orgCouncil}
	permitR := []r62c{{rule: "OPTIN", prov: `{"type":"permit","actor":[` + org(orgHosp) + `],"securityLabel":[` + label("R") + `]}`}}
	r62run(t, []r62case{
		{name: "bg: HFEA", user: "stranger", mod: bg, item: cond(orgClinic, "HFEA"), effect: Withhold, code: CodeLegallyRestricted},
		{name: "bg: GRA", user: "stranger", mod: bg, item: cond(orgClinic, "GRA"), effect: Withhold, code: CodeLegallyRestricted},
		{name: "bg over OPTOUT: GRA", user: "hosp", mod: bg, consents: []r62c{{rule: "OPTOUT"}}, item: cond(orgClinic, "GRA"), effect: Withhold, code: CodeLegallyRestricted},
		{name: "bg: HFEA+plain label mix", user: "hosp", mod: bg, item: cond(orgClinic, "PSY", "HFEA"), effect: Withhold, code: "-"},
		{name: "bg: ig-officer", user: "ig", mod: bg, item: &Item{Type: "Consent", DataClass: "consent", SourceOrg: orgGP, Labels: []string{"HFEA"}}, effect: Withhold, code: "-"},
		{name: "restricted: Patient redacted", user: "hosp", pmod: restricted, item: pat, effect: Permit, code: CodeRestrictedDemogr, flags: FlagRedact},
		{name: "restricted: RelatedPerson redacted", user: "sw", pmod: restricted, item: &Item{Type: "RelatedPerson", DataClass: "social-care", SourceOrg: orgGP}, effect: Permit, code: CodeRestrictedDemogr, flags: FlagRedact},
		{name: "restricted: source not redacted", user: "gp", pmod: restricted, item: pat, effect: Permit, code: ""},
		{name: "restricted: council's own RelatedPerson", user: "sw", pmod: restricted, item: rp, effect: Permit, code: ""},
		{name: "restricted: bg still redacted", user: "stranger", mod: bg, pmod: restricted, item: pat, effect: Permit, code: CodeBreakGlassOverride, flags: FlagRedact | FlagBreakGlass},
		{name: "restricted: ig still redacted", user: "ig", pmod: restricted, item: pat, effect: Permit, code: CodeRestrictedDemogr, flags: FlagRedact},
		{name: "restricted: consent OPTIN still redacted", user: "hosp", pmod: restricted, consents: []r62c{{rule: "OPTIN"}}, item: pat, effect: Permit, code: CodeRestrictedDemogr, flags: FlagRedact},
		{name: "restricted: explicit permit of R still redacted", user: "hosp", pmod: restricted, consents: permitR, item: &Item{Type: "Patient", ID: "p1", DataClass: "demographics", SourceOrg: orgGP, Labels: []string{"R"}, Restricted: true}, effect: Permit, code: CodeRestrictedDemogr, flags: FlagRedact},
		{name: "R-labelled Patient version without permit: withheld", user: "hosp", item: &Item{Type: "Patient", ID: "p1", DataClass: "demographics", SourceOrg: orgGP, Labels: []string{"R"}, Restricted: true}, effect: Withhold, code: CodeSensitive},
		{name: "Restricted item (person not) redacted", user: "hosp", item: &Item{Type: "Patient", ID: "p1", DataClass: "demographics", SourceOrg: orgGP, Restricted: true}, effect: Permit, code: CodeRestrictedDemogr, flags: FlagRedact},
	})
	// Open of a restricted person raises the IG alert, for every user.
	for _, name := range []string{"hosp", "ig", "stranger"} {
		p := patient()
		p.Restricted = true
		if o := Prepare(DefaultPolicy(), users()[name], p, now).Open(); o.Flags&FlagIGAlert == 0 {
			t.Errorf("%s: open of a restricted person without IG alert: %s", name, o.Explain())
		}
	}
}

// --- random provision trees against a reference ---------------------------

type r62node struct {
	deny    bool
	orgs    []string // recipients: ODS codes
	sectors []string
	classes []string
	labels  []string
	codes   []string // SNOMED codes
	kids    []*r62node
	// sectorFirst: list the sector actors before the organisations
	sectorFirst bool
}

func (n *r62node) json(top bool) string {
	var parts []string
	if !top {
		if n.deny {
			parts = append(parts, `"type":"deny"`)
		} else {
			parts = append(parts, `"type":"permit"`)
		}
	}
	var actors []string
	for _, o := range n.orgs {
		actors = append(actors, org(o))
	}
	for _, s := range n.sectors {
		if n.sectorFirst {
			actors = append([]string{sectorActor(s)}, actors...)
		} else {
			actors = append(actors, sectorActor(s))
		}
	}
	if len(actors) > 0 {
		parts = append(parts, `"actor":[`+strings.Join(actors, ",")+`]`)
	}
	if len(n.classes) > 0 {
		var cl []string
		for _, c := range n.classes {
			cl = append(cl, class(c))
		}
		parts = append(parts, `"class":[`+strings.Join(cl, ",")+`]`)
	}
	if len(n.labels) > 0 {
		var ls []string
		for _, l := range n.labels {
			ls = append(ls, label(l))
		}
		parts = append(parts, `"securityLabel":[`+strings.Join(ls, ",")+`]`)
	}
	if len(n.codes) > 0 {
		var cs []string
		for _, c := range n.codes {
			cs = append(cs, r62code(r62SNOMED, c))
		}
		parts = append(parts, `"code":[`+strings.Join(cs, ",")+`]`)
	}
	if len(n.kids) > 0 {
		var ks []string
		for _, k := range n.kids {
			ks = append(ks, k.json(false))
		}
		parts = append(parts, `"provision":[`+strings.Join(ks, ",")+`]`)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func r62pick[T any](r *rand.Rand, list []T, max int) []T {
	var out []T
	n := r.Intn(max + 1)
	for i := 0; i < n; i++ {
		out = append(out, list[r.Intn(len(list))])
	}
	return out
}

func r62gen(r *rand.Rand, deny bool, depth int, sectorFirst bool) *r62node {
	n := &r62node{deny: deny}
	if r.Intn(3) == 0 {
		n.orgs = r62pick(r, []string{orgHosp, orgNurse}, 1)
	}
	if r.Intn(4) == 0 {
		n.sectors = r62pick(r, []string{"nhs", "council"}, 1)
	}
	if r.Intn(3) == 0 {
		n.classes = r62pick(r, []string{"problems", "medications", "Condition"}, 2)
	}
	if r.Intn(3) == 0 {
		n.labels = r62pick(r, []string{"HIV", "PSY"}, 2)
	}
	if r.Intn(4) == 0 {
		n.codes = r62pick(r, []string{"111", "222"}, 2)
	}
	n.sectorFirst = sectorFirst && r.Intn(2) == 0
	if depth < 4 {
		for k := r.Intn(3); k > 0; k-- {
			n.kids = append(n.kids, r62gen(r, !deny, depth+1, sectorFirst))
		}
	}
	return n
}

// r62refMatch: SPEC §5, a provision applies when every element it gives
// matches (any listed value within one).
func r62refMatch(n *r62node, u User, it *Item) bool {
	if len(n.orgs)+len(n.sectors) > 0 {
		ok := false
		for _, o := range n.orgs {
			ok = ok || o == u.Org
		}
		for _, s := range n.sectors {
			ok = ok || s == u.Sector
		}
		if !ok {
			return false
		}
	}
	if len(n.classes) > 0 {
		ok := false
		for _, c := range n.classes {
			ok = ok || c == it.DataClass || c == it.Type
		}
		if !ok {
			return false
		}
	}
	if len(n.labels) > 0 {
		ok := false
		for _, l := range n.labels {
			ok = ok || contains(it.Labels, l)
		}
		if !ok {
			return false
		}
	}
	if len(n.codes) > 0 {
		ok := false
		for _, c := range n.codes {
			for _, ic := range it.Codes {
				ok = ok || ic.Code == c
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

type r62hit struct {
	n              *r62node
	depth          int
	labels         []string // labels on the path
	namedOrg       bool     // an org actor on the path names the user's org
	ancestorsMatch bool
}

// r62reference decides per SPEC §5 for a related user reading another
// organisation's item, with the root an untyped provision without
// conditions: the deepest matching provision (its ancestors matching)
// decides, else the base; then each sensitive label needs the deciding
// permit to name the label and the user's organisation on its path (the
// recorder being the person's GP).
func r62reference(base Effect, root *r62node, u User, it *Item) Effect {
	var best *r62hit
	var walk func(n *r62node, depth int, labels []string, named bool)
	walk = func(n *r62node, depth int, labels []string, named bool) {
		if !r62refMatch(n, u, it) {
			return
		}
		labels = append(append([]string(nil), labels...), n.labels...)
		named = named || contains(n.orgs, u.Org)
		if depth > 0 && (best == nil || depth > best.depth || depth == best.depth && n.deny && !best.n.deny) {
			best = &r62hit{n: n, depth: depth, labels: labels, namedOrg: named}
		}
		for _, k := range n.kids {
			walk(k, depth+1, labels, named)
		}
	}
	walk(root, 0, nil, false)
	effect, labels, named := base, []string(nil), false
	if best != nil {
		effect = Permit
		if best.n.deny {
			effect = Withhold
		}
		labels, named = best.labels, best.namedOrg
	}
	if effect == Withhold {
		return Withhold
	}
	for _, l := range it.Labels {
		if !(effect == Permit && best != nil && named && contains(labels, l)) {
			return Withhold
		}
	}
	return Permit
}

// TestReview62cRandomTreesAgreeWithReference: random trees, actors in
// either order. Its disagreements are all the sector-before-organisation
// case (TestReview62cPermitNamingOrgAfterSectorIsNotExplicit).
func TestReview62cRandomTreesAgreeWithReference(t *testing.T) { r62fuzz(t, true, 62, 3000) }

// TestReview62cSoundRandomTreesOrgActorsFirst: the same with the
// organisation actors listed first: the engine and the reference agree.
func TestReview62cSoundRandomTreesOrgActorsFirst(t *testing.T) {
	for seed := int64(1); seed <= 5; seed++ {
		r62fuzz(t, false, seed, 3000)
	}
}

func r62fuzz(t *testing.T, sectorFirst bool, seed int64, n int) {
	r := rand.New(rand.NewSource(seed))
	us := []User{users()["hosp"], users()["nurse"], users()["sw"]}
	var items []*Item
	for _, src := range []string{orgGP, orgClinic} {
		for _, tc := range [][2]string{{"Condition", "problems"}, {"MedicationStatement", "medications"}} {
			for _, labels := range [][]string{nil, {"HIV"}, {"PSY"}, {"HIV", "PSY"}} {
				for _, code := range []string{"111", "222", "333"} {
					items = append(items, &Item{Type: tc[0], ID: "x", DataClass: tc[1], SourceOrg: src, Labels: labels, Codes: []Coding{{r62SNOMED, code}}, Date: now.AddDate(-1, 0, 0)})
				}
			}
		}
	}
	disagreements, checked, trees := 0, 0, 0
	for iter := 0; iter < n && disagreements < 8; iter++ {
		base := Permit
		rule := "OPTIN"
		if r.Intn(2) == 0 {
			base, rule = Withhold, "OPTOUT"
		}
		root := &r62node{deny: base == Withhold}
		for k := 1 + r.Intn(3); k > 0; k-- {
			root.kids = append(root.kids, r62gen(r, base == Permit, 1, sectorFirst))
		}
		c, err := ParseConsent(consentJSON("rnd", "2024-01-01", rule, root.json(true)))
		if err != nil {
			continue // refused on write (e.g. an assent that changes nothing)
		}
		c.Recorder = orgGP
		trees++
		for _, u := range us {
			pp := Prepare(DefaultPolicy(), u, patient(c), now)
			for _, it := range items {
				if !pp.role.Sees(it.DataClass) {
					continue
				}
				checked++
				got := pp.Decide(it).Effect
				want := r62reference(base, root, u, it)
				if got != want {
					disagreements++
					t.Errorf("%s %s reading %s/%s labels %v code %s:\n  consent %s %s\n  engine %s (%s), reference %s",
						u.Role, u.Org, it.Type, it.SourceOrg, it.Labels, it.Codes[0].Code, rule, root.json(true), got, pp.Decide(it).Explain(), want)
				}
			}
		}
	}
	t.Logf("%d trees, %d decisions compared, %d disagreements", trees, checked, disagreements)
}

// TestReview62cSoundBreakGlassWithExplicitPermit: what break-glass opens
// is still decided by the person's labels: a legally restricted label
// the person released to the user's organisation is released (layer 4:
// "where the person has explicitly permitted it"), flagged for IG review;
// one not released stays withheld.
func TestReview62cSoundBreakGlassWithExplicitPermit(t *testing.T) {
	bg := func(u *User) { u.BreakGlassReason = emergency }
	permitHFEA := []r62c{{rule: "OPTIN", prov: `{"type":"permit","actor":[` + org(orgOther) + `],"securityLabel":[` + label("HFEA") + `]}`}}
	r62run(t, []r62case{
		{name: "bg stranger, HFEA released to it by the person", user: "stranger", mod: bg, consents: permitHFEA, item: cond(orgClinic, "HFEA"), effect: Permit, code: "-", anyFlags: true},
		{name: "bg stranger, GRA not released", user: "stranger", mod: bg, consents: permitHFEA, item: cond(orgClinic, "GRA"), effect: Withhold, code: CodeLegallyRestricted},
		{name: "bg stranger, HFEA+GRA item", user: "stranger", mod: bg, consents: permitHFEA, item: cond(orgClinic, "HFEA", "GRA"), effect: Withhold, code: CodeLegallyRestricted},
	})
}

// TestReview62cUndatedLabelPermitSurvivesNewerConsent: an undated Consent
// (refused on write now, but read when an older release stored it) "is
// never superseded and counts beside the newest" — failing closed for a
// deny, but failing open for a permit: the GP's undated permit of HIV
// records to the hospital keeps releasing them after the same GP records
// the person's newer Consent (2024), which no longer does (SPEC §5: a
// newer consent of the same scope supersedes the older).
func TestReview62cUndatedLabelPermitSurvivesNewerConsent(t *testing.T) {
	undated := r62c{id: "undated", recorder: orgGP, date: "none", rule: "OPTIN", prov: `{"type":"permit","actor":[` + org(orgHosp) + `],"securityLabel":[` + label("HIV") + `]}`}
	newer := r62c{id: "newer", recorder: orgGP, date: "2024-01-01", rule: "OPTIN"}
	r62run(t, []r62case{
		{name: "dated older permit: superseded (control)", user: "hosp", consents: []r62c{{id: "dated", recorder: orgGP, date: "2023-01-01", rule: "OPTIN", prov: undated.prov}, newer}, item: cond(orgClinic, "HIV"), effect: Withhold, code: CodeSensitive},
		{name: "undated older permit: superseded too", user: "hosp", consents: []r62c{undated, newer}, item: cond(orgClinic, "HIV"), effect: Withhold, code: CodeSensitive},
	})
}

// TestReview62cUnorderedLabelPermitCountsBesideNewer: the same fail-open
// for a permit the engine cannot order: one dated ahead of the clock
// (stored by an older release, no storing time known: "counts like an
// undated one"), and a date-only one beside a later time the same day
// with storing times unknown ("otherwise both count and withhold wins" —
// but the older explicit permit is then preferred and releases HIV).
func TestReview62cUnorderedLabelPermitCountsBesideNewer(t *testing.T) {
	hiv := `{"type":"permit","actor":[` + org(orgHosp) + `],"securityLabel":[` + label("HIV") + `]}`
	r62run(t, []r62case{
		{name: "future-dated permit beside the recorder's newest", user: "hosp", consents: []r62c{{id: "future", date: "2030-01-01", rule: "OPTIN", prov: hiv}, {id: "newest", date: "2025-05-01", rule: "OPTIN"}}, item: cond(orgClinic, "HIV"), effect: Withhold, code: CodeSensitive},
		{name: "date-only permit beside a timed plain consent that day", user: "hosp", consents: []r62c{{id: "day", date: "2025-05-01", rule: "OPTIN", prov: hiv}, {id: "timed", date: "2025-05-01T15:00:00Z", rule: "OPTIN"}}, item: cond(orgClinic, "HIV"), effect: Withhold, code: CodeSensitive},
	})
}
