package auditlog

import (
	"fmt"
	"testing"
	"time"
)

// Review 105a: the IG officer's alerts at their edges, with fixed times
// (the Alerter takes each entry's own time).

// TestReview105aSoundOutOfHoursEdgesInLondon: working hours are 07:00 to
// 19:00 by the London clock, BST or GMT: 07:30 BST (06:30 UTC) and 18:30
// GMT are in hours; 06:30 BST (05:30 UTC), 19:30 GMT and a Saturday noon
// are out. No bank holidays: the README does not claim to know them.
func TestReview105aSoundOutOfHoursEdgesInLondon(t *testing.T) {
	for _, c := range []struct {
		utc string
		out bool
	}{
		{"2026-07-07T06:30:00Z", false}, // 07:30 BST, Tuesday
		{"2026-07-07T05:30:00Z", true},  // 06:30 BST
		{"2026-07-07T18:30:00Z", true},  // 19:30 BST
		{"2026-07-07T17:59:00Z", false}, // 18:59 BST
		{"2026-12-08T19:30:00Z", true},  // 19:30 GMT, Tuesday
		{"2026-12-08T18:30:00Z", false}, // 18:30 GMT
		{"2026-12-08T07:00:00Z", false}, // 07:00 GMT
		{"2026-12-08T06:59:00Z", true},  // 06:59 GMT
		{"2026-12-12T12:00:00Z", true},  // Saturday noon
		{"2026-12-13T12:00:00Z", true},  // Sunday noon
	} {
		tm, _ := time.Parse(time.RFC3339, c.utc)
		als := Alerts([]*Entry{{Seq: 0, Time: tm, Sub: "u1", Role: "gp", Org: "A81001", Patient: "p1", Decision: "permit", Status: 200}}, Thresholds{})
		got := false
		for _, a := range als {
			got = got || a.Kind == AlertOutOfHours
		}
		if got != c.out {
			t.Errorf("%s: out-of-hours alert %v, want %v", c.utc, got, c.out)
		}
	}
}

// TestReview105aSoundVolumeThresholdIsMoreThanN: the README's "more than
// 50 patients in an hour" (alert-patients-per-hour 50): 50 distinct
// patients in 59 minutes raise nothing, 51 raise one alert; 51 spread so
// that no 60 minutes hold more than 50 raise nothing.
func TestReview105aSoundVolumeThresholdIsMoreThanN(t *testing.T) {
	t0, _ := time.Parse(time.RFC3339, "2026-12-08T10:00:00Z")
	run := func(n int, step time.Duration) int {
		var es []*Entry
		for i := 0; i < n; i++ {
			es = append(es, &Entry{Seq: int64(i), Time: t0.Add(time.Duration(i) * step), Sub: "u1", Role: "gp", Org: "A81001", Patient: fmt.Sprintf("p%d", i), Decision: "permit", Status: 200})
		}
		k := 0
		for _, a := range Alerts(es, Thresholds{}) {
			if a.Kind == AlertVolume {
				k++
			}
		}
		return k
	}
	if k := run(50, time.Minute); k != 0 {
		t.Errorf("50 patients in 49 minutes: %d volume alerts, want 0", k)
	}
	if k := run(51, time.Minute); k != 1 {
		t.Errorf("51 patients in 50 minutes: %d volume alerts, want 1", k)
	}
	if k := run(51, 72*time.Second+time.Second); k != 0 {
		t.Errorf("51 patients over 61 minutes (never more than 50 in 60): %d volume alerts, want 0", k)
	}
}
