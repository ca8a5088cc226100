package api_test

// Review 12b: joining records into one person — how an item is attributed
// to a person, and what happens when the attribution is wrong or changes.

import (
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// A second Patient resource of a restricted person: the hospital's own
// record of Margaret (its PAS keeps its own Patient), carrying her NHS
// number and her refuge address but not the R label the GP's record
// carries. Before, it was an ordinary Patient: the district nurse, whose
// trust the hospital referred her to, read the refuge address and phone
// from it (and found her by postcode), and no restricted-patient alert was
// raised. A person is restricted wherever her NHS number is (the copies of
// her demographics inside other items were already redacted by NHS number,
// review 11a).
func TestReview12bSecondRecordOfRestrictedPersonIsRestricted(t *testing.T) {
	e := newEnv(t)
	seedRestricted(t, e) // Patient/marg, R, NHS 9990000069, by the GP
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp,
		[2]string{"/fhir/Patient/hosp-marg", `{"resourceType":"Patient","id":"hosp-marg","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"999 000 0069"}],
			"name":[{"family":"Doyle"}],"address":[{"line":["HOSP-REFUGE 1 Hidden Lane"],"postalCode":"LS9 7TF"}],"telecom":[{"system":"phone","value":"01134960777"}]}`},
		[2]string{"/fhir/CareTeam/hosp-marg-referral", `{"resourceType":"CareTeam","id":"hosp-marg-referral","status":"active","subject":{"reference":"Patient/hosp-marg"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`},
	)
	nurse := e.token("district-nurse", "nhs", "RCX", func(c *auth.DevClaims) { c.Sub = "nurse-12b" })
	for _, p := range []string{
		"/fhir/Patient/hosp-marg",
		"/fhir/Patient/hosp-marg/$everything",
		"/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000069",
		"/fhir/Patient?_id=hosp-marg",
	} {
		r := e.do("GET", p, nurse, "")
		if r.status != 200 {
			t.Errorf("%s: %d %.300s", p, r.status, r.body)
		}
		for _, s := range []string{"HOSP-REFUGE", "01134960777", "LS9"} {
			if strings.Contains(r.body, s) {
				t.Errorf("%s releases the restricted person's %s to the district nurse: %.500s", p, s, r.body)
			}
		}
	}
	if r := e.do("GET", "/fhir/Patient?_id=hosp-marg&address-postalcode=LS9", nurse, ""); !strings.Contains(r.body, `"total":0`) {
		t.Errorf("a search by the restricted person's postcode finds her second record: %.300s", r.body)
	}
	if !e.accessLogged(t, "nurse-12b", "restricted-patient") {
		t.Errorf("no restricted-patient alert for the nurse's reads of Margaret's second record")
	}
	// The hospital, its source, reads it whole.
	if r := e.do("GET", "/fhir/Patient/hosp-marg", e.token("hospital-clinician", "nhs", "RHX"), ""); !strings.Contains(r.body, "HOSP-REFUGE") {
		t.Errorf("the hospital reads its own record of her: %.300s", r.body)
	}
}

// A Person resource (FHIR's person-level record, which links a person's
// Patient, RelatedPerson and Practitioner records) is a person's
// demographics. One carrying an NHS number but linking to no Patient named
// no one, and an item naming no one is decided by the role's classes
// alone: every GP in the country read the Person the hospital wrote for
// Margaret — her NHS number and refuge address — with no relationship to
// her, and her restriction did not apply. Now a Person names the person
// its NHS number is (as a Patient inside a stored Bundle does), and one
// naming no one by link or number is a person carex cannot tell: it stays
// with its source.
func TestReview12bPersonNamesItsPersonByNHSNumber(t *testing.T) {
	e := newEnv(t)
	seedRestricted(t, e)
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp,
		[2]string{"/fhir/Person/p-marg", `{"resourceType":"Person","id":"p-marg","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"999 000 0069"}],"name":[{"family":"Doyle"}],"address":[{"line":["PERSON-REFUGE"]}]}`},
		[2]string{"/fhir/Person/p-anon", `{"resourceType":"Person","id":"p-anon","name":[{"family":"Nobody"}],"address":[{"line":["ANON-ADDRESS"]}]}`},
	)
	stranger := e.token("gp", "nhs", "Z99999")
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, tok := range []string{stranger, nurse} {
		for _, p := range []string{"/fhir/Person/p-marg", "/fhir/Person/p-anon", "/fhir/Person?name=doyle", "/fhir/Person?name=nobody"} {
			if r := e.do("GET", p, tok, ""); strings.Contains(r.body, "REFUGE") || strings.Contains(r.body, "ANON-ADDRESS") {
				t.Errorf("%s released to another organisation: %d %.300s", p, r.status, r.body)
			}
		}
	}
	// Its source reads both.
	clin := e.token("hospital-clinician", "nhs", "RHX")
	for _, p := range []string{"/fhir/Person/p-marg", "/fhir/Person/p-anon"} {
		if r := e.do("GET", p, clin, ""); r.status != 200 {
			t.Errorf("the hospital reads its own %s: %d %.300s", p, r.status, r.body)
		}
	}
	// A Person linking to her Patient is hers, redacted as her Patient is.
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, [2]string{"/fhir/Person/p-linked", `{"resourceType":"Person","id":"p-linked","name":[{"family":"Doyle"}],"address":[{"line":["LINKED-REFUGE"]}],"link":[{"target":{"reference":"Patient/marg"}}]}`})
	if r := e.do("GET", "/fhir/Person/p-linked", nurse, ""); r.status != 200 || strings.Contains(r.body, "LINKED-REFUGE") {
		t.Errorf("a Person linking to her Patient, for her district nurse: %d %.300s", r.status, r.body)
	}
}

// An item filed under the wrong person (Jane, who objects to the council)
// and moved by its source to the right one (Bob, whose care package the
// council runs): its earlier version is still Jane's data, kept from the
// council in vread, the item's, type's and system's _history, Bob's
// $everything and searches. Passed when first written (a probe of review
// 12b: each version is decided under its own people).
func TestReview12bMovedItemsEarlierVersionStaysTheFirstPersons(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	council := e.token("system", "council", "E06000999")
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/jane-no-council", janeNotSharedWithCouncil},
		[2]string{"/fhir/Patient/bob", `{"resourceType":"Patient","id":"bob","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"4010232137"}],"name":[{"family":"Brown"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`})
	e.putAll(t, council, [2]string{"/fhir/EpisodeOfCare/bob-package", `{"resourceType":"EpisodeOfCare","id":"bob-package","status":"active","patient":{"reference":"Patient/bob"},"managingOrganization":{"reference":"Organization/E06000999"},
		"meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},"type":[{"text":"BOB-PACKAGE"}]}`})
	cond := func(who, text string) string {
		return `{"resourceType":"Condition","id":"mixup","subject":{"reference":"Patient/` + who + `"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"195967001"}],"text":"` + text + `"}}`
	}
	e.putAll(t, hosp, [2]string{"/fhir/Condition/mixup", cond("jane", "JANE-ASTHMA")})
	sw := e.token("social-worker", "council", "E06000999")
	if r := e.do("GET", "/fhir/Condition/mixup", sw, ""); r.status != 404 {
		t.Fatalf("Jane's objection to the council: %d %.300s", r.status, r.body)
	}
	e.putAll(t, hosp, [2]string{"/fhir/Condition/mixup", cond("bob", "BOB-ASTHMA")})
	if r := e.do("GET", "/fhir/Condition/mixup", sw, ""); r.status != 200 || !strings.Contains(r.body, "BOB-ASTHMA") {
		t.Fatalf("Bob's diagnosis for his social worker: %d %.300s", r.status, r.body)
	}
	for _, p := range []string{"/fhir/Condition/mixup/_history/1", "/fhir/Condition/mixup/_history", "/fhir/Condition/_history", "/fhir/_history",
		"/fhir/Patient/bob/$everything", "/fhir/Condition?patient=bob", "/fhir/Condition?_id=mixup"} {
		if r := e.do("GET", p, sw, ""); strings.Contains(r.body, "JANE-ASTHMA") {
			t.Errorf("%s releases Jane's version to the council she objected to: %d %.400s", p, r.status, r.body)
		}
	}
}

// An item naming its person by an absolute URL (this server's, or a
// feed's own PAS), or by a versioned reference, is hers: her objection to
// the council and the relationship layer apply. Passed when first written
// (a probe of review 12b).
func TestReview12bAbsoluteSubject(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/jane-no-council", janeNotSharedWithCouncil})
	hosp := e.token("system", "nhs", "RHX")
	for i, ref := range []string{e.base + "/fhir/Patient/jane", "https://pas.rhx.example/fhir/Patient/jane", "Patient/jane/_history/1", "https://pas.rhx.example/fhir/Patient/jane/_history/3"} {
		id := "abs" + string(rune('a'+i))
		body := `{"resourceType":"Condition","id":"` + id + `","subject":{"reference":"` + ref + `"},"code":{"text":"ABS-` + id + `"}}`
		if strings.Contains(ref, "pas.rhx.example") {
			// Since review 78b another server's Patient is refused: it
			// was filed under carex's Jane, another person.
			if w := e.do("PUT", "/fhir/Condition/"+id, hosp, body); w.status != 422 {
				t.Errorf("%s: %d %.300s, want 422", ref, w.status, w.body)
			}
			if r := e.do("GET", "/fhir/Condition/"+id, hosp, ""); r.status != 404 {
				t.Errorf("%s: the refused Condition was stored: %d", ref, r.status)
			}
			continue
		}
		e.putAll(t, hosp, [2]string{"/fhir/Condition/" + id, body})
		sw := e.token("social-worker", "council", "E06000999")
		if r := e.do("GET", "/fhir/Condition/"+id, sw, ""); r.status != 404 {
			t.Errorf("%s: released to the council: %d %.300s", ref, r.status, r.body)
		}
		stranger := e.token("gp", "nhs", "Z99999")
		if r := e.do("GET", "/fhir/Condition/"+id, stranger, ""); r.status != 404 {
			t.Errorf("%s: released to a stranger: %d %.300s", ref, r.status, r.body)
		}
	}
}

// The access log of a moved item's versions: a version read, history or
// search that released Jane's earlier version is listed in her
// $who-accessed, and one that released Bob's current one in his. Passed
// when first written (a probe of review 12b).
func TestReview12bMovedItemsVersionsLoggedUnderTheirPeople(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed4e(t, e)
	hosp := e.token("system", "nhs", "RHX")
	cond := func(who, text string) string {
		return `{"resourceType":"Condition","id":"mixup","subject":{"reference":"Patient/` + who + `"},"code":{"text":"` + text + `"}}`
	}
	e.putAll(t, hosp, [2]string{"/fhir/Condition/mixup", cond("jane", "JANE-ASTHMA")})
	e.putAll(t, hosp, [2]string{"/fhir/Condition/mixup", cond("bob", "BOB-ASTHMA")})
	for i, p := range []string{"/fhir/Condition/mixup/_history/1", "/fhir/Condition/mixup/_history", "/fhir/Condition/_history", "/fhir/Condition?_id=mixup&_lastUpdated=gt2000-01-01"} {
		sub := "gp-12b-" + string(rune('a'+i))
		gp := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = sub })
		r := e.do("GET", p, gp, "")
		if r.status != 200 || i < 3 && !strings.Contains(r.body, "JANE-ASTHMA") {
			t.Fatalf("%s: their GP gets Jane's version: %d %.300s", p, r.status, r.body)
		}
		if strings.Contains(r.body, "JANE-ASTHMA") && len(bySub(whoAccessed4e(t, e, "jane"), sub)) == 0 {
			t.Errorf("%s released Jane's version; Jane's $who-accessed does not list it", p)
		}
		if strings.Contains(r.body, "BOB-ASTHMA") && len(bySub(whoAccessed4e(t, e, "bob"), sub)) == 0 {
			t.Errorf("%s released Bob's version; Bob's $who-accessed does not list it", p)
		}
	}
}
