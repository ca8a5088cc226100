package api_test

import (
	"strings"
	"testing"
)

// TestReview41aDeletedRecordUnderUnicodeCaseSystemKeepsObjection: the
// hospital's record of Jane carries her number under a form of the system
// fhir.IsNHSNumberSystem takes (Go's strings.ToLower folds the dotted
// capital İ to i: "https://fhir.nhs.uk/İd/nhs-number"); her objection is
// recorded on it and withholds her GP diagnosis from the nurse. Once the
// hospital deletes that Patient, its number must keep it among her
// records (retired_numbers, review 18a) as it does under the usual form —
// but the store picks deleted Patients' numbers with SQLite's lower(),
// which folds ASCII only, so the deleted record is no longer found and
// her objection stops reaching the GP record.
func TestReview41aDeletedRecordUnderUnicodeCaseSystemKeepsObjection(t *testing.T) {
	// (fix 41a: fhir.IsNHSNumberSystem folds ASCII letters only, as
	// SQLite's lower() does, so "İd" names no NHS number anywhere in carex;
	// a Patient carrying the number's value under another system is still
	// joined while it lives, by patientsNumbered's value match, and not
	// once deleted: a gap of its own, in the closing note, not this case)
	for _, sys := range []string{"https://fhir.nhs.uk/Id/nhs-number", "HTTPS://FHIR.NHS.UK/ID/NHS-NUMBER"} {
		t.Run(sys, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			hosp := e.token("system", "nhs", "RHX")
			e.putAll(t, hosp,
				[2]string{"/fhir/Patient/hosp-u41", `{"resourceType":"Patient","id":"hosp-u41","identifier":[{"system":"` + sys + `","value":"9434765919"}],"name":[{"family":"Smith","given":["Jane"]}]}`},
				[2]string{"/fhir/Consent/hosp-u41-optout", strings.Replace(janeConsent("hosp-u41-optout", "2026-11-01", "OPTOUT", ""), "Patient/jane", "Patient/hosp-u41", 1)})
			nurse := e.token("district-nurse", "nhs", "RCX")
			if r := e.do("GET", "/fhir/Condition/diabetes", nurse, ""); r.status != 404 {
				t.Fatalf("the premise: her objection on the hospital's record withholds the GP diagnosis: %d", r.status)
			}
			if r := e.do("DELETE", "/fhir/Patient/hosp-u41", hosp, ""); r.status >= 300 {
				t.Fatalf("delete: %d %s", r.status, r.body)
			}
			for _, p := range []string{"/fhir/Condition/diabetes", "/fhir/Patient/jane/$everything", "/fhir/Condition?patient=jane"} {
				if r := e.do("GET", p, nurse, ""); strings.Contains(r.body, "GP-DIABETES") {
					t.Errorf("system %q: after the hospital deleted its record of her, GET %s releases the diagnosis her objection withheld: %d", sys, p, r.status)
				}
			}
		})
	}
}
