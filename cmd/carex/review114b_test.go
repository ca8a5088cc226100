package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReview114bSoundImportRefusesFutureConsent: carex import applies the
// API's write rules (README), so a Consent dated an hour ahead is refused
// there too: imported, it would outrank every objection for an hour.
func TestReview114bSoundImportRefusesFutureConsent(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "carex.db")
	ahead := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	nd := `{"resourceType":"Patient","id":"jane","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"name":[{"family":"Smith"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}
{"resourceType":"Consent","id":"c1","status":"active","scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},"category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],"patient":{"reference":"Patient/jane"},"dateTime":"` + ahead + `","policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]}}
`
	f := filepath.Join(dir, "in.ndjson")
	if err := os.WriteFile(f, []byte(nd), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", f)
	t.Logf("exit %d\n%s\n%s", code, out, errs)
	if code == 0 || !strings.Contains(errs, "in the future") {
		t.Errorf("import of a Consent dated an hour ahead: exit 0\n%s\n%s", out, errs)
	}
}
