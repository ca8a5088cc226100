package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/fhir"
)

// TestAuditExport: `carex audit export` writes one valid FHIR R4
// AuditEvent per access-log entry, and --since/--until select by time.
func TestAuditExport(t *testing.T) {
	dir := t.TempDir()
	db, devKey, logKey := filepath.Join(dir, "c.db"), filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	addr := e2eFreeAddr(t)
	s := e2eServe(t, addr, "--dev", "--addr", addr, "--db", db, "--dev-key", devKey, "--log-key", logKey)
	tok := e2eToken(t, devKey)
	s.get(t, "/fhir/Patient?_count=1", tok)
	s.get(t, "/fhir/Patient/nobody", tok)
	s.get(t, "/fhir/Observation?patient=nobody", tok)
	s.get(t, "/fhir/Patient", "")
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve exit %d", code)
	}

	out := filepath.Join(dir, "audit.ndjson")
	code, _, errOut := e2eRun(t, "audit", "export", "--db", db, "--out", out)
	if code != 0 || !strings.Contains(errOut, "exported 4 AuditEvents") {
		t.Fatalf("export: exit %d: %s", code, errOut)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var ids []string
	var outcomes []string
	for sc.Scan() {
		res, err := fhir.Parse(sc.Bytes())
		if err != nil {
			t.Fatalf("line %d is not a valid FHIR R4 resource: %v\n%s", len(ids)+1, err, sc.Text())
		}
		if res.Type != "AuditEvent" {
			t.Fatalf("line %d: %s", len(ids)+1, res.Type)
		}
		var ae struct{ Outcome string }
		json.Unmarshal(sc.Bytes(), &ae)
		ids, outcomes = append(ids, res.ID), append(outcomes, ae.Outcome)
	}
	if strings.Join(ids, ",") != "0,1,2,3" || strings.Join(outcomes, ",") != "0,4,0,4" {
		t.Fatalf("ids %v outcomes %v", ids, outcomes)
	}

	// To standard output; --since in the future selects nothing, a duration back everything.
	code, stdout, _ := e2eRun(t, "audit", "export", "--db", db)
	if code != 0 || strings.Count(stdout, "\n") != 4 || !strings.HasPrefix(stdout, `{"resourceType":"AuditEvent","id":"0"`) {
		t.Fatalf("export to stdout: %d\n%s", code, stdout)
	}
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02")
	if code, stdout, _ := e2eRun(t, "audit", "export", "--db", db, "--since", tomorrow); code != 0 || stdout != "" {
		t.Fatalf("--since tomorrow: %d %q", code, stdout)
	}
	if code, stdout, _ := e2eRun(t, "audit", "export", "--db", db, "--since", "1h", "--until", tomorrow); code != 0 || strings.Count(stdout, "\n") != 4 {
		t.Fatalf("--since 1h: %d %q", code, stdout)
	}
	if code, _, _ := e2eRun(t, "audit", "export", "--db", db, "--since", "last tuesday"); code == 0 {
		t.Fatal("bad --since accepted")
	}
	if code, _, _ := e2eRun(t, "audit", "export", "--db", filepath.Join(dir, "missing.db")); code == 0 {
		t.Fatal("missing --db accepted")
	}
}

// TestAuditExportBadSinceNamesBothForms: "--since yesterday" was refused
// as a search value ("invalid search value … expected year"), without
// saying a duration back from now is taken too.
func TestAuditExportBadSinceNamesBothForms(t *testing.T) {
	db := filepath.Join(t.TempDir(), "c.db")
	for _, flag := range []string{"--since", "--until"} {
		code, _, errOut := e2eRun(t, "audit", "export", "--db", db, flag, "yesterday")
		if code != 1 || !strings.Contains(errOut, flag+`: "yesterday" is neither a date or time`) || !strings.Contains(errOut, "duration back from now (24h") {
			t.Errorf("export %s yesterday: exit %d, %q; want 1 and both forms named", flag, code, errOut)
		}
	}
}
