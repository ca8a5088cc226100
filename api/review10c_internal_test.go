package api

import (
	"testing"
	"time"

	"github.com/carex-project/carex/store"
)

// TestReview10cRelationshipDaysInEngland: a care team's or care package's
// period written as dates is days in England, as a Consent's are (review
// 10c): a team "from 1 June to 30 June" is one from midnight BST on 1 June
// (23:00 UTC on 31 May) to midnight BST on 1 July. It was read in UTC days,
// so in summer its members were refused from 00:00 to 01:00 on its first
// day and let in for an hour after its last. In winter nothing changes.
func TestReview10cRelationshipDaysInEngland(t *testing.T) {
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, tc := range []struct {
		name, raw       string
		typ             string
		wantFrom, until string
	}{
		{"care team in summer", `{"resourceType":"CareTeam","status":"active","period":{"start":"2026-06-01","end":"2026-06-30"},"participant":[{"member":{"reference":"Organization/RZZ"}}]}`,
			"CareTeam", "2026-05-31T23:00:00Z", "2026-06-30T23:00:00Z"},
		{"a participant's period in summer", `{"resourceType":"CareTeam","status":"active","participant":[{"member":{"reference":"Organization/RZZ"},"period":{"start":"2026-06","end":"2026-06"}}]}`,
			"CareTeam", "2026-05-31T23:00:00Z", "2026-06-30T23:00:00Z"},
		{"care package in summer", `{"resourceType":"EpisodeOfCare","status":"active","managingOrganization":{"reference":"Organization/RZZ"},"period":{"start":"2026-06-01","end":"2026-06-30"}}`,
			"EpisodeOfCare", "2026-05-31T23:00:00Z", "2026-06-30T23:00:00Z"},
		{"care team in winter", `{"resourceType":"CareTeam","status":"active","period":{"start":"2026-01-01","end":"2026-01-31"},"participant":[{"member":{"reference":"Organization/RZZ"}}]}`,
			"CareTeam", "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"},
		{"times keep their offsets", `{"resourceType":"CareTeam","status":"active","period":{"start":"2026-06-01T09:00:00+01:00","end":"2026-06-30T17:00:00+01:00"},"participant":[{"member":{"reference":"Organization/RZZ"}}]}`,
			"CareTeam", "2026-06-01T08:00:00Z", "2026-06-30T16:00:01Z"},
	} {
		rels := linkRelationships(&store.Version{Meta: store.Meta{Type: tc.typ, ID: "x"}, Raw: []byte(tc.raw)})
		if len(rels) != 1 {
			t.Fatalf("%s: %+v", tc.name, rels)
		}
		if r := rels[0]; !r.From.Equal(utc(tc.wantFrom)) || !r.Until.Equal(utc(tc.until)) {
			t.Errorf("%s: from %s until %s, want %s until %s", tc.name, r.From.UTC().Format(time.RFC3339), r.Until.UTC().Format(time.RFC3339), tc.wantFrom, tc.until)
		}
	}
}
