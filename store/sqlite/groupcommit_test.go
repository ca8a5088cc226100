package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store"
	"github.com/carex-project/carex/store/storetest"
)

func obsFor(t *testing.T, id, patient string) *store.Write {
	return storetest.W(t, store.OpUpdate, "A81001", `{"resourceType":"Observation","id":"`+id+`","status":"final",
		"code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/`+patient+`"}}`)
}

// openAt opens (creating) the store at path, closed when the test ends;
// path "" is a new file in a temporary directory.
func openAt(t testing.TB, path string) *DB {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "carex.db")
	}
	db, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestTakeBatch: the batching rule. Requests share a transaction unless one
// deletes or creates conditionally (alone), or writes a patient an earlier
// request of the batch writes (next batch); queue order is kept.
func TestTakeBatch(t *testing.T) {
	req := func(ws ...*store.Write) *commitReq { return &commitReq{writes: ws} }
	a, b, c := req(obsFor(t, "a", "p1")), req(obsFor(t, "b", "p2")), req(obsFor(t, "c", "p1"))
	del := req(&store.Write{Op: store.OpDelete, Type: "Observation", ID: "a"})
	d, e := req(obsFor(t, "d", "p3")), req(obsFor(t, "e", "p4"))
	db := &DB{queue: []*commitReq{a, b, c, del, d}}
	for i, want := range [][]*commitReq{{a, b, d}, {c}, {del}} {
		if got := db.takeBatch(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("batch %d = %v, want %v", i, got, want)
		}
	}
	if len(db.queue) != 0 {
		t.Fatalf("left in the queue: %v", db.queue)
	}
	// The same resource written for different patients: not together.
	moved := req(obsFor(t, "a", "p9"))
	db.queue = []*commitReq{a, moved}
	if got := db.takeBatch(); len(got) != 1 || got[0] != a {
		t.Fatalf("two writes of one resource shared a batch: %v", got)
	}
	db.takeBatch()
	// Requests that match conditions, and consents, go alone.
	cond := req(obsFor(t, "f", "p5"))
	cond.writes[0].Alone = true
	cons := req(storetest.W(t, store.OpUpdate, "A81001", `{"resourceType":"Consent","id":"c1","status":"active","scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},"category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],"patient":{"reference":"Patient/p6"},"policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTOUT"}]}}`))
	g := req(obsFor(t, "g", "p7"))
	db.queue = []*commitReq{g, cond, cons}
	if got := db.takeBatch(); len(got) != 1 || got[0] != g {
		t.Fatalf("a conditional request or a consent shared a batch: %v", got)
	}
	for _, want := range []*commitReq{cond, cons} {
		if got := db.takeBatch(); len(got) != 1 || got[0] != want {
			t.Fatalf("batch %v, want %v alone", got, want)
		}
	}
	db.queue = []*commitReq{del, d, e}
	if got := db.takeBatch(); len(got) != 1 || got[0] != del {
		t.Fatalf("a delete first must go alone: %v", got)
	}
	if got := db.takeBatch(); len(got) != 2 {
		t.Fatalf("then the rest together: %v", got)
	}
}

// TestGroupCommit: requests queued while the writer is busy are committed
// in shared transactions, and each gets its own outcome: a failing request
// leaves nothing behind and takes nothing of the others with it; a
// cancelled one writes nothing.
func TestGroupCommit(t *testing.T) {
	ctx := context.Background()
	db := openAt(t, "")
	if _, err := db.Commit(ctx, []*store.Write{obsFor(t, "gone", "p0"),
		storetest.W(t, store.OpUpdate, "A81001", `{"resourceType":"Patient","id":"px"}`)}, nil); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	type call struct {
		ctx     context.Context
		writes  []*store.Write
		wantErr error
	}
	var calls []call
	for i := range 8 {
		calls = append(calls, call{ctx, []*store.Write{obsFor(t, fmt.Sprint("o", i), fmt.Sprint("p", i))}, nil})
	}
	calls = append(calls,
		call{ctx, []*store.Write{obsFor(t, "o8", "p0")}, nil}, // p0 again: the next batch
		call{ctx, []*store.Write{obsFor(t, "x9", "p9"), storetest.W(t, store.OpCreate, "A81001", `{"resourceType":"Patient","id":"px"}`)}, store.ErrExists},
		call{ctx, []*store.Write{{Op: store.OpDelete, Type: "Observation", ID: "gone"}}, nil},
		call{cancelled, []*store.Write{obsFor(t, "x11", "p11")}, context.Canceled},
	)
	// A request that searches but was not marked Alone: failed, not let
	// match against the batch's rows (unless it happens to come first).
	searching := obsFor(t, "x12", "p12")
	searchErr := make(chan error, 1)
	db.wmu.Lock() // the writer is busy: every call queues
	errs := make([]error, len(calls))
	var wg sync.WaitGroup
	for i, c := range calls {
		wg.Go(func() { _, errs[i] = db.Commit(c.ctx, c.writes, nil) })
	}
	waitQueued(t, db, len(calls))
	wg.Go(func() { // queued last, so never first in its batch
		_, err := db.Commit(ctx, []*store.Write{searching}, func(l store.Lookup) error {
			_, err := l.Search(&search.Query{Type: "Observation"})
			return err
		})
		searchErr <- err
	})
	waitQueued(t, db, len(calls)+1)
	db.wmu.Unlock()
	wg.Wait()
	if err := <-searchErr; !errors.Is(err, errSharedSearch) {
		t.Errorf("a searching request after others in a shared transaction: %v, want errSharedSearch", err)
	}
	for i, c := range calls {
		if !errors.Is(errs[i], c.wantErr) || (c.wantErr == nil) != (errs[i] == nil) {
			t.Errorf("call %d: %v, want %v", i, errs[i], c.wantErr)
		}
	}
	for i := range 9 {
		if _, err := db.Read(ctx, "Observation", fmt.Sprint("o", i)); err != nil {
			t.Errorf("o%d: %v", i, err)
		}
	}
	for _, id := range []string{"x9", "x11", "x12"} {
		if _, err := db.Read(ctx, "Observation", id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s of a failed call: %v, want not found", id, err)
		}
	}
	if _, err := db.Read(ctx, "Observation", "gone"); !errors.Is(err, store.ErrGone) {
		t.Errorf("deleted: %v", err)
	}
	if n := len(db.queue); n != 0 {
		t.Errorf("%d calls left queued", n)
	}
}

// waitQueued waits until want calls wait for the writer (whose lock the
// test holds).
func waitQueued(t *testing.T, db *DB, want int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		db.gmu.Lock()
		n := len(db.queue)
		db.gmu.Unlock()
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d calls queued", n, want)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestFailedIndexInsertLeavesNoRows: a request whose index insert fails
// after some of its rows are written leaves nothing, alone or in a shared
// transaction beside a request that succeeds (which stays).
func TestFailedIndexInsertLeavesNoRows(t *testing.T) {
	ctx := context.Background()
	db := openAt(t, "")
	// The writer pool has one connection, so the temporary trigger is on
	// the connection that writes. RAISE(FAIL) keeps the rows the statement
	// wrote before the failing one: only the request's rollback removes them.
	if _, err := db.writer.ExecContext(ctx, `CREATE TEMP TRIGGER boom BEFORE INSERT ON main.idx_token
		WHEN NEW.code = 'boom' BEGIN SELECT RAISE(FAIL, 'boom'); END`); err != nil {
		t.Fatal(err)
	}
	failing := func(id string) *store.Write {
		return storetest.W(t, store.OpUpdate, "A81001", `{"resourceType":"Observation","id":"`+id+`","status":"final",
			"code":{"coding":[{"system":"http://loinc.org","code":"8867-4"},{"system":"urn:test","code":"boom"}]},
			"subject":{"reference":"Patient/p1"}}`)
	}
	// Alone: the transaction is rolled back.
	if _, err := db.Commit(ctx, []*store.Write{failing("f1")}, nil); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("a failing index insert: %v, want the trigger's error", err)
	}
	// Shared: the failing request goes back to its savepoint, the other stays.
	db.wmu.Lock()
	errs := make([]error, 2)
	var wg sync.WaitGroup
	wg.Go(func() { _, errs[0] = db.Commit(ctx, []*store.Write{obsFor(t, "ok", "p0")}, nil) })
	waitQueued(t, db, 1)
	wg.Go(func() { _, errs[1] = db.Commit(ctx, []*store.Write{failing("f2")}, nil) })
	waitQueued(t, db, 2)
	db.wmu.Unlock()
	wg.Wait()
	if errs[0] != nil || errs[1] == nil {
		t.Fatalf("shared batch: %v and %v, want nil and the trigger's error", errs[0], errs[1])
	}
	if _, err := db.Read(ctx, "Observation", "ok"); err != nil {
		t.Errorf("the request beside the failing one: %v", err)
	}
	for _, id := range []string{"f1", "f2"} {
		if _, err := db.Read(ctx, "Observation", id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: %v, want not found", id, err)
		}
	}
	// The failing requests' first code row precedes the failing one in the
	// same statement: only the successful request's may be left.
	var k int
	if err := db.writer.QueryRowContext(ctx, `SELECT count(*) FROM idx_token WHERE param = 'code' AND code = '8867-4'`).Scan(&k); err != nil || k != 1 {
		t.Errorf("code rows: %d (%v), want the successful request's one", k, err)
	}
}

// watched opens a store with one commit (Observation o1) and queries its
// largest version key once, which the WAL watch then remembers.
func watched(t *testing.T) (db *DB, path string, vpk int64) {
	t.Helper()
	ctx := context.Background()
	path = filepath.Join(t.TempDir(), "carex.db")
	db = openAt(t, path)
	if _, err := db.Commit(ctx, []*store.Write{obsFor(t, "o1", "p1")}, nil); err != nil {
		t.Fatal(err)
	}
	vpk, err := db.latestVPK(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return db, path, vpk
}

// TestWALWatch: after one query, the largest version key is known without
// another until something commits; a commit through another connection
// pool (as another process's would) is noticed, and reads change nothing.
func TestWALWatch(t *testing.T) {
	ctx := context.Background()
	db, path, v1 := watched(t)
	if v, hit, _, ok := db.wal.cached(); !ok || !hit || v != v1 {
		t.Fatalf("after a query the watch does not answer: ok %v hit %v value %d, want %d", ok, hit, v, v1)
	}
	if _, err := db.Read(ctx, "Observation", "o1"); err != nil {
		t.Fatal(err)
	}
	if _, hit, _, _ := db.wal.cached(); !hit {
		t.Fatal("a read made the watch miss")
	}
	other := openAt(t, path)
	if _, err := other.Commit(ctx, []*store.Write{obsFor(t, "o2", "p1")}, nil); err != nil {
		t.Fatal(err)
	}
	if _, hit, _, _ := db.wal.cached(); hit {
		t.Fatal("another writer's commit went unnoticed")
	}
	if v2, err := db.latestVPK(ctx); err != nil || v2 <= v1 {
		t.Fatalf("after another writer's commit: %d, %v; want more than %d", v2, err, v1)
	}
}

// TestWALWatchReplacedShm: a watch whose -shm file was deleted or
// replaced stops answering from the old mapping (whose header would never
// change again) and follows the file now at the path.
func TestWALWatchReplacedShm(t *testing.T) {
	db, path, _ := watched(t)
	if _, hit, _, _ := db.wal.cached(); !hit {
		t.Fatal("no hit after a query")
	}
	shm := path + "-shm"
	old, err := os.ReadFile(shm)
	if err != nil {
		t.Fatal(err)
	}
	// Replaced by a file of the same size that is not a live WAL index.
	tmp := shm + ".new"
	if err := os.WriteFile(tmp, make([]byte, len(old)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, shm); err != nil {
		t.Fatal(err)
	}
	if _, hit, _, ok := db.wal.cached(); hit || ok {
		t.Fatalf("after the -shm was replaced: hit %v ok %v, want neither", hit, ok)
	}
	// Deleted.
	if err := os.Remove(shm); err != nil {
		t.Fatal(err)
	}
	if _, hit, _, ok := db.wal.cached(); hit || ok {
		t.Fatalf("after the -shm was deleted: hit %v ok %v, want neither", hit, ok)
	}
	// Back with the header it had: followed again.
	if err := os.WriteFile(shm, old, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, _, ok := db.wal.cached(); !ok {
		t.Fatal("the watch does not follow the file now at the path")
	}
}

// TestGrantsSurviveRestart: a reopened store knows the grants stored
// before (BreakGlassUntil skips the query only for users without any).
func TestGrantsSurviveRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "carex.db")
	db, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	until := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	if err := db.GrantBreakGlass(ctx, store.Grantee{Issuer: "carex", Sub: "dr-a", Org: "A81001"}, "p1", "unconscious in ED", until); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = openAt(t, path)
	if got, err := db.BreakGlassUntil(ctx, store.Grantee{Issuer: "carex", Sub: "dr-a", Org: "A81001"}, "p1"); err != nil || !got.Equal(until) {
		t.Fatalf("grant after restart: %v %v, want %v", got, err, until)
	}
	if got, _ := db.BreakGlassUntil(ctx, store.Grantee{Issuer: "carex", Sub: "dr-b", Org: "A81001"}, "p1"); !got.IsZero() {
		t.Fatalf("a user without grants: %v", got)
	}
}

// TestSearchPlan: in a search with several index clauses, one (the most
// selective kind) lists its matches and the others are checked per
// candidate through the rid index, so the cost follows the candidates, not
// how many resources in the population match the other clauses.
func TestSearchPlan(t *testing.T) {
	ctx := context.Background()
	db := openAt(t, "")
	plan := func(q *search.Query) string {
		t.Helper()
		text, args, err := buildSearch(q)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := db.reader.QueryContext(ctx, "EXPLAIN QUERY PLAN "+text, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		return strings.Join(plan, "\n")
	}
	all := plan(&search.Query{Type: "Consent", Clauses: []search.Clause{
		{Param: "status", Type: search.Token, Values: []search.Value{{Code: "active"}}},
		{Param: "patient", Type: search.Reference, Values: []search.Value{{Ref: "Patient/p1"}}},
	}})
	if strings.Count(all, "LIST SUBQUERY") != 1 || !strings.Contains(all, "idx_ref_ref") || !strings.Contains(all, "USING INDEX idx_token_rid (rid=?)") {
		t.Fatalf("plan:\n%s", all)
	}
	// Observation's patient is read from subject's rows: still one lookup
	// of the whole reference, not the range of every Patient reference.
	all = plan(&search.Query{Type: "Observation", Clauses: []search.Clause{
		{Param: "code", Type: search.Token, Values: []search.Value{{Code: "8867-4"}}},
		{Param: "patient", Type: search.Reference, Values: []search.Value{{Ref: "Patient/p1"}}},
	}})
	if strings.Count(all, "LIST SUBQUERY") != 1 || !strings.Contains(all, "idx_ref_ref (type=? AND param=? AND ref=?)") {
		t.Fatalf("plan:\n%s", all)
	}
}

// TestPCCacheCommitWindow: between a commit becoming visible and its
// bookkeeping, the patients it touches are loaded fresh (never the context
// from before it, never cached), a lookup that sees the commit's own keys
// keeps the rest of the cache, a key beyond them (another process) drops
// it, and so does a commit that failed after announcing its keys.
func TestPCCacheCommitWindow(t *testing.T) {
	c := newPCCache(10)
	c.ownVPK = 100
	old := &store.PatientContext{}
	fill := func(id string, pc *store.PatientContext, latest int64) {
		_, ver, gen := c.get(id, latest)
		c.put(id, pc, ver, gen)
	}
	fill("p1", old, 100)
	fill("p2", old, 100)
	c.committing(touches("p1"), 100, 105)
	if got, _, _ := c.get("p1", 105); got != nil {
		t.Fatal("a patient's context from before a commit that touches them was used during the commit")
	}
	fill("p1", &store.PatientContext{}, 105) // loaded during the window: not kept
	if got, _, _ := c.get("p1", 105); got != nil {
		t.Fatal("a context loaded during the commit was cached")
	}
	if got, _, _ := c.get("p2", 105); got != old {
		t.Fatal("this process's own commit, not yet recorded, emptied the cache")
	}
	if got, _, _ := c.get("p2", 106); got != nil {
		t.Fatal("a key beyond the commit under way did not drop the cache")
	}
	c.committed(touches("p1"), 105)
	fresh := &store.PatientContext{}
	fill("p1", fresh, 106)
	if got, _, _ := c.get("p1", 106); got != fresh {
		t.Fatal("after the commit the patient's context is cached again")
	}
	c.committing(nil, 107, 110) // another process wrote 107 before this transaction
	if got, _, _ := c.get("p1", 110); got != nil {
		t.Fatal("another process's earlier write went unnoticed")
	}
	c.committed(nil, 110)
	fill("p1", fresh, 110)
	c.committing(touches("p3"), 110, 115)
	c.failed(touches("p3"))
	if got, _, _ := c.get("p1", 112); got != nil {
		t.Fatal("after a failed commit, keys it had announced hid another process's writes")
	}
	if len(c.inflight) != 0 {
		t.Fatalf("commits still in flight: %v", c.inflight)
	}
}

// TestPCCacheStaleLoad: a lookup that took its stamps before a commit, and
// stores the context it loaded from before the commit only after the
// commit is recorded, must not have it served (committing invalidates the
// commit's patients; committed relies on that).
func TestPCCacheStaleLoad(t *testing.T) {
	c := newPCCache(10)
	c.ownVPK = 100
	_, ver, gen := c.get("p1", 100) // the lookup starts
	c.committing(touches("p1"), 100, 105)
	c.committed(touches("p1"), 105)
	stale := &store.PatientContext{}
	c.put("p1", stale, ver, gen) // ...and stores what it read before the commit
	if got, _, _ := c.get("p1", 105); got == stale {
		t.Fatal("a context read before a commit was served after it")
	}
}
