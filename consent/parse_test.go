package consent

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseConsentRefusals(t *testing.T) {
	const pp = `{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"PRCP"}]},"reference":{"reference":`
	cases := []struct {
		name, rule, prov, element string
	}{
		{"policyRule unknown", "HIPAA", "", "policyRule"},
		{"nested without type", "OPTOUT", `{"provision":[{"class":[` + class("Observation") + `]}]}`, "provision.provision[0].type"},
		{"bad type", "OPTOUT", `{"type":"maybe"}`, "provision.type"},
		{"deny inside deny", "OPTOUT", `{"provision":[{"type":"deny","class":[` + class("Observation") + `]}]}`, "provision.provision[0].type"},
		{"permit inside permit", "OPTIN", `{"provision":[{"type":"permit","class":[` + class("Observation") + `]}]}`, "provision.provision[0].type"},
		{"deep same effect", "OPTOUT", `{"provision":[{"type":"permit","provision":[{"type":"permit"}]}]}`, "provision.provision[0].provision[0].type"},
		{"narrowing assent without deny", "OPTIN", `{"actor":[` + org("X1") + `]}`, "provision"},
		{"actor patient", "OPTOUT", `{"type":"permit","actor":[` + pp + `"Patient/p1"}}]}`, "provision.actor[0].reference"},
		{"actor group", "OPTIN", `{"type":"deny","actor":[` + pp + `"Group/g"}}]}`, "provision.actor[0].reference"},
		{"actor without reference", "OPTIN", `{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"PRCP"}]}}]}`, "provision.actor[0].reference"},
		{"actor identifier system", "OPTIN", `{"type":"deny","actor":[{"reference":{"identifier":{"system":"urn:x","value":"1"}}}]}`, "provision.actor[0].reference.identifier"},
		{"actor bad sector", "OPTIN", `{"type":"deny","actor":[` + sectorActor("pharma") + `]}`, "provision.actor[0].role"},
		{"actor role narrowed to practitioner", "OPTIN", `{"type":"deny","actor":[{"role":{"coding":[{"system":"https://carex.example/role","code":"gp"}]},"reference":{"reference":"Practitioner/x"}}]}`, "provision.actor[0].reference"},
		{"action unknown", "OPTIN", `{"type":"deny","action":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentaction","code":"print"}]}]}`, "provision.action[0]"},
		{"class mime", "OPTIN", `{"type":"deny","class":[{"system":"urn:ietf:bcp:13","code":"application/pdf"}]}`, "provision.class[0]"},
		{"class unknown data class", "OPTIN", `{"type":"deny","class":[{"system":"https://carex.example/data-class","code":"labs"}]}`, "provision.class[0]"},
		{"class unknown resource type", "OPTIN", `{"type":"deny","class":[{"system":"http://hl7.org/fhir/resource-types","code":"Observations"}]}`, "provision.class[0]"},
		{"class data class as resource type", "OPTIN", `{"type":"deny","class":[{"system":"http://hl7.org/fhir/resource-types","code":"observations"}]}`, "provision.class[0]"},
		{"class nested unknown resource type", "OPTOUT", `{"type":"permit","actor":[` + org("X1") + `],"provision":[{"type":"deny","class":[` + class("Observation") + `,{"system":"http://hl7.org/fhir/resource-types","code":"Labs"}]}]}`, "provision.provision[0].class[1]"},
		{"class without system neither", "OPTIN", `{"type":"deny","class":[{"code":"Observations"}]}`, "provision.class[0]"},
		{"code without coding", "OPTIN", `{"type":"deny","code":[{"text":"HIV"}]}`, "provision.code[0]"},
		{"label without code", "OPTIN", `{"type":"deny","securityLabel":[{"system":"x"}]}`, "provision.securityLabel[0]"},
		{"period bad date", "OPTIN", `{"type":"deny","period":{"start":"01/02/2020"}}`, "provision.period.start"},
		{"period reversed", "OPTIN", `{"type":"deny","period":{"start":"2020-02-01","end":"2020-01-01"}}`, "provision.period"},
		{"dataPeriod bad", "OPTIN", `{"type":"deny","dataPeriod":{"end":"2020-13-01"}}`, "provision.dataPeriod.end"},
		{"data dependents", "OPTIN", `{"type":"deny","data":[{"meaning":"dependents","reference":{"reference":"Task/1"}}]}`, "provision.data[0].meaning"},
		{"data no reference", "OPTIN", `{"type":"deny","data":[{"meaning":"instance"}]}`, "provision.data[0].reference"},
		{"data bad reference", "OPTIN", `{"type":"deny","data":[{"meaning":"instance","reference":{"reference":"#contained"}}]}`, "provision.data[0].reference"},
		{"nested null", "OPTOUT", `{"provision":[null]}`, "provision.provision[0]"},
		// One actor, one role or sector: only the last was kept (review 78c).
		{"actor two sectors", "OPTIN", `{"type":"deny","actor":[{"role":{"coding":[{"system":"https://carex.example/sector","code":"council"},{"system":"https://carex.example/sector","code":"nhs"}]}}]}`, "provision.actor[0].role"},
		{"actor two roles", "OPTIN", `{"type":"deny","actor":[{"role":{"coding":[{"system":"https://carex.example/role","code":"social-worker"},{"system":"https://carex.example/role","code":"district-nurse"}]}}]}`, "provision.actor[0].role"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConsent(consentJSON("x", "2024-01-01", tc.rule, tc.prov))
			var ce *ConsentError
			if !errors.As(err, &ce) {
				t.Fatalf("want ConsentError at %s, got %v", tc.element, err)
			}
			if ce.Element != tc.element {
				t.Fatalf("element %q, want %q (%v)", ce.Element, tc.element, err)
			}
			if !strings.HasPrefix(err.Error(), "Consent."+tc.element+": ") {
				t.Fatalf("message %q", err)
			}
		})
	}
}

// TestParseConsentPolicyRuleCodings: an opt-out also coded OPTIN was read
// by its first coding and shared everything (review 78c); the same choice
// coded twice, or beside another system's code, is read as before.
func TestParseConsentPolicyRuleCodings(t *testing.T) {
	const act = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	cases := []struct {
		name, codings string
		refused       bool
		want          Effect
	}{
		{"opt-in and opt-out", `{"system":"` + act + `","code":"OPTIN"},{"system":"` + act + `","code":"OPTOUT"}`, true, 0},
		{"opt-out and opt-in", `{"system":"` + act + `","code":"OPTOUTE"},{"system":"` + act + `","code":"OPTINR"}`, true, 0},
		{"opt-out twice", `{"system":"` + act + `","code":"OPTOUT"},{"system":"` + act + `","code":"OPTOUTE"}`, false, Withhold},
		{"another system's OPTIN beside", `{"system":"urn:x","code":"OPTIN"},{"system":"` + act + `","code":"OPTOUT"}`, false, Withhold},
		{"an unknown code beside", `{"system":"` + act + `","code":"OPTIN"},{"system":"` + act + `","code":"HIPAA"}`, false, Permit},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			raw := []byte(`{"resourceType":"Consent","id":"x","status":"active","dateTime":"2024-01-01",
			"scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
			"category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
			"patient":{"reference":"Patient/p1"},"policyRule":{"coding":[` + tc.codings + `]}}`)
			c, err := ParseConsent(raw)
			var ce *ConsentError
			switch {
			case tc.refused && (!errors.As(err, &ce) || ce.Element != "policyRule"):
				t.Fatalf("got %v, want a ConsentError at policyRule", err)
			case tc.refused:
			case err != nil:
				t.Fatalf("refused: %v", err)
			case c.Base != tc.want:
				t.Fatalf("base %v, want %v", c.Base, tc.want)
			}
		})
	}
}

func TestParseConsentEnvelope(t *testing.T) {
	bad := map[string]string{
		"json":       `{"resourceType":"Consent",`,
		"status":     `{"resourceType":"Consent","status":"valid"}`,
		"scope":      `{"resourceType":"Consent","status":"active"}`,
		"patient":    `{"resourceType":"Consent","status":"active","scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]}}`,
		"dateTime":   `{"resourceType":"Consent","status":"active","scope":{"coding":[{"code":"patient-privacy"}]},"dateTime":"yesterday"}`,
		"policyRule": `{"resourceType":"Consent","status":"active","scope":{"coding":[{"code":"patient-privacy"}]},"patient":{"reference":"Patient/1"}}`,
	}
	for el, raw := range bad {
		_, err := ParseConsent([]byte(raw))
		var ce *ConsentError
		if !errors.As(err, &ce) || (el != "json" && ce.Element != el) {
			t.Errorf("%s: %v", el, err)
		}
	}
	if _, err := ParseConsent([]byte(`{"resourceType":"Patient"}`)); !errors.Is(err, ErrNotConsent) {
		t.Errorf("Patient: %v", err)
	}
}

func TestParseConsentNormalised(t *testing.T) {
	c := cons(t, "OPTOUT", `{"type":"permit","actor":[`+org("a81001")+`],"period":{"start":"2025","end":"2025-06"},
		"provision":[{"type":"deny","class":[{"code":"Observation"},{"code":"medications"}],"dataPeriod":{"start":"2020-01-01T10:00:00+01:00"}}]}`)
	r := c.Root
	if c.Base != Withhold || c.RootIsScope || r.Type != Permit || len(c.Notes) == 0 {
		t.Fatalf("root: %+v notes %v", r, c.Notes)
	}
	if r.Recipients[0] != (Actor{Kind: ActorOrg, Value: "A81001"}) {
		t.Fatalf("org upper-cased: %+v", r.Recipients)
	}
	// Days in England (review 10c): June ends at midnight BST, 23:00 UTC.
	if !r.Period.Start.Equal(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) || !r.Period.End.Equal(time.Date(2025, 6, 30, 23, 0, 0, 0, time.UTC)) {
		t.Fatalf("period: %+v", r.Period)
	}
	ch := r.Provisions[0]
	if ch.Path != "provision.provision[0]" || !slices.Equal(ch.Types, []string{"Observation"}) || !slices.Equal(ch.Classes, []string{"medications"}) {
		t.Fatalf("child: %+v", ch)
	}
	if !ch.DataPeriod.Start.Equal(time.Date(2020, 1, 1, 9, 0, 0, 0, time.UTC)) {
		t.Fatalf("dataPeriod zone: %v", ch.DataPeriod.Start)
	}
	// Untyped root under OPTIN without narrowing: the scope, effect permit.
	c = cons(t, "OPTIN", `{"period":{"start":"2020-01-01"}}`)
	if !c.RootIsScope || c.Root.Type != Permit {
		t.Fatalf("untyped root: %+v", c)
	}
	// Explicit sensitive permit under OPTIN scope is accepted (HIV to one clinic).
	cons(t, "OPTIN", `{"actor":[`+org("RCLIN")+`],"securityLabel":[`+label("HIV")+`]}`)
	// Limits.
	deep := `{"type":"permit"}`
	for i := 0; i < MaxDepth+1; i++ {
		typ := "deny"
		if i%2 == 1 {
			typ = "permit"
		}
		deep = `{"type":"` + typ + `","provision":[` + deep + `]}`
	}
	if _, err := ParseConsent(consentJSON("d", "2024-01-01", "OPTOUT", deep)); err == nil || !strings.Contains(err.Error(), "deeper") {
		t.Fatalf("depth: %v", err)
	}
	wide := `{"provision":[` + strings.Repeat(`{"type":"permit"},`, MaxProvisions) + `{"type":"permit"}]}`
	if _, err := ParseConsent(consentJSON("w", "2024-01-01", "OPTOUT", wide)); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("width: %v", err)
	}
}

func TestParseFHIRTime(t *testing.T) {
	cases := []struct{ in, start, after string }{
		{"2016", "2016-01-01T00:00:00Z", "2017-01-01T00:00:00Z"},
		{"2016-02", "2016-02-01T00:00:00Z", "2016-03-01T00:00:00Z"},
		{"2016-02-29", "2016-02-29T00:00:00Z", "2016-03-01T00:00:00Z"},
		{"2016-06-23T17:02:33+10:00", "2016-06-23T07:02:33Z", "2016-06-23T07:02:34Z"},
		{"2016-06-23T17:02:33.5Z", "2016-06-23T17:02:33.5Z", "2016-06-23T17:02:33.501Z"},
	}
	for _, tc := range cases {
		s, a, err := parseFHIRTime(tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		ws, _ := time.Parse(time.RFC3339Nano, tc.start)
		wa, _ := time.Parse(time.RFC3339Nano, tc.after)
		if !s.Equal(ws) || !a.Equal(wa) {
			t.Errorf("%s: %v %v", tc.in, s, a)
		}
	}
	for _, bad := range []string{"", "16", "2016-2-1", "2016-02-30", "2016-06-23T17:02", "2016-06-23 17:02:33Z"} {
		if _, _, err := parseFHIRTime(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseBreakGlass(t *testing.T) {
	good := map[string]string{
		"EMERGENCY: unconscious in ED":            BGEmergency,
		"emergency:unconscious in ED":             BGEmergency,
		"Consent: patient asked me to look":       BGConsent,
		"LEGAL: court order 2025/123":             BGLegal,
		"PUBLIC-INTEREST: safeguarding concern X": BGPublicInterest,
	}
	for in, cat := range good {
		r, err := ParseBreakGlass(in, 10)
		if err != nil || r.Category != cat {
			t.Errorf("%q: %v %v", in, r, err)
		}
	}
	for _, bad := range []string{"", "EMERGENCY", "EMERGENCY:", "EMERGENCY: short", "CURIOSITY: just looking around", "EMERGENCY: line\nbreak here", strings.Repeat("EMERGENCY: x", 100),
		// characters that draw as nothing (review 22b)
		"EMERGENCY: " + strings.Repeat("\u2800", 12), "EMERGENCY: " + strings.Repeat("\u3164", 12), "LEGAL: " + strings.Repeat("\u1160", 12),
		"CONSENT: " + strings.Repeat("\uffa0", 12), "EMERGENCY: ab" + strings.Repeat("\ufe0f", 12), "EMERGENCY: " + strings.Repeat("\u200b", 12)} {
		if _, err := ParseBreakGlass(bad, 10); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestParseConsentPatientByNHSNumberOnly: a Consent naming its person by
// NHS number alone (UK Core style) was refused with "Consent.patient:
// required", which told its sender nothing (review 12b). It is still
// refused — a Consent must be the record's, or it would never apply — and
// the message says what to send.
func TestParseConsentPatientByNHSNumberOnly(t *testing.T) {
	raw := strings.Replace(string(consentJSON("x", "2024-01-01", "OPTOUT", "")), `"patient":{"reference":"Patient/p1"}`,
		`"patient":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}}`, 1)
	if !strings.Contains(raw, "nhs-number") {
		t.Fatalf("the test Consent names its patient otherwise: %s", raw)
	}
	_, err := ParseConsent([]byte(raw))
	var ce *ConsentError
	if !errors.As(err, &ce) || ce.Element != "patient" || !strings.Contains(err.Error(), "identifier alone") || !strings.Contains(err.Error(), "GET /fhir/Patient?identifier=") {
		t.Fatalf("got %v", err)
	}
}
