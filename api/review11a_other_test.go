package api_test

import (
	"strings"
	"testing"
)

// TestReview11aOtherPersonsItemCarryingHerCopy: review 10a redacted the
// copies of a restricted person's demographics inside her own items
// only. The council's carer's assessment for Jane (her item) carries a
// copy of the Patient of Margaret, whom Jane cares for and who is
// restricted (refuge address, phone), known by her NHS number, named from
// the assessment's input rather than as whom it is about: the district
// nurse and Jane's GP read Margaret's refuge address in it. A person copy
// carrying the NHS number of a restricted Patient is now redacted in any
// item released outside its source; Jane's own copy, and the council's
// read of its own item, are left as stored.
func TestReview11aOtherPersonsItemCarryingHerCopy(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedRestricted(t, e)
	council := e.token("system", "council", "E06000999")
	e.putAll(t, council,
		[2]string{"/fhir/EpisodeOfCare/jane-pkg", `{"resourceType":"EpisodeOfCare","id":"jane-pkg","status":"active","patient":{"reference":"Patient/jane"},"managingOrganization":{"reference":"Organization/E06000999"}}`},
		[2]string{"/fhir/Task/jane-carer", `{"resourceType":"Task","id":"jane-carer","status":"requested","intent":"order","for":{"reference":"Patient/jane"},"code":{"text":"CARER-ASSESSMENT"},
		 "contained":[{"resourceType":"Patient","id":"cared","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"999 000 0069"}],"name":[{"family":"Doyle"}],
		   "address":[{"line":["SECRET-ADDR 1 Hidden Lane"],"postalCode":"LS9 7TF"}],"telecom":[{"system":"phone","value":"01134960999"}]},
		  {"resourceType":"Patient","id":"self","name":[{"family":"JaneCopy"}],"address":[{"line":["JANE-OWN-ADDR"]}]}],
		 "input":[{"type":{"text":"cared-for person"},"valueReference":{"reference":"#cared"}},{"type":{"text":"carer"},"valueReference":{"reference":"#self"}}]}`})
	for _, tok := range []string{e.token("district-nurse", "nhs", "RCX"), e.token("gp", "nhs", "A81001")} {
		for _, p := range []string{"/fhir/Task/jane-carer", "/fhir/Task?patient=jane", "/fhir/Patient/jane/$everything"} {
			r := e.do("GET", p, tok, "")
			if r.status != 200 || !strings.Contains(r.body, "CARER-ASSESSMENT") {
				t.Fatalf("premise: GET %s: %d %.300s", p, r.status, r.body)
			}
			for _, s := range []string{"SECRET-ADDR", "LS9", "01134960999"} {
				if strings.Contains(r.body, s) {
					t.Errorf("GET %s releases Margaret's restricted %q from Jane's carer assessment", p, s)
				}
			}
			if !strings.Contains(r.body, `"family":"Doyle"`) || !strings.Contains(r.body, "JANE-OWN-ADDR") {
				t.Errorf("GET %s: the copies themselves (Margaret's name, Jane's own address) should stay: %.500s", p, r.body)
			}
		}
	}
	if r := e.do("GET", "/fhir/Task/jane-carer", e.token("social-worker", "council", "E06000999"), ""); !strings.Contains(r.body, "SECRET-ADDR") {
		t.Errorf("the council's own assessment is redacted for the council: %d %.300s", r.status, r.body)
	}
}
