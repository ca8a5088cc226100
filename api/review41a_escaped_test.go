package api_test

import (
	"strings"
	"testing"
)

// TestReview41aSoundEscapedVariantSystemOnCarriedCopy: the restricted
// Margaret's NHS number carried in Jane's record (her carer's
// RelatedPerson; a contained copy in the council's carer assessment)
// under a form of the system spelled with a JSON escape (the OID's last
// dot, or the http form's hyphen, as \u002e / \u002d): the same system
// once decoded, so the copy is hers and goes out without her address.
func TestReview41aSoundEscapedVariantSystemOnCarriedCopy(t *testing.T) {
	for _, sys := range []string{`urn:oid:2.16.840.1.113883.2.1.4\u002e1`, `http://fhir.nhs.uk/Id/nhs\u002dnumber`, `HTTPS://FHIR.NHS.UK/ID/NHS\u002dNUMBER/`} {
		t.Run(sys, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			seedRestricted(t, e)
			council := e.token("system", "council", "E06000999")
			e.putAll(t, council,
				[2]string{"/fhir/RelatedPerson/jane-carer41e", `{"resourceType":"RelatedPerson","id":"jane-carer41e","patient":{"reference":"Patient/jane"},
			"identifier":[{"system":"` + sys + `","value":"999 000 0069"}],"relationship":[{"text":"carer"}],"name":[{"family":"Doyle"}],
			"address":[{"line":["CARER41E-ADDR 1 Hidden Lane"]}],"telecom":[{"system":"phone","value":"01134960742"}]}`},
				[2]string{"/fhir/Task/jane-carer41e", `{"resourceType":"Task","id":"jane-carer41e","status":"requested","intent":"order","for":{"reference":"Patient/jane"},"code":{"text":"CARER41E-ASSESSMENT"},
		 "contained":[{"resourceType":"Patient","id":"cared","identifier":[{"system":"` + sys + `","value":"999 000 0069"}],"name":[{"family":"Doyle"}],
		   "address":[{"line":["COPY41E-ADDR 1 Hidden Lane"]}],"telecom":[{"system":"phone","value":"01134960743"}]}],
		 "input":[{"type":{"text":"cared-for person"},"valueReference":{"reference":"#cared"}}]}`})
			nurse := e.token("district-nurse", "nhs", "RCX")
			for _, p := range []string{"/fhir/RelatedPerson/jane-carer41e", "/fhir/RelatedPerson?patient=jane", "/fhir/Task/jane-carer41e", "/fhir/Patient/jane/$everything"} {
				r := e.do("GET", p, nurse, "")
				for _, s := range []string{"CARER41E-ADDR", "01134960742", "COPY41E-ADDR", "01134960743"} {
					if strings.Contains(r.body, s) {
						t.Errorf("GET %s: the restricted person's %s: %d …%s…", p, s, r.status, around21a(r.body, s))
					}
				}
			}
		})
	}
}
