package main

// Review 75a: a re-read of 966834a's command-line changes (per-command
// environment variables, openForCheck without a key) against its parent
// 3414d91.

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReview75aSoundOldSharedVariableRefused: a deployment that set
// CAREX_ORG=A81001 for `carex import` (the README's variable for import
// --org until 966834a) now has its import refused ("--org is required"),
// nothing stored, its usage naming [CAREX_IMPORT_ORG] beside --org: not
// filed under no organisation nor under a token user's. Likewise CAREX_OUT
// for `carex gen` is refused ("say where to write"), the usage naming
// CAREX_GEN_OUT. 3414d91: imported under A81001, and gen wrote to
// CAREX_OUT. (The refusal itself does not say that CAREX_ORG is no
// longer import's: the usage beside it does.)
func TestReview75aSoundOldSharedVariableRefused(t *testing.T) {
	r74Home(t)
	dir := t.TempDir()
	t.Setenv("CAREX_ORG", "A81001")
	code, out, errs := r74Run(t, "import", "--db", filepath.Join(dir, "i.db"), "--quiet", "../../testdata/synthea/"+firstJSON(t, "../../testdata/synthea"))
	if code == 0 || !strings.Contains(errs, "--org is required") || !strings.Contains(errs, "CAREX_IMPORT_ORG") {
		t.Errorf("carex import with CAREX_ORG set: exit %d\n%s%.300s", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "i.db")); err == nil {
		t.Errorf("carex import with CAREX_ORG set created %s", filepath.Join(dir, "i.db"))
	}
	t.Setenv("CAREX_OUT", filepath.Join(dir, "gen"))
	code, _, errs = r74Run(t, "gen", "--people", "2", "--quiet")
	if code == 0 || !strings.Contains(errs, "CAREX_GEN_OUT") {
		t.Errorf("carex gen with CAREX_OUT set: exit %d\n%.300s", code, errs)
	}
}

// TestReview75aSoundAuditVerifyLogGoneWithoutKey: on a served database
// (the records say it has an access log), `carex audit verify` with no log
// key on the machine (966834a: a key is needed only once there is a log)
// still prints FAILED and exits 1 — never "empty" — when the log database
// is deleted with its journal, emptied to a zero-byte file, or has its
// audit_log table dropped. Same on 3414d91, except that there each case
// stopped at the missing key ("--pubkey: … no such file", exit 1) before
// saying FAILED.
func TestReview75aSoundAuditVerifyLogGoneWithoutKey(t *testing.T) {
	for _, how := range []string{"deleted", "zero-byte", "table-dropped"} {
		t.Run(how, func(t *testing.T) {
			r74Home(t)
			dir := t.TempDir()
			s, db, devKey, logKey := e2eDevServer(t, dir)
			if status, _ := s.get(t, "/fhir/Patient?_count=1", e2eToken(t, devKey)); status != 200 {
				t.Fatalf("search: %d", status)
			}
			if code := s.stop(t); code != 0 {
				t.Fatalf("serve exit %d", code)
			}
			os.Remove(logKey)
			os.Remove(logKey + ".pub")
			logPath := accessLogPath(db)
			switch how {
			case "deleted":
				os.Remove(logPath)
				os.Remove(logPath + "-audit")
				os.Remove(logPath + "-wal")
				os.Remove(logPath + "-shm")
			case "zero-byte":
				os.WriteFile(logPath, nil, 0o600)
			case "table-dropped":
				c, err := sql.Open("sqlite", logPath)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := c.Exec(`DROP TABLE audit_log`); err != nil {
					t.Fatal(err)
				}
				c.Close()
			}
			code, out, errs := r74Run(t, "audit", "verify", "--db", db, "--pubkey", logKey+".pub")
			if code != 1 || !strings.Contains(out, "FAILED") || strings.Contains(out+errs, "empty") && !strings.Contains(out, "FAILED") {
				t.Errorf("verify, log %s, no key: exit %d\n%s%s", how, code, out, errs)
			}
			t.Logf("%s: exit %d: %.300s%.300s", how, code, out, errs)
		})
	}
}
