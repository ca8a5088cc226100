package api_test

import (
	"testing"
)

// TestReview11bLeapSecondEndDoesNotKeepACareTeamForever: a CareTeam's or
// EpisodeOfCare's period (or a participant's) that ended on a leap second
// ("2016-12-31T23:59:60Z", which R4's dateTime and carex's validator
// accept) could be read neither by the Consent reading nor by search's, and
// an end that cannot be read was taken as no end: the hospital that was on
// the team until 2016 was still in a care relationship with Jane in 2026
// and read her whole record. A start read as none let it in from the
// beginning too. An end that cannot be read now ends the relationship, and
// a leap second is read as the end of its minute.
func TestReview11bLeapSecondEndDoesNotKeepACareTeamForever(t *testing.T) {
	for _, tc := range []struct{ name, path, body string }{
		{"care team", "/fhir/CareTeam/ward", `{"resourceType":"CareTeam","id":"ward","status":"active",
 "subject":{"reference":"Patient/jane"},"period":{"start":"2016-01-01","end":"2016-12-31T23:59:60Z"},
 "participant":[{"member":{"reference":"Organization/RHX"}},{"member":{"reference":"Organization/RZZ"}}]}`},
		{"care team participant", "/fhir/CareTeam/ward", `{"resourceType":"CareTeam","id":"ward","status":"active",
 "subject":{"reference":"Patient/jane"},
 "participant":[{"member":{"reference":"Organization/RHX"}},{"member":{"reference":"Organization/RZZ"},"period":{"start":"2016-01-01","end":"2016-12-31T23:59:60Z"}}]}`},
		{"episode of care", "/fhir/EpisodeOfCare/stay", `{"resourceType":"EpisodeOfCare","id":"stay","status":"active",
 "patient":{"reference":"Patient/jane"},"managingOrganization":{"reference":"Organization/RZZ"},"period":{"start":"2016-01-01","end":"2016-12-31T23:59:60Z"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			member := e.token("hospital-clinician", "nhs", "RZZ")
			before := e.do("GET", "/fhir/Patient/jane/$everything", member, "")
			e.putAll(t, e.token("system", "nhs", "RHX"), [2]string{tc.path, tc.body})
			after := e.do("GET", "/fhir/Patient/jane/$everything", member, "")
			if before.status != after.status {
				t.Errorf("a %s that ended on the leap second of 2016 changed RZZ's access in 2026: %d before it was stored, %d after", tc.name, before.status, after.status)
			}
		})
	}
}
