package api_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// Review 110b: search as an oracle. Can a user with a legitimate
// relationship learn what is withheld from her through what a search
// matches, counts, sorts or pages? Real server, real SQLite file, real
// tokens (newEnv). SPEC §5: withheld items are simply absent — from
// reads, searches, _history, _include/_revinclude and totals —; a
// restricted person's address, telephone and GP are never released outside
// the source organisation.

// r110bUPRNSystem is a property-number (UPRN) identifier system, as a
// council case-management system writes the property a care package is
// delivered to (redact.go placeOrPartyIdentifier reads "uprn" as a
// property number, and the release takes such an identifier out of a
// restricted person's items: review 71a).
const r110bUPRNSystem = "https://fhir.nhs.uk/Id/uprn"

// r110bSeedMargPackage: Margaret (restricted, seedRestricted: the trust's
// district nurse has a care team for her) has a home-care package from the
// council, whose system files it with the property's UPRN beside its own
// case number.
func r110bSeedMargPackage(t *testing.T, e *env) {
	t.Helper()
	seedRestricted(t, e)
	council := e.token("system", "council", "E06000999")
	e.putAll(t, council, [2]string{"/fhir/EpisodeOfCare/marg-package", `{"resourceType":"EpisodeOfCare","id":"marg-package","status":"active",
	 "meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},
	 "identifier":[{"system":"https://council.example/Id/case-number","value":"R110B-CASE-4471"},
	               {"system":"` + r110bUPRNSystem + `","value":"100012345678"}],
	 "patient":{"reference":"Patient/marg"},"managingOrganization":{"reference":"Organization/E06000999"},"type":[{"text":"R110B-HOME-CARE"}]}`})
}

func r110bTotal(body string) string {
	i := strings.Index(body, `"total":`)
	if i < 0 {
		return "none"
	}
	j := i + len(`"total":`)
	k := j
	for k < len(body) && body[k] >= '0' && body[k] <= '9' {
		k++
	}
	return body[j:k]
}

// TestReview110bRestrictedOwnItemUPRNReleased: Margaret's care
// package is the council's, read by the trust's district nurse. Its own
// identifier under a property-number system (UPRN: her home, a public key
// to one postal address) goes out whole, though carex takes exactly such
// an identifier out of any resource her items carry (review 71a: a
// contained Account's, EpisodeOfCare's or Coverage's UPRN) and SPEC §5
// says her address is never released outside the source.
func TestReview110bRestrictedOwnItemUPRNReleased(t *testing.T) {
	e := newEnv(t)
	r110bSeedMargPackage(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	r := e.do("GET", "/fhir/EpisodeOfCare/marg-package", nurse, "")
	if r.status != 200 || !strings.Contains(r.body, "R110B-HOME-CARE") {
		t.Fatalf("premise: the nurse reads the care package: %d %.300s", r.status, r.body)
	}
	if pr := e.do("GET", "/fhir/Patient/marg", nurse, ""); pr.status != 200 || strings.Contains(pr.body, "LS9") {
		t.Fatalf("premise: her Patient is released to the nurse redacted: %d %.300s", pr.status, pr.body)
	}
	for _, p := range []string{"/fhir/EpisodeOfCare/marg-package", "/fhir/EpisodeOfCare?patient=marg", "/fhir/Patient/marg/$everything"} {
		if r := e.do("GET", p, nurse, ""); strings.Contains(r.body, "100012345678") {
			t.Errorf("LEAK: %s gives the district nurse the restricted person's property number (UPRN 100012345678) from her care package's own identifier", p)
		}
	}
	if r := e.do("GET", "/fhir/EpisodeOfCare/marg-package", e.token("social-worker", "council", "E06000999"), ""); !strings.Contains(r.body, "100012345678") {
		t.Errorf("the council (source) reads its own identifier: %.300s", r.body)
	}
	// The same UPRN carried in a contained copy of the package is taken
	// out (review 71a): the rule the item's own identifier escapes.
	e.putAll(t, e.token("system", "council", "E06000999"), [2]string{"/fhir/ServiceRequest/marg-adapt", `{"resourceType":"ServiceRequest","id":"marg-adapt","status":"active","intent":"order",
	 "meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},
	 "contained":[{"resourceType":"EpisodeOfCare","id":"pk","status":"active","patient":{"reference":"Patient/marg"},"identifier":[{"system":"` + r110bUPRNSystem + `","value":"100012345670"}]}],
	 "identifier":[{"system":"` + r110bUPRNSystem + `","value":"100012345671"}],
	 "supportingInfo":[{"reference":"#pk"}],"code":{"text":"R110B-ADAPTATIONS-REFERRAL"},"subject":{"reference":"Patient/marg"}}`})
	r = e.do("GET", "/fhir/ServiceRequest/marg-adapt", nurse, "")
	t.Logf("adaptations referral: %d contained UPRN out: %v, own UPRN out: %v", r.status, !strings.Contains(r.body, "100012345670"), !strings.Contains(r.body, "100012345671"))
	if r.status == 200 && !strings.Contains(r.body, "100012345670") && strings.Contains(r.body, "100012345671") {
		t.Errorf("LEAK: her adaptations referral's contained UPRN is taken out and its own UPRN goes to the nurse: %.500s", r.body)
	}
}

// TestReview110bRestrictedUPRNAnswersIdentifierSearch: the read
// of Margaret's care package by the district nurse (outside the council)
// drops the property's UPRN (her home, SPEC §5: her address is never
// released outside the source), yet EpisodeOfCare?identifier= that UPRN
// finds her package and a neighbour's UPRN does not: the search answers
// yes or no about the address the read redacts, and with no patient=
// at all it names who lives at a given property (as asksRedacted stops
// for Patient?address-postalcode=, but for no type but the person types).
func TestReview110bRestrictedUPRNAnswersIdentifierSearch(t *testing.T) {
	e := newEnv(t)
	r110bSeedMargPackage(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	sw := e.token("social-worker", "council", "E06000999")
	if r := e.do("GET", "/fhir/EpisodeOfCare/marg-package", nurse, ""); r.status != 200 || !strings.Contains(r.body, "R110B-HOME-CARE") {
		t.Fatalf("premise: the nurse reads the care package: %d %.300s", r.status, r.body)
	}
	hit := url.QueryEscape(r110bUPRNSystem + "|100012345678")
	miss := url.QueryEscape(r110bUPRNSystem + "|100012345679")
	for _, pre := range []string{"patient=marg&", ""} {
		h := e.do("GET", "/fhir/EpisodeOfCare?"+pre+"identifier="+hit, nurse, "")
		m := e.do("GET", "/fhir/EpisodeOfCare?"+pre+"identifier="+miss, nurse, "")
		t.Logf("%sidentifier=UPRN: hit %d total %s; neighbour's %d total %s", pre, h.status, r110bTotal(h.body), m.status, r110bTotal(m.body))
		if h.status == 200 && r110bTotal(h.body) != r110bTotal(m.body) {
			t.Errorf("LEAK: EpisodeOfCare?%sidentifier=<her UPRN> answers total %s, a neighbour's UPRN total %s: the search confirms the restricted person's home the read redacts", pre, r110bTotal(h.body), r110bTotal(m.body))
		}
		// Her source (the council) searches its own identifiers as stored.
		if s := e.do("GET", "/fhir/EpisodeOfCare?"+pre+"identifier="+hit, sw, ""); r110bTotal(s.body) != "1" {
			t.Errorf("the council's own search by the UPRN: %d %.300s", s.status, s.body)
		}
	}
	// With _include, who lives at that property, by name.
	inc := e.do("GET", "/fhir/EpisodeOfCare?identifier="+hit+"&_include=EpisodeOfCare:patient", nurse, "")
	if strings.Contains(inc.body, `"family":"Doyle"`) {
		t.Errorf("LEAK: EpisodeOfCare?identifier=<a UPRN>&_include=EpisodeOfCare:patient names the restricted person living there: %.500s", inc.body)
	}
}

// TestReview110bRestrictedUPRNAnswersMissing: the same
// identifier, asked about by its system alone (identifier=SYSTEM|).
func TestReview110bRestrictedUPRNAnswersMissing(t *testing.T) {
	e := newEnv(t)
	r110bSeedMargPackage(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	// :missing=false with a system: "has an identifier of this system".
	sysOnly := url.QueryEscape(r110bUPRNSystem + "|")
	h := e.do("GET", "/fhir/EpisodeOfCare?patient=marg&identifier="+sysOnly, nurse, "")
	m := e.do("GET", "/fhir/EpisodeOfCare?patient=marg&identifier="+url.QueryEscape("https://fhir.nhs.uk/Id/not-a-system|"), nurse, "")
	t.Logf("identifier=UPRN-system|: %d total %s; other system: %d total %s", h.status, r110bTotal(h.body), m.status, r110bTotal(m.body))
	if h.status == 200 && r110bTotal(h.body) != r110bTotal(m.body) {
		t.Errorf("LEAK: EpisodeOfCare?patient=marg&identifier=<UPRN system>| finds her package (total %s), a system nobody uses does not: it tells the nurse the council holds her property number, whatever the read carries", r110bTotal(h.body))
	}
}

// r110bNotice: the response carries the confidential-items notice.
func r110bNotice(body string) bool { return strings.Contains(body, "confidential-items") }

// TestReview110bSoundNoticeDoesNotFollowFiltersOrPages: Jane's HIV
// diagnosis is withheld from the district nurse. The notice and the total
// are the same whatever a filter or a page singles out: code=<HIV> and
// code=<diabetes> and code=<nothing>, every page of a sort by code or by
// date, _summary=count and _count=0; the GP (source) sees both.
func TestReview110bSoundNoticeDoesNotFollowFiltersOrPages(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	gp := e.token("gp", "nhs", "A81001")
	type probe struct{ path, total string }
	for _, p := range []probe{
		{"/fhir/Condition?patient=jane&code=86406008", "0"},
		{"/fhir/Condition?patient=jane&code=44054006", "1"},
		{"/fhir/Condition?patient=jane&code=999999999", "0"},
		{"/fhir/Condition?patient=jane&code=http://snomed.info/sct%7C", "1"},
		{"/fhir/Condition?patient=jane&_sort=code&_count=1&_offset=0", "1"},
		{"/fhir/Condition?patient=jane&_sort=code&_count=1&_offset=1", "1"},
		{"/fhir/Condition?patient=jane&_sort=-code&_count=1", "1"},
		{"/fhir/Condition?patient=jane&_summary=count", "1"},
		{"/fhir/Condition?patient=jane&_count=0", "1"},
		{"/fhir/Condition?code=86406008", "0"},
		{"/fhir/Condition?code=999999999", "0"},
		{"/fhir/Condition?_id=hiv", "0"},
		{"/fhir/Condition?_id=nosuch", "0"},
	} {
		r := e.do("GET", p.path, nurse, "")
		if r.status != 200 || r110bTotal(r.body) != p.total || !r110bNotice(r.body) || strings.Contains(r.body, "GP-HIV") {
			t.Errorf("nurse %s: %d total %s (want %s) notice %v: %.300s", p.path, r.status, r110bTotal(r.body), p.total, r110bNotice(r.body), r.body)
		}
		if strings.Contains(r.body, `"relation":"next"`) {
			t.Errorf("nurse %s: a next link (the withheld item made a page): %.300s", p.path, r.body)
		}
	}
	if r := e.do("GET", "/fhir/Condition?patient=jane&code=86406008", gp, ""); r110bTotal(r.body) != "1" || r110bNotice(r.body) {
		t.Errorf("the GP's own search: %.300s", r.body)
	}
}

// TestReview110bSoundWithheldDeletedIsPlain404: a withheld item that its
// source then deletes stays the 404 of an id never used for the nurse
// (read, vread, _history), not the 410 a deleted id gets, and is absent
// from the type's history; the GP gets 410.
func TestReview110bSoundWithheldDeletedIsPlain404(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	gpSys := e.token("system", "nhs", "A81001")
	if r := e.do("DELETE", "/fhir/Condition/hiv", gpSys, ""); r.status != 204 && r.status != 200 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	for _, p := range []string{"/fhir/Condition/hiv", "/fhir/Condition/hiv/_history", "/fhir/Condition/hiv/_history/1", "/fhir/Condition/hiv/_history/2"} {
		w := e.do("GET", p, nurse, "")
		n := e.do("GET", strings.Replace(p, "/hiv", "/never-used", 1), nurse, "")
		if w.status != n.status || w.status != 404 {
			t.Errorf("%s: withheld-and-deleted %d, never used %d", p, w.status, n.status)
		}
	}
	if r := e.do("GET", "/fhir/Condition/hiv", e.token("gp", "nhs", "A81001"), ""); r.status != 410 {
		t.Errorf("the GP's read of its deleted item: %d", r.status)
	}
	for _, p := range []string{"/fhir/Condition/_history", "/fhir/_history", "/fhir/Condition/_history?_since=2000-01-01T00:00:00Z"} {
		if r := e.do("GET", p, nurse, ""); r.status == 200 && (strings.Contains(r.body, "Condition/hiv") || strings.Contains(r.body, `"id":"hiv"`)) {
			t.Errorf("%s names the withheld, deleted item: %.400s", p, r.body)
		}
	}
}

// TestReview110bSoundConditionalCreateIgnoresWithheldMatch: a withheld
// Condition carrying identifier X: the nurse's conditional create with
// If-None-Exist: identifier=X answers as for an identifier nobody holds
// (both create), never 200 with, or 412 about, the withheld item.
func TestReview110bSoundConditionalCreateIgnoresWithheldMatch(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, [2]string{"/fhir/Condition/hiv-id", `{"resourceType":"Condition","id":"hiv-id","identifier":[{"system":"https://gp.example/Id/problem","value":"R110B-P1"}],
	 "subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"R110B-HIV"}}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	body := `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"R110B-NURSE-NOTE"}}`
	hit := e.do("POST", "/fhir/Condition", nurse, body, "If-None-Exist", "identifier="+url.QueryEscape("https://gp.example/Id/problem|R110B-P1"))
	miss := e.do("POST", "/fhir/Condition", nurse, body, "If-None-Exist", "identifier="+url.QueryEscape("https://gp.example/Id/problem|R110B-P2"))
	t.Logf("If-None-Exist withheld: %d; nobody's: %d", hit.status, miss.status)
	if hit.status != miss.status || strings.Contains(hit.body, "R110B-HIV") {
		t.Errorf("conditional create on a withheld item's identifier %d, on nobody's %d: %.300s", hit.status, miss.status, hit.body)
	}
	// a conditional update by the same condition
	hu := e.do("PUT", "/fhir/Condition?identifier="+url.QueryEscape("https://gp.example/Id/problem|R110B-P1"), nurse, body)
	mu := e.do("PUT", "/fhir/Condition?identifier="+url.QueryEscape("https://gp.example/Id/problem|R110B-P3"), nurse, body)
	t.Logf("conditional update withheld: %d %.200s; nobody's: %d %.200s", hu.status, hu.body, mu.status, mu.body)
	if hu.status != mu.status {
		t.Errorf("conditional update matching a withheld item %d, matching nothing %d: %.300s", hu.status, mu.status, hu.body)
	}
	if r := e.do("GET", "/fhir/Condition/hiv-id", e.token("gp", "nhs", "A81001"), ""); !strings.Contains(r.body, "R110B-HIV") {
		t.Errorf("the withheld item was changed by the nurse's conditional update: %.300s", r.body)
	}
}

// TestReview110bSoundUnsupportedOraclesRefused: the parameters that could
// ask about a withheld item or a redacted element without naming a
// supported parameter are refused (400), for the nurse and the source
// alike: _has, chains, _filter, _text, _content, :below, :above.
func TestReview110bSoundUnsupportedOraclesRefused(t *testing.T) {
	e := newEnv(t)
	r110bSeedMargPackage(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, q := range []string{
		"/fhir/Patient?_has:Condition:patient:code=86406008",
		"/fhir/Observation?patient.address-postalcode=LS9",
		"/fhir/EpisodeOfCare?patient.phone=01134960999",
		"/fhir/Patient?_filter=" + url.QueryEscape("address-postalcode eq 'LS9 7TF'"),
		"/fhir/Patient?_text=Hidden",
		"/fhir/Patient?_content=Hidden",
		"/fhir/Condition?code:below=86406008",
		"/fhir/Condition?code:above=86406008",
		"/fhir/Patient?_id=marg&_total=accurate&phone=01134960999",
	} {
		if r := e.do("GET", q, nurse, ""); r.status != 400 {
			t.Logf("%s: %d total %s", q, r.status, r110bTotal(r.body))
			if r.status == 200 && r110bTotal(r.body) != "0" {
				t.Errorf("%s answers %d total %s", q, r.status, r110bTotal(r.body))
			}
		}
	}
}

// TestReview110bSoundWithheldWriteLeavesReleasedVersionsAlone: the GP
// writing a withheld item (an HIV diagnosis, an encounter for it naming
// it) changes neither the versionId nor meta.lastUpdated of anything the
// nurse sees (Patient, her released Condition), nor the nurse's type
// history total; the history the nurse sees lists no withheld version.
func TestReview110bSoundWithheldWriteLeavesReleasedVersionsAlone(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	gpSys := e.token("system", "nhs", "A81001")
	before := map[string]string{}
	paths := []string{"/fhir/Patient/jane", "/fhir/Condition/diabetes", "/fhir/Condition/_history", "/fhir/Patient/jane/_history", "/fhir/Condition?patient=jane"}
	for _, p := range paths {
		r := e.do("GET", p, nurse, "")
		before[p] = r.header.Get("ETag") + "|" + r.header.Get("Last-Modified") + "|" + r110bTotal(r.body)
	}
	e.putAll(t, gpSys,
		[2]string{"/fhir/Condition/hiv2", `{"resourceType":"Condition","id":"hiv2","subject":{"reference":"Patient/jane","display":"Jane Smith"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"R110B-HIV2"},
		  "evidence":[{"detail":[{"reference":"Condition/diabetes"}]}]}`},
		[2]string{"/fhir/Condition/hiv", `{"resourceType":"Condition","id":"hiv","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"GP-HIV-UNLABELLED-V2"}}`})
	for _, p := range paths {
		r := e.do("GET", p, nurse, "")
		after := r.header.Get("ETag") + "|" + r.header.Get("Last-Modified") + "|" + r110bTotal(r.body)
		if after != before[p] {
			t.Errorf("%s: before the withheld writes %q, after %q", p, before[p], after)
		}
		if strings.Contains(r.body, "HIV") {
			t.Errorf("%s carries the withheld items: %.300s", p, r.body)
		}
	}
}

// TestReview110bSoundMaskedReferenceMatchesNothing: the hospital's
// encounter (released to the social worker) gives as its reason and
// diagnosis the GP's PSY-labelled depression; the social worker's search
// by that reference, its bare id, or with an _include, answers as for a
// reference to nothing, and a sort by the reference is refused.
func TestReview110bSoundMaskedReferenceMatchesNothing(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, gpSys, [2]string{"/fhir/Condition/psy", `{"resourceType":"Condition","id":"psy","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"PSY"}]},
	 "subject":{"reference":"Patient/jane"},"code":{"text":"R110B-DEPRESSION"},"onsetDateTime":"2025-02-01"}`})
	e.putAll(t, hosp, [2]string{"/fhir/Encounter/adm2", `{"resourceType":"Encounter","id":"adm2","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},
	 "subject":{"reference":"Patient/jane"},"period":{"start":"2025-04-01","end":"2025-04-03"},"serviceType":{"text":"R110B-ADM2"},
	 "reasonReference":[{"reference":"Condition/psy"}],"diagnosis":[{"condition":{"reference":"Condition/psy"}}]}`})
	sw := e.token("social-worker", "council", "E06000999")
	if r := e.do("GET", "/fhir/Encounter/adm2", sw, ""); r.status != 200 || strings.Contains(r.body, "Condition/psy") {
		t.Fatalf("premise: the social worker reads the encounter, its reason masked: %d %.400s", r.status, r.body)
	}
	for _, pair := range [][2]string{
		{"reason-reference=Condition/psy", "reason-reference=Condition/nosuch"},
		{"diagnosis=Condition/psy", "diagnosis=Condition/nosuch"},
		{"diagnosis=psy", "diagnosis=nosuch"},
		{"reason-reference:missing=false", "reason-reference:missing=true"},
	} {
		h := e.do("GET", "/fhir/Encounter?patient=jane&"+pair[0], sw, "")
		m := e.do("GET", "/fhir/Encounter?patient=jane&"+pair[1], sw, "")
		t.Logf("%s: %d total %s notice %v | %s: %d total %s notice %v", pair[0], h.status, r110bTotal(h.body), r110bNotice(h.body), pair[1], m.status, r110bTotal(m.body), r110bNotice(m.body))
		if strings.Contains(pair[0], ":missing") {
			continue // the reference is there, masked: it is not missing
		}
		if h.status != m.status || r110bTotal(h.body) != r110bTotal(m.body) || r110bNotice(h.body) != r110bNotice(m.body) {
			t.Errorf("%s answers %d total %s, %s %d total %s", pair[0], h.status, r110bTotal(h.body), pair[1], m.status, r110bTotal(m.body))
		}
	}
	if r := e.do("GET", "/fhir/Encounter?patient=jane&_include=Encounter:diagnosis&_include=Encounter:reason-reference", sw, ""); strings.Contains(r.body, "R110B-DEPRESSION") {
		t.Errorf("_include brings in the withheld diagnosis: %.300s", r.body)
	}
	if r := e.do("GET", "/fhir/Encounter?patient=jane&_sort=diagnosis", sw, ""); r.status != 400 {
		t.Errorf("_sort by a reference: %d", r.status)
	}
}

// TestReview110bSoundRestrictedCarerSearchSilent: Margaret's daughter, her
// carer, recorded by the GP as a RelatedPerson of hers living with her:
// released to the district nurse without address or phone, and a search
// by that address or phone answers for a match as for a miss, while her
// GP practice finds her.
func TestReview110bSoundRestrictedCarerSearchSilent(t *testing.T) {
	e := newEnv(t)
	seedRestricted(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, [2]string{"/fhir/RelatedPerson/marg-daughter", `{"resourceType":"RelatedPerson","id":"marg-daughter","patient":{"reference":"Patient/marg"},
	 "relationship":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-RoleCode","code":"DAU"}]}],"name":[{"family":"R110B-DAUGHTER"}],
	 "address":[{"line":["SECRET-ADDR 1 Hidden Lane"],"postalCode":"LS9 7TF"}],"telecom":[{"system":"phone","value":"07700900110"}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	r := e.do("GET", "/fhir/RelatedPerson/marg-daughter", nurse, "")
	t.Logf("nurse read of the carer: %d %.300s", r.status, r.body)
	if strings.Contains(r.body, "LS9") || strings.Contains(r.body, "07700900110") {
		t.Errorf("LEAK: the restricted person's carer living with her is released with the address/phone: %.300s", r.body)
	}
	for _, pair := range [][2]string{
		{"address-postalcode=" + url.QueryEscape("LS9 7TF"), "address-postalcode=" + url.QueryEscape("LS1 1AA")},
		{"phone=07700900110", "phone=07700900111"},
		{"address=Hidden", "address=Nowhere"},
		{"_sort=address", "_sort=-address"},
	} {
		h := e.do("GET", "/fhir/RelatedPerson?patient=marg&"+pair[0], nurse, "")
		m := e.do("GET", "/fhir/RelatedPerson?patient=marg&"+pair[1], nurse, "")
		if h.status != m.status || r110bTotal(h.body) != r110bTotal(m.body) || r110bNotice(h.body) != r110bNotice(m.body) {
			t.Errorf("RelatedPerson?patient=marg&%s: %d total %s notice %v; %s: %d total %s notice %v", pair[0], h.status, r110bTotal(h.body), r110bNotice(h.body), pair[1], m.status, r110bTotal(m.body), r110bNotice(m.body))
		}
	}
	if r := e.do("GET", "/fhir/RelatedPerson?patient=marg&phone=07700900110", e.token("gp", "nhs", "A81001"), ""); r110bTotal(r.body) != "1" {
		t.Errorf("her GP practice's own search: %.300s", r.body)
	}
}

// TestReview110bSoundEverythingPagesAllCarryNotice: every page of the
// nurse's $everything of Jane (one item a page) carries the notice and the
// same total, so no page tells where in the record the withheld HIV
// diagnosis sits; the GP's pages carry none.
func TestReview110bSoundEverythingPagesAllCarryNotice(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	first := e.do("GET", "/fhir/Patient/jane/$everything", nurse, "")
	total := r110bTotal(first.body)
	n := strings.Count(first.body, `"fullUrl"`)
	if first.status != 200 || n < 3 {
		t.Fatalf("premise: %d entries %d %.300s", first.status, n, first.body)
	}
	for off := 0; off <= n; off++ {
		r := e.do("GET", "/fhir/Patient/jane/$everything?_count=1&_offset="+strconv.Itoa(off), nurse, "")
		if r.status != 200 || !r110bNotice(r.body) || r110bTotal(r.body) != total {
			t.Errorf("page at offset %d: %d notice %v total %s (first page's %s)", off, r.status, r110bNotice(r.body), r110bTotal(r.body), total)
		}
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything?_count=1&_offset=1", e.token("gp", "nhs", "A81001"), ""); r110bNotice(r.body) {
		t.Errorf("the GP's page carries the notice: %.300s", r.body)
	}
}

// TestReview110bSoundPracticeListGroupWithheld: her GP practice's
// registered list (a Group managed by the practice, ODS-coded, with her as
// a member) is not released to the district nurse, by read, by
// Group?member= or in her $everything: it would name her GP.
func TestReview110bSoundPracticeListGroupWithheld(t *testing.T) {
	e := newEnv(t)
	seedRestricted(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Group/r110b-list", `{"resourceType":"Group","id":"r110b-list","type":"person","actual":true,"name":"R110B-A81001-REGISTERED",
	 "identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"A81001"}],
	 "managingEntity":{"reference":"Organization/A81001","display":"R110B Riverside Surgery"},"member":[{"entity":{"reference":"Patient/marg"}}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, p := range []string{"/fhir/Group/r110b-list", "/fhir/Group?member=Patient/marg", "/fhir/Group?member=Patient/marg&managing-entity=Organization/A81001", "/fhir/Patient/marg/$everything"} {
		if r := e.do("GET", p, nurse, ""); strings.Contains(r.body, `"resourceType":"Group"`) || strings.Contains(r.body, "R110B-A81001") || strings.Contains(r.body, `"value":"A81001"`) {
			t.Errorf("%s: %d names her practice: %.300s", p, r.status, r.body)
		}
	}
}

// TestReview110bRestrictedUPRNSortAndConditionalWrite (added with the
// fix): sorting the nurse's search by identifier does not place Margaret's
// package by its UPRN (it is not in her answer), the case number still
// finds it for the council, and the nurse's conditional create naming a
// UPRN creates whether her package has it or not (a match would tell
// it), as does one on the trust's own identifier system.
func TestReview110bRestrictedUPRNSortAndConditionalWrite(t *testing.T) {
	e := newEnv(t)
	r110bSeedMargPackage(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/EpisodeOfCare?patient=marg&_sort=identifier", nurse, ""); r.status != 200 || strings.Contains(r.body, "marg-package") {
		t.Errorf("_sort=identifier: her package placed by its UPRN for the nurse: %d %.300s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/EpisodeOfCare?patient=marg", nurse, ""); r.status != 200 || !strings.Contains(r.body, "marg-package") || strings.Contains(r.body, "100012345678") {
		t.Errorf("premise: the nurse's search by patient finds her package, its UPRN taken out: %d %.300s", r.status, r.body)
	}
	cw := e.token("social-worker", "council", "E06000999")
	if r := e.do("GET", "/fhir/EpisodeOfCare?identifier="+url.QueryEscape(r110bUPRNSystem+"|100012345678"), cw, ""); r110bTotal(r.body) != "1" {
		t.Errorf("the council finds its own package by its UPRN: %d %.300s", r.status, r.body)
	}
	trust := nurse // (a feed's system sees its own items only: its conditions answer for no one else's)
	body := `{"resourceType":"EpisodeOfCare","status":"active","patient":{"reference":"Patient/marg"},"managingOrganization":{"reference":"Organization/RCX"}}`
	for _, cond := range []string{"identifier=" + url.QueryEscape(r110bUPRNSystem+"|100012345678"), "identifier=" + url.QueryEscape(r110bUPRNSystem+"|100099999999"), "identifier=100012345678"} {
		if r := e.do("POST", "/fhir/EpisodeOfCare", trust, body, "If-None-Exist", cond); r.status != 201 {
			t.Errorf("If-None-Exist %s from the nurse: %d, want 201 whatever it names (a match would tell her UPRN): %.300s", cond, r.status, r.body)
		}
	}
	if r := e.do("GET", "/fhir/EpisodeOfCare/marg-package", cw, ""); !strings.Contains(r.body, `"versionId":"1"`) {
		t.Errorf("the nurse's conditional creates changed the council's package: %.300s", r.body)
	}
	if r := e.do("POST", "/fhir/EpisodeOfCare", trust, body, "If-None-Exist", "identifier="+url.QueryEscape("https://trust.example/Id/episode|E1")); r.status != 201 {
		t.Errorf("If-None-Exist on the trust's own system: %d %.300s", r.status, r.body)
	}
}
