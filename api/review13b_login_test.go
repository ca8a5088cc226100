package api_test

import "testing"

// TestReview13bRefusedLoginLookingAtTheLogNamesThePerson: review 12d made
// a refused request for a person's access-log entries ($who-accessed,
// AuditEvent?patient=, $break-glass?patient=) name that person, so their
// $who-accessed shows that someone tried to find out who looked at their
// record. That held for a user refused as not an IG officer (403), but
// the same request with a forged or expired token (401) never reached
// that code: its entry named no one, while review 12a's refused logins
// name the person their path names. Now it names the person asked about.
func TestReview13bRefusedLoginLookingAtTheLogNamesThePerson(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for _, p := range []string{
		"/fhir/AuditEvent/$who-accessed?patient=jane",
		"/fhir/AuditEvent?patient=Patient/jane",
		"/fhir/AuditEvent/$break-glass?patient=jane",
	} {
		r := e.do("GET", p, e.expiredToken(), "")
		x := e.lastEntry(t)
		if r.status != 401 || x.Status != 401 || x.Principal != nil {
			t.Fatalf("%s: %d, logged %d with user %+v", p, r.status, x.Status, x.Principal)
		}
		if x.Patient != "jane" || x.Type != "AuditEvent" {
			t.Errorf("%s with an expired token: logged patient %q, type %q; want jane, AuditEvent", p, x.Patient, x.Type)
		}
	}
	// Asking about no one, or several, names no one.
	for _, p := range []string{"/fhir/AuditEvent/$user-activity?agent=gp-user", "/fhir/AuditEvent?patient=jane,bob"} {
		e.do("GET", p, e.expiredToken(), "")
		if x := e.lastEntry(t); x.Patient != "" {
			t.Errorf("%s: logged patient %q, want none", p, x.Patient)
		}
	}
}
