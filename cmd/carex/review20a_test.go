package main

import (
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carex-project/carex/consent"
	"time"
)

// TestReview20aInterruptedRelabelKeepsServerOut: carex relabel relabels in
// batches of 500 versions, each committed, and recorded its policy's code
// lists only at the end. A relabel to lists without a code (here: the
// built-in lists, after a policy that labelled 191736004 PSY) that stopped
// part-way (a disk error, Ctrl-C, a killed process) left the first
// batches labelled with the new lists while the old lists stayed recorded:
// serve with the old --policy started, and the district nurse read a
// Condition coded 191736004 that its policy withholds (it was unlabelled by
// the unfinished relabel). Now a relabel records, before it changes
// anything, that one is under way, and serve, import and gen refuse the
// records until a relabel has finished, saying so.
func TestReview20aInterruptedRelabelKeepsServerOut(t *testing.T) {
	dir, pol, conds := labellingFixture(t)
	db, key, logKey := filepath.Join(dir, "carex.db"), filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	// 500 more Conditions with the PSY code, so that the relabel takes two
	// batches: ocd1 in the first, the last of these in the second.
	var nd strings.Builder
	for i := 0; i < 500; i++ {
		fmt.Fprintf(&nd, `{"resourceType":"Condition","id":"more%d","subject":{"reference":"Patient/p1"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"191736004"}]}}`+"\n", i)
	}
	more := filepath.Join(dir, "more.ndjson")
	if err := os.WriteFile(more, []byte(nd.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", "--policy", pol, conds[3], conds[0], more); code != 0 {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, errs)
	}
	// The second batch fails: a real SQLite error on its one version.
	conn, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(`CREATE TRIGGER review20a_fail BEFORE UPDATE ON versions WHEN OLD.vpk = (SELECT max(vpk) FROM versions) BEGIN SELECT RAISE(ABORT, 'disk trouble'); END`); err != nil {
		conn.Close()
		t.Fatal(err)
	}
	conn.Close()
	if code, out, errs := e2eRun(t, "relabel", "--db", db); code == 0 {
		t.Fatalf("relabel with a failing second batch: exit 0, want a failure\n%s\n%s", out, errs)
	}
	serve := []string{"serve", "--dev", "--addr", "127.0.0.1:0", "--db", db, "--dev-key", key, "--log-key", logKey}
	code, errs := runBriefly(t, append(serve, "--policy", pol)...)
	if code == 0 || !strings.Contains(errs, "did not finish") || !strings.Contains(errs, "carex relabel --db "+db) {
		t.Errorf("serve with the old lists after an unfinished relabel: exit %d, want a refusal saying the relabel did not finish and naming it\n%s", code, errs)
	}
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", "--policy", pol, conds[1]); code == 0 || !strings.Contains(errs, "did not finish") {
		t.Errorf("import with the old lists after an unfinished relabel: exit %d, want a refusal\n%s\n%s", code, out, errs)
	}
	if code, errs := runBriefly(t, serve...); code == 0 {
		t.Errorf("serve with the unfinished relabel's lists: exit 0, want a refusal\n%s", errs)
	}
	// The trouble mended, the relabel run again (with the old policy, the
	// operator having changed their mind), the server starts and withholds.
	if conn, err = sql.Open("sqlite", db); err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(`DROP TRIGGER review20a_fail`)
	conn.Close()
	if err != nil {
		t.Fatal(err)
	}
	if code, out, errs := e2eRun(t, "relabel", "--db", db, "--policy", pol); code != 0 {
		t.Fatalf("relabel again: exit %d\n%s\n%s", code, out, errs)
	}
	addr := e2eFreeAddr(t)
	s := e2eServe(t, addr, append(serve[1:], "--addr", addr, "--policy", pol)...)
	_, nurse, _ := e2eRun(t, "token", "--dev-key", key, "--policy", pol, "--sub", "dn1", "--role", "district-nurse", "--sector", "nhs", "--org", "RCX")
	if status, body := s.get(t, "/fhir/Condition/ocd1", strings.TrimSpace(nurse)); status != 404 {
		t.Errorf("the district nurse reads the PSY Condition: %d, want 404\n%s", status, body)
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve: exit %d", code)
	}
}

// put sends body to path with PUT as token's user, returning the status.
func (s *server) review20aPut(t *testing.T, path, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("PUT", s.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/fhir+json")
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestReview20aBenchBaselineLabelsWhatItWrites: serve --bench-no-privacy
// skipped the code-list check and labelled nothing on write (its policy
// was api.OpenPolicy, whose Label does nothing), so a Condition coded with
// a code the deployment's policy lists as PSY, written to the baseline,
// was stored unlabelled in records whose recorded lists were the
// policy's: the next ordinary serve with that --policy started and the
// district nurse read it. Now the baseline labels on write with its
// policy's lists and, like serve, refuses records labelled with others.
func TestReview20aBenchBaselineLabelsWhatItWrites(t *testing.T) {
	dir, pol, conds := labellingFixture(t)
	db, key, logKey := filepath.Join(dir, "carex.db"), filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", "--policy", pol, conds[3]); code != 0 {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, errs)
	}
	args := []string{"--dev", "--db", db, "--dev-key", key, "--log-key", logKey, "--policy", pol}
	addr := e2eFreeAddr(t)
	b := e2eServe(t, addr, append(args, "--addr", addr, "--bench-no-privacy")...)
	_, gp, _ := e2eRun(t, "token", "--dev-key", key, "--policy", pol, "--sub", "gp1", "--role", "gp", "--sector", "nhs", "--org", "A81001")
	body := `{"resourceType":"Condition","id":"ocd9","subject":{"reference":"Patient/p1"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"191736004"}]}}`
	if status, resp := b.review20aPut(t, "/fhir/Condition/ocd9", strings.TrimSpace(gp), body); status != 201 && status != 200 {
		t.Fatalf("PUT to the baseline: %d\n%s", status, resp)
	}
	if code := b.stop(t); code != 0 {
		t.Fatalf("the baseline: exit %d", code)
	}
	addr = e2eFreeAddr(t)
	s := e2eServe(t, addr, append(args, "--addr", addr)...)
	_, nurse, _ := e2eRun(t, "token", "--dev-key", key, "--policy", pol, "--sub", "dn1", "--role", "district-nurse", "--sector", "nhs", "--org", "RCX")
	if status, resp := s.get(t, "/fhir/Condition/ocd9", strings.TrimSpace(nurse)); status != 404 {
		t.Errorf("the district nurse reads the PSY Condition the baseline stored: %d, want 404\n%s", status, resp)
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve: exit %d", code)
	}
	// A baseline with other lists than the records' is refused, as serve is.
	if code, errs := runBriefly(t, append([]string{"serve", "--addr", "127.0.0.1:0", "--bench-no-privacy"}, args[:len(args)-2]...)...); code == 0 || !strings.Contains(errs, "carex relabel --db "+db) {
		t.Errorf("baseline with other code lists: exit %d, want a refusal naming the relabel to run\n%s", code, errs)
	}
}

// TestReview20aRelabelRefusedBesideServerLeavesListsAlone: a relabel
// refused because a server has the records open changed nothing, and
// leaves the recorded lists as they were: the server starts again after
// it (the first version of the unfinished-relabel mark, written before the
// relabel had the records alone, kept it out; seen to fail then).
func TestReview20aRelabelRefusedBesideServerLeavesListsAlone(t *testing.T) {
	dir, pol, conds := labellingFixture(t)
	db, key, logKey := filepath.Join(dir, "carex.db"), filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", "--policy", pol, conds[3], conds[0]); code != 0 {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, errs)
	}
	args := []string{"--dev", "--db", db, "--dev-key", key, "--log-key", logKey, "--policy", pol}
	addr := e2eFreeAddr(t)
	s := e2eServe(t, addr, append(args, "--addr", addr)...)
	if code, out, errs := e2eRun(t, "relabel", "--db", db); code == 0 || !strings.Contains(errs, "another process") {
		t.Errorf("relabel beside a server: exit %d, want a refusal\n%s\n%s", code, out, errs)
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve: exit %d", code)
	}
	addr = e2eFreeAddr(t)
	s = e2eServe(t, addr, append(args, "--addr", addr)...)
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve again: exit %d", code)
	}
}

// TestReview20aCodesetFileEditedInPlace: a policy's codeset names a TSV
// file, and the fingerprint of the code lists is taken from the codes the
// file holds when the policy is loaded, not from the policy's lines: a
// code added to the file between two runs makes other lists, and the
// second import (same policy file, same codeset line) is refused; ICD-10
// codes written with a dot or in lower case are the same lists. (Passed
// when first written.)
func TestReview20aCodesetFileEditedInPlace(t *testing.T) {
	dir, _, conds := labellingFixture(t)
	db, tsv, pol := filepath.Join(dir, "carex.db"), filepath.Join(dir, "psy.tsv"), filepath.Join(dir, "codeset.policy")
	if err := os.WriteFile(tsv, []byte("# local PSY list\n35489007\tdepression\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	write := func(name, extra string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(consent.DefaultPolicyText()+"\ncodeset PSY snomed "+tsv+"\n"+extra), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	pol = write("codeset.policy", "code PSY icd10 F32.1\n")
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", "--policy", pol, conds[3]); code != 0 {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, errs)
	}
	same := write("same.policy", "code PSY icd10 f321\n")
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", "--policy", same, conds[2]); code != 0 {
		t.Errorf("import with the same lists written otherwise: exit %d\n%s\n%s", code, out, errs)
	}
	if err := os.WriteFile(tsv, []byte("# local PSY list\n35489007\tdepression\n191736004\tobsessive-compulsive disorder\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", "--policy", pol, conds[0]); code == 0 || !strings.Contains(errs, "other code lists") {
		t.Errorf("import after the codeset file gained a code: exit %d, want a refusal\n%s\n%s", code, out, errs)
	}
}
