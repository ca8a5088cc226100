package api_test

import (
	"strings"
	"testing"
)

// TestReview19bUnknownPathOrMethodSaysWhat: a client asking for an
// operation carex does not have (GET Patient/jane/$summary), a path it
// does not serve, or a method a path does not answer (POST
// Patient/jane/$explain) got Echo's bare "Not Found" or "Method Not
// Allowed" as the OperationOutcome's whole message, where SPEC §3 and the
// README promise a message that says what went wrong and what to do (a
// mistyped $everything read like a missing patient). Now the 404 names
// the unknown operation or path and points at /fhir/metadata, and the 405
// names the method and the methods the path answers; statuses and the
// Allow header are as before.
func TestReview19bUnknownPathOrMethodSaysWhat(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	ig := e.token("ig-officer", "nhs", "A81001")
	cases := []struct {
		method, path, token string
		status              int
		want                []string
	}{
		{"GET", "/fhir/Patient/jane/$summary", gp, 404, []string{"$summary", "/fhir/metadata"}},
		{"GET", "/fhir/Patient/jane/everything", gp, 404, []string{"/fhir/Patient/jane/everything", "/fhir/metadata"}},
		{"GET", "/fhir/Condition/x/y/z/w", gp, 404, []string{"/fhir/metadata"}},
		{"POST", "/fhir/Patient/jane/$explain", ig, 405, []string{"POST", "GET"}},
		{"DELETE", "/fhir/_history", gp, 405, []string{"DELETE", "GET"}},
	}
	for _, c := range cases {
		r := e.do(c.method, c.path, c.token, "")
		if r.status != c.status {
			t.Errorf("%s %s: %d %s, want %d", c.method, c.path, r.status, r.body, c.status)
			continue
		}
		if strings.Contains(r.body, `"Not Found"`) || strings.Contains(r.body, `"Method Not Allowed"`) {
			t.Errorf("%s %s: a bare status text: %s", c.method, c.path, r.body)
		}
		for _, w := range c.want {
			if !strings.Contains(r.body, w) {
				t.Errorf("%s %s: %s does not say %q", c.method, c.path, r.body, w)
			}
		}
		if c.status == 405 && !strings.Contains(r.header.Get("Allow"), "GET") {
			t.Errorf("%s %s: Allow %q", c.method, c.path, r.header.Get("Allow"))
		}
	}
}

// TestReview19bMetadataHeaders: the README promises that every answer
// under /fhir carries Cache-Control: no-store and X-Content-Type-Options:
// nosniff; GET and HEAD /fhir/metadata, the one answer written outside
// the access stage, carried neither (its OPTIONS and its errors did).
// Now it carries both.
func TestReview19bMetadataHeaders(t *testing.T) {
	e := newEnv(t)
	for _, m := range []string{"GET", "HEAD"} {
		r := e.do(m, "/fhir/metadata", "", "")
		if r.status != 200 || r.header.Get("Cache-Control") != "no-store" || r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s /fhir/metadata: %d Cache-Control %q X-Content-Type-Options %q", m, r.status, r.header.Get("Cache-Control"), r.header.Get("X-Content-Type-Options"))
		}
	}
}
