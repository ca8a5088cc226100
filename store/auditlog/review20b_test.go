package auditlog

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/carex-project/carex/store/sqlite"
)

// TestReview20bJournalRemovedOrReplacedKeepsAcknowledgedEntries: the
// access journal (carex-access.db-audit) removed while carex ran (a
// clean-up of "stray" files beside the database) or replaced (an older
// copy restored over it), then the machine went down. Before, the log went
// on acknowledging entries into the file it held open, which no path named
// any more: a crash lost every entry not yet copied into the tables, each
// of whose responses had left (a removed journal: 10..29 of 30; a replaced
// one: those after the copy), and the start that followed found nothing
// amiss. A journal emptied in place (truncated) was not noticed either,
// and the start after the crash refused the log as "not a carex access
// journal". Now a write notices that the path no longer names its file and
// writes a new journal there holding every entry the tables lack before it
// acknowledges anything.
func TestReview20bJournalRemovedOrReplacedKeepsAcknowledgedEntries(t *testing.T) {
	for _, how := range []string{"removed", "replaced", "truncated"} {
		t.Run(how, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, Options{IndexDelay: time.Hour, IndexBatch: 1 << 20})
			f.fill(t, 10) // 0..9 in the tables
			for i := 10; i < 15; i++ {
				if err := f.log.Append(ctx, sample(i)); err != nil {
					t.Fatal(err)
				}
			}
			jpath := f.path + JournalSuffix
			old, err := os.ReadFile(jpath) // 10..14
			if err != nil {
				t.Fatal(err)
			}
			for i := 15; i < 20; i++ {
				if err := f.log.Append(ctx, sample(i)); err != nil {
					t.Fatal(err)
				}
			}
			switch how {
			case "removed":
				if err := os.Remove(jpath); err != nil {
					t.Fatal(err)
				}
			case "replaced":
				if err := os.WriteFile(jpath+".old", old, 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Rename(jpath+".old", jpath); err != nil {
					t.Fatal(err)
				}
			case "truncated": // emptied in place, to free the space (review 20e)
				if err := os.Truncate(jpath, 0); err != nil {
					t.Fatal(err)
				}
			}
			acked := 20
			for i := 20; i < 30; i++ {
				if err := f.log.Append(ctx, sample(i)); err != nil {
					t.Logf("append %d after the journal was %s: %v", i, how, err)
					continue
				}
				acked++
			}
			if n := entriesAfterCrash(t, f, acked); n != int64(acked) {
				t.Errorf("journal %s, then a crash: the log holds %d entries after the start, %d were acknowledged", how, n, acked)
			}
		})
	}
}

// TestReview20gJournalCutThenGrownKeepsAcknowledgedEntries: a journal cut
// in place when full, whose next batch needed more room. Growing it wrote
// zeros from its old end, so it was no shorter than carex had made it, and
// the check for a cut (made after the write) saw nothing: its header and
// the entries not yet in the tables were gone, every later entry was
// acknowledged, and the start after a crash refused the journal (review
// 20g). The cut is now looked for before the write too.
func TestReview20gJournalCutThenGrownKeepsAcknowledgedEntries(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{IndexDelay: time.Hour, IndexBatch: 1 << 20})
	f.fill(t, 10)
	i := 10
	for {
		f.log.jmu.Lock()
		room := f.log.j.cap - f.log.j.size
		f.log.jmu.Unlock()
		if room < journalBlock {
			break
		}
		if err := f.log.Append(ctx, sample(i)); err != nil {
			t.Fatal(err)
		}
		i++
	}
	jpath := f.path + JournalSuffix
	if err := os.Truncate(jpath, 0); err != nil {
		t.Fatal(err)
	}
	acked := i
	for k := 0; k < 3; k++ {
		if err := f.log.Append(ctx, sample(i)); err != nil {
			t.Logf("append %d: %v", i, err)
		} else {
			acked++
		}
		i++
	}
	if n := entriesAfterCrash(t, f, acked); n != int64(acked) {
		t.Errorf("log holds %d entries after the start, %d were acknowledged", n, acked)
	}
}

// entriesAfterCrash is how many entries the log holds after the machine
// goes down now (what the disk holds) and carex starts again; acked, the
// entries acknowledged, is for the message if the start fails.
func entriesAfterCrash(t *testing.T, f *fixture, acked int) int64 {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, f.snapshot(t), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, err := Open(ctx, db.Writer(), db.Reader(), Options{Signer: f.signer})
	if err != nil {
		t.Fatalf("start after the crash (%d acknowledged): %v", acked, err)
	}
	defer l.Close()
	n, _ := l.Size(ctx)
	return n
}
