package auditlog

import (
	"context"
	"errors"
	"testing"
)

// TestErrAfterTheJournalBreaks: a journal whose failed write cannot be
// undone takes no more entries until a restart; Err says so (for /readyz),
// and is nil before.
func TestErrAfterTheJournalBreaks(t *testing.T) {
	f := newFixture(t, Options{})
	f.fill(t, 3)
	if err := f.log.Err(); err != nil {
		t.Fatalf("Err of a working log: %v", err)
	}
	f.log.jmu.Lock()
	f.log.j.f.Close() // the device goes away: the write and its undoing fail
	f.log.jmu.Unlock()
	if err := f.log.Append(context.Background(), sample(3)); !errors.Is(err, errJournalBroken) {
		t.Fatalf("append to a journal whose file is gone: %v", err)
	}
	if err := f.log.Err(); !errors.Is(err, errJournalBroken) {
		t.Fatalf("Err after the journal broke: %v", err)
	}
}
