package api_test

import (
	"strings"
	"testing"
)

// TestReview10aContainedCopyOfRestrictedPerson: a restricted person's
// address, telephone and GP were removed from her Patient, her
// RelatedPersons and her Person outside the source organisation, but not
// from a copy of them contained in another of her items. The council's
// referral to the district nurses for Margaret (restricted) carries, as
// referrals commonly do, a contained copy of her Patient (refuge address,
// phone, GP) and of her carer's RelatedPerson, without a label (the
// council's system copied what it had): the district nurse read the refuge
// address and phone in the referral, in a search and in her $everything,
// while Patient/marg came out redacted. A contained Patient, RelatedPerson
// or Person in a restricted person's item is now redacted as her own
// records are, outside the item's source, and so is one that a stored
// Bundle of hers carries as an entry (a hospital clinician read her refuge
// address in the council's stored feed Bundle); the source reads it
// whole, and another person's contained copy is left alone.
func TestReview10aContainedCopyOfRestrictedPerson(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedRestricted(t, e)
	council := e.token("system", "council", "E06000999")
	referral := func(id, pid string) string {
		return `{"resourceType":"ServiceRequest","id":"` + id + `","status":"active","intent":"order","subject":{"reference":"Patient/` + pid + `"},
		 "contained":[{"resourceType":"Patient","id":"p","name":[{"family":"Copy"}],"address":[{"line":["SECRET-ADDR 1 Hidden Lane"],"postalCode":"LS9 7TF"}],
		   "telecom":[{"system":"phone","value":"01134960999"}],"generalPractitioner":[{"reference":"Practitioner/dr-secret"}]},
		  {"resourceType":"RelatedPerson","id":"c","patient":{"reference":"Patient/` + pid + `"},"name":[{"family":"Carer"}],"address":[{"line":["SECRET-CARER-ADDR"]}]}],
		 "supportingInfo":[{"reference":"#p"},{"reference":"#c"}],"code":{"text":"REFERRAL-WOUND-CARE"}}`
	}
	e.putAll(t, council,
		[2]string{"/fhir/EpisodeOfCare/marg-pkg", `{"resourceType":"EpisodeOfCare","id":"marg-pkg","status":"active","patient":{"reference":"Patient/marg"},"managingOrganization":{"reference":"Organization/E06000999"}}`},
		[2]string{"/fhir/ServiceRequest/marg-ref", referral("marg-ref", "marg")},
		[2]string{"/fhir/ServiceRequest/jane-ref", referral("jane-ref", "jane")},
		// Her carer's record carrying a copy of her Patient that an
		// element other than those redacted names: redacted whole, its
		// copy too.
		[2]string{"/fhir/RelatedPerson/marg-rp", `{"resourceType":"RelatedPerson","id":"marg-rp","patient":{"reference":"Patient/marg"},"name":[{"family":"Carer"}],
		 "extension":[{"url":"https://council.example/StructureDefinition/cared-for","valueReference":{"reference":"#p"}}],
		 "contained":[{"resourceType":"Patient","id":"p","name":[{"family":"Copy"}],
		   "address":[{"line":["SECRET-ADDR 1 Hidden Lane"],"postalCode":"LS9 7TF"}],"telecom":[{"system":"phone","value":"01134960999"}]}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	secrets := []string{"SECRET-ADDR", "LS9", "01134960999", "dr-secret", "SECRET-CARER-ADDR"}
	for _, p := range []string{"/fhir/ServiceRequest/marg-ref", "/fhir/ServiceRequest/marg-ref/_history/1", "/fhir/ServiceRequest?patient=marg",
		"/fhir/Patient/marg/$everything", "/fhir/RelatedPerson/marg-rp"} {
		r := e.do("GET", p, nurse, "")
		if r.status != 200 || !strings.Contains(r.body, `"contained"`) {
			t.Fatalf("the premise: the nurse reads the council's referral: GET %s: %d %.300s", p, r.status, r.body)
		}
		for _, s := range secrets {
			if strings.Contains(r.body, s) {
				t.Errorf("nurse: GET %s releases Margaret's restricted %q from a contained copy", p, s)
			}
		}
		if !strings.Contains(r.body, `"family":"Copy"`) {
			t.Errorf("nurse: GET %s: the contained copy itself (her name) should stay: %.400s", p, r.body)
		}
	}
	if r := e.do("GET", "/fhir/Patient/marg/$everything", nurse, ""); !strings.Contains(r.body, "RelatedPerson/marg-rp") {
		t.Errorf("the premise: the carer's record is Margaret's: %.600s", r.body)
	}
	// A Bundle the council keeps (a collection its feed stored) is hers
	// through its entries, and carries a copy of her Patient as an entry:
	// a hospital clinician of the trust (who sees every class) read the
	// refuge address in it.
	e.putAll(t, council, [2]string{"/fhir/Bundle/marg-feed", `{"resourceType":"Bundle","id":"marg-feed","type":"collection","entry":[
	 {"fullUrl":"https://council.example/Patient/marg","resource":{"resourceType":"Patient","id":"marg","name":[{"family":"Copy"}],"address":[{"line":["SECRET-ADDR 1 Hidden Lane"],"postalCode":"LS9 7TF"}],"telecom":[{"system":"phone","value":"01134960999"}]}},
	 {"fullUrl":"https://council.example/Task/t1","resource":{"resourceType":"Task","id":"t1","status":"requested","intent":"order","for":{"reference":"Patient/marg"},"code":{"text":"BUNDLED-TASK"},
	   "contained":[{"resourceType":"RelatedPerson","id":"c","patient":{"reference":"Patient/marg"},"address":[{"line":["SECRET-CARER-ADDR"]}]}]}}]}`})
	clinician := e.token("hospital-clinician", "nhs", "RCX")
	for _, p := range []string{"/fhir/Bundle/marg-feed", "/fhir/Patient/marg/$everything"} {
		r := e.do("GET", p, clinician, "")
		if r.status != 200 || !strings.Contains(r.body, "BUNDLED-TASK") {
			t.Fatalf("the premise: the trust's clinician reads the council's stored Bundle: GET %s: %d %.300s", p, r.status, r.body)
		}
		for _, s := range secrets {
			if strings.Contains(r.body, s) {
				t.Errorf("hospital clinician: GET %s releases Margaret's restricted %q from a stored Bundle's copy", p, s)
			}
		}
	}
	// Her source organisation reads its own referral whole, and another
	// person's contained copy is not redacted.
	sw := e.token("social-worker", "council", "E06000999")
	if r := e.do("GET", "/fhir/ServiceRequest/marg-ref", sw, ""); !strings.Contains(r.body, "SECRET-ADDR") {
		t.Errorf("the council's own referral is redacted for the council: %d %.300s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/ServiceRequest/jane-ref", nurse, ""); !strings.Contains(r.body, "SECRET-ADDR") || !strings.Contains(r.body, "SECRET-CARER-ADDR") {
		t.Errorf("Jane is not restricted: her referral's contained copy should be released as stored: %d %.300s", r.status, r.body)
	}
}
