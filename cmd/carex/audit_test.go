package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/carex-project/carex/store/auditlog"
	"github.com/carex-project/carex/store/sqlite"
)

// TestMain keeps default key files (dev key, log key) out of the real
// home directory.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "carex-test-config-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CONFIG_HOME", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// TestAccessLogEndToEnd: every request to a running server, allowed or
// refused, leaves one entry; "carex audit verify" passes on the result and
// names the entry an attacker edited.
func TestAccessLogEndToEnd(t *testing.T) {
	dir := t.TempDir()
	s, db, devKey, logKey := e2eDevServer(t, dir)
	tok := e2eToken(t, devKey)
	if code, body := s.get(t, "/fhir/Patient?_count=1", tok); code != 200 {
		t.Fatalf("search: %d %s", code, body)
	}
	if code, _ := s.get(t, "/fhir/Patient/nobody", tok); code != 404 {
		t.Fatalf("read missing: %d", code)
	}
	if code, _ := s.get(t, "/fhir/Patient", ""); code != 401 {
		t.Fatalf("no token: %d", code)
	}
	if code, _ := s.get(t, "/healthz", ""); code != 200 {
		t.Fatal("healthz")
	}
	// An entry past the end, with the server running: the message says so.
	if code, _, errOut := e2eRun(t, "audit", "prove", "--db", db, "--pubkey", logKey+".pub", "--seq", "99"); code == 0 || !strings.Contains(errOut, "no entry 99") || !strings.Contains(errOut, "a server has this log open") {
		t.Errorf("prove past the end with a server running: exit %d, %s", code, errOut)
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve exit %d", code)
	}

	code, out, errOut := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", logKey+".pub")
	if code != 0 || !strings.Contains(out, "entries: 3") || !strings.Contains(out, "OK") {
		t.Fatalf("verify of an untouched log: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = e2eRun(t, "audit", "prove", "--db", db, "--pubkey", logKey+".pub", "--seq", "1")
	if code != 0 || !strings.Contains(out, "OK: entry 1 is included in the signed checkpoint of size 3") || !strings.Contains(out, `"status":404`) {
		t.Fatalf("prove entry 1: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = e2eRun(t, "audit", "prove", "--db", db, "--pubkey", logKey+".pub", "--seq", "2", "--json")
	var proof struct {
		Seq       int64    `json:"seq"`
		TreeSize  int64    `json:"treeSize"`
		AuditPath []string `json:"auditPath"`
	}
	if err := json.Unmarshal([]byte(out), &proof); code != 0 || err != nil || proof.Seq != 2 || proof.TreeSize != 3 || len(proof.AuditPath) == 0 {
		t.Fatalf("prove --json: exit %d %v\n%s%s", code, err, out, errOut)
	}
	// Past the end with no server: the log's size, and no talk of a server.
	code, _, errOut = e2eRun(t, "audit", "prove", "--db", db, "--pubkey", logKey+".pub", "--seq", "1234")
	if code == 0 || !strings.Contains(errOut, "has 3 entries, 0 to 2, so --seq must be below 3") || strings.Contains(errOut, "server") {
		t.Fatalf("prove of an entry that does not exist: exit %d, %s", code, errOut)
	}

	// The log is in its own database, not among the records...
	records, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := records.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'audit_log'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the record database holds access-log tables (%d, %v)", n, err)
	}
	records.Close()
	// ...which refuses edits through SQL...
	conn, err := sql.Open("sqlite", accessLogPath(db))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Exec(`UPDATE audit_log SET entry = entry WHERE seq = 1`); err == nil {
		t.Fatal("UPDATE on the access log succeeded")
	}
	if _, err := conn.Exec(`DELETE FROM audit_log WHERE seq = 2`); err == nil {
		t.Fatal("DELETE on the access log succeeded")
	}
	// ...so an attacker drops the triggers first, and verify catches the edit.
	rows, err := conn.Query(`SELECT name FROM sqlite_master WHERE type = 'trigger'`)
	if err != nil {
		t.Fatal(err)
	}
	var triggers []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		triggers = append(triggers, n)
	}
	rows.Close()
	for _, n := range triggers {
		if _, err := conn.Exec(`DROP TRIGGER "` + n + `"`); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := conn.Exec(`UPDATE audit_log SET entry = replace(entry, '"status":404', '"status":200') WHERE seq = 1`); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	code, out, _ = e2eRun(t, "audit", "verify", "--db", db, "--pubkey", logKey+".pub")
	if code == 0 || !strings.Contains(out, "FAILED at entry 1") {
		t.Fatalf("verify after an edit: exit %d\n%s", code, out)
	}
	code, out, _ = e2eRun(t, "audit", "prove", "--db", db, "--pubkey", logKey+".pub", "--seq", "1")
	if code == 0 || !strings.Contains(out, "FAILED: ") || !strings.Contains(out, "not in the signed checkpoint") {
		t.Fatalf("prove of an edited entry: exit %d\n%s", code, out)
	}
}

// TestCheckpointCopyEndToEnd: serve --checkpoint-copy keeps the newest
// signed checkpoint outside the database; a log emptied with its
// checkpoints verifies on its own, but not against that copy, and the
// server will not start on it.
func TestCheckpointCopyEndToEnd(t *testing.T) {
	dir := t.TempDir()
	db, devKey, logKey := filepath.Join(dir, "c.db"), filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	saved := filepath.Join(dir, "ig-share", "carex-checkpoint")
	addr := e2eFreeAddr(t)
	args0 := []string{"--dev", "--addr", addr, "--db", db, "--dev-key", devKey, "--log-key", logKey, "--checkpoint-copy", saved}
	if code, errOut := serveRefuses(t, args0...); code == 0 || !strings.Contains(errOut, "is the share mounted?") {
		t.Fatalf("serve with the copy's directory missing: exit %d\n%s", code, errOut)
	}
	if err := os.Mkdir(filepath.Dir(saved), 0o700); err != nil {
		t.Fatal(err)
	}
	args := []string{"--dev", "--addr", addr, "--db", db, "--dev-key", devKey, "--log-key", logKey, "--checkpoint-copy", saved}
	s := e2eServe(t, addr, args...)
	tok := e2eToken(t, devKey)
	for range 3 {
		if code, body := s.get(t, "/fhir/Patient?_count=1", tok); code != 200 {
			t.Fatalf("search: %d %s", code, body)
		}
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve exit %d", code)
	}
	copied, err := os.ReadFile(saved)
	if err != nil || !strings.Contains(string(copied), "\n3\n") {
		t.Fatalf("the copy after 3 requests: %q, %v", copied, err)
	}
	code, out, errOut := e2eRun(t, "audit", "checkpoint", "--db", db, "--pubkey", logKey+".pub")
	if code != 0 || out != string(copied) {
		t.Fatalf("audit checkpoint: exit %d\n%s%s\nwant the copy:\n%s", code, out, errOut, copied)
	}
	code, out, errOut = e2eRun(t, "audit", "verify", "--db", db, "--pubkey", logKey+".pub", "--checkpoint", saved)
	if code != 0 || !strings.Contains(out, "3 entries, extended by the log") {
		t.Fatalf("verify against the copy: exit %d\n%s%s", code, out, errOut)
	}

	conn, err := sql.Open("sqlite", accessLogPath(db))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The append-only triggers, which an attacker drops first and, since
	// verify checks the schema, puts back afterwards.
	var drops, creates string
	if err := conn.QueryRow(`SELECT group_concat('DROP TRIGGER "' || name || '"', ';'), group_concat(sql, ';') FROM sqlite_master WHERE type = 'trigger'`).Scan(&drops, &creates); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(drops); err != nil {
		t.Fatal(err)
	}
	for _, tab := range []string{"audit_log", "audit_tree_chunk", "audit_checkpoint", "audit_patient"} {
		if _, err := conn.Exec(`DELETE FROM ` + tab); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := conn.Exec(creates); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if code, out, _ := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", logKey+".pub"); code != 0 || !strings.Contains(out, "entries: 0") {
		t.Fatalf("an emptied log should verify on its own (the gap the copy closes): exit %d\n%s", code, out)
	}
	code, out, _ = e2eRun(t, "audit", "verify", "--db", db, "--pubkey", logKey+".pub", "--checkpoint", saved)
	if code == 0 || !strings.Contains(out, "log truncated") {
		t.Fatalf("verify of an emptied log against the copy: exit %d\n%s", code, out)
	}
	code, errOut = serveRefuses(t, args...)
	t.Logf("serve refuses: %s", errOut)
	if code == 0 || !strings.Contains(errOut, "information-governance incident") || !strings.Contains(errOut, "entries 0..2 were removed") ||
		!strings.Contains(errOut, "--pubkey "+logKey+".pub") {
		t.Fatalf("serve on an emptied log: exit %d\n%s", code, errOut)
	}
	if again, _ := os.ReadFile(saved); string(again) != string(copied) {
		t.Fatal("the refused server overwrote the copy")
	}
	// A copy at one of carex's own files is refused before anything is
	// written (it would replace the journal, or the lock file every
	// writing process holds, which relabel relies on).
	for _, f := range []string{accessLogPath(db) + "-audit", db + "-lock"} {
		own := append(append([]string{}, args[:len(args)-1]...), f)
		if code, errOut := serveRefuses(t, own...); code == 0 || !strings.Contains(errOut, "one of carex's own files") {
			t.Fatalf("--checkpoint-copy at %s: exit %d\n%s", f, code, errOut)
		}
	}
}

// serveRefuses runs carex serve expecting it to refuse to start; a server
// that starts after all is stopped after 20 s instead of hanging the test.
func serveRefuses(t *testing.T, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	code := run(ctx, append([]string{"serve"}, args...), &out, &errb)
	if ctx.Err() != nil {
		t.Fatalf("carex serve started and ran until stopped; it should have refused\n%s", errb.String())
	}
	return code, errb.String()
}

// TestCheckpointCopyMustExist: with --checkpoint-copy naming no file and a
// log that holds entries, serve refuses (the copy is gone, or copies start
// now and the first must come from a checked log); audit checkpoint --out
// makes that first copy, and will not replace a copy with the checkpoint of
// a log that does not extend it.
func TestCheckpointCopyMustExist(t *testing.T) {
	dir := t.TempDir()
	db, devKey, logKey := filepath.Join(dir, "c.db"), filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	saved := filepath.Join(dir, "carex-checkpoint")
	addr := e2eFreeAddr(t)
	args := []string{"--dev", "--addr", addr, "--db", db, "--dev-key", devKey, "--log-key", logKey}
	s := e2eServe(t, addr, args...)
	if code, _ := s.get(t, "/fhir/metadata/x", e2eToken(t, devKey)); code == 0 {
		t.Fatal("no answer")
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve exit %d", code)
	}
	withCopy := append(args, "--checkpoint-copy", saved)
	code, errOut := serveRefuses(t, withCopy...)
	if code == 0 || !strings.Contains(errOut, "does not exist and the log has 1 entries") || !strings.Contains(errOut, "audit checkpoint --db") {
		t.Fatalf("serve with no copy and a log: exit %d\n%s", code, errOut)
	}
	if code, out, errOut := e2eRun(t, "audit", "checkpoint", "--db", db, "--pubkey", logKey+".pub", "--out", saved); code != 0 {
		t.Fatalf("audit checkpoint --out: exit %d %s%s", code, out, errOut)
	}
	s = e2eServe(t, addr, withCopy...)
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve with the first copy: exit %d\n%s", code, s.stderr.String())
	}
	good, _ := os.ReadFile(saved)

	// Another log signed with the same key (a rewrite by someone holding
	// it): audit checkpoint --out does not replace the copy with its head.
	other := filepath.Join(dir, "other.db")
	ctx := context.Background()
	signer, _, err := auditlog.LoadOrCreateKey(logKey, logKeyName)
	if err != nil {
		t.Fatal(err)
	}
	w, r, err := sqlite.OpenConns(accessLogPath(other), 0)
	if err != nil {
		t.Fatal(err)
	}
	l, err := auditlog.Open(ctx, w, r, auditlog.Options{Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := l.Append(ctx, &auditlog.Entry{RequestID: fmt.Sprint("forged", i), Operation: "read", Decision: "permit", Status: 200}); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	w.Close()
	r.Close()
	code, out, _ := e2eRun(t, "audit", "checkpoint", "--db", other, "--pubkey", logKey+".pub", "--out", saved)
	if code == 0 || !strings.Contains(out, "FAILED") || !strings.Contains(out, "rewritten") {
		t.Fatalf("audit checkpoint --out over a copy the log does not extend: exit %d\n%s", code, out)
	}
	if again, _ := os.ReadFile(saved); string(again) != string(good) {
		t.Fatal("audit checkpoint --out replaced the copy")
	}
}

// TestAccessLogMovesOut: a record database that still holds the access log
// (carex before the log had its own database) has it moved out when the
// server opens it, journal included, and audit verify passes on the result.
func TestAccessLogMovesOut(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, logKey := filepath.Join(dir, "old.db"), filepath.Join(dir, "log-key")
	st, err := sqlite.Open(ctx, db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	signer, _, err := auditlog.LoadOrCreateKey(logKey, logKeyName)
	if err != nil {
		t.Fatal(err)
	}
	old, err := auditlog.Open(ctx, st.Writer(), st.Reader(), auditlog.Options{Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := old.Append(ctx, &auditlog.Entry{RequestID: fmt.Sprint("r", i), Operation: "read", Decision: "permit", Status: 200}); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()
	st.Close()

	st, err = sqlite.Open(ctx, db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	l, err := openAccessLog(ctx, st, logKey, "", false, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := l.Size(ctx); n != 5 || err != nil {
		t.Fatalf("the moved log has %d entries (%v), want 5", n, err)
	}
	l.Close()
	if has, err := auditlog.HasLog(ctx, st.Writer()); has || err != nil {
		t.Fatalf("the record database still holds the log (%v, %v)", has, err)
	}
	if _, err := os.Stat(db + auditlog.JournalSuffix); !os.IsNotExist(err) {
		t.Fatalf("the old journal is still there: %v", err)
	}
	if code, out, errOut := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", logKey+".pub"); code != 0 || !strings.Contains(out, "entries: 5") {
		t.Fatalf("verify after the move: exit %d\n%s%s", code, out, errOut)
	}
}

// TestAuditWarnsOfALogLeftBehind: when the record database still holds a
// log of its own beside carex-access.db, the audit commands say which one
// they read.
func TestAuditWarnsOfALogLeftBehind(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, logKey := filepath.Join(dir, "left.db"), filepath.Join(dir, "log-key")
	signer, _, err := auditlog.LoadOrCreateKey(logKey, logKeyName)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w, r, err := sqlite.OpenConns(accessLogPath(db), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, conns := range [][2]*sql.DB{{st.Writer(), st.Reader()}, {w, r}} {
		l, err := auditlog.Open(ctx, conns[0], conns[1], auditlog.Options{Signer: signer})
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Append(ctx, &auditlog.Entry{RequestID: "r", Operation: "read", Decision: "permit", Status: 200}); err != nil {
			t.Fatal(err)
		}
		l.Close()
	}
	r.Close()
	w.Close()
	st.Close()
	code, out, errOut := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", logKey+".pub")
	if code != 0 || !strings.Contains(errOut, "still holds an access log of its own") || !strings.Contains(errOut, accessLogPath(db)) {
		t.Fatalf("verify with a log left behind: exit %d\n%s%s", code, out, errOut)
	}
}
