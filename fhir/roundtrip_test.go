package fhir

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// expectedFailures lists example files that are genuinely invalid (or use
// elements absent from the R4 model), keyed by path relative to testdata/fhir,
// with the reason and a substring the error must contain.
var expectedFailures = map[string]struct{ reason, contains string }{
	"nhs-pds/PatientCompoundName.json": {
		"PDS sandbox example uses NHS number 9000000015, whose check digit should be 7",
		"Bundle.entry[0].resource.identifier[0].value: NHS number 9000000015 fails the modulus-11 check"},
	"nhs-pds/Personal_Details_RelatedPersonBundle.json": {
		"RelatedPerson.patient is an empty object {} (FHIR JSON forbids empty objects; patient is 1..1)",
		"Bundle.entry[0].resource.patient: empty object not allowed"},
	"ukcore/UKCore-Patient-BabyPatient-Example.json": {
		"UK Core example NHS number 9912003890 fails the modulus-11 check (check digit should be 6)",
		"Patient.identifier[0].value: NHS number 9912003890 fails the modulus-11 check"},
}

func exampleFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	root := filepath.Join("..", "testdata", "fhir")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 100 {
		t.Fatalf("only %d example files found under %s", len(files), root)
	}
	return files
}

func decodeGeneric(t testing.TB, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return v
}

func TestExamplesRoundTrip(t *testing.T) {
	root := filepath.Join("..", "testdata", "fhir")
	seen := map[string]bool{}
	for _, p := range exampleFiles(t) {
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		t.Run(rel, func(t *testing.T) {
			raw, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Parse(raw)
			if exp, ok := expectedFailures[rel]; ok {
				seen[rel] = true
				if err == nil {
					t.Fatalf("expected failure (%s) but Parse succeeded; remove it from expectedFailures", exp.reason)
				}
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), exp.contains) {
					t.Fatalf("expected ErrInvalid containing %q (%s), got %v", exp.contains, exp.reason, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(any(res.Map), decodeGeneric(t, raw)) {
				t.Fatal("Map differs from encoding/json decode")
			}
			lu := time.Date(2026, 11, 24, 10, 0, 0, 123e6, time.UTC)
			out, err := SetMeta(raw, "new-id.1", "7", lu)
			if err != nil {
				t.Fatalf("SetMeta: %v", err)
			}
			want := decodeGeneric(t, raw).(map[string]any)
			want["id"] = "new-id.1"
			meta, _ := want["meta"].(map[string]any)
			if meta == nil {
				meta = map[string]any{}
				want["meta"] = meta
			}
			meta["versionId"] = "7"
			meta["lastUpdated"] = "2026-11-24T10:00:00.123Z"
			if got := decodeGeneric(t, out); !reflect.DeepEqual(got, any(want)) {
				t.Fatalf("SetMeta changed more than id/meta:\n%s", out)
			}
			if _, err := Parse(out); err != nil {
				t.Fatalf("re-Parse after SetMeta: %v", err)
			}
		})
	}
	for k := range expectedFailures {
		if !seen[k] {
			t.Errorf("expectedFailures entry %s matches no file", k)
		}
	}
}
