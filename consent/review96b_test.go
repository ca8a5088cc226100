package consent

import (
	"testing"
	"time"
)

// Review 96b: the consent layer read as HL7 and NHS/council systems write
// Consents. Decision checks through the package's own helpers.

func r96bCode(code string) string {
	return `{"coding":[{"system":"http://snomed.info/sct","code":"` + code + `"}]}`
}

func r96bProblem(code string) *Item {
	return &Item{Type: "Condition", ID: "c-" + code, DataClass: "problems", SourceOrg: orgGP, Codes: []Coding{{"http://snomed.info/sct", code}}, Date: now.AddDate(-2, 0, 0)}
}

// TestReview96bSoundFourLevelNesting: OPTIN; deny problems; inside it
// permit code X; inside that deny to the hospital. SPEC: the deepest
// matching provision decides. Every item/user pair is decided as that
// reading says.
func TestReview96bSoundFourLevelNesting(t *testing.T) {
	prov := `{"provision":[{"type":"deny","class":[` + class("problems") + `],"provision":[{"type":"permit","code":[` + r96bCode("44054006") + `],"provision":[{"type":"deny","actor":[` + org(orgHosp) + `]}]}]}]}`
	c := cons(t, "OPTIN", prov)
	us := users()
	cases := []struct {
		user string
		item *Item
		want Effect
	}{
		{"hosp", r96bProblem("44054006"), Withhold},  // depth 3 deny to the hospital
		{"nurse", r96bProblem("44054006"), Permit},   // depth 2 permit of X
		{"nurse", r96bProblem("38341003"), Withhold}, // depth 1 deny of problems
		{"hosp", r96bProblem("38341003"), Withhold},  // depth 1
		{"hosp", obs(orgGP), Permit},                 // outside every exception: the OPTIN base
		{"sw", r96bProblem("44054006"), Permit},      // permit of X (when the role sees problems)
	}
	checked := 0
	for _, tc := range cases {
		u := us[tc.user]
		if !DefaultPolicy().Roles[u.Role].Sees(tc.item.DataClass) {
			continue
		}
		checked++
		if d := decide(t, u, patient(c), tc.item); d.Effect != tc.want {
			t.Errorf("%s reading %s %v: %s, want %s", tc.user, tc.item.Type, tc.item.Codes, d.Explain(), tc.want)
		}
	}
	if checked < 5 {
		t.Fatalf("only %d of the cases were of classes their users' roles see", checked)
	}
}

// TestReview96bSoundParseForms: forms real systems write that carex
// cannot apply are refused (422), never read as something releasing:
// UK Core's policy without policyRule, policyRule with text only, an actor
// named by display only, an NHS-number patient, patient-privacy only in
// category, and an actor role with no system.
func TestReview96bSoundParseForms(t *testing.T) {
	base := func(scope, patient, rule, prov string) []byte {
		return []byte(`{"resourceType":"Consent","id":"x","status":"active",` + scope + `,"patient":` + patient +
			`,"dateTime":"2024-01-01"` + rule + `,"provision":` + prov + `}`)
	}
	scope := `"scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]}`
	pat := `{"reference":"Patient/p1"}`
	optin := `,"policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]}`
	deny := `{"provision":[{"type":"deny","actor":[` + org(orgHosp) + `]}]}`
	for name, raw := range map[string][]byte{
		"policy only":         base(scope, pat, `,"policy":[{"uri":"https://www.exampleauthority.nhs.uk/policies/x"}]`, deny),
		"policyRule text":     base(scope, pat, `,"policyRule":{"text":"opt out"}`, deny),
		"actor display only":  base(scope, pat, optin, `{"provision":[{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"display":"St James's Hospital"}}]}]}`),
		"NHS-number patient":  base(scope, `{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}}`, optin, deny),
		"privacy in category": base(`"scope":{"text":"privacy"},"category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}]`, pat, optin, deny),
		"code display only":   base(scope, pat, optin, `{"provision":[{"type":"deny","class":[`+class("problems")+`],"code":[{"coding":[{"display":"Diabetes"}]}]}]}`),
		"code text only":      base(scope, pat, optin, `{"provision":[{"type":"deny","code":[{"text":"my diabetes"}]}]}`),
		"unknown actor role":  base(scope, pat, optin, `{"provision":[{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-RoleClass","code":"PROV"}]},"reference":{"reference":"Organization/`+orgHosp+`"}}]}]}`),
		"role without system": base(scope, pat, optin, `{"provision":[{"type":"deny","actor":[{"role":{"coding":[{"code":"IRCP"}]},"reference":{"reference":"Organization/`+orgHosp+`"}}]}]}`),
	} {
		if c, err := ParseConsent(raw); err == nil {
			t.Errorf("%s: accepted (%+v)", name, c)
		}
	}
}

// TestReview96bSoundDateOnlyEndIncludesTheWholeBSTDay: a dataPeriod
// ending "2024-06-30" covers 23:30 BST on 30 June (22:30Z) and not 00:30
// BST on 1 July (23:30Z on 30 June); one starting "2024-06-01" covers
// 00:15 BST on 1 June (23:15Z on 31 May).
func TestReview96bSoundDateOnlyEndIncludesTheWholeBSTDay(t *testing.T) {
	c := cons(t, "OPTIN", `{"provision":[{"type":"deny","dataPeriod":{"start":"2024-06-01","end":"2024-06-30"}}]}`)
	at := func(s string) *Item {
		ts, _ := time.Parse(time.RFC3339, s)
		it := obs(orgGP)
		it.Date = ts
		return it
	}
	for s, want := range map[string]Effect{
		"2024-06-30T22:30:00Z": Withhold, "2024-06-30T23:30:00Z": Permit,
		"2024-05-31T23:15:00Z": Withhold, "2024-05-31T22:45:00Z": Permit,
	} {
		if d := decide(t, users()["hosp"], patient(c), at(s)); d.Effect != want {
			t.Errorf("item at %s: %s, want %s", s, d.Explain(), want)
		}
	}
	// An item with no clinical date is covered by the deny.
	it := obs(orgGP)
	it.Date = time.Time{}
	if d := decide(t, users()["hosp"], patient(c), it); d.Effect != Withhold {
		t.Errorf("undated item under a dataPeriod deny: %s", d.Explain())
	}
}

// TestReview96bSoundUndatedOlderObjectionCountsBesideNewerOptIn: the same
// recorder's undated OPTOUT (stored by an older release) beside its newer
// dated OPTIN: the undated cannot be shown older, so it counts and
// withholds.
func TestReview96bSoundUndatedOlderObjectionCountsBesideNewerOptIn(t *testing.T) {
	out, err := ParseConsent([]byte(`{"resourceType":"Consent","id":"old","status":"active","scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},"patient":{"reference":"Patient/p1"},"policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTOUT"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	in := consAt(t, "new", "2025-01-01", "OPTIN", `{"provision":[{"type":"deny","actor":[`+org(orgOther)+`]}]}`)
	out.Recorder, in.Recorder = orgGP, orgGP
	if d := decide(t, users()["hosp"], patient(out, in), obs(orgGP)); d.Effect != Withhold {
		t.Errorf("undated OPTOUT beside a newer OPTIN of the same recorder: %s", d.Explain())
	}
}
