package auditlog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/fhir"
)

func london(t *testing.T, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	tm, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return tm.UTC()
}

func TestAlerts(t *testing.T) {
	// 2026-03-03 is a Tuesday (GMT); 2026-07-07 a Tuesday (BST); 2026-03-07 a Saturday.
	type acc struct {
		at      string // Europe/London wall clock
		sub     string
		role    string
		patient string
		bg      string
		reasons []string
		op      string
	}
	cases := []struct {
		name    string
		th      Thresholds
		entries []acc
		want    []string // "kind sub seqs"
	}{
		{name: "working hours, weekday: nothing", entries: []acc{
			{at: "2026-03-03 07:00", sub: "u1", patient: "p1"}, {at: "2026-03-03 18:59", sub: "u1", patient: "p2"},
		}},
		{name: "before 07:00 and from 19:00 are out of hours, one alert per night", entries: []acc{
			{at: "2026-03-03 06:59", sub: "u1", patient: "p1"}, // the night of Monday
			{at: "2026-03-03 19:00", sub: "u1", patient: "p2"}, // Tuesday night…
			{at: "2026-03-04 02:00", sub: "u1", patient: "p3"}, // …continued
			{at: "2026-03-04 02:00", sub: "u2", patient: "p3"},
		}, want: []string{"out-of-hours u1 [0]", "out-of-hours u1 [1 2]", "out-of-hours u2 [3]"}},
		{name: "summer time: 18:30 BST is in hours, 19:30 BST is not", entries: []acc{
			{at: "2026-07-07 18:30", sub: "u1", patient: "p1"}, {at: "2026-07-07 19:30", sub: "u1", patient: "p1"},
		}, want: []string{"out-of-hours u1 [1]"}},
		{name: "weekend is out of hours", entries: []acc{{at: "2026-03-07 12:00", sub: "u1", patient: "p1"}},
			want: []string{"out-of-hours u1 [0]"}},
		{name: "weekend in hours when configured", th: Thresholds{WeekendsInHours: true}, entries: []acc{{at: "2026-03-07 12:00", sub: "u1", patient: "p1"}}},
		{name: "custom working hours", th: Thresholds{DayStart: 8 * time.Hour, DayEnd: 18 * time.Hour}, entries: []acc{
			{at: "2026-03-03 07:30", sub: "u1", patient: "p1"}, {at: "2026-03-03 17:59", sub: "u1", patient: "p1"},
		}, want: []string{"out-of-hours u1 [0]"}},
		{name: "system feeds and requests without a patient raise no out-of-hours alert", entries: []acc{
			{at: "2026-03-03 03:00", sub: "feed", role: "system", patient: "p1", op: "create"}, {at: "2026-03-03 03:00", sub: "u1"},
		}},
		// (review 60b: a client system's reads count, as anyone's)
		{name: "a client system's reads out of hours", entries: []acc{
			{at: "2026-03-03 03:00", sub: "feed", role: "system", patient: "p1", op: "search"},
		}, want: []string{"out-of-hours feed [0]"}},
		{name: "volume: more than the threshold of distinct patients within an hour", th: Thresholds{PatientsPerHour: 3}, entries: []acc{
			{at: "2026-03-03 10:00", sub: "u1", patient: "p1"},
			{at: "2026-03-03 10:10", sub: "u1", patient: "p1"}, // the same patient again
			{at: "2026-03-03 10:20", sub: "u1", patient: "p2"},
			{at: "2026-03-03 10:30", sub: "u1", patient: "p3"},
			{at: "2026-03-03 10:40", sub: "u2", patient: "p9"},
			{at: "2026-03-03 10:50", sub: "u1", patient: "p4"}, // 4 > 3: alert with the window's entries
			{at: "2026-03-03 10:55", sub: "u1", patient: "p5"}, // still above: same alert
			{at: "2026-03-03 13:00", sub: "u1", patient: "p6"}, // window emptied: closed
		}, want: []string{"volume u1 [0 1 2 3 5 6]"}},
		{name: "volume: spread over more than an hour is fine", th: Thresholds{PatientsPerHour: 3}, entries: []acc{
			{at: "2026-03-03 09:00", sub: "u1", patient: "p1"}, {at: "2026-03-03 09:30", sub: "u1", patient: "p2"},
			{at: "2026-03-03 10:00", sub: "u1", patient: "p3"}, {at: "2026-03-03 10:01", sub: "u1", patient: "p4"},
		}},
		{name: "volume: exempt role's writes", th: Thresholds{PatientsPerHour: 1}, entries: []acc{
			{at: "2026-03-03 09:00", sub: "feed", role: "system", patient: "p1", op: "update"}, {at: "2026-03-03 09:01", sub: "feed", role: "system", patient: "p2", op: "transaction"},
		}},
		{name: "volume: exempt role's reads count", th: Thresholds{PatientsPerHour: 1}, entries: []acc{
			{at: "2026-03-03 09:00", sub: "feed", role: "system", patient: "p1", op: "read"}, {at: "2026-03-03 09:01", sub: "feed", role: "system", patient: "p2", op: "search"},
		}, want: []string{"volume feed [0 1]"}},
		{name: "break-glass: the act and the accesses under its grant, per user and patient", entries: []acc{
			{at: "2026-03-03 10:00", sub: "u1", patient: "p1", bg: "EMERGENCY: collapsed", reasons: []string{"break-glass"}},
			{at: "2026-03-03 10:05", sub: "u1", patient: "p1", reasons: []string{"break-glass"}},
			{at: "2026-03-03 10:06", sub: "u1", patient: "p2", bg: "EMERGENCY: second"},
			{at: "2026-03-03 10:07", sub: "u3", patient: "p1"},
		}, want: []string{"break-glass u1 [0 1]", "break-glass u1 [2]"}},
		{name: "flagged reasons", entries: []acc{
			{at: "2026-03-03 10:00", sub: "u1", patient: "p1", reasons: []string{"restricted-patient"}},
			{at: "2026-03-03 10:01", sub: "u1", patient: "p1", reasons: []string{"claimed-relationship"}},
			{at: "2026-03-03 10:02", sub: "u1", patient: "p1", reasons: []string{"no-relationship"}},
		}, want: []string{"reason u1 [0]", "reason u1 [1]"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var es []*Entry
			for i, a := range c.entries {
				role := a.role
				if role == "" {
					role = "gp"
				}
				es = append(es, &Entry{Seq: int64(i), Time: london(t, a.at), Sub: a.sub, Role: role, Patient: a.patient, BreakGlass: a.bg, Reasons: a.reasons, Operation: a.op, Decision: "permit", Status: 200})
			}
			var got []string
			for _, al := range Alerts(es, c.th) {
				got = append(got, fmt.Sprintf("%s %s %v", al.Kind, al.Sub, al.Seqs))
				if al.Detail == "" || al.From.After(al.To) {
					t.Errorf("alert %+v: no detail or bad period", al)
				}
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("alerts\n got %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestDefaultThresholds(t *testing.T) {
	th := DefaultThresholds()
	if th.PatientsPerHour != 50 || th.DayStart != 7*time.Hour || th.DayEnd != 19*time.Hour || th.Location.String() != "Europe/London" ||
		th.WeekendsInHours || !slices.Equal(th.ExemptRoles, []string{"system"}) {
		t.Fatalf("%+v", th)
	}
}

func TestActivity(t *testing.T) {
	var a Activity
	t0 := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	for i, p := range []string{"p2", "p1", "p2", ""} {
		a.Add(&Entry{Seq: int64(i), Time: t0.Add(time.Duration(i) * time.Minute), Operation: "read", Patient: p, Decision: "permit", Withheld: 1})
	}
	if a.Entries != 4 || !slices.Equal(a.Patients, []string{"p1", "p2"}) || a.ByOperation["read"] != 4 || a.Withheld != 4 || !a.Last.Equal(t0.Add(3*time.Minute)) {
		t.Fatalf("%+v", a)
	}
}

// TestAuditEventShapes: every kind of entry maps to an AuditEvent that is
// valid FHIR R4 and has its BALP shape.
func TestAuditEventShapes(t *testing.T) {
	t0 := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	base := Entry{Seq: 7, Time: t0, RequestID: "req-1", Sub: "u1", Name: "Dr A", Role: "gp", Org: "A81001", Sector: "nhs",
		Purpose: "TREAT", Client: "10.0.0.1", Method: "GET", Decision: "permit", Status: 200}
	cases := []struct {
		name string
		mod  func(e *Entry)
		want []string
	}{
		{"read", func(e *Entry) {
			e.Operation, e.Path, e.ResourceType, e.ResourceID, e.Patient = "read", "/fhir/Patient/jane", "Patient", "jane", "jane"
			e.Released = []string{"Patient/jane/_history/1"}
		}, []string{`"code":"rest"`, `"code":"read"`, `"action":"R"`, `"outcome":"0"`, `IHE.BasicAudit.PatientRead`, `"reference":"Patient/jane"`, `"code":"IRCP"`, `"address":"10.0.0.1","type":"2"`}},
		{"search with partial release", func(e *Entry) {
			e.Operation, e.Path, e.ResourceType, e.Patient, e.Decision, e.Withheld = "search", "/fhir/Condition", "Condition", "jane", "partial", 2
			e.Released, e.Reasons = []string{"Condition/c1/_history/3"}, []string{"sensitive-label"}
		}, []string{`"code":"rest"`, `"code":"search-type"`, `"action":"E"`, `IHE.BasicAudit.PatientQuery`, `"code":"24"`, `"type":"withheld","valueString":"2"`, `"type":"reason","valueString":"sensitive-label"`, `2 item(s) withheld`}},
		{"everything under break-glass", func(e *Entry) {
			e.Operation, e.Path, e.Patient, e.BreakGlass, e.Purpose, e.NHSNumber = "everything", "/fhir/Patient/jane/$everything", "jane", "EMERGENCY: collapsed", "ETREAT", "9434765919"
			e.Reasons = []string{"break-glass"}
		}, []string{`"code":"operation"`, `"code":"BTG"`, `"type":"break-glass-reason","valueString":"EMERGENCY: collapsed"`, `"value":"9434765919"`, `"code":"ETREAT"`}},
		{"search across people", func(e *Entry) {
			e.Operation, e.Path, e.ResourceType, e.Patients = "search", "/fhir/Condition", "Condition", []string{"jane", "bob"}
		}, []string{`"reference":"Patient/jane"`, `"reference":"Patient/bob"`}},
		{"search by an NHS number that found no one", func(e *Entry) {
			e.Operation, e.Path, e.ResourceType, e.NHSNumber = "search", "/fhir/Patient", "Patient", "9990000018"
		}, []string{`"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}`}},
		{"create", func(e *Entry) {
			e.Operation, e.Method, e.Path, e.ResourceType, e.Patient, e.Status = "create", "POST", "/fhir/Observation", "Observation", "jane", 201
			e.Released = []string{"Observation/o1/_history/1"}
		}, []string{`"action":"C"`, `"code":"create"`, `"code":"AUT"`, `IHE.BasicAudit.PatientCreate`}},
		{"update", func(e *Entry) {
			e.Operation, e.Method, e.ResourceType, e.ResourceID = "update", "PUT", "Organization", "A81001"
			e.Released = []string{"Organization/A81001/_history/2"}
		}, []string{`"action":"U"`, `IHE.BasicAudit.Update"`}},
		{"delete refused", func(e *Entry) {
			e.Operation, e.Method, e.ResourceType, e.ResourceID, e.Decision, e.Status, e.Reasons = "delete", "DELETE", "Condition", "c1", "deny", 403, []string{"forbidden"}
		}, []string{`"action":"D"`, `"outcome":"4"`, `"reference":"Condition/c1"`, `"outcomeDesc":"deny: forbidden; HTTP 403"`}},
		{"unauthenticated", func(e *Entry) {
			e.Sub, e.Name, e.Role, e.Org, e.Sector, e.Purpose, e.Decision, e.Status, e.Client = "", "", "", "", "", "", "error", 401, "client.example"
		}, []string{`"outcome":"4"`, `"requestor":true`, `"type":"1"`}},
		{"server fault", func(e *Entry) { e.Operation, e.Decision, e.Status = "read", "error", 500 }, []string{`"outcome":"12"`}},
		{"timeout", func(e *Entry) { e.Operation, e.Decision, e.Status = "search", "error", 503 }, []string{`"outcome":"8"`}},
		{"council organisation", func(e *Entry) { e.Sector, e.Org, e.Role = "council", "E06000999", "social-worker" }, []string{`"system":"https://carex.example/organisation","value":"E06000999"`}},
		{"transaction", func(e *Entry) { e.Operation, e.Method = "transaction", "POST" }, []string{`"code":"transaction"`, `"action":"E"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := base
			c.mod(&e)
			b := AuditEventJSON(&e, FHIROptions{Site: "https://carex.example/fhir"})
			res, err := fhir.Parse(b)
			if err != nil {
				t.Fatalf("not valid FHIR R4: %v\n%s", err, b)
			}
			if res.Type != "AuditEvent" || res.ID != "7" {
				t.Fatalf("type %s id %s", res.Type, res.ID)
			}
			for _, w := range c.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("lacks %s\n%s", w, b)
				}
			}
			if !strings.Contains(string(b), `"recorded":"2026-03-03T10:00:00.000Z"`) || !strings.Contains(string(b), `"code":"110152"`) {
				t.Errorf("recorded/server agent: %s", b)
			}
		})
	}
}

func TestScanAndOutcomeFilter(t *testing.T) {
	f := newFixture(t, Options{})
	f.fill(t, 100)
	ctx := context.Background()
	var seqs []int64
	if err := f.log.Scan(ctx, Query{Patient: "p3"}, func(e *Entry) error { seqs = append(seqs, e.Seq); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(seqs) != 10 || seqs[0] != 3 || seqs[9] != 93 {
		t.Fatalf("scan p3: %v", seqs)
	}
	seqs = nil
	f.log.Scan(ctx, Query{Count: 3, Offset: 10}, func(e *Entry) error { seqs = append(seqs, e.Seq); return nil })
	if !slices.Equal(seqs, []int64{10, 11, 12}) {
		t.Fatalf("scan window: %v", seqs)
	}
	stop := errors.New("stop")
	n := 0
	if err := Scan(ctx, f.db.Reader(), Query{}, func(*Entry) error { n++; return stop }); err != stop || n != 1 {
		t.Fatalf("fn error: %v after %d", err, n)
	}
	for _, c := range []struct {
		outcome string
		total   int
	}{{"0", 95}, {"4", 5}, {"8", 0}, {"12", 0}, {"99", 0}} { // 0,23,46,69,92 are 403s
		if _, total, err := f.log.Search(ctx, Query{Outcome: c.outcome}); err != nil || total != c.total {
			t.Errorf("outcome %s: %d %v, want %d", c.outcome, total, err, c.total)
		}
	}
}

// TestScanBreakGlassAccesses: the break-glass report's entries are the
// requests that broke glass and the later ones of the same user for the
// same patient that the grant let through, also when the act itself lies
// before the dates asked for.
func TestScanBreakGlassAccesses(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	bg := []string{"break-glass"}
	var times []time.Time
	for _, e := range []*Entry{
		{Sub: "u1", Patient: "p1", BreakGlass: "EMERGENCY: collapsed", Reasons: bg}, // 0: the act
		{Sub: "u1", Patient: "p1", Reasons: bg},                                     // 1: under its grant
		{Sub: "u2", Patient: "p1", Reasons: bg},                                     // 2: u2 never broke glass for p1
		{Sub: "u1", Patient: "p2", Reasons: bg},                                     // 3: nor u1 for p2
		{Sub: "u1", Patient: "p1"},                                                  // 4: an ordinary access
		{Sub: "u3", Patient: "p3", BreakGlass: "EMERGENCY: fitting"},                // 5: another act
		{Sub: "u1", Patient: "p1", Reasons: bg},                                     // 6: under the first grant
	} {
		e.Operation, e.Decision, e.Status = "read", "permit", 200
		if err := f.log.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
		times = append(times, e.Time)
		time.Sleep(2 * time.Millisecond) // distinct times for the date query
	}
	for _, c := range []struct {
		name string
		q    Query
		want []int64
	}{
		{"all", Query{}, []int64{0, 1, 5, 6}},
		{"one patient", Query{Patient: "p1"}, []int64{0, 1, 6}},
		{"one user", Query{Sub: "u3"}, []int64{5}},
		{"after the act", Query{From: times[6]}, []int64{6}},
		{"a page", Query{Count: 2, Offset: 1}, []int64{1, 5}},
	} {
		c.q.BreakGlassAccesses = true
		var got []int64
		if err := f.log.Scan(ctx, c.q, func(e *Entry) error { got = append(got, e.Seq); return nil }); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	// The search by the column alone still gives the acts.
	_, total, _ := f.log.Search(ctx, Query{BreakGlassOnly: true})
	if total != 2 {
		t.Errorf("acts: %d, want 2", total)
	}
}
