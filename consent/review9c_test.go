package consent

// Review 9c: the FHIR forms a real Consent arrives in, against what the
// engine decides from it. Each test was seen failing before its fix.

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestReview9cActorRoleNotUnderstoodIsRefused: an actor's role says what
// the actor is to the rule — a recipient (IRCP, PRCP) or whose data it is
// (CST custodian, AUT author). Any other role was read as a recipient: a
// deny of "data the sexual health clinic entered / informed / collected"
// (ENT, INF, extra-security-role-type datacollector), or a custodian
// written without its system, withheld the GP's data from the clinic and
// released the clinic's data to the hospital — the opposite of what the
// person asked. A role carex does not understand is refused (422 naming
// the role), as a class or action it does not understand is.
func TestReview9cActorRoleNotUnderstoodIsRefused(t *testing.T) {
	cases := []struct{ name, role string }{
		{"informant", `{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"INF"}]}`},
		{"data entry", `{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"ENT"}]}`},
		{"custodian without system", `{"coding":[{"code":"CST"}]}`},
		{"data collector", `{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/extra-security-role-type","code":"datacollector"}]}`},
		{"a SNOMED CT job role", `{"coding":[{"system":"http://snomed.info/sct","code":"106328005"}]}`},
		{"text only", `{"text":"informant"}`},
		{"recipient and custodian at once", `{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"PRCP"},{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"CST"}]}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			prov := `{"type":"deny","actor":[{"role":` + tc.role + `,"reference":{"reference":"Organization/` + orgClinic + `"}}]}`
			c, err := ParseConsent(consentJSON("x", "2024-01-01", "OPTIN", prov))
			if err == nil {
				err = DefaultPolicy().CheckConsent(c)
			}
			var ce *ConsentError
			if !errors.As(err, &ce) || ce.Element != "provision.actor[0].role" {
				d1 := decide(t, users()["hosp"], patient(c), med(orgClinic))
				d2 := decide(t, users()["clinic"], patient(c), med(orgGP))
				t.Fatalf("accepted (%v): the hospital reads the clinic's data: %s; the clinic reads the GP's: %s", err, d1.Explain(), d2.Explain())
			}
			if !strings.Contains(ce.Msg, "IRCP") || !strings.Contains(ce.Msg, "CST") {
				t.Errorf("the message does not say what to send instead: %v", err)
			}
		})
	}
	// An actor with no role at all (R4 requires one) is refused on write.
	prov := `{"type":"deny","actor":[{"reference":{"reference":"Organization/` + orgClinic + `"}}]}`
	c, err := ParseConsent(consentJSON("x", "2024-01-01", "OPTIN", prov))
	if err == nil {
		err = DefaultPolicy().CheckConsent(c)
	}
	var ce *ConsentError
	if !errors.As(err, &ce) || ce.Element != "provision.actor[0].role" {
		t.Errorf("an actor without role: %v", err)
	}
	// The roles carex understands are still read as before.
	for _, ok := range []string{org(orgClinic), custodian(orgClinic), author("Organization/" + orgClinic),
		`{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/X"}}`,
		`{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"PRCP"},{"system":"http://snomed.info/sct","code":"106328005"}]},"reference":{"reference":"Organization/X"}}`,
		roleActor("gp"), sectorActor("council")} {
		c, err := ParseConsent(consentJSON("x", "2024-01-01", "OPTIN", `{"type":"deny","actor":[`+ok+`]}`))
		if err == nil {
			err = DefaultPolicy().CheckConsent(c)
		}
		if err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
}

// TestReview9cDataPeriodAndThePersonsDemographics: a deny limited to a
// dataPeriod covers an item whose clinical date is unknown (it may be
// from then), but not the person's demographics, which are no period's
// data: "not my 2015 records" withheld the Patient as an opt-out would.
func TestReview9cDataPeriodAndThePersonsDemographics(t *testing.T) {
	deny2015 := cs{"OPTIN", `{"type":"deny","dataPeriod":{"start":"2015-01-01","end":"2015-12-31"}}`}
	only2020 := cs{"OPTOUT", `{"type":"permit","dataPeriod":{"start":"2020-01-01"}}`}
	pat := &Item{Type: "Patient", ID: "p1", DataClass: "demographics", SourceOrg: orgGP}
	carer := &Item{Type: "RelatedPerson", ID: "r1", DataClass: "demographics", SourceOrg: orgGP}
	undated := &Item{Type: "Condition", ID: "c9", DataClass: "problems", SourceOrg: orgGP}
	runCases(t, []engineCase{
		{name: "deny 2015: the Patient is shared", user: "hosp", consents: []cs{deny2015}, item: pat, effect: Permit},
		{name: "deny 2015: a carer's details are shared", user: "hosp", consents: []cs{deny2015}, item: carer, effect: Permit},
		{name: "deny 2015: an undated diagnosis may be from 2015", user: "hosp", consents: []cs{deny2015}, item: undated, effect: Withhold, code: CodeConsentDeny},
		{name: "deny 2015: one from 2015", user: "hosp", consents: []cs{deny2015}, item: &Item{Type: "Condition", ID: "c8", DataClass: "problems", SourceOrg: orgGP, Date: time.Date(2015, 6, 1, 0, 0, 0, 0, time.UTC)}, effect: Withhold, code: CodeConsentDeny},
		{name: "opt-out but data from 2020: the Patient is not such data", user: "hosp", consents: []cs{only2020}, item: pat, effect: Withhold, code: CodeConsentDeny},
	})
}

// TestReview9cSNOMEDCodeForms: a GP system writes a Consent's code the way
// it writes its own: a SNOMED CT concept with its term (the compositional
// grammar's "35489007 |Depressive disorder|", as SNOMED's guidance and GP
// systems show codes), or SNOMED named by its OID or with a trailing
// slash. The engine compared the code as one string in one exact system,
// so a deny of depression so written was accepted and matched nothing: the
// hospital read the diagnosis. The concept with its term is the concept;
// SNOMED's other names are SNOMED's; a post-coordinated expression, which
// no item's plain code can be compared with, is refused on write (name the
// concept).
func TestReview9cSNOMEDCodeForms(t *testing.T) {
	it := &Item{Type: "Condition", ID: "c1", DataClass: "problems", SourceOrg: orgGP, Codes: []Coding{{systemSNOMED, "35489007"}}, Date: now.AddDate(-1, 0, 0)}
	for _, code := range []string{
		`{"system":"http://snomed.info/sct","code":"35489007 |Depressive disorder|"}`,
		`{"system":"http://snomed.info/sct","code":"35489007|Depressive disorder|"}`,
		`{"system":"http://snomed.info/sct","code":" 35489007 | Depressive disorder (disorder) | "}`,
		`{"system":"urn:oid:2.16.840.1.113883.6.96","code":"35489007"}`,
		`{"system":"http://snomed.info/sct/","code":"35489007"}`,
		`{"system":"https://snomed.info/sct","code":"35489007"}`,
		`{"code":"35489007 |Depressive disorder|"}`,
	} {
		c, err := ParseConsent(consentJSON("x", "2024-01-01", "OPTIN", `{"type":"deny","code":[{"coding":[`+code+`]}]}`))
		if err == nil {
			err = DefaultPolicy().CheckConsent(c)
		}
		if err != nil {
			t.Errorf("%s refused: %v", code, err)
			continue
		}
		if d := decide(t, users()["hosp"], patient(c), it); d.Effect != Withhold {
			t.Errorf("deny of depression as %s: the hospital reads the diagnosis (%s)", code, d.Explain())
		}
	}
	// A post-coordinated expression names more than one concept.
	c, err := ParseConsent(consentJSON("x", "2024-01-01", "OPTIN", `{"type":"deny","code":[{"coding":[{"system":"http://snomed.info/sct","code":"35489007 |Depressive disorder| : 246112005 |Severity| = 24484000 |Severe|"}]}]}`))
	if err == nil {
		err = DefaultPolicy().CheckConsent(c)
	}
	var ce *ConsentError
	if !errors.As(err, &ce) || ce.Element != "provision.code[0].coding[0]" {
		t.Errorf("a post-coordinated expression: %v", err)
	}
	// Other systems' codes are as written.
	c = cons(t, "OPTIN", `{"type":"deny","code":[{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"F32.1"}]}]}`)
	if got := c.Root.Codes[0]; got != (Coding{"http://hl7.org/fhir/sid/icd-10", "F32.1"}) {
		t.Errorf("ICD-10 code changed: %v", got)
	}
}

// TestReview9cCouncilByItsCouncilCode: carex knows a council by its council
// code (SPEC §4: the token's org is "an ODS code … or a council code"),
// which the council's Organization carries as an identifier in
// https://carex.example/Id/council-code. A Consent naming the council so —
// as a council system names itself — was refused ("use ODS or SDS"): the
// person's objection to the council could not be recorded the way the
// council's own system writes it.
func TestReview9cCouncilByItsCouncilCode(t *testing.T) {
	byCode := `{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"identifier":{"system":"https://carex.example/Id/council-code","value":"` + orgCouncil + `"}}}`
	c, err := ParseConsent(consentJSON("x", "2024-01-01", "OPTIN", `{"type":"deny","actor":[`+byCode+`]}`))
	if err != nil {
		t.Fatalf("refused: %v", err)
	}
	if d := decide(t, users()["sw"], patient(c), med(orgGP)); d.Effect != Withhold {
		t.Errorf("deny to the council by its code: %s", d.Explain())
	}
	if d := decide(t, users()["hosp"], patient(c), med(orgGP)); d.Effect != Permit {
		t.Errorf("others: %s", d.Explain())
	}
}
