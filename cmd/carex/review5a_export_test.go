package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/store/auditlog"
	"github.com/carex-project/carex/store/sqlite"
)

// Review 5a: the access log's audit commands against a log as a crash or
// an insider leaves it.

// review5aCrashedLog writes `tables` entries into the access log's tables
// and `journal` more that are durable only in its journal (acknowledged,
// not yet copied in: the state kill -9 or a power cut leaves for up to
// 100 ms of requests, or longer when SQLite is slow), and returns a copy of
// the files as the crash left them: the --db path for the audit commands
// and the log's public key.
func review5aCrashedLog(t *testing.T, tables, journal int) (db, pub string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db = filepath.Join(dir, "c.db")
	keyPath := filepath.Join(dir, "log-key")
	signer, _, err := auditlog.LoadOrCreateKey(keyPath, logKeyName)
	if err != nil {
		t.Fatal(err)
	}
	w, r, err := sqlite.OpenConns(accessLogPath(db), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	defer r.Close()
	l, err := auditlog.Open(ctx, w, r, auditlog.Options{Signer: signer, IndexDelay: time.Hour, IndexBatch: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	entry := func(i int) *auditlog.Entry {
		return &auditlog.Entry{RequestID: fmt.Sprintf("req-%d", i), Sub: "gp1", Role: "gp", Org: "A81001", Sector: "nhs",
			Purpose: "TREAT", Operation: "read", Method: "GET", Path: "/fhir/Patient/p1", ResourceType: "Patient",
			ResourceID: "p1", Patient: "p1", Released: []string{"Patient/p1/_history/1"}, Decision: "permit", Status: 200}
	}
	for i := range tables {
		if err := l.Append(ctx, entry(i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Checkpoint(ctx); err != nil { // copies them in and signs
		t.Fatal(err)
	}
	for i := tables; i < tables+journal; i++ {
		if err := l.Append(ctx, entry(i)); err != nil {
			t.Fatal(err)
		}
	}
	// The crash: copy the files as they are now.
	crash := t.TempDir()
	for _, f := range []string{accessLogPath(db), accessLogPath(db) + "-wal", accessLogPath(db) + "-shm", accessLogPath(db) + auditlog.JournalSuffix, keyPath + ".pub"} {
		b, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(crash, filepath.Base(f)), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(crash, "c.db"), filepath.Join(crash, "log-key.pub")
}

// TestReview5aExportAfterCrashOmitsJournal: after a crash, before carex is
// started again, an IG officer runs verify (which counts the acknowledged
// entries still in the journal: "entries 10..14 are in the journal") and
// export. SPEC §2: "carex audit export writes it" — the access log. Export
// reads only the tables: the last acknowledged accesses are missing from
// the export, and nothing says so (exit 0, no warning).
func TestReview5aExportAfterCrashOmitsJournal(t *testing.T) {
	db, pub := review5aCrashedLog(t, 10, 5)
	code, out, errOut := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", pub)
	if code != 0 || !strings.Contains(out, "entries 10..14 are in the journal") {
		t.Fatalf("verify of the crashed log: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = e2eRun(t, "audit", "export", "--db", db, "--pubkey", pub)
	lines := strings.Count(out, "\n")
	if code != 0 || lines != 15 || !strings.Contains(out, `req-14`) {
		t.Fatalf("export: exit %d, %d AuditEvents; verify counted 15 acknowledged entries (5 in the journal)\nstderr: %q", code, lines, errOut)
	}
	// Within --since/--until, the journal's entries are filtered too.
	code, out, errOut = e2eRun(t, "audit", "export", "--db", db, "--pubkey", pub, "--until", "2000-01-01")
	if code != 0 || out != "" {
		t.Fatalf("export --until 2000-01-01: exit %d, %q %s", code, out, errOut)
	}
}
