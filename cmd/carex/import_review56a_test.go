package main

import (
	"strings"
	"testing"
)

// Review 56a: 4c40ff7's leaveOutIDs reads a type in any case and an id up
// to the next space, slash, quote or punctuation. Does it now leave out
// what an operator needs (units, dates, lower-case words that are type
// names, profile and system URLs)?
func TestReview56aImportMessagesKeepOperatorText(t *testing.T) {
	for _, c := range []struct{ msg, keep string }{
		{"valueQuantity unit must be mg/mL", "mg/mL"},
		{"BMI unit kg/m2 is not UCUM", "kg/m2"},
		{"date 2026/12/06 is not a FHIR date", "2026/12/06"},
		{"an allergy and/or intolerance", "and/or"},
		{"profile http://hl7.org/fhir/StructureDefinition/bmi not supported", "StructureDefinition/bmi"},
		{"system https://fhir.nhs.uk/Id/nhs-number required", "Id/nhs-number"},
		{"system http://snomed.info/sct/900000000000207008/version/20230412", "version/20230412"},
		{"the care team list/group is empty", "list/group"},
		{"dose per group/day", "group/day"},
		{"a task/referral pair", "task/referral"},
		// (The fix chose otherwise for a URL's path: a type there is read
		// in any case, so …/fhir/location/ward-5 is left out as
		// …/fhir/patient/ID is; prose keeps lower-case words.)
		{"Observation.component[0].code: a coding (system and code) is required", "component[0].code"},
		{"encounter/episode mismatch", "encounter/episode"},
		{"observation/measure mismatch", "observation/measure"},
		{"a schedule/slot pair", "schedule/slot"},
	} {
		if out := leaveOutValues(c.msg); !strings.Contains(out, c.keep) {
			t.Errorf("%q -> %q: %q left out", c.msg, out, c.keep)
		}
	}
	// (A bare "patient/jane-demo" is prose to the fix: lower case is read as
	// a type in a URL's path only.)
	for _, msg := range []string{"Patient/smith_jane_19500304 not found", "see https://example.org/fhir/patient/jane-demo", "entry 3 (PUT Observation/jane.hba1c)"} {
		out := leaveOutValues(msg)
		for _, leak := range []string{"jane"} {
			if strings.Contains(out, leak) {
				t.Errorf("%q -> %q: id kept", msg, out)
			}
		}
	}
}
