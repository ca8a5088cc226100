package main

// Review 61f: what carex import prints for malformed NDJSON lines and
// Bundles carrying personal data (the operator's terminal, CI and
// scheduler logs hold no personal data).

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/carex-project/carex/internal/lognoise"
)

// TestReview61fSoundImportMalformedLinesQuoteNoData: lines that are not
// JSON, truncated JSON, bad escapes, wrong JSON types, a CSV row pasted
// into NDJSON, a BOM, duplicate keys, a number for a date, control
// characters in a name: the error names the line, and quotes none of the
// person's data.
func TestReview61fSoundImportMalformedLinesQuoteNoData(t *testing.T) {
	dir := t.TempDir()
	good := `{"resourceType":"Patient","id":"p0","name":[{"family":"Okafor"}]}` + "\n"
	for i, c := range []struct{ file, body string }{
		{"a.ndjson", `Zebedee Smith,9434765919,1950-03-04,LS1 4AB`},
		{"b.ndjson", `{"resourceType":"Patient","name":[{"family":"Zebedee"}],"birthDate":"1950-03-04"`},
		{"c.ndjson", `{"resourceType":"Patient","name":[{"family":"Zeb\qedee"}],"identifier":[{"value":"9434765919"}]}`},
		{"d.ndjson", `{"resourceType":"Patient","name":"Zebedee 9434765919"}`},
		{"e.ndjson", `{"resourceType":"Patient","birthDate":19500304,"name":[{"family":"Zebedee"}]}`},
		{"g.ndjson", "\ufeff" + `{"resourceType":"Patient","name":[{"family":"Zebedee"}],"telecom":[{"value":"07700 900123"}],"birthDate":"1950-02-30"}`},
		{"h.ndjson", `{"resourceType":"Patient","name":[{"family":"Zebedee"}],"name":[{"family":"Quimby"}]}`},
		{"i.ndjson", `{"resourceType":"Patient","name":[{"family":"Zebedee` + "\x01" + `"}]}`},
		{"j.ndjson", `{"resourceType":"Patient","name":[{"family":"Zebedee"}]} {"resourceType":"Patient","name":[{"family":"Quimby"}]}`},
		{"k.ndjson", `{"resourceType":"Patient","address":[{"postalCode":"LS1 4AB","line":["1 Zebedee Street"]}],"gender":"unknown-Zebedee"}`},
		{"l.ndjson", `{"resourceType":"Patient","name":[{"family":"Zebedee"}],"birthDate":"1950-03-04T12:00:00"}`},
		{"m.ndjson", `["Zebedee","9434765919"]`},
		{"n.ndjson", `"Zebedee 9434765919"`},
		{"o.ndjson", `{"resourceType":"Patient","name":[{"family":"Zebedee","given":[1950]}]}`},
		{"p.ndjson", `{"resourceType":"Patient","telecom":[{"system":"Zebedee@example.org","value":"07700 900123"}]}`},
	} {
		f := r10dWrite(t, dir, c.file, good+c.body+"\n")
		code, out, errs := e2eRun(t, "import", "--db", filepath.Join(dir, c.file+".db"), "--org", "A81001", "--quiet", f)
		if code == 0 {
			t.Logf("%d %s: imported (not an error case): %s", i, c.file, strings.TrimSpace(out))
			continue
		}
		t.Logf("%s: %s", c.file, strings.TrimSpace(errs))
		for _, p := range []string{"Zebedee", "zebedee", "Smith", "1950", "9434765919", "Quimby", "07700", "LS1", "qedee"} {
			if strings.Contains(lognoise.Strip(out+errs), p) {
				t.Errorf("%s: the import's output quotes %q:\n%s%s", c.file, p, out, errs)
			}
		}
	}
}

// TestReview61fImportUnknownElementNameQuoted: a malformed feed whose JSON
// keys are data (a person's name, an e-mail address, a name and birth
// date) is refused as "unknown element", and the error prints the key:
// leaveOutValues leaves out quoted strings, ids and long numbers, not
// element names, so the person's name lands in the operator's terminal
// and in CI and scheduler logs (review 16e: "import errors quote no
// personal data").
func TestReview61fImportUnknownElementNameQuoted(t *testing.T) {
	dir := t.TempDir()
	for i, key := range []string{"Zebedee", "Smith, Jane", "zebedee.quimby@example.org", "Quimby_1950_03_04", "Zebedee9434765919"} {
		for j, body := range []string{
			`{"resourceType":"Patient","name":[{"family":"Okafor"}],"` + key + `":true}`,
			`{"resourceType":"Patient","name":[{"family":"Okafor","` + key + `":"x"}]}`,
			`{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/p1"},"valueQuantity":{"` + key + `":1}}`,
		} {
			f := r10dWrite(t, dir, "k.ndjson", body+"\n")
			code, out, errs := e2eRun(t, "import", "--db", filepath.Join(dir, "k.db"), "--org", "A81001", "--quiet", f)
			if code == 0 {
				t.Errorf("%d.%d: premise: imported", i, j)
				continue
			}
			for _, p := range []string{"Zebedee", "Smith", "Jane", "zebedee", "quimby", "Quimby", "1950"} {
				if strings.Contains(key, p) && strings.Contains(lognoise.Strip(out+errs), p) {
					t.Errorf("key %q (%d): the import's output quotes %q: %s", key, j, p, strings.TrimSpace(errs))
					break
				}
			}
		}
	}
}
