package consent

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The HL7 R4 Consent examples, each with the decision its narrative
// intends for a sample request, or the reason carex refuses it (422 on
// write). Their time windows have ended, so each runs on a fixed clock.
//
// "Good Health Psychiatric Hospital" is Organization/f001 (ODS-style code
// F001 in carex); the requesting clinician works at OTHER, a care-team
// member, unless stated.
func TestHL7Examples(t *testing.T) {
	dir := filepath.Join("..", "testdata", "fhir", "hl7-r4", "consent")
	type sample struct {
		what   string
		user   string // org of the requesting clinician
		item   *Item
		effect Effect
		code   string
	}
	day := func(s string) time.Time { t, _ := time.Parse("2006-01-02", s); return t }
	item := func(typ, src string) *Item {
		return &Item{Type: typ, ID: "i1", DataClass: map[string]string{"Observation": "observations", "Task": "care-plans", "MedicationRequest": "medications"}[typ], SourceOrg: src, Date: day("2015-01-15")}
	}
	cases := []struct {
		file    string
		refused string // element named by the 422, "" if accepted
		why     string
		clock   time.Time
		samples []sample
	}{
		{file: "basic", clock: day("2015-06-01"),
			why: "OPTIN with a root period only: an assent in force 1964–2016; accepted as written",
			samples: []sample{
				{"Good Health data available for treatment", "OTHER", item("Observation", "F001"), Permit, ""},
			}},
		{file: "Out", clock: day("2016-01-01"),
			why: "OPTOUT whose untyped root names the custodian (CST) Good Health: the root is the Consent's scope, so Good Health's data is withheld and other data is not covered",
			samples: []sample{
				{"Good Health data withheld from others", "OTHER", item("Observation", "F001"), Withhold, CodeConsentDeny},
				{"Good Health still sees what it recorded", "F001", item("Observation", "F001"), Permit, ""},
				{"data from elsewhere not covered", "OTHER", item("Observation", "ELSEWHERE"), Permit, ""},
			}},
		{file: "Emergency", refused: "provision.provision[0].type",
			why: "the narrative wants a permit for ETREAT at Good Health and a deny otherwise; the encoding nests a deny inside the (OPTOUT) deny scope with the same actor, so it is no exception and the ETREAT permit is not encoded anywhere"},
		{file: "grantor", refused: "provision.actor[1].reference",
			why: "the recipient is Patient/example (displayed as 'Good Health Clinic'): a patient-facing grant to a representative, out of scope for a staff-only care record, and the reference contradicts its display"},
		{file: "notAuthor", refused: "provision",
			why: "narrative: withhold Good Health's data from everyone; encoding: OPTIN with an untyped root naming the custodian, i.e. an assent that only permits what is shared by default — the withholding needs type deny"},
		{file: "notOrg", clock: day("2016-01-01"),
			why: "OPTIN with a root typed deny (not permitted by R4 on the root; normalised as an exception to the base) to Organization/f001, action access and correct",
			samples: []sample{
				{"Good Health Clinic may not see data from elsewhere", "F001", item("Observation", "OTHER"), Withhold, CodeConsentDeny},
				{"others still may", "OTHER2", item("Observation", "OTHER"), Permit, ""},
				{"Good Health still sees its own data", "F001", item("Observation", "F001"), Permit, ""},
			}},
		{file: "notThem", refused: "provision",
			why: "narrative: withhold from the nurse Practitioner/f204; encoding: OPTIN with an untyped root naming him — an assent, not a deny"},
		{file: "notThis", refused: "provision",
			why: "narrative: withhold the lab order Task/example3 and related results; encoding: an OPTIN assent scoped to them — the withholding needs type deny"},
		{file: "notTime", clock: day("2015-01-15"),
			why: "narrative: withhold data from a timeframe (dataPeriod); encoding: OPTIN with root period Jan 2015, i.e. an assent in force that month, which is coherent and indistinguishable from consent-example-basic — accepted as written, so the narrative's withholding does not happen; it would need type deny with dataPeriod",
			samples: []sample{
				{"data from January 2015: encoding (assent) wins over narrative", "OTHER", item("Observation", "F001"), Permit, ""},
			}},
		{file: "pkb", refused: "provision.provision[0].type",
			why: "eleven nested provisions without a type (R4 requires one on nested rules), several duplicated; no decision can be read from them"},
		{file: "signature", refused: "provision.provision[0].class[0]",
			why: "class is a MIME type (urn:ietf:bcp:13 application/hl7-cda+xml), which carex items do not carry; the nested permit is also inside an OPTIN permit and so no exception"},
		{file: "smartonfhir", refused: "provision.provision[0].type",
			why: "a 30-minute SMART app grant: the nested permit for MedicationRequest sits inside an OPTIN permit, so it restricts nothing; the intent (only MedicationRequest) needs a deny root with the permit as exception"},
	}
	users := map[string]User{}
	for _, org := range []string{"OTHER", "OTHER2", "F001"} {
		users[org] = User{Sub: "u-" + org, Role: "hospital-clinician", Org: org, Sector: "nhs"}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) != len(cases) {
		t.Fatalf("%d example files, %d cases", len(files), len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, "Consent-consent-example-"+tc.file+".json"))
			if err != nil {
				t.Fatal(err)
			}
			c, err := ParseConsent(raw)
			if tc.refused != "" {
				var ce *ConsentError
				if !errors.As(err, &ce) || ce.Element != tc.refused {
					t.Fatalf("want refusal at %s (%s), got %v", tc.refused, tc.why, err)
				}
				t.Logf("refused: %v — %s", err, tc.why)
				return
			}
			if err != nil {
				t.Fatalf("refused: %v (%s)", err, tc.why)
			}
			pid := c.Patient[len("Patient/"):]
			for _, s := range tc.samples {
				p := Patient{ID: pid, Consents: []*Consent{c}, Relationships: []Relationship{
					{Org: "OTHER", Kind: RelCareTeam}, {Org: "OTHER2", Kind: RelCareTeam}, {Org: "F001", Kind: RelCareTeam}}}
				d := Prepare(DefaultPolicy(), users[s.user], p, tc.clock).Decide(s.item)
				if d.Effect != s.effect || firstCode(d) != s.code {
					t.Errorf("%s: got %s, want %s %s", s.what, d.Explain(), s.effect, s.code)
				}
				if s.effect == Withhold && (d.Reasons[0].ConsentID != c.ID || d.Reasons[0].ProvisionPath == "") {
					t.Errorf("%s: reason lacks consent id or path: %+v", s.what, d.Reasons[0])
				}
			}
		})
	}
}

// The examples whose windows have ended are no longer in force today.
func TestHL7ExamplesExpired(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "fhir", "hl7-r4", "consent", "Consent-consent-example-Out.json"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := ParseConsent(raw)
	if err != nil {
		t.Fatal(err)
	}
	// Make it time-limited to 2016 and read it in 2025.
	out.Root.Period = Period{Start: time.Date(2015, 11, 18, 0, 0, 0, 0, time.UTC), End: time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)}
	p := Patient{ID: "f001", Consents: []*Consent{out}, Relationships: []Relationship{{Org: "OTHER", Kind: RelCareTeam}}}
	u := User{Sub: "u", Role: "gp", Org: "OTHER"}
	it := &Item{Type: "Observation", DataClass: "observations", SourceOrg: "F001"}
	if d := Prepare(DefaultPolicy(), u, p, time.Date(2016, 6, 1, 0, 0, 0, 0, time.UTC)).Decide(it); d.Effect != Withhold {
		t.Fatalf("in force: %s", d.Explain())
	}
	if d := Prepare(DefaultPolicy(), u, p, now).Decide(it); d.Effect != Permit {
		t.Fatalf("expired: %s", d.Explain())
	}
}
