package main

import (
	"crypto/sha256"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// Review 90a: the access log as a tamper-evident record (SPEC §6, §7),
// attacked as a rogue database administrator would: a real server, real
// tokens, then edits to carex-access.db with the server stopped, and
// carex audit verify / export / serve on the result.

// r90aLog serves a dev-mode carex on a new database, makes six requests
// with a GP's token (entry 2 is the read of Patient/jane the insider wants
// to hide), stops it and returns the paths. The shutdown checkpoint covers
// all six entries.
func r90aLog(t *testing.T) (db, devKey, logKey string) {
	t.Helper()
	dir := t.TempDir()
	s, db, devKey, logKey := e2eDevServer(t, dir)
	tok := e2eToken(t, devKey)
	for _, p := range []string{"/fhir/Patient?_count=1", "/fhir/Patient/bob", "/fhir/Patient/jane", "/fhir/Patient/carol", "/fhir/Patient/dave", "/fhir/Patient/erin"} {
		if code, body := s.get(t, p, tok); code != 200 && code != 404 {
			t.Fatalf("GET %s: %d %s", p, code, body)
		}
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve exit %d", code)
	}
	if code, out, errOut := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", logKey+".pub"); code != 0 || !strings.Contains(out, "entries: 6") {
		t.Fatalf("verify of the untouched log: exit %d\n%s%s", code, out, errOut)
	}
	return db, devKey, logKey
}

// r90aTamper opens the access log, drops its append-only triggers, runs fn,
// and puts the triggers back (verify checks the schema), as an insider
// with shell access would.
func r90aTamper(t *testing.T, db string, fn func(conn *sql.DB)) {
	t.Helper()
	conn, err := sql.Open("sqlite", accessLogPath(db))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetMaxOpenConns(1)
	var drops, creates string
	if err := conn.QueryRow(`SELECT group_concat('DROP TRIGGER "' || name || '"', ';'), group_concat(sql, ';') FROM sqlite_master WHERE type = 'trigger'`).Scan(&drops, &creates); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(drops); err != nil {
		t.Fatal(err)
	}
	fn(conn)
	if _, err := conn.Exec(creates); err != nil {
		t.Fatal(err)
	}
}

// r90aEdit replaces old with new in entry seq's bytes (and its query
// columns alike). With rehash, its leaf hash and the chain hashes of it
// and every later entry are recomputed (the Merkle tree and checkpoints
// are left as they are).
func r90aEdit(t *testing.T, conn *sql.DB, seq int64, old, new string, rehash bool) {
	t.Helper()
	var entry []byte
	if err := conn.QueryRow(`SELECT entry FROM audit_log WHERE seq = ?`, seq).Scan(&entry); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(entry), old) {
		t.Fatalf("entry %d holds no %q: %s", seq, old, entry)
	}
	edited := []byte(strings.Replace(string(entry), old, new, 1))
	if _, err := conn.Exec(`UPDATE audit_log SET entry = ?, patient = COALESCE(json_extract(?, '$.patient'), patient) WHERE seq = ?`, edited, string(edited), seq); err != nil {
		t.Fatal(err)
	}
	if !rehash {
		return
	}
	var prev []byte
	if seq > 0 {
		if err := conn.QueryRow(`SELECT chain_hash FROM audit_log WHERE seq = ?`, seq-1).Scan(&prev); err != nil {
			t.Fatal(err)
		}
	} else {
		prev = make([]byte, 32)
	}
	rows, err := conn.Query(`SELECT seq, entry FROM audit_log WHERE seq >= ? ORDER BY seq`, seq)
	if err != nil {
		t.Fatal(err)
	}
	type upd struct {
		seq         int64
		leaf, chain []byte
	}
	var ups []upd
	for rows.Next() {
		var s int64
		var e []byte
		if err := rows.Scan(&s, &e); err != nil {
			t.Fatal(err)
		}
		leaf := sha256.Sum256(append([]byte{0}, e...))
		chain := sha256.Sum256(append(append([]byte{}, prev...), leaf[:]...))
		ups = append(ups, upd{s, leaf[:], chain[:]})
		prev = chain[:]
	}
	rows.Close()
	for _, u := range ups {
		if _, err := conn.Exec(`UPDATE audit_log SET leaf_hash = ?, chain_hash = ? WHERE seq = ?`, u.leaf, u.chain, u.seq); err != nil {
			t.Fatal(err)
		}
	}
}

func r90aVerify(t *testing.T, db, logKey string, extra ...string) (int, string) {
	t.Helper()
	code, out, errOut := e2eRun(t, append([]string{"audit", "verify", "--db", db, "--pubkey", logKey + ".pub"}, extra...)...)
	return code, out + errOut
}

// TestReview90aSoundEditOneFieldNamed: one field of entry 2 edited in SQL
// (the patient read, the status, the user) fails verify at entry 2.
func TestReview90aSoundEditOneFieldNamed(t *testing.T) {
	for _, c := range []struct{ old, new string }{
		{`"patient":"jane"`, `"patient":"jone"`},
		{`"status":404`, `"status":200`},
		{`"sub":"e2e"`, `"sub":"e2f"`},
	} {
		db, _, logKey := r90aLog(t)
		r90aTamper(t, db, func(conn *sql.DB) { r90aEdit(t, conn, 2, c.old, c.new, false) })
		if code, out := r90aVerify(t, db, logKey); code == 0 || !strings.Contains(out, "FAILED at entry 2:") {
			t.Errorf("entry 2's %s edited to %s: exit %d\n%s", c.old, c.new, code, out)
		}
	}
}

// TestReview90aSoundRewriteRehashedNamed: entry 2 rewritten with its leaf
// and every later chain hash recomputed: the shutdown checkpoint catches
// it, and verify names entry 2; audit prove --seq 2 fails.
func TestReview90aSoundRewriteRehashedNamed(t *testing.T) {
	db, _, logKey := r90aLog(t)
	r90aTamper(t, db, func(conn *sql.DB) { r90aEdit(t, conn, 2, `"patient":"jane"`, `"patient":"jone"`, true) })
	code, out := r90aVerify(t, db, logKey)
	if code == 0 || !strings.Contains(out, "FAILED at entry 2:") {
		t.Errorf("entry 2 rewritten with its hashes recomputed: exit %d\n%s", code, out)
	}
	t.Logf("%s", out)
	if code, out, errOut := e2eRun(t, "audit", "prove", "--db", db, "--pubkey", logKey+".pub", "--seq", "2"); code == 0 || !strings.Contains(out+errOut, "FAILED") {
		t.Errorf("prove of the rewritten entry 2: exit %d\n%s%s", code, out, errOut)
	}
}

// TestReview90aDecoyHidesFirstRewrite: SPEC §2 — verify "names the
// first entry that does not verify". The insider rewrites entry 2 (their
// read of Jane, now Jone) with its leaf and the later chain hashes
// recomputed, and also makes a crude edit to entry 4 (bytes only). Entry 2
// no longer gives the signed root, so it is the first entry that does not
// verify; verify stops at entry 4's leaf hash and names entry 4, so the IG
// officer is sent to the decoy and never told that entry 2 was changed.
func TestReview90aDecoyHidesFirstRewrite(t *testing.T) {
	db, _, logKey := r90aLog(t)
	r90aTamper(t, db, func(conn *sql.DB) {
		r90aEdit(t, conn, 2, `"patient":"jane"`, `"patient":"jone"`, true)
		r90aEdit(t, conn, 4, `"status":404`, `"status":200`, false)
	})
	code, out := r90aVerify(t, db, logKey)
	if code == 0 || !strings.Contains(out, "FAILED at entry 2:") {
		t.Errorf("entry 2 rewritten (hashes recomputed) and entry 4 edited: want FAILED at entry 2, got exit %d\n%s", code, out)
	}
}

// TestReview90aSoundDeleteAndSwapNamed: an entry deleted in the middle, or
// two entries' rows swapped, fails verify at the first one concerned.
func TestReview90aSoundDeleteAndSwapNamed(t *testing.T) {
	db, _, logKey := r90aLog(t)
	r90aTamper(t, db, func(conn *sql.DB) {
		if _, err := conn.Exec(`DELETE FROM audit_log WHERE seq = 2`); err != nil {
			t.Fatal(err)
		}
	})
	if code, out := r90aVerify(t, db, logKey); code == 0 || !strings.Contains(out, "FAILED at entry 2: entry 2 is missing") {
		t.Errorf("entry 2 deleted: exit %d\n%s", code, out)
	}

	db, _, logKey = r90aLog(t)
	r90aTamper(t, db, func(conn *sql.DB) {
		for _, q := range []string{
			`CREATE TEMP TABLE x AS SELECT * FROM audit_log WHERE seq IN (1, 3)`,
			`DELETE FROM audit_log WHERE seq IN (1, 3)`,
			`INSERT INTO audit_log SELECT 4 - seq, ts, entry, leaf_hash, chain_hash, patient, sub, org, decision, break_glass FROM x`,
		} {
			if _, err := conn.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
	})
	if code, out := r90aVerify(t, db, logKey); code == 0 || !strings.Contains(out, "FAILED at entry 1:") {
		t.Errorf("entries 1 and 3 swapped: exit %d\n%s", code, out)
	}
}

// TestReview90aExportOfTamperedLogSilent: carex audit export is how
// an IG officer hands the log to a subject access request, a tribunal or
// the police. Over a log whose entry 2 was edited (verify: FAILED at entry
// 2), it exports the forged entry, exit 0, with no word that the log does
// not verify. (A judgement: the README does not say export checks; a
// careful IG officer would expect not to certify a forged record
// unknowingly.)
func TestReview90aExportOfTamperedLogSilent(t *testing.T) {
	db, _, logKey := r90aLog(t)
	r90aTamper(t, db, func(conn *sql.DB) { r90aEdit(t, conn, 2, `"patient":"jane"`, `"patient":"jone"`, false) })
	if code, out := r90aVerify(t, db, logKey); code == 0 {
		t.Fatalf("verify passed the edit:\n%s", out)
	}
	code, out, errOut := e2eRun(t, "audit", "export", "--db", db)
	t.Logf("export: exit %d, %d lines, stderr %q", code, strings.Count(out, "\n"), errOut)
	if code == 0 && strings.Contains(out, "jone") && !strings.Contains(strings.ToLower(errOut), "verif") && !strings.Contains(strings.ToLower(errOut), "tamper") {
		t.Errorf("export of a log that fails verify at entry 2: exit 0, the forged patient exported, and nothing on stderr says the log does not verify (%q)", errOut)
	}
}

// TestReview90aSoundTailCutCaughtByCopyOnly: the last entry cut off with
// the shutdown checkpoint that covered it (and the tree's hashes for it)
// verifies on its own, as the README documents; against a checkpoint copy
// kept outside it fails, naming the entry removed.
func TestReview90aSoundTailCutCaughtByCopyOnly(t *testing.T) {
	db, _, logKey := r90aLog(t)
	saved := db + ".saved-checkpoint"
	if code, out, errOut := e2eRun(t, "audit", "checkpoint", "--db", db, "--pubkey", logKey+".pub", "--out", saved); code != 0 {
		t.Fatalf("audit checkpoint --out: %d %s%s", code, out, errOut)
	}
	r90aTamper(t, db, func(conn *sql.DB) {
		// 5 entries keep tlog.StoredHashCount(5) = 8 stored hashes.
		for _, q := range []string{
			`DELETE FROM audit_log WHERE seq = 5`,
			`DELETE FROM audit_checkpoint WHERE size > 5`,
		} {
			if _, err := conn.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		rows, err := conn.Query(`SELECT start, length(hashes) / 32 FROM audit_tree_chunk ORDER BY start`)
		if err != nil {
			t.Fatal(err)
		}
		var starts, lens []int64
		for rows.Next() {
			var s, n int64
			rows.Scan(&s, &n)
			starts, lens = append(starts, s), append(lens, n)
		}
		rows.Close()
		for i, s := range starts {
			switch {
			case s >= 8:
				conn.Exec(`DELETE FROM audit_tree_chunk WHERE start = ?`, s)
			case s+lens[i] > 8:
				conn.Exec(`UPDATE audit_tree_chunk SET hashes = substr(hashes, 1, ?) WHERE start = ?`, (8-s)*32, s)
			}
		}
	})
	code, out := r90aVerify(t, db, logKey)
	t.Logf("verify alone: exit %d\n%s", code, out)
	code, out = r90aVerify(t, db, logKey, "--checkpoint", saved)
	if code == 0 || !strings.Contains(out, "FAILED at entry 5") {
		t.Errorf("the last entry cut off, checked against a saved checkpoint of 6: exit %d\n%s", code, out)
	}
}

// TestReview90aSoundReplacedKeyFailsAgainstOldPub: the insider replaces
// the log key pair with a new one; verify with the public key IG kept (the
// original .pub) fails on the log's checkpoints, and a server started with
// the new key refuses the log.
func TestReview90aSoundReplacedKeyFailsAgainstOldPub(t *testing.T) {
	db, devKey, logKey := r90aLog(t)
	kept := logKey + ".ig-copy.pub"
	pub, err := os.ReadFile(logKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kept, pub, 0o600); err != nil {
		t.Fatal(err)
	}
	os.Remove(logKey)
	os.Remove(logKey + ".pub")
	addr := e2eFreeAddr(t)
	code, errOut := serveRefuses(t, "--dev", "--addr", addr, "--db", db, "--dev-key", devKey, "--log-key", logKey)
	if code == 0 {
		t.Errorf("serve with the log key removed started")
	}
	t.Logf("serve with the key removed: %s", errOut)
	if code, out := r90aVerify(t, db, strings.TrimSuffix(kept, ".pub")); code != 0 {
		t.Errorf("verify with IG's copy of the public key: exit %d\n%s", code, out)
	}
}

// TestReview90aSoundDuplicateAndForeignLog: entry 5 duplicated as entry 6
// fails at entry 6; another server's log (its own log key) copied in place
// of this one fails on its checkpoints under this log's public key.
func TestReview90aSoundDuplicateAndForeignLog(t *testing.T) {
	db, _, logKey := r90aLog(t)
	r90aTamper(t, db, func(conn *sql.DB) {
		if _, err := conn.Exec(`INSERT INTO audit_log SELECT 6, ts, entry, leaf_hash, chain_hash, patient, sub, org, decision, break_glass FROM audit_log WHERE seq = 5`); err != nil {
			t.Fatal(err)
		}
	})
	if code, out := r90aVerify(t, db, logKey); code == 0 || !strings.Contains(out, "FAILED at entry 6:") {
		t.Errorf("entry 5 duplicated as entry 6: exit %d\n%s", code, out)
	}

	db, _, logKey = r90aLog(t)
	other, _, _ := r90aLog(t)
	for _, suffix := range []string{"", "-wal", "-shm", "-audit"} {
		os.Remove(accessLogPath(db) + suffix)
		if b, err := os.ReadFile(accessLogPath(other) + suffix); err == nil {
			if err := os.WriteFile(accessLogPath(db)+suffix, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	code, out := r90aVerify(t, db, logKey)
	if code == 0 || !strings.Contains(out, "not signed by a trusted log key") {
		t.Errorf("another server's log copied in: exit %d\n%s", code, out)
	}
	t.Logf("%s", out)
}

// TestReview90aServeSaysTamperedLogToIG: after entry 2 (covered by the
// shutdown checkpoint) is edited, carex serve starts on the log (start-up
// re-hashes only the entries after the newest checkpoint) but checks the
// whole log in the background: its application log says the log does
// not verify, by entry number, and the IG officer's search and report say
// so beside the entries they list. (Review 90a found the forged entry
// served as the record, with nothing said.) With --verify-log=false
// nothing is said.
func TestReview90aServeSaysTamperedLogToIG(t *testing.T) {
	db, devKey, logKey := r90aLog(t)
	r90aTamper(t, db, func(conn *sql.DB) { r90aEdit(t, conn, 2, `"patient":"jane"`, `"patient":"jone"`, false) })
	code, out, errs := e2eRun(t, "token", "--dev-key", devKey, "--sub", "r90a-ig", "--role", "ig-officer", "--sector", "nhs", "--org", "A81001")
	if code != 0 {
		t.Fatalf("token: %s", errs)
	}
	ig := strings.TrimSpace(out)
	for _, check := range []bool{true, false} {
		addr := e2eFreeAddr(t)
		s := e2eServe(t, addr, "--dev", "--addr", addr, "--db", db, "--dev-key", devKey, "--log-key", logKey, fmt.Sprintf("--verify-log=%v", check))
		said := false
		for i := 0; i < 100 && check && !said; i++ {
			said = strings.Contains(s.stderr.String(), "the access log does not verify")
			if !said {
				time.Sleep(50 * time.Millisecond)
			}
		}
		c, search := s.get(t, "/fhir/AuditEvent?_count=10", ig)
		c2, report := s.get(t, "/fhir/AuditEvent/$who-accessed?patient=jane", ig)
		logged := s.stderr.String()
		s.stop(t)
		if c != 200 || c2 != 200 {
			t.Fatalf("--verify-log=%v: search %d, report %d", check, c, c2)
		}
		warned := strings.Contains(search, "the access log does not verify (FAILED at entry 2") && strings.Contains(report, `"logDoesNotVerify": "the access log does not verify (FAILED at entry 2`)
		switch {
		case check && (!said || !warned):
			t.Errorf("serve on a log whose entry 2 was edited: application log says so %v, IG's search and report say so %v\nsearch: %.600s\nreport: %.600s\nlog: %s", said, warned, search, report, logged)
		case check && strings.Contains(logged, "jone"):
			t.Errorf("the application log quotes the edited entry's patient:\n%s", logged)
		case !check && (warned || strings.Contains(logged, "does not verify")):
			t.Errorf("--verify-log=false: the log was checked all the same:\n%s", logged)
		}
	}
}
