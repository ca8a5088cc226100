package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carex-project/carex/store/auditlog"
)

// A database loaded by carex import and never served has no access log:
// verify says it is empty, checkpoint and prove say there is nothing to
// sign or prove (not "no such table"), and demo refuses --dev=false.
func TestAuditCommandsOnAnAbsentLog(t *testing.T) {
	db, pub := importedNeverServed(t, `{"resourceType":"Patient","id":"p1"}`)
	if code, out, errOut := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", pub); code != 0 || !strings.Contains(out, "the access log is empty") {
		t.Errorf("verify: exit %d\n%s%s", code, out, errOut)
	}
	for _, args := range [][]string{{"checkpoint"}, {"prove", "--seq", "0"}} {
		a := append(append([]string{"audit"}, args...), "--db", db, "--pubkey", pub)
		if code, out, errOut := e2eRun(t, a...); code == 0 || strings.Contains(errOut, "SQL") || !strings.Contains(errOut, "the access log is empty") {
			t.Errorf("audit %s: exit %d\n%s%s", args[0], code, out, errOut)
		}
	}
	if code, _, errOut := e2eRun(t, "demo", "--dev=false"); code == 0 || !strings.Contains(errOut, "always runs in development mode") {
		t.Errorf("demo --dev=false: exit %d %s", code, errOut)
	}
}

// importedNeverServed is a database carex import loaded with one resource
// and no server ever opened, so with no access log, and a log public key
// to check it with.
func importedNeverServed(t *testing.T, resource string) (db, pub string) {
	t.Helper()
	dir := t.TempDir()
	db = filepath.Join(dir, "carex.db")
	file := filepath.Join(dir, "p.json")
	if err := os.WriteFile(file, []byte(resource), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := e2eRun(t, "import", "--quiet", "--db", db, "--org", "A81001", file); code != 0 {
		t.Fatalf("import: exit %d %s", code, errOut)
	}
	_, vkey, err := auditlog.GenerateKey("carex-test-log")
	if err != nil {
		t.Fatal(err)
	}
	pub = filepath.Join(dir, "log-key.pub")
	if err := os.WriteFile(pub, []byte(vkey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return db, pub
}
