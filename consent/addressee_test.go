package consent

import (
	"strings"
	"testing"
)

// message is a Communication from src sent to the organisations to, of
// class other (carex gives a message of the NHS no class of its own).
func message(src string, to ...string) *Item {
	it := &Item{Type: "Communication", ID: "m1", DataClass: "other", SourceOrg: src}
	for _, o := range to {
		it.OtherCodes = append(it.OtherCodes, Coding{System: SystemAddressee, Code: o})
	}
	return it
}

// addressedPolicy is the built-in policy with reads-addressed on for the
// clinical roles, as a deployment opts in (the built-in policy lists no
// role: README).
func addressedPolicy(t testing.TB) *Policy {
	t.Helper()
	p, err := LoadPolicy(strings.NewReader(DefaultPolicyText() + "\nreads-addressed gp hospital-clinician district-nurse\n"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// withPolicy sets p on each case that names no policy of its own.
func withPolicy(p *Policy, cases []engineCase) []engineCase {
	for i := range cases {
		if cases[i].pol == nil {
			cases[i].pol = p
		}
	}
	return cases
}

// carrying adds the classes of what the item carries after its own.
func carrying(it *Item, classes string) *Item {
	it.DataClass += ClassSep + classes
	return it
}

// TestAddressedMessage: the roles the policy lists in reads-addressed read
// a message sent to their own organisation whatever their classes; the
// person's relationship, consent and sensitivity still decide it, and
// another organisation's users, audit roles and client systems do not
// read it by being addressed.
func TestAddressedMessage(t *testing.T) {
	hiv := func(it *Item) *Item { it.Labels = []string{"HIV"}; return it }
	runCases(t, withPolicy(addressedPolicy(t), []engineCase{
		{name: "nurse reads the hospital's message to her trust", user: "nurse", item: message(orgHosp, orgNurse), effect: Permit},
		{name: "not under the built-in policy", user: "nurse", item: message(orgHosp, orgNurse), effect: Withhold, code: CodeClassNotPermitted, pol: DefaultPolicy()},
		{name: "addressee's code in another case", user: "nurse", item: message(orgHosp, strings.ToLower(orgNurse)), effect: Permit},
		{name: "one of several recipients", user: "nurse", item: message(orgHosp, orgGP, orgNurse), effect: Permit},
		{name: "nurse not the message to the council", user: "nurse", item: message(orgHosp, orgCouncil), effect: Withhold, code: CodeClassNotPermitted},
		// The built-in policy leaves the social worker out (SPEC: not lab
		// results or clinical notes, which a message's text may hold).
		{name: "social worker not the message to her council", user: "sw", item: message(orgHosp, orgCouncil), effect: Withhold, code: CodeClassNotPermitted},
		{name: "social worker not the message to the nurses", user: "sw", item: message(orgHosp, orgNurse), effect: Withhold, code: CodeClassNotPermitted},
		{name: "what it carries needs its class: a lab result", user: "nurse", item: carrying(message(orgHosp, orgNurse), "observations"), effect: Withhold, code: CodeClassNotPermitted},
		{name: "what it carries needs its class: a care plan", user: "nurse", item: carrying(message(orgHosp, orgNurse), "care-plans"), effect: Permit},
		{name: "what it carries needs each class", user: "nurse", item: carrying(message(orgHosp, orgNurse), "care-plans+documents"), effect: Withhold, code: CodeClassNotPermitted},
		{name: "no addressee", user: "nurse", item: message(orgHosp), effect: Withhold, code: CodeClassNotPermitted},
		{name: "addressee code under another system is none", user: "nurse", item: &Item{Type: "Communication", DataClass: "other", SourceOrg: orgHosp,
			OtherCodes: []Coding{{System: SystemODS, Code: orgNurse}}}, effect: Withhold, code: CodeClassNotPermitted},
		{name: "addressed, but her consent denies the nurses", user: "nurse", consents: []cs{{"OPTIN", `{"type":"deny","actor":[` + org(orgNurse) + `]}`}},
			item: message(orgHosp, orgNurse), effect: Withhold, code: CodeConsentDeny},
		{name: "addressed, but she opted out", user: "nurse", consents: []cs{{"OPTOUT", ""}}, item: message(orgHosp, orgNurse), effect: Withhold, code: CodeConsentDeny},
		{name: "addressed, but labelled HIV", user: "nurse", item: hiv(message(orgHosp, orgNurse)), effect: Withhold, code: CodeSensitive},
		{name: "addressed, but no relationship", user: "stranger", item: message(orgHosp, orgOther), effect: Withhold, code: CodeNoRelationship},
		{name: "IG officer addressed reads no clinical data", user: "ig", item: message(orgHosp, "IG001"), effect: Withhold, code: CodeClassNotPermitted},
		{name: "client system reads only its own", user: "sys", item: message(orgHosp, orgGP), effect: Withhold, code: CodeOwnOrgOnly},
		{name: "a role not listed", user: "nurse", mod: func(u *User) { u.Role = "receptionist" }, item: message(orgHosp, orgNurse), effect: Withhold, code: CodeUnknownRole},
	}))
}

// TestReadsAddressedPolicy: reads-addressed is refused for an audit or an
// own-organisation-only role, and the built-in policy lists no role
// (opt-in: reviews 88a-88e each found a form of content carried to the
// nurse past the test of a message's words).
func TestReadsAddressedPolicy(t *testing.T) {
	base := "role nurse care-plans\nrole ig demographics\naudit-role ig\nrole sys *\nown-org-only sys\n"
	if _, err := LoadPolicy(strings.NewReader(base + "reads-addressed nurse\n")); err != nil {
		t.Fatalf("reads-addressed nurse: %v", err)
	}
	for _, r := range []string{"ig", "sys"} {
		if _, err := LoadPolicy(strings.NewReader(base + "reads-addressed " + r + "\n")); err == nil || !strings.Contains(err.Error(), "reads-addressed") {
			t.Errorf("reads-addressed %s: %v, want refused", r, err)
		}
	}
	p := DefaultPolicy()
	for name, want := range map[string]bool{"gp": false, "hospital-clinician": false, "district-nurse": false, "social-worker": false, "ig-officer": false, "system": false} {
		if got := p.Role(name).ReadsAddressed; got != want {
			t.Errorf("built-in policy: %s reads addressed %v, want %v", name, got, want)
		}
	}
}

// TestAddressedMessageOnlyOfItsOwnClass: the waiver is of a message's own
// class other only (review 88a): a message whose source tagged it with a
// clinical class, and an item of another type carrying an addressee
// coding, are decided by their classes.
func TestAddressedMessageOnlyOfItsOwnClass(t *testing.T) {
	tagged := message(orgHosp, orgNurse)
	tagged.DataClass = "observations"
	notAMessage := message(orgHosp, orgNurse)
	notAMessage.Type, notAMessage.DataClass = "Observation", "observations"
	runCases(t, withPolicy(addressedPolicy(t), []engineCase{
		{name: "tagged observations", user: "nurse", item: tagged, effect: Withhold, code: CodeClassNotPermitted},
		{name: "an Observation with an addressee code", user: "nurse", item: notAMessage, effect: Withhold, code: CodeClassNotPermitted},
	}))
}
