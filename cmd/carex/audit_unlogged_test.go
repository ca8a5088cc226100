package main

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/store/auditlog"
	"github.com/carex-project/carex/store/sqlite"
)

// TestVerifyCountsChangesWithoutEntries: after a crash between a change's
// commit and its access-log entry, the entry is kept with the change, and
// carex serve adds it at its next start. Until then carex audit verify
// says how many there are (the log itself verifies: nothing in it was
// changed); a copy whose own entry is in the log is not counted.
func TestVerifyCountsChangesWithoutEntries(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, devKey, logKey := filepath.Join(dir, "c.db"), filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	addr := e2eFreeAddr(t)
	s := e2eServe(t, addr, "--dev", "--addr", addr, "--db", db, "--dev-key", devKey, "--log-key", logKey)
	tok := e2eToken(t, devKey)
	req, _ := http.NewRequest("PUT", s.base+"/fhir/Patient/p1", strings.NewReader(`{"resourceType":"Patient","id":"p1","generalPractitioner":[{"reference":"Organization/A81001"}]}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/fhir+json")
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("PUT: %v %v", res, err)
	}
	res.Body.Close()
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve exit %d", code)
	}
	code, out, errOut := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", logKey+".pub")
	if code != 0 || strings.Contains(out, "without their own access-log entries") {
		t.Fatalf("verify after a clean stop: exit %d\n%s%s", code, out, errOut)
	}

	// The PUT's entry, and the id of the copy that was kept with it.
	logConn, err := openReadOnly(accessLogPath(db))
	if err != nil {
		t.Fatal(err)
	}
	var put *auditlog.Entry
	if err := auditlog.Scan(ctx, logConn, auditlog.Query{}, func(e *auditlog.Entry) error {
		if len(e.Kept) > 0 {
			put = e
		}
		return nil
	}); err != nil || put == nil {
		t.Fatalf("no entry carries a kept copy's id: %v", err)
	}
	logConn.Close()
	// Two copies as a crash leaves them: the PUT's (its entry is in the
	// log) and one of a change whose entry never got there.
	records, err := sqlite.Open(ctx, db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	lost := *put
	lost.Kept, lost.RequestID = nil, "lost-request"
	for id, e := range map[string]*auditlog.Entry{put.Kept[0]: put, "lost-1": &lost} {
		enc, err := auditlog.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		kept, _ := json.Marshal(map[string]any{"since": 0, "entry": json.RawMessage(enc)})
		if _, err := records.Writer().Exec(`INSERT INTO write_intents (id, entry) VALUES (?, ?)`, id, kept); err != nil {
			t.Fatal(err)
		}
	}
	records.Close()

	code, out, errOut = e2eRun(t, "audit", "verify", "--db", db, "--pubkey", logKey+".pub")
	want := "note: 1 changes are stored without their own access-log entries"
	if code != 0 || !strings.Contains(out, want) || !strings.Contains(out, api.ReasonEntryRecovered) || !strings.Contains(out, "OK") {
		t.Fatalf("verify with a change's entry kept only with it: exit %d, want %q\n%s%s", code, want, out, errOut)
	}

	// The next start adds it; verify no longer counts it.
	s = e2eServe(t, addr, "--dev", "--addr", addr, "--db", db, "--dev-key", devKey, "--log-key", logKey)
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve exit %d", code)
	}
	code, out, errOut = e2eRun(t, "audit", "verify", "--db", db, "--pubkey", logKey+".pub")
	if code != 0 || strings.Contains(out, "without their own access-log entries") {
		t.Fatalf("verify after the restart: exit %d\n%s%s", code, out, errOut)
	}
}
