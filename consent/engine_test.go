package consent

import (
	"strings"
	"testing"
	"time"
)

type cs struct{ rule, prov string } // a consent: policyRule and provision JSON

type engineCase struct {
	name     string
	user     string
	mod      func(*User)
	pmod     func(*Patient)
	consents []cs
	item     *Item
	effect   Effect
	code     string // first reason code; "" = plain permit with no reasons
	path     string // provision path of a consent reason
	flags    Flags
	pol      *Policy // nil: DefaultPolicy
}

func runCases(t *testing.T, cases []engineCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := users()[tc.user]
			if u.Role == "" {
				t.Fatalf("unknown user %q", tc.user)
			}
			if tc.mod != nil {
				tc.mod(&u)
			}
			var list []*Consent
			for i, c := range tc.consents {
				c := consAt(t, "c"+string(rune('1'+i)), "2024-01-01", c.rule, c.prov)
				c.Recorder = orgGP // the person's GP records their choices
				list = append(list, c)
			}
			p := patient(list...)
			if tc.pmod != nil {
				tc.pmod(&p)
			}
			pol := tc.pol
			if pol == nil {
				pol = DefaultPolicy()
			}
			d := Prepare(pol, u, p, now).Decide(tc.item)
			if d.Effect != tc.effect || firstCode(d) != tc.code {
				t.Fatalf("got %s, want %s/%s", d.Explain(), tc.effect, tc.code)
			}
			if tc.path != "" && d.Reasons[0].ProvisionPath != tc.path {
				t.Fatalf("path %q, want %q (%s)", d.Reasons[0].ProvisionPath, tc.path, d.Explain())
			}
			if d.Flags != tc.flags {
				t.Fatalf("flags %b, want %b (%s)", d.Flags, tc.flags, d.Explain())
			}
		})
	}
}

func TestLayerRole(t *testing.T) {
	runCases(t, []engineCase{
		{name: "gp sees observations", user: "gp", item: obs(orgHosp), effect: Permit},
		{name: "social worker no lab results", user: "sw", item: obs(orgHosp), effect: Withhold, code: CodeClassNotPermitted},
		// SPEC §5: a source organisation always sees the data it recorded.
		{name: "social worker sees own org's lab result", user: "sw", item: obs(orgCouncil), effect: Permit},
		{name: "ig officer no clinical data even own org", user: "ig", item: med("IG001"), effect: Withhold, code: CodeClassNotPermitted},
		{name: "social worker sees medications", user: "sw", item: med(orgGP), effect: Permit},
		{name: "social worker sees safeguarding", user: "sw", item: &Item{Type: "Flag", DataClass: "safeguarding", SourceOrg: orgGP}, effect: Permit},
		{name: "social worker no documents", user: "sw", item: &Item{Type: "DocumentReference", DataClass: "documents", SourceOrg: orgGP}, effect: Withhold, code: CodeClassNotPermitted},
		{name: "nurse sees care plan", user: "nurse", item: &Item{Type: "CarePlan", DataClass: "care-plans", SourceOrg: orgGP}, effect: Permit},
		{name: "nurse no encounters", user: "nurse", item: &Item{Type: "Encounter", DataClass: "encounters", SourceOrg: orgHosp}, effect: Withhold, code: CodeClassNotPermitted},
		{name: "ig officer no clinical data", user: "ig", item: med(orgGP), effect: Withhold, code: CodeClassNotPermitted},
		{name: "ig officer sees consent records", user: "ig", item: &Item{Type: "Consent", DataClass: "consent", SourceOrg: orgGP}, effect: Permit},
		{name: "ig officer sees demographics without relationship", user: "ig", item: &Item{Type: "Patient", DataClass: "demographics", SourceOrg: orgGP}, effect: Permit},
		{name: "ig officer consent layer does not apply", user: "ig", consents: []cs{{"OPTOUT", ""}}, item: &Item{Type: "Consent", DataClass: "consent", SourceOrg: orgGP}, effect: Permit},
		{name: "system reads own org", user: "sys", item: med(orgGP), effect: Permit},
		{name: "system not other org", user: "sys", item: med(orgHosp), effect: Withhold, code: CodeOwnOrgOnly},
		{name: "unknown role", user: "gp", mod: func(u *User) { u.Role = "receptionist" }, item: med(orgGP), effect: Withhold, code: CodeUnknownRole},
		{name: "empty data class is not a class", user: "sw", item: &Item{Type: "X", SourceOrg: orgGP}, effect: Withhold, code: CodeClassNotPermitted},
	})
}

func TestLayerPurpose(t *testing.T) {
	runCases(t, []engineCase{
		{name: "default purpose TREAT", user: "gp", item: med(orgHosp), effect: Permit},
		{name: "ETREAT", user: "gp", mod: func(u *User) { u.Purpose = "ETREAT" }, item: med(orgHosp), effect: Permit},
		{name: "COC", user: "gp", mod: func(u *User) { u.Purpose = "COC" }, item: med(orgHosp), effect: Permit},
		{name: "research refused", user: "gp", mod: func(u *User) { u.Purpose = "HRESCH" }, item: med(orgGP), effect: Withhold, code: CodePurposeNotServed},
		{name: "marketing refused even for own data", user: "sys", mod: func(u *User) { u.Purpose = "HMARKT" }, item: med(orgGP), effect: Withhold, code: CodePurposeNotServed},
	})
}

func TestLayerRelationship(t *testing.T) {
	runCases(t, []engineCase{
		{name: "registered gp", user: "gp", item: obs(orgHosp), effect: Permit},
		{name: "care team", user: "hosp", item: med(orgGP), effect: Permit},
		{name: "episode of care", user: "sw", item: med(orgGP), effect: Permit},
		{name: "source within lifetime", user: "clinic", item: med(orgGP), effect: Permit},
		{name: "no relationship", user: "stranger", item: med(orgGP), effect: Withhold, code: CodeNoRelationship},
		{name: "no relationship even for its own data: open refuses", user: "stranger", item: med(orgOther), effect: Withhold, code: CodeNoRelationship},
		{name: "care team ended", user: "hosp", pmod: func(p *Patient) { p.Relationships[1].Until = now.Add(-time.Hour) }, item: med(orgGP), effect: Withhold, code: CodeNoRelationship},
		{name: "care team not begun", user: "hosp", pmod: func(p *Patient) { p.Relationships[1].From = now.Add(time.Hour) }, item: med(orgGP), effect: Withhold, code: CodeNoRelationship},
		{name: "care team begun", user: "hosp", pmod: func(p *Patient) { p.Relationships[1].From = now.Add(-time.Hour) }, item: med(orgGP), effect: Permit},
		{name: "source lifetime over", user: "clinic", pmod: func(p *Patient) { p.Relationships[4].LastRecorded = now.AddDate(-3, 0, 0) }, item: med(orgGP), effect: Withhold, code: CodeNoRelationship},
		{name: "source with unknown last recorded", user: "clinic", pmod: func(p *Patient) { p.Relationships[4].LastRecorded = time.Time{} }, item: med(orgGP), effect: Withhold, code: CodeNoRelationship},
		{name: "unknown relationship kind ignored", user: "stranger", pmod: func(p *Patient) {
			p.Relationships = append(p.Relationships, Relationship{Org: orgOther, Kind: "friend"})
		}, item: med(orgGP), effect: Withhold, code: CodeNoRelationship},
		{name: "org compared case-insensitively", user: "gp", mod: func(u *User) { u.Org = strings.ToLower(orgGP) }, item: med(orgHosp), effect: Permit},
	})
}

const emergency = "EMERGENCY: unconscious in ED, no history available"

func TestLayerBreakGlass(t *testing.T) {
	bg := func(u *User) { u.BreakGlassReason = emergency }
	runCases(t, []engineCase{
		{name: "stranger breaks glass", user: "stranger", mod: bg, item: med(orgGP), effect: Permit, code: CodeBreakGlassOverride, flags: FlagBreakGlass},
		{name: "break-glass overrides consent", user: "stranger", mod: bg, consents: []cs{{"OPTOUT", ""}}, item: med(orgGP), effect: Permit, code: CodeBreakGlassOverride, flags: FlagBreakGlass},
		{name: "related user: override flagged only where needed", user: "hosp", mod: bg, item: med(orgGP), effect: Permit},
		{name: "related user: consent overridden and flagged", user: "hosp", mod: bg, consents: []cs{{"OPTOUT", ""}}, item: med(orgGP), effect: Permit, code: CodeBreakGlassOverride, flags: FlagBreakGlass},
		{name: "break-glass does not release sensitive", user: "stranger", mod: bg, item: cond(orgClinic, "HIV"), effect: Withhold, code: CodeSensitive},
		{name: "break-glass never releases legally restricted", user: "stranger", mod: bg, item: cond(orgClinic, "HFEA"), effect: Withhold, code: CodeLegallyRestricted},
		{name: "break-glass does not change role classes", user: "stranger", mod: func(u *User) { bg(u); u.Role = "district-nurse" }, item: obs(orgGP), effect: Withhold, code: CodeClassNotPermitted},
		{name: "social worker may not break glass", user: "sw", mod: bg, item: med(orgGP), effect: Withhold, code: CodeBreakGlassRole},
		{name: "reason without category", user: "stranger", mod: func(u *User) { u.BreakGlassReason = "patient collapsed in the street" }, item: med(orgGP), effect: Withhold, code: CodeBreakGlassReason},
		{name: "reason too short", user: "stranger", mod: func(u *User) { u.BreakGlassReason = "EMERGENCY: help" }, item: med(orgGP), effect: Withhold, code: CodeBreakGlassReason},
		{name: "grant held", user: "stranger", mod: func(u *User) { u.BreakGlassGranted = true }, item: med(orgGP), effect: Permit, code: CodeBreakGlassOverride, flags: FlagBreakGlass},
		// A grant is the user's at their organisation; a token of a role
		// that may not break glass does not use it, and is not refused for
		// holding it: decided by its own relationship (review 9d; this
		// case wanted withhold/break-glass-role-not-allowed before).
		{name: "grant held but role no longer allowed", user: "sw", mod: func(u *User) { u.BreakGlassGranted = true }, item: med(orgGP), effect: Permit},
		{name: "grant held, role not allowed, no relationship", user: "stranger", mod: func(u *User) { u.BreakGlassGranted = true; u.Role = "social-worker" }, item: med(orgGP), effect: Withhold, code: CodeNoRelationship},
		{name: "grant held by an IG officer's sub", user: "ig", mod: func(u *User) { u.BreakGlassGranted = true }, item: med(orgGP), effect: Withhold, code: CodeClassNotPermitted},
	})
}

func TestBreakGlassReleasesPolicy(t *testing.T) {
	pol, err := LoadPolicy(strings.NewReader(DefaultPolicyText() + "\nbreak-glass-releases HIV PSY\n"))
	if err != nil {
		t.Fatal(err)
	}
	u := users()["stranger"]
	u.BreakGlassReason = emergency
	pp := Prepare(pol, u, patient(), now)
	if d := pp.Decide(cond(orgClinic, "HIV")); d.Effect != Permit || d.Flags&FlagBreakGlass == 0 {
		t.Fatalf("HIV under break-glass-releases: %s", d.Explain())
	}
	if d := pp.Decide(cond(orgClinic, "HIV", "GRA")); d.Effect != Withhold || firstCode(d) != CodeLegallyRestricted {
		t.Fatalf("GRA: %s", d.Explain())
	}
	if d := pp.Decide(cond(orgClinic, "STD")); d.Effect != Withhold {
		t.Fatalf("STD not listed: %s", d.Explain())
	}
	// Without break-glass the list changes nothing.
	if d := Prepare(pol, users()["hosp"], patient(), now).Decide(cond(orgClinic, "HIV")); d.Effect != Withhold {
		t.Fatalf("HIV without break-glass: %s", d.Explain())
	}
}

func TestOpen(t *testing.T) {
	pol := DefaultPolicy()
	u := users()
	cases := []struct {
		name   string
		u      User
		p      Patient
		effect Effect
		codes  string
		flags  Flags
	}{
		{"related", u["gp"], patient(), Permit, "", 0},
		{"stranger", u["stranger"], patient(), Withhold, CodeNoRelationship, 0},
		{"restricted patient alerts", u["gp"], Patient{ID: "p1", Restricted: true, Relationships: patient().Relationships}, Permit, CodeRestrictedPatient, FlagIGAlert},
		{"break-glass flagged", func() User { x := u["stranger"]; x.BreakGlassReason = emergency; return x }(), patient(), Permit, CodeBreakGlass, FlagBreakGlass},
		{"break-glass flagged when related too", func() User { x := u["gp"]; x.BreakGlassReason = "legal: court order 123/2025"; return x }(), patient(), Permit, CodeBreakGlass, FlagBreakGlass},
		{"system opens any patient", u["sys"], Patient{ID: "p2"}, Permit, "", 0},
		{"ig opens any patient", u["ig"], Patient{ID: "p2"}, Permit, "", 0},
		{"purpose", func() User { x := u["gp"]; x.Purpose = "HPAYMT"; return x }(), patient(), Withhold, CodePurposeNotServed, 0},
	}
	for _, tc := range cases {
		pp := Prepare(pol, tc.u, tc.p, now)
		d := pp.Open()
		if d.Effect != tc.effect || strings.Join(d.Codes(), ",") != tc.codes || d.Flags != tc.flags {
			t.Errorf("%s: %s", tc.name, d.Explain())
		}
		if tc.effect == Withhold {
			if d2 := pp.Decide(med(tc.u.Org)); d2.Effect != Withhold {
				t.Errorf("%s: Decide permits after Open withheld", tc.name)
			}
		}
	}
}

func TestRestrictedDemographics(t *testing.T) {
	restricted := func(p *Patient) { p.Restricted = true }
	pat := &Item{Type: "Patient", ID: "p1", DataClass: "demographics", SourceOrg: orgGP}
	rp := &Item{Type: "RelatedPerson", ID: "r1", DataClass: "demographics", SourceOrg: orgCouncil}
	runCases(t, []engineCase{
		{name: "source org sees all", user: "gp", pmod: restricted, item: pat, effect: Permit},
		{name: "other org: redact", user: "hosp", pmod: restricted, item: pat, effect: Permit, code: CodeRestrictedDemogr, flags: FlagRedact},
		{name: "related person redacted too", user: "hosp", pmod: restricted, item: rp, effect: Permit, code: CodeRestrictedDemogr, flags: FlagRedact},
		{name: "ig officer: redact", user: "ig", pmod: restricted, item: pat, effect: Permit, code: CodeRestrictedDemogr, flags: FlagRedact},
		{name: "clinical items unaffected", user: "hosp", pmod: restricted, item: med(orgGP), effect: Permit},
		{name: "not restricted: no redaction", user: "hosp", item: pat, effect: Permit},
		{name: "break-glass and redact", user: "stranger", mod: func(u *User) { u.BreakGlassReason = emergency }, pmod: restricted, item: pat, effect: Permit, code: CodeBreakGlassOverride, flags: FlagBreakGlass | FlagRedact},
	})
}

func TestLayerSensitivity(t *testing.T) {
	permitHIVToHosp := cs{"OPTIN", `{"actor":[` + org(orgHosp) + `],"securityLabel":[` + label("HIV") + `]}`}
	runCases(t, []engineCase{
		{name: "source sees its HIV data", user: "clinic", item: cond(orgClinic, "HIV"), effect: Permit},
		{name: "gp does not see clinic HIV data", user: "gp", item: cond(orgClinic, "HIV"), effect: Withhold, code: CodeSensitive},
		{name: "R-labelled item is sensitive", user: "gp", item: cond(orgClinic, "R"), effect: Withhold, code: CodeSensitive},
		{name: "non-sensitive label ignored", user: "gp", item: cond(orgClinic, "N", "XYZ"), effect: Permit},
		{name: "explicit permit to hospital", user: "hosp", consents: []cs{permitHIVToHosp}, item: cond(orgClinic, "HIV"), effect: Permit},
		{name: "explicit permit is for the hospital only", user: "gp", consents: []cs{permitHIVToHosp}, item: cond(orgClinic, "HIV"), effect: Withhold, code: CodeSensitive},
		{name: "explicit permit covers only its label", user: "hosp", consents: []cs{permitHIVToHosp}, item: cond(orgClinic, "HIV", "PSY"), effect: Withhold, code: CodeSensitive},
		{name: "explicit permit covers label via ancestor", user: "hosp",
			consents: []cs{{"OPTOUT", `{"type":"permit","securityLabel":[` + label("HIV") + `],"actor":[` + org(orgHosp) + `],"provision":[{"type":"deny","class":[` + class("Observation") + `]}]}`}},
			item:     cond(orgClinic, "HIV"), effect: Permit},
		{name: "role or sector permit is not explicit", user: "hosp",
			consents: []cs{{"OPTIN", `{"actor":[` + roleActor("hospital-clinician") + `],"securityLabel":[` + label("HIV") + `],"provision":[{"type":"deny","class":[` + class("Observation") + `]}]}`}},
			item:     cond(orgClinic, "HIV"), effect: Withhold, code: CodeSensitive},
		{name: "permit without label is not explicit for a label", user: "hosp",
			consents: []cs{{"OPTOUT", `{"type":"permit","actor":[` + org(orgHosp) + `]}`}},
			item:     cond(orgClinic, "HIV"), effect: Withhold, code: CodeSensitive},
		{name: "legally restricted released by explicit consent", user: "hosp",
			consents: []cs{{"OPTIN", `{"actor":[` + org(orgHosp) + `],"securityLabel":[` + label("HFEA") + `]}`}},
			item:     cond(orgClinic, "HFEA"), effect: Permit},
		{name: "practitioner named explicitly", user: "hosp",
			consents: []cs{{"OPTIN", `{"actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"PRCP"}]},"reference":{"reference":"Practitioner/u-hosp"}}],"securityLabel":[` + label("PSY") + `]}`}},
			item:     cond(orgClinic, "PSY"), effect: Permit},
		// Who recorded the permit: the data's source or the person's GP
		// may release it; anyone else's permit releases nothing sensitive.
		{name: "permit recorded by the data's source", user: "hosp", consents: []cs{permitHIVToHosp},
			pmod: recordedBy(orgClinic), item: cond(orgClinic, "HIV"), effect: Permit},
		{name: "permit recorded by a care-team member that is not the source", user: "hosp", consents: []cs{permitHIVToHosp},
			pmod: recordedBy(orgNurse), item: cond(orgClinic, "HIV"), effect: Withhold, code: CodeSensitive},
		{name: "permit recorded by an unrelated organisation", user: "hosp", consents: []cs{permitHIVToHosp},
			pmod: recordedBy(orgOther), item: cond(orgClinic, "HIV"), effect: Withhold, code: CodeSensitive},
		{name: "permit recorded by the source covers only its data", user: "hosp", consents: []cs{permitHIVToHosp},
			pmod: recordedBy(orgNurse), item: cond(orgNurse, "HIV"), effect: Permit},
		{name: "permit with no recorder releases nothing sensitive", user: "hosp", consents: []cs{permitHIVToHosp},
			pmod: recordedBy(""), item: cond(orgClinic, "HIV"), effect: Withhold, code: CodeSensitive},
		{name: "permit recorded by a former GP practice", user: "hosp", consents: []cs{permitHIVToHosp},
			pmod: func(p *Patient) { p.Relationships[0].Until = now.AddDate(0, -1, 0) }, item: cond(orgClinic, "HIV"), effect: Withhold, code: CodeSensitive},
		{name: "a plain permit still shares unlabelled data", user: "hosp", consents: []cs{{"OPTOUT", `{"type":"permit","actor":[` + org(orgHosp) + `]}`}},
			pmod: recordedBy(orgOther), item: cond(orgClinic), effect: Permit},
		// An item carex could not read: its source's alone (review 96b).
		{name: "a permit of R releases an R item", user: "hosp", consents: []cs{{"OPTIN", `{"actor":[` + org(orgHosp) + `],"securityLabel":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]}`}},
			item: cond(orgClinic, "R"), effect: Permit},
		{name: "a permit of R does not release an unread item", user: "hosp", consents: []cs{{"OPTIN", `{"actor":[` + org(orgHosp) + `],"securityLabel":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]}`}},
			item: cond(orgClinic, "R", LabelUnread), effect: Withhold, code: CodeSensitive},
		{name: "the unread item's source sees it", user: "clinic", item: cond(orgClinic, "R", LabelUnread), effect: Permit},
		{name: "the IG officer does not see an unread item", user: "ig", item: &Item{Type: "Consent", ID: "k1", DataClass: "consent", SourceOrg: orgClinic, Labels: []string{"R", LabelUnread}}, effect: Withhold, code: CodeSensitive},
	})
}

// TestConsentCannotNameUnreadLabel: a provision naming LabelUnread is
// refused (review 98a: a permit of it was stored and released nothing).
func TestConsentCannotNameUnreadLabel(t *testing.T) {
	for _, code := range []string{LabelUnread, "carex-unread"} {
		_, err := ParseConsent(consentJSON("c1", "2024-01-01", "OPTIN", `{"actor":[`+org(orgHosp)+`],"securityLabel":[`+label(code)+`]}`))
		if err == nil || !strings.Contains(err.Error(), "securityLabel[0]") {
			t.Errorf("a permit of %s: %v, want it refused", code, err)
		}
	}
}

// TestBreakGlassDoesNotReleaseUnread: break-glass releasing R releases no
// item carex could not read.
func TestBreakGlassDoesNotReleaseUnread(t *testing.T) {
	pol, err := LoadPolicy(strings.NewReader(DefaultPolicyText() + "\nbreak-glass-releases R HIV\n"))
	if err != nil {
		t.Fatal(err)
	}
	u := users()["stranger"]
	u.BreakGlassReason = emergency
	pp := Prepare(pol, u, patient(), now)
	if d := pp.Decide(cond(orgClinic, "R")); d.Effect != Permit {
		t.Fatalf("R under break-glass-releases R: %s", d.Explain())
	}
	if d := pp.Decide(cond(orgClinic, "R", LabelUnread)); d.Effect != Withhold {
		t.Fatalf("an unread item under break-glass-releases R: %s", d.Explain())
	}
}

// recordedBy sets the recorder of every Consent of the patient.
func recordedBy(org string) func(*Patient) {
	return func(p *Patient) {
		for _, c := range p.Consents {
			c.Recorder = org
		}
	}
}

// TestConsentWithholds: the consent layer alone, break-glass or not.
func TestConsentWithholds(t *testing.T) {
	hosp := users()["hosp"]
	bg := hosp
	bg.BreakGlassReason = "EMERGENCY: unconscious in resus, no history available"
	for _, c := range []struct {
		name string
		u    User
		p    Patient
		it   *Item
		want bool
	}{
		{"an objection", hosp, patient(cons(t, "OPTOUT", "")), obs(orgGP), true},
		{"an objection under break-glass", bg, patient(cons(t, "OPTOUT", "")), obs(orgGP), true},
		{"no objection", hosp, patient(cons(t, "OPTIN", "")), obs(orgGP), false},
		{"no consent", hosp, patient(), obs(orgGP), false},
		{"the user's own organisation's item", hosp, patient(cons(t, "OPTOUT", "")), obs(orgHosp), false},
	} {
		pp := Prepare(DefaultPolicy(), c.u, c.p, now)
		if got := pp.ConsentWithholds(c.it); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// TestUnknownAuthorRefs: a stored Consent (accepted by an older release;
// a write now refuses these, CheckConsent) whose provision needs the
// item's author practitioner or what refers to another resource, while
// the caller does not know them (Item.AuthorKnown, Item.RefsKnown false:
// the API's items): a deny takes the condition as matched, a permit as
// not matched, so the Consent never releases more than it could mean
// (review 4e). Known values still match exactly.
func TestUnknownAuthorRefs(t *testing.T) {
	drX, lab := "Practitioner/dr-x", "ServiceRequest/lab1"
	unknownAuthor := obs(orgGP) // the API's item: neither author nor refs known
	byX := obs(orgGP)
	byX.Author, byX.AuthorKnown = drX, true
	byY := obs(orgGP)
	byY.Author, byY.AuthorKnown = "Practitioner/dr-y", true
	noAuthor := obs(orgGP)
	noAuthor.AuthorKnown = true
	refersToLab := obs(orgGP)
	refersToLab.Refs, refersToLab.RefsKnown = []string{lab}, true
	refersElsewhere := obs(orgGP)
	refersElsewhere.Refs, refersElsewhere.RefsKnown = []string{"ServiceRequest/lab2"}, true
	theLab := &Item{Type: "ServiceRequest", ID: "lab1", DataClass: "observations", SourceOrg: orgGP}
	hiv := cond(orgClinic, "HIV")

	denyAUT := cs{"OPTIN", `{"type":"deny","actor":[` + author(drX) + `]}`}
	denyAuthoredBy := cs{"OPTIN", `{"type":"deny","data":[` + data("authoredby", drX) + `]}`}
	denyRelated := cs{"OPTIN", `{"type":"deny","data":[` + data("related", lab) + `]}`}
	permitRelated := cs{"OPTOUT", `{"provision":[{"type":"permit","data":[` + data("related", lab) + `]}]}`}
	permitRelatedRoot := cs{"OPTOUT", `{"type":"permit","data":[` + data("related", lab) + `]}`}
	permitAUT := cs{"OPTOUT", `{"provision":[{"type":"permit","actor":[` + author(drX) + `]}]}`}
	// An assent to Dr X's data, withholding its observations.
	scopeAUT := cs{"OPTIN", `{"actor":[` + author(drX) + `],"provision":[{"type":"deny","class":[` + class("observations") + `]}]}`}
	// Withhold Dr X's data, except from the hospital.
	denyAUTExcept := cs{"OPTIN", `{"type":"deny","actor":[` + author(drX) + `],"provision":[{"type":"permit","actor":[` + org(orgHosp) + `]}]}`}
	// Withhold observations; release Dr X's to the hospital. Dr X's
	// permit is deeper, but for an item another wrote the deny decides.
	denyObsExceptX := cs{"OPTIN", `{"provision":[{"type":"deny","class":[` + class("observations") + `]},` +
		`{"type":"deny","actor":[` + author(drX) + `],"provision":[{"type":"permit","actor":[` + org(orgHosp) + `]}]}]}`}
	// Release HIV data to the hospital, except Dr X's.
	permitHIVExceptX := cs{"OPTIN", `{"actor":[` + org(orgHosp) + `],"securityLabel":[` + label("HIV") + `],"provision":[{"type":"deny","actor":[` + author(drX) + `]}]}`}
	// Withhold Dr X's data, except HIV data from the hospital.
	denyAUTExceptHIV := cs{"OPTIN", `{"type":"deny","actor":[` + author(drX) + `],"provision":[{"type":"permit","actor":[` + org(orgHosp) + `],"securityLabel":[` + label("HIV") + `]}]}`}
	hivByX := cond(orgClinic, "HIV")
	hivByX.Author, hivByX.AuthorKnown = drX, true
	hivByY := cond(orgClinic, "HIV")
	hivByY.Author, hivByY.AuthorKnown = "Practitioner/dr-y", true

	runCases(t, []engineCase{
		// deny: unknown author or refs withholds; known ones match exactly
		{name: "stored deny by AUT practitioner: unknown author withheld", user: "hosp", consents: []cs{denyAUT}, item: unknownAuthor, effect: Withhold, code: CodeConsentDeny, path: "provision"},
		{name: "stored deny by AUT practitioner: known author withheld", user: "hosp", consents: []cs{denyAUT}, item: byX, effect: Withhold, code: CodeConsentDeny},
		{name: "stored deny by AUT practitioner: another author released", user: "hosp", consents: []cs{denyAUT}, item: byY, effect: Permit},
		{name: "stored deny by AUT practitioner: known no author released", user: "hosp", consents: []cs{denyAUT}, item: noAuthor, effect: Permit},
		{name: "stored deny authoredby practitioner: unknown author withheld", user: "hosp", consents: []cs{denyAuthoredBy}, item: unknownAuthor, effect: Withhold, code: CodeConsentDeny},
		{name: "stored deny authoredby practitioner: known author withheld", user: "hosp", consents: []cs{denyAuthoredBy}, item: byX, effect: Withhold, code: CodeConsentDeny},
		{name: "stored deny authoredby practitioner: another author released", user: "hosp", consents: []cs{denyAuthoredBy}, item: byY, effect: Permit},
		{name: "stored deny related: unknown refs withheld", user: "hosp", consents: []cs{denyRelated}, item: unknownAuthor, effect: Withhold, code: CodeConsentDeny},
		{name: "stored deny related: the named item withheld", user: "hosp", consents: []cs{denyRelated}, item: theLab, effect: Withhold, code: CodeConsentDeny},
		{name: "stored deny related: known referring item withheld", user: "hosp", consents: []cs{denyRelated}, item: refersToLab, effect: Withhold, code: CodeConsentDeny},
		{name: "stored deny related: known other refs released", user: "hosp", consents: []cs{denyRelated}, item: refersElsewhere, effect: Permit},
		{name: "stored deny by AUT practitioner: the source still sees its data", user: "gp", consents: []cs{denyAUT}, item: unknownAuthor, effect: Permit},
		// permit: unknown does not release
		{name: "stored permit by related: unknown refs not released", user: "hosp", consents: []cs{permitRelated}, item: unknownAuthor, effect: Withhold, code: CodeConsentDeny, path: "provision"},
		{name: "stored permit by related: the named item released", user: "hosp", consents: []cs{permitRelated}, item: theLab, effect: Permit},
		{name: "stored permit by related: known referring item released", user: "hosp", consents: []cs{permitRelated}, item: refersToLab, effect: Permit},
		{name: "stored permit by related: known other refs not released", user: "hosp", consents: []cs{permitRelated}, item: refersElsewhere, effect: Withhold, code: CodeConsentDeny},
		{name: "stored root permit by related: unknown refs not released", user: "hosp", consents: []cs{permitRelatedRoot}, item: unknownAuthor, effect: Withhold, code: CodeConsentDeny, path: "policyRule"},
		{name: "stored root permit by related: known referring item released", user: "hosp", consents: []cs{permitRelatedRoot}, item: refersToLab, effect: Permit},
		{name: "stored permit by AUT practitioner: unknown author not released", user: "hosp", consents: []cs{permitAUT}, item: unknownAuthor, effect: Withhold, code: CodeConsentDeny},
		{name: "stored permit by AUT practitioner: known author released", user: "hosp", consents: []cs{permitAUT}, item: byX, effect: Permit},
		// nesting: the denies below an unknown permit still count, the
		// permits below an unknown deny only where no other deny could
		// decide instead
		{name: "deny below an unknown scope counts", user: "hosp", consents: []cs{scopeAUT}, item: unknownAuthor, effect: Withhold, code: CodeConsentDeny, path: "provision.provision[0]"},
		{name: "deny below a scope: known other author released", user: "hosp", consents: []cs{scopeAUT}, item: byY, effect: Permit},
		{name: "exception below an unknown deny applies", user: "hosp", consents: []cs{denyAUTExcept}, item: unknownAuthor, effect: Permit},
		{name: "unknown deny, others withheld", user: "clinic", consents: []cs{denyAUTExcept}, item: unknownAuthor, effect: Withhold, code: CodeConsentDeny, path: "provision"},
		{name: "exception below an unknown deny does not lift another deny", user: "hosp", consents: []cs{denyObsExceptX}, item: unknownAuthor, effect: Withhold, code: CodeConsentDeny, path: "provision.provision[0]"},
		{name: "exception below a known deny lifts another", user: "hosp", consents: []cs{denyObsExceptX}, item: byX, effect: Permit},
		{name: "another known author: the other deny decides", user: "hosp", consents: []cs{denyObsExceptX}, item: byY, effect: Withhold, code: CodeConsentDeny, path: "provision.provision[0]"},
		// sensitivity: an uncertain consent releases no label
		{name: "explicit permit, unknown deny below: label withheld", user: "hosp", consents: []cs{permitHIVExceptX}, item: hiv, effect: Withhold, code: CodeConsentDeny},
		{name: "explicit permit below an unknown deny: label withheld", user: "hosp", consents: []cs{denyAUTExceptHIV}, item: hiv, effect: Withhold, code: CodeSensitive},
		{name: "explicit permit below a known deny: label released", user: "hosp", consents: []cs{denyAUTExceptHIV}, item: hivByX, effect: Permit},
		{name: "explicit permit, known other author: label released", user: "hosp", consents: []cs{permitHIVExceptX}, item: hivByY, effect: Permit},
	})
}

// TestCodeMatchICD10: a Consent's three-character ICD-10 category covers
// its subcategories ("not my eating disorder", F50, left F50.0 shared:
// review 78c); a subcategory does not cover its category or a sibling.
func TestCodeMatchICD10(t *testing.T) {
	const icd = systemICD10
	cases := []struct {
		want, have string
		match      bool
	}{
		{"F50", "F50.0", true},
		{"f50", "F500", true},
		{"F50", "F50", true},
		{"F50", "F5", false},
		{"F50", "F51.0", false},
		{"F50.0", "F50", false},
		{"F50.0", "F50.1", false},
		{"F500", "F50.0", true},
		{"F5", "F50.0", false},
		{"Z30", "Z30.0", true},
		// A trailing dot is the category; a wildcard or "any
		// subcategory", refused on write, is read as a prefix where an
		// earlier release stored it (review 79a).
		{"F50.", "F50.0", true},
		{"F50*", "F50.0", true},
		{"F50.-", "F50.1", true},
		{"F5*", "F59", true},
		{"F50*", "F51.0", false},
		{"*", "F50.0", false},
		{"-", "F50.0", false},
		// A subcategory covers the codes under it (review 81c), and a
		// stem of nothing matches no code of dots alone (review 81c).
		{"S72.0", "S72.00", true},
		{"F320", "F32.01", true},
		{"S72.00", "S72.0", false},
		{"S72.0", "S72.1", false},
		{"*", ".", false},
		{"-", "", false},
		{".-", ".", false},
	}
	for _, tc := range cases {
		if got := codeMatch(Coding{icd, tc.want}, Coding{icd, tc.have}); got != tc.match {
			t.Errorf("Consent code %s, item code %s: match %v, want %v", tc.want, tc.have, got, tc.match)
		}
	}
	if codeMatch(Coding{icd, "F50"}, Coding{systemSNOMED, "F50.0"}) {
		t.Errorf("an ICD-10 category matched another system's code")
	}
	// An item's code with no system, written as ICD-10, is ICD-10 (review
	// 95a); a Read v2 code padded with dots is not.
	for _, tc := range []struct {
		want  Coding
		have  string
		match bool
	}{
		{Coding{icd, "C50"}, "C50.9", true},
		{Coding{"", "C50"}, "C50.9", true},
		{Coding{"", "C50.9"}, "c50.9", true},
		{Coding{icd, "C50.9"}, "C509", true},
		{Coding{icd, "B20"}, "B20.0†", true},
		{Coding{icd, "F12"}, "F12..", false},
		{Coding{icd, "C50"}, "C51.0", false},
	} {
		if got := codeMatch(tc.want, Coding{"", tc.have}); got != tc.match {
			t.Errorf("Consent code %v, item code %q with no system: match %v, want %v", tc.want, tc.have, got, tc.match)
		}
	}
}
