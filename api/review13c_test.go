package api_test

import (
	"strings"
	"testing"
)

// putRestrictedCarer13c: the council's record of Jane's carer, a
// RelatedPerson in Jane's record carrying the NHS number of Margaret, a
// restricted person (seedRestricted), with her refuge address and phone.
func putRestrictedCarer13c(t *testing.T, e *env) {
	t.Helper()
	e.putAll(t, e.token("system", "council", "E06000999"),
		[2]string{"/fhir/RelatedPerson/jane-carer", `{"resourceType":"RelatedPerson","id":"jane-carer","patient":{"reference":"Patient/jane"},
			"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"999 000 0069"}],
			"relationship":[{"text":"carer"}],"name":[{"family":"Doyle"}],
			"address":[{"line":["CARER-ADDR 1 Hidden Lane"],"postalCode":"LS9 7TF"}],"telecom":[{"system":"phone","value":"01134960777"}]}`})
}

// TestReview13cRestrictedCarerAnswersNoSearchOnHerAddress: review 13a
// released the RelatedPerson of a carer who is a restricted person without
// her address and phone, but a search on those elements still answered
// for them: Jane's district nurse asking RelatedPerson?patient=jane&
// address-postalcode=LS9 found the carer and =ZZ1 did not (phone= alike),
// so the nurse could confirm Margaret's refuge postcode and phone number
// guess by guess, as review 5c had stopped for her own Patient record.
// Such a search now does not see her at all, silently, for a hit and a
// miss alike; the council, her record's source, searches as before.
func TestReview13cRestrictedCarerAnswersNoSearchOnHerAddress(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedRestricted(t, e)
	putRestrictedCarer13c(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/RelatedPerson?patient=jane", nurse, ""); r.status != 200 || !strings.Contains(r.body, "jane-carer") {
		t.Fatalf("the premise: the nurse's plain search finds the carer: %d %.300s", r.status, r.body)
	}
	for _, probe := range []struct{ hit, miss string }{
		{"address-postalcode=LS9", "address-postalcode=ZZ1"},
		{"address=CARER-ADDR", "address=Nowhere"},
		{"phone=01134960777", "phone=01134960000"},
		{"_sort=address-postalcode", "_sort=-address-postalcode"},
	} {
		hit := e.do("GET", "/fhir/RelatedPerson?patient=jane&"+probe.hit, nurse, "")
		if hit.status != 200 || strings.Contains(hit.body, "jane-carer") || strings.Contains(hit.body, "confidential-items") {
			t.Errorf("%s: %d, want no match and no word of anything withheld: %.400s", probe.hit, hit.status, hit.body)
		}
		miss := e.do("GET", "/fhir/RelatedPerson?patient=jane&"+probe.miss, nurse, "")
		if strings.Contains(miss.body, "confidential-items") {
			t.Errorf("%s says something was withheld: %.400s", probe.miss, miss.body)
		}
		council := e.token("social-worker", "council", "E06000999")
		if r := e.do("GET", "/fhir/RelatedPerson?patient=jane&"+probe.hit, council, ""); !strings.Contains(r.body, "jane-carer") {
			t.Errorf("her source organisation's %s: %.300s", probe.hit, r.body)
		}
	}
}

// TestReview13cPersonCarryingARestrictedNumber: a probe of review 13a's
// RelatedPerson fix by another route: the council's Person record (a
// person-level record linking to Jane's Patient) carrying Margaret's NHS
// number and her refuge address and phone, read by Jane's district nurse
// directly, by search, in $everything and by vread. Passed when first
// written: a Person names the Patients it links to and the person its NHS
// number is (review 12b), and the nurse was not shown it at all (404,
// absent from the search and $everything); it fails should it ever be
// released with her address or phone.
func TestReview13cPersonCarryingARestrictedNumber(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedRestricted(t, e)
	e.putAll(t, e.token("system", "council", "E06000999"),
		[2]string{"/fhir/Person/jane-carer-person", `{"resourceType":"Person","id":"jane-carer-person",
			"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"999 000 0069"}],
			"name":[{"family":"Doyle"}],"link":[{"target":{"reference":"Patient/jane"}}],
			"address":[{"line":["PERSON-ADDR 1 Hidden Lane"]}],"telecom":[{"system":"phone","value":"01134960778"}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, path := range []string{"/fhir/Person/jane-carer-person", "/fhir/Person?_id=jane-carer-person",
		"/fhir/Patient/jane/$everything", "/fhir/Person/jane-carer-person/_history/1"} {
		r := e.do("GET", path, nurse, "")
		if strings.Contains(r.body, "PERSON-ADDR") || strings.Contains(r.body, "01134960778") {
			t.Errorf("GET %s releases the restricted person's address or phone: %d %.400s", path, r.status, r.body)
		}
	}
}
