package main

import (
	"strings"
	"testing"
)

// TestReview57aSoundImportLowerCaseTypeInURLOnly: a lower-case type in a
// URL's path is read as a type and its id left out; prose keeps
// lower-case words; a Type/id written as FHIR writes it is left out
// anywhere. Mixed/upper-case prose forms are logged.
func TestReview57aSoundImportLowerCaseTypeInURLOnly(t *testing.T) {
	for _, msg := range []string{
		"see https://example.org/fhir/patient/smith_jane_19500304",
		"see https://example.org/fhir/PATIENT/smith_jane_19500304/_history/2",
		"entry 3 (PUT Patient/smith_jane_19500304)",
		"reference Patient/smith_jane_19500304 not found",
		"entry 4: url Patient/smith_jane_19500304?x=1",
	} {
		if out := leaveOutValues(msg); strings.Contains(out, "jane") {
			t.Errorf("%q -> %q: id kept", msg, out)
		}
	}
	for _, c := range []struct{ msg, keep string }{
		{"the care team list/group is empty", "list/group"},
		{"dose per group/day", "group/day"},
		{"system https://fhir.nhs.uk/Id/nhs-number required", "Id/nhs-number"},
	} {
		if out := leaveOutValues(c.msg); !strings.Contains(out, c.keep) {
			t.Errorf("%q -> %q: %q left out", c.msg, out, c.keep)
		}
	}
	for _, msg := range []string{"reference PATIENT/smith_jane_19500304 not found", "reference patient/smith_jane_19500304 not found"} {
		t.Logf("%q -> %q", msg, leaveOutValues(msg))
	}
}
