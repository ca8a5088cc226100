package auditlog

import (
	"testing"
	"time"
)

// TestEnglandBankHolidays: the years' lists as GOV.UK publishes them, but
// for 2020, whose early May holiday moved to Friday 8 May (VE Day): a
// one-off the rules do not know.
func TestEnglandBankHolidays(t *testing.T) {
	for y, want := range map[int][]string{
		2020: {"2020-01-01", "2020-04-10", "2020-04-13", "2020-05-04", "2020-05-25", "2020-08-31", "2020-12-25", "2020-12-28"},
		2021: {"2021-01-01", "2021-04-02", "2021-04-05", "2021-05-03", "2021-05-31", "2021-08-30", "2021-12-27", "2021-12-28"},
		2026: {"2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25", "2026-08-31", "2026-12-25", "2026-12-28"},
		2027: {"2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03", "2027-05-31", "2027-08-30", "2027-12-27", "2027-12-28"},
		2028: {"2028-01-03", "2028-04-14", "2028-04-17", "2028-05-01", "2028-05-29", "2028-08-28", "2028-12-25", "2028-12-26"},
	} {
		got := englandBankHolidays(y)
		if len(got) != len(want) {
			t.Fatalf("%d: %v", y, got)
		}
		for i, w := range want {
			if g := got[i].Format("2006-01-02"); g != w {
				t.Errorf("%d holiday %d: %s, want %s", y, i, g, w)
			}
		}
	}
	london, _ := time.LoadLocation("Europe/London")
	for at, want := range map[string]bool{"2026-12-25 10:00": true, "2026-12-24 10:00": false, "2026-08-31 23:59": true, "2026-09-01 00:00": false} {
		tm, _ := time.ParseInLocation("2006-01-02 15:04", at, london)
		if got := englandBankHoliday(tm); got != want {
			t.Errorf("%s: %v, want %v", at, got, want)
		}
	}
}

// TestEnglandBankHolidayFilter: the month-and-weekday filter in front of
// englandBankHoliday drops no holiday the rules give, 1990 to 2060.
func TestEnglandBankHolidayFilter(t *testing.T) {
	for y := 1990; y <= 2060; y++ {
		want := map[time.Time]bool{}
		for _, h := range englandBankHolidays(y) {
			want[h] = true
		}
		for d := time.Date(y, 1, 1, 12, 0, 0, 0, time.UTC); d.Year() == y; d = d.AddDate(0, 0, 1) {
			day := time.Date(y, d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
			if got := englandBankHoliday(d); got != want[day] {
				t.Errorf("%s: %v, want %v", d.Format("2006-01-02"), got, want[day])
			}
		}
	}
}
