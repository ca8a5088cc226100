package search

import (
	"net/url"
	"testing"
)

// TestReview46cSoundEncodeKeepsEveryDateFilter: the paging links are built from
// Query.Encode; a date value FormatDateRange could not write back would go out as
// an empty value (ignored when parsed), page 2 of another search: none found.
func TestReview46cSoundEncodeKeepsEveryDateFilter(t *testing.T) {
	for _, d := range []string{"2016-12-31T23:59:60Z", "2020-03-04T10:00:00.1234Z", "2020-03-04T10:00:00+14:00", "0001-01-01T00:30:00+01:00",
		"9999-12-31T23:30:00-01:00", "2020-03-04T10:00", "2020-03-04T10:00:00", "2020-03-04T10:00:00.5Z", "2020-03-04T24:00:00Z"} {
		for _, p := range []string{"", "gt", "le"} {
			q, err := ParseQuery("Observation", url.Values{"date": {p + d}})
			if err != nil {
				t.Logf("%s%s: refused: %v", p, d, err)
				continue
			}
			enc := q.Encode()
			q2, err := ParseQuery("Observation", enc)
			if err != nil {
				t.Errorf("date=%s%s: the paging link's %q is refused: %v", p, d, enc.Encode(), err)
				continue
			}
			if len(q2.Clauses) != len(q.Clauses) || len(q2.Clauses) == 1 && (q2.Clauses[0].Values[0] != q.Clauses[0].Values[0]) {
				t.Errorf("date=%s%s: the paging link %q is another search: %+v against %+v", p, d, enc.Encode(), q2.Clauses, q.Clauses)
			}
		}
	}
}
