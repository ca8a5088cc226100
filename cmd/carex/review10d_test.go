package main

// Review 10d: operating carex — the commands an administrator runs (import,
// relabel, audit, serve, token, demo). Each test says whether it was seen
// failing before its fix or passed when first written.

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/store/sqlite"
)

// r10dWrite writes a file in dir and returns its path.
func r10dWrite(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// r10dStored lists the current Type/id of a database's records.
func r10dStored(t *testing.T, db string) map[string]bool {
	t.Helper()
	st, err := sqlite.Open(context.Background(), db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.Reader().QueryContext(context.Background(), `SELECT type, id FROM resources WHERE deleted = 0`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var typ, id string
		if err := rows.Scan(&typ, &id); err != nil {
			t.Fatal(err)
		}
		out[typ+"/"+id] = true
	}
	return out
}

const r10dJane = `{"resourceType":"Patient","id":"jane","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"name":[{"family":"Hargreaves"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`

func r10dConsent(id, provision string) string {
	return `{"resourceType":"Consent","id":"` + id + `","status":"active",
 "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
 "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
 "patient":{"reference":"Patient/jane"},"dateTime":"2026-01-10",
 "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},
 "provision":` + provision + `}`
}

// TestReview10dImportConsentNamingAnOrganisationOfTheSameBundle: a GP
// system's export holds the hospital's Organization under an id of its own
// (its ODS code RHX an identifier) and Jane's objection to the hospital
// naming it by that id. The API refuses such a Consent when the
// Organization is already stored (review 9c: the engine matches
// Organization/<id> against the user's ODS code, so it would match no
// one), but the check read only what was stored before the bundle: in the
// same bundle (carex import, or a transaction) the Consent was stored and
// never applied — the hospital clinician would read what Jane withheld from
// it. Seen failing before its fix: the import exited 0 and stored the
// Consent.
func TestReview10dImportConsentNamingAnOrganisationOfTheSameBundle(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "c.db")
	deny := `{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/5f0c2a9e-hosp"}}]}`
	for _, c := range []struct{ name, bundle string }{
		{"collection", `{"resourceType":"Bundle","type":"collection","entry":[
 {"resource":{"resourceType":"Organization","id":"5f0c2a9e-hosp","identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"RHX"}],"name":"Riverside Hospital"}},
 {"resource":` + r10dJane + `},
 {"resource":{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]}}},
 {"resource":` + r10dConsent("jane-no-hosp", deny) + `}]}`},
		{"transaction, the Consent first", `{"resourceType":"Bundle","type":"transaction","entry":[
 {"resource":` + r10dConsent("jane-no-hosp", deny) + `,"request":{"method":"PUT","url":"Consent/jane-no-hosp"}},
 {"resource":` + r10dJane + `,"request":{"method":"PUT","url":"Patient/jane"}},
 {"resource":{"resourceType":"Organization","id":"5f0c2a9e-hosp","identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"RHX"}],"name":"Riverside Hospital"},"request":{"method":"PUT","url":"Organization/5f0c2a9e-hosp"}}]}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := db + strings.ReplaceAll(c.name, " ", "") + ".db"
			f := r10dWrite(t, dir, "gp-export.json", c.bundle)
			code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", f)
			if code == 0 {
				t.Fatalf("import of a Consent naming the hospital by the id this bundle stores it under: exit 0, the Consent stored and matching no one\n%s%s", out, errs)
			}
			if !strings.Contains(errs, "provision.actor[0].reference") || !strings.Contains(errs, "value RHX") {
				t.Errorf("the error does not name the element and the code to send: %s", errs)
			}
			if got := r10dStored(t, db); len(got) != 0 {
				t.Errorf("a refused bundle left records: %v", got)
			}
		})
	}
}

// TestReview10dExportRefusesAnEmptyPeriod: an IG officer exporting the
// access log for a subject access request who typed the period the wrong
// way round (--since after --until), or a duration back from now with a
// minus sign (--since -24h: 24 hours ahead), got an empty export and exit
// 0 — "nobody accessed this record". Such a period can hold no entry; it
// is refused, naming the flags, as the API refuses a start after its end.
// Seen failing before its fix: exit 0 and nothing written.
func TestReview10dExportRefusesAnEmptyPeriod(t *testing.T) {
	dir := t.TempDir()
	s, db, devKey, _ := e2eDevServer(t, dir)
	tok := e2eToken(t, devKey)
	if code, body := s.get(t, "/fhir/Patient?_count=1", tok); code != 200 {
		t.Fatalf("search: %d %s", code, body)
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve exit %d", code)
	}
	if code, out, errs := e2eRun(t, "audit", "export", "--db", db, "--no-verify", "--since", "2000-01-01", "--until", "2999-12-31"); code != 0 || strings.Count(out, "\n") != 1 {
		t.Fatalf("export of a period holding the entry: exit %d, %q %s", code, out, errs)
	}
	for _, args := range [][]string{
		{"--since", "2999-01-02", "--until", "2999-01-01"},
		{"--since", "2026-12-04T10:00:00Z", "--until", "2026-12-04T09:00:00Z"},
		{"--since", "-24h"},
		{"--until", "-1h"},
	} {
		code, out, errs := e2eRun(t, append([]string{"audit", "export", "--db", db}, args...)...)
		if code == 0 {
			t.Errorf("export %v: exit 0 with %d entries, want a refusal of a period that can hold none", args, strings.Count(out, "\n"))
			continue
		}
		if !strings.Contains(errs, args[0]) {
			t.Errorf("export %v: the error does not name %s: %s", args, args[0], errs)
		}
	}
}

// TestReview10dNDJSONErrorNamesTheLine: a bad line in an NDJSON file was
// reported as "lines 501-700: Bundle.entry[150]…": an NDJSON file has no
// Bundle, and counting 150 on from line 501 gives line 651, when the bad
// line is 652 (the batch holds a blank line). The error names the file's
// line, and says which lines were imported. Seen failing before its fix
// with that message.
func TestReview10dNDJSONErrorNamesTheLine(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := 1; i <= 700; i++ {
		switch {
		case i == 600:
			b.WriteString("\n") // a blank line, skipped
		case i == 652:
			b.WriteString(`{"resourceType":"Patient","id":"bad","bogus":1}` + "\n")
		default:
			b.WriteString(`{"resourceType":"Patient","id":"p` + strconv.Itoa(i) + `"}` + "\n")
		}
	}
	f := r10dWrite(t, dir, "big.ndjson", b.String())
	code, _, errs := e2eRun(t, "import", "--db", filepath.Join(dir, "c.db"), "--org", "A81001", "--quiet", f)
	if code == 0 {
		t.Fatalf("import of a bad line: exit 0")
	}
	if !strings.Contains(errs, "line 652: ") || strings.Contains(errs, "Bundle.entry") {
		t.Errorf("the error does not name line 652 (and only it): %s", errs)
	}
	if !strings.Contains(errs, "lines 1-500") {
		t.Errorf("the error does not say which lines were imported (1-500): %s", errs)
	}
}

// TestReview10dNDJSONSameResourceTwice: a feed's NDJSON of updates holds
// an item and, later, its amendment (the same Type/id). carex import
// writes NDJSON in batches of 500 lines, one transaction each, and a
// transaction refuses two entries changing one resource: the file failed
// when the two lines fell in one batch and imported when they fell in two —
// the result hung on where line 500 fell. Lines are applied in order, the
// later one a new version, wherever they fall. Seen failing before its
// fix: "lines 1-3: Bundle.entry[0] and entry[2] both change Condition/c1".
func TestReview10dNDJSONSameResourceTwice(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "c.db")
	cond := func(status string) string {
		return `{"resourceType":"Condition","id":"c1","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"` + status + `"}]},"subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]}}`
	}
	f := r10dWrite(t, dir, "updates.ndjson", r10dJane+"\n"+cond("active")+"\n\n"+cond("resolved")+"\n")
	code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", f)
	if code != 0 {
		t.Fatalf("import of an NDJSON whose line 4 amends line 2: exit %d\n%s%s", code, out, errs)
	}
	st, err := sqlite.Open(context.Background(), db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	v, err := st.Read(context.Background(), "Condition", "c1")
	if err != nil {
		t.Fatal(err)
	}
	if v.VersionID != 2 || !strings.Contains(string(v.Raw), `"resolved"`) {
		t.Errorf("Condition/c1 is version %d %s; want version 2, the amendment (resolved)", v.VersionID, v.Raw)
	}
}

// TestReview10dImportRefusesAnOrganisationNoTokenCarries: carex import
// stores --org as the source (the data controller) of everything it loads,
// but took any text: " A81001" or "A81001 " from a script, or
// "Organization/A81001", became a source that no user's token can name
// (the server refuses such an org claim), so the GP practice's own data was
// no longer its own — its sensitive items, released only to their source,
// were withheld from the practice that recorded them, and its system could
// not read back or correct them. A sector other than nhs or council, and a
// council's code with sector nhs, are refused as the server refuses them in
// a token. Seen failing before its fix: each was imported (exit 0).
func TestReview10dImportRefusesAnOrganisationNoTokenCarries(t *testing.T) {
	dir := t.TempDir()
	f := r10dWrite(t, dir, "jane.json", r10dJane)
	for _, args := range [][]string{
		{"--org", "A81001 "},
		{"--org", " A81001"},
		{"--org", "Organization/A81001"},
		{"--org", "A81001", "--sector", "NHS"},
		{"--org", "A81001", "--sector", "social-care"},
		{"--org", "E06000999"}, // --sector nhs by default
	} {
		db := filepath.Join(t.TempDir(), "c.db")
		code, out, errs := e2eRun(t, append(append([]string{"import", "--db", db, "--quiet"}, args...), f)...)
		if code == 0 {
			t.Errorf("import %q: exit 0, stored under a source no token names\n%s", args, out)
			continue
		}
		if !strings.Contains(errs, "--org") && !strings.Contains(errs, "--sector") {
			t.Errorf("import %q: the error names neither --org nor --sector: %s", args, errs)
		}
		if _, err := os.Stat(db); err == nil {
			t.Errorf("import %q: refused, but the database was created", args)
		}
	}
	// What a token carries is accepted.
	for _, args := range [][]string{{"--org", "A81001"}, {"--org", "E06000999", "--sector", "council"}} {
		db := filepath.Join(t.TempDir(), "c.db")
		if code, out, errs := e2eRun(t, append(append([]string{"import", "--db", db, "--quiet"}, args...), f)...); code != 0 {
			t.Errorf("import %q: exit %d\n%s%s", args, code, out, errs)
		}
	}
}

// TestReview10dBenchNoPrivacyRefusesTheIdentityProvidersKeys:
// --bench-no-privacy (no consent filtering, no access log) is refused
// without --dev "so that it can never run in production", but --dev only
// adds the development key: "serve --dev --bench-no-privacy --jwks
// idp.json" started, and every user of the real identity provider read
// every record with nothing logged. carex bench mints development tokens,
// so the baseline never needs the identity provider's keys: with --jwks it
// is refused. Seen failing before its fix: the server started and ran
// until the test's context stopped it (exit 0).
func TestReview10dBenchNoPrivacyRefusesTheIdentityProvidersKeys(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "x.db")
	jwks := r10dWrite(t, dir, "idp.json", `{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"idp-1","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`)
	for _, env := range []bool{false, true} {
		args := []string{"serve", "--dev", "--bench-no-privacy", "--db", db, "--addr", e2eFreeAddr(t),
			"--dev-key", filepath.Join(dir, "dev.pem"), "--log-key", filepath.Join(dir, "log-key")}
		if env {
			t.Setenv("CAREX_JWKS", jwks)
		} else {
			args = append(args, "--jwks", jwks)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		var out, errb syncBuffer
		code := run(ctx, args, &out, &errb)
		cancel()
		if code == 0 || !strings.Contains(errb.String(), "--jwks") {
			t.Errorf("serve --dev --bench-no-privacy with the identity provider's keys (from the environment: %v): exit %d (0 is a server that ran until stopped), stderr:\n%s", env, code, errb.String())
		}
		if _, err := os.Stat(db); err == nil {
			t.Errorf("the refused server created its database")
			os.Remove(db)
		}
	}
}

// TestReview10dImportBatchKeepsItsRequests: a feed's batch Bundle says
// what each entry does — "PUT Patient?identifier=…|9434765919" (update the
// person with this NHS number, or create them), "POST Organization" with
// ifNoneExist. carex import ran a batch as a collection: every request was
// dropped and each entry without an id became a create, so importing the
// feed's batch twice made two Patients with one NHS number — one person's
// record split in two, a Consent on one not covering the items of the
// other. A batch's requests are kept (run as one transaction, as import
// runs every bundle), as the API runs them. Seen failing before its fix:
// two Patients and two Organizations after the second import.
func TestReview10dImportBatchKeepsItsRequests(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "c.db")
	f := r10dWrite(t, dir, "feed-batch.json", `{"resourceType":"Bundle","type":"batch","entry":[
 {"resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"name":[{"family":"Hargreaves"}]},"request":{"method":"PUT","url":"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919"}},
 {"resource":{"resourceType":"Organization","identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"A81001"}],"name":"Riverside Surgery"},"request":{"method":"POST","url":"Organization","ifNoneExist":"identifier=https://fhir.nhs.uk/Id/ods-organization-code|A81001"}},
 {"resource":{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/jane"}}}]}`)
	for run := 1; run <= 2; run++ {
		if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", f); code != 0 {
			t.Fatalf("import %d: exit %d\n%s%s", run, code, out, errs)
		}
	}
	byType := map[string]int{}
	for k := range r10dStored(t, db) {
		typ, _, _ := strings.Cut(k, "/")
		byType[typ]++
	}
	if byType["Patient"] != 1 || byType["Organization"] != 1 || byType["Condition"] != 1 {
		t.Errorf("after importing the batch twice: %v; want one Patient, one Organization, one Condition", byType)
	}
	// A read in a batch is refused, as in a transaction.
	g := r10dWrite(t, dir, "read-batch.json", `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient"}}]}`)
	if code, _, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", g); code == 0 || !strings.Contains(errs, "does not run reads") {
		t.Errorf("import of a batch that reads: exit %d %s", code, errs)
	}
}

// TestReview10dAccessLogDatabaseIsNotRecords: an administrator who gives
// --db the access log's file (carex-access.db, one tab-completion away
// from carex.db) to serve, import or relabel: carex took it for a record
// database from before the log had a file of its own — serve moved the
// real log out into carex-access-access.db and dropped it from
// carex-access.db, so the real server then refused to start and "audit
// verify" reported the log deleted; import and relabel wrote the records'
// tables (and import a person's record) into the log's file, which is
// kept for ever. The access log's database is refused as records, naming
// the record file, and left as it was. Seen failing before its fix: each
// command exited 0, and serve left "the access log was deleted or
// replaced".
func TestReview10dAccessLogDatabaseIsNotRecords(t *testing.T) {
	db, devKey, logKey := servedLog(t, 1) // served, searched once, stopped
	dir := filepath.Dir(db)
	logDB := accessLogPath(db)
	f := r10dWrite(t, dir, "jane.json", r10dJane)
	for _, args := range [][]string{
		{"import", "--db", logDB, "--org", "A81001", "--quiet", f},
		{"relabel", "--db", logDB},
		{"serve", "--dev", "--db", logDB, "--addr", e2eFreeAddr(t), "--dev-key", devKey, "--log-key", logKey},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		var out, errb syncBuffer
		code := run(ctx, args, &out, &errb)
		cancel()
		if code == 0 || !strings.Contains(errb.String(), "access log") || !strings.Contains(errb.String(), db) {
			t.Errorf("%s --db %s: exit %d, stderr %s; want a refusal naming the record file %s", args[0], logDB, code, errb.String(), db)
		}
		if _, err := os.Stat(accessLogPath(logDB)); err == nil {
			t.Fatalf("%s --db %s made %s", args[0], logDB, accessLogPath(logDB))
		}
	}
	conn, err := openReadOnly(logDB)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	err = conn.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'resources'`).Scan(&n)
	conn.Close()
	if err != nil || n != 0 {
		t.Errorf("the access log's database holds the records' tables (%d, %v)", n, err)
	}
	if code, out, errs := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", logKey+".pub"); code != 0 || !strings.Contains(out, "entries: 1") {
		t.Errorf("verify after the refusals: exit %d\n%s%s", code, out, errs)
	}
}

// TestReview10dJWKSKeysSkippedAreLogged: the identity provider's JWKS
// held, beside the key in use, the key it is rotating to — 1024-bit RSA,
// or an HMAC "oct" key, which carex rightly refuses. carex skipped them
// without a word: the server started, and once the provider signed with
// the new key every user got 401 "unknown key" with nothing in the
// application log to say why. Each skipped key is now logged at start
// (kid and reason; a JWKS holds no personal data). Seen failing before its
// fix: nothing in the log named either key.
func TestReview10dJWKSKeysSkippedAreLogged(t *testing.T) {
	dir := t.TempDir()
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	jwks := `{"keys":[
 {"kty":"OKP","crv":"Ed25519","kid":"idp-2025","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
 {"kty":"RSA","kid":"idp-2026-rsa","alg":"RS256","n":"` + base64.RawURLEncoding.EncodeToString(small.N.Bytes()) + `","e":"AQAB"},
 {"kty":"oct","kid":"idp-2026-hmac","k":"c2VjcmV0"}]}`
	f := r10dWrite(t, dir, "idp.json", jwks)
	addr := e2eFreeAddr(t)
	s := e2eServe(t, addr, "--db", filepath.Join(dir, "c.db"), "--addr", addr, "--jwks", f, "--log-key", filepath.Join(dir, "log-key"))
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve exit %d", code)
	}
	log := s.stderr.String()
	for _, want := range []string{"idp-2026-rsa", "too short", "idp-2026-hmac", "oct"} {
		if !strings.Contains(log, want) {
			t.Errorf("the application log does not say %q of the keys the JWKS holds and carex skipped:\n%s", want, log)
		}
	}
}

// TestReview10dExportDoesNotOverwriteTheDatabases: "carex audit export
// --out carex-access.db" (meaning carex-access.ndjson, one tab-completion
// short) truncated the access log's database to nothing before reading it:
// the export failed ("database disk image is malformed") and the whole log
// was gone — verify then reported it deleted. --out carex.db destroyed the
// records the same way. audit checkpoint --out already refused a file that
// is not a checkpoint; export refuses an --out that is a database (or its
// -wal, -shm or -audit file), and leaves it as it was. Seen failing before
// its fix: the access log's file was 0 bytes after the export.
func TestReview10dExportDoesNotOverwriteTheDatabases(t *testing.T) {
	db, _, logKey := servedLog(t, 1) // served, searched once, stopped
	dir := filepath.Dir(db)
	other := filepath.Join(dir, "other.db") // another SQLite database
	if code, out, errs := e2eRun(t, "import", "--db", other, "--org", "A81001", "--quiet", r10dWrite(t, dir, "jane.json", r10dJane)); code != 0 {
		t.Fatalf("import: %d %s %s", code, out, errs)
	}
	for _, out := range []string{accessLogPath(db), db, other} {
		before, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		code, _, errs := e2eRun(t, "audit", "export", "--db", db, "--pubkey", logKey+".pub", "--out", out)
		after, _ := os.ReadFile(out)
		if code == 0 || len(after) != len(before) || !strings.Contains(errs, "--out") {
			t.Errorf("export --out %s: exit %d, %d bytes before, %d after: %s", filepath.Base(out), code, len(before), len(after), errs)
		}
	}
	if code, out, errs := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", logKey+".pub"); code != 0 {
		t.Errorf("verify after the exports: exit %d\n%s%s", code, out, errs)
	}
	// An earlier export is replaced, as before.
	nd := filepath.Join(dir, "log.ndjson")
	for i := 0; i < 2; i++ {
		if code, _, errs := e2eRun(t, "audit", "export", "--db", db, "--pubkey", logKey+".pub", "--out", nd); code != 0 {
			t.Fatalf("export --out log.ndjson (%d): exit %d %s", i, code, errs)
		}
	}
}
