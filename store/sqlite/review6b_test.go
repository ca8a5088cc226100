package sqlite

import (
	"context"
	"crypto/sha256"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/carex-project/carex/store"
	"github.com/carex-project/carex/store/storetest"
)

// Review 6b: stale sharing contexts under concurrency. The cache's
// invariant, checked here with real commits (group commit included) racing
// real lookups: a lookup that starts after a Commit returned sees, for
// each context resource that Commit wrote, that version or a later one,
// and each source at least as late as that Commit's data; and once writers
// are quiet, the cache serves exactly what the database holds (a stale
// context stored after an invalidation would survive to be compared).

// r6bFloor is what answered commits oblige later lookups to see.
type r6bFloor struct {
	mu      sync.Mutex
	version map[string]int64     // patient + " " + Type/id -> least version
	source  map[string]time.Time // patient + " " + org -> least latest time
	nonces  map[string]bool      // nonces of Consent versions whose commit failed
}

func (f *r6bFloor) snapshot() (map[string]int64, map[string]time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.version), maps.Clone(f.source)
}

func (f *r6bFloor) failed(nonce string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.nonces[nonce]
}

// r6bSummary is contextSummary with each body's digest: a failed commit
// leaves its version number to the next write, whose content differs.
func r6bSummary(pc *store.PatientContext) string {
	d := func(v *store.Version) string {
		h := sha256.Sum256(v.Raw)
		return fmt.Sprintf("%s/%s/%d#%x", v.Type, v.ID, v.VersionID, h[:4])
	}
	s := ""
	if pc.Patient != nil {
		s += d(pc.Patient) + " "
	}
	var links []string
	for _, v := range pc.Links {
		links = append(links, d(v))
	}
	slices.Sort(links)
	for _, org := range slices.Sorted(maps.Keys(pc.Sources)) {
		s += fmt.Sprintf("%s@%d ", org, pc.Sources[org].UnixMilli())
	}
	return s + fmt.Sprint(links)
}

// TestReview6bConcurrentContextsNeverStale: writers (Consents alone,
// CareTeams, Patients and new data in shared transactions, some commits
// made to fail at their commit frame) race lookups of the same people.
func TestReview6bConcurrentContextsNeverStale(t *testing.T) {
	for _, failing := range []bool{false, true} {
		t.Run(fmt.Sprintf("failing=%v", failing), func(t *testing.T) {
			r6bStress(t, failing, 2*time.Second)
		})
	}
}

// r6bMaxRun bounds how long r6bStress goes on past its d for too little
// done.
const r6bMaxRun = 60 * time.Second

func r6bStress(t *testing.T, failing bool, d time.Duration) {
	db := openAt(t, "")
	ctx := context.Background()
	patients := []string{"p1", "p2", "p3"}
	orgs := []string{"A81001", "RCX", "E06000999"}
	floor := &r6bFloor{version: map[string]int64{}, source: map[string]time.Time{}, nonces: map[string]bool{}}
	var nonce atomic.Int64
	var commits, failures, lookups, served atomic.Int64
	pat := func(p string, n int64) *store.Write {
		return storetest.W(t, store.OpUpdate, "A81001", fmt.Sprintf(`{"resourceType":"Patient","id":"%s","gender":"female","name":[{"text":"n%d"}]}`, p, n))
	}
	for _, p := range patients {
		if _, err := db.Commit(ctx, []*store.Write{pat(p, 0)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	write := func(rng *rand.Rand) (*store.Write, string) {
		p := patients[rng.IntN(len(patients))]
		org := orgs[rng.IntN(len(orgs))]
		n := nonce.Add(1)
		tag := fmt.Sprintf("nonce-%d", n)
		switch k := rng.IntN(10); {
		case k < 3:
			return storetest.W(t, store.OpUpdate, "A81001", fmt.Sprintf(`{"resourceType":"Consent","id":"c-%s","status":"%s",
				"scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
				"category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}],"text":"%s"}],"patient":{"reference":"Patient/%s"},
				"policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTOUT"}]}}`,
				p, []string{"active", "inactive"}[rng.IntN(2)], tag, p)), tag
		case k < 4:
			return storetest.W(t, store.OpUpdate, "A81001", fmt.Sprintf(`{"resourceType":"CareTeam","id":"t-%s","status":"%s","name":"%s",
				"subject":{"reference":"Patient/%s"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`,
				p, []string{"active", "inactive"}[rng.IntN(2)], tag, p)), tag
		case k < 5:
			return pat(p, n), tag
		default:
			return storetest.W(t, store.OpUpdate, org, fmt.Sprintf(`{"resourceType":"Observation","id":"o-%s-%s-%d","status":"final",
				"code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}],"text":"%s"},"subject":{"reference":"Patient/%s"}}`,
				p, org, rng.IntN(3), tag, p)), tag
		}
	}
	// Phases go on for d, then until enough has happened: on a loaded
	// machine (CI runs packages in parallel on 2 cores) CI once saw 47
	// commits in 2 s, so the counts, not the clock, decide when to stop;
	// r6bMaxRun bounds the wait.
	enough := func() bool {
		return commits.Load() >= 100 && lookups.Load() >= 100 && (!failing || failures.Load() > 0)
	}
	start := time.Now()
	for phase := 0; time.Since(start) < d || (!enough() && time.Since(start) < r6bMaxRun); phase++ {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var fail atomic.Pointer[string]
		report := func(format string, args ...any) {
			s := fmt.Sprintf(format, args...)
			fail.CompareAndSwap(nil, &s)
		}
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(phase), uint64(w)))
				for {
					select {
					case <-stop:
						return
					default:
					}
					wr, tag := write(rng)
					res, err := db.Commit(ctx, []*store.Write{wr}, nil)
					if err != nil {
						failures.Add(1)
						if wr.Type == "Consent" {
							floor.mu.Lock()
							floor.nonces[tag] = true
							floor.mu.Unlock()
						}
						continue
					}
					commits.Add(1)
					v := res[0].Version
					floor.mu.Lock()
					for _, p := range v.Patients {
						k := p + " " + v.Type + "/" + v.ID
						floor.version[k] = max(floor.version[k], v.VersionID)
						if v.Type == "Observation" {
							sk := p + " " + v.SourceOrg
							if v.LastUpdated.After(floor.source[sk]) {
								floor.source[sk] = v.LastUpdated
							}
						}
					}
					floor.mu.Unlock()
				}
			}()
		}
		if failing {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					case <-time.After(7 * time.Millisecond):
					}
					walFlushFails.Store(true)
					time.Sleep(time.Millisecond)
					walFlushFails.Store(false)
				}
			}()
		}
		for r := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					p := patients[(i+r)%len(patients)]
					versions, sources := floor.snapshot()
					pc, err := db.PatientContext(ctx, p)
					if err != nil {
						report("lookup %s: %v", p, err)
						return
					}
					lookups.Add(1)
					have := map[string]*store.Version{}
					if pc.Patient != nil {
						have["Patient/"+pc.Patient.ID] = pc.Patient
					}
					for _, v := range pc.Links {
						have[v.Type+"/"+v.ID] = v
						if v.Type == "Consent" {
							for _, f := range strings.Fields(strings.NewReplacer(`"`, " ", `,`, " ", `}`, " ").Replace(string(v.Raw))) {
								if strings.HasPrefix(f, "nonce-") && floor.failed(f) {
									report("%s: the context holds Consent content (%s) whose commit failed", p, f)
								}
							}
						}
					}
					for k, least := range versions {
						pp, key, _ := strings.Cut(k, " ")
						if pp != p || strings.HasPrefix(key, "Observation/") {
							continue
						}
						if v := have[key]; v == nil || v.VersionID < least {
							got := int64(0)
							if v != nil {
								got = v.VersionID
							}
							report("%s: a lookup started after %s version %d was answered got version %d", p, key, least, got)
						}
					}
					for k, least := range sources {
						pp, org, _ := strings.Cut(k, " ")
						if pp == p && pc.Sources[org].Before(least) {
							report("%s: a lookup started after %s's data of %v was answered has it at %v", p, org, least, pc.Sources[org])
						}
					}
					served.Add(1)
				}
			}()
		}
		time.Sleep(150 * time.Millisecond)
		close(stop)
		wg.Wait()
		walFlushFails.Store(false)
		if s := fail.Load(); s != nil {
			t.Fatalf("phase %d: %s", phase, *s)
		}
		// Quiet: the cache must serve what the database holds.
		for _, p := range patients {
			cached, err := db.PatientContext(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			fresh, err := db.loadPatientContext(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := r6bSummary(cached), r6bSummary(fresh); got != want {
				t.Fatalf("phase %d, %s: once writers were quiet the cache served\n  %s\nthe database holds\n  %s", phase, p, got, want)
			}
		}
	}
	t.Logf("commits %d, failed %d, lookups %d, successors %d, in %v", commits.Load(), failures.Load(), lookups.Load(), db.pcc.moved, time.Since(start).Round(time.Millisecond))
	if !enough() {
		t.Fatalf("too little happened: commits %d, failed %d, lookups %d", commits.Load(), failures.Load(), lookups.Load())
	}
}
