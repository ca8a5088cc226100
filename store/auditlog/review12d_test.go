package auditlog

import (
	"fmt"
	"slices"
	"testing"
)

// TestReview12dOutOfHoursNightAcrossTheClocksChanging: an out-of-hours
// alert groups a user's accesses by night (a night belongs to the day
// before it: 19:00 to 07:00), but the night was found by taking 7 hours of
// real time off the access, not 7 hours of the clock, so on the nights the
// clocks change the hour next to 07:00 went to the wrong night: on Sunday
// 25 October 2026 (clocks back) an access at 06:30 was put with Sunday's
// day, not with Saturday night's accesses; on Sunday 29 March 2026 (clocks
// forward) one at 07:30 was put with Saturday night. Weekends count as
// working hours in most cases here, so that only the night is out of hours.
func TestReview12dOutOfHoursNightAcrossTheClocksChanging(t *testing.T) {
	for _, c := range []struct {
		name    string
		weekend bool     // weekends out of hours (the default)
		at      []string // Europe/London wall clock, in log order
		want    []string // "seqs" of each out-of-hours alert
	}{
		{"clocks forward, weekends out of hours: Sunday 07:30 is Sunday's, not Saturday night's", true, []string{"2026-03-28 23:00", "2026-03-29 07:30", "2026-03-29 12:00"}, []string{"[0]", "[1 2]"}},
		{"clocks back: Saturday 23:00 and Sunday 06:30 are one night", false, []string{"2026-10-24 23:00", "2026-10-25 06:30"}, []string{"[0 1]"}},
		{"clocks back: Sunday 07:30 is in hours", false, []string{"2026-10-25 07:30"}, nil},
		{"clocks back: Sunday 20:00 and Monday 06:30 are one night", false, []string{"2026-10-25 20:00", "2026-10-26 06:30"}, []string{"[0 1]"}},
		{"clocks forward: Saturday 23:00 and Sunday 06:30 are one night", false, []string{"2026-03-28 23:00", "2026-03-29 06:30"}, []string{"[0 1]"}},
		{"clocks forward: Sunday 06:59 and 19:00 are two nights", false, []string{"2026-03-29 06:59", "2026-03-29 19:00"}, []string{"[0]", "[1]"}},
		{"an ordinary night", false, []string{"2026-03-03 19:00", "2026-03-04 06:59"}, []string{"[0 1]"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var es []*Entry
			for i, at := range c.at {
				es = append(es, &Entry{Seq: int64(i), Time: london(t, at), Sub: "u1", Role: "gp", Patient: "p1", Decision: "permit", Status: 200})
			}
			var got []string
			for _, al := range Alerts(es, Thresholds{WeekendsInHours: !c.weekend}) {
				if al.Kind == AlertOutOfHours {
					got = append(got, fmt.Sprint(al.Seqs))
				}
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("out-of-hours alerts %q, want %q", got, c.want)
			}
		})
	}
}
