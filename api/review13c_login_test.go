package api_test

import "testing"

// TestReview13cRefusedLoginNamesThePersonInEverySearchForm: review 13b
// made a search refused with 401 (a forged, stolen or expired token) name
// the one person its query names, as the same search with a working token
// is logged, but it read only GET and only patient=ID, subject=Patient/ID
// and _id= written once: Condition?subject:Patient=jane, patient:Patient=
// jane, patient=Patient/jane given twice, and POST /fhir/Condition/_search?
// patient=jane (the parameters in the URL) named Jane with a working token
// and no one with an expired one, so IG's $who-accessed?patient=jane did not
// list those attempts. Now the query is read as the search reads it (the
// body of a refused POST still is not).
func TestReview13cRefusedLoginNamesThePersonInEverySearchForm(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	expired := e.expiredToken()
	for _, c := range []struct{ method, path string }{
		{"GET", "/fhir/Condition?subject:Patient=jane"},
		{"GET", "/fhir/Condition?patient:Patient=jane"},
		{"GET", "/fhir/Condition?patient=Patient/jane&patient=Patient/jane"},
		{"POST", "/fhir/Condition/_search?patient=jane"},
		{"POST", "/fhir/Patient/_search?_id=jane"},
	} {
		hdr := []string{}
		if c.method == "POST" {
			hdr = []string{"Content-Type", "application/x-www-form-urlencoded"}
		}
		ok := e.do(c.method, c.path, gp, "", hdr...)
		want := e.lastEntry(t)
		r := e.do(c.method, c.path, expired, "", hdr...)
		got := e.lastEntry(t)
		if r.status != 401 || got.Status != 401 {
			t.Fatalf("%s %s: %d, logged %d", c.method, c.path, r.status, got.Status)
		}
		if got.Patient != want.Patient {
			t.Errorf("%s %s: with a working token (%d) logged patient %q; with an expired one %q", c.method, c.path, ok.status, want.Patient, got.Patient)
		}
	}
}
