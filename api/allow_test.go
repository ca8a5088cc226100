package api_test

import "testing"

// TestMethodNotAllowedSaysWhatIs: every 405 lists the methods the
// resource allows (RFC 9110 §15.5.6).
func TestMethodNotAllowedSaysWhatIs(t *testing.T) {
	e := newEnv(t)
	gp := e.token("gp", "nhs", "A81001")
	for _, c := range []struct{ method, path, allow string }{
		{"PATCH", "/fhir/Patient/jane", "GET, HEAD, PUT, DELETE"},
		{"POST", "/fhir/AuditEvent", "GET, HEAD"},
		{"DELETE", "/fhir/AuditEvent/1", "GET, HEAD"},
		{"DELETE", "/fhir/metadata", ""}, // Echo's own 405: whatever it lists, it lists something
	} {
		r := e.do(c.method, c.path, gp, "{}")
		if r.status != 405 || r.header.Get("Allow") == "" || c.allow != "" && r.header.Get("Allow") != c.allow {
			t.Errorf("%s %s: %d, Allow %q, want 405 and %q", c.method, c.path, r.status, r.header.Get("Allow"), c.allow)
		}
	}
}
