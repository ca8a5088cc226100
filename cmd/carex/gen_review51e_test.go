package main

import (
	"bufio"
	"bytes"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/carex-project/carex/fhir/synth"
)

// review51eGen runs carex gen and fails the test on a non-zero exit.
func review51eGen(t *testing.T, args ...string) string {
	t.Helper()
	code, stdout, stderr := e2eRun(t, append([]string{"gen", "--quiet"}, args...)...)
	if code != 0 {
		t.Fatalf("carex gen %v: exit %d\n%s\n%s", args, code, stdout, stderr)
	}
	return stdout
}

func review51eFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = b
	}
	return m
}

func review51eSameFiles(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !bytes.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// review51eImportAll imports gen's NDJSON files in the manifest's order.
func review51eImportAll(t *testing.T, out, db string) {
	t.Helper()
	m, err := synth.LoadManifest(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range m.Orgs {
		code, _, stderr := e2eRun(t, "import", "--quiet", "--db", db, "--org", o.Code, "--sector", o.Sector, filepath.Join(out, o.File))
		if code != 0 {
			t.Fatalf("import %s: exit %d: %s", o.File, code, stderr)
		}
	}
}

// review51eRows lists what the sharing decision reads of each current
// resource: type, id, source, data class, labels, patients, codes.
func review51eRows(t *testing.T, db string) []string {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.Query(`SELECT type, id, deleted, source_org, data_class, labels, patients, codes, clinical, clinical_end FROM resources ORDER BY type, id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var typ, id, src, class, labels, pats, codes string
		var del, clin, clinEnd int64
		if err := rows.Scan(&typ, &id, &del, &src, &class, &labels, &pats, &codes, &clin, &clinEnd); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal([]any{typ, id, del, src, class, labels, pats, codes, clin, clinEnd})
		out = append(out, string(b))
	}
	return out
}

func review51eNHSValid(n string) bool {
	n = strings.ReplaceAll(n, " ", "")
	if len(n) != 10 {
		return false
	}
	sum := 0
	for i := 0; i < 9; i++ {
		c := n[i]
		if c < '0' || c > '9' {
			return false
		}
		sum += int(c-'0') * (10 - i)
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	return check != 10 && n[9] == byte('0'+check)
}

// TestReview51eSoundGenDeterministicValidAndSameEitherWay: the same seed and
// size give byte-identical NDJSON and manifest; another seed differs; NHS
// numbers are unique, valid modulus 11 and in the 999 test range; every
// line imports (carex's own validation), and gen --db makes the same
// records, sources, data classes, labels, compartments and codes as the
// NDJSON imported; the HIV diagnoses are labelled on the way in.
func TestReview51eSoundGenDeterministicValidAndSameEitherWay(t *testing.T) {
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")
	args := []string{"--people", "150", "--seed", "9"}
	review51eGen(t, append(args, "--out", a)...)
	review51eGen(t, append(args, "--out", b)...)
	review51eGen(t, "--people", "150", "--seed", "10", "--out", c)
	fa, fb, fc := review51eFiles(t, a), review51eFiles(t, b), review51eFiles(t, c)
	if !review51eSameFiles(fa, fb) {
		t.Errorf("the same seed gave different files")
	}
	for name := range fa {
		if bytes.Equal(fa[name], fc[name]) {
			t.Errorf("seeds 9 and 10 gave the same %s", name)
		}
	}
	// NHS numbers.
	seen := map[string]bool{}
	for name, raw := range fa {
		if !strings.HasSuffix(name, ".ndjson") {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(raw))
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			var r struct {
				ResourceType string `json:"resourceType"`
				Identifier   []struct{ System, Value string }
			}
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if r.ResourceType != "Patient" {
				continue
			}
			for _, id := range r.Identifier {
				if id.System != "https://fhir.nhs.uk/Id/nhs-number" {
					continue
				}
				n := strings.ReplaceAll(id.Value, " ", "")
				if !review51eNHSValid(n) || !strings.HasPrefix(n, "999") || seen[n] {
					t.Errorf("NHS number %q: valid %v, 999 range %v, duplicate %v", n, review51eNHSValid(n), strings.HasPrefix(n, "999"), seen[n])
				}
				seen[n] = true
			}
		}
	}
	if len(seen) != 150 {
		t.Errorf("%d NHS numbers for 150 people", len(seen))
	}
	// --db against --out + import.
	gdb, idb := filepath.Join(dir, "g.db"), filepath.Join(dir, "i.db")
	review51eGen(t, append(args, "--db", gdb)...)
	review51eImportAll(t, a, idb)
	g, i := review51eRows(t, gdb), review51eRows(t, idb)
	if strings.Join(g, "\n") != strings.Join(i, "\n") {
		t.Errorf("gen --db (%d rows) and gen --out + import (%d rows) differ", len(g), len(i))
	}
	hiv := 0
	for _, r := range g {
		if strings.Contains(r, "http://snomed.info/sct|86406008") {
			hiv++
			if !strings.Contains(r, "HIV") {
				t.Errorf("HIV diagnosis unlabelled: %s", r)
			}
		}
	}
	t.Logf("%d resources, %d HIV diagnoses", len(g), hiv)
}

// TestReview51eGenSeedZeroIsSeedOne: --seed 0 is taken silently as seed 1
// (synth's default), so two different seeds give byte-identical output and
// the manifest records a seed that was not asked for.
func TestReview51eGenSeedZeroIsSeedOne(t *testing.T) {
	dir := t.TempDir()
	s0, s1 := filepath.Join(dir, "s0"), filepath.Join(dir, "s1")
	code, stdout, stderr := e2eRun(t, "gen", "--quiet", "--people", "20", "--seed", "0", "--out", s0)
	if code != 0 {
		t.Logf("gen --seed 0 refused (exit %d): %s", code, stderr)
		return // refusing 0 is an honest answer
	}
	review51eGen(t, "--people", "20", "--seed", "1", "--out", s1)
	m, err := synth.LoadManifest(filepath.Join(s0, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if review51eSameFiles(review51eFiles(t, s0), review51eFiles(t, s1)) {
		t.Errorf("gen --seed 0 and --seed 1 wrote byte-identical files (manifest seed %d; summary %q)", m.Seed, strings.SplitN(stdout, "\n", 2)[0])
	} else if m.Seed != 0 {
		t.Errorf("gen --seed 0: manifest says seed %d", m.Seed)
	}
}

// TestReview51eGenFutureAsOfWritesUnloadableRecords: gen takes any --as-of,
// and with one in the future writes Consents dated in the future, which
// carex import (and gen --db itself) refuse: gen --out exits 0 and prints
// the import lines for files that do not load.
func TestReview51eGenFutureAsOfWritesUnloadableRecords(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	code, _, stderr := e2eRun(t, "gen", "--quiet", "--people", "30", "--as-of", "2999-01-01", "--out", out)
	if code != 0 {
		t.Logf("gen refused a future --as-of (exit %d): %s", code, stderr)
		return
	}
	m, err := synth.LoadManifest(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "i.db")
	for _, o := range m.Orgs {
		code, _, stderr := e2eRun(t, "import", "--quiet", "--db", db, "--org", o.Code, "--sector", o.Sector, filepath.Join(out, o.File))
		if code != 0 {
			t.Errorf("gen --as-of 2999-01-01 exited 0, but its %s does not import: %s", o.File, strings.TrimSpace(stderr))
		}
	}
	gdb := filepath.Join(dir, "g.db")
	code, _, stderr = e2eRun(t, "gen", "--quiet", "--people", "30", "--as-of", "2999-01-01", "--db", gdb)
	if code != 0 {
		_, statErr := os.Stat(gdb)
		t.Errorf("gen --db --as-of 2999-01-01: exit %d after starting (%s); database left behind: %v", code, strings.TrimSpace(stderr), statErr == nil)
	}
}

// TestReview51eSoundImportBadLine: an NDJSON line failing validation (an
// NHS number failing modulus 11) makes import exit non-zero, names the
// line, and stores nothing of its batch.
func TestReview51eSoundImportBadLine(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	review51eGen(t, "--people", "10", "--seed", "3", "--out", out)
	raw, err := os.ReadFile(filepath.Join(out, "RCX.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(raw), "\n")
	bad := `{"resourceType":"Patient","id":"probe51e","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9999999990"}]}` + "\n"
	f := filepath.Join(dir, "bad.ndjson")
	os.WriteFile(f, []byte(strings.Join(lines[:3], "")+bad+strings.Join(lines[3:6], "")), 0o644)
	db := filepath.Join(dir, "b.db")
	code, _, stderr := e2eRun(t, "import", "--quiet", "--db", db, "--org", "RCX", f)
	if code == 0 || !strings.Contains(stderr, "line 4") || strings.Contains(stderr, "9999999990") {
		t.Errorf("import with a bad line 4: exit %d, %s", code, stderr)
	}
	if rows := review51eRows(t, db); len(rows) != 0 {
		t.Errorf("the refused batch stored %d resources", len(rows))
	}
}

// TestReview51eSoundImportBesideServerAndTwice: an opt-out Consent
// imported while a server serves the database is honoured at once by that
// server; importing the whole population a second time changes no
// decision (second versions, not duplicates).
func TestReview51eSoundImportBesideServerAndTwice(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	review51eGen(t, "--people", "60", "--seed", "4", "--out", out)
	db, devKey, logKey := filepath.Join(dir, "c.db"), filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	review51eImportAll(t, out, db)
	// Council-linked patients with no Consent.
	conn, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := conn.Query(`SELECT DISTINCT patients FROM resources WHERE source_org = 'E06000999' AND type = 'EpisodeOfCare'
		AND patients NOT IN (SELECT patients FROM resources WHERE type = 'Consent') ORDER BY patients`)
	if err != nil {
		t.Fatal(err)
	}
	var pats []string
	for rows.Next() {
		var p string
		rows.Scan(&p)
		pats = append(pats, p)
	}
	rows.Close()
	conn.Close()
	if len(pats) < 2 {
		t.Fatalf("council patients without consent: %v", pats)
	}
	addr := e2eFreeAddr(t)
	s := e2eServe(t, addr, "--dev", "--addr", addr, "--db", db, "--dev-key", devKey, "--log-key", logKey)
	code, tok, errs := e2eRun(t, "token", "--dev-key", devKey, "--sub", "sw51e", "--role", "social-worker", "--sector", "council", "--org", "E06000999")
	if code != 0 {
		t.Fatal(errs)
	}
	tok = strings.TrimSpace(tok)
	everything := func(p string) (int, []string) {
		req, _ := http.NewRequest("GET", s.base+"/fhir/Patient/"+p+"/$everything?_count=1000", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		var b struct {
			Entry []struct {
				Resource struct {
					ResourceType, ID string
					Meta             struct{ Source string }
				}
			}
		}
		json.Unmarshal(body, &b)
		var ids []string
		for _, e := range b.Entry {
			ids = append(ids, e.Resource.ResourceType+"/"+e.Resource.ID)
		}
		sort.Strings(ids)
		return res.StatusCode, ids
	}
	before := map[string][]string{}
	for _, p := range pats {
		_, before[p] = everything(p)
	}
	target := pats[0]
	nhsItems := 0
	for _, id := range before[target] {
		if strings.HasPrefix(id, "Encounter/") || strings.HasPrefix(id, "MedicationStatement/") || strings.HasPrefix(id, "Patient/") {
			nhsItems++
		}
	}
	// The opt-out, imported beside the running server.
	optout := `{"resourceType":"Consent","id":"probe51e-optout","status":"active","scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},"category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],"patient":{"reference":"Patient/` + target + `"},"dateTime":"2025-02-26","organization":[{"reference":"Organization/A81001"}],"policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTOUT"}]}}` + "\n"
	of := filepath.Join(dir, "optout.ndjson")
	os.WriteFile(of, []byte(optout), 0o644)
	if code, _, stderr := e2eRun(t, "import", "--quiet", "--db", db, "--org", "A81001", of); code != 0 {
		t.Fatalf("import beside server: exit %d: %s", code, stderr)
	}
	_, after := everything(target)
	for _, id := range after {
		if !strings.HasPrefix(id, "CareTeam/") && !strings.HasPrefix(id, "Task/") && !strings.HasPrefix(id, "EpisodeOfCare/") &&
			!strings.HasPrefix(id, "ServiceRequest/") && !strings.HasPrefix(id, "RelatedPerson/") && !strings.HasPrefix(id, "Flag/") && id != "OperationOutcome/" {
			t.Errorf("after the opt-out was imported beside the server, the council social worker still got %s (before: %v)", id, before[target])
		}
	}
	t.Logf("%s: before %d items (%d NHS), after %v", target, len(before[target]), nhsItems, after)
	// The whole population imported again: no decision changes.
	review51eImportAll(t, out, db)
	for _, p := range pats[1:] {
		_, again := everything(p)
		if strings.Join(again, " ") != strings.Join(before[p], " ") {
			t.Errorf("%s after a second import: %v, before %v", p, again, before[p])
		}
	}
}

// TestReview51eSoundBenchNoPrivacyFromEnvNeedsDev: the privacy-off baseline
// set through the environment is refused without --dev, as the flag is.
func TestReview51eSoundBenchNoPrivacyFromEnvNeedsDev(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CAREX_BENCH_NO_PRIVACY", "true")
	code, _, stderr := e2eRun(t, "serve", "--db", filepath.Join(dir, "c.db"), "--addr", "127.0.0.1:0")
	if code == 0 || !strings.Contains(stderr, "refused without --dev") {
		t.Errorf("CAREX_BENCH_NO_PRIVACY without --dev: exit %d, %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "c.db")); err == nil {
		t.Errorf("the refused server created its database")
	}
}
