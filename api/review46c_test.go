package api_test

import (
	"encoding/json"
	"strings"
	"testing"
)

const rLabel46c = `"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]}`

// seed46c: a restricted person r46 (GP A81001 the source) whose practice
// number (a non-NHS identifier, redacted outside the practice) is local,
// and an ordinary person p46 with practice number 5000; both under an
// active RCX care team, so the district nurse opens both.
func seed46c(t *testing.T, e *env, local string) {
	t.Helper()
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Patient/r46", `{"resourceType":"Patient","id":"r46",` + rLabel46c + `,
		 "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990001006"},{"system":"https://fhir.a81001.example/Id/local-patient-number","value":"` + local + `"}],
		 "name":[{"family":"Doyle"}],"address":[{"line":["SECRET-ADDR"]}]}`},
		[2]string{"/fhir/Patient/p46", `{"resourceType":"Patient","id":"p46",
		 "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990001014"},{"system":"https://fhir.a81001.example/Id/local-patient-number","value":"5000"}],
		 "name":[{"family":"Smith"}]}`},
		[2]string{"/fhir/Condition/r46-dep", `{"resourceType":"Condition","id":"r46-dep","subject":{"reference":"Patient/r46"},"code":{"text":"R46-DEP"}}`},
	)
	e.putAll(t, e.token("system", "nhs", "RCX"),
		[2]string{"/fhir/CareTeam/r46-nursing", `{"resourceType":"CareTeam","id":"r46-nursing","status":"active","subject":{"reference":"Patient/r46"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`},
		[2]string{"/fhir/CareTeam/p46-nursing", `{"resourceType":"CareTeam","id":"p46-nursing","status":"active","subject":{"reference":"Patient/p46"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
}

func matchIDs46c(t *testing.T, body string) []string {
	t.Helper()
	var b bundlePage
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		t.Fatalf("bundle: %v: %.300s", err, body)
	}
	var out []string
	for _, en := range b.Entry {
		if en.Search.Mode == "match" {
			out = append(out, en.Resource.ID)
		}
	}
	return out
}

// TestReview46cSortByRedactedIdentifierOrdersHer: _sort=identifier sorts
// by the smallest identifier value, her practice number included, which the
// nurse never sees (redactPerson drops it; a search matching it does not
// see her, review 21a). asksRedacted looks at _sort keys only among
// redactedParams (address, telecom...), not identifier: her place in the
// order beside another person follows her hidden practice number.
func TestReview46cSortByRedactedIdentifierOrdersHer(t *testing.T) {
	orders := map[string]string{}
	for _, local := range []string{"1000", "9000"} {
		e := newEnv(t)
		seed46c(t, e, local)
		nurse := e.token("district-nurse", "nhs", "RCX")
		for _, sort := range []string{"identifier", "-identifier"} {
			r := e.do("GET", "/fhir/Patient?_id=r46,p46&_sort="+sort, nurse, "")
			if r.status != 200 {
				t.Fatalf("premise: %d %.300s", r.status, r.body)
			}
			if strings.Contains(r.body, `"value":"`+local+`"`) {
				t.Errorf("her practice number %s released: %.400s", local, r.body)
			}
			ids := matchIDs46c(t, r.body)
			orders[sort+"/"+local] = strings.Join(ids, ",")
		}
	}
	for _, sort := range []string{"identifier", "-identifier"} {
		a, b := orders[sort+"/1000"], orders[sort+"/9000"]
		if a != b {
			t.Errorf("Patient?_id=r46,p46&_sort=%s as the district nurse: order %q when her hidden practice number is 1000, %q when 9000 (the order tells her redacted identifier)", sort, a, b)
		}
	}
}

// TestReview46cBareNHSLikeValueFindsHerByHiddenIdentifier: a bare
// identifier value that passes the modulus-11 check counts as "an NHS
// number" (nhsNumbersOnly), so the search is not one that asks about
// redacted elements; but a bare value matches any system, her practice
// number too.
func TestReview46cBareNHSLikeValueFindsHerByHiddenIdentifier(t *testing.T) {
	e := newEnv(t)
	seed46c(t, e, "9990001022") // her practice number happens to pass modulus 11
	nurse := e.token("district-nurse", "nhs", "RCX")
	hit := e.do("GET", "/fhir/Patient?identifier=9990001022", nurse, "")
	miss := e.do("GET", "/fhir/Patient?identifier=9990001030", nurse, "")
	if hit.status != 200 || miss.status != 200 {
		t.Fatalf("premise: %d %d", hit.status, miss.status)
	}
	if strings.Contains(hit.body, `"r46"`) {
		t.Errorf("Patient?identifier=9990001022 (her redacted practice number, not her NHS number) finds her: %.500s", hit.body)
	}
	// (and beside her NHS number: in one OR list, in another clause)
	for _, q := range []string{"_id=r46&identifier=9990001022", "_id=r46&identifier:not=9990001022",
		"identifier=9990001006&identifier=9990001022", "identifier=https://fhir.nhs.uk/Id/nhs-number|9990001006&identifier=9990001022"} {
		a := e.do("GET", "/fhir/Patient?"+q, nurse, "")
		b := e.do("GET", "/fhir/Patient?"+strings.ReplaceAll(q, "9990001022", "9990001030"), nurse, "")
		if strings.Contains(a.body, `"r46"`) != strings.Contains(b.body, `"r46"`) {
			t.Errorf("Patient?%s answers otherwise than a wrong guess (her hidden practice number tells): %.300s against %.300s", q, a.body, b.body)
		}
	}
	for _, q := range []string{"identifier=9990001006", "identifier=9990001006,9990001022", "identifier=https://fhir.nhs.uk/Id/nhs-number|9990001006,9990001030"} {
		if r := e.do("GET", "/fhir/Patient?"+q, nurse, ""); !strings.Contains(r.body, `"r46"`) {
			t.Errorf("Patient?%s: her NHS number finds her: %d %.300s", q, r.status, r.body)
		}
	}
}

// TestReview46cMissingOnLastUpdatedAndID: every resource has an id and a
// meta.lastUpdated: :missing=false must keep them all, :missing=true none
// (or the search must be refused 400), never silently the reverse.
func TestReview46cMissingOnLastUpdatedAndID(t *testing.T) {
	e := newEnv(t)
	seed46c(t, e, "1000")
	gp := e.token("gp", "nhs", "A81001")
	for _, c := range []struct {
		q    string
		want bool
	}{
		{"_lastUpdated:missing=false", true}, {"_lastUpdated:missing=true", false},
		{"_id:missing=false", true}, {"_id:missing=true", false},
	} {
		r := e.do("GET", "/fhir/Condition?subject=Patient/r46&"+c.q, gp, "")
		if r.status == 400 {
			continue
		}
		if got := strings.Contains(r.body, "R46-DEP"); r.status != 200 || got != c.want {
			t.Errorf("Condition?subject=Patient/r46&%s: %d, found=%v want %v: %.300s", c.q, r.status, got, c.want, r.body)
		}
	}
}

// TestReview46cSoundUnknownOrBadParamsRefused: §7.
func TestReview46cSoundUnknownOrBadParamsRefused(t *testing.T) {
	e := newEnv(t)
	seed46c(t, e, "1000")
	gp := e.token("gp", "nhs", "A81001")
	for _, q := range []string{
		"Condition?patient=r46&code-typo=x", "Condition?patient=r46&_sort=-foo", "Condition?subject.identifier=9990001006",
		"Condition?subject:Patient.name=Doyle", "Patient?_has:Condition:patient:code=x", "Condition?patient=r46&_include=*",
		"Condition?patient=r46&code:foo=x", "Condition?patient=r46&_count=abc", "Condition?patient=r46&_offset=-1",
		"Condition?patient=r46&onset-date=notadate", "Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990001007",
		"Condition?patient=r46&_include=Condition:subject:Nope", "Condition?patient=r46&_summary=true", "Condition?patient=r46&_text=x",
		"Condition?patient=r46&_revinclude=Provenance:target&_include:iterate=Provenance:agent",
	} {
		r := e.do("GET", "/fhir/"+q, gp, "")
		if r.status != 400 || !strings.Contains(r.body, "OperationOutcome") {
			t.Errorf("%s: %d %.200s, want 400 OperationOutcome", q, r.status, r.body)
		}
	}
}

// TestReview46cSoundCapabilityParamsWorkOrAreRefused: each Condition
// search parameter the CapabilityStatement lists is accepted; clinical-status
// filters when listed.
func TestReview46cSoundCapabilityParamsWorkOrAreRefused(t *testing.T) {
	e := newEnv(t)
	seed46c(t, e, "1000")
	gp := e.token("gp", "nhs", "A81001")
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Condition/r46-act", `{"resourceType":"Condition","id":"r46-act","subject":{"reference":"Patient/r46"},
	  "clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"resolved"}]},"code":{"text":"R46-RESOLVED"}}`})
	md := e.do("GET", "/fhir/metadata", "", "")
	listed := strings.Contains(md.body, `"name":"clinical-status"`)
	r := e.do("GET", "/fhir/Condition?patient=r46&clinical-status=active", gp, "")
	switch {
	case listed && (r.status != 200 || strings.Contains(r.body, "R46-RESOLVED")):
		t.Errorf("clinical-status listed, but Condition?clinical-status=active: %d, resolved found=%v", r.status, strings.Contains(r.body, "R46-RESOLVED"))
	case !listed && r.status != 400:
		t.Errorf("clinical-status not listed, but answered %d", r.status)
	}
}

// seedHIV46c: h46 registered at A81001 with an HIV-labelled Condition and
// two ordinary ones; the district nurse of RCX in an active care team.
func seedHIV46c(t *testing.T, e *env) {
	t.Helper()
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/Patient/h46", `{"resourceType":"Patient","id":"h46","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990001049"}],"name":[{"family":"Mensah"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`},
		[2]string{"/fhir/Condition/h46-hiv", `{"resourceType":"Condition","id":"h46-hiv","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HIV"}]},"subject":{"reference":"Patient/h46"},
		  "code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]},"onsetDateTime":"2020-03-04","recordedDate":"2020-03-04"}`},
		[2]string{"/fhir/Condition/h46-asthma", `{"resourceType":"Condition","id":"h46-asthma","subject":{"reference":"Patient/h46"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"195967001"}]},"onsetDateTime":"2010-01-01","recordedDate":"2010-01-01"}`},
		[2]string{"/fhir/Condition/h46-ht", `{"resourceType":"Condition","id":"h46-ht","subject":{"reference":"Patient/h46"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"38341003"}]},"onsetDateTime":"2022-01-01","recordedDate":"2022-01-01"}`})
	e.putAll(t, e.token("system", "nhs", "RCX"),
		[2]string{"/fhir/CareTeam/h46-nursing", `{"resourceType":"CareTeam","id":"h46-nursing","status":"active","subject":{"reference":"Patient/h46"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
}

// TestReview46cSoundWithheldAbsentFromTotalsPagingAndFilters: the HIV
// diagnosis is absent from totals, _summary=count, page sizes, next links,
// and a code, date or :not filter narrowing to it answers as a miss does.
func TestReview46cSoundWithheldAbsentFromTotalsPagingAndFilters(t *testing.T) {
	e := newEnv(t)
	seedHIV46c(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Condition?patient=h46&_summary=count", gp, ""); !strings.Contains(r.body, `"total":3`) {
		t.Fatalf("premise: the practice counts 3: %.300s", r.body)
	}
	for _, q := range []string{"_summary=count", "_count=2", "_count=1&_offset=1", "_sort=-onset-date&_count=2", "_lastUpdated=gt2000-01-01&_count=2"} {
		r := e.do("GET", "/fhir/Condition?patient=h46&"+q, nurse, "")
		if r.status != 200 || strings.Contains(r.body, "h46-hiv") || strings.Contains(r.body, "86406008") || !strings.Contains(r.body, `"total":2`) {
			t.Errorf("Condition?patient=h46&%s: %d %.500s, want total 2, no HIV", q, r.status, r.body)
		}
	}
	r := e.do("GET", "/fhir/Condition?patient=h46&_count=2", nurse, "")
	if strings.Contains(r.body, `"relation":"next"`) {
		t.Errorf("_count=2 of 2 visible has a next link: %.500s", r.body)
	}
	pairs := [][2]string{
		{"code=86406008", "code=11111111"},
		{"code=http://snomed.info/sct|86406008", "code=http://snomed.info/sct|11111111"},
		{"code:not=86406008", "code:not=11111111"},
		{"onset-date=2020-03-04", "onset-date=2020-03-05"},
		{"onset-date=ge2020-03-04&onset-date=le2020-03-04", "onset-date=ge2020-03-05&onset-date=le2020-03-05"},
		{"code:missing=false&onset-date=2020", "code:missing=false&onset-date=2019"},
		{"_id=h46-hiv", "_id=h46-nope"},
		{"_id:not=h46-hiv", "_id:not=h46-nope"},
		{"recorded-date=2020-03-04&_summary=count", "recorded-date=2020-03-05&_summary=count"},
	}
	for _, p := range pairs {
		a := e.do("GET", "/fhir/Condition?patient=h46&"+p[0], nurse, "")
		b := e.do("GET", "/fhir/Condition?patient=h46&"+p[1], nurse, "")
		ta, tb := matchIDs46c(t, a.body), matchIDs46c(t, b.body)
		if a.status != b.status || strings.Join(ta, ",") != strings.Join(tb, ",") ||
			strings.Contains(a.body, "confidential-items") != strings.Contains(b.body, "confidential-items") {
			t.Errorf("Condition?patient=h46&%s answers otherwise than &%s: %d %v against %d %v", p[0], p[1], a.status, ta, b.status, tb)
		}
	}
}

// TestReview46cSoundSearchCost: many OR values, a huge _count and a deep
// _offset are refused or capped and answer quickly.
func TestReview46cSoundSearchCost(t *testing.T) {
	e := newEnv(t)
	seedHIV46c(t, e)
	gp := e.token("gp", "nhs", "A81001")
	var codes []string
	for i := 0; i < 1000; i++ {
		codes = append(codes, "c"+strings.Repeat("x", i%7))
	}
	if r := e.do("GET", "/fhir/Condition?code="+strings.Join(codes, ","), gp, ""); r.status != 400 {
		t.Errorf("1000 OR values: %d, want 400", r.status)
	}
	if r := e.do("GET", "/fhir/Condition?patient=h46&_count=100000", gp, ""); r.status != 200 || !strings.Contains(r.body, `"total":3`) {
		t.Errorf("_count=100000: %d %.200s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition?patient=h46&_offset=1000000", gp, ""); r.status != 200 || strings.Contains(r.body, `"relation":"next"`) {
		t.Errorf("_offset=1000000: %d %.300s", r.status, r.body)
	}
}

// TestReview46cSortRelatedPersonByRedactedIdentifier: as
// TestReview46cSortByRedactedIdentifierOrdersHer, for the restricted
// person's RelatedPerson (redacted alike): its practice-held identifier
// orders it.
func TestReview46cSortRelatedPersonByRedactedIdentifier(t *testing.T) {
	orders := map[string]string{}
	for _, local := range []string{"1000", "9000"} {
		e := newEnv(t)
		seed46c(t, e, "4000")
		e.putAll(t, e.token("system", "nhs", "A81001"),
			[2]string{"/fhir/RelatedPerson/rp-r46", `{"resourceType":"RelatedPerson","id":"rp-r46","patient":{"reference":"Patient/r46"},
			 "identifier":[{"system":"https://fhir.a81001.example/Id/carer-number","value":"` + local + `"}],"name":[{"family":"CARER-R46"}],"address":[{"line":["SECRET-CARER-ADDR"]}]}`},
			[2]string{"/fhir/RelatedPerson/rp-p46", `{"resourceType":"RelatedPerson","id":"rp-p46","patient":{"reference":"Patient/p46"},
			 "identifier":[{"system":"https://fhir.a81001.example/Id/carer-number","value":"5000"}],"name":[{"family":"CARER-P46"}]}`})
		nurse := e.token("district-nurse", "nhs", "RCX")
		for _, sort := range []string{"identifier", "-identifier"} {
			r := e.do("GET", "/fhir/RelatedPerson?_id=rp-r46,rp-p46&_sort="+sort, nurse, "")
			if r.status != 200 {
				t.Fatalf("premise: %d %.300s", r.status, r.body)
			}
			if strings.Contains(r.body, "SECRET-CARER-ADDR") || strings.Contains(r.body, `"value":"`+local+`"`) {
				t.Skipf("premise: her carer's record is not redacted for the nurse: %.400s", r.body)
			}
			orders[sort+"/"+local] = strings.Join(matchIDs46c(t, r.body), ",")
		}
	}
	for _, sort := range []string{"identifier", "-identifier"} {
		if a, b := orders[sort+"/1000"], orders[sort+"/9000"]; a != b {
			t.Errorf("RelatedPerson?_id=rp-r46,rp-p46&_sort=%s as the district nurse: order %q when her carer's hidden identifier is 1000, %q when 9000", sort, a, b)
		}
	}
}

// TestReview46cSoundPagingStableAcrossAnUpdate: following next links while
// an item on an earlier page is updated neither skips nor repeats (the
// default order is by the resource's row, kept by an update).
func TestReview46cSoundPagingStableAcrossAnUpdate(t *testing.T) {
	e := newEnv(t)
	seedHIV46c(t, e)
	gp := e.token("gp", "nhs", "A81001")
	r1 := e.do("GET", "/fhir/Condition?patient=h46&_count=1", gp, "")
	p1 := matchIDs46c(t, r1.body)
	if len(p1) != 1 {
		t.Fatalf("premise: %.300s", r1.body)
	}
	upd := e.do("GET", "/fhir/Condition/"+p1[0], gp, "")
	if w := e.do("PUT", "/fhir/Condition/"+p1[0], e.token("system", "nhs", "A81001"), strings.Replace(upd.body, `"subject"`, `"note":[{"text":"updated"}],"subject"`, 1)); w.status != 200 {
		t.Fatalf("premise: update %d %.300s", w.status, w.body)
	}
	seen := map[string]int{p1[0]: 1}
	for off := 1; off < 3; off++ {
		r := e.do("GET", "/fhir/Condition?patient=h46&_count=1&_offset="+string(rune('0'+off)), gp, "")
		for _, id := range matchIDs46c(t, r.body) {
			seen[id]++
		}
	}
	if len(seen) != 3 {
		t.Errorf("three pages of one after an update: %v, want each of 3 once", seen)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s on %d pages", id, n)
		}
	}
}

// TestReview46cSoundRestrictedSearchByRedactedElementsSilent: a search by
// her redacted elements (another identifier, :missing on one, a sort by her
// address, :contains) does not see her, and answers as a miss does.
func TestReview46cSoundRestrictedSearchByRedactedElementsSilent(t *testing.T) {
	e := newEnv(t)
	seed46c(t, e, "1000")
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, p := range [][2]string{
		{"_id=r46&identifier=https://fhir.a81001.example/Id/local-patient-number|1000", "_id=r46&identifier=https://fhir.a81001.example/Id/local-patient-number|1001"},
		{"_id=r46&identifier:missing=false", "_id=r46&identifier:missing=true"},
		{"_id=r46&_sort=address", "_id=r46&_sort=-address"},
		{"_id=r46&address:contains=SECRET", "_id=r46&address:contains=NOPE"},
	} {
		a, b := e.do("GET", "/fhir/Patient?"+p[0], nurse, ""), e.do("GET", "/fhir/Patient?"+p[1], nurse, "")
		if strings.Contains(a.body, `"r46"`) || strings.Contains(b.body, `"r46"`) ||
			strings.Contains(a.body, "confidential-items") != strings.Contains(b.body, "confidential-items") {
			t.Errorf("Patient?%s / %s: %.300s against %.300s", p[0], p[1], a.body, b.body)
		}
	}
}

// TestReview46cSoundRevincludeThroughRedactedGP: her practice, as the
// organisation a search matches, does not bring her Patient in through her
// (redacted) general-practitioner or managingOrganization.
func TestReview46cSoundRevincludeThroughRedactedGP(t *testing.T) {
	e := newEnv(t)
	seed46c(t, e, "1000")
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/Organization/A81001", `{"resourceType":"Organization","id":"A81001","name":"Riverside"}`},
		[2]string{"/fhir/Patient/r46", `{"resourceType":"Patient","id":"r46",` + rLabel46c + `,"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990001006"}],"name":[{"family":"Doyle"}],"generalPractitioner":[{"reference":"Organization/A81001"}],"managingOrganization":{"reference":"Organization/A81001"}}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, q := range []string{"Organization?_id=A81001&_revinclude=Patient:general-practitioner", "Organization?_id=A81001&_revinclude=Patient:organization",
		"Organization?_id=A81001&_revinclude=Patient:general-practitioner:Organization", "Patient?_id=r46&_include=Patient:general-practitioner",
		"Patient?general-practitioner=Organization/A81001", "Patient?general-practitioner:missing=false&_id=r46"} {
		r := e.do("GET", "/fhir/"+q, nurse, "")
		if r.status != 200 || strings.Contains(r.body, `"reference":"Organization/A81001"`) || strings.Contains(r.body, `/fhir/Organization/A81001"`) && strings.HasPrefix(q, "Patient") || strings.HasPrefix(q, "Organization") && strings.Contains(r.body, `"r46"`) ||
			strings.HasPrefix(q, "Patient?general") && strings.Contains(r.body, `"r46"`) {
			t.Errorf("%s: %d %.500s", q, r.status, r.body)
		}
	}
}
