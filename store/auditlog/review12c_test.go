package auditlog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/store/sqlite"
)

// review12cCrashed returns a fixture on a copy of f's files as a crash
// leaves them (the journal still holding entries the tables hold too).
// rewriteUnsigned rewrites entry seq in the tables as an insider would,
// its hashes recomputed to entry last and the triggers put back.
func (c *fixture) rewriteUnsigned(t *testing.T, seq, last int64) {
	t.Helper()
	c.dropTriggers(t)
	c.editRow(t, seq)
	c.rehash(t, seq, last)
	c.rebuildTree(t)
	c.restoreTriggers(t)
}

// journalFrames reads the entries of c's journal, in file order.
func (c *fixture) journalFrames(t *testing.T) [][]byte {
	t.Helper()
	b, err := os.ReadFile(c.path + JournalSuffix)
	if err != nil {
		t.Fatal(err)
	}
	frames, _, err := parseJournal(b)
	if err != nil {
		t.Fatal(err)
	}
	return frames
}

// writeJournal replaces c's journal with frames, in format 1 (read as any
// journal is).
func (c *fixture) writeJournal(t *testing.T, frames [][]byte) {
	t.Helper()
	out := []byte(journalMagic)
	for _, fr := range frames {
		out = appendFrame(out, fr)
	}
	if err := os.WriteFile(c.path+JournalSuffix, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

func review12cCrashed(t *testing.T, f *fixture) *fixture {
	t.Helper()
	c := &fixture{path: f.snapshot(t), signer: f.signer, vs: f.vs, opt: f.opt}
	db, err := sqlite.Open(context.Background(), c.path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c.db = db
	t.Cleanup(func() {
		if c.log != nil {
			c.log.Close()
		}
		c.db.Close()
	})
	return c
}

// TestReview12cOpenComparesJournalOverlap: after a crash the journal still
// holds entries the tables hold too (the journal is written first). An
// insider who then rewrote an unsigned entry in the tables, recomputing its
// leaf, chain and tree hashes and putting the triggers back, is caught by
// carex audit verify, which compares the two copies. But carex serve's
// start-up skipped every journal entry the tables already had without
// looking at it, signed a checkpoint over the rewritten entry and emptied
// the journal: the only evidence was destroyed, and verify then passed.
// Open must refuse, as verify does.
func TestReview12cOpenComparesJournalOverlap(t *testing.T) {
	f := newFixture(t, Options{CheckpointEvery: 100, IndexDelay: time.Hour, IndexBatch: 1 << 20})
	f.fill(t, 150) // in the tables (checkpoint at 100), and still in the journal
	c := review12cCrashed(t, f)
	c.rewriteUnsigned(t, 120, 149)
	expectBad(t, c.verify(t), 120, -1, "entry 120 differs from the copy the journal")

	err := c.openErr(t)
	if err == nil {
		r := c.verify(t)
		t.Fatalf("carex serve's start-up accepted a table entry that differs from the journal's copy, signed over it and emptied the journal; verify now says OK=%v (%s)", r.OK(), r.Problem)
	}
	if !strings.Contains(err.Error(), "entry 120") || !strings.Contains(err.Error(), "journal") {
		t.Fatalf("Open refused, but without naming entry 120 and the journal: %v", err)
	}
	t.Logf("refused: %v", err)
	// Nothing was changed: verify still names it.
	expectBad(t, c.verify(t), 120, -1, "entry 120 differs from the copy the journal")
}

// TestReview12cOpenChecksJournalTimeOrder: entries are in time order (IG's
// date searches binary-search on it, and verify checks it, for the
// journal's entries too). A journal whose entry is earlier than the one
// before it (edited, checksums and all, after a crash: an access
// back-dated) is named by carex audit verify, but carex serve's start-up
// copied it into the tables and signed it: the server went on appending to
// a log that no longer verifies, and IG's date searches skipped entries.
// Open must refuse it, as verify does, and leave the files as they are.
func TestReview12cOpenChecksJournalTimeOrder(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{IndexDelay: time.Hour, IndexBatch: 1 << 20})
	f.fill(t, 10)
	for i := 10; i < 15; i++ {
		if err := f.log.Append(ctx, sample(i)); err != nil {
			t.Fatal(err)
		}
	}
	c := review12cCrashed(t, f)
	frames := c.journalFrames(t)
	var out [][]byte
	for _, fr := range frames {
		if seq, ts, _ := parseHead(fr); seq == 12 {
			old := fmt.Sprintf(`"ts":%d,`, ts)
			fr = []byte(strings.Replace(string(fr), old, fmt.Sprintf(`"ts":%d,`, ts-3600_000), 1))
		}
		out = append(out, fr)
	}
	c.writeJournal(t, out)
	expectBad(t, c.verify(t), 12, -1, "journal entry 12 is earlier than entry 11")

	err := c.openErr(t)
	if err == nil {
		r := c.verify(t)
		t.Fatalf("carex serve's start-up copied a back-dated journal entry into the tables and signed it; verify now: OK=%v %q", r.OK(), r.Problem)
	}
	if !strings.Contains(err.Error(), "entry 12") {
		t.Fatalf("Open refused without naming entry 12: %v", err)
	}
	t.Logf("refused: %v", err)
	expectBad(t, c.verify(t), 12, -1, "journal entry 12 is earlier than entry 11")
}

// TestReview12cCrashBeforeFirstCheckpointKeepsACopy: a new log kept with a
// checkpoint copy outside (serve --checkpoint-copy) holds entries but no
// checkpoint for its first 10 seconds, so no copy can exist yet. A crash
// then (seen with kill -9 of a real carex serve: 325 entries, no copy)
// left a server that would not start: "no saved checkpoint where one is
// expected … the log has 325 entries", an information-governance incident
// that was none, and the way out it printed (carex audit checkpoint --out)
// failed too, as there was no checkpoint to copy. A missing copy shows a
// loss only when the log has a checkpoint that could have been copied.
func TestReview12cCrashBeforeFirstCheckpointKeepsACopy(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{CheckpointCopy: filepath.Join(t.TempDir(), "copy")})
	f.fill(t, 50) // in the tables; nothing signed yet (every 1,000 or 10 s)
	if ck := f.log.Latest(); ck != nil {
		t.Fatalf("premise: a checkpoint of size %d was signed already", ck.Size)
	}
	c := review12cCrashed(t, f)
	c.opt.CheckpointCopy = filepath.Join(t.TempDir(), "copy")
	c.opt.Verifiers = f.vs
	l, err := Open(ctx, c.db.Writer(), c.db.Reader(), c.opt)
	if err != nil {
		t.Fatalf("restart after a crash before the first checkpoint: %v", err)
	}
	c.log = l
	c.close(t)
	s, err := ReadSavedCheckpoint(c.opt.CheckpointCopy, f.vs)
	if err != nil || s.Size != 50 {
		t.Fatalf("the copy after the restart: %+v %v; want one of 50 entries", s, err)
	}
	if r := c.verify(t); !r.OK() || r.Entries != 50 {
		t.Fatalf("verify: %+v", r)
	}

	// A log with a checkpoint and no copy is still refused (TestSavedCheckpointMissingOrStale).
	c.opt.CheckpointCopy = filepath.Join(t.TempDir(), "copy")
	if err := c.openErr(t); !errors.Is(err, ErrNoSaved) {
		t.Fatalf("a signed log without its copy: %v; want ErrNoSaved", err)
	}
}
