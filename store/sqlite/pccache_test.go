package sqlite

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/carex-project/carex/store"
	"github.com/carex-project/carex/store/storetest"
)

// touches are non-neutral touches of the patients (any write but new data).
func touches(patients ...string) []touch {
	var out []touch
	for _, p := range patients {
		out = append(out, touch{patient: p})
	}
	return out
}

// TestPCCacheSuccessor: after a commit whose writes to a patient are all
// neutral, a current entry is followed by a copy with the sources' times
// moved forward; not during the commit, not when one write is not
// neutral, not when the entry was stale, and not after a failed commit.
func TestPCCacheSuccessor(t *testing.T) {
	c := newPCCache(10)
	c.ownVPK = 100
	t0 := time.UnixMilli(1_000_000).UTC()
	mk := func() *store.PatientContext {
		return &store.PatientContext{Sources: map[string]time.Time{"A": t0, "B": t0}}
	}
	fill := func(id string, pc *store.PatientContext, latest int64) {
		_, ver, gen := c.get(id, latest)
		c.put(id, pc, ver, gen)
	}
	old := mk()
	fill("p1", old, 100)
	fill("p2", mk(), 100)
	later := t0.Add(time.Second).UnixMilli()
	tc := []touch{
		{patient: "p1", neutral: true, org: "A", at: later},
		{patient: "p1", neutral: true, org: "C", at: later},
		{patient: "p1", neutral: true, org: "B", at: t0.Add(-time.Second).UnixMilli()},
		{patient: "p2", neutral: true, org: "A", at: later},
		{patient: "p2"}, // and a consent for p2
		{patient: "p3", neutral: true, org: "A", at: later}, // not cached
	}
	c.committing(tc, 100, 105)
	for _, p := range []string{"p1", "p2", "p3"} {
		if got, _, _ := c.get(p, 105); got != nil {
			t.Fatalf("%s: a context was used while the commit that changes it was under way", p)
		}
	}
	c.committed(tc, 105)
	got, _, _ := c.get("p1", 105)
	want := map[string]time.Time{"A": time.UnixMilli(later).UTC(), "B": t0, "C": time.UnixMilli(later).UTC()}
	if got == nil || got == old || !maps.Equal(got.Sources, want) {
		t.Fatalf("p1 after new data: %+v, want sources %v", got, want)
	}
	if !maps.Equal(old.Sources, map[string]time.Time{"A": t0, "B": t0}) {
		t.Fatalf("the context requests may hold was changed: %v", old.Sources)
	}
	if got, _, _ := c.get("p2", 105); got != nil {
		t.Fatal("p2's context was kept across a write that was not neutral")
	}
	if got, _, _ := c.get("p3", 105); got != nil {
		t.Fatal("a context that was not cached appeared")
	}

	// Stale: p1's version moved on (another commit) without the entry.
	_, ver, gen := c.get("p4", 105)
	c.committing(touches("p4"), 105, 106)
	c.committed(touches("p4"), 106)
	c.put("p4", mk(), ver, gen) // loaded before that commit: refused
	tc = []touch{{patient: "p4", neutral: true, org: "A", at: later}}
	c.committing(tc, 106, 107)
	c.committed(tc, 107)
	if got, _, _ := c.get("p4", 107); got != nil {
		t.Fatal("a successor was made from a stale context")
	}

	// Failed: nothing kept.
	tc = []touch{{patient: "p1", neutral: true, org: "A", at: later + 1}}
	c.committing(tc, 107, 108)
	c.failed(tc)
	c.committed(nil, 108)
	if got, _, _ := c.get("p1", 107); got != nil {
		t.Fatal("a successor was installed after a failed commit")
	}
}

// TestCachedContextMatchesFresh: whatever the writes (new data from
// several sources, updates that move a resource to another patient or
// source, consents, care teams, patient updates, deletes, several
// requests in one transaction), the sharing context the cache serves is
// the one loaded afresh from the database.
func TestCachedContextMatchesFresh(t *testing.T) {
	db := openAt(t, "")
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	patients := []string{"p1", "p2", "p3"}
	orgs := []string{"A81001", "B82002", "COUNCIL"}
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	patient := func(id string) *store.Write {
		return storetest.W(t, store.OpUpdate, "A81001", `{"resourceType":"Patient","id":"`+id+`","gender":"`+pick([]string{"male", "female"})+`"}`)
	}
	for _, p := range patients {
		if _, err := db.Commit(ctx, []*store.Write{patient(p)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	write := func() *store.Write {
		p, org := pick(patients), pick(orgs)
		switch n := rng.IntN(20); {
		case n < 12: // new or changed clinical data
			return storetest.W(t, store.OpUpdate, org, fmt.Sprintf(`{"resourceType":"Observation","id":"o%d","status":"final",
				"code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/%s"}}`, rng.IntN(8), p))
		case n < 13:
			return storetest.W(t, store.OpCreate, org, `{"resourceType":"Encounter","status":"finished","class":{"code":"HH"},"subject":{"reference":"Patient/`+p+`"}}`)
		case n < 15:
			return storetest.W(t, store.OpUpdate, org, fmt.Sprintf(`{"resourceType":"Consent","id":"c%d","status":"%s","scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
				"category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],"patient":{"reference":"Patient/%s"},"policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTOUT"}]}}`,
				rng.IntN(2), pick([]string{"active", "inactive"}), p))
		case n < 16:
			return storetest.W(t, store.OpUpdate, org, fmt.Sprintf(`{"resourceType":"CareTeam","id":"t%d","status":"active","subject":{"reference":"Patient/%s"},
				"participant":[{"member":{"reference":"Organization/%s"}}]}`, rng.IntN(2), p, pick(orgs)))
		case n < 17:
			return patient(p)
		case n < 18:
			return &store.Write{Op: store.OpDelete, Type: "Patient", ID: p, SourceOrg: org}
		default:
			return &store.Write{Op: store.OpDelete, Type: "Observation", ID: fmt.Sprintf("o%d", rng.IntN(8)), SourceOrg: org}
		}
	}
	for i := range 400 {
		ws := []*store.Write{write()}
		if rng.IntN(4) == 0 {
			ws = append(ws, write())
		}
		if _, err := db.Commit(ctx, ws, nil); err != nil && !isExpected(err) {
			t.Fatalf("step %d: %v", i, err)
		}
		checkContexts(t, db, fmt.Sprintf("step %d", i), patients...)
	}
	if db.pcc.moved < 50 {
		t.Fatalf("only %d contexts were carried over a neutral write: the test did not exercise it", db.pcc.moved)
	}
}

// TestOwnPatientTouchedWhateverItsList: a Patient's own context holds it
// (and, deleted, its source), so writing or deleting it drops that context
// even when the caller's compartment list leaves the Patient out (the
// store takes the list as given). Found in review: bringing a deleted
// Patient back with an empty list left the deleted one's source cached.
func TestOwnPatientTouchedWhateverItsList(t *testing.T) {
	db := openAt(t, "")
	ctx := context.Background()
	commit := func(w *store.Write) {
		t.Helper()
		if _, err := db.Commit(ctx, []*store.Write{w}, nil); err != nil {
			t.Fatal(err)
		}
	}
	bare := func(org string) *store.Write {
		w := storetest.W(t, store.OpUpdate, org, `{"resourceType":"Patient","id":"p9"}`)
		w.Patients = nil
		return w
	}
	commit(storetest.W(t, store.OpUpdate, "A", `{"resourceType":"Patient","id":"p9"}`))
	commit(&store.Write{Op: store.OpDelete, Type: "Patient", ID: "p9", SourceOrg: "A"})
	checkContexts(t, db, "deleted", "p9") // cached: source A at the delete
	commit(bare("B"))
	checkContexts(t, db, "back with no list", "p9")
	commit(bare("C"))
	checkContexts(t, db, "updated with no list", "p9")
	commit(&store.Write{Op: store.OpDelete, Type: "Patient", ID: "p9", SourceOrg: "C"})
	checkContexts(t, db, "deleted again", "p9")
}

// checkContexts fails unless each patient's context from the cache is the
// one loaded afresh from the database.
func checkContexts(t *testing.T, db *DB, when string, patients ...string) {
	t.Helper()
	ctx := context.Background()
	for _, p := range patients {
		cached, err := db.PatientContext(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := db.loadPatientContext(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := contextSummary(cached), contextSummary(fresh); got != want {
			t.Fatalf("%s, %s: the cache served\n  %s\nthe database holds\n  %s", when, p, got, want)
		}
	}
}

// contextSummary: what a context says, in a comparable form.
func contextSummary(pc *store.PatientContext) string {
	s := ""
	if pc.Patient != nil {
		s += fmt.Sprintf("Patient/%s/%d ", pc.Patient.ID, pc.Patient.VersionID)
	}
	var links []string
	for _, v := range pc.Links {
		links = append(links, fmt.Sprintf("%s/%s/%d", v.Type, v.ID, v.VersionID))
	}
	slices.Sort(links)
	for _, org := range slices.Sorted(maps.Keys(pc.Sources)) {
		s += fmt.Sprintf("%s@%d ", org, pc.Sources[org].UnixMilli())
	}
	return s + fmt.Sprint(links)
}

// isExpected: a delete of a resource that is not there (or a write the
// random sequence made invalid) is the test's own doing.
func isExpected(err error) bool {
	return errors.Is(err, store.ErrNotFound)
}
