package api_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestReview87aNumberIsNotAnotherRecord: an IG officer's report asked by
// the person's NHS number (with or without spaces) is her record's, and
// lists entries naming Patient/NUMBER too, but it does not list the
// number as one of her other records (review 87a: "Who accessed the record
// of patient margaret-demo (and their other records 9990000034)", for a
// person with one record).
func TestReview87aNumberIsNotAnotherRecord(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	ig := e.token("ig-officer", "nhs", "A81001")
	e.do("GET", "/fhir/Patient/jane", e.token("gp", "nhs", "A81001"), "")
	for _, n := range []string{"943 476 5919", "9434765919"} {
		for _, rep := range []string{"$who-accessed", "$break-glass"} {
			r := e.do("GET", "/fhir/AuditEvent/"+rep+"?patient="+url.QueryEscape(n), ig, "")
			if r.status != 200 {
				t.Fatalf("%s %q: %d %.300s", rep, n, r.status, r.body)
			}
			if strings.Contains(r.body, "otherRecords") {
				t.Errorf("%s %q lists other records of a person with one: %.400s", rep, n, r.body)
			}
			txt := e.do("GET", "/fhir/AuditEvent/"+rep+"?_format=text&patient="+url.QueryEscape(n), ig, "")
			if strings.Contains(txt.body, "other records") {
				t.Errorf("%s %q text: %.300s", rep, n, txt.body)
			}
		}
		r := e.do("GET", "/fhir/AuditEvent/$who-accessed?patient="+url.QueryEscape(n), ig, "")
		if !strings.Contains(r.body, "/fhir/Patient/jane") {
			t.Errorf("the report by her number %q lacks the GP's read of her record: %.400s", n, r.body)
		}
	}
}
