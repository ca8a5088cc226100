package search

// Review 104b: fuzz ContentClasses and taskLOINC (the newest Task rules)
// for invariants that must hold whatever the resource.

import (
	"encoding/json"
	"slices"
	"testing"
)

// FuzzReview104bContentClasses: ContentClasses never panics, is the same
// when asked twice, names each class once; a council's measured rule is
// narrower than the NHS's (taskResult(res, true) implies taskResult(res,
// false)); and adding a LOINC-named measurement to a Task's outputs (an
// HbA1c as a valueQuantity) always makes it carry observations, for
// either source, whatever else it holds.
func FuzzReview104bContentClasses(f *testing.F) {
	for _, s := range []string{`{"input":[{"type":{"coding":[{"system":"http://loinc.org"}]},"valueString":"86 mmol/mol"}]}`,
		`{"output":[{"type":{"coding":{"system":"HTTPS://LOINC.ORG/"}},"valueQuantity":{"value":1}}]}`,
		`{"category":[{"coding":[{"code":"laboratory"}]}],"hospitalization":{}}`,
		`{"scope":{"coding":[{"code":"treatment"}]},"output":null}`} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(1))
	}
	types := []string{"Task", "Observation", "Flag", "Consent", "Encounter", "DiagnosticReport", "EpisodeOfCare", "Patient"}
	f.Fuzz(func(t *testing.T, raw []byte, sel uint8) {
		var res map[string]any
		if json.Unmarshal(raw, &res) != nil || res == nil {
			return
		}
		typ := types[int(sel)%len(types)]
		res["resourceType"] = typ
		a := ContentClasses(typ, res)
		if b := ContentClasses(typ, res); !slices.Equal(a, b) {
			t.Fatalf("ContentClasses differs when asked twice: %v %v", a, b)
		}
		if c := slices.Compact(slices.Sorted(slices.Values(a))); len(c) != len(a) {
			t.Fatalf("ContentClasses names a class twice: %v", a)
		}
		for _, org := range []string{"A81001", "E08000035"} {
			ContentClassesFrom(typ, res, org)
		}
		if typ != "Task" {
			return
		}
		if taskResult(res, true) && !taskResult(res, false) {
			t.Fatalf("a council's Task is a result where the NHS's is not: %s", raw)
		}
		outs, _ := res["output"].([]any)
		res["output"] = append(slices.Clone(outs), map[string]any{
			"type":          map[string]any{"coding": []any{map[string]any{"system": "http://loinc.org", "code": "4548-4"}}},
			"valueQuantity": map[string]any{"value": 86.0, "unit": "mmol/mol"}})
		for _, org := range []string{"A81001", "E08000035"} {
			if !slices.Contains(ContentClassesFrom("Task", res, org), ClassObservations) {
				t.Fatalf("a Task (from %s) with an HbA1c output does not carry observations: %s", org, raw)
			}
		}
	})
}

// TestReview104bSoundTaskMeasurementIsResult: the seeds of
// FuzzReview104bContentClasses as a plain test: an HbA1c output makes a
// Task carry observations under either source and LOINC's https name.
func TestReview104bSoundTaskMeasurementIsResult(t *testing.T) {
	var res map[string]any
	_ = json.Unmarshal([]byte(`{"resourceType":"Task","output":[{"type":{"coding":[{"system":"HTTPS://LOINC.ORG/","code":"4548-4"}]},"valueQuantity":{"value":86}}]}`), &res)
	for _, org := range []string{"A81001", "E08000035"} {
		if !slices.Contains(ContentClassesFrom("Task", res, org), ClassObservations) {
			t.Errorf("an HbA1c output (LOINC under its https name) from %s does not carry observations", org)
		}
	}
}
