package api_test

// Review 55c: search side channels (SPEC §3 search, §5 "withheld items are
// simply absent ... never what or how much"). Can a non-source reader learn
// through search mechanics what a released item's masked parts hold, or that
// a withheld item exists?

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

const r55cSnomed = "http://snomed.info/sct"

// r55cConsent: Jane's GP records her choice that her diabetes (SNOMED
// 44054006) is not shared with the council. The code is written, as a
// clinical system may, in the Consent's category and meta.tag as well as
// in the provision, and in a nested provision's action and securityLabel.
// Review 54c: the Consent goes to the council's social worker with every
// clinical coding masked.
const r55cConsent = `{"resourceType":"Consent","id":"c55","status":"active",
 "meta":{"tag":[{"system":"http://snomed.info/sct","code":"44054006"}]},
 "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
 "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]},{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]}],
 "patient":{"reference":"Patient/jane"},"dateTime":"2026-01-10",
 "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},
 "provision":{"type":"deny","actor":[` + r51cCouncilIRCP + `],
   "code":[{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]}],
   "provision":[{"type":"permit","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RHX"}}],
     "action":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentaction","code":"access"},{"system":"http://snomed.info/sct","code":"44054006"}]}],
     "securityLabel":[{"system":"http://snomed.info/sct","code":"44054006"}]}]}}`

func r55cTotal(body string) string {
	m := regexp.MustCompile(`"total":(\d+)`).FindStringSubmatch(body)
	if m == nil {
		return "?"
	}
	return m[1]
}

// TestReview55cConsentMaskedCodeAnswersSearch: the social worker is given
// Jane's Consent with its clinical codes masked (she may not learn that
// the withheld item is a diabetes diagnosis), yet a search on the masked
// elements by the stored code matches it, and one by another code does
// not: the answer tells her the masked code, value by value (as the
// README says of masked strings: "a match or the order would tell what a
// masked string holds").
func TestReview55cConsentMaskedCodeAnswersSearch(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/c55", r55cConsent})
	sw := e.token("social-worker", "council", "E06000999")
	if r := e.do("GET", "/fhir/Condition/diabetes", sw, ""); r.status != 404 {
		t.Fatalf("premise: the deny withholds the diagnosis from the council: %d %s", r.status, r.body)
	}
	r := e.do("GET", "/fhir/Consent/c55", sw, "")
	if r.status != 200 || strings.Contains(r.body, "44054006") {
		t.Fatalf("premise: the Consent goes to the social worker with its codes masked: %d %s", r.status, r51cSnippet(r.body, "44054006"))
	}
	for _, param := range []string{"category", "_tag", "action", "security-label"} {
		hit := e.do("GET", "/fhir/Consent?patient=jane&"+param+"="+r55cSnomed+"|44054006", sw, "")
		miss := e.do("GET", "/fhir/Consent?patient=jane&"+param+"="+r55cSnomed+"|73211009", sw, "")
		if hit.status != miss.status || r55cTotal(hit.body) != r55cTotal(miss.body) {
			t.Errorf("%s: the masked code matches (%d, total %s) where another code does not (%d, total %s): the social worker learns the code the Consent masks: %s",
				param, hit.status, r55cTotal(hit.body), miss.status, r55cTotal(miss.body), r51cSnippet(hit.body, `"total"`))
		}
		// without patient= too (a search naming no one)
		hit = e.do("GET", "/fhir/Consent?"+param+"="+r55cSnomed+"|44054006", sw, "")
		miss = e.do("GET", "/fhir/Consent?"+param+"="+r55cSnomed+"|73211009", sw, "")
		if hit.status != miss.status || r55cTotal(hit.body) != r55cTotal(miss.body) {
			t.Errorf("%s (no patient=): the masked code matches (total %s) where another does not (total %s)", param, r55cTotal(hit.body), r55cTotal(miss.body))
		}
		// :not, the other way round
		hit = e.do("GET", "/fhir/Consent?patient=jane&"+param+":not="+r55cSnomed+"|44054006", sw, "")
		miss = e.do("GET", "/fhir/Consent?patient=jane&"+param+":not="+r55cSnomed+"|73211009", sw, "")
		if hit.status != miss.status || r55cTotal(hit.body) != r55cTotal(miss.body) {
			t.Errorf("%s:not: total %s for the masked code, %s for another", param, r55cTotal(hit.body), r55cTotal(miss.body))
		}
		// system| alone: is there a SNOMED coding at all
		sys := e.do("GET", "/fhir/Consent?patient=jane&"+param+"="+r55cSnomed+"|", sw, "")
		none := e.do("GET", "/fhir/Consent?patient=jane&"+param+"=http://read.info/ctv3|", sw, "")
		if sys.status != none.status || r55cTotal(sys.body) != r55cTotal(none.body) {
			t.Errorf("%s=system|: total %s for SNOMED CT, %s for Read: the masked coding's system answers", param, r55cTotal(sys.body), r55cTotal(none.body))
		}
	}
	// The same in a batch (each entry through the same handlers).
	batch := `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Consent?patient=jane&category=http%3A%2F%2Fsnomed.info%2Fsct%7C44054006"}},{"request":{"method":"GET","url":"Consent?patient=jane&category=http%3A%2F%2Fsnomed.info%2Fsct%7C73211009"}}]}`
	b := e.do("POST", "/fhir", sw, batch)
	if totals := regexp.MustCompile(`"total":(\d+)`).FindAllStringSubmatch(b.body, -1); len(totals) != 2 {
		t.Logf("batch: %d %.600s", b.status, b.body)
	} else if totals[0][1] != totals[1][1] {
		t.Errorf("batch: category=<masked code> total %s, another code %s", totals[0][1], totals[1][1])
	}
	// The source sees its own codes, and searches them as stored.
	// (The fix chose otherwise for the source's users: searching Consents
	// by these elements is refused for every role that reads other
	// organisations' Consents, so that the refusal tells nothing; the
	// GP's client system, which reads only its own, searches them.)
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Consent?patient=jane&category="+r55cSnomed+"|44054006", gp, ""); r.status != 400 {
		t.Errorf("the GP's search by a Consent's category: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Consent?patient=jane&category="+r55cSnomed+"|44054006", gpSys, ""); r55cTotal(r.body) != "1" {
		t.Errorf("the GP's system's search by its own code: %d %s", r.status, r.body)
	}
}

// TestReview55cConsentMaskedCodeSortOrder: two Consents of Jane's, both
// released to the social worker with their category codes masked; sorted
// by category their order follows the masked codes, and follows them the
// same way whichever Consent is written first.
func TestReview55cConsentMaskedCodeSortOrder(t *testing.T) {
	order := func(firstCode, secondCode string) string {
		e := newEnv(t)
		seedShared(t, e)
		gpSys := e.token("system", "nhs", "A81001")
		mk := func(id, date, code string) string {
			return `{"resourceType":"Consent","id":"` + id + `","status":"inactive",
 "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
 "category":[{"coding":[{"system":"http://snomed.info/sct","code":"` + code + `"}]}],
 "patient":{"reference":"Patient/jane"},"dateTime":"` + date + `",
 "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]}}`
		}
		e.putAll(t, gpSys, [2]string{"/fhir/Consent/ca", mk("ca", "2025-01-10", firstCode)}, [2]string{"/fhir/Consent/cb", mk("cb", "2025-02-10", secondCode)})
		sw := e.token("social-worker", "council", "E06000999")
		r := e.do("GET", "/fhir/Consent?patient=jane&_sort=category", sw, "")
		if strings.Contains(r.body, firstCode) || strings.Contains(r.body, secondCode) {
			t.Fatalf("premise: codes masked: %s", r.body)
		}
		ia, ib := strings.Index(r.body, `"id":"ca"`), strings.Index(r.body, `"id":"cb"`)
		if r.status != 200 || ia < 0 || ib < 0 {
			return "status " + r.body[:min(200, len(r.body))]
		}
		if ia < ib {
			return "ca,cb"
		}
		return "cb,ca"
	}
	a := order("11111111", "99999999")
	b := order("99999999", "11111111")
	if a != b {
		t.Errorf("Consent?patient=jane&_sort=category as the social worker: %s when ca's masked code is the smaller, %s when it is the larger: the order tells the masked codes", a, b)
	}
}

// r55cSame compares two error answers, the ids they name replaced.
func r55cSame(t *testing.T, what string, a, b resp, idA, idB string) {
	t.Helper()
	norm := func(r resp, id string) string {
		s := strings.ReplaceAll(r.body, id, "ID")
		return regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`).ReplaceAllString(s, "RID")
	}
	if a.status != b.status {
		t.Errorf("%s: status %d for the withheld item, %d for none", what, a.status, b.status)
	}
	if na, nb := norm(a, idA), norm(b, idB); na != nb {
		t.Errorf("%s: bodies differ:\nwithheld: %s\nnone:     %s", what, na, nb)
	}
	for _, h := range []string{"ETag", "Last-Modified", "Content-Location", "Location", "Allow"} {
		if (a.header.Get(h) == "") != (b.header.Get(h) == "") {
			t.Errorf("%s: header %s %q for the withheld item, %q for none", what, h, a.header.Get(h), b.header.Get(h))
		}
	}
	if a.header.Get("Content-Length") != b.header.Get("Content-Length") {
		t.Errorf("%s: Content-Length %q vs %q", what, a.header.Get("Content-Length"), b.header.Get("Content-Length"))
	}
}

// TestReview55cSoundWithheldReadIsNotFound: the nurse's read, version read,
// history, HEAD and _elements read of the HIV diagnosis withheld from her
// answer as those of an id never written (same length).
func TestReview55cSoundWithheldReadIsNotFound(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for who, tok := range map[string]string{
		"nurse":    e.token("district-nurse", "nhs", "RCX"),
		"sw":       e.token("social-worker", "council", "E06000999"),
		"other gp": e.token("gp", "nhs", "Z99999"),
	} {
		for _, p := range []string{"", "/_history", "/_history/1", "/_history/2", "?_elements=code", "?_summary=data"} {
			a := e.do("GET", "/fhir/Condition/hiv"+p, tok, "")
			b := e.do("GET", "/fhir/Condition/hiz"+p, tok, "")
			r55cSame(t, who+" GET "+p, a, b, "hiv", "hiz")
			a = e.do("HEAD", "/fhir/Condition/hiv"+p, tok, "")
			b = e.do("HEAD", "/fhir/Condition/hiz"+p, tok, "")
			r55cSame(t, who+" HEAD "+p, a, b, "hiv", "hiz")
		}
	}
}

// TestReview55cSoundSearchTotalsAndPaging: the nurse's Condition searches
// on Jane (one released, the HIV one withheld): totals, _summary=count,
// _count=0/1 paging links, :not, :missing, _sort, _id.
func TestReview55cSoundSearchTotalsAndPaging(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, q := range []string{
		"patient=jane", "patient=jane&_summary=count", "patient=jane&_count=0", "patient=jane&_count=1",
		"patient=jane&_count=1&_offset=1", "subject=Patient/jane&_count=1", "patient=jane&_sort=code&_count=1",
		"patient=jane&_sort=-_lastUpdated&_count=1",
	} {
		r := e.do("GET", "/fhir/Condition?"+q, nurse, "")
		if r.status != 200 || r55cTotal(r.body) != "1" {
			t.Errorf("%s: %d total %s, want 1: %.300s", q, r.status, r55cTotal(r.body), r.body)
		}
		if strings.Contains(r.body, `"relation":"next"`) {
			t.Errorf("%s: a next link past the one released condition: %.600s", q, r.body)
		}
		if strings.Contains(r.body, "GP-HIV") || strings.Contains(r.body, "86406008") {
			t.Errorf("%s: withheld content: %.600s", q, r.body)
		}
	}
	// _offset=1 past the one released: an empty page, with no link back
	// telling a second exists.
	r := e.do("GET", "/fhir/Condition?patient=jane&_count=1&_offset=1", nurse, "")
	if strings.Contains(r.body, `"mode":"match"`) || strings.Contains(r.body, `"relation":"next"`) {
		t.Errorf("offset 1: %s", r.body)
	}
	// _total: unsupported (400) or the released total
	r = e.do("GET", "/fhir/Condition?patient=jane&_total=accurate", nurse, "")
	if r.status == 200 && r55cTotal(r.body) != "1" {
		t.Errorf("_total=accurate: %s", r.body)
	}
	// Filters that would match the withheld item answer as those that match
	// nothing (with the notice either way).
	pairs := [][2]string{
		{"code=" + r55cSnomed + "|86406008", "code=" + r55cSnomed + "|12345678"},
		{"code=86406008", "code=12345678"},
		{"code:not=44054006", "code:not=44054006,86406008"},
		{"_id=hiv", "_id=hiz"},
		{"_id:not=diabetes", "_id=hiz"},
		{"code:missing=false&code:not=44054006", "_id=hiz"},
		{"code=" + r55cSnomed + "|", "_id=diabetes"},
	}
	for _, pr := range pairs {
		for _, base := range []string{"/fhir/Condition?patient=jane&", "/fhir/Condition?", "/fhir/Condition?subject=jane&"} {
			a := e.do("GET", base+pr[0], nurse, "")
			b := e.do("GET", base+pr[1], nurse, "")
			if a.status != b.status || r55cTotal(a.body) != r55cTotal(b.body) ||
				strings.Contains(a.body, "confidential-items") != strings.Contains(b.body, "confidential-items") {
				t.Errorf("%s%s: %d total %s notice %v; %s: %d total %s notice %v", base, pr[0], a.status, r55cTotal(a.body), strings.Contains(a.body, "confidential-items"),
					pr[1], b.status, r55cTotal(b.body), strings.Contains(b.body, "confidential-items"))
			}
		}
	}
	// Reverse includes from the Patient do not bring it, and its total is 1.
	for _, q := range []string{"_id=jane&_revinclude=Condition:subject", "_id=jane&_revinclude=Condition:patient", "_id=jane&_revinclude=*"} {
		r := e.do("GET", "/fhir/Patient?"+q, nurse, "")
		if strings.Contains(r.body, "GP-HIV") || strings.Contains(r.body, `"Condition/hiv"`) || strings.Contains(r.body, `"id":"hiv"`) {
			t.Errorf("%s: %d %.500s", q, r.status, r.body)
		}
	}
}

// TestReview55cSoundUnsupportedSideChannels: _has, chains, :text,
// :above/:below, _text, _content are refused for everyone alike (400),
// whether or not they would match a withheld item.
func TestReview55cSoundUnsupportedSideChannels(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, q := range []string{
		"/fhir/Patient?_has:Condition:subject:code=86406008",
		"/fhir/Patient?_has:Condition:patient:code=86406008",
		"/fhir/Condition?subject:Patient.name=Smith",
		"/fhir/Condition?patient.name=Smith",
		"/fhir/Condition?code:text=HIV",
		"/fhir/Condition?code:below=86406008",
		"/fhir/Condition?code:above=86406008",
		"/fhir/Condition?_text=HIV",
		"/fhir/Condition?_content=HIV",
		"/fhir/Condition?_list=x",
		"/fhir/Condition?patient=jane&_include:iterate=Condition:subject",
	} {
		r := e.do("GET", q, nurse, "")
		if r.status != 400 {
			t.Errorf("%s: %d, want 400 (unsupported, for everyone)", q, r.status)
		}
		if r.status == 200 && (strings.Contains(r.body, "GP-HIV") || r55cTotal(r.body) != "0" && strings.Contains(q, "86406008")) {
			t.Errorf("%s: %d %.400s", q, r.status, r.body)
		}
	}
}

// TestReview55cSoundRestrictedDemographicsSearch: Margaret's restricted
// address and phone: RelatedPerson and Patient searches by them, with and
// without _id, by modifiers, and :missing, answer the nurse alike for a
// match and a miss.
func TestReview55cSoundRestrictedDemographicsSearch(t *testing.T) {
	e := newEnv(t)
	seedRestricted(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, pr := range [][2]string{
		{"address-postalcode:exact=LS9 7TF", "address-postalcode:exact=LS9 7TG"},
		{"address:contains=hidden", "address:contains=zzzzzz"},
		{"address-postalcode:missing=false", "address-postalcode:missing=true"},
		{"phone:missing=false", "phone:missing=true"},
		{"telecom=phone|01134960999", "telecom=phone|01134960000"},
		{"phone:not=01134960999", "phone:not=01134960000"},
		{"general-practitioner:missing=false", "general-practitioner:missing=true"},
		{"organization:missing=true", "organization:missing=false"},
		{"_sort=phone", "_sort=-phone"},
	} {
		for _, base := range []string{"/fhir/Patient?family=doyle&", "/fhir/Patient?_id=marg&", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000069&"} {
			a := e.do("GET", base+pr[0], nurse, "")
			b := e.do("GET", base+pr[1], nurse, "")
			if a.status != b.status || r55cTotal(a.body) != r55cTotal(b.body) {
				t.Errorf("%s%s: %d total %s; %s: %d total %s", base, pr[0], a.status, r55cTotal(a.body), pr[1], b.status, r55cTotal(b.body))
			}
			if strings.Contains(a.body, "LS9") || strings.Contains(a.body, "SECRET") {
				t.Errorf("%s%s: %.400s", base, pr[0], a.body)
			}
		}
	}
	_ = http.MethodGet
}

// TestReview55cConsentTopProvisionActionLabel: the code in the top-level
// provision's action and securityLabel (masked for the social worker).
func TestReview55cConsentTopProvisionActionLabel(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/c55b", janeConsent("c55b", "2026-01-10", "OPTIN",
		`,"provision":{"type":"deny","actor":[`+r51cCouncilIRCP+`],
		  "action":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentaction","code":"access"},{"system":"http://snomed.info/sct","code":"44054006"}]}],
		  "code":[{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]}]}`)})
	sw := e.token("social-worker", "council", "E06000999")
	if r := e.do("GET", "/fhir/Consent/c55b", sw, ""); r.status != 200 || strings.Contains(r.body, "44054006") {
		t.Fatalf("premise: released masked: %d %s", r.status, r.body)
	}
	hit := e.do("GET", "/fhir/Consent?patient=jane&action="+r55cSnomed+"|44054006", sw, "")
	miss := e.do("GET", "/fhir/Consent?patient=jane&action="+r55cSnomed+"|73211009", sw, "")
	if r55cTotal(hit.body) != r55cTotal(miss.body) {
		t.Errorf("action: total %s for the masked code, %s for another", r55cTotal(hit.body), r55cTotal(miss.body))
	}
	// IG officers too are given the Consent masked (review 54c).
	ig := e.token("ig-officer", "nhs", "A81001")
	_ = ig
	igo := e.token("ig-officer", "council", "E06000999")
	if r := e.do("GET", "/fhir/Consent/c55b", igo, ""); r.status == 200 && !strings.Contains(r.body, "44054006") {
		hit := e.do("GET", "/fhir/Consent?patient=jane&action="+r55cSnomed+"|44054006", igo, "")
		miss := e.do("GET", "/fhir/Consent?patient=jane&action="+r55cSnomed+"|73211009", igo, "")
		if r55cTotal(hit.body) != r55cTotal(miss.body) {
			t.Errorf("council IG officer, action: total %s for the masked code, %s for another", r55cTotal(hit.body), r55cTotal(miss.body))
		}
	}
}

// TestReview55cRevincludeNoticeNamesMedication: a search naming no one and
// filtering nothing carries the notice when it withheld something. Paged
// one Medication at a time with its prescriptions reverse-included, the
// notice then says which Medication has a prescription withheld from the
// nurse (what was withheld: SPEC §5 "never what").
func TestReview55cRevincludeNoticeNamesMedication(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Medication/med-a", `{"resourceType":"Medication","id":"med-a","code":{"text":"MED-A"}}`},
		[2]string{"/fhir/Medication/med-b", `{"resourceType":"Medication","id":"med-b","code":{"text":"MED-B"}}`},
		[2]string{"/fhir/MedicationRequest/mr-hiv", `{"resourceType":"MedicationRequest","id":"mr-hiv","status":"active","intent":"order","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HIV"}]},"subject":{"reference":"Patient/jane"},"medicationReference":{"reference":"Medication/med-a"}}`},
		[2]string{"/fhir/MedicationRequest/mr-ok", `{"resourceType":"MedicationRequest","id":"mr-ok","status":"active","intent":"order","subject":{"reference":"Patient/jane"},"medicationReference":{"reference":"Medication/med-b"}}`},
	)
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/MedicationRequest/mr-hiv", nurse, ""); r.status != 404 {
		t.Fatalf("premise: the HIV prescription is withheld from the nurse: %d", r.status)
	}
	notice := map[string]bool{}
	for _, id := range []string{"med-a", "med-b"} {
		for off, want := range map[string]string{"0": "med-a", "1": "med-b"} {
			if want != id {
				continue
			}
			r := e.do("GET", "/fhir/Medication?_sort=_id&_count=1&_offset="+off+"&_revinclude=MedicationRequest:medication", nurse, "")
			if r.status != 200 || !strings.Contains(r.body, `"id":"`+id+`"`) {
				t.Fatalf("page %s: %d %.400s", off, r.status, r.body)
			}
			notice[id] = strings.Contains(r.body, "confidential-items")
		}
	}
	if notice["med-a"] != notice["med-b"] {
		t.Errorf("Medication?_sort=_id&_count=1&_offset=N&_revinclude=MedicationRequest:medication as the nurse: notice %v on med-a's page, %v on med-b's: it tells which medication has a prescription withheld from her", notice["med-a"], notice["med-b"])
	}
	// The same without paging, by _sort alone, is not needed: _id= is a
	// filter (notice always). Check that it is.
	a := e.do("GET", "/fhir/Medication?_id=med-a&_revinclude=MedicationRequest:medication", nurse, "")
	b := e.do("GET", "/fhir/Medication?_id=med-b&_revinclude=MedicationRequest:medication", nurse, "")
	if strings.Contains(a.body, "confidential-items") != strings.Contains(b.body, "confidential-items") {
		t.Errorf("_id=: notice %v for med-a, %v for med-b", strings.Contains(a.body, "confidential-items"), strings.Contains(b.body, "confidential-items"))
	}
}

// TestReview55cRevincludeNoticeNamesPractitioner: the same for a
// Practitioner whose only encounter is a sensitive-labelled clinic visit.
func TestReview55cRevincludeNoticeNamesPractitioner(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hospSys := e.token("system", "nhs", "RHX")
	e.putAll(t, hospSys,
		[2]string{"/fhir/Practitioner/pa", `{"resourceType":"Practitioner","id":"pa","name":[{"family":"PRAC-A"}]}`},
		[2]string{"/fhir/Practitioner/pb", `{"resourceType":"Practitioner","id":"pb","name":[{"family":"PRAC-B"}]}`},
		[2]string{"/fhir/Encounter/gum", `{"resourceType":"Encounter","id":"gum","status":"finished","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"STD"}]},"class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/jane"},"participant":[{"individual":{"reference":"Practitioner/pa"}}]}`},
		[2]string{"/fhir/Encounter/fracture", `{"resourceType":"Encounter","id":"fracture","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/jane"},"participant":[{"individual":{"reference":"Practitioner/pb"}}]}`},
	)
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Encounter/gum", gp, ""); r.status != 404 {
		t.Fatalf("premise: the clinic visit is withheld from Jane's GP: %d", r.status)
	}
	notice := map[string]bool{}
	for off, id := range map[string]string{"0": "pa", "1": "pb"} {
		r := e.do("GET", "/fhir/Practitioner?_sort=_id&_count=1&_offset="+off+"&_revinclude=Encounter:practitioner", gp, "")
		if r.status != 200 || !strings.Contains(r.body, `"id":"`+id+`"`) {
			t.Fatalf("page %s: %d %.400s", off, r.status, r.body)
		}
		notice[id] = strings.Contains(r.body, "confidential-items")
	}
	if notice["pa"] != notice["pb"] {
		t.Errorf("Practitioner?_sort=_id&_count=1&_offset=N&_revinclude=Encounter:practitioner as the GP: notice %v on PRAC-A's page, %v on PRAC-B's: it tells which clinician has an encounter (a sexual-health visit) withheld from her", notice["pa"], notice["pb"])
	}
}

// TestReview55cSoundWriteAnswersOfWithheldIDs: the hospital's system and
// a district nurse deleting and writing at the id of the GP's HIV
// diagnosis (withheld from them) and at an id never written: the DELETE
// answers alike, and nothing of the GP's is changed.
func TestReview55cSoundWriteAnswersOfWithheldIDs(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	body := func(id string) string {
		return `{"resourceType":"Condition","id":"` + id + `","subject":{"reference":"Patient/jane"},"code":{"text":"PROBE"}}`
	}
	for who, tok := range map[string]string{
		"hospital system": e.token("system", "nhs", "RHX"),
		"nurse":           e.token("district-nurse", "nhs", "RCX"),
	} {
		a := e.do("DELETE", "/fhir/Condition/hiv", tok, "")
		b := e.do("DELETE", "/fhir/Condition/hiz", tok, "")
		t.Logf("%s DELETE withheld %d, none %d", who, a.status, b.status)
		if a.status != b.status {
			t.Errorf("%s DELETE: %d for the withheld item, %d for none: %.300s | %.300s", who, a.status, b.status, a.body, b.body)
		}
		a = e.do("PUT", "/fhir/Condition/hiv", tok, body("hiv"), "If-Match", `W/"1"`)
		b = e.do("PUT", "/fhir/Condition/hiz", tok, body("hiz"), "If-Match", `W/"1"`)
		t.Logf("%s PUT If-Match withheld %d, none %d", who, a.status, b.status)
		// (noted, not asserted: a PUT at a taken id is 409 "the id is taken"
		// as SPEC §3 and the README document — ids are unique across
		// organisations — so the id's existence answers; not its content)
		a = e.do("PUT", "/fhir/Condition/hiv", tok, body("hiv"))
		t.Logf("%s PUT withheld %d %.200s", who, a.status, a.body)
	}
	if r := e.do("GET", "/fhir/Condition/hiv", e.token("gp", "nhs", "A81001"), ""); !strings.Contains(r.body, "GP-HIV-UNLABELLED") {
		t.Errorf("the GP's diagnosis was changed by another's write: %d %.300s", r.status, r.body)
	}
}

// TestReview55cSoundHistoryPaging: type and system history for the nurse:
// the withheld diagnosis's versions are absent, totals count what she sees,
// and the notice does not move with the page.
func TestReview55cSoundHistoryPaging(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	full := e.do("GET", "/fhir/Condition/_history", nurse, "")
	if strings.Contains(full.body, "GP-HIV") || r55cTotal(full.body) != "1" {
		t.Errorf("Condition/_history: %.500s", full.body)
	}
	var notices []bool
	for _, off := range []string{"0", "1", "2"} {
		r := e.do("GET", "/fhir/_history?_count=1&_offset="+off, nurse, "")
		if strings.Contains(r.body, "GP-HIV") {
			t.Errorf("_history page %s: %.300s", off, r.body)
		}
		notices = append(notices, strings.Contains(r.body, "confidential-items"))
	}
	for _, n := range notices[1:] {
		if n != notices[0] {
			t.Errorf("/fhir/_history?_count=1&_offset=N: the notice moves with the page: %v", notices)
		}
	}
}

// TestReview55cSoundMaskedReferenceSpellings: a GP care plan addressing
// the HIV diagnosis goes to the nurse with the reference masked; a search
// naming the diagnosis, however spelt, answers as one naming an id never
// written.
func TestReview55cSoundMaskedReferenceSpellings(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/CarePlan/cp55", `{"resourceType":"CarePlan","id":"cp55","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"addresses":[{"reference":"Condition/hiv"}],"title":"CP55"}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/CarePlan/cp55", nurse, ""); r.status != 200 || strings.Contains(r.body, "Condition/hiv") {
		t.Fatalf("premise: released, reference masked: %d %.400s", r.status, r.body)
	}
	base := e.base + "/fhir/"
	for _, sp := range []string{"Condition/hiv", "hiv", "Condition/hiv/_history/1", base + "Condition/hiv", "condition/hiv", "Condition/hiv/", "Condition//hiv", "./Condition/hiv"} {
		spz := strings.Replace(sp, "hiv", "hiz", 1)
		for _, q := range []string{"condition=", "condition:Condition="} {
			if q == "condition:Condition=" && strings.Contains(sp, "/") {
				continue
			}
			a := e.do("GET", "/fhir/CarePlan?patient=jane&"+q+urlEsc(sp), nurse, "")
			b := e.do("GET", "/fhir/CarePlan?patient=jane&"+q+urlEsc(spz), nurse, "")
			if a.status != b.status || r55cTotal(a.body) != r55cTotal(b.body) {
				t.Errorf("%s%s: %d total %s; %s: %d total %s", q, sp, a.status, r55cTotal(a.body), spz, b.status, r55cTotal(b.body))
			}
		}
	}
	// sorting by it is refused for everyone
	if r := e.do("GET", "/fhir/CarePlan?patient=jane&_sort=condition", nurse, ""); r.status != 400 {
		t.Errorf("_sort=condition: %d", r.status)
	}
}

func urlEsc(s string) string {
	return strings.NewReplacer("%", "%25", "&", "%26", "+", "%2B", "#", "%23", " ", "%20", "|", "%7C").Replace(s)
}

// TestReview55cSoundRestrictedGPByRevinclude: Margaret's redacted GP is
// not told by reverse-including Patients from the GP (the nurse), nor by
// including it from her Patient (answered as for an unrestricted person).
func TestReview55cSoundRestrictedGPByRevinclude(t *testing.T) {
	e := newEnv(t)
	seedRestricted(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Practitioner/dr-other", `{"resourceType":"Practitioner","id":"dr-other","name":[{"family":"OTHER"}]}`},
		[2]string{"/fhir/Patient/pat2", `{"resourceType":"Patient","id":"pat2","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"name":[{"family":"Plain"}],"generalPractitioner":[{"reference":"Practitioner/dr-other"}]}`})
	e.putAll(t, e.token("system", "nhs", "RCX"), [2]string{"/fhir/CareTeam/pat2-nursing", `{"resourceType":"CareTeam","id":"pat2-nursing","status":"active","subject":{"reference":"Patient/pat2"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, pr := range [][2]string{
		{"/fhir/Practitioner?_id=dr-secret&_revinclude=Patient:general-practitioner", "/fhir/Practitioner?_id=dr-other&_revinclude=Patient:general-practitioner"},
		{"/fhir/Practitioner?_id=dr-secret&_revinclude=*", "/fhir/Practitioner?_id=dr-other&_revinclude=*"},
		{"/fhir/Practitioner?_sort=_id&_count=1&_offset=1&_revinclude=Patient:general-practitioner", "/fhir/Practitioner?_sort=_id&_count=1&_offset=0&_revinclude=Patient:general-practitioner"},
		{"/fhir/Patient?_id=marg&_include=Patient:general-practitioner", "/fhir/Patient?_id=pat2&_include=Patient:general-practitioner"},
		{"/fhir/Patient?_id=marg&_include=*", "/fhir/Patient?_id=pat2&_include=*"},
	} {
		a := e.do("GET", pr[0], nurse, "")
		b := e.do("GET", pr[1], nurse, "")
		if strings.Contains(pr[0], "Practitioner?") && strings.Contains(a.body, `"id":"marg"`) ||
			strings.Contains(pr[0], "Patient?") && strings.Contains(a.body, "SECRET-GP-NAME") {
			t.Errorf("%s: %d %.500s", pr[0], a.status, a.body)
		}
		if strings.Contains(a.body, "confidential-items") != strings.Contains(b.body, "confidential-items") {
			t.Errorf("%s notice %v; %s notice %v", pr[0], strings.Contains(a.body, "confidential-items"), pr[1], strings.Contains(b.body, "confidential-items"))
		}
	}
}

// TestReview55cSoundBreakGlassTraceByPostcode: a break-glass trace (exact
// birth date and postcode) by a hospital clinician with no relationship
// answers alike for Margaret's real postcode and another: the trace may
// not confirm her redacted address.
func TestReview55cSoundBreakGlassTraceByPostcode(t *testing.T) {
	e := newEnv(t)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Patient/marg", `{"resourceType":"Patient","id":"marg","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},
		"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000069"}],"name":[{"family":"Doyle","given":["Margaret"]}],"birthDate":"1962-04-05",
		"address":[{"line":["SECRET-ADDR 1 Hidden Lane"],"postalCode":"LS9 7TF"}],"telecom":[{"system":"phone","value":"01134960999"}]}`})
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	bg := []string{"X-Break-Glass", "EMERGENCY: unconscious in A&E, identity to be confirmed"}
	for _, pr := range [][2]string{
		{"birthdate=1962-04-05&address-postalcode=LS9", "birthdate=1962-04-05&address-postalcode=ZZ1"},
		{"birthdate=1962-04-05&address-postalcode:exact=LS9 7TF", "birthdate=1962-04-05&address-postalcode:exact=LS9 7TG"},
		{"birthdate=1962-04-05&family=Doyle&address=SECRET", "birthdate=1962-04-05&family=Doyle&address=Nowhere"},
		{"birthdate=1962-04-05&family=Doyle&phone=01134960999", "birthdate=1962-04-05&family=Doyle&phone=01134960000"},
	} {
		a := e.do("GET", "/fhir/Patient?"+pr[0], hosp, "", bg...)
		b := e.do("GET", "/fhir/Patient?"+pr[1], hosp, "", bg...)
		if a.status != b.status || r55cTotal(a.body) != r55cTotal(b.body) ||
			strings.Contains(a.body, "confidential-items") != strings.Contains(b.body, "confidential-items") {
			t.Errorf("break-glass trace %s: %d total %s; %s: %d total %s", pr[0], a.status, r55cTotal(a.body), pr[1], b.status, r55cTotal(b.body))
		}
		if strings.Contains(a.body, "SECRET-ADDR") || strings.Contains(a.body, `"value":"01134960999"`) {
			t.Errorf("break-glass trace %s released her address: %.400s", pr[0], a.body)
		}
	}
	// The trace by name and birth date alone finds her, redacted.
	r := e.do("GET", "/fhir/Patient?birthdate=1962-04-05&family=Doyle", hosp, "", bg...)
	if r.status != 200 || strings.Contains(r.body, "SECRET-ADDR") {
		t.Errorf("trace by name: %d %.400s", r.status, r.body)
	}
}
