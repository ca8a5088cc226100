package api_test

import (
	"strings"
	"testing"
)

// TestFormatNegotiation: what carex does not produce is a 406 with a JSON
// OperationOutcome; every way of asking for JSON keeps working, and the IG
// reports still come as text and HTML.
func TestFormatNegotiation(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	ig := e.token("ig-officer", "nhs", "A81001")
	for _, c := range []struct {
		path, accept string
		want         int
	}{
		{"/fhir/Patient/jane", "", 200},
		{"/fhir/Patient/jane?_format=json", "", 200},
		{"/fhir/Patient/jane?_format=", "", 200},
		{"/fhir/Patient/jane?_format=application/fhir+json", "", 200},
		{"/fhir/Patient/jane?_format=application%2Ffhir%2Bjson", "", 200},
		{"/fhir/Patient/jane?_format=application/json", "", 200},
		{"/fhir/Patient/jane", "application/fhir+json", 200},
		{"/fhir/Patient/jane", "application/json", 200},
		{"/fhir/Patient/jane", "*/*", 200},
		{"/fhir/Patient/jane", "application/fhir+xml, application/fhir+json;q=0.5", 200},
		{"/fhir/Patient/jane", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", 200},
		{"/fhir/Patient/jane?_format=json", "application/fhir+xml", 200}, // _format wins
		{"/fhir/Patient?_id=jane&_format=json", "", 200},
		{"/fhir/metadata", "application/fhir+json", 200},
		{"/fhir/Patient/jane?_format=xml", "", 406},
		{"/fhir/Patient/jane?_format=application/fhir+xml", "", 406},
		{"/fhir/Patient/jane?_format=ttl", "", 406},
		{"/fhir/Patient/jane", "application/fhir+xml", 406},
		{"/fhir/Patient/jane", "application/fhir+json;q=0, application/xml", 406},
		{"/fhir/Patient?_id=jane&_format=xml", "", 406},
		{"/fhir/metadata?_format=xml", "", 406},
		{"/fhir/Patient/jane/$everything", "application/fhir+xml", 406},
		{"/fhir/Patient/jane?_format=html", "", 406}, // only the IG reports are printable
	} {
		r := e.do("GET", c.path, gp, "", "Accept", c.accept)
		if r.status != c.want {
			t.Errorf("GET %s Accept %q: %d %.200s; want %d", c.path, c.accept, r.status, r.body, c.want)
		}
		if c.want == 406 && (!strings.Contains(r.body, `"OperationOutcome"`) || !strings.HasPrefix(r.header.Get("Content-Type"), "application/fhir+json")) {
			t.Errorf("GET %s Accept %q: 406 as %s %.200s; want an OperationOutcome in JSON", c.path, c.accept, r.header.Get("Content-Type"), r.body)
		}
	}
	for _, c := range []struct {
		path, accept string
		want         int
	}{
		{"/fhir/AuditEvent/$who-accessed?patient=jane&_format=html", "", 200},
		{"/fhir/AuditEvent/$who-accessed?patient=jane&_format=text", "", 200},
		{"/fhir/AuditEvent/$who-accessed?patient=jane", "text/html", 200},
		{"/fhir/AuditEvent/$who-accessed?patient=jane&_format=xml", "", 406},
		{"/fhir/AuditEvent?patient=jane", "application/fhir+xml", 406},
	} {
		if r := e.do("GET", c.path, ig, "", "Accept", c.accept); r.status != c.want {
			t.Errorf("IG GET %s Accept %q: %d %.200s; want %d", c.path, c.accept, r.status, r.body, c.want)
		}
	}
}
