package main

// Review 16e: what leaves carex other than released resources and the
// access log — here, what the commands print on an operator's terminal
// (and so in CI and scheduler logs). Each test says whether it was seen
// failing before its fix or passed when first written.

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/carex-project/carex/internal/lognoise"
)

// TestReview16eImportErrorQuotesNoPersonalData: carex import refused a
// bad line or bundle with the validator's 422 text, which quotes the
// values it refused: "line 2: Patient.birthDate: "1951-02-30" is not a
// valid FHIR date …: February 1951 has 28 days; Patient.identifier[0].value: NHS number 9434765918
// fails the modulus-11 check", the number of the wrong length, the NHS
// number of a conditional reference that matched no one. An
// operator's import runs in a terminal, a scheduler or CI, whose logs are
// application logs: they must hold no personal data. The error still
// names the file, the line or entry, the element and what is wrong with
// it, which is enough to find the value in the file. Seen failing before
// its fix.
func TestReview16eImportErrorQuotesNoPersonalData(t *testing.T) {
	dir := t.TempDir()
	const good = `{"resourceType":"Patient","id":"p1","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],"name":[{"family":"Okafor"}]}`
	for _, c := range []struct {
		name, file, body string
		personal         []string
		want             []string
	}{
		{"ndjson", "bad.ndjson",
			good + "\n" + `{"resourceType":"Patient","id":"p2","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"943 476 5918"}],"name":[{"family":"Zebedee\u0007"}],"birthDate":"1951-02-30"}` + "\n",
			[]string{"9434765918", "943 476 5918", "1951", "Zebedee", "Okafor", "9000000009"},
			[]string{"line 2", "Patient.birthDate", "Patient.identifier[0].value", "modulus-11"}},
		{"NHS number of the wrong length", "short.ndjson",
			`{"resourceType":"Patient","id":"p3","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"94347659"}]}` + "\n",
			[]string{"94347659"},
			[]string{"line 1", "Patient.identifier[0].value", "10 digits"}},
		{"transaction", "tx.json",
			`{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Observation","status":"final","subject":{"reference":"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919"},"code":{"text":"Zebedee"}},"request":{"method":"POST","url":"Observation"}}]}`,
			[]string{"9434765919"},
			[]string{"tx.json", "matched 0"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := r10dWrite(t, dir, c.file, c.body)
			code, out, errs := e2eRun(t, "import", "--db", filepath.Join(dir, c.file+".db"), "--org", "A81001", "--quiet", f)
			if code == 0 {
				t.Fatalf("import of a bad file: exit 0\n%s%s", out, errs)
			}
			for _, p := range c.personal {
				if strings.Contains(lognoise.Strip(out+errs), p) {
					t.Errorf("the import's output quotes %q:\n%s%s", p, out, errs)
				}
			}
			for _, w := range c.want {
				if !strings.Contains(errs, w) {
					t.Errorf("the error no longer says %q:\n%s", w, errs)
				}
			}
		})
	}
}
