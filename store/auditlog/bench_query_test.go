package auditlog

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkPatientQueries: the store's side of the IG officers' two
// queries of the load mix (api BenchmarkIGQueries), on a log of 40,000
// entries by 200 users about 1,000 people, p0 to p49 busy (a quarter of
// the entries, about 200 each), the others about 30 each, every tenth
// entry naming several people: Search (AuditEvent?patient=&_count=20) and
// Scan (what $who-accessed reads), asking about anyone, a quarter of the
// time a busy person. The log does not change while they run.
//
//	go test ./store/auditlog -run '^$' -bench PatientQueries -benchtime 2s -count 5
func BenchmarkPatientQueries(b *testing.B) {
	f := newFixture(b, Options{IndexDelay: time.Hour, IndexBatch: 1 << 30, MaxBatch: 4096, CheckpointEvery: 1000})
	ctx := context.Background()
	q := maxQueue
	b.Cleanup(func() { maxQueue = q })
	maxQueue = 1 << 20
	appendEntries(b, ctx, f.log, 40000, 64, peopleSample)
	if err := f.log.Sync(ctx); err != nil {
		b.Fatal(err)
	}
	person := func(r *rand.Rand, i int) string {
		if i%4 == 0 {
			return fmt.Sprintf("p%d", r.IntN(50))
		}
		return fmt.Sprintf("p%d", r.IntN(1000))
	}
	b.Run("search", func(b *testing.B) {
		r := rand.New(rand.NewPCG(17, 2))
		i := 0
		for b.Loop() {
			es, total, err := f.log.Search(ctx, Query{Patient: person(r, i), Count: 20})
			if err != nil || len(es) == 0 || total < len(es) {
				b.Fatal(err, len(es), total)
			}
			i++
		}
	})
	b.Run("scan", func(b *testing.B) {
		r := rand.New(rand.NewPCG(17, 3))
		i := 0
		for b.Loop() {
			n := 0
			if err := f.log.Scan(ctx, Query{Patient: person(r, i)}, func(e *Entry) error { n++; return nil }); err != nil || n == 0 {
				b.Fatal(err, n)
			}
			i++
		}
	})
}

// appendEntries appends mk(0) to mk(n-1) to l from workers goroutines.
func appendEntries(t testing.TB, ctx context.Context, l *Log, n, workers int, mk func(int) *Entry) {
	done := make(chan struct{})
	next := make(chan int)
	for range workers {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range next {
				if err := l.Append(ctx, mk(i)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	for range workers {
		<-done
	}
}

// peopleSample is entry i of a log of the load run's shapes: reads,
// searches, $everything releasing dozens of items, writes and refusals.
func peopleSample(i int) *Entry {
	r := rand.New(rand.NewPCG(uint64(i), 17))
	person := func() string {
		if r.IntN(4) == 0 {
			return fmt.Sprintf("p%d", r.IntN(50))
		}
		return fmt.Sprintf("p%d", r.IntN(1000))
	}
	u := r.IntN(200)
	p := person()
	e := &Entry{
		RequestID: fmt.Sprintf("req-%d", i), Sub: fmt.Sprintf("user%d", u), Name: fmt.Sprintf("User %d", u),
		Role: "gp", Org: fmt.Sprintf("A81%03d", u%20), Sector: "nhs", Purpose: "TREAT", Client: "10.0.0.7",
		Operation: "read", Method: "GET", Decision: "permit", Status: 200, Patient: p,
	}
	switch k := r.IntN(20); {
	case k < 10:
		id := fmt.Sprintf("obs-%s-%d", p, r.IntN(30))
		e.Path, e.ResourceType, e.ResourceID = "/fhir/Observation/"+id, "Observation", id
		e.Released = []string{"Observation/" + id + "/_history/1"}
	case k < 14:
		e.Operation, e.Path, e.ResourceType = "search", "/fhir/Condition", "Condition"
		for j := range 1 + r.IntN(8) {
			e.Released = append(e.Released, fmt.Sprintf("Condition/cond-%s-%d/_history/1", p, j))
		}
	case k < 16:
		e.Operation, e.Path, e.ResourceType, e.Patient = "search", "/fhir/Patient", "Patient", ""
		for range 2 + r.IntN(4) {
			q := person()
			e.Patients = append(e.Patients, q)
			e.Released = append(e.Released, "Patient/"+q+"/_history/1")
		}
	case k < 18:
		e.Operation, e.Path, e.ResourceType, e.ResourceID = "everything", "/fhir/Patient/"+p+"/$everything", "Patient", p
		for j := range 20 + r.IntN(40) {
			e.Released = append(e.Released, fmt.Sprintf("Observation/%s-%d/_history/1", p, j))
		}
		if r.IntN(3) == 0 {
			e.Decision, e.Withheld, e.Reasons = "partial", 1+r.IntN(5), []string{"consent-deny"}
		}
	case k < 19:
		e.Operation, e.Method, e.ResourceType, e.Path, e.Status = "create", "POST", "Observation", "/fhir/Observation", 201
		e.Released = []string{fmt.Sprintf("Observation/new-%d/_history/1", i)}
	default:
		e.Path, e.ResourceType, e.ResourceID = "/fhir/Patient/"+p, "Patient", p
		e.Decision, e.Status, e.Reasons = "deny", 403, []string{"no-relationship"}
	}
	return e
}
