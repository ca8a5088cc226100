package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// Review 105a: the IG officer's day (SPEC §6). An IG officer answering a
// subject access request ("who looked at my mother's record, and why?")
// reads Jane's $who-accessed; every way of reaching her data must be
// there with user, org, purpose, what was released and the withheld
// count. Real server, real SQLite file and access log, real tokens.
// Its three findings (an OR list of people that found nothing named none
// of them, an unrelated nurse's OR list logged as naming no one, no
// volume alert for it) pass since searchedPeople: each person is named,
// and an OR list refuses (403) as patient= alone does for someone the
// user has no relationship with; the probes expect that 403.

type r105aEntry struct {
	Seq        int64    `json:"seq"`
	RequestID  string   `json:"requestId"`
	Sub        string   `json:"sub"`
	Org        string   `json:"org"`
	Purpose    string   `json:"purpose"`
	BreakGlass string   `json:"breakGlass"`
	Operation  string   `json:"operation"`
	Path       string   `json:"path"`
	Patient    string   `json:"patient"`
	Patients   []string `json:"patients"`
	Released   []string `json:"released"`
	Withheld   int      `json:"withheld"`
	Decision   string   `json:"decision"`
	Reasons    []string `json:"reasons"`
	Status     int      `json:"status"`
}

func r105aIG(e *env) string {
	return e.token("ig-officer", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "r105a-ig" })
}

func r105aReport(t *testing.T, e *env, path string) []r105aEntry {
	t.Helper()
	r := e.do("GET", path, r105aIG(e), "")
	var rep struct {
		Entries []r105aEntry `json:"entries"`
	}
	if err := json.Unmarshal([]byte(r.body), &rep); err != nil || r.status != 200 {
		t.Fatalf("GET %s: %d %v %.300s", path, r.status, err, r.body)
	}
	return rep.Entries
}

func r105aByRID(es []r105aEntry) map[string]r105aEntry {
	m := map[string]r105aEntry{}
	for _, en := range es {
		m[en.RequestID] = en
	}
	return m
}

const r105aBob = `{"resourceType":"Patient","id":"bob","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],
"name":[{"family":"Jones","given":["Bob"]}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`

// r105aSeed: Jane's shared record (seedShared), Bob registered with the
// same practice, and a joint appointment of theirs.
func r105aSeed(t *testing.T, e *env) {
	t.Helper()
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/Patient/bob", r105aBob},
		[2]string{"/fhir/Appointment/joint", `{"resourceType":"Appointment","id":"joint","status":"booked",
		 "participant":[{"actor":{"reference":"Patient/bob"},"status":"accepted"},{"actor":{"reference":"Patient/jane"},"status":"accepted"}]}`})
}

// TestReview105aSoundEveryWayToHerRecordIsInHerReport: each way of
// reaching Jane's data, by the GP, the district nurse, the practice's
// client system and, for the joint appointment, through Bob's search, is
// listed in her $who-accessed under its request id, with the user's sub,
// org and purpose.
func TestReview105aSoundEveryWayToHerRecordIsInHerReport(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	r105aSeed(t, e)
	gp := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "r105a-gp" })
	nurse := e.token("district-nurse", "nhs", "RCX", func(c *auth.DevClaims) { c.Sub = "r105a-nurse" })
	sys := e.token("system", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "r105a-sys" })
	cond := `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}],"text":"GP-DIABETES"}}`
	type req struct {
		rid, method, path, tok, body string
		hdr                          []string
	}
	reqs := []req{
		{"r105a-read", "GET", "/fhir/Patient/jane", gp, "", nil},
		{"r105a-vread", "GET", "/fhir/Condition/diabetes/_history/1", gp, "", nil},
		{"r105a-nhs", "GET", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919", gp, "", nil},
		{"r105a-nhs-spaces", "GET", "/fhir/Patient?identifier=943%20476%205919", gp, "", nil},
		{"r105a-bypatient", "GET", "/fhir/Condition?patient=jane", nurse, "", nil},
		{"r105a-everything", "GET", "/fhir/Patient/jane/$everything", nurse, "", nil},
		{"r105a-history", "GET", "/fhir/Condition/diabetes/_history", gp, "", nil},
		{"r105a-head", "HEAD", "/fhir/Patient/jane", gp, "", nil},
		{"r105a-count", "GET", "/fhir/Condition?patient=jane&_summary=count", nurse, "", nil},
		{"r105a-nothing", "GET", "/fhir/Condition?patient=jane&code=http://snomed.info/sct|73211009", gp, "", nil},
		{"r105a-revinc", "GET", "/fhir/Appointment?patient=bob&_include=Appointment:patient", gp, "", nil},
		{"r105a-batch", "POST", "/fhir", gp, `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Condition?patient=jane"}}]}`, nil},
		{"r105a-txn", "POST", "/fhir", sys, `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"GET","url":"Condition/diabetes"}}]}`, nil},
		{"r105a-condcreate", "POST", "/fhir/Condition", sys, cond, []string{"If-None-Exist", "patient=jane&code=http://snomed.info/sct|44054006"}},
		{"r105a-typehist", "GET", "/fhir/Condition/_history", gp, "", nil},
	}
	got := map[string]int{}
	for _, q := range reqs {
		r := e.do(q.method, q.path, q.tok, q.body, append([]string{"X-Request-ID", q.rid}, q.hdr...)...)
		got[q.rid] = r.status
		if r.status >= 400 {
			t.Logf("%s %s: %d %.200s", q.method, q.path, r.status, r.body)
		}
	}
	es := r105aReport(t, e, "/fhir/AuditEvent/$who-accessed?patient=jane")
	by := r105aByRID(es)
	for _, q := range reqs {
		ids := []string{q.rid}
		if q.rid == "r105a-batch" || q.rid == "r105a-txn" {
			ids = []string{q.rid + ".0"}
		}
		for _, id := range ids {
			en, ok := by[id]
			if !ok {
				t.Errorf("LOST: %s %s (answered %d) is not in Jane's $who-accessed", q.method, q.path, got[q.rid])
				continue
			}
			if en.Sub == "" || en.Org == "" || en.Purpose == "" {
				t.Errorf("%s: entry lacks sub/org/purpose: %+v", id, en)
			}
			t.Logf("%s: op=%s dec=%s released=%v withheld=%d reasons=%v patients=%v", id, en.Operation, en.Decision, en.Released, en.Withheld, en.Reasons, en.Patients)
		}
	}
}

type r105aAlert struct {
	Kind    string   `json:"kind"`
	Sub     string   `json:"sub"`
	Org     string   `json:"org"`
	Patient string   `json:"patient"`
	Code    string   `json:"code"`
	Detail  string   `json:"detail"`
	Seqs    []int64  `json:"seqs"`
	People  []string `json:"people"`
}

func r105aAlerts(t *testing.T, e *env) []r105aAlert {
	t.Helper()
	r := e.do("GET", "/fhir/AuditEvent/$alerts", r105aIG(e), "")
	var rep struct {
		Alerts []r105aAlert `json:"alerts"`
	}
	if err := json.Unmarshal([]byte(r.body), &rep); err != nil || r.status != 200 {
		t.Fatalf("$alerts: %d %v %.300s", r.status, err, r.body)
	}
	return rep.Alerts
}

const r105aRestricted = `{"resourceType":"Patient","id":"rita","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},
"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765870"}],"name":[{"family":"Restricta","given":["Rita"]}],
"address":[{"line":["1 SECRET-ADDRESS"]}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`

// TestReview105aSoundRestrictedPersonEveryAccessAlerts: SPEC §5, "every
// access to them raises an IG alert": each way a user reaches a
// restricted person — her own GP practice's $everything and read, a search
// whose result list merely contains her, a nurse's read of her care plan —
// is linked from a restricted-patient alert naming her.
func TestReview105aSoundRestrictedPersonEveryAccessAlerts(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	sys := e.token("system", "nhs", "A81001")
	e.putAll(t, sys, [2]string{"/fhir/Patient/rita", r105aRestricted},
		[2]string{"/fhir/Patient/bob", r105aBob},
		[2]string{"/fhir/CareTeam/rita-nursing", `{"resourceType":"CareTeam","id":"rita-nursing","status":"active","subject":{"reference":"Patient/rita"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`},
		[2]string{"/fhir/CarePlan/rita-plan", `{"resourceType":"CarePlan","id":"rita-plan","status":"active","intent":"plan","subject":{"reference":"Patient/rita"},"title":"RITA-PLAN"}`})
	gp := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "r105a-gp" })
	nurse := e.token("district-nurse", "nhs", "RCX", func(c *auth.DevClaims) { c.Sub = "r105a-nurse" })
	reqs := []struct{ rid, path, tok string }{
		{"r105a-r-everything", "/fhir/Patient/rita/$everything", gp},
		{"r105a-r-read", "/fhir/Patient/rita", gp},
		{"r105a-r-list", "/fhir/Patient?general-practitioner=Organization/A81001", gp},
		{"r105a-r-nurse", "/fhir/CarePlan/rita-plan", nurse},
		{"r105a-r-nurse-pt", "/fhir/Patient/rita", nurse},
	}
	for _, q := range reqs {
		r := e.do("GET", q.path, q.tok, "", "X-Request-ID", q.rid)
		t.Logf("%s: %d", q.path, r.status)
	}
	by := r105aByRID(r105aReport(t, e, "/fhir/AuditEvent/$who-accessed?patient=rita"))
	als := r105aAlerts(t, e)
	for _, q := range reqs {
		en, ok := by[q.rid]
		if !ok {
			t.Errorf("LOST: GET %s is not in Rita's $who-accessed", q.path)
			continue
		}
		linked := false
		for _, a := range als {
			if a.Code == "restricted-patient" && a.Patient == "rita" {
				for _, s := range a.Seqs {
					linked = linked || s == en.Seq
				}
			}
		}
		if !linked {
			t.Errorf("GET %s (status %d, reasons %v) raised no restricted-patient alert naming Rita", q.path, en.Status, en.Reasons)
		}
	}
}

// r105aTraffic: the GP, the nurse and a failed read reach Jane, and Bob's
// search releases their joint appointment (request ids r105a-t0…t8).
func r105aTraffic(t *testing.T, e *env) {
	t.Helper()
	gp := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "r105a-gp" })
	nurse := e.token("district-nurse", "nhs", "RCX", func(c *auth.DevClaims) { c.Sub = "r105a-nurse" })
	for i, q := range [][2]string{
		{"/fhir/Patient/jane", gp}, {"/fhir/Condition?patient=jane", nurse}, {"/fhir/Condition/hiv", nurse},
		{"/fhir/Patient/jane/$everything", nurse}, {"/fhir/Appointment?patient=bob&_include=Appointment:patient", gp},
		{"/fhir/Condition?patient=jane&_summary=count", gp}, {"/fhir/Patient/jane/_history/99", gp},
		{"/fhir/Patient/jane", nurse}, {"/fhir/Condition?patient=jane&_count=1", gp},
	} {
		e.do("GET", q[0], q[1], "", "X-Request-ID", fmt.Sprintf("r105a-t%d", i))
	}
}

// TestReview105aSoundAuditEventSearchPagesHerEntries: AuditEvent?patient=
// paged two at a time gives, over all its pages, exactly the requests her
// $who-accessed lists, each once, its total their number; outcome=4 keeps
// her refused ones; a page names no one else (Bob) and carries no clinical
// text.
func TestReview105aSoundAuditEventSearchPagesHerEntries(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	r105aSeed(t, e)
	r105aTraffic(t, e)
	want := map[string]bool{}
	fails := map[string]bool{}
	for _, en := range r105aReport(t, e, "/fhir/AuditEvent/$who-accessed?patient=jane") {
		want[en.RequestID] = true
		if en.Status >= 400 {
			fails[en.RequestID] = true
		}
	}
	collect := func(q string) (map[string]int, int, string) {
		got := map[string]int{}
		total := -1
		all := ""
		next := "/fhir/AuditEvent?" + q
		for pages := 0; next != "" && pages < 100; pages++ {
			r := e.do("GET", next, r105aIG(e), "")
			if r.status != 200 {
				t.Fatalf("GET %s: %d %.300s", next, r.status, r.body)
			}
			all += r.body
			b := parseBundle(t, r.body)
			if total >= 0 && b.Total != total {
				t.Errorf("%s: total changed between pages %d -> %d", q, total, b.Total)
			}
			total = b.Total
			next = ""
			for _, l := range b.Link {
				if l.Relation == "next" {
					next = strings.TrimPrefix(l.URL, e.base)
				}
			}
			for _, en := range b.Entry {
				var ae struct {
					Entity []struct {
						Type *struct{ Code string } `json:"type"`
						What *struct {
							Identifier *struct{ Value string } `json:"identifier"`
						} `json:"what"`
					} `json:"entity"`
				}
				json.Unmarshal(en.Resource, &ae)
				for _, x := range ae.Entity {
					if x.Type != nil && x.Type.Code == "XrequestId" && x.What != nil && x.What.Identifier != nil {
						got[x.What.Identifier.Value]++
					}
				}
			}
		}
		return got, total, all
	}
	// (the $who-accessed just made is an IG query about her: one more)
	got, total, all := collect("patient=jane&_count=2")
	if total != len(want)+1 || len(got) != len(want)+1 {
		t.Errorf("AuditEvent?patient=jane: total %d, %d request ids over its pages; her $who-accessed lists %d (+1 for itself)", total, len(got), len(want))
	}
	for id := range want {
		if got[id] != 1 {
			t.Errorf("request %s of her $who-accessed: %d times in AuditEvent?patient=jane pages", id, got[id])
		}
	}
	for _, bad := range []string{"Patient/bob", "9000000009", "GP-DIABETES", "GP-HIV", "TRUST-WOUND"} {
		if strings.Contains(all, bad) {
			t.Errorf("AuditEvent?patient=jane pages carry %q", bad)
		}
	}
	got4, total4, _ := collect("patient=jane&outcome=4&_count=1")
	if total4 != len(fails) || len(got4) != len(fails) {
		t.Errorf("outcome=4: total %d, %d ids; her report has %d refused: %v vs %v", total4, len(got4), len(fails), got4, fails)
	}
}

// TestReview105aSoundMoreWaysToHerRecordInHerReport: the rarer ways —
// a compartment search (404: not served), the server's history,
// $everything by POST and inside a batch, _revinclude from Bob's search,
// POST _search by form, a conditional update matching her item, and a
// conditional delete and a PATCH (405) naming her — each in her report.
func TestReview105aSoundMoreWaysToHerRecordInHerReport(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	r105aSeed(t, e)
	gp := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "r105a-gp" })
	sys := e.token("system", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "r105a-sys" })
	e.putAll(t, sys, [2]string{"/fhir/Observation/bp", `{"resourceType":"Observation","id":"bp","status":"final","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}],"text":"GP-BP"}}`},
		[2]string{"/fhir/Observation/bp2", `{"resourceType":"Observation","id":"bp2","status":"final","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}],"text":"GP-PULSE"}}`})
	type req struct {
		rid, method, path, tok, body string
		hdr                          []string
	}
	obs := `{"resourceType":"Observation","status":"final","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}],"text":"GP-BP"}}`
	reqs := []req{
		{"r105a-compartment", "GET", "/fhir/Patient/jane/Condition", gp, "", nil},
		{"r105a-syshist", "GET", "/fhir/_history", gp, "", nil},
		{"r105a-everything-post", "POST", "/fhir/Patient/jane/$everything", gp, `{"resourceType":"Parameters"}`, nil},
		{"r105a-batch-everything", "POST", "/fhir", gp, `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient/jane/$everything"}}]}`, nil},
		{"r105a-revinclude", "GET", "/fhir/Patient?_id=bob&_revinclude=Appointment:patient", gp, "", nil},
		{"r105a-form", "POST", "/fhir/Condition/_search", gp, "patient=jane", []string{"Content-Type", "application/x-www-form-urlencoded"}},
		{"r105a-condupdate", "PUT", "/fhir/Observation?patient=jane&code=http://loinc.org|85354-9", sys, obs, nil},
		{"r105a-conddelete", "DELETE", "/fhir/Observation?patient=jane&code=http://loinc.org|8867-4", sys, "", nil},
		{"r105a-patch", "PATCH", "/fhir/Patient/jane", sys, `[{"op":"replace","path":"/gender","value":"female"}]`, []string{"Content-Type", "application/json-patch+json"}},
	}
	got := map[string]int{}
	for _, q := range reqs {
		r := e.do(q.method, q.path, q.tok, q.body, append([]string{"X-Request-ID", q.rid}, q.hdr...)...)
		got[q.rid] = r.status
		t.Logf("%s %s: %d %.150s", q.method, q.path, r.status, r.body)
	}
	by := r105aByRID(r105aReport(t, e, "/fhir/AuditEvent/$who-accessed?patient=jane"))
	for _, q := range reqs {
		id := q.rid
		if strings.HasPrefix(id, "r105a-batch") {
			id += ".0"
		}
		en, ok := by[id]
		if !ok {
			t.Errorf("LOST: %s %s (answered %d) is not in Jane's $who-accessed", q.method, q.path, got[q.rid])
			continue
		}
		t.Logf("%s: op=%s dec=%s released=%v withheld=%d reasons=%v", id, en.Operation, en.Decision, en.Released, en.Withheld, en.Reasons)
	}
}

// TestReview105aSoundBreakGlassListedWithReason: a nurse of a trust with
// no relationship to Jane breaks glass with a stated reason and free text,
// then reads her conditions under the grant. $break-glass?patient=jane
// lists both, the first with the whole reason; $alerts has one
// break-glass alert for the nurse and Jane quoting it and counting the
// access under the grant.
func TestReview105aSoundBreakGlassListedWithReason(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	r105aSeed(t, e)
	const why = "EMERGENCY: found collapsed at home by the out-of-hours team, unable to give history"
	nurse := e.token("district-nurse", "nhs", "RYY", func(c *auth.DevClaims) { c.Sub = "r105a-bg-nurse" })
	if r := e.do("GET", "/fhir/Condition?patient=jane", nurse, ""); r.status != 403 {
		t.Fatalf("premise: without break-glass the RYY nurse reaches Jane: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", nurse, "", "X-Break-Glass", why, "X-Request-ID", "r105a-bg"); r.status != 200 {
		t.Fatalf("break-glass $everything: %d %.300s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition?patient=jane", nurse, "", "X-Request-ID", "r105a-bg-after"); r.status != 200 {
		t.Fatalf("read under the grant: %d %.300s", r.status, r.body)
	}
	by := r105aByRID(r105aReport(t, e, "/fhir/AuditEvent/$break-glass?patient=jane"))
	if en, ok := by["r105a-bg"]; !ok || en.BreakGlass != why || en.Sub != "r105a-bg-nurse" || en.Org != "RYY" {
		t.Errorf("$break-glass lacks the break-glass request with its reason: %+v", en)
	}
	if _, ok := by["r105a-bg-after"]; !ok {
		t.Errorf("$break-glass lacks the access under the grant")
	}
	n := 0
	for _, a := range r105aAlerts(t, e) {
		if a.Kind == "break-glass" && a.Sub == "r105a-bg-nurse" && a.Patient == "jane" {
			n++
			if !strings.Contains(a.Detail, why) || !strings.Contains(a.Detail, "1 access(es) under a break-glass grant") {
				t.Errorf("break-glass alert detail: %q", a.Detail)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d break-glass alerts for the nurse and Jane, want 1", n)
	}
}

// TestReview105aSoundRestrictedPersonReachedIndirectly: Rita (restricted)
// reached without her id in the request: a search by code across
// people, the server's history, Bob's search releasing their joint
// appointment, Bob's $everything, and a GP user's write of her diagnosis
// (answered with it). Each is linked from a restricted-patient alert
// naming her.
func TestReview105aSoundRestrictedPersonReachedIndirectly(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	sys := e.token("system", "nhs", "A81001")
	e.putAll(t, sys, [2]string{"/fhir/Patient/rita", r105aRestricted},
		[2]string{"/fhir/Patient/bob", r105aBob},
		[2]string{"/fhir/Condition/rita-copd", `{"resourceType":"Condition","id":"rita-copd","subject":{"reference":"Patient/rita"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"13645005"}],"text":"RITA-COPD"}}`},
		[2]string{"/fhir/Appointment/joint", `{"resourceType":"Appointment","id":"joint","status":"booked",
		 "participant":[{"actor":{"reference":"Patient/bob"},"status":"accepted"},{"actor":{"reference":"Patient/rita"},"status":"accepted"}]}`})
	gp := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "r105a-gp" })
	reqs := []struct{ rid, method, path, body string }{
		{"r105a-i-code", "GET", "/fhir/Condition?code=http://snomed.info/sct|13645005", ""},
		{"r105a-i-hist", "GET", "/fhir/_history", ""},
		{"r105a-i-bob", "GET", "/fhir/Appointment?patient=bob", ""},
		{"r105a-i-bob-every", "GET", "/fhir/Patient/bob/$everything", ""},
		{"r105a-i-write", "PUT", "/fhir/Condition/rita-asthma", `{"resourceType":"Condition","id":"rita-asthma","subject":{"reference":"Patient/rita"},"code":{"text":"RITA-ASTHMA"}}`},
	}
	for _, q := range reqs {
		r := e.do(q.method, q.path, gp, q.body, "X-Request-ID", q.rid)
		t.Logf("%s %s: %d", q.method, q.path, r.status)
	}
	by := r105aByRID(r105aReport(t, e, "/fhir/AuditEvent/$who-accessed?patient=rita"))
	als := r105aAlerts(t, e)
	for _, q := range reqs {
		en, ok := by[q.rid]
		if !ok {
			t.Errorf("LOST: %s %s is not in Rita's $who-accessed", q.method, q.path)
			continue
		}
		linked := false
		for _, a := range als {
			if a.Code == "restricted-patient" && a.Patient == "rita" {
				for _, s := range a.Seqs {
					linked = linked || s == en.Seq
				}
			}
		}
		if !linked {
			t.Errorf("%s %s (status %d, decision %s) raised no restricted-patient alert naming Rita", q.method, q.path, en.Status, en.Decision)
		}
	}
}

// TestReview105aSoundFeedBatchOfWritesRaisesNoVolumeAlert: README, the
// access log: "a client system's (role system) writes raise no volume or
// out-of-hours alert, since feeds run at night and touch many patients".
// The practice's feed sends its nightly changes as a batch of creates for
// 5 people (the threshold here is 3). The creates are exempt; the batch's
// own entry raises none either.
func TestReview105aSoundFeedBatchOfWritesRaisesNoVolumeAlert(t *testing.T) {
	for _, typ := range []string{"batch", "transaction"} {
		t.Run(typ, func(t *testing.T) {
			e := envWithAlertThreshold12d(t, "3")
			ids := []string{"p1", "p2", "p3", "p4", "p5"}
			seedPatients12d(t, e, ids...)
			feed := e.token("system", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "r105a-feed-" + typ })
			var ents []string
			for _, id := range ids {
				ents = append(ents, `{"request":{"method":"POST","url":"Observation"},"resource":{"resourceType":"Observation","status":"final","subject":{"reference":"Patient/`+id+`"},"code":{"text":"BP"}}}`)
			}
			r := e.do("POST", "/fhir", feed, `{"resourceType":"Bundle","type":"`+typ+`","entry":[`+strings.Join(ents, ",")+`]}`)
			if r.status != 200 || strings.Count(r.body, `"status":"201`) != 5 {
				t.Fatalf("premise: the feed's %s of 5 creates: %d %.400s", typ, r.status, r.body)
			}
			for _, a := range r105aAlerts(t, e) {
				if a.Sub == "r105a-feed-"+typ && (a.Kind == "volume" || a.Kind == "out-of-hours") {
					t.Errorf("the feed's %s of writes raised a %s alert: %s (entries %v)", typ, a.Kind, a.Detail, a.Seqs)
				}
			}
		})
	}
}

// TestReview105aSearchOfTwoPeopleFindingNothingNamesNeither: the
// GP searches Jane's and Bob's records in one request — an OR list, as
// FHIR search takes it (`patient=jane,bob`; `Patient?_id=jane,bob`) — for
// something neither has. Each is a probe of both records, answered 200
// and empty; neither is in Jane's (nor Bob's) $who-accessed. The same
// search naming Jane alone is in hers (README: "a search naming its
// person … whether or not anything matched"; a Patient search by several
// NHS numbers "names whoever carries each though nothing matches",
// reviews 97b, 98a). Also (judgement) a search by a reference to her in
// another parameter, Appointment?actor=Patient/jane, finding nothing.
func TestReview105aSearchOfTwoPeopleFindingNothingNamesNeither(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	r105aSeed(t, e)
	gp := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "r105a-gp" })
	// premise: the OR list is read as one (Jane's two conditions found)
	if r := e.do("GET", "/fhir/Condition?patient=jane,bob", gp, ""); r.status != 200 || parseBundle(t, r.body).Total != 2 {
		t.Fatalf("premise: Condition?patient=jane,bob does not find Jane's 2 conditions: %d %.300s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Appointment?actor=Patient/jane", gp, ""); r.status != 200 || parseBundle(t, r.body).Total != 1 {
		t.Fatalf("premise: Appointment?actor=Patient/jane does not find the joint appointment: %d %.300s", r.status, r.body)
	}
	none := "&code=http://snomed.info/sct|73211009"
	cases := []struct{ rid, path string }{
		{"r105a-or-patient", "/fhir/Condition?patient=jane,bob" + none},
		{"r105a-or-subject", "/fhir/Condition?subject=Patient/jane,Patient/bob" + none},
		{"r105a-or-id", "/fhir/Patient?_id=jane,bob&family=Nobody"},
		{"r105a-actor", "/fhir/Appointment?actor=Patient/jane&status=cancelled"},
		{"r105a-one", "/fhir/Condition?patient=jane" + none}, // the control
	}
	for _, c := range cases {
		if r := e.do("GET", c.path, gp, "", "X-Request-ID", c.rid); r.status != 200 || parseBundle(t, r.body).Total != 0 {
			t.Fatalf("premise: %s: %d %.300s", c.path, r.status, r.body)
		}
	}
	jane := r105aByRID(r105aReport(t, e, "/fhir/AuditEvent/$who-accessed?patient=jane"))
	bob := r105aByRID(r105aReport(t, e, "/fhir/AuditEvent/$who-accessed?patient=bob"))
	if _, ok := jane["r105a-one"]; !ok {
		t.Fatalf("premise: the control search naming Jane alone is not in her report")
	}
	for _, c := range cases[:4] {
		if _, ok := jane[c.rid]; !ok {
			t.Errorf("LOST: GET %s (200, nothing found) is not in Jane's $who-accessed", c.path)
		}
		if _, ok := bob[c.rid]; !ok && c.rid != "r105a-actor" {
			t.Errorf("LOST: GET %s (200, nothing found) is not in Bob's $who-accessed", c.path)
		}
	}
}

// TestReview105aSoundHerOtherRecordInHerReport: the hospital keeps its
// own Patient for Jane (same NHS number, its own id). A hospital
// clinician's read of it, and of a Condition on it, are in the report
// asked for by Jane's id and by her NHS number.
func TestReview105aSoundHerOtherRecordInHerReport(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	r105aSeed(t, e)
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp, [2]string{"/fhir/Patient/rhx-mrn-1", `{"resourceType":"Patient","id":"rhx-mrn-1","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"name":[{"family":"Smith"}]}`},
		[2]string{"/fhir/Condition/rhx-frac", `{"resourceType":"Condition","id":"rhx-frac","subject":{"reference":"Patient/rhx-mrn-1"},"code":{"text":"RHX-FRACTURE"}}`})
	clin := e.token("hospital-clinician", "nhs", "RHX", func(c *auth.DevClaims) { c.Sub = "r105a-clin" })
	for i, p := range []string{"/fhir/Patient/rhx-mrn-1", "/fhir/Condition/rhx-frac", "/fhir/Condition?patient=rhx-mrn-1"} {
		if r := e.do("GET", p, clin, "", "X-Request-ID", fmt.Sprintf("r105a-o%d", i)); r.status != 200 {
			t.Fatalf("premise: %s: %d", p, r.status)
		}
	}
	for _, q := range []string{"patient=jane", "patient=9434765919"} {
		by := r105aByRID(r105aReport(t, e, "/fhir/AuditEvent/$who-accessed?"+q))
		for i := 0; i < 3; i++ {
			if _, ok := by[fmt.Sprintf("r105a-o%d", i)]; !ok {
				t.Errorf("$who-accessed?%s lacks request r105a-o%d (her hospital record)", q, i)
			}
		}
	}
}

// TestReview105aSoundOrListReachingRestrictedPerson: Condition?patient=
// rita,bob releasing Rita's diagnosis names her and raises the
// restricted-patient alert.
func TestReview105aSoundOrListReachingRestrictedPerson(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	r105aSeed(t, e)
	sys := e.token("system", "nhs", "A81001")
	e.putAll(t, sys, [2]string{"/fhir/Patient/rita", r105aRestricted},
		[2]string{"/fhir/Condition/rita-copd", `{"resourceType":"Condition","id":"rita-copd","subject":{"reference":"Patient/rita"},"code":{"text":"RITA-COPD"}}`})
	gp := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "r105a-gp" })
	if r := e.do("GET", "/fhir/Condition?patient=rita,bob", gp, "", "X-Request-ID", "r105a-or-rita"); r.status != 200 || !strings.Contains(r.body, "RITA-COPD") {
		t.Fatalf("premise: %d %.300s", r.status, r.body)
	}
	rita := r105aByRID(r105aReport(t, e, "/fhir/AuditEvent/$who-accessed?patient=rita"))
	en, ok := rita["r105a-or-rita"]
	if !ok {
		t.Fatalf("LOST: Condition?patient=rita,bob (released her diagnosis) not in Rita's report")
	}
	linked := false
	for _, a := range r105aAlerts(t, e) {
		if a.Code == "restricted-patient" && a.Patient == "rita" {
			for _, s := range a.Seqs {
				linked = linked || s == en.Seq
			}
		}
	}
	if !linked {
		t.Errorf("Condition?patient=rita,bob raised no restricted-patient alert")
	}
}

// TestReview105aUnrelatedNurseOrListSearchLoggedAsNothing: a
// district nurse of a trust (RYY) with no relationship to Jane or Bob
// searches their conditions in one request, Condition?patient=jane,bob.
// Nothing is released (right), but the access log records it as
// "permit", 0 withheld, naming no one, so it is missing from Jane's
// $who-accessed and reads to IG as a search that matched nothing. The
// same nurse's Condition?patient=jane is a 403 under Jane, and her
// Condition?code=<Jane's diabetes> a deny, 1 withheld, under Jane. SPEC §6:
// the entry records "patient, what was released and how many items were
// withheld, decision".
func TestReview105aUnrelatedNurseOrListSearchLoggedAsNothing(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	r105aSeed(t, e)
	nurse := e.token("district-nurse", "nhs", "RYY", func(c *auth.DevClaims) { c.Sub = "r105a-ryy" })
	for _, c := range [][3]string{
		{"r105a-ryy-one", "/fhir/Condition?patient=jane", "403"},
		{"r105a-ryy-code", "/fhir/Condition?code=http://snomed.info/sct|44054006", "200"},
		{"r105a-ryy-or", "/fhir/Condition?patient=jane,bob", "403"},
	} {
		if r := e.do("GET", c[1], nurse, "", "X-Request-ID", c[0]); fmt.Sprint(r.status) != c[2] || strings.Contains(r.body, "GP-DIABETES") {
			t.Fatalf("premise: %s: %d %.300s", c[1], r.status, r.body)
		}
	}
	jane := r105aByRID(r105aReport(t, e, "/fhir/AuditEvent/$who-accessed?patient=jane"))
	if en, ok := jane["r105a-ryy-code"]; !ok || en.Withheld != 1 || en.Decision != "deny" {
		t.Fatalf("premise: the code search is not in Jane's report as a deny, 1 withheld: %+v", en)
	}
	if _, ok := jane["r105a-ryy-one"]; !ok {
		t.Fatalf("premise: the refused patient=jane search is not in Jane's report")
	}
	if en, ok := jane["r105a-ryy-or"]; !ok {
		var mine r105aEntry
		for _, x := range r105aReport(t, e, "/fhir/AuditEvent/$user-activity?agent=r105a-ryy") {
			if x.RequestID == "r105a-ryy-or" {
				mine = x
			}
		}
		t.Errorf("LOST: the unrelated nurse's Condition?patient=jane,bob is not in Jane's $who-accessed; it is logged as decision %q, %d withheld, patient %q %v",
			mine.Decision, mine.Withheld, mine.Patient, mine.Patients)
	} else if en.Decision == "permit" || en.Status != 403 {
		t.Errorf("Jane's report shows Condition?patient=jane,bob as decision %q, status %d: refused as patient=jane is", en.Decision, en.Status)
	}
}

// TestReview105aSoundTransactionConditionalCreateMatchingHerItem: a
// client system's transaction whose conditional create matches Jane's
// diagnosis (answered with it) is in her report, released, with the
// reason matched-existing.
func TestReview105aSoundTransactionConditionalCreateMatchingHerItem(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	r105aSeed(t, e)
	sys := e.token("system", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "r105a-sys" })
	body := `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Condition","ifNoneExist":"patient=jane&code=http://snomed.info/sct|44054006"},
	 "resource":{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]}}}]}`
	if r := e.do("POST", "/fhir", sys, body, "X-Request-ID", "r105a-tx-match"); r.status != 200 || !strings.Contains(r.body, "Condition/diabetes") {
		t.Fatalf("premise: %d %.400s", r.status, r.body)
	}
	found := false
	for _, en := range r105aReport(t, e, "/fhir/AuditEvent/$who-accessed?patient=jane") {
		if strings.HasPrefix(en.RequestID, "r105a-tx-match") {
			t.Logf("%s: op=%s released=%v reasons=%v", en.RequestID, en.Operation, en.Released, en.Reasons)
			for _, r := range en.Released {
				found = found || strings.HasPrefix(r, "Condition/diabetes/")
			}
		}
	}
	if !found {
		t.Errorf("LOST: the transaction's conditional create matching her diagnosis is not in her report as releasing it")
	}
}

// TestReview105aSoundAuditEventsCodedAndFreeOfClinicalContent: every
// AuditEvent the IG officer lists after the day's traffic has R4's
// required elements with codes from the right code systems (type
// audit-event-type, subtype restful-interaction, action C/R/U/D/E,
// outcome 0/4/8/12, purposeOfEvent v3-ActReason, entity role
// object-role), carries no clinical text and never the id of an item
// withheld from everyone who asked but its writer (Observation/hba1c,
// withheld from the nurses' $everything, never asked for by id).
func TestReview105aSoundAuditEventsCodedAndFreeOfClinicalContent(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	r105aSeed(t, e)
	r105aTraffic(t, e)
	ryy := e.token("district-nurse", "nhs", "RYY", func(c *auth.DevClaims) { c.Sub = "r105a-bg" })
	e.do("GET", "/fhir/Patient/jane/$everything", ryy, "", "X-Break-Glass", "EMERGENCY: collapsed at home")
	r := e.do("GET", "/fhir/AuditEvent?_count=1000", r105aIG(e), "")
	b := parseBundle(t, r.body)
	if len(b.Entry) < 20 {
		t.Fatalf("premise: %d AuditEvents", len(b.Entry))
	}
	for _, en := range b.Entry {
		// (the source's own write of it names it, as it should)
		if strings.Contains(string(en.Resource), "Observation/hba1c") && !strings.Contains(string(en.Resource), `"value":"system-user"`) {
			t.Errorf("an AuditEvent of someone but its writer names the withheld Observation/hba1c: %s", en.Resource)
		}
	}
	for _, bad := range []string{"GP-DIABETES", "GP-HIV", "GP-HBA1C", "TRUST-WOUND", "HOSP-ADMISSION", "COUNCIL-CARE-PACKAGE", "44054006", "86406008"} {
		if strings.Contains(r.body, bad) {
			t.Errorf("the IG officer's AuditEvents carry %q", bad)
		}
	}
	type cd struct{ System, Code string }
	for _, en := range b.Entry {
		var ae struct {
			Type           cd
			Subtype        []cd
			Action         string
			Recorded       string
			Outcome        string
			PurposeOfEvent []struct{ Coding []cd }
			Agent          []struct {
				Requestor *bool
				Type      *struct{ Coding []cd }
			}
			Source struct {
				Observer *struct{ Display string }
			}
			Entity []struct{ Role *cd }
		}
		if err := json.Unmarshal(en.Resource, &ae); err != nil {
			t.Fatal(err)
		}
		bad := func(f string, a ...any) { t.Errorf("AuditEvent %s: "+f, append([]any{en.FullURL}, a...)...) }
		if ae.Type.System != "http://terminology.hl7.org/CodeSystem/audit-event-type" || ae.Type.Code != "rest" {
			bad("type %+v", ae.Type)
		}
		for _, s := range ae.Subtype {
			if s.System != "http://hl7.org/fhir/restful-interaction" {
				bad("subtype %+v", s)
			}
		}
		if !strings.Contains("CRUDE", ae.Action) || len(ae.Action) != 1 {
			bad("action %q", ae.Action)
		}
		if ae.Outcome != "0" && ae.Outcome != "4" && ae.Outcome != "8" && ae.Outcome != "12" {
			bad("outcome %q", ae.Outcome)
		}
		if ae.Recorded == "" || ae.Source.Observer == nil || len(ae.Agent) == 0 {
			bad("lacks recorded, source.observer or agent")
		}
		for _, a := range ae.Agent {
			if a.Requestor == nil {
				bad("an agent lacks requestor")
			}
		}
		for _, p := range ae.PurposeOfEvent {
			for _, c := range p.Coding {
				if c.System != "http://terminology.hl7.org/CodeSystem/v3-ActReason" {
					bad("purposeOfEvent %+v", c)
				}
			}
		}
		for _, x := range ae.Entity {
			if x.Role != nil && x.Role.System != "http://terminology.hl7.org/CodeSystem/object-role" {
				bad("entity role %+v", x.Role)
			}
		}
	}
}

// TestReview105aOrListProbeOfManyRaisesNoVolumeAlert: README, the
// volume alert counts what a user "opened or asked to open" — "a user
// trying one record after another is what the rule is for". Threshold 3
// here. A nurse of a trust with no relationship to any of 5 people
// searches their conditions one by one: 5 refusals, one volume alert.
// Another nurse of the same trust asks for the 5 in one OR list,
// Condition?patient=p1,…,p5: answered 200 with nothing, logged naming no
// one — no volume alert, and in no one's report.
func TestReview105aOrListProbeOfManyRaisesNoVolumeAlert(t *testing.T) {
	e := envWithAlertThreshold12d(t, "3")
	ids := []string{"p1", "p2", "p3", "p4", "p5"}
	seedPatients12d(t, e, ids...)
	sys := e.token("system", "nhs", "A81001")
	for _, id := range ids {
		e.putAll(t, sys, [2]string{"/fhir/Condition/c-" + id, `{"resourceType":"Condition","id":"c-` + id + `","subject":{"reference":"Patient/` + id + `"},"code":{"text":"DX"}}`})
	}
	one := e.token("district-nurse", "nhs", "RYY", func(c *auth.DevClaims) { c.Sub = "r105a-one-by-one" })
	for _, id := range ids {
		if r := e.do("GET", "/fhir/Condition?patient="+id, one, ""); r.status != 403 {
			t.Fatalf("premise: the RYY nurse's Condition?patient=%s: %d", id, r.status)
		}
	}
	or := e.token("district-nurse", "nhs", "RYY", func(c *auth.DevClaims) { c.Sub = "r105a-or-list" })
	if r := e.do("GET", "/fhir/Condition?patient="+strings.Join(ids, ","), or, ""); r.status != 403 || strings.Contains(r.body, `"DX"`) {
		t.Fatalf("premise: the OR list: %d %.300s", r.status, r.body)
	}
	vol := map[string]bool{}
	for _, a := range r105aAlerts(t, e) {
		if a.Kind == "volume" {
			vol[a.Sub] = true
		}
	}
	if !vol["r105a-one-by-one"] {
		t.Fatalf("premise: 5 refused searches one by one raised no volume alert")
	}
	if !vol["r105a-or-list"] {
		t.Errorf("Condition?patient=p1,…,p5 by a nurse with no relationship to any of them raised no volume alert (the same 5 asked one by one did)")
	}
	if es := r105aReport(t, e, "/fhir/AuditEvent/$who-accessed?patient=p1"); !func() bool {
		for _, en := range es {
			if en.Sub == "r105a-or-list" {
				return true
			}
		}
		return false
	}() {
		t.Errorf("LOST: the OR-list search is not in p1's $who-accessed")
	}
}

// TestReview105aSoundRestrictedPersonIGReadWithheldAddress: the council's
// IG officer (not the source) answering a complaint reads Rita's Patient
// and her $who-accessed: neither carries her address, and the read
// raises the restricted-patient alert.
func TestReview105aSoundRestrictedPersonIGReadWithheldAddress(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Patient/rita", r105aRestricted})
	ig := e.token("ig-officer", "council", "E06000999", func(c *auth.DevClaims) { c.Sub = "r105a-council-ig" })
	r := e.do("GET", "/fhir/Patient/rita", ig, "", "X-Request-ID", "r105a-ig-rita")
	t.Logf("IG read of Rita: %d", r.status)
	if strings.Contains(r.body, "SECRET-ADDRESS") || strings.Contains(r.body, "A81001") {
		t.Errorf("the council IG officer's read of restricted Rita carries her address or GP: %.400s", r.body)
	}
	w := e.do("GET", "/fhir/AuditEvent/$who-accessed?patient=rita&_format=text", ig, "")
	if w.status != 200 || strings.Contains(w.body, "SECRET-ADDRESS") {
		t.Errorf("Rita's printable report: %d %.400s", w.status, w.body)
	}
	linked := false
	for _, a := range r105aAlerts(t, e) {
		linked = linked || a.Code == "restricted-patient" && a.Patient == "rita" && a.Sub == "r105a-council-ig"
	}
	if !linked {
		t.Errorf("the IG officer's read of restricted Rita raised no restricted-patient alert")
	}
}
