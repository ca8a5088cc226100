package api_test

import (
	"testing"
	"time"
)

// TestReview10cCareRelationshipEndsAfterItsLastDay: a CareTeam's or an
// EpisodeOfCare's period.end (and a participant's) is a FHIR date or
// dateTime whose whole span is the last part of the period: "end":
// "2026-12-04" includes all of 4 December, "2026-12" all of December (as
// consent periods and $everything's end read it). linkRelationships took
// the instant the end value starts, so the relationship ended at 00:00 UTC
// on its last day — and a care package "to 2026-12" ended on 1 December: a
// member of the team was refused (403) the person's record on the days the
// team still cared for them.
func TestReview10cCareRelationshipEndsAfterItsLastDay(t *testing.T) {
	now := time.Now().UTC()
	for _, end := range []string{now.Format("2006-01-02"), now.Format("2006-01"), now.Format("2006")} {
		for _, tc := range []struct{ name, path, body string }{
			{"care team", "/fhir/CareTeam/ward", `{"resourceType":"CareTeam","id":"ward","status":"active",
 "subject":{"reference":"Patient/jane"},"period":{"start":"2020-01-01","end":"` + end + `"},
 "participant":[{"member":{"reference":"Organization/RHX"}},{"member":{"reference":"Organization/RZZ"}}]}`},
			{"care team participant", "/fhir/CareTeam/ward", `{"resourceType":"CareTeam","id":"ward","status":"active",
 "subject":{"reference":"Patient/jane"},
 "participant":[{"member":{"reference":"Organization/RHX"}},{"member":{"reference":"Organization/RZZ"},"period":{"start":"2020-01-01","end":"` + end + `"}}]}`},
			{"episode of care", "/fhir/EpisodeOfCare/stay", `{"resourceType":"EpisodeOfCare","id":"stay","status":"active",
 "patient":{"reference":"Patient/jane"},"managingOrganization":{"reference":"Organization/RZZ"},"period":{"start":"2020-01-01","end":"` + end + `"}}`},
		} {
			t.Run(tc.name+" to "+end, func(t *testing.T) {
				e := newEnv(t)
				seedShared(t, e)
				e.putAll(t, e.token("system", "nhs", "RHX"), [2]string{tc.path, tc.body})
				member := e.token("hospital-clinician", "nhs", "RZZ")
				if time.Now().UTC().Format("2006-01-02") != now.Format("2006-01-02") {
					t.Skip("the day changed during the test")
				}
				if r := e.do("GET", "/fhir/Patient/jane/$everything", member, ""); r.status != 200 {
					t.Errorf("a %s whose period ends %s (today included) refuses its member today: %d %s", tc.name, end, r.status, r.body)
				}
			})
		}
	}
}
