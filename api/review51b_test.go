package api_test

// Review 51b: $everything in depth (SPEC §3, §5, §6, §7): parameters,
// paging, referenced and linked people, the confidential-items notice,
// unknown persons, POST, and the access log.

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

type r51bBundle struct {
	Total int `json:"total"`
	Link  []struct {
		Relation string `json:"relation"`
		URL      string `json:"url"`
	} `json:"link"`
	Entry []struct {
		Resource struct {
			ResourceType string `json:"resourceType"`
			ID           string `json:"id"`
		} `json:"resource"`
	} `json:"entry"`
}

func r51bParse(t *testing.T, body string) r51bBundle {
	t.Helper()
	var b r51bBundle
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		t.Fatalf("not a Bundle: %v %.300s", err, body)
	}
	return b
}

func (b r51bBundle) next() string {
	for _, l := range b.Link {
		if l.Relation == "next" {
			return l.URL
		}
	}
	return ""
}

// TestReview51bSoundPagedEverythingHidesWithheld: the district nurse pages
// through Jane's $everything one item a page. Every page has the same
// total (the visible count), carries the notice (something is withheld),
// and no page names the withheld HIV diagnosis or the HbA1c; the pages
// together hold exactly total items. The next link replayed by the GP is
// decided for the GP (she sees the HIV diagnosis, with no notice).
func TestReview51bSoundPagedEverythingHidesWithheld(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	gp := e.token("gp", "nhs", "A81001")
	full := e.do("GET", "/fhir/Patient/jane/$everything", nurse, "")
	if full.status != 200 {
		t.Fatalf("premise: %d %s", full.status, full.body)
	}
	want := r51bParse(t, full.body).Total
	path := "/fhir/Patient/jane/$everything?_count=1"
	seen := map[string]bool{}
	var firstNext string
	for page := 0; path != "" && page < 50; page++ {
		r := e.do("GET", path, nurse, "")
		if r.status != 200 {
			t.Fatalf("page %d %s: %d %s", page, path, r.status, r.body)
		}
		for _, bad := range []string{"GP-HIV", "Condition/hiv", `"id":"hiv"`, "GP-HBA1C", "hba1c"} {
			if strings.Contains(r.body, bad) {
				t.Errorf("page %d releases %q: %.500s", page, bad, r.body)
			}
		}
		if !strings.Contains(r.body, "confidential-items") {
			t.Errorf("page %d lacks the notice: %.400s", page, r.body)
		}
		b := r51bParse(t, r.body)
		if b.Total != want {
			t.Errorf("page %d total %d, want %d", page, b.Total, want)
		}
		for _, en := range b.Entry {
			if en.Resource.ResourceType != "OperationOutcome" {
				seen[en.Resource.ResourceType+"/"+en.Resource.ID] = true
			}
		}
		n := b.next()
		if page == 0 {
			firstNext = n
		}
		if n == "" {
			break
		}
		u, err := url.Parse(n)
		if err != nil {
			t.Fatal(err)
		}
		if u.Query().Get("_count") != "1" {
			t.Errorf("next link loses _count: %s", n)
		}
		path = u.RequestURI()
	}
	if len(seen) != want {
		t.Errorf("pages held %d distinct items, total %d: %v", len(seen), want, seen)
	}
	if firstNext == "" {
		t.Fatal("premise: no next link")
	}
	u, _ := url.Parse(firstNext)
	// Replayed by the GP, the same link is decided for her.
	all := e.do("GET", "/fhir/Patient/jane/$everything?_count=100", gp, "")
	if all.status != 200 || !strings.Contains(all.body, "GP-HIV-UNLABELLED") || strings.Contains(all.body, "confidential-items") {
		t.Errorf("GP's $everything: %d %.500s", all.status, all.body)
	}
	r := e.do("GET", u.RequestURI(), gp, "")
	if r.status != 200 || r51bParse(t, r.body).Total != r51bParse(t, all.body).Total {
		t.Errorf("GP replaying the nurse's next link: %d total %d, want %d", r.status, r51bParse(t, r.body).Total, r51bParse(t, all.body).Total)
	}
}

// TestReview51bSoundNoticeOnlyWhenWithheld: the notice is absent where
// nothing is withheld (the registered GP; the nurse asking only for care
// plans, of which she sees all; the source organisation's system reading
// back its own), present where something is (the nurse, whole record and
// _type=Condition), also on a page past the end and with _count=0.
func TestReview51bSoundNoticeOnlyWhenWithheld(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	gp := e.token("gp", "nhs", "A81001")
	for _, c := range []struct {
		who, tok, path string
		notice         bool
	}{
		{"gp", gp, "/fhir/Patient/jane/$everything", false},
		{"nurse", nurse, "/fhir/Patient/jane/$everything?_type=CarePlan", false},
		{"nurse", nurse, "/fhir/Patient/jane/$everything", true},
		{"nurse", nurse, "/fhir/Patient/jane/$everything?_type=Condition", true},
		{"nurse", nurse, "/fhir/Patient/jane/$everything?_offset=400", true},
		{"nurse", nurse, "/fhir/Patient/jane/$everything?_count=0", true},
	} {
		r := e.do("GET", c.path, c.tok, "")
		if r.status != 200 {
			t.Errorf("%s %s: %d %.300s", c.who, c.path, r.status, r.body)
			continue
		}
		if got := strings.Contains(r.body, "confidential-items"); got != c.notice {
			t.Errorf("%s %s: notice %v, want %v: %.400s", c.who, c.path, got, c.notice, r.body)
		}
		if strings.Contains(r.body, "GP-HIV") && c.who == "nurse" {
			t.Errorf("%s %s releases HIV: %.400s", c.who, c.path, r.body)
		}
	}
}

// TestReview51bTypeGivenTwiceIsRefused: README (the $everything row): "A
// malformed value, a start after end, or a filter given twice is a 400";
// SPEC §7: bad input gets a clear OperationOutcome and nothing released.
// _type given twice (`_type=CarePlan&_type=Condition`) is answered 200 with
// the first value alone: the client asked for conditions too and is told,
// silently, there are none.
func TestReview51bTypeGivenTwiceIsRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, q := range []string{"_type=CarePlan&_type=Condition", "_count=1&_count=50", "_offset=0&_offset=1"} {
		r := e.do("GET", "/fhir/Patient/jane/$everything?"+q, nurse, "")
		if r.status != 400 || !strings.Contains(r.body, "OperationOutcome") {
			t.Errorf("GET $everything?%s: %d, want 400: %.300s", q, r.status, r.body)
		}
	}
}

// TestReview51bPOSTTypeInQueryAndBodyIsRefused: POST $everything joins the
// body's parameters to the query's; _type given in both is given twice,
// yet the query's silently wins and the body's is dropped. (start given in
// both is refused, 400, for comparison.)
func TestReview51bPOSTTypeInQueryAndBodyIsRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	startBoth := e.do("POST", "/fhir/Patient/jane/$everything?start=2020", nurse, `{"resourceType":"Parameters","parameter":[{"name":"start","valueDate":"2021"}]}`)
	if startBoth.status != 400 {
		t.Fatalf("premise: start in query and body: %d %.300s", startBoth.status, startBoth.body)
	}
	r := e.do("POST", "/fhir/Patient/jane/$everything?_type=CarePlan", nurse, `{"resourceType":"Parameters","parameter":[{"name":"_type","valueString":"Condition"}]}`)
	if r.status != 400 {
		t.Errorf("POST $everything?_type=CarePlan with body _type=Condition: %d, want 400: %.400s", r.status, r.body)
	}
	r = e.do("POST", "/fhir/Patient/jane/$everything", nurse, `{"resourceType":"Parameters","parameter":[{"name":"_type","valueString":"CarePlan"},{"name":"_type","valueString":"Condition"}]}`)
	if r.status != 400 {
		t.Errorf("POST $everything with body _type twice (CarePlan, Condition): %d, want 400: %.400s", r.status, r.body)
	}
}

// TestReview51bSoundLinkedPatientPullsNothing: Jane's GP system links her
// Patient (seealso, and replaced-by) to Bob's. Her $everything, for the
// nurse and for the GP, holds none of Bob's items, and the nurse, who
// has no relationship with Bob, is not given his Patient resource.
func TestReview51bSoundLinkedPatientPullsNothing(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedBob(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	gp := e.token("gp", "nhs", "A81001")
	for _, typ := range []string{"seealso", "replaced-by"} {
		body := strings.TrimSuffix(janeJSON, "}") + `,"link":[{"other":{"reference":"Patient/bob"},"type":"` + typ + `"}]}`
		if r := e.do("PUT", "/fhir/Patient/jane", gpSys, body); r.status != 200 {
			t.Fatalf("link %s: %d %s", typ, r.status, r.body)
		}
		for who, tok := range map[string]string{"nurse": nurse, "gp": gp} {
			r := e.do("GET", "/fhir/Patient/jane/$everything", tok, "")
			if r.status != 200 {
				t.Fatalf("%s %s: %d %.300s", typ, who, r.status, r.body)
			}
			for _, en := range r51bParse(t, r.body).Entry {
				if en.Resource.ID == "bob" || en.Resource.ID == "bob-dx" {
					t.Errorf("%s: %s's $everything of Jane holds Bob's %s/%s", typ, who, en.Resource.ResourceType, en.Resource.ID)
				}
			}
			if strings.Contains(r.body, "BOB-DIAGNOSIS") {
				t.Errorf("%s: %s's $everything of Jane holds Bob's diagnosis", typ, who)
			}
		}
		if r := e.do("GET", "/fhir/Patient/jane/$everything", nurse, ""); strings.Contains(r.body, "Patient/bob") {
			t.Errorf("%s: the nurse (no relationship with Bob) sees the link to Patient/bob unmasked: %.600s", typ, r.body)
		}
	}
}

// TestReview51bSoundUnknownAndUnrelated: an unknown parameter is a 400
// OperationOutcome, a person with nothing stored a 404, a user with no
// relationship a 403 (README), by GET and POST alike; none releases
// anything of Jane's.
func TestReview51bSoundUnknownAndUnrelated(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	stranger := e.token("gp", "nhs", "Z99999")
	for _, c := range []struct {
		method, path, tok, body string
		want                    int
	}{
		{"GET", "/fhir/Patient/jane/$everything?patient=jane", nurse, "", 400},
		{"GET", "/fhir/Patient/jane/$everything?_elements=id", nurse, "", 400},
		{"GET", "/fhir/Patient/jane/$everything?_type=Nonsense", nurse, "", 400},
		{"GET", "/fhir/Patient/jane/$everything?start=2026-13-01", nurse, "", 400},
		{"GET", "/fhir/Patient/jane/$everything?start=2026&end=2025", nurse, "", 400},
		{"GET", "/fhir/Patient/jane/$everything?_since=2026-01-01", nurse, "", 400},
		{"POST", "/fhir/Patient/jane/$everything", nurse, `{"resourceType":"Parameters","parameter":[{"name":"foo","valueString":"x"}]}`, 400},
		{"POST", "/fhir/Patient/jane/$everything", nurse, `{"resourceType":"Patient"}`, 400},
		{"GET", "/fhir/Patient/nobody/$everything", nurse, "", 404},
		{"POST", "/fhir/Patient/nobody/$everything", nurse, `{"resourceType":"Parameters"}`, 404},
		{"GET", "/fhir/Patient/jane/$everything", stranger, "", 403},
		{"POST", "/fhir/Patient/jane/$everything", stranger, `{"resourceType":"Parameters"}`, 403},
	} {
		r := e.do(c.method, c.path, c.tok, c.body)
		if r.status != c.want || !strings.Contains(r.body, "OperationOutcome") {
			t.Errorf("%s %s: %d, want %d: %.300s", c.method, c.path, r.status, c.want, r.body)
		}
		for _, bad := range []string{"GP-DIABETES", "GP-HIV", "TRUST-WOUND"} {
			if strings.Contains(r.body, bad) {
				t.Errorf("%s %s releases %q", c.method, c.path, bad)
			}
		}
	}
}

// TestReview51bSoundLoggedOnceWithWithheld: each $everything (GET and
// POST) is one access-log entry naming Jane, with the withheld count of
// the whole record, whatever the page.
func TestReview51bSoundLoggedOnceWithWithheld(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/fhir/Patient/jane/$everything", ""},
		{"GET", "/fhir/Patient/jane/$everything?_count=1&_offset=2", ""},
		{"POST", "/fhir/Patient/jane/$everything", `{"resourceType":"Parameters","parameter":[{"name":"_count","valueInteger":1}]}`},
	} {
		e.rec.mu.Lock()
		before := len(e.rec.xs)
		e.rec.mu.Unlock()
		r := e.do(c.method, c.path, nurse, c.body)
		if r.status != 200 {
			t.Fatalf("%s %s: %d %s", c.method, c.path, r.status, r.body)
		}
		e.rec.mu.Lock()
		got := e.rec.xs[before:]
		e.rec.mu.Unlock()
		if len(got) != 1 {
			t.Errorf("%s %s: %d log entries, want 1", c.method, c.path, len(got))
			continue
		}
		x := got[0]
		if x.Operation != "everything" || x.Patient != "jane" || x.Withheld < 2 {
			t.Errorf("%s %s: logged op %q patient %q withheld %d", c.method, c.path, x.Operation, x.Patient, x.Withheld)
		}
		for _, rel := range x.Released {
			if strings.HasPrefix(rel, "Condition/hiv/") || strings.HasPrefix(rel, "Observation/hba1c/") {
				t.Errorf("%s %s: logged as released %s", c.method, c.path, rel)
			}
		}
	}
}

// TestReview51bSoundConsentChangeBetweenPages: a next link taken before
// Jane's objection to the council and followed after it is decided by the
// objection: the social worker's later page holds none of the NHS items.
func TestReview51bSoundConsentChangeBetweenPages(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	sw := e.token("social-worker", "council", "E06000999")
	r := e.do("GET", "/fhir/Patient/jane/$everything?_count=1", sw, "")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	before := r51bParse(t, r.body)
	next := before.next()
	if next == "" || !strings.Contains(e.do("GET", "/fhir/Patient/jane/$everything", sw, "").body, "GP-DIABETES") {
		t.Fatalf("premise: the social worker sees Jane's diabetes and pages: %.400s", r.body)
	}
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/jane-no-council", janeNotSharedWithCouncil})
	u, _ := url.Parse(next)
	path := u.RequestURI()
	for page := 0; path != "" && page < 20; page++ {
		r := e.do("GET", path, sw, "")
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		for _, bad := range []string{"GP-DIABETES", "GP-HIV", "TRUST-WOUND", "HOSP-ADMISSION"} {
			if strings.Contains(r.body, bad) {
				t.Errorf("after her objection, page %d releases %q", page, bad)
			}
		}
		if !strings.Contains(r.body, "confidential-items") {
			t.Errorf("page %d after her objection lacks the notice", page)
		}
		b := r51bParse(t, r.body)
		if b.Total >= before.Total {
			t.Errorf("total after objection %d, before %d", b.Total, before.Total)
		}
		n := b.next()
		if n == "" {
			break
		}
		u, _ := url.Parse(n)
		path = u.RequestURI()
	}
}

// TestReview51bSoundGroupNamingAnotherPersonMasked: the GP's Group (a
// cohort naming Jane and Bob) is in Jane's $everything; the nurse, who has
// no relationship with Bob, is not told of him (his reference masked, or
// the Group withheld), and a cohort coded HIV infection is withheld.
func TestReview51bSoundGroupNamingAnotherPersonMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedBob(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Group/cohort", `{"resourceType":"Group","id":"cohort","type":"person","actual":true,"name":"R51B-COHORT",
		  "member":[{"entity":{"reference":"Patient/jane"}},{"entity":{"reference":"Patient/bob","display":"R51B-BOB-NAME"}}]}`},
		[2]string{"/fhir/Group/hivcohort", `{"resourceType":"Group","id":"hivcohort","type":"person","actual":true,"name":"R51B-HIV-COHORT",
		  "code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]},
		  "member":[{"entity":{"reference":"Patient/jane"}}]}`})
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Patient/jane/$everything", gp, ""); !strings.Contains(r.body, "R51B-COHORT") {
		t.Fatalf("premise: the Group is in Jane's record for her GP: %.400s", r.body)
	}
	r := e.do("GET", "/fhir/Patient/jane/$everything", nurse, "")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	for _, bad := range []string{"Patient/bob", "R51B-BOB-NAME", "R51B-HIV-COHORT", "hivcohort"} {
		if strings.Contains(r.body, bad) {
			t.Errorf("nurse's $everything of Jane releases %q: %.800s", bad, r.body)
		}
	}
}

// TestReview51bSoundLinkingPatientNotInOtherRecord: Jane's Patient links
// to Bob's (R4 puts Patient.link in the other's compartment). Bob's
// $everything, for a hospital clinician whose care team has Bob alone,
// must not release Jane's Patient (her NHS number, name, birth date).
func TestReview51bSoundLinkingPatientNotInOtherRecord(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedBob(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hospSys := e.token("system", "nhs", "RDX")
	body := strings.TrimSuffix(janeJSON, "}") + `,"link":[{"other":{"reference":"Patient/bob"},"type":"seealso"}]}`
	if r := e.do("PUT", "/fhir/Patient/jane", gpSys, body); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	e.putAll(t, hospSys, [2]string{"/fhir/CareTeam/bob-ward", `{"resourceType":"CareTeam","id":"bob-ward","status":"active","subject":{"reference":"Patient/bob"},"participant":[{"member":{"reference":"Organization/RDX"}}]}`})
	clin := e.token("hospital-clinician", "nhs", "RDX")
	if r := e.do("GET", "/fhir/Patient/jane", clin, ""); r.status != 403 && r.status != 404 {
		t.Fatalf("premise: RDX has no relationship with Jane: %d %.300s", r.status, r.body)
	}
	r := e.do("GET", "/fhir/Patient/bob/$everything", clin, "")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	for _, bad := range []string{"9434765919", "Smith", "1950-03-04", `"id":"jane"`} {
		if strings.Contains(r.body, bad) {
			t.Errorf("Bob's $everything for RDX releases Jane's %q: %.800s", bad, r.body)
		}
	}
}

// TestReview51bSoundEncodedOperationPath: $everything asked with its '$'
// percent-encoded, or with a trailing slash, is no way round the decision.
func TestReview51bSoundEncodedOperationPath(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	stranger := e.token("gp", "nhs", "Z99999")
	for _, p := range []string{"/fhir/Patient/jane/%24everything", "/fhir/Patient/jane/$everything/", "/fhir/Patient/jane/$Everything", "/fhir/Patient/jane/$everything;x=1"} {
		for who, tok := range map[string]string{"nurse": nurse, "stranger": stranger} {
			r := e.do("GET", p, tok, "")
			for _, bad := range []string{"GP-HIV", "GP-HBA1C"} {
				if strings.Contains(r.body, bad) {
					t.Errorf("%s GET %s: %d releases %q", who, p, r.status, bad)
				}
			}
			if who == "stranger" && (r.status == 200 || strings.Contains(r.body, "GP-DIABETES")) {
				t.Errorf("stranger GET %s: %d %.300s", p, r.status, r.body)
			}
		}
	}
}

// TestReview51bSoundBatchEverythingDecidedAlike: $everything as a batch
// entry's GET is decided as the request itself: the nurse's entry holds no
// withheld item and carries the notice, a stranger's is refused.
func TestReview51bSoundBatchEverythingDecidedAlike(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	stranger := e.token("gp", "nhs", "Z99999")
	batch := `{"resourceType":"Bundle","type":"batch","entry":[
	  {"request":{"method":"GET","url":"Patient/jane/$everything"}},
	  {"request":{"method":"GET","url":"Patient/jane/$everything?_type=Condition&_count=1&_offset=1"}},
	  {"request":{"method":"GET","url":"Patient/jane/$everything?_type=Condition&_type=Observation"}}]}`
	r := e.do("POST", "/fhir", nurse, batch)
	if r.status != 200 {
		t.Fatalf("%d %.400s", r.status, r.body)
	}
	for _, bad := range []string{"GP-HIV", "GP-HBA1C", "Condition/hiv"} {
		if strings.Contains(r.body, bad) {
			t.Errorf("nurse's batch $everything releases %q: %.800s", bad, r.body)
		}
	}
	if !strings.Contains(r.body, "confidential-items") {
		t.Errorf("nurse's batch $everything lacks the notice: %.600s", r.body)
	}
	r = e.do("POST", "/fhir", stranger, batch)
	if strings.Contains(r.body, "GP-DIABETES") || strings.Contains(r.body, "TRUST-WOUND") {
		t.Errorf("stranger's batch $everything releases Jane's record: %d %.600s", r.status, r.body)
	}
}

// TestReview51bSoundNoTypeLevelEverything: no $everything of every
// patient (records are never released in bulk): /Patient/$everything and
// /$everything are refused, and release nothing.
func TestReview51bSoundNoTypeLevelEverything(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	for _, p := range []string{"/fhir/Patient/$everything", "/fhir/$everything", "/fhir/Patient/$everything?_count=10"} {
		for _, m := range []string{"GET", "POST"} {
			body := ""
			if m == "POST" {
				body = `{"resourceType":"Parameters"}`
			}
			r := e.do(m, p, gp, body)
			if r.status < 400 || strings.Contains(r.body, "GP-DIABETES") {
				t.Errorf("%s %s: %d %.300s", m, p, r.status, r.body)
			}
		}
	}
}

// TestReview51bSoundRestrictedEverythingAlertsAnyType: the nurse's
// $everything of restricted Margaret raises the restricted-patient alert
// also when _type leaves her Patient out (every access to her does), and
// never gives her address, phone or GP.
func TestReview51bSoundRestrictedEverythingAlertsAnyType(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedRestricted(t, e)
	for i, q := range []string{"_type=CareTeam", "_type=Patient", "_count=0", "start=2020-01-01"} {
		sub := "nurse51b-" + string(rune('a'+i))
		nurse := e.token("district-nurse", "nhs", "RCX", func(c *auth.DevClaims) { c.Sub = sub })
		r := e.do("GET", "/fhir/Patient/marg/$everything?"+q, nurse, "")
		if r.status != 200 || strings.Contains(r.body, "SECRET-") || strings.Contains(r.body, "01134960999") || strings.Contains(r.body, "LS9") || strings.Contains(r.body, "dr-secret") {
			t.Errorf("%s: %d %.500s", q, r.status, r.body)
		}
		if !restrictedAlerts9b(t, e, "marg")[sub] {
			t.Errorf("%s: no restricted-patient alert for %s", q, sub)
		}
	}
}

// TestReview51bSoundOtherPersonsEverythingURLInJanesRecord: a document of
// Jane's (the hospital's, released to her district nurse) whose
// attachment url, or an extension's valueUri, names an operation on Bob's
// record (Patient/bob/$everything), or Bob's Binary. README: a reference
// or url naming a person whose record the user may not open, or an item
// withheld (also "naming the item's history or an operation on it"), goes
// out masked, and the attachment without its title.
func TestReview51bSoundOtherPersonsEverythingURLInJanesRecord(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedBob(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hospSys := e.token("system", "nhs", "RHX")
	nurse := e.token("district-nurse", "nhs", "RCX")
	e.putAll(t, gpSys, [2]string{"/fhir/Binary/bobbin", `{"resourceType":"Binary","id":"bobbin","contentType":"text/plain","securityContext":{"reference":"Patient/bob"},"data":"UjUxQi1CT0ItQklOQVJZ"}`})
	if r := e.do("GET", "/fhir/Patient/bob", nurse, ""); r.status != 403 && r.status != 404 {
		t.Fatalf("premise: the nurse may not open Bob's record: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Binary/bobbin", nurse, ""); r.status != 404 && r.status != 403 {
		t.Fatalf("premise: Bob's Binary withheld from the nurse: %d %.200s", r.status, r.body)
	}
	cases := []struct{ id, url string }{
		{"r51b-op", "Patient/bob/$everything"},
		{"r51b-opq", "Patient/bob/$everything?_type=Condition"},
		{"r51b-opabs", "http://carex.example/fhir/Patient/bob/$everything"},
		{"r51b-bin", "Binary/bobbin"},
		{"r51b-hist", "Patient/bob/_history"},
	}
	for _, c := range cases {
		e.putAll(t, hospSys, [2]string{"/fhir/CarePlan/" + c.id, `{"resourceType":"CarePlan","id":"` + c.id + `","status":"active","intent":"plan",
		  "subject":{"reference":"Patient/jane"},"title":"R51B-DOC",
		  "extension":[{"url":"https://carex.example/x","valueUri":"` + c.url + `"},
		    {"url":"https://carex.example/y","valueAttachment":{"contentType":"application/fhir+json","url":"` + c.url + `","title":"R51B-BOB-TITLE"}}]}`})
	}
	r := e.do("GET", "/fhir/Patient/jane/$everything?_type=CarePlan", nurse, "")
	if r.status != 200 || strings.Count(r.body, "R51B-DOC") != len(cases) {
		t.Fatalf("premise: the nurse sees the hospital's care plans: %d %.300s", r.status, r.body)
	}
	var b struct {
		Entry []struct {
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	json.Unmarshal([]byte(r.body), &b)
	for _, en := range b.Entry {
		s := string(en.Resource)
		if strings.Contains(s, "Patient/bob") || strings.Contains(s, "Binary/bobbin") || strings.Contains(s, "R51B-BOB-TITLE") {
			t.Errorf("nurse's $everything of Jane names Bob's record or Binary: %.600s", s)
		}
	}
}

// TestReview51bSoundProvenanceAndContainedInEverything: in the nurse's
// $everything of Jane, a Provenance targeting her visible diabetes but
// naming the withheld HIV diagnosis as an entity carries that reference
// masked (or is withheld); a Provenance targeting the HIV diagnosis is
// absent; a care plan carrying a contained Condition coded HIV infection is
// withheld (labelled from its contained resource), with the notice.
func TestReview51bSoundProvenanceAndContainedInEverything(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hospSys := e.token("system", "nhs", "RHX")
	nurse := e.token("district-nurse", "nhs", "RCX")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Provenance/p-dm", `{"resourceType":"Provenance","id":"p-dm","target":[{"reference":"Condition/diabetes"}],"recorded":"2026-01-01T00:00:00Z",
		  "agent":[{"who":{"reference":"Organization/A81001"}}],"entity":[{"role":"source","what":{"reference":"Condition/hiv","display":"R51B-ENTITY-HIV"}}]}`},
		[2]string{"/fhir/Provenance/p-hiv", `{"resourceType":"Provenance","id":"p-hiv","target":[{"reference":"Condition/hiv"}],"recorded":"2026-01-01T00:00:00Z",
		  "agent":[{"who":{"reference":"Organization/A81001"}}],"reason":[{"text":"R51B-PROV-HIV"}]}`})
	e.putAll(t, hospSys, [2]string{"/fhir/CarePlan/r51b-cont", `{"resourceType":"CarePlan","id":"r51b-cont","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"R51B-CONTAINED-PLAN",
	  "contained":[{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}],
	  "addresses":[{"reference":"#c1"}]}`})
	for _, q := range []string{"", "?_type=Provenance,CarePlan", "?_count=1&_offset=3"} {
		r := e.do("GET", "/fhir/Patient/jane/$everything"+q, nurse, "")
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		for _, bad := range []string{"Condition/hiv", "R51B-ENTITY-HIV", "R51B-PROV-HIV", "p-hiv", "R51B-CONTAINED-PLAN", "86406008"} {
			if strings.Contains(r.body, bad) {
				t.Errorf("nurse $everything%s releases %q: %.800s", q, bad, r.body)
			}
		}
		if !strings.Contains(r.body, "confidential-items") {
			t.Errorf("nurse $everything%s lacks the notice", q)
		}
	}
}

// TestReview51bSoundSharedPersonUnderOtherPersonsOptOut: the hospital's
// Person record linking Jane's and Bob's Patients is in both records; once
// Bob has opted out it is withheld from Jane's district nurse and from
// the GP in Jane's $everything (Bob's objection withholds a shared item),
// and never names Bob to the nurse.
func TestReview51bSoundSharedPersonUnderOtherPersonsOptOut(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedBob(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hospSys := e.token("system", "nhs", "RHX")
	nurse := e.token("district-nurse", "nhs", "RCX")
	gp := e.token("gp", "nhs", "A81001")
	e.putAll(t, hospSys, [2]string{"/fhir/Person/r51b-both", `{"resourceType":"Person","id":"r51b-both","name":[{"text":"R51B-PERSON"}],
	  "address":[{"line":["R51B-PERSON-ADDR"]}],"link":[{"target":{"reference":"Patient/jane"}},{"target":{"reference":"Patient/bob"}}]}`})
	r := e.do("GET", "/fhir/Patient/jane/$everything", gp, "")
	if !strings.Contains(r.body, "R51B-PERSON") {
		t.Skipf("premise: the Person is not in Jane's record for her GP: %.300s", r.body)
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", nurse, ""); strings.Contains(r.body, "Patient/bob") {
		t.Errorf("the nurse (no relationship with Bob) is told of him: %.600s", r.body)
	}
	bobOut := strings.NewReplacer("Patient/jane", "Patient/bob", `"id":"jane-optout"`, `"id":"bob-optout"`).Replace(janeConsent("jane-optout", "2026-01-10", "OPTOUT", ""))
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/bob-optout", bobOut})
	for who, tok := range map[string]string{"nurse": nurse, "gp": gp} {
		r := e.do("GET", "/fhir/Patient/jane/$everything", tok, "")
		if r.status != 200 {
			t.Fatalf("%s: %d %s", who, r.status, r.body)
		}
		if strings.Contains(r.body, "R51B-PERSON") {
			t.Errorf("%s: after Bob's opt-out, Jane's $everything still releases the Person shared with him: %.600s", who, r.body)
		}
	}
}
