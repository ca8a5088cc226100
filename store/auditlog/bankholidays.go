package auditlog

import "time"

// englandBankHoliday reports whether the day of t (in its own location) is
// a bank holiday in England and Wales by the rules that fix them: New
// Year's Day, Good Friday, Easter Monday, the first and last Mondays of
// May, the last Monday of August, Christmas Day and Boxing Day, each with
// its substitute weekday when it falls at a weekend. A one-off holiday (a
// coronation, a state funeral) is not known. Review 120b: Christmas Day
// counted as working hours.
func englandBankHoliday(t time.Time) bool {
	y, m, d := t.Date()
	// (most days are none of them, by their month and weekday alone: the
	// alerts call this for every entry they scan)
	switch wd := t.Weekday(); m {
	case time.January:
		if d > 3 {
			return false
		}
	case time.March, time.April: // Good Friday from 20 March, Easter Monday to 26 April
		if wd != time.Friday && wd != time.Monday {
			return false
		}
	case time.May, time.August:
		if wd != time.Monday {
			return false
		}
	case time.December:
		if d < 25 || d > 28 {
			return false
		}
	default:
		return false
	}
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	for _, h := range englandBankHolidays(y) {
		if h.Equal(day) {
			return true
		}
	}
	return false
}

// englandBankHolidays are year's bank holidays in England and Wales, as
// UTC midnights.
func englandBankHolidays(y int) []time.Time {
	date := func(m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	// weekday substitutes a Saturday or Sunday holiday by the Monday after
	// (taken is the day an earlier holiday of the pair already moved to).
	weekday := func(t, taken time.Time) time.Time {
		for t.Weekday() == time.Saturday || t.Weekday() == time.Sunday || t.Equal(taken) {
			t = t.AddDate(0, 0, 1)
		}
		return t
	}
	firstMonday := func(m time.Month) time.Time {
		t := date(m, 1)
		for t.Weekday() != time.Monday {
			t = t.AddDate(0, 0, 1)
		}
		return t
	}
	lastMonday := func(m time.Month) time.Time {
		t := date(m+1, 1).AddDate(0, 0, -1)
		for t.Weekday() != time.Monday {
			t = t.AddDate(0, 0, -1)
		}
		return t
	}
	easter := easterSunday(y)
	christmas := weekday(date(time.December, 25), time.Time{})
	return []time.Time{
		weekday(date(time.January, 1), time.Time{}),
		easter.AddDate(0, 0, -2),
		easter.AddDate(0, 0, 1),
		firstMonday(time.May),
		lastMonday(time.May),
		lastMonday(time.August),
		christmas,
		weekday(date(time.December, 26), christmas),
	}
}

// easterSunday is Western Easter Sunday of year y (the anonymous
// Gregorian computus: Meeus/Jones/Butcher).
func easterSunday(y int) time.Time {
	a, b, c := y%19, y/100, y%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return time.Date(y, time.Month(month), day, 0, 0, 0, 0, time.UTC)
}
