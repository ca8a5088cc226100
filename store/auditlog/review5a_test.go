package auditlog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/carex-project/carex/store/sqlite"
)

// Review 5a: tamper-evidence of the access log against an insider who can
// write the database files but does not hold the log's signing key.

// review5aRewriteUnsigned does what such an insider can: drop the triggers,
// delete every signed checkpoint after the first `keep` entries, change the
// user of entry `seq` (hiding who opened the record), and recompute every
// leaf and chain hash after it and the stored Merkle tree. No key needed.
func review5aRewriteUnsigned(t *testing.T, f *fixture, keep, seq, n int64) {
	t.Helper()
	f.dropTriggers(t)
	f.exec(t, `DELETE FROM audit_checkpoint WHERE size > ?`, keep)
	f.editRow(t, seq)
	f.rehash(t, seq, n-1)
	f.rebuildTree(t)
}

// TestReview5aDeletedCheckpointsHideARewrite: the log is signed every 1,000
// entries exactly (README: "Entries after the newest checkpoint (at most
// 1,000 entries or 10 seconds) are hash-chained but not yet signed"). An
// insider without the key deletes the checkpoints at 2,000 and 2,500 and
// rewrites entry 1,500: 1,500 entries are now "unsigned", which an honest
// log never has, yet verify reports success (with a note).
func TestReview5aDeletedCheckpointsHideARewrite(t *testing.T) {
	const n = 2500
	f := newFixture(t, Options{}) // the production cadence: every 1,000 entries
	appendAll(t, context.Background(), f.log, n, 8)
	f.close(t)
	if r := f.verify(t); !r.OK() || r.Entries != n || r.LatestCheckpoint != n {
		t.Fatalf("before tampering: %+v", r)
	}
	review5aRewriteUnsigned(t, f, 1000, 1500, n)

	r := f.verify(t)
	if r.OK() {
		t.Fatalf("entry 1500 rewritten and the checkpoints at 2000 and 2500 deleted (no key needed), yet verify passes: %+v", r)
	}
	if r.FirstBad < 1000 || r.FirstBad > 2000 {
		t.Errorf("verify names entry %d (checkpoint %d): %s", r.FirstBad, r.BadCheckpoint, r.Problem)
	}
}

// TestReview5aRestartSignsARewrite: the same rewrite, then the server is
// started again: it takes the rewritten tree as its own, signs checkpoints
// over it, and from then on verify reports a clean log with no note at all.
// The insider's edit is laundered by the server's own key.
func TestReview5aRestartSignsARewrite(t *testing.T) {
	const n = 2500
	ctx := context.Background()
	f := newFixture(t, Options{})
	appendAll(t, ctx, f.log, n, 8)
	f.close(t)
	review5aRewriteUnsigned(t, f, 1000, 1500, n)
	f.db.Close()

	db, err := sqlite.Open(ctx, f.path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.db = db
	l, err := Open(ctx, db.Writer(), db.Reader(), f.opt)
	if err != nil {
		t.Logf("Open refused the rewritten log: %v", err)
		return // refusing is a fine answer
	}
	f.log = l
	for i := n; i < n+10; i++ {
		if err := l.Append(ctx, sample(i)); err != nil {
			t.Fatal(err)
		}
	}
	f.close(t)
	r := f.verify(t)
	if r.OK() {
		t.Fatalf("after a restart the server signed the rewritten entries: verify passes (warning %q): %+v", r.Warning, r)
	}
}

// TestReview5aVerifyWhileServing: README: "verify also reads the journal:
// entries there that are not yet in the tables (the server is running, …)
// must continue the log in order". carex audit verify on a running server
// reads the tables (one snapshot) and then the journal file. If the
// indexer copies entries in and empties the journal (a new generation) in
// between, the journal then starts past the snapshot's end and verify
// reports an untouched log as tampered ("entry N is missing"): a false
// information-governance incident. The journal is emptied whenever it is
// over JournalLimit (16 MiB: every ~4,096 writes, as each write takes at
// least a 4 KiB block); a small limit makes the same race frequent here.
func TestReview5aVerifyWhileServing(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, review5aServingOptions)
	f.fill(t, 3000) // a log of some size, so that reading it takes a while

	ro, err := sql.Open("sqlite", "file:"+f.path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := f.log.Append(ctx, sample(10000+w*100000+i)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	deadline := time.Now().Add(review5aServingFor)
	runs := 0
	var bad *Report
	for time.Now().Before(deadline) && bad == nil {
		r, err := Verify(ctx, ro, f.vs)
		runs++
		if errors.Is(err, ErrTampered) {
			bad = r
		} else if err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if bad != nil {
		t.Fatalf("verify of an untouched log, with the server appending, failed on run %d: FirstBad %d: %s", runs, bad.FirstBad, bad.Problem)
	}
	t.Logf("%d verifications passed", runs)
}

var (
	review5aServingOptions = Options{IndexDelay: time.Millisecond, JournalLimit: 1}
	review5aServingFor     = 4 * time.Second
)

// review5aRaw runs statements on a fresh connection of its own (schema
// edits take effect for the next connection).
func review5aRaw(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// TestReview5aEditedIndexHidesEntryFromIG: verify checks that the query
// columns say what each entry says ("or an entry could be hidden from IG
// searches without touching its bytes"), but IG searches read the indexes
// on those columns, which verify never looks at. An insider with sqlite3
// and no key: take the index out of the schema, change the row's sub,
// put the index back, change the row back. The table and every hash are
// as they were, so verify passes; the sub index still files the entry
// under another user, so "what did user X access" (AuditEvent?agent=,
// $user-activity) no longer lists it.
func TestReview5aEditedIndexHidesEntryFromIG(t *testing.T) {
	// 151: sub user1, patient p1
	t.Run("user index: what did this user access", func(t *testing.T) {
		review5aHideInIndex(t, "audit_log_sub", "sub", "user1", Query{Sub: "user1", Count: 1000})
	})
	t.Run("patient index: who accessed this person's record", func(t *testing.T) {
		review5aHideInIndex(t, "audit_log_patient", "patient", "p1", Query{Patient: "p1", Count: 1000})
	})
}

func review5aHideInIndex(t *testing.T, index, col, value string, q Query) {
	ctx := context.Background()
	f := newFixture(t, Options{CheckpointEvery: 100})
	f.fill(t, 300)
	const seq = 151
	before, _, err := f.log.Search(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if !review5aHas(before, seq) {
		t.Fatalf("entry %d not found before tampering", seq)
	}
	f.close(t)
	f.db.Close()

	var rootpage int64
	var ddl string
	{
		db, err := sql.Open("sqlite", "file:"+f.path)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(`SELECT rootpage, sql FROM sqlite_master WHERE name = ?`, index).Scan(&rootpage, &ddl); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	review5aRaw(t, f.path, `DROP TRIGGER audit_log_no_update`,
		fmt.Sprintf(`UPDATE audit_log SET %s = 'nobody' WHERE seq = %d`, col, seq), // the index now files it under "nobody"
		`PRAGMA writable_schema = ON`, `DELETE FROM sqlite_master WHERE name = '`+index+`'`, `PRAGMA writable_schema = OFF`)
	review5aRaw(t, f.path, fmt.Sprintf(`UPDATE audit_log SET %s = '%s' WHERE seq = %d`, col, value, seq), // the table only: no index in the schema
		`PRAGMA writable_schema = ON`,
		fmt.Sprintf(`INSERT INTO sqlite_master(type, name, tbl_name, rootpage, sql) VALUES ('index', '%s', 'audit_log', %d, '%s')`, index, rootpage, ddl),
		`PRAGMA writable_schema = OFF`)
	review5aRaw(t, f.path, `CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'access log is append-only'); END`)

	f.open(t)
	after, _, err := f.log.Search(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	r := f.verify(t)
	if !review5aHas(after, seq) && r.OK() {
		t.Fatalf("entry %d no longer found by the IG search %+v (%d of %d entries found), yet verify passes: %+v", seq, q, len(after), len(before), r)
	}
}

func review5aHas(es []*Entry, seq int64) bool {
	for _, e := range es {
		if e.Seq == seq {
			return true
		}
	}
	return false
}

// TestReview5aOpenTrustsACorruptStoredTree: the stored Merkle hashes
// (audit_tree_chunk) are not evidence — verify recomputes the tree from
// the entries and passes while they are wrong — but Open builds every
// future checkpoint on them (load reads the tree's right edge and checks
// only how many hashes there are). One damaged stored hash (bit rot, a
// restore gone wrong, an insider) and the server signs checkpoints that do
// not match the entries; from then on verify reports the untouched entries
// as rewritten. Open could check the stored tree against the latest signed
// checkpoint, as audit checkpoint (LatestCheckpoint) already does.
func TestReview5aOpenTrustsACorruptStoredTree(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{CheckpointEvery: 100})
	f.fill(t, 300)
	f.close(t)
	f.dropTriggers(t)
	// Flip one byte of the last stored hash (on the right edge the server
	// continues from).
	var start int64
	var hashes []byte
	if err := f.db.Writer().QueryRow(`SELECT start, hashes FROM audit_tree_chunk ORDER BY start DESC LIMIT 1`).Scan(&start, &hashes); err != nil {
		t.Fatal(err)
	}
	hashes[len(hashes)-1] ^= 1
	f.exec(t, `UPDATE audit_tree_chunk SET hashes = ? WHERE start = ?`, hashes, start)
	if r := f.verify(t); !r.OK() {
		t.Logf("verify notices the damaged tree before the restart: %s", r.Problem)
		return // then an IG officer is told before the server builds on it
	}
	f.db.Close()
	db, err := sqlite.Open(ctx, f.path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.db = db
	l, err := Open(ctx, db.Writer(), db.Reader(), f.opt)
	if err != nil {
		t.Logf("Open refused the damaged tree: %v", err)
		return
	}
	f.log = l
	for i := 300; i < 310; i++ {
		if err := l.Append(ctx, sample(i)); err != nil {
			t.Fatal(err)
		}
	}
	f.close(t)
	if r := f.verify(t); !r.OK() {
		t.Fatalf("verify passed the log with a damaged stored tree; the server then opened it without complaint and signed checkpoints over the damaged hashes; now verify blames the entries: FirstBad %d, checkpoint %d: %s", r.FirstBad, r.BadCheckpoint, r.Problem)
	}
}

// TestReview5aViewShowsVerifyOneLogAndIGAnother: plain SQL, no key, no
// writable_schema. The insider renames audit_log and puts a view of the
// same name in its place that leaves out their entry only on a connection
// with query_only set — the server's read pool, which answers every IG
// query — and an INSTEAD OF trigger so that the server goes on appending.
// carex audit verify reads through a connection without query_only, sees
// every entry and reports the log intact; $who-accessed and AuditEvent
// searches never show the entry again. Verify checks the rows, not that
// audit_log is the table it reads.
func TestReview5aViewShowsVerifyOneLogAndIGAnother(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{CheckpointEvery: 100})
	f.fill(t, 300)
	const seq = 151 // patient p1
	q := Query{Patient: "p1", Count: 1000}
	before, _, err := f.log.Search(ctx, q)
	if err != nil || !review5aHas(before, seq) {
		t.Fatalf("before: %v", err)
	}
	f.close(t)
	f.db.Close()
	cols := "seq, ts, entry, leaf_hash, chain_hash, patient, sub, org, decision, break_glass"
	review5aRaw(t, f.path,
		`ALTER TABLE audit_log RENAME TO audit_log_rows`,
		`CREATE VIEW audit_log AS SELECT * FROM audit_log_rows WHERE NOT (seq = 151 AND (SELECT query_only FROM pragma_query_only) = 1)`,
		`CREATE TRIGGER audit_log_insert INSTEAD OF INSERT ON audit_log BEGIN INSERT INTO audit_log_rows(`+cols+`) VALUES (NEW.seq, NEW.ts, NEW.entry, NEW.leaf_hash, NEW.chain_hash, NEW.patient, NEW.sub, NEW.org, NEW.decision, NEW.break_glass); END`)

	// The server starts and appends as before, unless it refuses the log
	// (fix 5a: Open checks the schema; the test then checks verify alone).
	db, err := sqlite.Open(ctx, f.path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.db = db
	var after []*Entry
	if f.log, err = Open(ctx, db.Writer(), db.Reader(), f.opt); err != nil {
		t.Logf("Open refused the log: %v", err)
	} else {
		for i := 300; i < 305; i++ {
			if err := f.log.Append(ctx, sample(i)); err != nil {
				t.Fatal(err)
			}
		}
		if after, _, err = f.log.Search(ctx, q); err != nil {
			t.Fatal(err)
		}
		f.close(t)
	}
	// As carex audit verify opens it.
	ro, err := sql.Open("sqlite", "file:"+f.path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	r, err := Verify(ctx, ro, f.vs)
	if err != nil && !errors.Is(err, ErrTampered) {
		t.Fatal(err)
	}
	if !review5aHas(after, seq) && r.OK() {
		t.Fatalf("IG's search for patient p1 no longer finds entry %d (%d entries found now, %d before 5 more were appended), yet carex audit verify reports the log intact: %+v", seq, len(after), len(before), r)
	}
}
