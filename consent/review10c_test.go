package consent

import (
	"testing"
	"time"
)

// TestReview10cConsentDaysAreDaysInEngland: a Consent's period and
// dataPeriod written as dates ("2015-06-01", "2015-06", "2015") are the
// person's days, in England. They were read as UTC days, so in British
// Summer Time each day began and ended an hour late: "not my records from
// June 2015" released an observation taken at 00:30 on 1 June (sent as
// 2015-06-01T00:30:00+01:00), an objection starting on 1 June was not in
// force until 01:00, and a permit ending on 30 June still released data
// at 00:30 on 1 July. In winter (GMT) nothing changes.
func TestReview10cConsentDaysAreDaysInEngland(t *testing.T) {
	bst := time.FixedZone("BST", 3600)
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	u := users()["hosp"]
	item := func(d time.Time) *Item {
		return &Item{Type: "Observation", ID: "o1", DataClass: "observations", SourceOrg: orgGP, Date: d.UTC()}
	}
	denyJune := cons(t, "OPTIN", `{"type":"deny","dataPeriod":{"start":"2015-06-01","end":"2015-06-30"}}`)
	denyJuneMonth := cons(t, "OPTIN", `{"type":"deny","dataPeriod":{"start":"2015-06","end":"2015-06"}}`)
	denyJan := cons(t, "OPTIN", `{"type":"deny","dataPeriod":{"start":"2015-01-01","end":"2015-01-31"}}`)
	for _, tc := range []struct {
		name string
		c    *Consent
		date time.Time
		want Effect
	}{
		{"00:30 on 1 June (BST) is June's", denyJune, time.Date(2015, 6, 1, 0, 30, 0, 0, bst), Withhold},
		{"00:30 on 1 June (BST), month precision", denyJuneMonth, time.Date(2015, 6, 1, 0, 30, 0, 0, bst), Withhold},
		{"23:30 on 30 June (BST) is June's", denyJune, time.Date(2015, 6, 30, 23, 30, 0, 0, bst), Withhold},
		{"23:30 on 31 May (BST) is not", denyJune, time.Date(2015, 5, 31, 23, 30, 0, 0, bst), Permit},
		{"00:30 on 1 July (BST) is not", denyJune, time.Date(2015, 7, 1, 0, 30, 0, 0, bst), Permit},
		{"a date-only item of 1 June", denyJune, at("2015-06-01T00:00:00Z"), Withhold},
		{"a date-only item of 30 June", denyJune, at("2015-06-30T00:00:00Z"), Withhold},
		{"a date-only item of 31 May", denyJune, at("2015-05-31T00:00:00Z"), Permit},
		{"winter: 00:30 on 1 January (GMT)", denyJan, at("2015-01-01T00:30:00Z"), Withhold},
		{"winter: 23:30 on 31 December (GMT)", denyJan, at("2014-12-31T23:30:00Z"), Permit},
	} {
		if d := Prepare(DefaultPolicy(), u, patient(tc.c), now).Decide(item(tc.date)); d.Effect != tc.want {
			t.Errorf("dataPeriod June 2015, item dated %s (%s): %v, want %v: %s", tc.date.Format(time.RFC3339), tc.name, d.Effect, tc.want, d.Explain())
		}
	}

	// When a Consent is in force.
	denyFromJune := cons(t, "OPTIN", `{"type":"deny","period":{"start":"2025-06-01"}}`)
	permitToJune := cons(t, "OPTOUT", `{"provision":[{"type":"permit","period":{"end":"2025-06-30"}}]}`)
	for _, tc := range []struct {
		name string
		c    *Consent
		at   time.Time
		want Effect
	}{
		{"an objection from 1 June, at 00:30 on 1 June (BST)", denyFromJune, time.Date(2025, 6, 1, 0, 30, 0, 0, bst), Withhold},
		{"an objection from 1 June, at 23:30 on 31 May (BST)", denyFromJune, time.Date(2025, 5, 31, 23, 30, 0, 0, bst), Permit},
		{"sharing until 30 June, at 00:30 on 1 July (BST)", permitToJune, time.Date(2025, 7, 1, 0, 30, 0, 0, bst), Withhold},
		{"sharing until 30 June, at 23:30 on 30 June (BST)", permitToJune, time.Date(2025, 6, 30, 23, 30, 0, 0, bst), Permit},
	} {
		it := item(at("2024-01-01T10:00:00Z"))
		if d := Prepare(DefaultPolicy(), u, patient(tc.c), tc.at.UTC()).Decide(it); d.Effect != tc.want {
			t.Errorf("%s: %v, want %v: %s", tc.name, d.Effect, tc.want, d.Explain())
		}
	}
}

// TestReview10cSourceRelationshipLasts730Days: an organisation that
// recorded some of the person's data keeps a relationship for the policy's
// source-lifetime (730 days by default) from the last time it did, and
// not a moment longer: a GP practice the person has left (no longer their
// generalPractitioner) reads the record for two years after its last entry,
// then gets the "no relationship" refusal. A probe: it passed when first
// written.
func TestReview10cSourceRelationshipLasts730Days(t *testing.T) {
	oldGP := User{Sub: "u-old", Name: "Dr Former", Role: "gp", Org: "B82002", Sector: "nhs"}
	for _, tc := range []struct {
		ago  time.Duration
		want bool
	}{
		{729 * 24 * time.Hour, true},
		{730*24*time.Hour - time.Millisecond, true},
		{730 * 24 * time.Hour, false},
		{731 * 24 * time.Hour, false},
	} {
		p := Patient{ID: "p1", Relationships: []Relationship{
			{Org: orgGP, Kind: RelRegisteredGP},
			{Org: "B82002", Kind: RelSource, LastRecorded: now.Add(-tc.ago)},
		}}
		d := Prepare(DefaultPolicy(), oldGP, p, now).Open()
		if d.Permitted() != tc.want {
			t.Errorf("last recorded %v ago: open %v, want %v: %s", tc.ago, d.Permitted(), tc.want, d.Explain())
		}
		if !tc.want && firstCode(d) != CodeNoRelationship {
			t.Errorf("last recorded %v ago: refused with %q, want %q", tc.ago, firstCode(d), CodeNoRelationship)
		}
	}
}
