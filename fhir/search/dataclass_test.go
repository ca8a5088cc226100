package search

import "testing"

// TestDataClassFromCouncil: a council's EpisodeOfCare is a care package
// whatever its type says; anyone else's, and a council's other items, are
// classed by content.
func TestDataClassFromCouncil(t *testing.T) {
	episode := map[string]any{"resourceType": "EpisodeOfCare", "type": []any{map[string]any{"text": "home care"}}}
	for _, tc := range []struct {
		typ, org, want string
		res            map[string]any
	}{
		{"EpisodeOfCare", "E06000999", ClassSocialCare, episode},
		{"EpisodeOfCare", "W06000015", ClassSocialCare, episode},
		{"EpisodeOfCare", "E07000123", ClassEncounters, episode}, // a district council: no social services
		{"EpisodeOfCare", "RCX", ClassEncounters, episode},
		{"EpisodeOfCare", "E06000999x", ClassEncounters, episode},
		{"Encounter", "E06000999", ClassEncounters, map[string]any{"resourceType": "Encounter"}},
	} {
		if got := DataClassFrom(tc.typ, tc.res, tc.org); got != tc.want {
			t.Errorf("%s from %s: %s, want %s", tc.typ, tc.org, got, tc.want)
		}
	}
}
