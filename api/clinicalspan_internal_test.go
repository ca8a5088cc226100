package api

import (
	"testing"
	"time"
)

// TestClinicalSpan: an item's dates as the sharing decision takes them.
// Whole UTC days (how the index reads a date without a time) become the
// same days in England; an instant has no end; an ongoing period runs to
// 9999 and starts on its day in England too.
func TestClinicalSpan(t *testing.T) {
	ms := func(s string) int64 {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.UnixMilli()
	}
	for _, c := range []struct{ lo, hi, start, end string }{
		{"2015-05-01T00:00:00Z", "2015-05-31T23:59:59.999Z", "2015-04-30T23:00:00Z", "2015-05-31T22:59:59.999Z"}, // May 2015, BST
		{"2015-01-01T00:00:00Z", "2015-12-31T23:59:59.999Z", "2015-01-01T00:00:00Z", "2015-12-31T23:59:59.999Z"}, // 2015, GMT at both ends
		{"2015-06-01T09:30:00Z", "2015-06-01T09:30:00.999Z", "2015-06-01T09:30:00Z", ""},                         // an instant
		{"2015-06-01T00:00:00Z", "9999-12-31T23:59:59.999Z", "2015-05-31T23:00:00Z", "9999-12-31T23:59:59.999Z"}, // ongoing from 1 June
		{"2015-06-01T09:30:00Z", "2015-06-03T17:00:00.999Z", "2015-06-01T09:30:00Z", "2015-06-03T17:00:00.999Z"}, // a period of instants
	} {
		start, end := clinicalSpan(ms(c.lo), ms(c.hi))
		gotEnd := ""
		if !end.IsZero() {
			gotEnd = end.Format(time.RFC3339Nano)
		}
		wantStart, _ := time.Parse(time.RFC3339Nano, c.start)
		wantEnd := ""
		if c.end != "" {
			e, _ := time.Parse(time.RFC3339Nano, c.end)
			wantEnd = e.Format(time.RFC3339Nano)
		}
		if !start.Equal(wantStart) || gotEnd != wantEnd {
			t.Errorf("clinicalSpan(%s, %s) = %s, %s; want %s, %s", c.lo, c.hi, start.Format(time.RFC3339Nano), gotEnd, c.start, wantEnd)
		}
	}
}
