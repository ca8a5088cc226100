package api_test

// Review 99b: what this session's changes (924c4b9..de44ffd) cost in speed
// and memory. The benchmarks here are run against the old commit too (the
// file copied into a worktree at 924c4b9); see the review's report.

import (
	"context"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store"
)

// review99bDoc is an attachment's bytes: a scanned letter, not JSON.
func review99bDoc(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31 + i>>8)
	}
	copy(b, "%PDF-1.4\n")
	return base64.StdEncoding.EncodeToString(b)
}

// BenchmarkReview99bTransactionAttachments: the GP practice's system posts
// 15-entry transactions (a Patient and 14 DocumentReferences, each with an
// 8 KiB letter as base64 data): every entry's derive looks for a document
// in it (carriesDocument, 9be3622).
func BenchmarkReview99bTransactionAttachments(b *testing.B) {
	e := newEnv(b, func(c *api.Config) { c.MaxBody = 8 << 20 })
	tok := e.token("system", "nhs", "A81001")
	doc := review99bDoc(8 << 10)
	c := newClient()
	var n atomic.Int64
	b.ResetTimer()
	defer reportCPU(b, cpuTime())
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			k := n.Add(1)
			var sb strings.Builder
			fmt.Fprintf(&sb, `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:00000000-0000-0000-0000-%012d","resource":{"resourceType":"Patient","name":[{"family":"Bench"}]},"request":{"method":"POST","url":"Patient"}}`, k)
			for j := 0; j < 14; j++ {
				fmt.Fprintf(&sb, `,{"resource":{"resourceType":"DocumentReference","status":"current","type":{"coding":[{"system":"http://snomed.info/sct","code":"371531000"}]},"subject":{"reference":"urn:uuid:00000000-0000-0000-0000-%012d"},"date":"2025-06-01T10:00:00Z","content":[{"attachment":{"contentType":"application/pdf","data":"%s","title":"letter %d"}}]},"request":{"method":"POST","url":"DocumentReference"}}`, k, doc, j)
			}
			sb.WriteString(`]}`)
			if s := post(b, c, e.base+"/fhir", tok, sb.String()); s != 200 {
				b.Fatalf("status %d", s)
			}
		}
	})
	b.ReportMetric(float64(b.N*15)/b.Elapsed().Seconds(), "resources/s")
}

// BenchmarkReview99bCreateLargeAttachment: one DocumentReference carrying a
// 2 MiB scanned letter, created.
func BenchmarkReview99bCreateLargeAttachment(b *testing.B) {
	e := newEnv(b, func(c *api.Config) { c.MaxBody = 8 << 20 })
	tok := e.token("system", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Patient/p1", tok, `{"resourceType":"Patient","id":"p1","name":[{"family":"Big"}]}`); r.status != 201 {
		b.Fatalf("patient: %d %.200s", r.status, r.body)
	}
	body := `{"resourceType":"DocumentReference","status":"current","subject":{"reference":"Patient/p1"},"content":[{"attachment":{"contentType":"application/pdf","data":"` + review99bDoc(2<<20) + `"}}]}`
	c := newClient()
	b.ResetTimer()
	defer reportCPU(b, cpuTime())
	for i := 0; i < b.N; i++ {
		if s := post(b, c, e.base+"/fhir/DocumentReference", tok, body); s != 201 {
			b.Fatalf("status %d", s)
		}
	}
}

// BenchmarkReview99bWindowRetains: what a page of 50 items from a record
// of 20,300 keeps alive after window returns (6950457 keeps versions by
// value in chunks of up to 256: an item keeps its whole chunk). "sparse":
// every 400th row released (each item in a chunk of its own); "dense": the
// first 50 rows released. Reports the live heap held by the result.
func BenchmarkReview99bWindowRetains(b *testing.B) {
	e, _ := heavyRecordEnv(b, heavyReadings)
	ctx := context.Background()
	for _, c := range []struct {
		name  string
		every int
	}{{"dense", 1}, {"sparse", 400}} {
		b.Run(c.name, func(b *testing.B) {
			var held []*store.Result
			var live uint64
			for i := 0; i < b.N; i++ {
				row := 0
				vis := func(*store.Meta) bool { row++; return (row-1)%c.every == 0 }
				runtime.GC()
				var m0, m1 runtime.MemStats
				runtime.ReadMemStats(&m0)
				res, err := e.db.Compartment(ctx, "h", nil, vis, store.Page{Count: 50})
				if err != nil || len(res.Items) != 50 {
					b.Fatalf("compartment: %v %d", err, len(res.Items))
				}
				runtime.GC()
				runtime.ReadMemStats(&m1)
				held = append(held, res)
				live += m1.HeapAlloc - min(m1.HeapAlloc, m0.HeapAlloc)
			}
			b.ReportMetric(float64(live)/float64(b.N)/1024, "retained-KiB/op")
			runtime.KeepAlive(held)
		})
	}
}

// review99bCountingSearch counts the store's Patient searches by
// identifier.
type review99bCountingSearch struct {
	store.Store
	byIdentifier atomic.Int64
}

func (s *review99bCountingSearch) Search(ctx context.Context, q *search.Query, vis store.Visible) (*store.Result, error) {
	if q.Type == "Patient" {
		for _, c := range q.Clauses {
			if c.Param == "identifier" {
				s.byIdentifier.Add(1)
				break
			}
		}
	}
	return s.Store.Search(ctx, q, vis)
}

// TestReview99bNHSNumberSearchLooksUpTwice: the GP's search for a
// person by NHS number (BENCHMARKS.md's "search by NHS number", the target
// furthest from being met: 5,038-5,652 of 8,000 req/s) runs the store's
// Patient-by-identifier query once at 924c4b9; since a483c5b/9be3622 the
// access-log entry names the number's carrier by running the same query
// again after the search found her (resolveNumbers), about +21 % CPU and
// +26 % allocations a search in BenchmarkSearchByNHSNumber. Judgement
// (SPEC is silent on cost): the search already holds the Patient it
// matched; one lookup is expected.
func TestReview99bNHSNumberSearchLooksUpTwice(t *testing.T) {
	var cs *review99bCountingSearch
	e := newEnv(t, func(c *api.Config) {
		cs = &review99bCountingSearch{Store: c.Store}
		c.Store = cs
	})
	gp := e.token("gp", "nhs", "A81001")
	nhs := nhsNumber(5)
	if r := e.do("PUT", "/fhir/Patient/p5", gp, `{"resourceType":"Patient","id":"p5","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"`+nhs+`"}],"name":[{"family":"Five"}],"birthDate":"1950-01-01"}`); r.status != 201 {
		t.Fatalf("seed: %d %.300s", r.status, r.body)
	}
	cs.byIdentifier.Store(0)
	r := e.do("GET", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|"+nhs, gp, "")
	if r.status != 200 || !strings.Contains(r.body, `"id":"p5"`) {
		t.Fatalf("search: %d %.300s", r.status, r.body)
	}
	if n := cs.byIdentifier.Load(); n != 1 {
		t.Errorf("one search by NHS number ran %d Patient-by-identifier queries in the store, want 1", n)
	}
}
