package api_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/carex-project/carex/store/auditlog"
)

// TestAccessLogFailureSaysWhatWasStored (review 5a): a change is committed
// before its access-log entry is written, so when the entry cannot be
// written (here the disk refuses to grow the access journal, as a full
// disk does) the change is stored though the answer is a 500. The answer
// must say so — a client told only "internal error" sends the change
// again — and a read in the same state must say nothing was released.
// The change's entry is kept with it, for the next start to log
// (TestChangeStoredWithoutItsEntryIsLoggedAtStart).
func TestAccessLogFailureSaysWhatWasStored(t *testing.T) {
	var l *auditlog.Log
	e := newEnv(t, withAccessLog(t, &l))
	sys := e.token("system", "nhs", "A81001")
	journal := strings.TrimSuffix(e.db.Path(), ".db") + "-access.db" + auditlog.JournalSuffix
	// The journal's 1 MiB fills after ~255 single-entry writes; growing it
	// then fails (the file can no longer be opened for writing by name).
	if err := os.Rename(journal, journal+".moved"); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(journal, 0o700); err != nil {
		t.Fatal(err)
	}
	var failed resp
	var failedID string
	for i := range 400 {
		id := fmt.Sprintf("w%d", i)
		failedID = id
		body := `{"resourceType":"Patient","id":"` + id + `","name":[{"family":"Write"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`
		if failed = e.do("PUT", "/fhir/Patient/"+id, sys, body); failed.status == 500 {
			break
		}
		if failed.status != 201 {
			t.Fatalf("PUT %s: %d %s", id, failed.status, failed.body)
		}
	}
	if failed.status != 500 {
		t.Fatal("the access journal never needed to grow")
	}
	if !strings.Contains(failed.body, "the change was stored") || !strings.Contains(failed.body, "do not send it again") {
		t.Errorf("a stored change whose entry could not be written is answered as a plain failure: %s", failed.body)
	}
	kept, err := e.db.Intents(context.Background())
	if err != nil || len(kept) == 0 || !strings.Contains(string(kept[len(kept)-1].Entry), `"Patient/`+failedID+`/_history/1"`) {
		t.Errorf("the failed write's entry is not kept with it (%v): %d kept", err, len(kept))
	}
	r := e.do("GET", "/fhir/Patient/w0", sys, "")
	if r.status != 500 || !strings.Contains(r.body, "nothing was released") || strings.Contains(r.body, "Write") {
		t.Errorf("a read whose entry could not be written: %d %s", r.status, r.body)
	}
}
