package auditlog

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestReview13bOpenComparesAReorderedJournalOverlap: review 12c made carex
// serve's start-up compare the journal's entries that the tables hold too
// with the tables, as audit verify does, so that an unsigned entry
// rewritten in the tables after a crash is not signed over and the
// journal (the one copy that shows it) emptied. The comparison stopped at
// the journal's first entry past the tables, though: an insider who,
// besides rewriting entry 120 in the tables, moved the journal's frames of
// the entries not yet in the tables (150..154) to its front — each frame
// the same bytes, checksums and all — had start-up compare nothing, copy
// 150..154 in, sign over entry 120 and empty the journal, after which
// verify passed. carex audit verify compares every frame whatever its
// place, and so must Open.
func TestReview13bOpenComparesAReorderedJournalOverlap(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{CheckpointEvery: 100, IndexDelay: time.Hour, IndexBatch: 1 << 20})
	f.fill(t, 150) // in the tables (checkpoint at 100), and still in the journal
	for i := 150; i < 155; i++ {
		if err := f.log.Append(ctx, sample(i)); err != nil { // in the journal alone
			t.Fatal(err)
		}
	}
	c := review12cCrashed(t, f)
	c.rewriteUnsigned(t, 120, 149)

	frames := c.journalFrames(t)
	var past, held [][]byte
	for _, fr := range frames {
		if seq, _, _ := parseHead(fr); seq >= 150 {
			past = append(past, fr)
		} else {
			held = append(held, fr)
		}
	}
	if len(past) != 5 || len(held) == 0 {
		t.Fatalf("journal holds %d entries past the tables and %d they hold too; want 5 and some", len(past), len(held))
	}
	c.writeJournal(t, append(past, held...))
	expectBad(t, c.verify(t), 120, -1, "entry 120 differs from the copy the journal")

	err := c.openErr(t)
	if err == nil {
		r := c.verify(t)
		t.Fatalf("carex serve's start-up accepted a table entry that differs from the journal's copy (the journal's frames reordered), signed over it and emptied the journal; verify now says OK=%v (%s)", r.OK(), r.Problem)
	}
	if !strings.Contains(err.Error(), "entry 120") {
		t.Fatalf("Open refused, but without naming entry 120: %v", err)
	}
	expectBad(t, c.verify(t), 120, -1, "entry 120 differs from the copy the journal")
}

// TestReview13bJournalWithTwoCopiesOfAnEntryIsRefused: the journal is the
// copy of each entry written first, and verify and carex serve's start-up
// compare it with the tables (review 12c). Both read a journal holding
// two different copies of one entry by its last, so an insider who
// rewrote unsigned entry 120 in the tables after a crash (hashes
// recomputed) and appended the rewritten bytes to the journal as a second
// frame 120 (checksums and all) passed both: verify said the log was
// intact and start-up signed over the rewrite and emptied the journal,
// the original copy with it. carex never writes an entry twice with
// different bytes: verify names the entry, and Open refuses.
func TestReview13bJournalWithTwoCopiesOfAnEntryIsRefused(t *testing.T) {
	f := newFixture(t, Options{CheckpointEvery: 100, IndexDelay: time.Hour, IndexBatch: 1 << 20})
	f.fill(t, 150)
	c := review12cCrashed(t, f)
	c.rewriteUnsigned(t, 120, 149)

	frames := c.journalFrames(t)
	c.writeJournal(t, append(frames, c.entry(t, 120))) // the rewritten bytes, as a second copy
	if r := c.verify(t); r.OK() {
		t.Errorf("verify passes a journal holding two different copies of entry 120 (the second matching the rewritten table row)")
	} else if r.FirstBad != 120 || !strings.Contains(r.Problem, "entry 120") {
		t.Errorf("verify: bad entry %d: %s; want entry 120 named", r.FirstBad, r.Problem)
	}
	err := c.openErr(t)
	if err == nil {
		r := c.verify(t)
		t.Fatalf("carex serve's start-up accepted a journal holding two different copies of entry 120, signed over the rewritten one and emptied the journal; verify now says OK=%v (%s)", r.OK(), r.Problem)
	}
	if !strings.Contains(err.Error(), "entry 120") {
		t.Fatalf("Open refused, but without naming entry 120: %v", err)
	}
}
