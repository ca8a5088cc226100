package fhir

import (
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSubset(t *testing.T) {
	const tag = subsettedTag
	keepName := func(n string) bool { return n == "name" || n == "birthDate" }
	for _, c := range []struct{ name, in, want string }{
		{"meta without tags", `{"resourceType":"Patient","id":"a","meta":{"versionId":"1"},"name":[{"family":"X"}],"gender":"male"}`,
			`{"resourceType":"Patient","id":"a","meta":{"tag":[` + tag + `],"versionId":"1"},"name":[{"family":"X"}]}`},
		{"tags kept, ours added", `{"resourceType":"Patient","meta":{"tag":[{"code":"t"}]},"id":"a","gender":"male"}`,
			`{"resourceType":"Patient","meta":{"tag":[{"code":"t"},` + tag + `]},"id":"a"}`},
		{"empty tags", `{"resourceType":"Patient","id":"a","meta":{"tag":[ ]}}`,
			`{"resourceType":"Patient","id":"a","meta":{"tag":[ ` + tag + `]}}`},
		{"already subsetted", `{"resourceType":"Patient","meta":{"tag":[` + tag + `]}}`,
			`{"resourceType":"Patient","meta":{"tag":[` + tag + `]}}`},
		{"no meta", `{"resourceType":"Patient","id":"a"}`,
			`{"resourceType":"Patient","id":"a","meta":{"tag":[` + tag + `]}}`},
		{"a primitive's extensions go with it, order and bytes kept", `{"birthDate": "1950-03-04" ,"resourceType":"Patient","_birthDate":{"extension":[]},"_gender":{},"name":[ {"given" : ["é"]} ]}`,
			`{"birthDate":"1950-03-04","resourceType":"Patient","_birthDate":{"extension":[]},"name":[ {"given" : ["é"]} ],"meta":{"tag":[` + tag + `]}}`},
	} {
		got, err := Subset([]byte(c.in), keepName)
		if err != nil || string(got) != c.want || !json.Valid(got) {
			t.Errorf("%s:\n got %s (%v)\nwant %s", c.name, got, err, c.want)
		}
	}
	for _, bad := range []string{`[]`, `{"resourceType":"Patient","meta":[]}`, `{"resourceType":"Patient","meta":{"tag":{}}}`, `{"a":`} {
		if _, err := Subset([]byte(bad), keepName); err == nil {
			t.Errorf("Subset(%s): no error", bad)
		}
	}
}

func TestElements(t *testing.T) {
	for _, c := range []struct {
		typ   string
		names []string
		want  string // every member kept, sorted; "" with err
		err   string
	}{
		{"Patient", nil, "", ""},
		{"Patient", []string{"identifier", "Patient.name"}, "identifier name", ""},
		{"Observation", nil, "code status", ""},
		{"Observation", []string{"subject"}, "code status subject", ""},
		{"MedicationRequest", nil, "intent medicationCodeableConcept medicationReference status subject", ""},
		{"Observation", []string{"value"}, "code status valueBoolean valueCodeableConcept valueDateTime valueInteger valuePeriod valueQuantity valueRange valueRatio valueSampledData valueString valueTime", ""},
		{"Observation", []string{"valueQuantity"}, "code status valueQuantity", ""},
		{"Patient", []string{"name.given"}, "", "top-level"},
		{"Patient", []string{"Observation.code"}, "", "top-level"},
		{"Patient", []string{"favouriteColour"}, "", `no element "favouriteColour"`},
		{"Patient", []string{"resourceType"}, "", "no element"},
		{"Pateint", nil, "", "unknown resource type"},
	} {
		keep, err := Elements(c.typ, c.names)
		got := slices.Sorted(maps.Keys(keep))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("Elements(%s, %v): err %v, want %q", c.typ, c.names, err, c.err)
			}
			if c.err != "unknown resource type" && !errors.Is(err, ErrUnknownElement) {
				t.Errorf("Elements(%s, %v): %v does not wrap ErrUnknownElement", c.typ, c.names, err)
			}
			continue
		}
		if err != nil || strings.Join(got, " ") != c.want {
			t.Errorf("Elements(%s, %v) = %v, %v; want %s", c.typ, c.names, got, err, c.want)
		}
	}
}

// TestSubsetKeepsResourcesValid: every HL7 example cut down to its
// mandatory elements still parses as a valid resource of its type.
func TestSubsetKeepsResourcesValid(t *testing.T) {
	files, _ := filepath.Glob("../testdata/fhir/hl7-r4/*/*.json")
	if len(files) < 100 {
		t.Fatalf("%d examples", len(files))
	}
	n := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Parse(raw)
		if err != nil {
			continue // the examples carex refuses are tested elsewhere
		}
		keep, err := Elements(r.Type, nil)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out, err := Subset(raw, func(name string) bool { return keep[name] })
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if _, err := Parse(out); err != nil {
			t.Errorf("%s cut to its mandatory elements: %v\n%s", f, err, out)
		}
		n++
	}
	t.Logf("%d examples cut and parsed", n)
}
