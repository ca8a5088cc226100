package fhir

import "testing"

// TestLinkDropped: a link's target reads without the tabs and newlines a
// url parser drops and the format characters a viewer does not show
// (review 19c: a url in free text split by a soft hyphen or a zero-width
// space went out as written, read as naming no resource type).
func TestLinkDropped(t *testing.T) {
	for in, want := range map[string]string{
		"Condition/hiv":             "Condition/hiv",
		"Condi\ttion/h\niv":         "Condition/hiv",
		"Condi\u00adtion/hiv":       "Condition/hiv",
		"Bin\u200bary/\u2060hivbin": "Binary/hivbin",
		"\ufeffCondition/hiv":       "Condition/hiv",
		"Cafés/é":                   "Cafés/é",
	} {
		if got := LinkDropped(in); got != want {
			t.Errorf("LinkDropped(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]bool{
		`{"text":"see https://h/fhir/Condi` + "\u00ad" + `tion/c now"}`: true,
		`{"text":"see https://h/fhir/Bin` + "\u200b" + `ary/b now"}`:    true,
		`{"text":"see https://h/fhir/Café/b now"}`:                      false,
		`{"text":"letter at \"https://h/fhir/Binary/b"}`:                true, // a quote inside the text
	} {
		if got := MayHoldAutolink([]byte(in)); got != want {
			t.Errorf("MayHoldAutolink(%s) = %v, want %v", in, got, want)
		}
	}
	for in, want := range map[string]bool{
		"see https://h/fhir/Condi\u00adtion/c now": true,
		"see [x](Bin\u200bary/b) now":              true,
		"see https://h/fhir/Café/b now":            false,
	} {
		if got := IndexedMayNameItem(in); got != want {
			t.Errorf("IndexedMayNameItem(%q) = %v, want %v", in, got, want)
		}
	}
}
