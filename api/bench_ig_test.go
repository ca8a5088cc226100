package api_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/carex-project/carex/store/auditlog"
)

// BenchmarkIGQueries: the IG officers' two queries of the load benchmark's
// mix (cmd/carex/internal/loadgen: AuditEvent?patient=ID&_count=20 and
// AuditEvent/$who-accessed?patient=ID) through the whole HTTP stack, on an
// access log of realistic shape: 40,000 entries by 200 users about 1,000
// people (reads, searches naming several people, $everything releasing
// dozens of items), a busy person having about 200 entries and the others
// about 30, scattered through the log. Each query is itself logged (naming
// the people it shows), as in the load run, where 32 other requests come
// between two IG queries (added untimed); the queries ask about anyone, a
// quarter of them about a busy person.
//
//	go test ./api -run '^$' -bench IGQueries -benchtime 2s -count 5
func BenchmarkIGQueries(b *testing.B) {
	for _, q := range []struct{ name, path string }{
		{"search", "/fhir/AuditEvent?_count=20&patient="},
		{"who-accessed", "/fhir/AuditEvent/$who-accessed?patient="},
	} {
		b.Run(q.name, func(b *testing.B) {
			// A new log for each run: the queries' own entries, which name
			// the people they show, would make a shared one's answers grow
			// from run to run.
			var l *auditlog.Log
			e := newEnv(b, withAccessLog(b, &l))
			seedPatients(b, e, e.token("gp", "nhs", "A81001"), 200) // p0 to p199
			fillIGLogFrom(b, l, 0, 40000)
			ig := e.token("ig-officer", "nhs", "A81001")
			c := newClient()
			next := 40000
			var cpu time.Duration
			r := rand.New(rand.NewPCG(17, 1))
			i := 0
			for b.Loop() {
				// Between two IG queries, the load run's other requests:
				// IG's are 3 % of them (untimed, and in the tables before
				// the query, so that it does not pay for indexing them).
				b.StopTimer()
				fillIGLogFrom(b, l, next, igOthers)
				next += igOthers
				b.StartTimer()
				// Anyone, as the load run asks (a quarter of the time one of
				// the busy people).
				p := fmt.Sprintf("p%d", r.IntN(1000))
				if i%4 == 0 {
					p = fmt.Sprintf("p%d", r.IntN(50))
				}
				cpu0 := cpuTime()
				if st := get(b, c, e.base+q.path+p, ig); st != http.StatusOK {
					b.Fatalf("%s: %d", q.name, st)
				}
				cpu += cpuTime() - cpu0
				i++
			}
			// CPU per query (server, client and log together): the wall
			// time includes waiting for the disk (the log's syncs).
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// igOthers is how many other requests the load run makes per IG query.
const igOthers = 32

// fillIGLogFrom appends n entries of the load run's shapes to l (the
// from-th on) and waits until they are in its tables. People p0 to p49 are busy (a quarter of the
// entries between them), the rest of p0 to p999 share the others.
func fillIGLogFrom(b *testing.B, l *auditlog.Log, from, n int) {
	b.Helper()
	ctx := context.Background()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(n, 64) {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
				if err := l.Append(ctx, igSample(from+int(i))); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := l.Sync(ctx); err != nil {
		b.Fatal(err)
	}
}

func igSample(i int) *auditlog.Entry {
	r := rand.New(rand.NewPCG(uint64(i), 17))
	person := func() string {
		if r.IntN(4) == 0 {
			return fmt.Sprintf("p%d", r.IntN(50))
		}
		return fmt.Sprintf("p%d", r.IntN(1000))
	}
	u := r.IntN(200)
	roles := []string{"gp", "district-nurse", "hospital-clinician", "social-worker"}
	role := roles[u%len(roles)]
	sector, org := "nhs", fmt.Sprintf("A81%03d", u%20)
	if role == "social-worker" {
		sector, org = "council", "E06000999"
	}
	p := person()
	e := &auditlog.Entry{
		RequestID: fmt.Sprintf("req-%d", i), Sub: fmt.Sprintf("user%d", u), Name: fmt.Sprintf("User %d", u),
		Role: role, Org: org, Sector: sector, Purpose: "TREAT", Client: "10.0.0.7",
		Operation: "read", Method: "GET", Decision: "permit", Status: 200, Patient: p,
	}
	switch k := r.IntN(20); {
	case k < 10: // a read
		id := fmt.Sprintf("obs-%s-%d", p, r.IntN(30))
		e.Path, e.ResourceType, e.ResourceID = "/fhir/Observation/"+id, "Observation", id
		e.Released = []string{"Observation/" + id + "/_history/1"}
	case k < 14: // a search of one person's items
		e.Operation, e.Path, e.ResourceType = "search", "/fhir/Condition", "Condition"
		for j := range 1 + r.IntN(8) {
			e.Released = append(e.Released, fmt.Sprintf("Condition/cond-%s-%d/_history/1", p, j))
		}
	case k < 16: // a search across people
		e.Operation, e.Path, e.ResourceType, e.Patient = "search", "/fhir/Patient", "Patient", ""
		for range 2 + r.IntN(4) {
			q := person()
			e.Patients = append(e.Patients, q)
			e.Released = append(e.Released, "Patient/"+q+"/_history/1")
		}
	case k < 18: // the shared care record, some of it withheld
		e.Operation, e.Path, e.ResourceType, e.ResourceID = "everything", "/fhir/Patient/"+p+"/$everything", "Patient", p
		for j := range 20 + r.IntN(40) {
			e.Released = append(e.Released, fmt.Sprintf("%s/%s-%d/_history/1", []string{"Observation", "Condition", "MedicationStatement", "AllergyIntolerance"}[j%4], p, j))
		}
		if r.IntN(3) == 0 {
			e.Decision, e.Withheld, e.Reasons = "partial", 1+r.IntN(5), []string{"consent-deny"}
		}
	case k < 19: // a write
		e.Operation, e.Method, e.ResourceType = "create", "POST", "Observation"
		e.Path = "/fhir/Observation"
		e.Released = []string{fmt.Sprintf("Observation/new-%d/_history/1", i)}
		e.Status = 201
	default: // refused
		e.Path, e.ResourceType, e.ResourceID = "/fhir/Patient/"+p, "Patient", p
		e.Decision, e.Status, e.Reasons = "deny", 403, []string{"no-relationship"}
		if r.IntN(5) == 0 {
			e.BreakGlass, e.Purpose = "unconscious in ED", "ETREAT"
			e.Decision, e.Status, e.Reasons = "permit", 200, []string{"break-glass"}
			e.Released = []string{"Patient/" + p + "/_history/1"}
		}
	}
	if strings.HasSuffix(p, "7") && e.Decision == "permit" && r.IntN(10) == 0 {
		e.NHSNumber = "9434765919"
	}
	return e
}
