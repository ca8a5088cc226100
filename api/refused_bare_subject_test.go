package api_test

import "testing"

// TestRefusedLoginNamesTheBareSubject: a search naming its person by a bare
// id in subject (Condition?subject=jane, which a working search reads as
// the Patient jane) was logged under Jane with a working token and under no
// one when refused with an expired one (review 13c's left-over), so Jane's
// $who-accessed did not list the attempt.
func TestRefusedLoginNamesTheBareSubject(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	expired := e.expiredToken()
	for _, path := range []string{"/fhir/Condition?subject=jane", "/fhir/Observation?subject=jane&code=8867-4"} {
		e.do("GET", path, gp, "")
		want := e.lastEntry(t)
		r := e.do("GET", path, expired, "")
		got := e.lastEntry(t)
		if r.status != 401 || got.Status != 401 {
			t.Fatalf("%s: %d, logged %d", path, r.status, got.Status)
		}
		if want.Patient != "jane" || got.Patient != want.Patient {
			t.Errorf("%s: with a working token logged patient %q; with an expired one %q (want jane both)", path, want.Patient, got.Patient)
		}
	}
}
