package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/consent"
)

// review86aOldRecords imports one Patient into a fresh database, then makes
// it look as the release before left it: schema one step back, revision
// 2026-12-06a; mutate may change the recorded lists further. It returns
// the db path, the schema this release writes, and a schema reader.
func review86aOldRecords(t *testing.T, mutate string) (dir, db string, now int, schema func() int) {
	t.Helper()
	dir = t.TempDir()
	db = filepath.Join(dir, "carex.db")
	p := filepath.Join(dir, "p.json")
	if err := os.WriteFile(p, []byte(`{"resourceType":"Patient","id":"up1","name":[{"family":"Upgrade"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", p); code != 0 {
		t.Fatalf("import: %d\n%s\n%s", code, out, errs)
	}
	conn, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	schema = func() (v int) {
		t.Helper()
		if err := conn.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	now = schema()
	if _, err := conn.Exec(`UPDATE carex_meta SET value = replace(value, 'derived:` + api.DerivationRevision + `', 'derived:2026-12-06a') WHERE key = 'labelling_lists'`); err != nil {
		t.Fatal(err)
	}
	if mutate != "" {
		if _, err := conn.Exec(mutate); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := conn.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, now-1)); err != nil {
		t.Fatal(err)
	}
	return dir, db, now, schema
}

// TestReview86aUnrecordedListsStillMovedToThisSchema: records of a carex
// that recorded no code lists at all (before b37dc54) are refused "for
// want of that relabel" (errUnrecordedCodeLists: "run carex relabel"), but
// PeekLabellingLists answers ok=false where the key is missing, so
// refuseOtherDerivation lets serve open (and migrate) them first and the
// claim after opening refuses. README (relabel row): "A serve, import or
// gen that refuses records for want of that relabel ... refuses them
// before opening them, so they stay at the schema the earlier release
// wrote". Severity: an operator's way back (no leak). Parent: the same
// (it peeked at nothing), so the new README sentence is not true here.
func TestReview86aUnrecordedListsStillMovedToThisSchema(t *testing.T) {
	_, db, now, schema := review86aOldRecords(t, `DELETE FROM carex_meta WHERE key = 'labelling_lists'`)
	code, errs := runBriefly(t, "serve", "--addr", "127.0.0.1:0", "--dev", "--db", db)
	if code == 0 || !strings.Contains(errs, "carex relabel --db "+db) {
		t.Fatalf("serve: exit %d, want a refusal naming carex relabel\n%s", code, errs)
	}
	if v := schema(); v != now-1 {
		t.Errorf("records with no lists recorded, after serve refused them naming the relabel: schema %d, want %d (left as the earlier release wrote them)\n%s", v, now-1, errs)
	}
}

// TestReview86aOtherListsOldRevisionMovedToThisSchema: records of the
// release before (revision 2026-12-06a), served after the upgrade with a
// policy carrying other code lists (an operator who forgot --policy, or
// one with a new code line): refuseOtherDerivation lets recLists != myLists
// through (not later), Open migrates them, and the claim refuses naming
// the relabel. They still want the relabel (older revision), and the
// release before now refuses them. README as above. Severity: operator's
// way back. Parent: the same.
func TestReview86aOtherListsOldRevisionMovedToThisSchema(t *testing.T) {
	dir, db, now, schema := review86aOldRecords(t, "")
	pol := filepath.Join(dir, "policy.txt")
	if err := os.WriteFile(pol, []byte(consent.DefaultPolicyText()+"\ncode PSY snomed 191736004\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, errs := runBriefly(t, "serve", "--addr", "127.0.0.1:0", "--dev", "--db", db, "--policy", pol)
	if code == 0 || !strings.Contains(errs, "carex relabel --db "+db) {
		t.Fatalf("serve: exit %d, want a refusal naming carex relabel\n%s", code, errs)
	}
	if v := schema(); v != now-1 {
		t.Errorf("records of revision 2026-12-06a served with other lists, refused: schema %d, want %d\n%s", v, now-1, errs)
	}
}

// TestReview86aSoundPeekLeavesNoFiles: the refusing peek through a
// symbolic link, on an old-revision database whose WAL was never
// checkpointed (another connection kept open, as a server killed by
// SIGKILL leaves it), reads the WAL's lists, refuses naming the relabel,
// and leaves no -wal/-shm beside the link and the schema alone.
func TestReview86aSoundPeekLeavesNoFiles(t *testing.T) {
	dir, db, now, schema := review86aOldRecords(t, "")
	link := filepath.Join(t.TempDir(), "link.db")
	if err := os.Symlink(db, link); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range [][]string{
		{"serve", "--addr", "127.0.0.1:0", "--dev", "--db", link},
		{"import", "--db", link, "--org", "A81001", "--quiet", filepath.Join(dir, "p.json")},
	} {
		code, errs := runBriefly(t, cmd...)
		if code == 0 || !strings.Contains(errs, "carex relabel --db "+link) {
			t.Errorf("%s on a link: exit %d, want a refusal naming carex relabel --db %s\n%s", cmd[0], code, link, errs)
		}
	}
	for _, suf := range []string{"-wal", "-shm", "-lock"} {
		if _, err := os.Stat(link + suf); err == nil {
			t.Errorf("%s left beside the link", link+suf)
		}
	}
	if v := schema(); v != now-1 {
		t.Errorf("schema %d, want %d", v, now-1)
	}
}

// TestReview86aSoundMissingPathNotRefusedAsDerived: --db naming a path
// that does not exist is not refused by the peek (Open creates it), and
// the peek creates nothing of its own.
func TestReview86aSoundMissingPathNotRefusedAsDerived(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "none.db")
	p := filepath.Join(dir, "p.json")
	os.WriteFile(p, []byte(`{"resourceType":"Patient","id":"m1"}`), 0o600)
	code, out, errs := e2eRun(t, "import", "--db", missing, "--org", "A81001", "--quiet", p)
	if code != 0 || strings.Contains(errs, "derived") {
		t.Errorf("import into a new database: %d %s %s", code, out, errs)
	}
}

// TestReview86aSoundRefusalWordsAsBefore: the import and serve refusals
// of records of the release before (same lists) name the relabel to run,
// with the words the claim after opening used (compared with the parent
// by hand: see the report).
func TestReview86aSoundRefusalWordsAsBefore(t *testing.T) {
	dir, db, _, _ := review86aOldRecords(t, "")
	code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", filepath.Join(dir, "p.json"))
	t.Logf("import: %d %s %s", code, out, strings.ReplaceAll(errs, dir, "DIR"))
	if code == 0 || !strings.Contains(errs, "carex relabel --db "+db+" (with the policy carex serve is to run with), then carex import") {
		t.Errorf("import's refusal: %s", errs)
	}
	code, errs = runBriefly(t, "serve", "--addr", "127.0.0.1:0", "--dev", "--db", db)
	t.Logf("serve: %d %s", code, strings.ReplaceAll(errs, dir, "DIR"))
	if code == 0 || !strings.Contains(errs, "carex relabel --db "+db+" (with the policy carex serve is to run with), then carex serve") {
		t.Errorf("serve's refusal: %s", errs)
	}
}
