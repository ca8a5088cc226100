package api_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/carex-project/carex/api"
)

// Review 9a: side channels by which a user learns that an item withheld
// from her exists, or something about it, other than by its body. Each
// test failed before its fix and says, in its comment, what went wrong.

// TestReview9aReferenceBudgetCountsOnlyReleasedItems: one request looks
// up at most 1,000 referenced items and people, and 4 more for each item
// it decided; past that, references are masked. The budget grew with every
// item decided, released or withheld, so the district nurse could count
// the items of Jane's record withheld from her: she writes a care plan
// naming 1,200 ids nothing is stored under (released as stored, up to
// the budget), reads Jane's $everything, and counts the references left
// unmasked. Each item withheld from her added 4 (the GP's 25 withheld
// diagnoses: 100 more), though a response must never say how much was
// withheld.
func TestReview9aReferenceBudgetCountsOnlyReleasedItems(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	var refs []string
	for i := range 1200 {
		refs = append(refs, `{"reference":"Condition/absent-`+strconv.Itoa(i)+`"}`)
	}
	plan := `{"resourceType":"CarePlan","id":"many","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"addresses":[` + strings.Join(refs, ",") + `]}`
	e.putAll(t, nurse, [2]string{"/fhir/CarePlan/many", plan})
	unmasked := func() int {
		t.Helper()
		r := e.do("GET", "/fhir/Patient/jane/$everything", nurse, "")
		if r.status != 200 {
			t.Fatalf("$everything: %d %.300s", r.status, r.body)
		}
		return strings.Count(r.body, `"Condition/absent-`)
	}
	before := unmasked()
	if before == 0 || before == len(refs) {
		t.Fatalf("premise: the budget masks some of the plan's %d references and not all: %d released", len(refs), before)
	}
	gp := e.token("system", "nhs", "A81001")
	for i := range 25 {
		id := "psy-" + strconv.Itoa(i)
		e.putAll(t, gp, [2]string{"/fhir/Condition/" + id, `{"resourceType":"Condition","id":"` + id + `","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"PSY"}]},"subject":{"reference":"Patient/jane"},"code":{"text":"WITHHELD"}}`})
	}
	if r := e.do("GET", "/fhir/Condition/psy-0", nurse, ""); r.status != 404 {
		t.Fatalf("premise: the PSY diagnosis is withheld from the nurse: %d", r.status)
	}
	if after := unmasked(); after != before {
		t.Errorf("the references released of the nurse's own plan went from %d to %d when 25 items withheld from her were written: the budget counts withheld items", before, after)
	}
}

// TestReview9aRevincludeLimitCountsOnlyReleasedItems: a search's
// _revinclude brings at most 1,000 items. The store read the first 1,000
// items pointing at each match, withheld or not, and then dropped those
// withheld: with more than 1,000, the district nurse got fewer items
// than she may see, 1,000 less the number withheld among them (Jane's
// HIV diagnosis and the GP's five PSY ones: 994 of the 1,001 diagnoses
// Condition?patient=jane counts for her), though a response must never
// say how much was withheld.
func TestReview9aRevincludeLimitCountsOnlyReleasedItems(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.MaxBody = 8 << 20 })
	seedShared(t, e)
	var entries []string
	for i := range 1005 {
		id := "c-" + strconv.Itoa(i)
		meta := ""
		if i < 5 {
			meta = `"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"PSY"}]},`
		}
		entries = append(entries, `{"resource":{"resourceType":"Condition","id":"`+id+`",`+meta+`"subject":{"reference":"Patient/jane"},"code":{"text":"C"}},"request":{"method":"PUT","url":"Condition/`+id+`"}}`)
	}
	gp := e.token("system", "nhs", "A81001")
	if r := e.do("POST", "/fhir", gp, `{"resourceType":"Bundle","type":"transaction","entry":[`+strings.Join(entries, ",")+`]}`); r.status != 200 {
		t.Fatalf("transaction: %d %.300s", r.status, r.body)
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	r := e.do("GET", "/fhir/Condition?patient=jane&_summary=count", nurse, "")
	if r.status != 200 || !strings.Contains(r.body, `"total":1001`) {
		t.Fatalf("premise: the nurse may see 1,001 of Jane's diagnoses (not the HIV one, nor the five PSY): %d %.300s", r.status, r.body)
	}
	r = e.do("GET", "/fhir/Patient?_id=jane&_revinclude=Condition:subject", nurse, "")
	if r.status != 200 {
		t.Fatalf("revinclude: %d %.300s", r.status, r.body)
	}
	if n := strings.Count(r.body, `"mode":"include"`); n != 1000 {
		t.Errorf("Patient?_id=jane&_revinclude=Condition:subject brought %d of the 1,001 diagnoses she may see, not the 1,000 a search includes at most: the items withheld from her took their places", n)
	}
}

// TestReview9aIGOfficerAtTheSourceSeesNoProvenanceOfClinicalItems: the IG
// officer sees no clinical data, her own organisation's included (rule 1
// does not list her role), and the provenance of an item goes with it
// (review 8: a Provenance is released only where every item it targets
// is seen now). At the practice that recorded Jane's HIV diagnosis, the
// practice's IG officer read its Provenance — who recorded the diagnosis,
// when and why — since the provenance class is hers and a source's own
// data skipped the question of its targets.
func TestReview9aIGOfficerAtTheSourceSeesNoProvenanceOfClinicalItems(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Provenance/of-hiv", `{"resourceType":"Provenance","id":"of-hiv","target":[{"reference":"Condition/hiv"}],
	 "recorded":"2026-01-05T10:00:00Z","agent":[{"who":{"reference":"Organization/A81001"}}],"reason":[{"text":"PROV-POSITIVE-TEST"}]}`})
	ig := e.token("ig-officer", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Condition/hiv", ig, ""); r.status != 404 {
		t.Fatalf("premise: the practice's IG officer does not see its HIV diagnosis: %d", r.status)
	}
	for _, p := range []string{"/fhir/Provenance/of-hiv", "/fhir/Provenance/of-hiv/_history/1", "/fhir/Provenance?patient=jane", "/fhir/Provenance?target=Condition/hiv",
		"/fhir/Patient/jane/$everything", "/fhir/Patient?_id=jane&_revinclude=Provenance:patient"} {
		if r := e.do("GET", p, ig, ""); strings.Contains(r.body, "PROV-POSITIVE-TEST") {
			t.Errorf("GET %s releases the provenance of the HIV diagnosis to the practice's IG officer: %d %.300s", p, r.status, r.body)
		}
	}
	r := e.do("GET", "/fhir/Patient/jane/$explain?role=ig-officer&org=A81001&sector=nhs", ig, "")
	if i := strings.Index(r.body, `"Provenance/of-hiv"`); r.status != 200 || i < 0 || !strings.Contains(r.body[i:min(i+200, len(r.body))], `"withhold"`) {
		t.Errorf("$explain for the practice's IG officer does not say the provenance is withheld: %d %.2000s", r.status, r.body)
	}
	// Its clinicians still see their own organisation's provenance.
	if r := e.do("GET", "/fhir/Provenance/of-hiv", e.token("gp", "nhs", "A81001"), ""); r.status != 200 || !strings.Contains(r.body, "PROV-POSITIVE-TEST") {
		t.Errorf("the practice's GP: %d %.300s", r.status, r.body)
	}
}

// TestReview9aIGOfficerSeesNoLegallyRestrictedItem: assisted-fertilisation
// and gender-history records (HFEA, GRA) are never released outside their
// source organisation, not even by break-glass, and the access log, the IG
// reports and $explain never tell the IG officer that an item is legally
// restricted (TestAccessLogNeverTellsLegallyRestricted). Yet the IG officer
// was released such items of the classes she reads, whatever their labels
// (an audit role was permitted before the sensitivity layer): the donor
// the fertility clinic records as a RelatedPerson, labelled HFEA, and a
// Consent that releases Jane's gender-history records to the hospital —
// each telling her, by its label, what the log keeps from her.
func TestReview9aIGOfficerSeesNoLegallyRestrictedItem(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	const lbl = `{"system":"https://carex.example/label","code":"`
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/RelatedPerson/donor", `{"resourceType":"RelatedPerson","id":"donor","meta":{"security":[` + lbl + `HFEA"}]},"patient":{"reference":"Patient/jane"},"name":[{"family":"DONOR-NAME"}]}`},
		[2]string{"/fhir/Consent/gra-hosp", janeConsent("gra-hosp", "2026-01-10", "OPTIN", `,"provision":{"type":"permit",
		 "actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"PRCP"}]},"reference":{"reference":"Organization/RHX"}}],
		 "securityLabel":[`+lbl+`GRA"}]}`)})
	ig := e.token("ig-officer", "nhs", "RCX")
	for _, p := range []string{"/fhir/RelatedPerson/donor", "/fhir/RelatedPerson?patient=jane", "/fhir/Consent/gra-hosp", "/fhir/Consent?patient=jane", "/fhir/Patient/jane/$everything", "/fhir/Consent/gra-hosp/_history"} {
		r := e.do("GET", p, ig, "")
		if r.status != 200 && r.status != 404 {
			t.Errorf("GET %s: %d %.300s", p, r.status, r.body)
		}
		if r.status == 200 && (strings.Contains(r.body, "DONOR-NAME") || strings.Contains(r.body, `"id":"gra-hosp"`) || strings.Contains(r.body, "HFEA") || strings.Contains(r.body, "GRA")) {
			t.Errorf("GET %s releases a legally restricted item to the IG officer: %d %.400s", p, r.status, r.body)
		}
	}
}
