package api_test

import (
	"strings"
	"testing"
)

// TestReview19bReportFormatRefusalNamesPrintableCopies: the IG reports
// come as JSON and as printable text and html (README: _format=text or
// html), but an IG officer asking a report for a format carex does not
// make (_format=pdf, Accept: application/pdf) was told "carex answers in
// FHIR JSON only", sending her away from the printable copies a subject
// access request needs. Now the 406 on a report names json, text and
// html; elsewhere it still says FHIR JSON only.
func TestReview19bReportFormatRefusalNamesPrintableCopies(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	ig := e.token("ig-officer", "nhs", "A81001")
	for _, c := range []struct{ path, accept string }{
		{"/fhir/AuditEvent/$who-accessed?patient=jane&_format=pdf", ""},
		{"/fhir/AuditEvent/$alerts", "application/pdf"},
	} {
		r := e.do("GET", c.path, ig, "", "Accept", c.accept)
		if r.status != 406 || !strings.Contains(r.body, "text") || !strings.Contains(r.body, "html") || strings.Contains(r.body, "JSON only") {
			t.Errorf("%s (Accept %q): %d %s; want 406 naming the report's json, text and html", c.path, c.accept, r.status, r.body)
		}
	}
	if r := e.do("GET", "/fhir/AuditEvent/$who-accessed?patient=jane&_format=text", ig, ""); r.status != 200 {
		t.Errorf("the premise: the printable copy: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Patient/jane?_format=xml", ig, ""); r.status != 406 || !strings.Contains(r.body, "JSON only") {
		t.Errorf("a read as xml: %d %s; want 406, FHIR JSON only", r.status, r.body)
	}
}
