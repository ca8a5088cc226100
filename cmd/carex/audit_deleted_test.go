package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/store/auditlog"
	"github.com/carex-project/carex/store/sqlite"
)

// Review 5d: records that have had an access log say so (carex_meta), so
// that a log deleted since is told from one never made.

// servedLog serves a new database once, with n requests, and stops it.
func servedLog(t *testing.T, n int) (db, devKey, logKey string) {
	t.Helper()
	dir := t.TempDir()
	db, devKey, logKey = filepath.Join(dir, "c.db"), filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	addr := e2eFreeAddr(t)
	s := e2eServe(t, addr, "--dev", "--addr", addr, "--db", db, "--dev-key", devKey, "--log-key", logKey)
	tok := e2eToken(t, devKey)
	for range n {
		if code, body := s.get(t, "/fhir/Patient?_count=1", tok); code != 200 {
			t.Fatalf("search: %d %s", code, body)
		}
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve exit %d: %s", code, s.stderr.String())
	}
	return db, devKey, logKey
}

// removeLog deletes the access log's database and its journal.
func removeLog(t *testing.T, db string) {
	t.Helper()
	for _, suffix := range []string{"", "-wal", "-shm", auditlog.JournalSuffix} {
		if err := os.Remove(accessLogPath(db) + suffix); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
}

// serveRefused runs carex serve and expects it to refuse to start.
func serveRefused(t *testing.T, db, devKey, logKey string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	addr := e2eFreeAddr(t)
	code := run(ctx, []string{"serve", "--dev", "--addr", addr, "--db", db, "--dev-key", devKey, "--log-key", logKey}, &out, &errb)
	if code == 0 || ctx.Err() != nil {
		t.Fatalf("serve started (exit %d):\n%s", code, errb.String())
	}
	return errb.String()
}

// checkGone: every audit command and serve say the log was deleted or
// replaced, and serve leaves no new log behind.
func checkGone(t *testing.T, db, devKey, logKey string) {
	t.Helper()
	pub := logKey + ".pub"
	code, out, errOut := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", pub)
	if code == 0 || !strings.Contains(out, "FAILED: the access log was deleted or replaced") || !strings.Contains(out, "from a backup") {
		t.Errorf("verify: exit %d\n%s%s", code, out, errOut)
	}
	for _, args := range [][]string{{"checkpoint", "--pubkey", pub}, {"prove", "--seq", "0", "--pubkey", pub}} {
		a := append(append([]string{"audit"}, args...), "--db", db)
		if code, out, errOut := e2eRun(t, a...); code == 0 || !strings.Contains(out, "deleted or replaced") || strings.Contains(out+errOut, "is empty") {
			t.Errorf("audit %s: exit %d\n%s%s", args[0], code, out, errOut)
		}
	}
	if code, out, errOut := e2eRun(t, "audit", "export", "--db", db); code == 0 || !strings.Contains(errOut, "deleted or replaced") || out != "" {
		t.Errorf("audit export: exit %d\n%s%s", code, out, errOut)
	}
	_, statErr := os.Stat(accessLogPath(db))
	errOut = serveRefused(t, db, devKey, logKey)
	if !strings.Contains(errOut, "deleted or replaced") || !strings.Contains(errOut, "will not start a new, empty access log") {
		t.Errorf("serve: %s", errOut)
	}
	if _, err := os.Stat(accessLogPath(db)); os.IsNotExist(statErr) && !os.IsNotExist(err) {
		t.Errorf("serve refused, yet created %s", accessLogPath(db))
	}
}

func TestDeletedAccessLogIsDetected(t *testing.T) {
	db, devKey, logKey := servedLog(t, 3)
	// A backup, kept aside.
	backup := t.TempDir()
	for _, suffix := range []string{"", auditlog.JournalSuffix} {
		if b, err := os.ReadFile(accessLogPath(db) + suffix); err == nil {
			os.WriteFile(filepath.Join(backup, "log"+suffix), b, 0o600)
		}
	}
	removeLog(t, db)
	checkGone(t, db, devKey, logKey)

	// Restored from the backup: verify passes and serve starts again.
	for _, suffix := range []string{"", auditlog.JournalSuffix} {
		if b, err := os.ReadFile(filepath.Join(backup, "log"+suffix)); err == nil {
			os.WriteFile(accessLogPath(db)+suffix, b, 0o600)
		}
	}
	if code, out, errOut := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", logKey+".pub"); code != 0 || !strings.Contains(out, "entries: 3") {
		t.Fatalf("verify of the restored log: exit %d\n%s%s", code, out, errOut)
	}
	addr := e2eFreeAddr(t)
	s := e2eServe(t, addr, "--dev", "--addr", addr, "--db", db, "--dev-key", devKey, "--log-key", logKey)
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve on the restored log: exit %d %s", code, s.stderr.String())
	}
}

// A log with no entries (served, never asked anything) is still a log that
// was served: its deletion is detected too.
func TestDeletedEmptyAccessLogIsDetected(t *testing.T) {
	db, devKey, logKey := servedLog(t, 0)
	if code, out, errOut := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", logKey+".pub"); code != 0 || !strings.Contains(out, "OK") {
		t.Fatalf("verify of a served log with no entries: exit %d\n%s%s", code, out, errOut)
	}
	removeLog(t, db)
	checkGone(t, db, devKey, logKey)
}

// An access-log database replaced by an empty file, or by a SQLite
// database without the log, is the log deleted.
func TestReplacedAccessLogIsDetected(t *testing.T) {
	db, devKey, logKey := servedLog(t, 2)
	removeLog(t, db)
	if err := os.WriteFile(accessLogPath(db), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	checkGone(t, db, devKey, logKey)
}

// A log an earlier carex made has no record in the records database: the
// first carex command that opens the records for writing records it.
func TestAccessLogOfAnEarlierReleaseIsRecorded(t *testing.T) {
	db, devKey, logKey := servedLog(t, 2)
	forgetLog(t, db) // as an earlier release left it: no record
	if code, _, errOut := e2eRun(t, "relabel", "--db", db); code != 0 {
		t.Fatalf("relabel: exit %d %s", code, errOut)
	}
	removeLog(t, db)
	checkGone(t, db, devKey, logKey)
}

// A log an earlier carex made and someone emptied before this carex saw
// it: the file left in its place is recorded as the log (import does not
// fail on it), and fails verify.
func TestEmptiedLogOfAnEarlierReleaseIsRecorded(t *testing.T) {
	db, devKey, logKey := servedLog(t, 2)
	forgetLog(t, db)
	removeLog(t, db)
	if err := os.WriteFile(accessLogPath(db), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "p.json")
	if err := os.WriteFile(file, []byte(`{"resourceType":"Patient","id":"p9"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := e2eRun(t, "import", "--quiet", "--db", db, "--org", "A81001", file); code != 0 {
		t.Fatalf("import: exit %d %s", code, errOut)
	}
	checkGone(t, db, devKey, logKey)
}

// Records that never had a log stay an empty log, including after a
// serve with --bench-no-privacy, which keeps none.
func TestNoLogWithoutPrivacyStaysEmpty(t *testing.T) {
	dir := t.TempDir()
	db, devKey := filepath.Join(dir, "c.db"), filepath.Join(dir, "dev.pem")
	file := filepath.Join(dir, "p.json")
	if err := os.WriteFile(file, []byte(`{"resourceType":"Patient","id":"p1"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := e2eRun(t, "import", "--quiet", "--db", db, "--org", "A81001", file); code != 0 {
		t.Fatalf("import: exit %d %s", code, errOut)
	}
	addr := e2eFreeAddr(t)
	s := e2eServe(t, addr, "--dev", "--bench-no-privacy", "--addr", addr, "--db", db, "--dev-key", devKey, "--log-key", filepath.Join(dir, "log-key"))
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve --bench-no-privacy: exit %d %s", code, s.stderr.String())
	}
	_, vkey, err := auditlog.GenerateKey("carex-test-log")
	if err != nil {
		t.Fatal(err)
	}
	pub := filepath.Join(dir, "other.pub")
	if err := os.WriteFile(pub, []byte(vkey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", pub); code != 0 || !strings.Contains(out, "the access log is empty") {
		t.Errorf("verify: exit %d\n%s%s", code, out, errOut)
	}
}

// forgetLog removes the records' note that they have an access log, as
// records an earlier release served have none.
func forgetLog(t *testing.T, db string) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Writer().ExecContext(ctx, `DELETE FROM carex_meta`); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := sqlite.AccessLogSince(ctx, st.Reader()); err != nil || ok {
		t.Fatalf("record after delete: %v %v", ok, err)
	}
}
