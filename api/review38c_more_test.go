package api_test

import (
	"strings"
	"testing"
)

// Review 38c, beside the reviewer's probes (review38c_test.go).

// TestReview38cNHSNumberUnderOtherSystemFormIsChecked: an NHS number
// under another form of its system (http, a trailing slash, another case,
// the OID) is checked as one on write (SPEC §7: 422 when it fails the
// modulus-11 check), and a valid one is found by search under any form of
// the system; the body keeps the system as written.
func TestReview38cNHSNumberUnderOtherSystemFormIsChecked(t *testing.T) {
	e := newEnv(t)
	hosp := e.token("system", "nhs", "RHX")
	for i, sys := range []string{"http://fhir.nhs.uk/Id/nhs-number", "https://fhir.nhs.uk/Id/nhs-number/", "HTTPS://FHIR.NHS.UK/ID/NHS-NUMBER", "urn:oid:2.16.840.1.113883.2.1.4.1"} {
		id := "form38-" + string(rune('a'+i))
		bad := `{"resourceType":"Patient","id":"` + id + `","identifier":[{"system":"` + sys + `","value":"9434765918"}]}`
		if r := e.do("PUT", "/fhir/Patient/"+id, hosp, bad); r.status != 422 {
			t.Errorf("PUT a Patient whose NHS number under %s fails its check: %d %.300s", sys, r.status, r.body)
		}
		good := strings.Replace(bad, "9434765918", "943 476 5919", 1)
		if r := e.do("PUT", "/fhir/Patient/"+id, hosp, good); r.status != 201 {
			t.Fatalf("PUT under %s: %d %.300s", sys, r.status, r.body)
		}
		if r := e.do("GET", "/fhir/Patient/"+id, hosp, ""); !strings.Contains(r.body, `"system":"`+sys+`"`) {
			t.Errorf("the stored body's system is not as written (%s): %.300s", sys, r.body)
		}
	}
	for _, q := range []string{"identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919", "identifier=http://fhir.nhs.uk/Id/nhs-number|943%20476%205919", "identifier=9434765919"} {
		r := e.do("GET", "/fhir/Patient?"+q, hosp, "")
		if n := strings.Count(r.body, `"id":"form38-`); n != 4 {
			t.Errorf("GET Patient?%s: %d of the 4 Patients carrying it: %d %.300s", q, n, r.status, r.body)
		}
	}
}
