package main

// Review 53d: regressions only, in 93a257b (import's masked Type/id, gen's
// --seed 0 and --as-of, the access log's schema_version checks).

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReview53dImportErrorMasksCodeSystemName: 93a257b's typeAndID mask
// ("\b[A-Z][A-Za-z]+/id" whose first part is a resource type) also
// matches the canonical URL of a code system the error tells the operator
// to use: "http://terminology.hl7.org/CodeSystem/v3-ActCode" becomes
// "http://terminology.hl7.org/CodeSystem/…", so "Consent.policyRule: must
// be …/CodeSystem/… OPTIN or OPTOUT" (and the scope's consentscope) no
// longer says which system the file must use. 85410cb printed it whole;
// it is no personal data.
func TestReview53dImportErrorMasksCodeSystemName(t *testing.T) {
	dir := t.TempDir()
	consent := func(scopeSys, ruleSys, rule string) string {
		return `{"resourceType":"Patient","id":"p1","name":[{"family":"A"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}` + "\n" +
			`{"resourceType":"Consent","id":"c1","status":"active","scope":{"coding":[{"system":"` + scopeSys + `","code":"patient-privacy"}]},` +
			`"category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],"patient":{"reference":"Patient/p1"},"dateTime":"2025-01-01",` +
			`"policyRule":{"coding":[{"system":"` + ruleSys + `","code":"` + rule + `"}]}}` + "\n"
	}
	for _, c := range []struct{ name, body, want string }{
		{"policyRule", consent("http://terminology.hl7.org/CodeSystem/consentscope", "http://terminology.hl7.org/CodeSystem/v3-ActCode", "OPTMAYBE"), "CodeSystem/v3-ActCode"},
		{"scope", consent("http://example.org/scopes", "http://terminology.hl7.org/CodeSystem/v3-ActCode", "OPTIN"), "CodeSystem/consentscope"},
	} {
		db := filepath.Join(t.TempDir(), "c.db")
		f := r10dWrite(t, dir, c.name+".ndjson", c.body)
		code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", f)
		if code == 0 {
			t.Errorf("%s: premise: imported: %s%s", c.name, out, errs)
			continue
		}
		if !strings.Contains(errs, c.want) {
			t.Errorf("%s: the error no longer names the code system to use (%s):\n%s", c.name, c.want, errs)
		}
	}
}

// TestReview53dSoundImportErrorsStillNameLineAndElement: with the Type/id
// masked, an NDJSON error still names the file's line and the element, and
// a Bundle's the entries.
func TestReview53dSoundImportErrorsStillNameLineAndElement(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "c.db")
	nd := r10dWrite(t, dir, "a.ndjson",
		`{"resourceType":"Patient","id":"ok-1","name":[{"family":"A"}]}`+"\n"+
			`{"resourceType":"Patient","id":"ok-2","name":[{"family":"B"}]}`+"\n"+
			`{"resourceType":"Observation","id":"smith-jane-19500304","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/smith-jane-19500304"},"valueQuantity":{"value":"abc"}}`+"\n")
	code, _, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", nd)
	if code == 0 || !strings.Contains(errs, "line 3") || !strings.Contains(errs, "Observation.valueQuantity.value") || strings.Contains(errs, "smith") {
		t.Errorf("NDJSON: exit %d:\n%s", code, errs)
	}
	put := `{"resource":{"resourceType":"Patient","id":"smith-jane-19500304"},"request":{"method":"PUT","url":"Patient/smith-jane-19500304"}}`
	bf := r10dWrite(t, dir, "b.json", `{"resourceType":"Bundle","type":"transaction","entry":[`+put+","+put+`]}`)
	code, _, errs = e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", bf)
	if code == 0 || !strings.Contains(errs, "entry[0] and entry[1]") || strings.Contains(errs, "smith") {
		t.Errorf("Bundle: exit %d:\n%s", code, errs)
	}
}

// TestReview53dSoundGenSeedAndAsOf: gen refuses --seed 0 and tomorrow (UTC
// and London agree except 23:00-24:00 UTC in BST), takes today, and what
// it makes as of today imports whole (no Consent refused as future).
func TestReview53dSoundGenSeedAndAsOf(t *testing.T) {
	dir := t.TempDir()
	today := time.Now().UTC().Format("2006-01-02")
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02")
	if code, _, errs := e2eRun(t, "gen", "--people", "3", "--seed", "0", "--quiet", "--out", filepath.Join(dir, "s0")); code == 0 {
		t.Errorf("--seed 0 taken: %s", errs)
	}
	if code, _, errs := e2eRun(t, "gen", "--people", "3", "--as-of", tomorrow, "--quiet", "--out", filepath.Join(dir, "tm")); code == 0 {
		t.Errorf("--as-of %s (tomorrow) taken: %s", tomorrow, errs)
	}
	out := filepath.Join(dir, "td")
	if code, _, errs := e2eRun(t, "gen", "--people", "120", "--as-of", today, "--quiet", "--out", out); code != 0 {
		t.Fatalf("--as-of %s (today) refused: %s", today, errs)
	}
	db := filepath.Join(dir, "c.db")
	for _, o := range [][2]string{{"A81001", "nhs"}, {"RCX", "nhs"}, {"RHX", "nhs"}, {"E06000999", "council"}} {
		if code, _, errs := e2eRun(t, "import", "--db", db, "--org", o[0], "--sector", o[1], "--quiet", filepath.Join(out, o[0]+".ndjson")); code != 0 {
			t.Errorf("import %s of gen --as-of today: exit %d %s", o[0], code, errs)
		}
	}
}

// TestReview53dSoundUpgradeFromSchema3Log: an access log as a release
// before migration 4 left it (no audit_patient, schema_version 3: as
// cc4fd48 writes it, checked by hand with that build too) is migrated by
// this serve, which takes requests, and then verifies; 93a257b's
// schema_version checks do not get in the way.
func TestReview53dSoundUpgradeFromSchema3Log(t *testing.T) {
	dir, _, logKey, _, _ := review52bLog(t)
	db := review52bCopy(t, dir)
	conn, err := sql.Open("sqlite", accessLogPath(db))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`DROP TRIGGER audit_patient_no_update`, `DROP TRIGGER audit_patient_no_delete`, `DROP TRIGGER audit_patient_append_only`,
		`DROP TABLE audit_patient`, `UPDATE auditlog_meta SET value = '3' WHERE key = 'schema_version'`,
	} {
		if _, err := conn.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	conn.Close()
	devKey := filepath.Join(dir, "dev.pem")
	s := e2eServe(t, "127.0.0.1:0", "--dev", "--addr", "127.0.0.1:0", "--db", db, "--dev-key", devKey, "--log-key", logKey)
	tok := e2eToken(t, devKey)
	for range 2 {
		if st, body := s.get(t, "/fhir/Patient?_count=1", tok); st != 200 {
			t.Errorf("after upgrade: %d %s", st, body)
		}
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve exit %d: %s", code, s.stderr.String())
	}
	code, out, errOut := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", logKey+".pub")
	if code != 0 || !strings.Contains(out, "entries: 8") {
		t.Errorf("verify after upgrade: exit %d\n%s%s", code, out, errOut)
	}
	if v := string(review52bQuery(t, db, `SELECT value FROM auditlog_meta WHERE key = 'schema_version'`)); v != "4" {
		t.Errorf("schema_version %q after serve", v)
	}
}

// TestReview53dServeClockWarningBypassesLogger: 93a257b's warning that the
// access log's newest entry is dated after the clock is written with the
// package-level slog.Warn in auditlog.(*Log).load, not the logger serve
// hands auditlog.Open (Options.Logger, which is only defaulted after load
// runs): serve's own log (its stderr, in the --log-format it was given,
// text here; run by hand with --log-format json, the binary printed it
// as the one non-JSON line among JSON ones) never holds it; it goes to Go's default logger as a plain
// "2026/12/06 02:13:18 WARN ..." line, which a JSON log pipeline does not
// parse as a warning.
func TestReview53dServeClockWarningBypassesLogger(t *testing.T) {
	dir, _, logKey, _, _ := review52bLog(t)
	db := review52bCopy(t, dir)
	review52bAppendForgedAt(t, db, 5, time.Now().Add(30*24*time.Hour).UnixMilli())
	devKey := filepath.Join(dir, "dev.pem")
	s := e2eServe(t, "127.0.0.1:0", "--dev", "--addr", "127.0.0.1:0", "--db", db, "--dev-key", devKey, "--log-key", logKey)
	if st, body := s.get(t, "/fhir/Patient?_count=1", e2eToken(t, devKey)); st != 200 {
		t.Errorf("serve: %d %s", st, body)
	}
	s.stop(t)
	if errs := s.stderr.String(); !strings.Contains(errs, "dated after this machine's clock") {
		t.Errorf("serve's log has no warning of the entry 30 days ahead:\n%s", errs)
	}
}
