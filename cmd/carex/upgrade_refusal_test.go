package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carex-project/carex/api"
)

// TestRefusedUpgradeLeavesTheSchema: serve, import and gen refuse records
// an earlier release derived (run carex relabel) before opening them, so
// their schema is left as that release can open it: going back was a copy
// to restore (review 83b). Relabel then moves them on.
func TestRefusedUpgradeLeavesTheSchema(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "carex.db")
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
	defer conn.Close()
	schema := func() (v int) {
		t.Helper()
		if err := conn.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	now := schema()
	// As the release before left them: its schema, its revision.
	if _, err := conn.Exec(`UPDATE carex_meta SET value = replace(value, 'derived:` + api.DerivationRevision + `', 'derived:2026-12-06a') WHERE key = 'labelling_lists'`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, now-1)); err != nil {
		t.Fatal(err)
	}
	if code, errs := runBriefly(t, "serve", "--addr", "127.0.0.1:0", "--dev", "--db", db); code == 0 || !strings.Contains(errs, "carex relabel --db "+db) {
		t.Errorf("serve: exit %d, want a refusal naming carex relabel\n%s", code, errs)
	}
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", p); code == 0 || !strings.Contains(errs, "carex relabel") || !strings.Contains(errs, "nothing was imported") {
		t.Errorf("import: exit %d, want a refusal naming carex relabel\n%s\n%s", code, out, errs)
	}
	if v := schema(); v != now-1 {
		t.Errorf("after the refusals the records are at schema %d, want %d as the release before left them", v, now-1)
	}
	if code, out, errs := e2eRun(t, "relabel", "--db", db); code != 0 {
		t.Fatalf("relabel: %d\n%s\n%s", code, out, errs)
	}
	if v := schema(); v != now {
		t.Errorf("after relabel: schema %d, want %d", v, now)
	}
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", p); code != 0 {
		t.Errorf("import after relabel: exit %d\n%s\n%s", code, out, errs)
	}
}
