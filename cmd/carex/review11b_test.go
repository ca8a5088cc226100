package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReview11bExportDoesNotOverwriteTheLogsKeysAndCheckpoints: review 10d
// made audit export refuse an --out that is one of --db's database files
// or any SQLite database, but it still truncated every other file: the
// checkpoint saved outside the database (audit checkpoint --out, serve
// --checkpoint-copy, the evidence verify --checkpoint holds the log to),
// the log's signing key (--log-key) and its public key, and the access
// journal of another database (its acknowledged entries not yet in its
// tables). An IG officer's tab completion in the folder where these are
// kept destroyed them, exit 0. An existing --out is now overwritten only
// when it is empty or an earlier export (its first line an AuditEvent).
func TestReview11bExportDoesNotOverwriteTheLogsKeysAndCheckpoints(t *testing.T) {
	dir := t.TempDir()
	db, devKey, logKey := filepath.Join(dir, "c.db"), filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	other := filepath.Join(dir, "other.db")
	for _, d := range []string{db, other} {
		addr := e2eFreeAddr(t)
		s := e2eServe(t, addr, "--dev", "--addr", addr, "--db", d, "--dev-key", devKey, "--log-key", logKey)
		if code, body := s.get(t, "/fhir/Patient?_count=1", e2eToken(t, devKey)); code != 200 {
			t.Fatalf("search: %d %s", code, body)
		}
		if code := s.stop(t); code != 0 {
			t.Fatalf("serve exit %d", code)
		}
	}
	saved := filepath.Join(dir, "c.checkpoint")
	if code, out, errs := e2eRun(t, "audit", "checkpoint", "--db", db, "--pubkey", logKey+".pub", "--out", saved); code != 0 {
		t.Fatalf("checkpoint: %d %s %s", code, out, errs)
	}
	journal := accessLogPath(other) + "-audit"
	for _, out := range []string{saved, logKey, logKey + ".pub", journal} {
		before, err := os.ReadFile(out)
		if err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		if len(before) == 0 {
			t.Fatalf("%s is empty before the export", out)
		}
		code, _, errs := e2eRun(t, "audit", "export", "--db", db, "--out", out)
		after, _ := os.ReadFile(out)
		if code == 0 || string(after) != string(before) || !strings.Contains(errs, "--out") {
			t.Errorf("export --out %s: exit %d, %d bytes before, %d after: %s", filepath.Base(out), code, len(before), len(after), errs)
		}
	}
	if code, out, errs := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", logKey+".pub", "--checkpoint", saved); code != 0 {
		t.Errorf("verify against the saved checkpoint after the exports: exit %d\n%s%s", code, out, errs)
	}
	// An earlier export and an empty file are replaced, as before.
	nd := filepath.Join(dir, "log.ndjson")
	if err := os.WriteFile(filepath.Join(dir, "empty.ndjson"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{nd, nd, filepath.Join(dir, "empty.ndjson")} {
		if code, _, errs := e2eRun(t, "audit", "export", "--db", db, "--out", out); code != 0 {
			t.Fatalf("export --out %s: exit %d %s", out, code, errs)
		}
	}
}

