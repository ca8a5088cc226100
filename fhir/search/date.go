package search

import (
	"fmt"
	"time"
	_ "time/tzdata" // Europe/London on hosts without a zoneinfo database
)

// Days is where a date without a time is a day (a year, a month) when
// search indexes and searches by it: England, as the sharing decision
// reads dates (review 72c: in British Summer Time date=2024-06-05 took the
// UTC day, and a reading taken at 00:30 on 5 June was found on the 4th).
// R4: "Where both search parameters and resource element date times do
// not have time zones, the servers local time zone should be assumed."
var Days = func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic("search: Europe/London: " + err.Error()) // tzdata is embedded
	}
	return loc
}()

// ParseDate parses a FHIR date, dateTime or instant
// (YYYY, YYYY-MM, YYYY-MM-DD, YYYY-MM-DDThh:mm[:ss[.f{1,9}]][Z|(+|-)hh:mm])
// into the inclusive range [lo, hi] of Unix milliseconds it covers. Dates and
// times without a zone are taken as UTC. The range width follows the
// precision given: a year, month, day, minute, second, or 100/10/1 ms for
// 1/2/3+ fraction digits. Year 0000, hour 24 and leap second 60 are rejected;
// offsets are limited to ±14:00.
func ParseDate(s string) (lo, hi int64, err error) { return ParseDateIn(s, time.UTC) }

// ParseDateIn is ParseDate with dates and times without a zone taken in
// loc: a day there may be 23 or 25 hours long.
func ParseDateIn(s string, loc *time.Location) (lo, hi int64, err error) {
	bad := func(why string) (int64, int64, error) {
		return 0, 0, fmt.Errorf("%w: date %q: %s", ErrBadValue, s, why)
	}
	n := len(s)
	year, ok := digits(s, 0, 4)
	if !ok || year == 0 {
		return bad("expected year YYYY (0001-9999)")
	}
	if n == 4 {
		t := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
		return t.UnixMilli(), t.AddDate(1, 0, 0).UnixMilli() - 1, nil
	}
	if s[4] != '-' {
		return bad("expected '-' after year")
	}
	month, ok := digits(s, 5, 2)
	if !ok || month < 1 || month > 12 {
		return bad("invalid month")
	}
	if n == 7 {
		t := time.Date(year, time.Month(month), 1, 0, 0, 0, 0, loc)
		return t.UnixMilli(), t.AddDate(0, 1, 0).UnixMilli() - 1, nil
	}
	if n < 10 || s[7] != '-' {
		return bad("expected YYYY-MM-DD")
	}
	day, ok := digits(s, 8, 2)
	if !ok || day < 1 || day > daysIn(year, month) {
		return bad("invalid day")
	}
	if n == 10 {
		t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, loc)
		return t.UnixMilli(), t.AddDate(0, 0, 1).UnixMilli() - 1, nil
	}
	if s[10] != 'T' || n < 16 || s[13] != ':' {
		return bad("expected THH:MM after the date")
	}
	hour, ok1 := digits(s, 11, 2)
	minute, ok2 := digits(s, 14, 2)
	if !ok1 || !ok2 || hour > 23 || minute > 59 {
		return bad("invalid time")
	}
	i := 16
	sec, ms := 0, 0
	width := int64(60000)
	if i < n && s[i] == ':' {
		// A leap second (:60) and a fraction of more than nine digits are
		// valid FHIR: refused here, such a date was left out of the index,
		// and an objection to a period missed the item (review 22e).
		if sec, ok = digits(s, i+1, 2); !ok || sec > 60 {
			return bad("invalid seconds")
		}
		leap := sec == 60
		i += 3
		width = 1000
		if i < n && s[i] == '.' {
			i++
			start := i
			for i < n && s[i] >= '0' && s[i] <= '9' {
				i++
			}
			nd := i - start
			if nd == 0 {
				return bad("invalid fractional seconds")
			}
			frac := s[start:i] + "00"
			ms = int(frac[0]-'0')*100 + int(frac[1]-'0')*10 + int(frac[2]-'0')
			switch nd {
			case 1:
				width = 100
			case 2:
				width = 10
			default:
				width = 1
			}
		}
		if leap {
			sec, ms, width = 59, 999, 1 // the last instant of the minute
		}
	}
	offset, zone := 0, time.UTC
	switch {
	case i == n:
		zone = loc
	case s[i] == 'Z' && i+1 == n:
	case (s[i] == '+' || s[i] == '-') && n-i == 6 && s[i+3] == ':':
		oh, ok1 := digits(s, i+1, 2)
		om, ok2 := digits(s, i+4, 2)
		if !ok1 || !ok2 || om > 59 || oh > 14 || (oh == 14 && om != 0) {
			return bad("invalid zone offset")
		}
		offset = (oh*60 + om) * 60
		if s[i] == '-' {
			offset = -offset
		}
	default:
		return bad("invalid time or zone")
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, ms*1e6, zone)
	lo = t.UnixMilli() - int64(offset)*1000
	if zone == loc && loc != time.UTC {
		// When the clocks go back a time in the repeated hour happens
		// twice (01:30 on 25 October 2026 in England is 00:30 and 01:30
		// UTC): it covers both, from the first to the end of the second
		// (review 11b: it was the second only).
		if first, last, ok := occurrences(t, loc); ok {
			return first.UnixMilli(), last.UnixMilli() + width - 1, nil
		}
	}
	return lo, lo + width - 1, nil
}

// occurrences are the first and last instants at which the clock in loc
// shows t's wall time (the same unless the clocks went back over it); ok is
// false when it never does (the clocks went forward over it).
func occurrences(t time.Time, loc *time.Location) (first, last time.Time, ok bool) {
	wall := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	for _, probe := range []time.Time{wall.Add(-24 * time.Hour), wall, wall.Add(24 * time.Hour)} {
		_, off := probe.In(loc).Zone()
		at := wall.Add(-time.Duration(off) * time.Second)
		l := at.In(loc)
		if l.Year() != wall.Year() || l.YearDay() != wall.YearDay() || l.Hour() != wall.Hour() || l.Minute() != wall.Minute() || l.Second() != wall.Second() {
			continue
		}
		if !ok || at.Before(first) {
			first = at
		}
		if !ok || at.After(last) {
			last = at
		}
		ok = true
	}
	return first, last, ok
}

func digits(s string, at, n int) (int, bool) {
	if at+n > len(s) {
		return 0, false
	}
	v := 0
	for i := at; i < at+n; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

var (
	zoneEast = time.FixedZone("", 14*3600)
	zoneWest = time.FixedZone("", -14*3600)
)

// FormatDateRange renders a range produced by ParseDate back into a FHIR
// date string that parses to the same range. It reports false for ranges
// ParseDate cannot produce.
func FormatDateRange(lo, hi int64) (string, bool) { return FormatDateRangeIn(lo, hi, time.UTC) }

// FormatDateRangeIn is FormatDateRange for ranges ParseDateIn(…, loc)
// produces: a year, a month or a day in loc is written as one; a time
// carries its zone (UTC).
func FormatDateRangeIn(lo, hi int64, loc *time.Location) (string, bool) {
	if hi < lo {
		return "", false
	}
	w := hi - lo + 1
	if t := time.UnixMilli(lo).In(loc); t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 && t.Year() >= 1 && t.Year() <= 9999 {
		switch {
		case t.Month() == 1 && t.Day() == 1 && hi == t.AddDate(1, 0, 0).UnixMilli()-1:
			return fmt.Sprintf("%04d", t.Year()), true
		case t.Day() == 1 && hi == t.AddDate(0, 1, 0).UnixMilli()-1:
			return fmt.Sprintf("%04d-%02d", t.Year(), int(t.Month())), true
		case hi == t.AddDate(0, 0, 1).UnixMilli()-1:
			return fmt.Sprintf("%04d-%02d-%02d", t.Year(), int(t.Month()), t.Day()), true
		}
	}
	t := time.UnixMilli(lo).UTC()
	var layout string
	switch w {
	case 60000:
		layout = "2006-01-02T15:04Z07:00"
	case 1000:
		layout = "2006-01-02T15:04:05Z07:00"
	case 100:
		layout = "2006-01-02T15:04:05.0Z07:00"
	case 10:
		layout = "2006-01-02T15:04:05.00Z07:00"
	case 1:
		layout = "2006-01-02T15:04:05.000Z07:00"
	default:
		return "", false
	}
	if t.Year() < 1 {
		t = t.In(zoneEast)
	} else if t.Year() > 9999 {
		t = t.In(zoneWest)
	}
	if t.Year() < 1 || t.Year() > 9999 {
		return "", false
	}
	out := t.Format(layout)
	if l, h, err := ParseDate(out); err != nil || l != lo || h != hi {
		return "", false
	}
	return out, true
}
