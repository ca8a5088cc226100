package api_test

import (
	"strings"
	"testing"
)

// Review 5b: the versioning, paging and bundle corners of the HTTP/FHIR
// surface.

// TestReview5bBreakGlassTypeHistoryOpensWhoeverIsNewest: a break-glass
// search must name the person it opens (patient=, one identifier or id, or
// a trace), else 400, since "a lookup must not open whoever sorts first"
// (bgModes). The type-level and system-level _history interactions have
// no such guard: history() passes the X-Break-Glass reason to the gate,
// the request names no one, and breakGlassFor opens the first person it
// decides for, which is the person whose item was written most recently
// (history is newest first). So a hospital clinician at an organisation
// with no relationship with anyone sends GET /fhir/_history (or
// /fhir/Condition/_history) with an emergency reason and gets a person's
// record they never named — here Jane's GP diabetes entry — and a 4-hour
// grant on her whole record, which a plain $everything then uses. The
// same request as a search (GET /fhir/Condition with the header) is a 400.
func TestReview5bBreakGlassTypeHistoryOpensWhoeverIsNewest(t *testing.T) {
	for _, path := range []string{"/fhir/_history", "/fhir/Condition/_history"} {
		t.Run(strings.TrimPrefix(path, "/fhir/"), func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			ae := e.token("hospital-clinician", "nhs", "RZZ")
			if r := e.do("GET", "/fhir/Condition", ae, "", "X-Break-Glass", bgReason); r.status != 400 {
				t.Fatalf("the premise: a break-glass search naming no one is refused: %d %.300s", r.status, r.body)
			}
			if r := e.do("GET", "/fhir/Patient/jane/$everything", ae, ""); r.status != 403 {
				t.Fatalf("the premise: RZZ has no relationship with Jane: %d", r.status)
			}
			r := e.do("GET", path, ae, "", "X-Break-Glass", bgReason)
			if r.status == 200 && strings.Contains(r.body, "GP-DIABETES") {
				t.Errorf("break-glass GET %s, naming no one, opened Jane's record (the newest item's person): %.400s", path, r.body)
			}
			if r := e.do("GET", "/fhir/Patient/jane/$everything", ae, ""); r.status == 200 {
				t.Errorf("break-glass GET %s stored a 4-hour grant on Jane, whom the clinician never named: $everything without the header is %d", path, r.status)
			}
		})
	}
}

// TestReview5bBreakGlassTransactionGETsOpenManyPeople: break-glass opens
// one person's record per request, and "a batch counts as one request":
// batch() puts one bgShare in the context so that its entries share the
// break-glass person (the fix behind TestBreakGlassBatchOpensOnePerson).
// transaction() runs its GET entries through the same subRequest, but
// without that shared person: each GET entry chooses its own. So one
// POST /fhir of type transaction with three GET entries
// (Patient/X/$everything for Jane, Margaret and Arthur) and one
// X-Break-Glass header opens three people's records and stores a 4-hour
// grant on each — the same request as a batch opens one.
func TestReview5bBreakGlassTransactionGETsOpenManyPeople(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedCouple(t, e)
	ae := e.token("hospital-clinician", "nhs", "RZZ")
	r := e.do("POST", "/fhir", ae, `{"resourceType":"Bundle","type":"transaction","entry":[
		{"request":{"method":"GET","url":"Patient/jane/$everything"}},
		{"request":{"method":"GET","url":"Patient/margaret/$everything"}},
		{"request":{"method":"GET","url":"Patient/arthur/$everything"}}]}`, "X-Break-Glass", bgReason)
	if r.status != 200 {
		t.Fatalf("transaction of GETs: %d %.300s", r.status, r.body)
	}
	if opened := strings.Count(r.body, `"status":"200 OK"`); opened > 1 {
		t.Errorf("one break-glass transaction opened %d people's records (a batch opens one)", opened)
	}
	granted := 0
	for _, id := range []string{"jane", "margaret", "arthur"} {
		if g := e.do("GET", "/fhir/Patient/"+id+"/$everything", ae, ""); g.status == 200 {
			granted++
		}
	}
	if granted > 1 {
		t.Errorf("one break-glass transaction left 4-hour grants on %d people", granted)
	}
}

// TestReview5bBreakGlassConditionOpensWhoeverMatches: a conditional
// create's If-None-Exist, a conditional update's query and a transaction's
// conditional reference are searches across people, matched "filtered by
// what the caller may see" — with the request's gate, X-Break-Glass
// included. Unlike search(), which refuses a break-glass search that does
// not name its person (400), create(), conditionalUpdate() and
// applyTransaction() do not ask, so the first person the condition's
// matches are decided for is opened under break-glass. A hospital
// clinician at an organisation with no relationship with anyone, with an
// emergency reason:
//   - POSTs a Condition with If-None-Exist: code=<diabetes>: the answer is
//     200 with Jane's GP diabetes entry (a search by diagnosis that names
//     the person who has it), and a 4-hour grant on Jane's whole record;
//   - POSTs a transaction whose Observation.focus is the conditional
//     reference Condition?code=<diabetes>: the echo names Condition/diabetes
//     and Jane's record is granted for 4 hours;
//   - PUTs Condition?code=<diabetes>: 409 "Condition/diabetes: the id is
//     taken" — the id of the match, where without the header the condition
//     matches nothing (201).
func TestReview5bBreakGlassConditionOpensWhoeverMatches(t *testing.T) {
	const diabetes = "http://snomed.info/sct|44054006"
	probe := `{"resourceType":"Condition","subject":{"reference":"Patient/someone"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]}}`
	cases := []struct {
		name, method, path, body string
		hdr                      []string
	}{
		{"conditional create", "POST", "/fhir/Condition", probe, []string{"If-None-Exist", "code=" + diabetes}},
		{"transaction conditional reference", "POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Observation"},
			"resource":{"resourceType":"Observation","status":"final","code":{"text":"probe"},"focus":[{"reference":"Condition?code=` + diabetes + `"}]}}]}`, nil},
		{"conditional update", "PUT", "/fhir/Condition?code=" + diabetes, probe, nil},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			ae := e.token("hospital-clinician", "nhs", "RZ"+string(rune('A'+i)))
			if r := e.do("GET", "/fhir/Condition?code="+diabetes, ae, "", "X-Break-Glass", bgReason); r.status != 400 {
				t.Fatalf("the premise: a break-glass search by code is refused: %d %.300s", r.status, r.body)
			}
			r := e.do(c.method, c.path, ae, c.body, append(c.hdr, "X-Break-Glass", bgReason)...)
			if strings.Contains(r.body, "GP-DIABETES") || strings.Contains(r.body, "Patient/jane") || strings.Contains(r.body, "Condition/diabetes") {
				t.Errorf("break-glass %s by diagnosis code, naming no one, answered with Jane's diabetes entry or its id: %d %.400s", c.name, r.status, r.body)
			}
			if g := e.do("GET", "/fhir/Patient/jane/$everything", ae, ""); g.status == 200 {
				t.Errorf("break-glass %s by diagnosis code stored a 4-hour grant on Jane, whom the clinician never named", c.name)
			}
		})
	}
}

// TestBreakGlassConditionNamingThePersonMatches: the other side of the
// fix — a break-glass condition that names its person is not refused, and
// once the record is open (here by a search naming her) it matches her
// existing entry rather than storing a duplicate; an item's own history is
// not refused either.
func TestBreakGlassConditionNamingThePersonMatches(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	ae := e.token("hospital-clinician", "nhs", "RZZ")
	probe := `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]}}`
	if r := e.do("GET", "/fhir/Condition?patient=Patient/jane", ae, "", "X-Break-Glass", bgReason); r.status != 200 {
		t.Fatalf("break-glass search naming Jane: %d", r.status)
	}
	r := e.do("POST", "/fhir/Condition", ae, probe, "If-None-Exist", "patient=Patient/jane&code=http://snomed.info/sct|44054006", "X-Break-Glass", bgReason)
	if r.status != 200 || !strings.Contains(r.body, "GP-DIABETES") {
		t.Fatalf("break-glass conditional create naming Jane: %d %.300s", r.status, r.body)
	}
	r = e.do("POST", "/fhir/Observation", ae, `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/jane"}}`,
		"If-None-Exist", "code=http://snomed.info/sct|44054006", "X-Break-Glass", bgReason)
	if r.status != 400 || !strings.Contains(r.body, "must name the person") {
		t.Fatalf("break-glass condition naming no one: %d %.300s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/diabetes/_history", ae, "", "X-Break-Glass", bgReason); r.status != 200 {
		t.Fatalf("break-glass history of one item: %d %.300s", r.status, r.body)
	}
}
