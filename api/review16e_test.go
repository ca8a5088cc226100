package api_test

// Review 16e: what leaves carex other than released resources and the
// access log — the application log, /metrics, health, error answers and
// headers. Each test says whether it was seen failing before its fix or
// passed when first written.

import (
	"strings"
	"testing"
)

// TestReview16eMalformedQueryIsRefused: a query string Go cannot read
// whole — a '%' not followed by two hex digits, or a ';' (no longer a
// separator: golang.org/issue/25192) — lost the pair that held it without
// a word: GET Condition?patient=jane&code=zz%zz answered 200 with every
// Condition of Jane's the user may see, and its self link said the search
// was patient=jane alone; a typo in a code or date narrowed nothing, and
// `$everything?_type=Condition%zz` answered the whole record. carex's
// search is strict (an unknown parameter is a 400, never ignored): such a
// query is a 400 that names no value, and the access log has the request.
// Seen failing before its fix.
func TestReview16eMalformedQueryIsRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/fhir/Condition?patient=jane&code=zz%zz", ""},
		{"GET", "/fhir/Condition?patient=jane&code=http://snomed.info/sct|44054006;x", ""},
		{"GET", "/fhir/Condition?patient=jane&%zz=1", ""},
		{"GET", "/fhir/Patient/jane/$everything?_type=Condition%zz", ""},
		{"GET", "/fhir/Condition/diabetes?_elements=code%zz", ""},
		{"HEAD", "/fhir/Condition?patient=jane&code=zz%zz", ""},
		{"POST", "/fhir/Condition/_search?code=zz%zz", ""},
	} {
		n0 := e.entriesOf9b()
		r := e.do(c.method, c.path, gp, c.body)
		if r.status != 400 {
			t.Errorf("%s %s: %d, want 400: %.300s", c.method, c.path, r.status, r.body)
			continue
		}
		if strings.Contains(r.body, "zz") || c.method != "HEAD" && !strings.Contains(r.body, "OperationOutcome") {
			t.Errorf("%s %s: the 400 quotes the query or is no OperationOutcome: %s", c.method, c.path, r.body)
		}
		if n := e.entriesOf9b() - n0; n != 1 {
			t.Errorf("%s %s: %d access-log entries, want 1", c.method, c.path, n)
		}
	}
	// A well-formed query is served as before.
	if r := e.do("GET", "/fhir/Condition?patient=jane&code=http://snomed.info/sct%7C44054006", gp, ""); r.status != 200 || !strings.Contains(r.body, `"total":1`) {
		t.Errorf("a well-formed search: %d %.300s", r.status, r.body)
	}
}
