package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/carex-project/carex/store"
	"github.com/carex-project/carex/store/storetest"
)

// TestReview16cContextHoldsEachAnsweredWrite (review 16c): once a write's
// Commit has returned, the sharing context the store serves for the
// person holds it, whatever else runs: other requests' neutral writes for
// her and for others (batched with it by the group commit, carrying her
// cached context over as a successor) and lookups that fill the cache
// meanwhile. The checked writes come from this process or from another
// process on the same file (a second Open: carex import beside the
// server). Passed when first written.
func TestReview16cContextHoldsEachAnsweredWrite(t *testing.T) {
	for _, mode := range []string{"same process", "other process"} {
		t.Run(mode, func(t *testing.T) {
			db := openAt(t, "")
			writer := db
			if mode == "other process" {
				writer = openAt(t, db.path)
			}
			ctx := context.Background()
			patients := []string{"p1", "p2", "p3"}
			for _, p := range patients {
				if _, err := db.Commit(ctx, []*store.Write{storetest.W(t, store.OpUpdate, "A81001", `{"resourceType":"Patient","id":"`+p+`"}`)}, nil); err != nil {
					t.Fatal(err)
				}
			}
			stop := make(chan struct{})
			var wg sync.WaitGroup
			var bgErr atomic.Value
			run := func(seed uint64, f func(rng *rand.Rand) error) {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rng := rand.New(rand.NewPCG(seed, seed))
					for {
						select {
						case <-stop:
							return
						default:
						}
						if err := f(rng); err != nil {
							bgErr.Store(err)
							return
						}
					}
				}()
			}
			orgs := []string{"A81001", "RHX", "RCX"}
			for s := range uint64(2) { // neutral feeds, in this (the server's) process
				run(s+1, func(rng *rand.Rand) error {
					p, org := patients[rng.IntN(len(patients))], orgs[rng.IntN(len(orgs))]
					_, err := db.Commit(ctx, []*store.Write{storetest.W(t, store.OpUpdate, org, fmt.Sprintf(`{"resourceType":"Observation","id":"bg-%s-%d","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/%s"}}`, org, rng.IntN(6), p))}, nil)
					return err
				})
			}
			for s := range uint64(2) { // lookups filling the cache
				run(s+10, func(rng *rand.Rand) error {
					_, err := db.PatientContext(ctx, patients[rng.IntN(len(patients))])
					return err
				})
			}
			rng := rand.New(rand.NewPCG(16, 3))
			find := func(pc *store.PatientContext, typ, id string) *store.Version {
				if typ == "Patient" {
					return pc.Patient
				}
				for _, v := range pc.Links {
					if v.Type == typ && v.ID == id {
						return v
					}
				}
				return nil
			}
			steps := 150
			if writer != db {
				steps = 30 // two writers contend through SQLite's busy wait
			}
			for i := range steps {
				p := patients[rng.IntN(len(patients))]
				var w *store.Write
				status := []string{"active", "inactive"}[rng.IntN(2)]
				switch rng.IntN(4) {
				case 0:
					w = storetest.W(t, store.OpUpdate, "A81001", `{"resourceType":"Consent","id":"chk-`+p+`","status":"`+status+`","scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
						"category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],"patient":{"reference":"Patient/`+p+`"},"policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTOUT"}]}}`)
				case 1:
					w = storetest.W(t, store.OpUpdate, "RCX", `{"resourceType":"CareTeam","id":"chk-`+p+`","status":"`+status+`","subject":{"reference":"Patient/`+p+`"},"participant":[{"member":{"reference":"Organization/RYY"}}]}`)
				case 2:
					w = storetest.W(t, store.OpUpdate, "A81001", `{"resourceType":"Patient","id":"`+p+`","gender":"`+[]string{"male", "female"}[rng.IntN(2)]+`"}`)
					if status == "active" {
						w.Labels = []string{"R"}
					}
				default: // neutral, from a source of its own
					w = storetest.W(t, store.OpUpdate, "CHK", fmt.Sprintf(`{"resourceType":"Observation","id":"chk-%d","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/%s"}}`, i, p))
				}
				res, err := writer.Commit(ctx, []*store.Write{w}, nil)
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				want := res[0].Version
				pc, err := db.PatientContext(ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				if w.Type == "Observation" {
					if got := pc.Sources["CHK"]; got.Before(want.LastUpdated) {
						t.Fatalf("step %d (%s): after %s/%s was answered at %v, the context of %s says its source last recorded at %v", i, mode, w.Type, w.ID, want.LastUpdated, p, got)
					}
					continue
				}
				got := find(pc, w.Type, w.ID)
				if got == nil || got.VersionID != want.VersionID || fmt.Sprint(got.Labels) != fmt.Sprint(want.Labels) {
					t.Fatalf("step %d (%s): after %s/%s version %d was answered, the context of %s holds %+v", i, mode, w.Type, w.ID, want.VersionID, p, got)
				}
			}
			close(stop)
			wg.Wait()
			if err, _ := bgErr.Load().(error); err != nil {
				t.Fatal(err)
			}
			db.pcc.mu.Lock()
			moved := db.pcc.moved
			db.pcc.mu.Unlock()
			if moved == 0 {
				t.Error("no context was carried over a neutral write: the test did not exercise successors")
			}
		})
	}
}
