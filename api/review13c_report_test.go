package api_test

import (
	"html"
	"strings"
	"testing"
)

// TestReview13cPrintableReportTitleShowsAsWritten: review 13b printed a
// character that does not show as written as [U+XXXX] in every cell and
// line of a printable report, but not in its title, which repeats the
// patient or user asked about as the query wrote them: a link to
// $who-accessed?patient=…%E2%80%AE…&_format=text (or agent= of
// $user-activity) sent to an IG officer printed a carriage return, an
// escape sequence or a right-to-left override at the head of the report,
// so that it read as the report on another person. Now the title is shown
// as written too.
func TestReview13cPrintableReportTitleShowsAsWritten(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	ig := e.token("ig-officer", "nhs", "A81001")
	for _, p := range []string{
		"/fhir/AuditEvent/$who-accessed?patient=bob%0Djane%1B[K%E2%80%AEen",
		"/fhir/AuditEvent/$user-activity?agent=gp-user%0Dother%E2%80%AEen",
		"/fhir/AuditEvent/$break-glass?patient=bob%0Djane%E2%80%AEen",
	} {
		for _, f := range []string{"text", "html"} {
			r := e.do("GET", p+"&_format="+f, ig, "")
			if r.status != 200 {
				t.Errorf("%s (%s): %d %.300s", p, f, r.status, r.body)
				continue
			}
			if h := hiddenRunes13b(r.body); len(h) > 0 {
				t.Errorf("%s (%s) holds characters that do not show as written: %q\n%.300q", p, f, string(h), r.body)
			}
			if !strings.Contains(html.UnescapeString(r.body), "[U+202E]") {
				t.Errorf("%s (%s) does not show the override: %.300q", p, f, r.body)
			}
		}
	}
}
