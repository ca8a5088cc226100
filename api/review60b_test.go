package api_test

// Review 60b: bulk and secondary use (SPEC §4 purpose of use: carex is for
// direct care, records are never released in bulk for secondary use; §6
// the unusual-volume alert). Probes only: each asserts what SPEC requires,
// and logs the numbers seen (people listed per request, alerts raised).

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/api/auth"
)

const r60bN = 60 // people per practice; the default volume threshold is 50

// r60bSeed: 60 people registered with practice A81001 and 60 with A82002,
// each with one Condition written by their practice's system.
func r60bSeed(t *testing.T, e *env) {
	t.Helper()
	for _, pr := range []struct{ org, tag string }{{"A81001", "a"}, {"A82002", "b"}} {
		var entries []string
		for i := range r60bN {
			id := fmt.Sprintf("p60b-%s%02d", pr.tag, i)
			entries = append(entries,
				`{"resource":{"resourceType":"Patient","id":"`+id+`","name":[{"family":"R60BFAM`+strings.ToUpper(pr.tag)+`"}],"generalPractitioner":[{"reference":"Organization/`+pr.org+`"}]},"request":{"method":"PUT","url":"Patient/`+id+`"}}`,
				`{"resource":{"resourceType":"Condition","id":"c60b-`+pr.tag+fmt.Sprintf("%02d", i)+`","subject":{"reference":"Patient/`+id+`"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}],"text":"R60B-COND-`+strings.ToUpper(pr.tag)+`"}},"request":{"method":"PUT","url":"Condition/c60b-`+pr.tag+fmt.Sprintf("%02d", i)+`"}}`)
		}
		sys := e.token("system", "nhs", pr.org)
		if r := e.do("POST", "/fhir", sys, `{"resourceType":"Bundle","type":"transaction","entry":[`+strings.Join(entries, ",")+`]}`); r.status != 200 {
			t.Fatalf("seed %s: %d %.300s", pr.org, r.status, r.body)
		}
	}
}

type r60bBundle struct {
	Total *int `json:"total"`
	Entry []struct {
		Resource json.RawMessage `json:"resource"`
		Response *struct {
			Status string `json:"status"`
		} `json:"response"`
	} `json:"entry"`
	Link []struct {
		Relation string `json:"relation"`
		URL      string `json:"url"`
	} `json:"link"`
}

// r60bPeople counts the distinct people of practices a and b whose items
// (their Patient, or anything naming them) a response carries, anywhere
// in its body (nested bundles of a batch included).
func r60bPeople(body string) (a, b int) {
	for i := range r60bN {
		if strings.Contains(body, fmt.Sprintf("p60b-a%02d\"", i)) {
			a++
		}
		if strings.Contains(body, fmt.Sprintf("p60b-b%02d\"", i)) {
			b++
		}
	}
	return
}

// r60bVolume: the volume alert of user sub, "" when none.
func r60bVolume(t *testing.T, e *env, sub string) string {
	t.Helper()
	r := e.do("GET", "/fhir/AuditEvent/$alerts", e.token("ig-officer", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "r60b-ig" }), "")
	var rep alerts31c
	if err := json.Unmarshal([]byte(r.body), &rep); err != nil || r.status != 200 {
		t.Fatalf("$alerts: %d %v %.300s", r.status, err, r.body)
	}
	for _, a := range rep.Alerts {
		if a.Kind == "volume" && a.Sub == sub {
			return a.Detail
		}
	}
	return ""
}

// TestReview60bSoundSearchListsOnlyRelatedPeople: a search naming no one,
// at _count=1000 and paged, lists only the people the user's organisation
// has a relationship with (SPEC §5.2), and Bundle.total counts only them.
func TestReview60bSoundSearchListsOnlyRelatedPeople(t *testing.T) {
	e := newEnv(t)
	r60bSeed(t, e)
	for _, tc := range []struct {
		name, role, sector, org, path string
		wantA, wantB                  int
	}{
		{"GP A81001 Patient", "gp", "nhs", "A81001", "/fhir/Patient?_count=1000", r60bN, 0},
		{"GP A81001 Condition", "gp", "nhs", "A81001", "/fhir/Condition?_count=1000", r60bN, 0},
		{"GP A81001 Condition+subject", "gp", "nhs", "A81001", "/fhir/Condition?_count=1000&_include=Condition:subject", r60bN, 0},
		{"GP A81001 Patient+revinclude", "gp", "nhs", "A81001", "/fhir/Patient?_count=1000&_revinclude=Condition:patient", r60bN, 0},
		{"GP A81001 Condition history", "gp", "nhs", "A81001", "/fhir/Condition/_history?_count=1000", r60bN, 0},
		{"GP A81001 system history", "gp", "nhs", "A81001", "/fhir/_history?_count=1000", r60bN, 0},
		{"GP A81001 name search", "gp", "nhs", "A81001", "/fhir/Patient?name=R60BFAM&_count=1000", r60bN, 0},
		{"district nurse RCX Patient", "district-nurse", "nhs", "RCX", "/fhir/Patient?_count=1000", 0, 0},
		{"hospital clinician RZZ Condition", "hospital-clinician", "nhs", "RZZ", "/fhir/Condition?_count=1000", 0, 0},
		{"hospital clinician RZZ system history", "hospital-clinician", "nhs", "RZZ", "/fhir/_history?_count=1000", 0, 0},
		{"social worker Patient", "social-worker", "council", "E06000999", "/fhir/Patient?_count=1000", 0, 0},
		{"social worker Condition history", "social-worker", "council", "E06000999", "/fhir/Condition/_history?_count=1000", 0, 0},
		{"system A82002 Patient", "system", "nhs", "A82002", "/fhir/Patient?_count=1000", 0, r60bN},
		{"system A82002 system history", "system", "nhs", "A82002", "/fhir/_history?_count=1000", 0, r60bN},
		{"system A81001 Condition", "system", "nhs", "A81001", "/fhir/Condition?_count=1000", r60bN, 0},
	} {
		r := e.do("GET", tc.path, e.token(tc.role, tc.sector, tc.org), "")
		a, b := r60bPeople(r.body)
		var bu r60bBundle
		_ = json.Unmarshal([]byte(r.body), &bu)
		total := -1
		if bu.Total != nil {
			total = *bu.Total
		}
		t.Logf("%s: %s -> %d, %d entries, total %d, people listed A81001:%d A82002:%d", tc.name, tc.path, r.status, len(bu.Entry), total, a, b)
		if r.status != 200 {
			t.Errorf("%s: %d %.300s", tc.name, r.status, r.body)
			continue
		}
		if a != tc.wantA || b != tc.wantB {
			t.Errorf("%s: listed %d of A81001's and %d of A82002's people, want %d and %d", tc.name, a, b, tc.wantA, tc.wantB)
		}
		if strings.Contains(tc.name, "Patient") && !strings.Contains(tc.path, "revinclude") && bu.Total != nil && *bu.Total != tc.wantA+tc.wantB {
			t.Errorf("%s: total %d, want %d", tc.name, *bu.Total, tc.wantA+tc.wantB)
		}
	}
	// Paging through every Patient 25 at a time reaches the same 60.
	gp := e.token("gp", "nhs", "A81001")
	seenA, seenB, pages := 0, 0, 0
	next := "/fhir/Patient?_count=25"
	for next != "" && pages < 20 {
		r := e.do("GET", next, gp, "")
		if r.status != 200 {
			t.Fatalf("page %d: %d %.200s", pages, r.status, r.body)
		}
		a, b := r60bPeople(r.body)
		seenA, seenB = seenA+a, seenB+b
		pages++
		var bu r60bBundle
		_ = json.Unmarshal([]byte(r.body), &bu)
		next = ""
		for _, l := range bu.Link {
			if l.Relation == "next" {
				next = l.URL[strings.Index(l.URL, "/fhir"):]
			}
		}
	}
	t.Logf("paging Patient?_count=25: %d pages, A81001:%d A82002:%d", pages, seenA, seenB)
	if seenA != r60bN || seenB != 0 {
		t.Errorf("paging: %d and %d people, want %d and 0", seenA, seenB, r60bN)
	}
}

// TestReview60bVolumeAlertByRoute: one GP of A81001 pulling the 60 people
// registered with the practice (threshold 50) by each route that lists or
// reads many people in few requests: each is an unusual-volume alert
// (SPEC §6; README: "a known user's requests count").
func TestReview60bVolumeAlertByRoute(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	r60bSeed(t, e)
	var condSearches, everythings, reads300 []string
	for i := range r60bN {
		condSearches = append(condSearches, fmt.Sprintf(`{"request":{"method":"GET","url":"Condition?patient=p60b-a%02d"}}`, i))
		everythings = append(everythings, fmt.Sprintf(`{"request":{"method":"GET","url":"Patient/p60b-a%02d/$everything"}}`, i))
	}
	for i := range 300 {
		reads300 = append(reads300, fmt.Sprintf(`{"request":{"method":"GET","url":"Condition/c60b-a%02d"}}`, i%r60bN))
	}
	batch := func(entries []string) string {
		return `{"resourceType":"Bundle","type":"batch","entry":[` + strings.Join(entries, ",") + `]}`
	}
	type route struct {
		name string
		run  func(tok string) (status int, body string)
	}
	one := func(method, path, body string) func(string) (int, string) {
		return func(tok string) (int, string) {
			r := e.do(method, path, tok, body)
			return r.status, r.body
		}
	}
	routes := []route{
		{"Condition search", one("GET", "/fhir/Condition?_count=1000", "")},
		{"Condition search elements", one("GET", "/fhir/Condition?_count=1000&_elements=code", "")},
		{"Condition search include subject", one("GET", "/fhir/Condition?_count=1000&_include=Condition:subject", "")},
		{"Patient revinclude Condition", one("GET", "/fhir/Patient?_count=1000&_revinclude=Condition:patient", "")},
		{"Patient _search POST", func(tok string) (int, string) {
			r := e.do("POST", "/fhir/Patient/_search", tok, "_count=1000", "Content-Type", "application/x-www-form-urlencoded")
			return r.status, r.body
		}},
		{"Condition type history", one("GET", "/fhir/Condition/_history?_count=1000", "")},
		{"system history", one("GET", "/fhir/_history?_count=1000", "")},
		{"batch of 60 Condition searches", one("POST", "/fhir", batch(condSearches))},
		{"batch of 60 $everything", one("POST", "/fhir", batch(everythings))},
		{"batch of 300 Condition reads", one("POST", "/fhir", batch(reads300))},
		{"60 $everything requests", func(tok string) (int, string) {
			var all strings.Builder
			st := 200
			for i := range r60bN {
				r := e.do("GET", fmt.Sprintf("/fhir/Patient/p60b-a%02d/$everything", i), tok, "")
				if r.status != 200 {
					st = r.status
				}
				all.WriteString(r.body)
			}
			return st, all.String()
		}},
		{"paging Patient 10 at a time", func(tok string) (int, string) {
			var all strings.Builder
			st := 200
			for off := 0; off < r60bN; off += 10 {
				r := e.do("GET", fmt.Sprintf("/fhir/Patient?_count=10&_offset=%d", off), tok, "")
				if r.status != 200 {
					st = r.status
				}
				all.WriteString(r.body)
			}
			return st, all.String()
		}},
	}
	for i, rt := range routes {
		sub := fmt.Sprintf("r60b-vol-%02d", i)
		tok := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = sub })
		start := time.Now()
		st, body := rt.run(tok)
		a, b := r60bPeople(body)
		alert := r60bVolume(t, e, sub)
		t.Logf("%s: status %d in %v, people released A81001:%d A82002:%d; volume alert: %q", rt.name, st, time.Since(start).Round(time.Millisecond), a, b, alert)
		if st != 200 {
			t.Errorf("%s: %d %.300s", rt.name, st, body)
			continue
		}
		if a > 50 && alert == "" {
			t.Errorf("%s: one GP was released %d people's records (threshold 50) and no unusual-volume alert was raised", rt.name, a)
		}
	}
}

// TestReview60bVolumeCountOnlyAndRefusedSearches: searches that release
// no record but count a population (_summary=count, _count=0) or ask for
// people the user has no relationship with. Logged for the numbers; a
// count across a population names how many of the practice's people have
// a diagnosis, which is no opening of a record: not asserted.
func TestReview60bVolumeCountOnlyAndRefusedSearches(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	r60bSeed(t, e)
	for i, tc := range []struct{ name, role, sector, org, path string }{
		{"GP count Condition", "gp", "nhs", "A81001", "/fhir/Condition?code=44054006&_summary=count"},
		{"GP _count=0 Condition", "gp", "nhs", "A81001", "/fhir/Condition?code=44054006&_count=0"},
		{"hospital clinician RZZ Patient (no relationship)", "hospital-clinician", "nhs", "RZZ", "/fhir/Patient?_count=1000"},
		{"hospital clinician RZZ count", "hospital-clinician", "nhs", "RZZ", "/fhir/Condition?_summary=count"},
	} {
		sub := fmt.Sprintf("r60b-cnt-%02d", i)
		r := e.do("GET", tc.path, e.token(tc.role, tc.sector, tc.org, func(c *auth.DevClaims) { c.Sub = sub }), "")
		var bu r60bBundle
		_ = json.Unmarshal([]byte(r.body), &bu)
		total := -1
		if bu.Total != nil {
			total = *bu.Total
		}
		t.Logf("%s: %s -> %d, total %d, entries %d; volume alert %q", tc.name, tc.path, r.status, total, len(bu.Entry), r60bVolume(t, e, sub))
	}
}

// TestReview60bSoundNoBulkExport: carex offers no FHIR Bulk Data export
// nor NDJSON output of a search: each is refused, releasing no one.
func TestReview60bSoundNoBulkExport(t *testing.T) {
	e := newEnv(t)
	r60bSeed(t, e)
	gp := e.token("gp", "nhs", "A81001")
	sys := e.token("system", "nhs", "A81001")
	for _, tc := range []struct {
		method, path string
		hdr          []string
	}{
		{"GET", "/fhir/$export", []string{"Prefer", "respond-async", "Accept", "application/fhir+json"}},
		{"GET", "/fhir/Patient/$export", []string{"Prefer", "respond-async"}},
		{"GET", "/fhir/Group/g1/$export", []string{"Prefer", "respond-async"}},
		{"POST", "/fhir/$export", nil},
		{"GET", "/fhir/Patient?_count=1000&_format=ndjson", nil},
		{"GET", "/fhir/Patient?_count=1000&_format=application/fhir%2Bndjson", nil},
		{"GET", "/fhir/Patient?_count=1000", []string{"Accept", "application/fhir+ndjson"}},
		{"GET", "/fhir/Condition?_count=1000", []string{"Accept", "application/x-ndjson"}},
	} {
		for name, tok := range map[string]string{"gp": gp, "system": sys} {
			r := e.do(tc.method, tc.path, tok, "", tc.hdr...)
			a, b := r60bPeople(r.body)
			t.Logf("%s %s %s %v: %d (%s) people A81001:%d A82002:%d", name, tc.method, tc.path, tc.hdr, r.status, r.header.Get("Content-Type"), a, b)
			if r.status < 400 || a+b > 0 {
				t.Errorf("%s %s %s: %d, %d people, want a refusal: %.200s", name, tc.method, tc.path, r.status, a+b, r.body)
			}
		}
	}
	if r := e.do("GET", "/fhir/metadata", "", ""); strings.Contains(r.body, "$export") || strings.Contains(r.body, "\"export\"") {
		t.Errorf("metadata names an export operation")
	}
}

// TestReview60bPurposeOnEveryRoute: a purpose other than TREAT, ETREAT or
// COC, in any spelling, is refused with 403 on every route (bulk searches,
// histories, batch entries, $everything by GET and POST, IG's reports,
// $explain), releasing no one; no purpose is TREAT.
func TestReview60bPurposeOnEveryRoute(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	r60bSeed(t, e)
	batch := `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Condition?_count=1000"}},{"request":{"method":"GET","url":"Patient/p60b-a01/$everything"}}]}`
	routes := []struct {
		role, sector, org, method, path, body string
	}{
		{"gp", "nhs", "A81001", "GET", "/fhir/Patient?_count=1000", ""},
		{"gp", "nhs", "A81001", "GET", "/fhir/Condition?_count=1000&_include=Condition:subject", ""},
		{"gp", "nhs", "A81001", "GET", "/fhir/Condition?_summary=count", ""},
		{"gp", "nhs", "A81001", "GET", "/fhir/Condition/_history?_count=1000", ""},
		{"gp", "nhs", "A81001", "GET", "/fhir/_history?_count=1000", ""},
		{"gp", "nhs", "A81001", "GET", "/fhir/Patient/p60b-a01/_history", ""},
		{"gp", "nhs", "A81001", "GET", "/fhir/Condition/c60b-a01", ""},
		{"gp", "nhs", "A81001", "POST", "/fhir", batch},
		{"gp", "nhs", "A81001", "GET", "/fhir/Patient/p60b-a01/$everything", ""},
		{"gp", "nhs", "A81001", "POST", "/fhir/Patient/p60b-a01/$everything", `{"resourceType":"Parameters"}`},
		{"system", "nhs", "A81001", "GET", "/fhir/Condition?_count=1000", ""},
		{"system", "nhs", "A81001", "GET", "/fhir/_history?_count=1000", ""},
		{"ig-officer", "nhs", "A81001", "GET", "/fhir/Patient/p60b-a01/$explain?role=gp&org=A81001&sector=nhs", ""},
		{"ig-officer", "nhs", "A81001", "GET", "/fhir/AuditEvent/$alerts", ""},
		{"ig-officer", "nhs", "A81001", "GET", "/fhir/AuditEvent?patient=p60b-a01", ""},
		{"ig-officer", "nhs", "A81001", "GET", "/fhir/AuditEvent/$who-accessed?patient=p60b-a01", ""},
		{"ig-officer", "nhs", "A81001", "GET", "/fhir/AuditEvent/$user-activity?agent=gp-user", ""},
		{"ig-officer", "nhs", "A81001", "GET", "/fhir/Consent?_count=1000", ""},
	}
	// First something for the IG reports to list.
	if r := e.do("GET", "/fhir/Patient/p60b-a01/$everything", e.token("gp", "nhs", "A81001"), ""); r.status != 200 {
		t.Fatalf("control: %d", r.status)
	}
	for _, purpose := range []string{"HMARKT", "HRESCH", "PUBHLTH", "HPAYMT", "treat", "http://terminology.hl7.org/CodeSystem/v3-ActReason|TREAT"} {
		for _, rt := range routes {
			tok := e.token(rt.role, rt.sector, rt.org, func(c *auth.DevClaims) { c.Purpose = purpose })
			r := e.do(rt.method, rt.path, tok, rt.body)
			a, b := r60bPeople(r.body)
			if r.status != 403 || a+b > 0 || strings.Contains(r.body, "R60B-COND") {
				t.Errorf("purpose %q, %s %s %s: %d, %d people, want 403: %.200s", purpose, rt.role, rt.method, rt.path, r.status, a+b, r.body)
			}
		}
	}
	// No purpose claim: TREAT.
	tok := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Purpose = "" })
	r := e.do("GET", "/fhir/Patient?_count=1000", tok, "")
	if a, _ := r60bPeople(r.body); r.status != 200 || a != r60bN {
		t.Errorf("no purpose: %d, %d people, want 200 and %d", r.status, a, r60bN)
	}
	for _, p := range []string{"ETREAT", "COC"} {
		tok := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Purpose = p })
		if r := e.do("GET", "/fhir/Patient/p60b-a01/$everything", tok, ""); r.status != 200 {
			t.Errorf("purpose %s: %d", p, r.status)
		}
	}
}

// TestReview60bSoundExplainOfSecondaryPurpose: the IG officer's $explain
// of a user claiming a secondary-use purpose shows nothing released.
func TestReview60bSoundExplainOfSecondaryPurpose(t *testing.T) {
	e := newEnv(t)
	r60bSeed(t, e)
	ig := e.token("ig-officer", "nhs", "A81001")
	ok := e.do("GET", "/fhir/Patient/p60b-a01/$explain?role=gp&org=A81001&sector=nhs", ig, "")
	for _, p := range []string{"HRESCH", "HMARKT", "treat"} {
		r := e.do("GET", "/fhir/Patient/p60b-a01/$explain?role=gp&org=A81001&sector=nhs&purpose="+p, ig, "")
		t.Logf("$explain purpose=%s: %d %.400s", p, r.status, r.body)
		if r.status == 200 && r.body == ok.body {
			t.Errorf("$explain purpose=%s explains the same as TREAT", p)
		}
		if r.status == 200 && !strings.Contains(r.body, "purpose") {
			t.Errorf("$explain purpose=%s: no purpose reason: %.300s", p, r.body)
		}
	}
}

// TestReview60bDirectoryFanOutAndCountCap: people reached from a directory
// item (an Organization's _revinclude of the Patients registered with it,
// iterated to their Conditions) are listed only where related, and count
// towards the volume alert; _count above 1000 does not list more.
func TestReview60bDirectoryFanOutAndCountCap(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	r60bSeed(t, e)
	for _, org := range []string{"A81001", "A82002"} {
		sys := e.token("system", "nhs", org)
		if r := e.do("PUT", "/fhir/Organization/"+org, sys, `{"resourceType":"Organization","id":"`+org+`","identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"`+org+`"}],"name":"Practice `+org+`"}`); r.status != 200 && r.status != 201 {
			t.Fatalf("seed org %s: %d %.200s", org, r.status, r.body)
		}
	}
	for i, tc := range []struct{ name, role, sector, org, path string }{
		{"GP revinclude from own Organization", "gp", "nhs", "A81001", "/fhir/Organization?_id=A81001&_revinclude=Patient:general-practitioner&_count=1000"},
		{"GP revinclude from other Organization", "gp", "nhs", "A81001", "/fhir/Organization?_id=A82002&_revinclude=Patient:general-practitioner&_count=1000"},
		{"GP revinclude iterate", "gp", "nhs", "A81001", "/fhir/Organization?_revinclude=Patient:general-practitioner&_revinclude:iterate=Condition:patient&_count=1000"},
		{"nurse RCX revinclude all Organizations", "district-nurse", "nhs", "RCX", "/fhir/Organization?_revinclude=Patient:general-practitioner&_count=1000"},
		{"GP _count=5000", "gp", "nhs", "A81001", "/fhir/Patient?_count=5000"},
		{"GP revinclude wildcard", "gp", "nhs", "A81001", "/fhir/Patient?_count=1000&_revinclude=*"},
	} {
		sub := fmt.Sprintf("r60b-dir-%02d", i)
		r := e.do("GET", tc.path, e.token(tc.role, tc.sector, tc.org, func(c *auth.DevClaims) { c.Sub = sub }), "")
		a, b := r60bPeople(r.body)
		alert := r60bVolume(t, e, sub)
		t.Logf("%s: %s -> %d, people A81001:%d A82002:%d; volume alert %q; %.150s", tc.name, tc.path, r.status, a, b, alert, r.body)
		if b > 0 || (tc.org != "A81001" && a > 0) {
			t.Errorf("%s: listed people without a relationship: A81001:%d A82002:%d", tc.name, a, b)
		}
		if a > 50 && alert == "" {
			t.Errorf("%s: %d people released, no volume alert", tc.name, a)
		}
	}
}

// TestReview60bClientSystemBulkReadRaisesNoAlert: a client system's token
// (role system) reads the whole record of its organisation's 60 people in
// one request (a Condition search, a system history) and again at a rate
// of 60 people a request: no unusual-volume alert. README says "a known
// user's requests count, refused ones too"; the exemption of role system
// (store/auditlog Thresholds.ExemptRoles, "feeds run at night and touch
// many patients") is not in README, and it covers reads, not only a
// feed's writes: a client credential can copy the practice's population
// without IG hearing of it.
func TestReview60bClientSystemBulkReadRaisesNoAlert(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	r60bSeed(t, e)
	sub := "r60b-sys-reader"
	tok := e.token("system", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = sub })
	total := 0
	for _, p := range []string{"/fhir/Condition?_count=1000", "/fhir/_history?_count=1000", "/fhir/Patient?_count=1000&_revinclude=Condition:patient"} {
		r := e.do("GET", p, tok, "")
		a, _ := r60bPeople(r.body)
		total += a
		t.Logf("system A81001 %s: %d, %d people", p, r.status, a)
	}
	alert := r60bVolume(t, e, sub)
	t.Logf("volume alert for the client system: %q", alert)
	if alert == "" {
		t.Errorf("a client system was released %d person-records (60 distinct people, threshold 50) in 3 requests: no unusual-volume alert (role system exempt, undocumented)", total)
	}
}

// TestReview60bSoundIGExplainLoopVolume: an IG officer's $explain of each of 60
// people (each lists the items of the person's record) counts towards the
// volume alert as any user's opening of 60 records does. Logged; asserted.
func TestReview60bSoundIGExplainLoopVolume(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	r60bSeed(t, e)
	sub := "r60b-ig-explainer"
	tok := e.token("ig-officer", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = sub })
	n := 0
	for i := range r60bN {
		r := e.do("GET", fmt.Sprintf("/fhir/Patient/p60b-a%02d/$explain?role=gp&org=A81001&sector=nhs", i), tok, "")
		if r.status == 200 && strings.Contains(r.body, fmt.Sprintf("c60b-a%02d", i)) {
			n++
		}
	}
	alert := r60bVolume(t, e, sub)
	t.Logf("IG $explain of %d people listing their items: volume alert %q", n, alert)
	if n > 50 && alert == "" {
		t.Errorf("IG officer explained %d people's records in a row: no volume alert", n)
	}
}
