package api_test

import (
	"strings"
	"testing"
)

// TestReview13aRelatedPersonWhoIsARestrictedPerson: a RelatedPerson in
// Jane's record whose NHS number is that of Margaret, a restricted person
// (she is Jane's carer), carries Margaret's demographics as surely as a
// copy of her Patient inside Jane's items does (review 11a), but only
// copies inside an item were checked by number: the district nurse read
// the council's record of Jane's carer with Margaret's address and phone.
func TestReview13aRelatedPersonWhoIsARestrictedPerson(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedRestricted(t, e)
	e.putAll(t, e.token("system", "council", "E06000999"),
		[2]string{"/fhir/RelatedPerson/jane-carer", `{"resourceType":"RelatedPerson","id":"jane-carer","patient":{"reference":"Patient/jane"},
			"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"999 000 0069"}],
			"relationship":[{"text":"carer"}],"name":[{"family":"Doyle"}],
			"address":[{"line":["CARER-ADDR 1 Hidden Lane"]}],"telecom":[{"system":"phone","value":"01134960777"}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, path := range []string{"/fhir/RelatedPerson/jane-carer", "/fhir/Patient/jane/$everything"} {
		r := e.do("GET", path, nurse, "")
		if r.status != 200 || !strings.Contains(r.body, "jane-carer") {
			t.Fatalf("the premise: GET %s: %d %.300s", path, r.status, r.body)
		}
		if strings.Contains(r.body, "CARER-ADDR") || strings.Contains(r.body, "01134960777") {
			t.Errorf("GET %s releases the restricted carer's address or phone: %.600s", path, r.body)
		}
	}
}
