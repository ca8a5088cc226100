package api

import (
	"encoding/json"
	"testing"
	"time"
)

// TestClinicalSpan: an item's dates as the sharing decision takes them.
// A date without a time is a run of days in England, each end of a period
// on its own; a time keeps its zone (review 31d: explicit UTC instants on
// UTC midnights were moved, an end date with no start was not); an instant
// has no end; an ongoing period runs to 9999.
func TestClinicalSpan(t *testing.T) {
	for _, c := range []struct{ typ, res, start, end string }{
		{"Observation", `{"effectiveDateTime":"2015-05"}`, "2015-04-30T23:00:00Z", "2015-05-31T22:59:59.999Z"},                                                  // May 2015, BST
		{"Observation", `{"effectiveDateTime":"2015"}`, "2015-01-01T00:00:00Z", "2015-12-31T23:59:59.999Z"},                                                     // 2015, GMT at both ends
		{"Observation", `{"effectiveDateTime":"2015-06-01T09:30:00Z"}`, "2015-06-01T09:30:00Z", ""},                                                             // an instant
		{"Encounter", `{"period":{"start":"2015-06-01"}}`, "2015-05-31T23:00:00Z", "9999-12-31T23:59:59.999Z"},                                                  // ongoing from 1 June
		{"Encounter", `{"period":{"start":"2015-06-01T09:30:00Z","end":"2015-06-03T17:00:00Z"}}`, "2015-06-01T09:30:00Z", "2015-06-03T17:00:00.999Z"},           // a period of instants
		{"Encounter", `{"period":{"start":"2015-06-01T00:00:00Z","end":"2015-06-30T23:59:59Z"}}`, "2015-06-01T00:00:00Z", "2015-06-30T23:59:59.999Z"},           // UTC instants on midnights: not moved
		{"Encounter", `{"period":{"end":"2015-06-20"}}`, "0001-01-01T00:00:00.001Z", "2015-06-20T22:59:59.999Z"},                                                // until 20 June, in England
		{"Encounter", `{"period":{"start":"2015-06-01","end":"2015-06-20T12:00:00Z"}}`, "2015-05-31T23:00:00Z", "2015-06-20T12:00:00.999Z"},                     // a date, then an instant
		{"Task", `{"authoredOn":"2024-02-01","executionPeriod":{"start":"2015-06-02","end":"2015-06-20"}}`, "2015-06-01T23:00:00Z", "2015-06-20T22:59:59.999Z"}, // carried out, not entered
		// (review 61c: begun, not recorded; written, and taken)
		{"AllergyIntolerance", `{"onsetDateTime":"2015-06-10","recordedDate":"2024-02-02"}`, "2015-06-09T23:00:00Z", "2015-06-10T22:59:59.999Z"},
		{"AllergyIntolerance", `{"onsetDateTime":"2015-06-10","lastOccurrence":"2016-01-02","recordedDate":"2024-02-02"}`, "2015-06-09T23:00:00Z", "2016-01-02T23:59:59.999Z"},
		{"Condition", `{"onsetDateTime":"2010-03-01","abatementDateTime":"2011-01-01","recordedDate":"2024-02-02"}`, "2010-03-01T00:00:00Z", "2011-01-01T23:59:59.999Z"},
		{"Condition", `{"onsetDateTime":"2024-03-01","abatementString":"resolved","recordedDate":"2024-03-02"}`, "2024-03-01T00:00:00Z", "2024-03-01T23:59:59.999Z"},
		{"MedicationRequest", `{"authoredOn":"2015-06-10","dosageInstruction":[{"timing":{"event":["2016-01-05T09:00:00Z"]}}]}`, "2015-06-09T23:00:00Z", "2016-01-05T09:00:00.999Z"},
		{"Condition", `{"onsetString":"June 2015","recordedDate":"2024-02-02"}`, "", ""}, // when the care took place, in words: undated
		{"Condition", `{"onsetAge":{"value":65},"recordedDate":"2024-02-02"}`, "", ""},
	} {
		var res map[string]any
		if err := json.Unmarshal([]byte(c.res), &res); err != nil {
			t.Fatal(err)
		}
		lo, hi, ok := clinicalRange(c.typ, res)
		if c.start == "" {
			if ok {
				t.Errorf("%s %s: dated, want undated", c.typ, c.res)
			}
			continue
		}
		if !ok {
			t.Errorf("%s %s: no clinical date", c.typ, c.res)
			continue
		}
		start, end := clinicalSpan(lo, hi)
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
			t.Errorf("%s %s: %s, %s; want %s, %s", c.typ, c.res, start.Format(time.RFC3339Nano), gotEnd, c.start, wantEnd)
		}
	}
}
