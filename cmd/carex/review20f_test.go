package main

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// lastUncheckedSchema is the records' schema version written by the last
// carex that did not record or check the code lists its records were
// labelled with (056bd10 and before). Such a carex refuses only records
// of a newer schema version ("database schema version N is newer than
// this carex").
const lastUncheckedSchema = 10

func schemaVersion(t *testing.T, db string) int {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var v int
	if err := conn.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestReview20fEarlierCarexRefusesCheckedRecords: records this carex has
// labelled and recorded code lists for were still opened by an earlier
// carex (same schema version, 10), which writes with its own lists and
// rules and checks nothing. Walked with real binaries: after upgrading and
// `carex relabel --policy` (adding a PSY code), a scheduled `carex import`
// still run with the previous release's binary stored a Condition carrying
// that code unlabelled, and the upgraded `carex serve --policy` started
// and released it to the social worker. Now every command that opens the
// records for writing brings them to a schema version the earlier carex
// refuses.
func TestReview20fEarlierCarexRefusesCheckedRecords(t *testing.T) {
	dir, pol, conds := labellingFixture(t)
	db := filepath.Join(dir, "carex.db")
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", "--policy", pol, conds[0], conds[3]); code != 0 {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, errs)
	}
	if v := schemaVersion(t, db); v <= lastUncheckedSchema {
		t.Errorf("records an import labelled and recorded lists for: schema version %d, want above %d (an earlier carex would write into them unchecked)", v, lastUncheckedSchema)
	}
	if code, out, errs := e2eRun(t, "relabel", "--db", db, "--policy", pol); code != 0 {
		t.Fatalf("relabel: exit %d\n%s\n%s", code, out, errs)
	}
	if v := schemaVersion(t, db); v <= lastUncheckedSchema {
		t.Errorf("relabelled records: schema version %d, want above %d", v, lastUncheckedSchema)
	}
	gdb := filepath.Join(dir, "gen.db")
	if code, out, errs := e2eRun(t, "gen", "--people", "3", "--quiet", "--db", gdb); code != 0 {
		t.Fatalf("gen: exit %d\n%s\n%s", code, out, errs)
	}
	if v := schemaVersion(t, gdb); v <= lastUncheckedSchema {
		t.Errorf("generated records: schema version %d, want above %d", v, lastUncheckedSchema)
	}
}

// TestReview20fRelabelSaysWhenAndHowToRunAgain: carex help relabel gave
// its flags alone, not that it is to be run after upgrading carex or
// changing the policy's code lists (serve, import and gen refuse the
// records until it has), nor that one stopped part-way must be run again;
// carex help import did not say that an import with other code lists than
// the records' is refused. A relabel that failed or was stopped with
// Ctrl-C said "context canceled (… run it again)", naming neither the
// command (with its --policy) nor that the records stay refused until then.
func TestReview20fRelabelSaysWhenAndHowToRunAgain(t *testing.T) {
	_, _, help := e2eRun(t, "relabel", "--help")
	for _, w := range []string{"after upgrading carex", "code lists", "with the server stopped", "refuse", "Ctrl-C", "again"} {
		if !strings.Contains(help, w) {
			t.Errorf("carex relabel --help does not say %q:\n%s", w, help)
		}
	}
	_, _, help = e2eRun(t, "import", "--help")
	for _, w := range []string{"code lists", "refused", "carex relabel"} {
		if !strings.Contains(help, w) {
			t.Errorf("carex import --help does not say %q:\n%s", w, help)
		}
	}

	dir, pol, conds := labellingFixture(t)
	db := filepath.Join(dir, "carex.db")
	// Imported with the built-in lists; the relabel with pol's adds PSY.
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", conds[0], conds[3]); code != 0 {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, errs)
	}
	// The relabel fails on a version: a real SQLite error.
	conn, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(`CREATE TRIGGER review20f_fail BEFORE UPDATE ON versions BEGIN SELECT RAISE(ABORT, 'disk trouble'); END`); err != nil {
		conn.Close()
		t.Fatal(err)
	}
	conn.Close()
	code, out, errs := e2eRun(t, "relabel", "--db", db, "--policy", pol)
	if code == 0 || !strings.Contains(errs, "disk trouble") || !strings.Contains(errs, "carex relabel --db "+db+" --policy "+pol) || !strings.Contains(errs, "serve") {
		t.Errorf("failed relabel: exit %d, want an error giving the cause, that serve refuses the records, and the command to run again\n%s\n%s", code, out, errs)
	}
}

// TestReview20fRecordsWithoutRevisionNamed: records a carex of b37dc54
// to ce20aae labelled record their code lists without the revision of the
// rules ("derived:…"); serve refused them rightly, but its message read
// "… otherwise than this one (; this release: derived:2026-12-05)". Now
// it says that the records' rules were not recorded.
func TestReview20fRecordsWithoutRevisionNamed(t *testing.T) {
	dir, pol, conds := labellingFixture(t)
	db, key, logKey := filepath.Join(dir, "carex.db"), filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", "--policy", pol, conds[0], conds[3]); code != 0 {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, errs)
	}
	lists, _, _ := strings.Cut(labelledWith(mustPolicy(t, pol)), " ")
	setLabelledWith(t, db, lists)
	code, errs := runBriefly(t, "serve", "--dev", "--addr", "127.0.0.1:0", "--db", db, "--dev-key", key, "--log-key", logKey, "--policy", pol)
	if code == 0 || strings.Contains(errs, "(;") || !strings.Contains(errs, "records: none recorded; this release: derived:") || !strings.Contains(errs, "carex relabel --db "+db+" --policy "+pol) {
		t.Errorf("serve on records whose rules are not recorded: exit %d, want a refusal saying none are recorded and naming the relabel\n%s", code, errs)
	}
}

// TestReview20fRelabelRefusedBesideServerSaysNothingChanged: a relabel
// refused because a server had the records open said (after review 20f's
// first wording) that what was relabelled is kept and that serve, import
// and gen refuse the records until a relabel has run to the end, which is
// not so: it relabelled nothing and marked nothing (aaf8dfd), and the
// server may be started again as it was. Now it says nothing was
// relabelled, and names the command to run once the server has stopped.
func TestReview20fRelabelRefusedBesideServerSaysNothingChanged(t *testing.T) {
	dir, pol, conds := labellingFixture(t)
	db, key, logKey := filepath.Join(dir, "carex.db"), filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", "--policy", pol, conds[3], conds[0]); code != 0 {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, errs)
	}
	addr := e2eFreeAddr(t)
	s := e2eServe(t, addr, "--dev", "--db", db, "--dev-key", key, "--log-key", logKey, "--policy", pol, "--addr", addr)
	code, out, errs := e2eRun(t, "relabel", "--db", db, "--policy", pol)
	if code == 0 || !strings.Contains(errs, "another process") || strings.Contains(errs, "refuse the records") ||
		!strings.Contains(errs, "Nothing was relabelled") || !strings.Contains(errs, "carex relabel --db "+db+" --policy "+pol) {
		t.Errorf("relabel beside a server: exit %d, want a refusal saying nothing was relabelled and naming the command\n%s\n%s", code, out, errs)
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve: exit %d", code)
	}
}
