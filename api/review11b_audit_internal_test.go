package api

import "testing"

// TestReview11bAuditTimeInTheRepeatedHour: when the clocks go back (25
// October 2026 in England) the hour from 01:00 to 02:00 happens twice, in
// British Summer Time (00:00-01:00 UTC) and again in GMT (01:00-02:00 UTC).
// An IG officer asking for the accesses "at 01:30" that night
// (AuditEvent?date=2026-10-25T01:30, a time without a zone, read in the
// alert zone since bd43aad) got only the GMT minute: the access at 01:30 BST
// was left out, and ge01:30 left out the first 01:30-02:00 too. A time in
// the repeated hour now covers both of its occurrences: eq from the first to
// the end of the second, ge from the first, le to the end of the second.
// The 25-hour day itself was already whole.
func TestReview11bAuditTimeInTheRepeatedHour(t *testing.T) {
	checkAuditDates(t, []auditDateCase{
		{[]string{"2026-10-25T01:30"}, "2026-10-25T00:30:00Z", "2026-10-25T01:31:00Z"},
		{[]string{"2026-10-25T01:30:15"}, "2026-10-25T00:30:15Z", "2026-10-25T01:30:16Z"},
		{[]string{"ge2026-10-25T01:30"}, "2026-10-25T00:30:00Z", ""},
		{[]string{"le2026-10-25T01:30"}, "", "2026-10-25T01:31:00Z"},
		{[]string{"gt2026-10-25T01:30"}, "2026-10-25T01:31:00Z", ""},
		{[]string{"lt2026-10-25T01:30"}, "", "2026-10-25T00:30:00Z"},
		// Either side of the repeated hour, one instant each.
		{[]string{"2026-10-25T00:59"}, "2026-10-24T23:59:00Z", "2026-10-25T00:00:00Z"},
		{[]string{"2026-10-25T02:00"}, "2026-10-25T02:00:00Z", "2026-10-25T02:01:00Z"},
		// The 25-hour day.
		{[]string{"2026-10-25"}, "2026-10-24T23:00:00Z", "2026-10-26T00:00:00Z"},
		// A zone says which 01:30 it is.
		{[]string{"2026-10-25T01:30:00+01:00"}, "2026-10-25T00:30:00Z", "2026-10-25T00:30:01Z"},
	})
}
