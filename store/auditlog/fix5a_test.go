package auditlog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/carex-project/carex/store/sqlite"
)

// Fix 5a: the checks added for review 5a's findings catch what they are
// for (with the rest of the schema as carex made it) and pass what a
// crash, an idle server or a running one leaves.

// TestVerifyJournalGapWhileServing: reading the journal first, and again
// when it changed, must not hide a real gap: entries cut from the end of
// the tables while the journal goes on past them, with the server still
// appending, are reported.
func TestVerifyJournalGapWhileServing(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{IndexDelay: time.Hour, IndexBatch: 1 << 20, JournalLimit: 1})
	f.fill(t, 10) // indexed; the journal is emptied (over JournalLimit)
	f.awaitJournalEmpty(t)
	for i := 10; i < 15; i++ {
		if err := f.log.Append(ctx, sample(i)); err != nil { // in the journal only
			t.Fatal(err)
		}
	}
	f.dropTriggers(t)
	f.exec(t, `DELETE FROM audit_log WHERE seq >= 5`)
	f.exec(t, `DELETE FROM audit_patient WHERE seq >= 5`)
	f.exec(t, `DELETE FROM audit_checkpoint WHERE size > 5`)
	f.rebuildTree(t)
	f.restoreTriggers(t)
	expectBad(t, f.verify(t), 5, -1, "entry 5 is missing: the journal continues at entry 10")

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { // the journal changes under every read
		for i := 15; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := f.log.Append(ctx, sample(i)); err != nil {
				t.Error(err)
				return
			}
		}
	})
	r := f.verify(t)
	close(stop)
	wg.Wait()
	expectBad(t, r, 5, -1, "entry 5 is missing: the journal continues at entry 10")
}

// awaitJournalEmpty waits for the indexer to empty the journal: Sync
// returns once the entries are in SQLite, and the indexer resets the
// journal just after, so a test that appends at once could find the
// journal still holding them (it did, once in CI).
func (f *fixture) awaitJournalEmpty(t testing.TB) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		f.log.jmu.Lock()
		empty := f.log.j.size == journalBlock
		f.log.jmu.Unlock()
		if empty {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the indexer did not empty the journal within 10s")
		}
	}
}

// restoreTriggers puts back the append-only triggers dropTriggers removed,
// exactly as carex creates them: what a careful insider does after an edit
// (verify and Open check the schema).
func (f *fixture) restoreTriggers(t testing.TB) {
	t.Helper()
	want, err := expectedSchema(context.Background(), f.db.Writer().Driver())
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range want {
		var n int
		f.db.Writer().QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = ?`, o.name).Scan(&n)
		if o.typ == "trigger" && n == 0 {
			f.exec(t, o.sql)
		}
	}
}

// openErr opens the fixture's database again and returns Open's error
// (nil: opened, and closed again).
func (f *fixture) openErr(t *testing.T) error {
	t.Helper()
	if f.log != nil {
		f.close(t)
	}
	f.db.Close()
	db, err := sqlite.Open(context.Background(), f.path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.db = db
	l, err := Open(context.Background(), db.Writer(), db.Reader(), f.opt)
	if err == nil {
		f.log = l
		f.close(t)
	}
	return err
}

// TestCadenceCatchesACarefulRewrite: review 5a's rewrite (checkpoints after
// entry 1,000 removed, entry 1,500 rewritten, every hash recomputed) by an
// insider who also puts the triggers back: only the cadence shows it.
func TestCadenceCatchesACarefulRewrite(t *testing.T) {
	const n = 2500
	f := newFixture(t, Options{})
	appendAll(t, context.Background(), f.log, n, 8)
	f.close(t)
	review5aRewriteUnsigned(t, f, 1000, 1500, n)
	f.restoreTriggers(t)
	expectBad(t, f.verify(t), 1000, -1, "entries 1000..2499 (1500) follow the newest checkpoint (size 1000)")
	if err := f.openErr(t); !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), "never leaves more than 999 unsigned") {
		t.Fatalf("Open of the rewritten log: %v", err)
	}

	t.Run("a checkpoint removed between others", func(t *testing.T) {
		f := newFixture(t, Options{})
		appendAll(t, context.Background(), f.log, n, 8)
		f.close(t)
		f.dropTriggers(t)
		f.exec(t, `DELETE FROM audit_checkpoint WHERE size IN (1000, 2000)`)
		f.restoreTriggers(t)
		expectBad(t, f.verify(t), 0, -1, "no checkpoint between sizes 0 and 2500")
		if err := f.openErr(t); !errors.Is(err, ErrTampered) {
			t.Fatalf("Open: %v", err)
		}
	})
}

// TestCadenceAfterACrash: a crash leaves up to 999 unsigned entries in the
// tables (the indexer signs at every 1,000th in the same transaction) and
// any number in the journal; the log verifies and the server starts. The
// crash is taken as a copy of the files of an idle log that was never
// closed (Close would sign).
func TestCadenceAfterACrash(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{IndexDelay: time.Hour, IndexBatch: 1 << 20})
	f.fill(t, 1999) // indexed: checkpoint at 1000, 999 unsigned after it
	for i := 1999; i < 3500; i++ {
		if err := f.log.Append(ctx, sample(i)); err != nil { // in the journal only
			t.Fatal(err)
		}
	}
	crash := filepath.Join(t.TempDir(), "carex.db")
	for _, suffix := range []string{"", "-wal", "-shm", JournalSuffix} {
		b, err := os.ReadFile(f.path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(crash+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c := &fixture{path: crash, signer: f.signer, vs: f.vs, opt: Options{Signer: f.signer}}
	db, err := sqlite.Open(ctx, crash, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c.db = db
	defer func() { c.db.Close() }()
	r := c.verify(t)
	if !r.OK() || r.Entries != 1999 || r.LatestCheckpoint != 1000 || r.Journal != 1501 {
		t.Fatalf("the crashed log: %+v", r)
	}
	if err := c.openErr(t); err != nil {
		t.Fatalf("restart after the crash: %v", err)
	}
	if r := c.verify(t); !r.OK() || r.Entries != 3500 || r.LatestCheckpoint != 3500 || r.Warning != "" {
		t.Fatalf("after the restart: %+v", r)
	}
}

// TestOpenRefusesAnotherSchema: a view or a trigger added, or a trigger
// changed, is refused by Open and reported by verify.
func TestOpenRefusesAnotherSchema(t *testing.T) {
	for _, tc := range []struct{ name, sql, words string }{
		{"extra trigger", `CREATE TRIGGER hide AFTER INSERT ON audit_log BEGIN SELECT 1; END`, "trigger hide on audit_log is not carex's"},
		{"extra view", `CREATE VIEW audit_recent AS SELECT * FROM audit_log`, "view audit_recent"},
		{"extra index", `CREATE INDEX audit_log_x ON audit_log(org)`, "index audit_log_x on the access log's table audit_log"},
		{"trigger changed", `DROP TRIGGER audit_log_no_delete; CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log WHEN OLD.seq < 0 BEGIN SELECT RAISE(ABORT, 'x'); END`, "trigger audit_log_no_delete is not as carex creates it"},
		{"index removed", `DROP INDEX audit_log_sub`, "index audit_log_sub is missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, Options{CheckpointEvery: 100})
			f.fill(t, 150)
			f.close(t)
			f.exec(t, tc.sql)
			f.db.Close()
			db, err := sqlite.Open(context.Background(), f.path, sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			f.db = db
			expectBad(t, f.verify(t), -1, -1, tc.words)
			if err := f.openErr(t); !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), tc.words) {
				t.Fatalf("Open: %v", err)
			}
		})
	}
}

// TestVerifySearchIndexes: review 5a's index edit (the index files entry
// 151 under another value), with the trigger put back exactly as carex
// made it, so that only the index disagrees with its table.
func TestVerifySearchIndexes(t *testing.T) {
	for _, tc := range []struct{ index, col, value string }{
		{"audit_log_sub", "sub", "user1"},
		{"audit_log_patient", "patient", "p1"},
		{"audit_log_bg", "break_glass", "0"},
	} {
		t.Run(tc.index, func(t *testing.T) {
			f := newFixture(t, Options{CheckpointEvery: 100})
			f.fill(t, 300)
			f.close(t)
			f.db.Close()
			var rootpage int64
			var ddl, trigger string
			{
				db, err := sql.Open("sqlite", "file:"+f.path)
				if err != nil {
					t.Fatal(err)
				}
				db.QueryRow(`SELECT rootpage, sql FROM sqlite_master WHERE name = ?`, tc.index).Scan(&rootpage, &ddl)
				db.QueryRow(`SELECT sql FROM sqlite_master WHERE name = 'audit_log_no_update'`).Scan(&trigger)
				db.Close()
			}
			wrong := "'nobody'"
			if tc.col == "break_glass" {
				wrong = "1" // entry 151 appears to have broken glass
			}
			review5aRaw(t, f.path, `DROP TRIGGER audit_log_no_update`, fmt.Sprintf(`UPDATE audit_log SET %s = %s WHERE seq = 151`, tc.col, wrong),
				`PRAGMA writable_schema = ON`, `DELETE FROM sqlite_master WHERE name = '`+tc.index+`'`, `PRAGMA writable_schema = OFF`)
			review5aRaw(t, f.path, fmt.Sprintf(`UPDATE audit_log SET %s = '%s' WHERE seq = 151`, tc.col, tc.value), `PRAGMA writable_schema = ON`,
				fmt.Sprintf(`INSERT INTO sqlite_master(type, name, tbl_name, rootpage, sql) VALUES ('index', '%s', 'audit_log', %d, '%s')`, tc.index, rootpage, strings.ReplaceAll(ddl, "'", "''")),
				`PRAGMA writable_schema = OFF`)
			review5aRaw(t, f.path, trigger)
			db, err := sqlite.Open(context.Background(), f.path, sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			f.db = db
			expectBad(t, f.verify(t), -1, -1, "the index "+tc.index+" does not match its table")
		})
	}
}

// TestSearchIndexesCoverTheSchema: verify compares every index on
// audit_log with the table; a migration adding one must add it there.
func TestSearchIndexesCoverTheSchema(t *testing.T) {
	f := newFixture(t, Options{})
	want, err := expectedSchema(context.Background(), f.db.Writer().Driver())
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range want {
		if o.typ != "index" || o.tbl != "audit_log" {
			continue
		}
		if !slices.ContainsFunc(searchIndexes[:], func(ix struct{ name, query string }) bool { return ix.name == o.name }) {
			t.Errorf("index %s on audit_log is not compared with its table by verify (searchIndexes)", o.name)
		}
	}
}

// TestVerifyComparesJournalOverlap: an entry both in the tables and in
// the journal (written there first) must be the same in both.
func TestVerifyComparesJournalOverlap(t *testing.T) {
	f := newFixture(t, Options{CheckpointEvery: 100, IndexDelay: time.Hour, IndexBatch: 1 << 20})
	f.fill(t, 150) // in the tables, and still in the journal
	f.dropTriggers(t)
	f.exec(t, `DELETE FROM audit_checkpoint WHERE size > 100`)
	f.editRow(t, 120)
	f.rehash(t, 120, 149)
	f.rebuildTree(t)
	f.restoreTriggers(t)
	expectBad(t, f.verify(t), 120, -1, "entry 120 differs from the copy the journal")
}

// TestVerifyComparesStoredTree: verify compares every stored hash with the
// tree it rebuilds (in blocks, small here) and names the entry whose
// stored hashes differ, in any block.
func TestVerifyComparesStoredTree(t *testing.T) {
	defer func(b int64) { treeSumBlock = b }(treeSumBlock)
	treeSumBlock = 64
	for _, tc := range []struct {
		level, n int64 // the stored hash damaged
		seq      int64 // the entry verify should name
		words    string
	}{
		{0, 200, 200, "its Merkle leaf in the stored tree differs"},
		{3, 20, 160, "the Merkle subtree over entries 160..167"},
		{0, 299, 299, "its Merkle leaf"},
	} {
		f := newFixture(t, Options{CheckpointEvery: 100})
		f.fill(t, 300)
		f.close(t)
		f.dropTriggers(t)
		x := tlog.StoredHashIndex(int(tc.level), tc.n)
		var start int64
		var hashes []byte
		if err := f.db.Writer().QueryRow(`SELECT start, hashes FROM audit_tree_chunk WHERE start <= ? ORDER BY start DESC LIMIT 1`, x).Scan(&start, &hashes); err != nil {
			t.Fatal(err)
		}
		hashes[(x-start)*tlog.HashSize] ^= 1
		f.exec(t, `UPDATE audit_tree_chunk SET hashes = ? WHERE start = ?`, hashes, start)
		f.restoreTriggers(t)
		expectBad(t, f.verify(t), tc.seq, -1, tc.words)
	}
}
