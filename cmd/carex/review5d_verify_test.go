package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carex-project/carex/store/sqlite"
)

// TestReview5dVerifyPassesADeletedAccessLog: 1d534e1 makes carex audit
// verify report an absent access log as "OK … the access log is empty" (a
// database loaded by carex import and never served), FAILED only if its
// journal or a checkpoint passed with --checkpoint shows entries. An
// insider who deletes the access log's database and its journal (two
// files beside the records) so gets exit 0 and "OK" from the IG officer's
// check of a served log that held entries — before 1d534e1 verify failed
// (no such table). verify cannot tell this from a fresh import, so it
// should not call it OK without being asked to (e.g. a flag saying the
// database was never served).
func TestReview5dVerifyPassesADeletedAccessLog(t *testing.T) {
	db, pub := review5aCrashedLog(t, 10, 0)
	// (its records made first: carex will not make them anew beside a log,
	// review 49b)
	if rdb, err := sqlite.Open(context.Background(), db, sqlite.Options{}); err != nil {
		t.Fatal(err)
	} else {
		rdb.Close()
	}
	file := filepath.Join(t.TempDir(), "p.json")
	if err := os.WriteFile(file, []byte(`{"resourceType":"Patient","id":"p1"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := e2eRun(t, "import", "--quiet", "--db", db, "--org", "A81001", file); code != 0 {
		t.Fatalf("import: exit %d %s", code, errOut)
	}
	if code, out, errOut := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", pub); code != 0 || !strings.Contains(out, "entries: 10") {
		t.Fatalf("verify of the served log: exit %d\n%s%s", code, out, errOut)
	}
	// The insider removes the log's files.
	for _, suffix := range []string{"", "-wal", "-shm", "-audit"} {
		os.Remove(accessLogPath(db) + suffix)
	}
	code, out, errOut := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", pub)
	if code == 0 {
		t.Errorf("the access log (10 entries) was deleted, yet audit verify exits 0:\n%s%s", out, errOut)
	}
}
