package api_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/consent"
	"github.com/carex-project/carex/fhir"
	"github.com/carex-project/carex/store/auditlog"
	"github.com/carex-project/carex/store/sqlite"
)

// withAccessLog records every request in a real access log on the env's
// SQLite file and enables the IG views of it.
func withAccessLog(t testing.TB, out **auditlog.Log) func(*api.Config) {
	return func(cfg *api.Config) {
		db := cfg.Store.(*sqlite.DB)
		l := openTestLog(t, db)
		cfg.Recorder, cfg.AuditLog = api.LogRecorder{Log: l}, l
		if out != nil {
			*out = l
		}
	}
}

func openTestLog(t testing.TB, db *sqlite.DB) *auditlog.Log {
	return reopenableLog(t, db)()
}

type bundle struct {
	Total int `json:"total"`
	Link  []struct {
		Relation string `json:"relation"`
		URL      string `json:"url"`
	} `json:"link"`
	Entry []struct {
		FullURL  string          `json:"fullUrl"`
		Resource json.RawMessage `json:"resource"`
	} `json:"entry"`
}

func parseBundle(t *testing.T, body string) bundle {
	t.Helper()
	var b bundle
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		t.Fatalf("bundle: %v\n%s", err, body)
	}
	for _, e := range b.Entry {
		if _, err := fhir.Parse(e.Resource); err != nil {
			t.Fatalf("AuditEvent does not parse as FHIR R4: %v\n%s", err, e.Resource)
		}
	}
	return b
}

func TestAuditEventPerRole(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Patient/jane", gp, ""); r.status != 200 {
		t.Fatalf("gp read: %d", r.status)
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	paths := []string{
		"/fhir/AuditEvent?patient=jane",
		"/fhir/AuditEvent/0",
		"/fhir/AuditEvent/$who-accessed?patient=jane",
		"/fhir/AuditEvent/$user-activity?agent=gp-user",
		"/fhir/AuditEvent/$break-glass",
		"/fhir/AuditEvent/$alerts",
	}
	var scs []scenario
	for _, role := range []struct{ role, sector, org string }{
		{"gp", "nhs", "A81001"}, {"district-nurse", "nhs", "RCX"}, {"social-worker", "council", "E06000999"}, {"system", "nhs", "A81001"}, {"hospital-clinician", "nhs", "RHX"},
	} {
		tok := e.token(role.role, role.sector, role.org)
		for _, p := range paths {
			scs = append(scs, scenario{name: role.role + " " + p, method: "GET", path: p, token: tok, status: 403, absent: []string{"gp-user", "AuditEvent/"}})
		}
	}
	for _, p := range paths {
		scs = append(scs, scenario{name: "ig " + p, method: "GET", path: p, token: ig, status: 200})
	}
	scs = append(scs,
		scenario{name: "no token", method: "GET", path: "/fhir/AuditEvent", status: 401},
		scenario{name: "POST is 405", method: "POST", path: "/fhir/AuditEvent", token: ig, body: `{"resourceType":"AuditEvent"}`, status: 405},
		scenario{name: "PUT is 405", method: "PUT", path: "/fhir/AuditEvent/0", token: ig, body: `{"resourceType":"AuditEvent","id":"0"}`, status: 405},
		scenario{name: "DELETE is 405", method: "DELETE", path: "/fhir/AuditEvent/0", token: ig, status: 405},
		scenario{name: "gp POST is 405 too", method: "POST", path: "/fhir/AuditEvent", token: gp, body: `{"resourceType":"AuditEvent"}`, status: 405},
		scenario{name: "unknown entry", method: "GET", path: "/fhir/AuditEvent/99999", token: ig, status: 404},
		scenario{name: "bad id", method: "GET", path: "/fhir/AuditEvent/abc", token: ig, status: 404},
		scenario{name: "unknown parameter", method: "GET", path: "/fhir/AuditEvent?colour=red", token: ig, status: 400},
		scenario{name: "bad outcome", method: "GET", path: "/fhir/AuditEvent?outcome=3", token: ig, status: 400},
		scenario{name: "bad date", method: "GET", path: "/fhir/AuditEvent?date=yesterday", token: ig, status: 400},
		scenario{name: "who-accessed needs a patient", method: "GET", path: "/fhir/AuditEvent/$who-accessed", token: ig, status: 400},
		scenario{name: "user-activity needs an agent", method: "GET", path: "/fhir/AuditEvent/$user-activity", token: ig, status: 400},
		scenario{name: "no history", method: "GET", path: "/fhir/AuditEvent/0/_history", token: ig, status: 400},
	)
	e.run(t, scs)

	// The GP's read of Patient/jane, with the GP as the requesting agent
	// (outcome=0: her refused looks at jane's log entries above are jane's
	// too since review 12d).
	r := e.do("GET", "/fhir/AuditEvent?patient=Patient/jane&agent=gp-user&outcome=0", ig, "")
	b := parseBundle(t, r.body)
	if b.Total != 1 || len(b.Entry) != 1 {
		t.Fatalf("GP reads of jane: total %d\n%s", b.Total, r.body)
	}
	ae := string(b.Entry[0].Resource)
	for _, want := range []string{`"code":"read"`, `"action":"R"`, `"outcome":"0"`, `"requestor":true`, `"value":"gp-user"`, `"display":"Test gp"`,
		`"reference":"Patient/jane"`, `"code":"TREAT"`, `"reference":"Patient/jane/_history/1"`, `IHE.BasicAudit.PatientRead`, `"code":"XrequestId"`,
		`"reference":"Organization/A81001"`, `"code":"gp"`} {
		if !strings.Contains(ae, want) {
			t.Errorf("AuditEvent lacks %s:\n%s", want, ae)
		}
	}
	// Read it back by id.
	var one struct{ ID string }
	json.Unmarshal(b.Entry[0].Resource, &one)
	if r := e.do("GET", "/fhir/AuditEvent/"+one.ID, ig, ""); r.status != 200 || !strings.Contains(r.body, `"reference":"Patient/jane"`) {
		t.Fatalf("read AuditEvent/%s: %d %s", one.ID, r.status, r.body)
	}
	// The refused attempts by other roles are in the log too: outcome 4.
	r = e.do("GET", "/fhir/AuditEvent?agent=district-nurse-user&outcome=4", ig, "")
	if b := parseBundle(t, r.body); b.Total != len(paths) {
		t.Fatalf("nurse's refused IG requests: total %d, want %d\n%s", b.Total, len(paths), r.body)
	}
	// The IG officer's own searches are logged with the patient they were about.
	r = e.do("GET", "/fhir/AuditEvent?agent=ig-officer-user&patient=jane", ig, "")
	if b := parseBundle(t, r.body); b.Total < 2 || !strings.Contains(r.body, `"code":"search-type"`) || !strings.Contains(r.body, `"code":"rest"`) {
		t.Fatalf("IG searches not logged: %s", r.body)
	}
}

func TestAuditEventSearchParams(t *testing.T) {
	// The date queries below take every entry to be of the UTC day the
	// test reads after writing them.
	clearOfMidnight(t, time.Minute)
	var l *auditlog.Log
	e := newEnv(t, withAccessLog(t, &l))
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Patient/jane", gp, janeJSON); r.status != 201 {
		t.Fatal(r.body)
	}
	for i := 0; i < 4; i++ {
		e.do("GET", "/fhir/Patient/jane", gp, "")
	}
	e.do("GET", "/fhir/Patient/nobody", gp, "") // 404
	e.do("POST", "/fhir/Observation", gp, `{"resourceType":"Observation","status":"final","code":{"text":"bp"},"subject":{"reference":"Patient/jane"}}`)
	ig := e.token("ig-officer", "nhs", "A81001")

	// Paging: 5 reads of jane + 1 create about her = 6 by the GP about jane… (PUT, 4 GETs, POST).
	r := e.do("GET", "/fhir/AuditEvent?agent=gp-user&_count=2", ig, "")
	b := parseBundle(t, r.body)
	if b.Total != 7 || len(b.Entry) != 2 {
		t.Fatalf("paging: total %d entries %d\n%s", b.Total, len(b.Entry), r.body)
	}
	next := ""
	for _, l := range b.Link {
		if l.Relation == "next" {
			next = l.URL
		}
	}
	if !strings.Contains(next, "_offset=2") || !strings.Contains(next, "agent=gp-user") {
		t.Fatalf("next link %q", next)
	}
	// The GP goes on working while IG pages: the next page continues the
	// first, without repeating any of its entries.
	e.do("GET", "/fhir/Patient/jane", gp, "")
	u, _ := url.Parse(next)
	r = e.do("GET", u.RequestURI(), ig, "")
	b2 := parseBundle(t, r.body)
	if len(b2.Entry) != 2 || b2.Total != 7 || b2.Entry[0].FullURL == b.Entry[1].FullURL ||
		b2.Entry[0].FullURL == b.Entry[0].FullURL || b2.Entry[1].FullURL == b.Entry[1].FullURL {
		t.Fatalf("next page, after another entry: %s\nfirst page: %s, %s", r.body, b.Entry[0].FullURL, b.Entry[1].FullURL)
	}
	// _count=0: the total only (the 7 and the read while IG paged).
	if r := e.do("GET", "/fhir/AuditEvent?agent=gp-user&_count=0", ig, ""); !strings.Contains(r.body, `"total":8`) || strings.Contains(r.body, `"entry"`) {
		t.Fatalf("_count=0: %s", r.body)
	}
	// outcome=4: the 404.
	r = e.do("GET", "/fhir/AuditEvent?agent=gp-user&outcome=4", ig, "")
	if b := parseBundle(t, r.body); b.Total != 1 || !strings.Contains(r.body, `"reference":"Patient/nobody"`) {
		t.Fatalf("outcome=4: %s", r.body)
	}
	// The create: action C, the user as author.
	r = e.do("GET", "/fhir/AuditEvent?agent=gp-user&outcome=0&_count=100", ig, "")
	if !strings.Contains(r.body, `"action":"C"`) || !strings.Contains(r.body, `"code":"AUT"`) || !strings.Contains(r.body, `IHE.BasicAudit.PatientCreate`) {
		t.Fatalf("create not shaped as BALP Create: %s", r.body)
	}
	// date: everything happened today; nothing before yesterday, nothing after tomorrow.
	today := time.Now().UTC()
	yesterday, tomorrow := today.AddDate(0, 0, -1).Format("2006-01-02"), today.AddDate(0, 0, 1).Format("2006-01-02")
	for _, c := range []struct {
		q     string
		total int
	}{
		{"date=ge" + yesterday, 8},
		{"date=lt" + yesterday, 0},
		{"date=gt" + tomorrow, 0},
		{"date=le" + tomorrow, 8},
		{"date=ge" + yesterday + "&date=lt" + tomorrow, 8},
		{"date=" + today.Format("2006-01-02"), 8},
		{"date=" + today.Format("2006-01-02") + "T00:00:00Z", 0}, // eq at second precision: one second
	} {
		r := e.do("GET", "/fhir/AuditEvent?agent=gp-user&"+c.q, ig, "")
		if b := parseBundle(t, r.body); r.status != 200 || b.Total != c.total {
			t.Errorf("%s: %d total %d, want %d", c.q, r.status, b.Total, c.total)
		}
	}
	if r := e.do("GET", "/fhir/AuditEvent?date=sa2020-01-01", ig, ""); r.status != 400 {
		t.Errorf("date prefix sa: %d", r.status)
	}
	// POST _search works like GET.
	r = e.do("POST", "/fhir/AuditEvent/_search", ig, "agent=gp-user&outcome=4", "Content-Type", "application/x-www-form-urlencoded")
	if b := parseBundle(t, r.body); r.status != 200 || b.Total != 1 {
		t.Errorf("POST _search: %d %s", r.status, r.body)
	}
	if n, _ := l.Size(context.Background()); n < 10 {
		t.Fatalf("log size %d", n)
	}
}

func TestIGReports(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	e.do("GET", "/fhir/Patient/jane/$everything", gp, "")
	e.do("GET", "/fhir/Patient/jane", gp, "")
	st := e.token("hospital-clinician", "nhs", "RZZ")
	if r := e.do("GET", "/fhir/Patient/jane/$everything", st, "", "X-Break-Glass", "EMERGENCY: unconscious in A&E, no next of kin"); r.status != 200 {
		t.Fatalf("break-glass: %d %s", r.status, r.body)
	}
	e.do("GET", "/fhir/Patient/jane", st, "") // under the grant
	ig := e.token("ig-officer", "nhs", "A81001")

	// Who accessed jane: JSON, text, html.
	r := e.do("GET", "/fhir/AuditEvent/$who-accessed?patient=jane", ig, "")
	var rep struct {
		Report  string `json:"report"`
		Total   int    `json:"total"`
		Entries []struct {
			Seq        int64  `json:"seq"`
			AuditEvent string `json:"auditEvent"`
			Sub        string `json:"sub"`
			BreakGlass string `json:"breakGlass"`
			Operation  string `json:"operation"`
		} `json:"entries"`
		Summary *struct {
			Entries  int      `json:"entries"`
			Patients []string `json:"patients"`
		} `json:"summary"`
		Alerts []struct {
			Kind        string   `json:"kind"`
			Sub         string   `json:"sub"`
			Seqs        []int64  `json:"seqs"`
			AuditEvents []string `json:"auditEvents"`
			Detail      string   `json:"detail"`
		} `json:"alerts"`
	}
	if err := json.Unmarshal([]byte(r.body), &rep); err != nil || r.status != 200 {
		t.Fatalf("who-accessed: %d %v %s", r.status, err, r.body)
	}
	subs := map[string]int{}
	for _, en := range rep.Entries {
		subs[en.Sub]++
	}
	if subs["gp-user"] != 2 || subs["hospital-clinician-user"] != 2 || rep.Entries[0].AuditEvent == "" {
		t.Fatalf("who-accessed jane: %v\n%s", subs, r.body)
	}
	if r := e.do("GET", "/fhir/AuditEvent/$who-accessed?patient=jane&_format=text", ig, ""); r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") ||
		!strings.Contains(r.body, "Test gp (gp-user)") || !strings.Contains(r.body, "EMERGENCY: unconscious") {
		t.Fatalf("printable who-accessed: %d %s\n%s", r.status, r.header.Get("Content-Type"), r.body)
	}
	if r := e.do("GET", "/fhir/AuditEvent/$who-accessed?patient=jane&_format=html", ig, ""); r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") ||
		!strings.Contains(r.body, "A&amp;E") || strings.Contains(r.body, "A&E") {
		t.Fatalf("html who-accessed: %d\n%s", r.status, r.body)
	}
	// What the GP did.
	r = e.do("GET", "/fhir/AuditEvent/$user-activity?agent=gp-user", ig, "")
	rep.Summary = nil
	json.Unmarshal([]byte(r.body), &rep)
	if rep.Summary == nil || rep.Summary.Entries != 2 || len(rep.Summary.Patients) != 1 || rep.Summary.Patients[0] != "jane" {
		t.Fatalf("user-activity: %s", r.body)
	}
	// Break-glass: the act, with its reason, and the later access its grant
	// let through.
	r = e.do("GET", "/fhir/AuditEvent/$break-glass", ig, "")
	rep.Entries = nil
	json.Unmarshal([]byte(r.body), &rep)
	if len(rep.Entries) != 2 || rep.Entries[0].BreakGlass != "EMERGENCY: unconscious in A&E, no next of kin" ||
		rep.Entries[1].BreakGlass != "" || rep.Entries[1].Sub != "hospital-clinician-user" || rep.Entries[1].Seq <= rep.Entries[0].Seq {
		t.Fatalf("break-glass: %s", r.body)
	}
	// Only the grant's own user and patient: the GP's accesses to jane are not break-glass.
	if r := e.do("GET", "/fhir/AuditEvent/$break-glass?agent=gp-user", ig, ""); !strings.Contains(r.body, `"entries": []`) && !strings.Contains(r.body, `"entries":[]`) {
		t.Fatalf("break-glass of the GP: %s", r.body)
	}
	// Alerts: the break-glass, linked to both its entries (the act and the use of the grant).
	r = e.do("GET", "/fhir/AuditEvent/$alerts", ig, "")
	json.Unmarshal([]byte(r.body), &rep)
	found := false
	for _, a := range rep.Alerts {
		if a.Kind == "break-glass" && a.Sub == "hospital-clinician-user" {
			found = len(a.Seqs) >= 1 && len(a.AuditEvents) == len(a.Seqs)
			for _, ref := range a.AuditEvents {
				if r := e.do("GET", "/fhir/"+ref, ig, ""); r.status != 200 {
					t.Errorf("alert link %s: %d", ref, r.status)
				}
			}
		}
	}
	if !found {
		t.Fatalf("no break-glass alert: %s", r.body)
	}
	// The total counts alerts; the entries they came from are counted apart.
	var counts struct {
		Total   int              `json:"total"`
		Scanned int              `json:"entriesScanned"`
		Entries []map[string]any `json:"entries"`
		Alerts  []map[string]any `json:"alerts"`
	}
	if json.Unmarshal([]byte(r.body), &counts); counts.Total != len(counts.Alerts) || counts.Scanned <= counts.Total || counts.Entries == nil {
		t.Errorf("alerts counts: total %d, %d alerts, %d entries scanned, entries %v", counts.Total, len(counts.Alerts), counts.Scanned, counts.Entries)
	}
	// Printable alerts, and a printable report names each entry's patient.
	for _, f := range []string{"text", "html"} {
		r := e.do("GET", "/fhir/AuditEvent/$alerts?_format="+f, ig, "")
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/"+map[string]string{"text": "plain", "html": "html"}[f]) ||
			!strings.Contains(r.body, "Access alerts") || !strings.Contains(r.body, "break-glass") || !strings.Contains(r.body, "hospital-clinician-user") {
			t.Errorf("alerts as %s: %d %s\n%s", f, r.status, r.header.Get("Content-Type"), r.body)
		}
	}
	if r := e.do("GET", "/fhir/AuditEvent/$user-activity?agent=gp-user&_format=text", ig, ""); !strings.Contains(r.body, "Patient") || !strings.Contains(r.body, "jane (NHS 9434765919)") {
		t.Errorf("user-activity as text names no patient:\n%s", r.body)
	}
	// $explain for the clinician who broke glass: the grant opens the record
	// to them, as it does for their own requests; for a colleague it does not.
	explain := "/fhir/Patient/jane/$explain?role=hospital-clinician&org=RZZ&sector=nhs"
	if r := e.do("GET", explain+"&sub=hospital-clinician-user", ig, ""); r.status != 200 || !strings.Contains(r.body, `"name":"open","part":[{"name":"effect","valueCode":"permit"}`) {
		t.Errorf("explain under the grant: %d %s", r.status, r.body)
	}
	if r := e.do("GET", explain+"&sub=someone-else", ig, ""); r.status != 200 || strings.Contains(r.body, `"name":"open","part":[{"name":"effect","valueCode":"permit"}`) {
		t.Errorf("explain for a colleague without the grant: %d %s", r.status, r.body)
	}
	// A format carex does not produce is a 406 (it was a 400 before
	// review 5c's format negotiation).
	if r := e.do("GET", explain+"&_format=text", ig, ""); r.status != 406 {
		t.Errorf("explain as text: %d; want 406", r.status)
	}
	// Reports are not paged: a paging parameter is refused, not ignored.
	for _, q := range []string{"$who-accessed?patient=jane&_count=1", "$alerts?_offset=2"} {
		if r := e.do("GET", "/fhir/AuditEvent/"+q, ig, ""); r.status != 400 || !strings.Contains(r.body, "not paged") {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
}

// The policy file's alert threshold is the one $alerts applies: with
// alert-patients-per-hour 1, a GP opening two patients raises a volume alert.
func TestAlertThresholdFromPolicy(t *testing.T) {
	pol, err := consent.LoadPolicy(strings.NewReader(strings.Replace(consent.DefaultPolicyText(), "alert-patients-per-hour 50", "alert-patients-per-hour 1", 1)))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, withAccessLog(t, nil), func(c *api.Config) { c.Policy = api.NewConsentPolicy(pol, c.Store) })
	gp := e.token("gp", "nhs", "A81001")
	for _, id := range []string{"p1", "p2"} {
		body := `{"resourceType":"Patient","id":"` + id + `","generalPractitioner":[{"reference":"Organization/A81001"}]}`
		if r := e.do("PUT", "/fhir/Patient/"+id, gp, body); r.status != 201 {
			t.Fatalf("seed: %d %s", r.status, r.body)
		}
		if r := e.do("GET", "/fhir/Patient/"+id+"/$everything", gp, ""); r.status != 200 {
			t.Fatalf("everything: %d", r.status)
		}
	}
	r := e.do("GET", "/fhir/AuditEvent/$alerts", e.token("ig-officer", "nhs", "A81001"), "")
	if r.status != 200 || !strings.Contains(r.body, `"gp-user"`) || !strings.Contains(r.body, `"`+auditlog.AlertVolume+`"`) {
		t.Fatalf("no volume alert at the policy's threshold: %d %s", r.status, r.body)
	}
}

// TestMetricsShowWaits: /metrics carries the access log's and the store
// writer's totals, counting exactly the requests made.
func TestMetricsShowWaits(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Patient/jane", gp, janeJSON); r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	const reads = 5
	for range reads {
		if r := e.do("GET", "/fhir/Patient/jane", gp, ""); r.status != 200 {
			t.Fatalf("read: %d", r.status)
		}
	}
	r := e.do("GET", "/metrics", gp, "")
	if r.status != 200 {
		t.Fatalf("metrics: %d", r.status)
	}
	value := func(name string) float64 {
		t.Helper()
		for _, line := range strings.Split(r.body, "\n") {
			if v, ok := strings.CutPrefix(line, name+" "); ok {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					t.Fatalf("%s: %v", line, err)
				}
				return f
			}
		}
		t.Fatalf("/metrics has no %s", name)
		return 0
	}
	// Each request before the scrape left one entry (the scrape's own is
	// written after its body was made).
	if n := value("carex_access_log_appends_total"); n != reads+1 {
		t.Errorf("appends %v, want %d", n, reads+1)
	}
	if n := value("carex_access_log_journal_entries_total"); n != reads+1 {
		t.Errorf("journal entries %v, want %d", n, reads+1)
	}
	if w := value("carex_access_log_journal_writes_total"); w < 1 || w > reads+1 {
		t.Errorf("journal writes %v for %d entries", w, reads+1)
	}
	if s := value("carex_access_log_append_wait_seconds_total"); s <= 0 || s < value("carex_access_log_journal_write_seconds_total")/2 {
		t.Errorf("append wait %vs against journal writes of %vs", s, value("carex_access_log_journal_write_seconds_total"))
	}
	value("carex_access_log_queued_entries")
	if n := value("carex_store_write_requests_total"); n != 1 {
		t.Errorf("store write requests %v, want 1 (the create)", n)
	}
	if n := value("carex_store_write_transactions_total"); n != 1 {
		t.Errorf("store transactions %v, want 1", n)
	}
	if w, b, c := value("carex_store_write_wait_seconds_total"), value("carex_store_writer_busy_seconds_total"), value("carex_store_commit_seconds_total"); w <= 0 || b <= 0 || c <= 0 || c > b || b > w {
		t.Errorf("store: wait %vs, busy %vs, commit %vs: want 0 < commit ≤ busy ≤ wait", w, b, c)
	}
}

// clearOfMidnight waits, when the UTC day ends within margin, until just
// after it has ended: a test whose requests must all fall on the UTC day
// it reads afterwards would fail if run across midnight (CI runs at any
// hour).
func clearOfMidnight(t *testing.T, margin time.Duration) {
	t.Helper()
	now := time.Now().UTC()
	if d := now.Truncate(24 * time.Hour).Add(24 * time.Hour).Sub(now); d < margin {
		t.Logf("waiting %v for the UTC day to end", d.Round(time.Millisecond))
		time.Sleep(d + 2*time.Second) // and past 00:00:01, which a query below asks for
	}
}
