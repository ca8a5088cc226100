package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestImportRefusesCarexsOwnFiles: carex import was given the records
// database itself (or its write-ahead log, its WAL index, the access log's
// database) as a file to import — carex.db a tab-completion away from
// carex.json. It opened the store, then read the file as FHIR JSON: closing
// that descriptor drops every SQLite lock the import process holds on the
// file (POSIX locks are per process and file; review 16c), and the import
// failed only at parsing. Now each input is checked before the store opens:
// one of carex's database files, or any SQLite database, is refused with a
// message that names it, and nothing is imported.
func TestImportRefusesCarexsOwnFiles(t *testing.T) {
	db, _, _ := servedLog(t, 1) // served once, so its -wal, -shm and access log exist
	dir := filepath.Dir(db)
	good := r10dWrite(t, dir, "jane.json", r10dJane)
	other := filepath.Join(t.TempDir(), "other.sqlite")
	if code, _, errs := e2eRun(t, "import", "--db", other, "--org", "A81001", "--quiet", good); code != 0 {
		t.Fatalf("premise: importing into another database: exit %d %s", code, errs)
	}
	for _, in := range []string{db, db + "-wal", db + "-shm", accessLogPath(db), other} {
		if _, err := os.Stat(in); err != nil {
			continue // not made by this run (a checkpoint may have removed the -wal)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var out, errb syncBuffer
		code := run(ctx, []string{"import", "--db", db, "--org", "A81001", "--quiet", good, in}, &out, &errb)
		cancel()
		if code == 0 || !strings.Contains(errb.String(), filepath.Base(in)) || !strings.Contains(errb.String(), "database") {
			t.Errorf("import %s into %s: exit %d, stderr %q; want a refusal naming it as a database file", in, db, code, errb.String())
		}
		if strings.Contains(out.String(), "Patient") {
			t.Errorf("import %s: something was imported before the refusal: %s", in, out.String())
		}
	}
}
