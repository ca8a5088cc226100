package search

import (
	"slices"
	"testing"

	"github.com/carex-project/carex/fhir"
)

// TestParamPathsAreR4Elements: every search parameter's and compartment's
// path names an element of its type: a misspelt path indexes nothing and
// its parameter finds nothing, with no error anywhere.
func TestParamPathsAreR4Elements(t *testing.T) {
	for typ, defs := range typeDefs {
		for _, d := range defs {
			for _, p := range d.Paths {
				if !fhir.HasElement(typ, p) {
					t.Errorf("%s.%s: path %q is not an R4 element of %s", typ, d.Name, p, typ)
				}
			}
		}
	}
	for _, d := range commonDefs {
		for _, p := range d.Paths {
			if !fhir.HasElement("Patient", p) {
				t.Errorf("common %s: path %q", d.Name, p)
			}
		}
	}
	for typ, paths := range compartmentPaths {
		for _, p := range paths {
			if !fhir.HasElement(typ, p) {
				t.Errorf("compartment %s: path %q is not an R4 element", typ, p)
			}
		}
	}
	// Each type of the patient compartment is searched by the elements
	// that make it the person's (before schema 17, 25 had no parameters,
	// and Basic?patient= was a 400).
	for typ, paths := range compartmentPaths {
		if typ == "Binary" {
			continue // (R4 gives Binary no search parameters)
		}
		found := false
		for _, d := range typeDefs[typ] {
			for _, p := range d.Paths {
				found = found || d.Type == Reference && slices.Contains(paths, p)
			}
		}
		if !found {
			t.Errorf("%s: no reference parameter on its compartment's elements %v", typ, paths)
		}
	}
	for _, p := range []string{"subjekt", "name.famly", "telecom[system=phone].valu"} {
		if fhir.HasElement("Patient", p) {
			t.Errorf("premise: %q is not an element, and was found", p)
		}
	}
}
