package main

import (
	"crypto/sha256"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// Review 79c: the IG officer's offline proof, followed from the README
// ("carex audit verify", "carex audit checkpoint --out", "carex audit
// prove --seq N"), then a copy of the log tampered with by someone who can
// write the database and recompute the hash chain but has no log key: a
// byte changed in an entry, an entry deleted (later ones renumbered), two
// entries swapped. SPEC §6: "signed checkpoints let an IG officer prove
// offline that nothing was changed, removed or reordered".

func r79cCopyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// r79cTamper opens the copy's access log, drops its triggers, runs edit,
// recomputes leaf and chain hashes from entry `from` on (what an attacker
// without the log key can do), and puts the triggers back as they were.
func r79cTamper(t *testing.T, logPath string, from int64, edit func(*sql.DB)) {
	t.Helper()
	conn, err := sql.Open("sqlite", logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetMaxOpenConns(1)
	rows, err := conn.Query(`SELECT name, sql FROM sqlite_master WHERE type = 'trigger'`)
	if err != nil {
		t.Fatal(err)
	}
	var names, sqls []string
	for rows.Next() {
		var n, s string
		rows.Scan(&n, &s)
		names, sqls = append(names, n), append(sqls, s)
	}
	rows.Close()
	for _, n := range names {
		if _, err := conn.Exec(`DROP TRIGGER "` + n + `"`); err != nil {
			t.Fatal(err)
		}
	}
	edit(conn)
	var prev tlog.Hash
	if from > 0 {
		var b []byte
		if err := conn.QueryRow(`SELECT chain_hash FROM audit_log WHERE seq = ?`, from-1).Scan(&b); err != nil {
			t.Fatal(err)
		}
		copy(prev[:], b)
	}
	type row struct {
		seq   int64
		entry []byte
	}
	var rs []row
	rows, err = conn.Query(`SELECT seq, entry FROM audit_log WHERE seq >= ? ORDER BY seq`, from)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var r row
		rows.Scan(&r.seq, &r.entry)
		rs = append(rs, r)
	}
	rows.Close()
	for _, r := range rs {
		leaf := tlog.RecordHash(r.entry)
		chain := sha256.Sum256(append(append([]byte{}, prev[:]...), leaf[:]...))
		if _, err := conn.Exec(`UPDATE audit_log SET leaf_hash = ?, chain_hash = ? WHERE seq = ?`, leaf[:], chain[:], r.seq); err != nil {
			t.Fatal(err)
		}
		prev = chain
	}
	for _, s := range sqls {
		if _, err := conn.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReview79cSoundOfflineProofCatchesEditDeleteReorder(t *testing.T) {
	dir := t.TempDir()
	s, db, devKey, logKey := e2eDevServer(t, dir)
	tok := e2eToken(t, devKey)
	for _, p := range []string{"/fhir/Patient?_count=1", "/fhir/Patient/jane", "/fhir/Condition?patient=jane", "/fhir/Patient/bob", "/fhir/Patient/jane/$everything", "/fhir/Observation?patient=jane"} {
		s.get(t, p, tok)
	}
	code, out, errs := e2eRun(t, "token", "--dev-key", devKey, "--sub", "r79c-ig", "--role", "ig-officer", "--sector", "nhs", "--org", "A81001")
	if code != 0 {
		t.Fatalf("token: %s", errs)
	}
	if st, body := s.get(t, "/fhir/AuditEvent?patient=jane", strings.TrimSpace(out)); st != 200 {
		t.Fatalf("IG search: %d %s", st, body)
	}
	if c := s.stop(t); c != 0 {
		t.Fatalf("serve exit %d", c)
	}
	pub := logKey + ".pub"
	if code, out, errs := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", pub); code != 0 || !strings.Contains(out, "OK") {
		t.Fatalf("verify untouched: %d %s %s", code, out, errs)
	}
	saved := filepath.Join(t.TempDir(), "saved-checkpoint")
	if code, out, errs := e2eRun(t, "audit", "checkpoint", "--db", db, "--pubkey", pub, "--out", saved); code != 0 {
		t.Fatalf("checkpoint --out: %d %s %s", code, out, errs)
	}
	if code, out, errs := e2eRun(t, "audit", "prove", "--db", db, "--pubkey", pub, "--seq", "3"); code != 0 || !strings.Contains(out, "OK: entry 3") {
		t.Fatalf("prove 3: %d %s %s", code, out, errs)
	}
	cases := []struct {
		name string
		from int64
		edit func(*sql.DB)
	}{
		{"one byte of entry 3 (bob -> bib)", 3, func(c *sql.DB) {
			var before, after []byte
			c.QueryRow(`SELECT entry FROM audit_log WHERE seq = 3`).Scan(&before)
			if _, err := c.Exec(`UPDATE audit_log SET entry = CAST(replace(CAST(entry AS TEXT), 'bob', 'bib') AS BLOB), patient = replace(patient, 'bob', 'bib') WHERE seq = 3`); err != nil {
				t.Fatal(err)
			}
			c.QueryRow(`SELECT entry FROM audit_log WHERE seq = 3`).Scan(&after)
			if string(before) == string(after) || len(before) != len(after) {
				t.Fatalf("the edit changed nothing, or more than a byte: %s", before)
			}
		}},
		{"entry 3 deleted, later ones renumbered", 3, func(c *sql.DB) {
			if _, err := c.Exec(`DELETE FROM audit_log WHERE seq = 3`); err != nil {
				t.Fatal(err)
			}
			var n int64
			c.QueryRow(`SELECT MAX(seq) FROM audit_log`).Scan(&n)
			for q := int64(4); q <= n; q++ {
				if _, err := c.Exec(`UPDATE audit_log SET seq = ? WHERE seq = ?`, q-1, q); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"entries 2 and 3 swapped", 2, func(c *sql.DB) {
			if _, err := c.Exec(`UPDATE audit_log SET seq = -1 WHERE seq = 2`); err != nil {
				t.Fatal(err)
			}
			c.Exec(`UPDATE audit_log SET seq = 2 WHERE seq = 3`)
			c.Exec(`UPDATE audit_log SET seq = 3 WHERE seq = -1`)
			// keep time order, so only the order of the entries differs
			c.Exec(`UPDATE audit_log SET ts = (SELECT MIN(ts) FROM audit_log WHERE seq IN (2,3)) WHERE seq IN (2,3)`)
		}},
	}
	for _, tc := range cases {
		cp := r79cCopyDir(t, dir)
		cdb := filepath.Join(cp, "c.db")
		r79cTamper(t, accessLogPath(cdb), tc.from, tc.edit)
		for _, args := range [][]string{
			{"audit", "verify", "--db", cdb, "--pubkey", pub},
			{"audit", "verify", "--db", cdb, "--pubkey", pub, "--checkpoint", saved},
		} {
			code, out, errs := e2eRun(t, args...)
			if code == 0 || !strings.Contains(out+errs, "FAILED") {
				t.Errorf("%s: %v passed: exit %d\n%s%s", tc.name, args[3:], code, out, errs)
			} else {
				t.Logf("%s: %v: %s", tc.name, args[5:], strings.TrimSpace(out+errs))
			}
		}
	}
}
