package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/consent"
)

// labellingFixture is a policy adding a PSY code (obsessive-compulsive
// disorder) to the built-in lists, two Conditions carrying that code, one
// carrying another, and their Patient with a care team of the district
// nurses' trust (RCX).
func labellingFixture(t *testing.T) (dir, pol string, conds []string) {
	t.Helper()
	dir = t.TempDir()
	pol = filepath.Join(dir, "policy.txt")
	if err := os.WriteFile(pol, []byte(consent.DefaultPolicyText()+"\ncode PSY snomed 191736004\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"ocd1", "ocd2", "other"} {
		code := "191736004"
		if id == "other" {
			code = "38341003" // hypertension: no list names it
		}
		f := filepath.Join(dir, id+".json")
		body := `{"resourceType":"Condition","id":"` + id + `","subject":{"reference":"Patient/p1"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"` + code + `"}]}}`
		if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		conds = append(conds, f)
	}
	f := filepath.Join(dir, "p1.json")
	if err := os.WriteFile(f, []byte(`{"resourceType":"Bundle","type":"collection","entry":[
{"resource":{"resourceType":"Patient","id":"p1","name":[{"family":"One"}]}},
{"resource":{"resourceType":"CareTeam","id":"ct1","status":"active","subject":{"reference":"Patient/p1"},"participant":[{"member":{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"RCX"}}}]}}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, pol, append(conds, f)
}

// TestImportBesideServerNeedsItsCodeLists: carex import without the
// server's --policy labelled with the built-in code lists, so an item
// carrying a code the deployment's policy lists as sensitive was stored
// unlabelled beside a server that would have labelled it, and went to
// every role (review 19d noticed: the same Condition written through the
// API was withheld from the district nurse, imported it was not).
func TestImportBesideServerNeedsItsCodeLists(t *testing.T) {
	dir, pol, conds := labellingFixture(t)
	db, key := filepath.Join(dir, "carex.db"), filepath.Join(dir, "dev.pem")
	addr := e2eFreeAddr(t)
	s := e2eServe(t, addr, "--dev", "--addr", addr, "--db", db, "--dev-key", key, "--log-key", filepath.Join(dir, "log-key"), "--policy", pol)

	code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", conds[0])
	if code == 0 || !strings.Contains(errs, "--policy") || !strings.Contains(errs, "carex relabel") {
		t.Errorf("import without the server's --policy: exit %d, want a refusal naming --policy and carex relabel\n%s\n%s", code, out, errs)
	}
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", "--policy", pol, conds[1], conds[2], conds[3]); code != 0 {
		t.Fatalf("import with the server's --policy: exit %d\n%s\n%s", code, out, errs)
	}
	_, tok, _ := e2eRun(t, "token", "--dev-key", key, "--policy", pol, "--sub", "gp1", "--role", "gp", "--sector", "nhs", "--org", "A81001")
	tok = strings.TrimSpace(tok)
	if status, body := s.get(t, "/fhir/Condition/ocd1", tok); status != 404 {
		t.Errorf("the refused import's Condition: %d, want 404 (nothing imported)\n%s", status, body)
	}
	if status, body := s.get(t, "/fhir/Condition/ocd2", tok); status != 200 {
		t.Errorf("the imported Condition, to its source: %d, want 200\n%s", status, body)
	}
	_, nurse, _ := e2eRun(t, "token", "--dev-key", key, "--policy", pol, "--sub", "dn1", "--role", "district-nurse", "--sector", "nhs", "--org", "RCX")
	for id, want := range map[string]int{"ocd1": 404, "ocd2": 404, "other": 200} {
		if status, body := s.get(t, "/fhir/Condition/"+id, strings.TrimSpace(nurse)); status != want {
			t.Errorf("the district nurse reads Condition/%s: %d, want %d\n%s", id, status, want, body)
		}
	}
}

// runBriefly runs the command line; a server that starts after all is
// stopped after a while, so the test fails rather than hangs.
func runBriefly(t *testing.T, args ...string) (code int, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var out, errb syncBuffer
	code = run(ctx, args, &out, &errb)
	return code, errb.String()
}

// TestServeRefusesRecordsLabelledWithOtherCodeLists: a server started
// with other code lists than the records were labelled with decided with
// labels its own lists would not have set: a code the new policy adds was
// on no stored item. It is refused until carex relabel has labelled them
// with its lists.
func TestServeRefusesRecordsLabelledWithOtherCodeLists(t *testing.T) {
	dir, pol, conds := labellingFixture(t)
	db, key, logKey := filepath.Join(dir, "carex.db"), filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", conds[0]); code != 0 {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, errs)
	}
	serve := []string{"serve", "--dev", "--addr", "127.0.0.1:0", "--db", db, "--dev-key", key, "--log-key", logKey}
	code, errs := runBriefly(t, append(serve, "--policy", pol)...)
	if code == 0 || !strings.Contains(errs, "carex relabel --db "+db+" --policy "+pol) {
		t.Fatalf("serve with other code lists: exit %d, want a refusal naming the relabel to run\n%s", code, errs)
	}
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", "--policy", pol, conds[1]); code == 0 {
		t.Errorf("import with other code lists than the records': exit 0, want a refusal\n%s\n%s", out, errs)
	}
	code, out, errs := e2eRun(t, "relabel", "--db", db, "--policy", pol)
	if code != 0 || !strings.Contains(out, "changed: 1 ") {
		t.Fatalf("relabel --policy: exit %d, want one version changed (PSY added)\n%s\n%s", code, out, errs)
	}
	addr := e2eFreeAddr(t)
	s := e2eServe(t, addr, append(serve[1:], "--addr", addr, "--policy", pol)...)
	_, nurse, _ := e2eRun(t, "token", "--dev-key", key, "--policy", pol, "--sub", "dn1", "--role", "district-nurse", "--sector", "nhs", "--org", "RCX")
	if status, body := s.get(t, "/fhir/Condition/ocd1", strings.TrimSpace(nurse)); status != 404 {
		t.Errorf("after relabel, the district nurse reads the PSY Condition: %d, want 404\n%s", status, body)
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve: exit %d", code)
	}
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", "--policy", pol, conds[1]); code != 0 {
		t.Errorf("import with the relabelled lists: exit %d\n%s\n%s", code, out, errs)
	}
}

// setLabelledWith writes what the records say they were labelled with
// ("": nothing, as an earlier carex left them).
func setLabelledWith(t *testing.T, db, value string) {
	t.Helper()
	conn, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	q, args := `INSERT INTO carex_meta(key, value) VALUES ('labelling_lists', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, []any{value}
	if value == "" {
		q, args = `DELETE FROM carex_meta WHERE key = 'labelling_lists'`, nil
	}
	res, err := conn.Exec(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("changed %d records of the code lists, want 1", n)
	}
}

// TestRecordsFromAnEarlierCarexNeedRelabel: records an earlier carex wrote
// say nothing of the code lists that labelled them, and may hold items an
// import without the server's --policy left unlabelled (review 19d);
// taking the first command's lists for theirs (b37dc54; review 20a
// noticed) let a server decide with those labels. They are refused until
// carex relabel has labelled them, and so are records worked out by an
// earlier release's rules (api.DerivationRevision).
func TestRecordsFromAnEarlierCarexNeedRelabel(t *testing.T) {
	dir, pol, conds := labellingFixture(t)
	db, key, logKey := filepath.Join(dir, "carex.db"), filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", conds[0], conds[3]); code != 0 {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, errs)
	}
	serve := []string{"serve", "--dev", "--addr", "127.0.0.1:0", "--db", db, "--dev-key", key, "--log-key", logKey, "--policy", pol}
	relabel := "carex relabel --db " + db + " --policy " + pol
	for _, c := range []struct{ recorded, says string }{
		{"", "did not record the code lists"},
		{labelledWith(mustPolicy(t, pol))[:len("sha256:")+64] + " derived:2026-01-01", "After upgrading carex"},
	} {
		setLabelledWith(t, db, c.recorded)
		if code, errs := runBriefly(t, serve...); code == 0 || !strings.Contains(errs, c.says) || !strings.Contains(errs, relabel) {
			t.Errorf("serve on records labelled with %q: exit %d, want a refusal saying %q and naming %q\n%s", c.recorded, code, c.says, relabel, errs)
		}
		if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", "--policy", pol, conds[1]); code == 0 || !strings.Contains(errs, c.says) {
			t.Errorf("import into records labelled with %q: exit %d, want a refusal saying %q\n%s\n%s", c.recorded, code, c.says, out, errs)
		}
	}
	if code, out, errs := e2eRun(t, "relabel", "--db", db, "--policy", pol); code != 0 || !strings.Contains(out, "changed: 1 ") {
		t.Fatalf("relabel --policy: exit %d, want one version changed (PSY added)\n%s\n%s", code, out, errs)
	}
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", "--policy", pol, conds[1]); code != 0 {
		t.Errorf("import after relabel: exit %d\n%s\n%s", code, out, errs)
	}
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", conds[2]); code == 0 {
		t.Errorf("import with other code lists than the relabel's: exit 0, want a refusal\n%s\n%s", out, errs)
	}
}

func mustPolicy(t *testing.T, path string) *consent.Policy {
	t.Helper()
	p, err := loadPolicyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestEmptyDatabaseTakesTheDeploymentsCodeLists: the first command on a new
// database recorded its code lists even when it stored nothing (a serve
// started once without --policy, an import whose first file failed), and
// the deployment's own serve and import with its --policy were then
// refused, for records that did not exist (review 20e). A database holding
// no records takes the lists of a server that has it to itself; one a
// server with other lists has open still refuses them, and import does not
// replace them.
func TestEmptyDatabaseTakesTheDeploymentsCodeLists(t *testing.T) {
	dir, pol, conds := labellingFixture(t)
	db, key, logKey := filepath.Join(dir, "carex.db"), filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	serve := []string{"--dev", "--db", db, "--dev-key", key, "--log-key", logKey}
	addr := e2eFreeAddr(t)
	s := e2eServe(t, addr, append(serve, "--addr", addr)...)
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", "--policy", pol, conds[3]); code == 0 {
		t.Errorf("import with other lists beside a server on an empty database: exit 0, want a refusal\n%s\n%s", out, errs)
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve: exit %d", code)
	}
	// Only the server takes the place of recorded lists: an import run
	// without the deployment's --policy would otherwise replace those a
	// server with it recorded (review 20g).
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", "--policy", pol, conds[3]); code == 0 || !strings.Contains(errs, "no records are stored yet") {
		t.Errorf("import with other lists than the server's, on an empty database: exit %d, want a refusal saying no records are stored\n%s\n%s", code, out, errs)
	}
	addr = e2eFreeAddr(t)
	s = e2eServe(t, addr, append(serve, "--addr", addr, "--policy", pol)...)
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve --policy: exit %d", code)
	}
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", "--policy", pol, conds[0], conds[3]); code != 0 {
		t.Fatalf("import with the deployment's --policy: exit %d\n%s\n%s", code, out, errs)
	}
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", conds[2]); code == 0 {
		t.Errorf("import with other lists once records are stored: exit 0, want a refusal\n%s\n%s", out, errs)
	}
}
