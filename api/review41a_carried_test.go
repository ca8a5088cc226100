package api_test

import (
	"strings"
	"testing"
)

// carer41a: the council's RelatedPerson in Jane's record for her carer,
// carrying NHS number n (the carer's old record's), with an address and
// phone.
func carer41a(t *testing.T, e *env, n string) {
	t.Helper()
	e.putAll(t, e.token("system", "council", "E06000999"),
		[2]string{"/fhir/RelatedPerson/jane-carer41", `{"resourceType":"RelatedPerson","id":"jane-carer41","patient":{"reference":"Patient/jane"},
			"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + n + `"}],
			"relationship":[{"text":"carer"}],"name":[{"family":"Doyle"}],
			"address":[{"line":["CARER41-ADDR 1 Hidden Lane"],"postalCode":"LS9 7TF"}],"telecom":[{"system":"phone","value":"01134960741"}]}`})
}

func carerLeaks41a(body string) bool {
	return strings.Contains(body, "CARER41-ADDR") || strings.Contains(body, "01134960741")
}

// TestReview41aRestrictedLinkerByReferenceReachesCarriedCopy: review 38c
// F3 made a record a restricted person's Patient links to (by reference)
// restricted itself: its own read goes out without address. The same
// person's demographics carried elsewhere under that record's NHS number
// (Jane's carer, a RelatedPerson in Jane's record, carrying the number
// of the carer's old record, Patient/m41-old) are judged by the number
// alone (gate.restrictedNumbers → numberInfo), which finds the Patients
// carrying it and linking to it by number, not those linking to the
// carrier by reference. SPEC §5: a restricted person's address and phone
// never leave the source organisation.
func TestReview41aRestrictedLinkerByReferenceReachesCarriedCopy(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Patient/m41-old", `{"resourceType":"Patient","id":"m41-old","active":false,
		"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],"name":[{"family":"Doyle"}]}`})
	carer41a(t, e, "999 000 0018")
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/RelatedPerson/jane-carer41", nurse, ""); r.status != 200 || !carerLeaks41a(r.body) {
		t.Fatalf("the premise: the nurse reads Jane's carer with her address while nothing is restricted: %d %.300s", r.status, r.body)
	}
	// Margaret's current record, restricted (a refuge), replaces her old one.
	e.putAll(t, gp, [2]string{"/fhir/Patient/m41", `{"resourceType":"Patient","id":"m41",` + rLabel21a + `,
		"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000026"}],"name":[{"family":"Doyle"}],
		"link":[{"other":{"reference":"Patient/m41-old"},"type":"replaces"}]}`})
	for _, p := range []string{"/fhir/RelatedPerson/jane-carer41", "/fhir/RelatedPerson?patient=jane", "/fhir/Patient/jane/$everything",
		"/fhir/RelatedPerson/jane-carer41/_history/1", "/fhir/Patient?_id=jane&_revinclude=RelatedPerson:patient"} {
		if r := e.do("GET", p, nurse, ""); carerLeaks41a(r.body) {
			t.Errorf("GET %s (district nurse RCX): the carer's address and phone, though her restricted record links to the record carrying this number: %d …%s…",
				p, r.status, snippet41a(r.body))
		}
	}
}

// TestReview41aSoundRestrictedLinkerByNumberReachesCarriedCopy: the same,
// the restricted record linking to the old number by identifier: the
// carer goes out without address (numberInfo finds the linker).
func TestReview41aSoundRestrictedLinkerByNumberReachesCarriedCopy(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	carer41a(t, e, "999 000 0018")
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/RelatedPerson/jane-carer41", nurse, ""); r.status != 200 || !carerLeaks41a(r.body) {
		t.Fatalf("the premise: %d %.300s", r.status, r.body)
	}
	e.putAll(t, gp, [2]string{"/fhir/Patient/m41", `{"resourceType":"Patient","id":"m41",` + rLabel21a + `,
		"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000026"}],"name":[{"family":"Doyle"}],
		"link":[{"other":{"identifier":{"system":"http://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}},"type":"replaces"}]}`})
	for _, p := range []string{"/fhir/RelatedPerson/jane-carer41", "/fhir/RelatedPerson?patient=jane", "/fhir/Patient/jane/$everything"} {
		if r := e.do("GET", p, nurse, ""); carerLeaks41a(r.body) {
			t.Errorf("GET %s: the carer's address: %d …%s…", p, r.status, snippet41a(r.body))
		}
	}
}

// TestReview41aRestrictedLinkByReferenceReachesContainedCopy: the same
// gap by another route: the council's carer assessment for Jane holds a
// contained copy of the cared-for person carrying the old record's number
// (m41-old), whose restricted current record m41 links replaces to it by
// reference. The copy goes out to Jane's nurse with its address.
func TestReview41aRestrictedLinkByReferenceReachesContainedCopy(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Patient/m41-old", `{"resourceType":"Patient","id":"m41-old","active":false,
		"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],"name":[{"family":"Doyle"}]}`},
		[2]string{"/fhir/Patient/m41", `{"resourceType":"Patient","id":"m41",` + rLabel21a + `,
		"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000026"}],"name":[{"family":"Doyle"}],
		"link":[{"other":{"reference":"Patient/m41-old"},"type":"replaces"}]}`})
	council := e.token("system", "council", "E06000999")
	e.putAll(t, council,
		[2]string{"/fhir/Task/jane-carer41", `{"resourceType":"Task","id":"jane-carer41","status":"requested","intent":"order","for":{"reference":"Patient/jane"},"code":{"text":"CARER41-ASSESSMENT"},
		 "contained":[{"resourceType":"Patient","id":"cared","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"999 000 0018"}],"name":[{"family":"Doyle"}],
		   "address":[{"line":["CARER41-ADDR 1 Hidden Lane"],"postalCode":"LS9 7TF"}],"telecom":[{"system":"phone","value":"01134960741"}]}],
		 "input":[{"type":{"text":"cared-for person"},"valueReference":{"reference":"#cared"}}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, p := range []string{"/fhir/Task/jane-carer41", "/fhir/Task?patient=jane", "/fhir/Patient/jane/$everything"} {
		r := e.do("GET", p, nurse, "")
		if !strings.Contains(r.body, "CARER41-ASSESSMENT") {
			t.Fatalf("premise: GET %s: %d %.300s", p, r.status, r.body)
		}
		if carerLeaks41a(r.body) {
			t.Errorf("GET %s: the contained copy's address, though the restricted record m41 links to the record carrying its number: …%s…", p, snippet41a(r.body))
		}
	}
}

// TestReview41aRestrictedOutgoingLinkReachesCarriedCopy: the other
// direction (before 38c): the old record m41-old itself links
// replaced-by to the restricted m41 by reference.
func TestReview41aRestrictedOutgoingLinkReachesCarriedCopy(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Patient/m41", `{"resourceType":"Patient","id":"m41",` + rLabel21a + `,
		"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000026"}],"name":[{"family":"Doyle"}]}`},
		[2]string{"/fhir/Patient/m41-old", `{"resourceType":"Patient","id":"m41-old","active":false,
		"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],"name":[{"family":"Doyle"}],
		"link":[{"other":{"reference":"Patient/m41"},"type":"replaced-by"}]}`})
	carer41a(t, e, "999 000 0018")
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, p := range []string{"/fhir/RelatedPerson/jane-carer41", "/fhir/Patient/jane/$everything"} {
		if r := e.do("GET", p, nurse, ""); carerLeaks41a(r.body) {
			t.Errorf("GET %s: the carer's address though the record carrying her number links replaced-by to her restricted record: %d …%s…", p, r.status, snippet41a(r.body))
		}
	}
}

// snippet41a: the body around the first of the carer's address or phone.
func snippet41a(body string) string {
	i := strings.Index(body, "CARER41-ADDR")
	if i < 0 {
		i = strings.Index(body, "01134960741")
	}
	if i < 0 {
		return ""
	}
	return body[max(0, i-80):min(len(body), i+120)]
}
