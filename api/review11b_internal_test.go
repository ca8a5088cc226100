package api

import (
	"testing"
	"time"

	"github.com/carex-project/carex/store"
)

// TestReview11bUnreadableRelationshipBoundIsClosed: a care relationship's
// period bound that cannot be read (a leap second before review 11b, or a
// value an older release stored) was taken as no bound: an end as "still
// on the team", a start as "since ever". A leap second is now the end of its
// minute, and a bound that cannot be read closes the relationship.
func TestReview11bUnreadableRelationshipBoundIsClosed(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct{ name, period string }{
		{"leap second end", `{"start":"2016-01-01","end":"2016-12-31T23:59:60Z"}`},
		{"unreadable end", `{"start":"2016-01-01","end":"2016-12-31 23:59"}`},
		{"unreadable start", `{"start":"someday"}`},
		{"empty end", `{"start":"2016-01-01","end":""}`},
	} {
		raw := `{"resourceType":"CareTeam","status":"active","period":` + tc.period + `,"participant":[{"member":{"reference":"Organization/RZZ"}}]}`
		rels := linkRelationships(&store.Version{Meta: store.Meta{Type: "CareTeam", ID: "x"}, Raw: []byte(raw)})
		if len(rels) != 1 {
			t.Fatalf("%s: %+v", tc.name, rels)
		}
		r := rels[0]
		inForce := (r.From.IsZero() || !now.Before(r.From)) && (r.Until.IsZero() || now.Before(r.Until))
		if inForce {
			t.Errorf("%s: a team with period %s is in force now (from %v until %v)", tc.name, tc.period, r.From, r.Until)
		}
	}
	rels := linkRelationships(&store.Version{Meta: store.Meta{Type: "CareTeam", ID: "x"}, Raw: []byte(`{"resourceType":"CareTeam","status":"active","period":{"end":"2016-12-31T23:59:60Z"},"participant":[{"member":{"reference":"Organization/RZZ"}}]}`)})
	if want := time.Date(2017, 1, 1, 0, 0, 1, 0, time.UTC); len(rels) != 1 || !rels[0].Until.Equal(want) {
		t.Errorf("a team to the leap second of 2016: %+v, want until %v", rels, want)
	}
}
