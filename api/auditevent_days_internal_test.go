package api

import (
	"net/url"
	"testing"
	"time"
)

// TestAuditDatesAreDaysInTheAlertZone: an IG officer asks who opened a
// record on 7 July (AuditEvent?date=2026-07-07, or $who-accessed and the
// reports with the same parameter). Days were UTC days, so in British
// Summer Time the answer missed every access between midnight and 01:00
// on 7 July, exactly the out-of-hours ones the alerts report lists under
// that day, and included those between midnight and 01:00 on the 8th. A
// date without a time is now a day (month, year) in the zone of the
// policy's working hours, Europe/London by default, as a Consent's dates
// are (review 10c); a dateTime with a zone is that instant.
func TestAuditDatesAreDaysInTheAlertZone(t *testing.T) {
	checkAuditDates(t, []auditDateCase{
		{[]string{"2026-07-07"}, "2026-07-06T23:00:00Z", "2026-07-07T23:00:00Z"},
		{[]string{"2026-01-07"}, "2026-01-07T00:00:00Z", "2026-01-08T00:00:00Z"},
		{[]string{"2026-07"}, "2026-06-30T23:00:00Z", "2026-07-31T23:00:00Z"},
		{[]string{"2026"}, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"},
		// The clocks go forward on 29 March 2026: that day has 23 hours.
		{[]string{"2026-03-29"}, "2026-03-29T00:00:00Z", "2026-03-29T23:00:00Z"},
		{[]string{"ge2026-07-07", "lt2026-07-08"}, "2026-07-06T23:00:00Z", "2026-07-07T23:00:00Z"},
		{[]string{"gt2026-07-07"}, "2026-07-07T23:00:00Z", ""},
		{[]string{"le2026-07-07"}, "", "2026-07-07T23:00:00Z"},
		// A time without a zone is a time in England too; one with a zone
		// is that instant.
		{[]string{"ge2026-07-07T00:30"}, "2026-07-06T23:30:00Z", ""},
		{[]string{"ge2026-07-07T00:30:00Z"}, "2026-07-07T00:30:00Z", ""},
		{[]string{"ge2026-07-07T00:30:00+01:00"}, "2026-07-06T23:30:00Z", ""},
	})
}

// auditDateCase is one AuditEvent date= query and the [From, To) it must
// select (RFC 3339; "" = unbounded).
type auditDateCase struct {
	date     []string
	from, to string
}

// checkAuditDates checks each case's query bounds, with Europe/London as
// the policy's alert zone.
func checkAuditDates(t *testing.T, cases []auditDateCase) {
	t.Helper()
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range cases {
		q, err := auditQuery(url.Values{"date": c.date}, true, london, "date")
		if err != nil {
			t.Fatalf("%v: %v", c.date, err)
		}
		check := func(what string, got time.Time, want string) {
			t.Helper()
			if want == "" {
				if !got.IsZero() {
					t.Errorf("date=%v: %s %v, want unbounded", c.date, what, got.UTC())
				}
			} else if !got.Equal(at(want)) {
				t.Errorf("date=%v: %s %v, want %s", c.date, what, got.UTC(), want)
			}
		}
		check("from", q.From, c.from)
		check("to", q.To, c.to)
	}
}
