package auditlog

// Review 33c: the access log's integrity (SPEC §6, §7). Probes only: a
// failing test is a finding, a TestReview33cSound… test is a check that
// held.

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/carex-project/carex/store/sqlite"
)

// r33cTriggers reads the log's trigger definitions, so that a tamperer can
// put them back exactly as they were after dropping them (verify compares
// the schema text, not whether triggers were ever dropped).
func r33cTriggers(t *testing.T, f *fixture) []string {
	t.Helper()
	rows, err := f.db.Writer().Query(`SELECT sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func r33cRestore(t *testing.T, f *fixture, triggers []string) {
	t.Helper()
	for _, s := range triggers {
		f.exec(t, s)
	}
}

// r33cRewrite: the attacker's steps on a closed log (no key needed):
// drop the triggers, change entry seq's "sub" (bytes and column), recompute
// the leaf and chain hashes from seq to the end, rebuild the stored Merkle
// tree, delete every checkpoint with size > keepUpTo, put the triggers back.
func r33cRewrite(t *testing.T, f *fixture, seq, keepUpTo int64) {
	t.Helper()
	trig := r33cTriggers(t, f)
	f.dropTriggers(t)
	n, err := f.log0Size(t)
	if err != nil {
		t.Fatal(err)
	}
	f.editRow(t, seq)
	f.rehash(t, seq, n-1)
	f.rebuildTree(t)
	f.exec(t, `DELETE FROM audit_checkpoint WHERE size > ?`, keepUpTo)
	r33cRestore(t, f, trig)
}

func r33cCheckpointSizes(t *testing.T, f *fixture) []int64 {
	t.Helper()
	s, err := checkpointSizes(context.Background(), f.db.Reader())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Sound: a checkpoint copy kept outside (serve --checkpoint-copy, audit
// checkpoint --out) catches both the rewrite and the cut above.
func TestReview33cSoundSavedCopyCatchesRewriteAndCut(t *testing.T) {
	for _, cut := range []bool{false, true} {
		f := newFixture(t, Options{})
		f.fill(t, 1300)
		f.close(t)
		signed, err := LatestCheckpoint(context.Background(), f.db.Reader(), f.vs)
		if err != nil {
			t.Fatal(err)
		}
		copyPath := filepath.Join(t.TempDir(), "ig-checkpoint")
		if err := SaveCheckpoint(copyPath, signed); err != nil {
			t.Fatal(err)
		}
		if cut {
			trig := r33cTriggers(t, f)
			f.dropTriggers(t)
			f.exec(t, `DELETE FROM audit_log WHERE seq >= 1100`)
			f.exec(t, `DELETE FROM audit_patient WHERE seq >= 1100`)
			f.rebuildTree(t)
			f.exec(t, `DELETE FROM audit_checkpoint WHERE size > 1000`)
			r33cRestore(t, f, trig)
		} else {
			r33cRewrite(t, f, 1100, 1000)
		}
		s, err := ReadSavedCheckpoint(copyPath, f.vs)
		if err != nil {
			t.Fatal(err)
		}
		r, err := VerifyWith(context.Background(), f.db.Reader(), f.vs, []*SavedCheckpoint{s})
		if err == nil || r.OK() {
			t.Errorf("cut=%v: the saved copy did not catch it: %+v", cut, r)
		} else {
			t.Logf("cut=%v: detected: %s", cut, r.Problem)
		}
	}
}

// Sound: an older valid checkpoint put in the newest one's row, and two
// entries swapped (bytes and hashes moved together) under a checkpoint.
func TestReview33cSoundOlderCheckpointAndSwappedRows(t *testing.T) {
	t.Run("older checkpoint in newer row", func(t *testing.T) {
		f := newFixture(t, Options{})
		f.fill(t, 1300)
		f.close(t)
		trig := r33cTriggers(t, f)
		f.dropTriggers(t)
		f.exec(t, `DELETE FROM audit_checkpoint WHERE size = 1300`)
		f.exec(t, `INSERT INTO audit_checkpoint(size, root, note, ts) SELECT 1300, root, note, ts FROM audit_checkpoint WHERE size = 1000`)
		r33cRestore(t, f, trig)
		r := f.verify(t)
		if r.OK() {
			t.Fatalf("not detected: %+v", r)
		}
		t.Logf("detected: %s", r.Problem)
	})
	t.Run("two rows swapped", func(t *testing.T) {
		f := newFixture(t, Options{})
		f.fill(t, 1300)
		f.close(t)
		trig := r33cTriggers(t, f)
		f.dropTriggers(t)
		f.exec(t, `CREATE TEMP TABLE sw AS SELECT * FROM audit_log WHERE seq IN (500, 501)`)
		f.exec(t, `UPDATE audit_log SET entry = (SELECT entry FROM sw WHERE seq = 501), leaf_hash = (SELECT leaf_hash FROM sw WHERE seq = 501), chain_hash = (SELECT chain_hash FROM sw WHERE seq = 501), ts = (SELECT ts FROM sw WHERE seq = 501), patient = (SELECT patient FROM sw WHERE seq = 501), sub = (SELECT sub FROM sw WHERE seq = 501), org = (SELECT org FROM sw WHERE seq = 501), decision = (SELECT decision FROM sw WHERE seq = 501), break_glass = (SELECT break_glass FROM sw WHERE seq = 501) WHERE seq = 500`)
		f.exec(t, `UPDATE audit_log SET entry = (SELECT entry FROM sw WHERE seq = 500), leaf_hash = (SELECT leaf_hash FROM sw WHERE seq = 500), chain_hash = (SELECT chain_hash FROM sw WHERE seq = 500), ts = (SELECT ts FROM sw WHERE seq = 500), patient = (SELECT patient FROM sw WHERE seq = 500), sub = (SELECT sub FROM sw WHERE seq = 500), org = (SELECT org FROM sw WHERE seq = 500), decision = (SELECT decision FROM sw WHERE seq = 500), break_glass = (SELECT break_glass FROM sw WHERE seq = 500) WHERE seq = 501`)
		f.exec(t, `DROP TABLE sw`)
		r33cRestore(t, f, trig)
		r := f.verify(t)
		if r.OK() {
			t.Fatalf("not detected: %+v", r)
		}
		t.Logf("detected: %s", r.Problem)
	})
}

// The journal is preallocated (1 MiB of written zeros, grown in written
// zeros) and never shortened below that while it holds entries, so no
// crash leaves it shorter than a batch it holds says it is. Cut at an
// arbitrary byte inside the acknowledged batches (a backup or copy cut
// short, a file truncated), the batch at the cut is taken for a torn
// write that was never acknowledged: Verify reports OK with the entries
// before the cut, start-up indexes those and carries on, and the
// acknowledged entries after the cut are gone without a word. SPEC §7:
// "loses no ... access-log entry"; README: "damage anywhere else stops
// start-up with a message".
func TestReview33cJournalCutMidBatchLosesAcknowledgedEntriesQuietly(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{CheckpointEvery: 50, IndexDelay: time.Hour, IndexBatch: 1 << 20})
	f.fill(t, 120) // 0..119 in the tables
	for i := 120; i < 200; i++ {
		if err := f.log.Append(ctx, sample(i)); err != nil { // acknowledged
			t.Fatal(err)
		}
	}
	crashed := f.snapshot(t) // 120..199 only in the journal
	jpath := crashed + JournalSuffix
	b, err := os.ReadFile(jpath)
	if err != nil {
		t.Fatal(err)
	}
	frames, end, perr := parseJournal(b)
	t.Logf("journal: %d bytes, %d entries, end %d, err %v", len(b), len(frames), end, perr)
	// One entry per batch here, one block each: the batch of entry 160
	// starts 40 blocks before the end. Cut 100 bytes into it.
	cut := end - 40*journalBlock + 100
	if cut <= journalBlock {
		t.Fatalf("journal too short to cut (end %d)", end)
	}
	if err := os.Truncate(jpath, int64(cut)); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, crashed, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, verr := Verify(ctx, db.Reader(), f.vs)
	t.Logf("verify of the cut journal: err=%v OK=%v entries=%d journal=%d warning=%q problem=%q", verr, r.OK(), r.Entries, r.Journal, r.Warning, r.Problem)
	if r.OK() && r.Journal != 80 {
		t.Errorf("journal of %d bytes cut to %d (not a whole block; no crash shortens the preallocated file): Verify reports OK with %d journal entries; %d acknowledged entries (%d..199) are gone unreported", len(b), cut, r.Journal, 80-r.Journal, 120+r.Journal)
	}
	db.Close()
	c := &fixture{path: crashed, signer: f.signer, vs: f.vs, opt: f.opt}
	cdb, err := sqlite.Open(ctx, crashed, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cdb.Close()
	l, oerr := Open(ctx, cdb.Writer(), cdb.Reader(), c.opt)
	if oerr != nil {
		t.Logf("start-up refused: %v", oerr)
		return
	}
	defer l.Close()
	n, _ := l.Size(ctx)
	t.Logf("start-up accepted the cut journal: log has %d entries", n)
	if n != 200 {
		t.Errorf("start-up went on with %d entries, without a word about the %d acknowledged entries lost", n, 200-n)
	}
}
