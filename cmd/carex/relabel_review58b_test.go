package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carex-project/carex/api"
)

// review58bFixture: Jane (p58), her council's care package (the council
// is a source of her data, so its social worker has a relationship), and
// the GP practice's haematology report (v2-0074 HM) tagged care-plans, a
// lab Observation under STU3's category system tagged social-care and a
// Specimen tagged care-plans: the items revision 2026-12-06b classes as
// observations whatever their tag (review 56c).
func review58bFixture(t *testing.T) (dir, council, gp string) {
	t.Helper()
	dir = t.TempDir()
	council = filepath.Join(dir, "council.json")
	if err := os.WriteFile(council, []byte(`{"resourceType":"Bundle","type":"collection","entry":[
{"resource":{"resourceType":"Patient","id":"p58","name":[{"family":"Fiftyeight"}]}},
{"resource":{"resourceType":"EpisodeOfCare","id":"pkg58","status":"active","patient":{"reference":"Patient/p58"},"managingOrganization":{"identifier":{"system":"https://carex.example/Id/council-code","value":"E06000999"}}}}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	gp = filepath.Join(dir, "gp.json")
	if err := os.WriteFile(gp, []byte(`{"resourceType":"Bundle","type":"collection","entry":[
{"resource":{"resourceType":"DiagnosticReport","id":"fbc58","meta":{"tag":[{"system":"https://carex.example/data-class","code":"care-plans"}]},"status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0074","code":"HM"}]}],"code":{"text":"Full blood count"},"subject":{"reference":"Patient/p58"},"effectiveDateTime":"2026-11-01","conclusion":"Haemoglobin low"}},
{"resource":{"resourceType":"Observation","id":"hb58","meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},"status":"final","category":[{"coding":[{"system":"http://hl7.org/fhir/observation-category","code":"laboratory"}]}],"code":{"text":"Haemoglobin"},"subject":{"reference":"Patient/p58"},"effectiveDateTime":"2026-11-01","valueQuantity":{"value":92,"unit":"g/L"}}},
{"resource":{"resourceType":"Specimen","id":"spec58","meta":{"tag":[{"system":"https://carex.example/data-class","code":"care-plans"}]},"type":{"text":"Venous blood"},"subject":{"reference":"Patient/p58"},"receivedTime":"2026-11-01T10:00:00Z"}}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, council, gp
}

// review58bAsPreviousRelease rewrites the records as release 768ef30
// (revision 2026-12-06a) left them: the three items in the classes their
// tags gave them then, and the revision recorded beside the lists.
func review58bAsPreviousRelease(t *testing.T, db, revision string) {
	t.Helper()
	conn, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{
		`UPDATE versions SET data_class = 'care-plans' WHERE rid IN (SELECT rid FROM resources WHERE id IN ('fbc58','spec58'))`,
		`UPDATE resources SET data_class = 'care-plans' WHERE id IN ('fbc58','spec58')`,
		`UPDATE versions SET data_class = 'social-care' WHERE rid IN (SELECT rid FROM resources WHERE id = 'hb58')`,
		`UPDATE resources SET data_class = 'social-care' WHERE id = 'hb58'`,
		`UPDATE carex_meta SET value = replace(value, 'derived:` + api.DerivationRevision + `', 'derived:` + revision + `') WHERE key = 'labelling_lists'`,
	} {
		if _, err := conn.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func review58bLists(t *testing.T, db string) string {
	t.Helper()
	conn, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var v string
	if err := conn.QueryRow(`SELECT value FROM carex_meta WHERE key = 'labelling_lists'`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestReview58bSoundUpgradeRelabelWithholdsReclassedItems: records an
// earlier revision derived (the haematology report and Specimen as
// care-plans, the STU3 lab result as social-care, which the social worker
// reads) are refused by serve and import, naming carex relabel; relabel
// reports its counts, a second run changes nothing, and the social worker
// then gets 404 for each item, its history and her $everything; the access
// log written before verifies after it, and relabel adds no entry.
func TestReview58bSoundUpgradeRelabelWithholdsReclassedItems(t *testing.T) {
	dir, council, gp := review58bFixture(t)
	db, key, logKey := filepath.Join(dir, "carex.db"), filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "E06000999", "--sector", "council", "--quiet", council); code != 0 {
		t.Fatalf("import council: %d\n%s\n%s", code, out, errs)
	}
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", gp); code != 0 {
		t.Fatalf("import gp: %d\n%s\n%s", code, out, errs)
	}
	serve := []string{"--dev", "--db", db, "--dev-key", key, "--log-key", logKey}
	// A log written before the upgrade.
	s := e2eServe(t, e2eFreeAddr(t), append(serve, "--addr", "127.0.0.1:0")...)
	_, sw, _ := e2eRun(t, "token", "--dev-key", key, "--sub", "sw1", "--role", "social-worker", "--sector", "council", "--org", "E06000999")
	sw = strings.TrimSpace(sw)
	if st, body := s.get(t, "/fhir/EpisodeOfCare/pkg58", sw); st != 200 {
		t.Fatalf("the social worker's own care package: %d\n%s", st, body)
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve: exit %d", code)
	}
	review58bAsPreviousRelease(t, db, "2026-12-06a")
	// The previous release's view: the social worker read the three items.
	_, exportBefore, _ := e2eRun(t, "audit", "export", "--db", db)
	if strings.Count(exportBefore, `"resourceType":"AuditEvent"`) < 1 {
		t.Fatalf("no access log before the upgrade:\n%s", exportBefore)
	}

	code, errs := runBriefly(t, append([]string{"serve", "--addr", "127.0.0.1:0"}, serve...)...)
	if code == 0 || !strings.Contains(errs, "carex relabel --db "+db) || !strings.Contains(errs, "derived:2026-12-06a") {
		t.Errorf("serve on un-relabelled records: exit %d, want a refusal naming carex relabel and the revisions\n%s", code, errs)
	}
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", gp); code == 0 || !strings.Contains(errs, "carex relabel") {
		t.Errorf("import into un-relabelled records: exit %d, want a refusal naming carex relabel\n%s\n%s", code, out, errs)
	}
	code, out, errs := e2eRun(t, "relabel", "--db", db)
	if code != 0 || !strings.Contains(out, "changed: 3 (3 current)") {
		t.Fatalf("relabel: exit %d, want 0 and changed: 3 (3 current)\n%s\n%s", code, out, errs)
	}
	if code, out, errs := e2eRun(t, "relabel", "--db", db); code != 0 || !strings.Contains(out, "changed: 0 (0 current)") {
		t.Errorf("relabel again: exit %d, want 0 and nothing changed\n%s\n%s", code, out, errs)
	}
	if code, out, errs := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", logKey+".pub"); code != 0 {
		t.Errorf("audit verify after relabel: exit %d\n%s\n%s", code, out, errs)
	}
	if _, exportAfter, _ := e2eRun(t, "audit", "export", "--db", db); exportAfter != exportBefore {
		t.Errorf("the access log changed across relabel:\nbefore %d bytes\nafter %d bytes", len(exportBefore), len(exportAfter))
	}
	s = e2eServe(t, e2eFreeAddr(t), append(serve, "--addr", "127.0.0.1:0")...)
	for _, p := range []string{"/fhir/DiagnosticReport/fbc58", "/fhir/Observation/hb58", "/fhir/Specimen/spec58",
		"/fhir/Observation/hb58/_history/1", "/fhir/Specimen/spec58/_history"} {
		if st, body := s.get(t, p, sw); st != 404 {
			t.Errorf("social worker %s after relabel: %d, want 404\n%.300s", p, st, body)
		}
	}
	if st, body := s.get(t, "/fhir/Patient/p58/$everything", sw); st != 200 || strings.Contains(body, "fbc58") || strings.Contains(body, "hb58") || strings.Contains(body, "spec58") {
		t.Errorf("social worker $everything after relabel: %d, want 200 without the three items\n%.600s", st, body)
	}
	_, gpTok, _ := e2eRun(t, "token", "--dev-key", key, "--sub", "gp1", "--role", "gp", "--sector", "nhs", "--org", "A81001")
	if st, body := s.get(t, "/fhir/Observation/hb58", strings.TrimSpace(gpTok)); st != 200 {
		t.Errorf("the source GP reads its lab result after relabel: %d, want 200\n%.300s", st, body)
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve: exit %d", code)
	}
}

// TestReview58bRelabelRefusesRecordsOfALaterRevision: records a later
// release derived (here recorded as derived:2099-01-01a) are not this
// release's to relabel: README says an earlier carex refuses records a
// later release opened ("upgrade carex"), and to go back one restores a
// copy. Run against the real binaries: 768ef30's serve, on records this
// release relabelled, said "After upgrading carex, stop any server and run
// carex relabel"; 768ef30's relabel then ran (changed: 4), recorded
// derived:2026-12-06a, and 768ef30's serve released the haematology report
// to the social worker again. This release does the same to a later one's
// records: its relabel runs and records its own, older revision.
func TestReview58bRelabelRefusesRecordsOfALaterRevision(t *testing.T) {
	dir, council, gp := review58bFixture(t)
	db, key, logKey := filepath.Join(dir, "carex.db"), filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "E06000999", "--sector", "council", "--quiet", council); code != 0 {
		t.Fatalf("import council: %d\n%s\n%s", code, out, errs)
	}
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", gp); code != 0 {
		t.Fatalf("import gp: %d\n%s\n%s", code, out, errs)
	}
	conn, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(`UPDATE carex_meta SET value = replace(value, 'derived:` + api.DerivationRevision + `', 'derived:2099-01-01a') WHERE key = 'labelling_lists'`); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	serve := []string{"serve", "--dev", "--addr", "127.0.0.1:0", "--db", db, "--dev-key", key, "--log-key", logKey}
	code, errs := runBriefly(t, serve...)
	if code == 0 {
		t.Fatalf("serve on a later revision's records: exit 0")
	}
	if strings.Contains(errs, "run carex relabel") || !strings.Contains(errs, "upgrade carex") {
		t.Errorf("serve on a later release's records tells the operator to run this (older) release's relabel, want \"upgrade carex\":\n%s", errs)
	}
	code, out, errs := e2eRun(t, "relabel", "--db", db)
	if code == 0 {
		t.Errorf("relabel of a later release's records: exit 0, want a refusal (upgrade carex, or restore a copy)\n%s\n%s\nrecorded now: %s", out, errs, review58bLists(t, db))
	}
}
