package fhir

import "testing"

func TestMayNameItem(t *testing.T) {
	for _, c := range []struct {
		s                 string
		record, anyType   bool
		stringMayNameItem bool
	}{
		{"Condition/hiv", true, true, true},
		{"condition/hiv", true, true, true},
		{"https://x.example/fhir/DOCUMENTREFERENCE/hivdoc", true, true, true},
		{"Encounter?diagnosis=hiv", true, true, true},
		{"Condition%2Fhiv", true, true, true},
		{"<Condition/hiv>", true, true, true},
		{"StructureDefinition/x", false, true, false},
		{"http://terminology.hl7.org/CodeSystem/observation-category", false, true, false},
		{"http://snomed.info/sct", false, false, false},
		{"https://fhir.nhs.uk/Id/nhs-number", false, false, false},
		{"9990000018", false, false, false},
		{"120/80", false, false, false},
		{"see Condition/hiv", true, true, false},
		{" Condition/hiv ", true, true, true},
		{"", false, false, false},
	} {
		if got := MayNameItem(c.s, false); got != c.record {
			t.Errorf("MayNameItem(%q, false) = %v", c.s, got)
		}
		if got := MayNameItem(c.s, true); got != c.anyType {
			t.Errorf("MayNameItem(%q, true) = %v", c.s, got)
		}
		if got := StringMayNameItem(c.s); got != c.stringMayNameItem {
			t.Errorf("StringMayNameItem(%q) = %v", c.s, got)
		}
		if got := MayNameItem([]byte(c.s), false); got != c.record {
			t.Errorf("MayNameItem([]byte %q, false) = %v", c.s, got)
		}
	}
	for s, want := range map[string]bool{
		"Condition/hiv": true, "see [x](Condition/hiv) first": true, "see Condition/hiv": false,
		"see [x](https://example.org/page) first": false, "120/80": false,
	} {
		if got := IndexedMayNameItem(s); got != want {
			t.Errorf("IndexedMayNameItem(%q) = %v", s, got)
		}
	}
	if TypeAnyCase("DOCUMENTreference") != "DocumentReference" || TypeAnyCase("Nope") != "" {
		t.Errorf("TypeAnyCase: %q %q", TypeAnyCase("DOCUMENTreference"), TypeAnyCase("Nope"))
	}
	if !IsDefinitionType("ValueSet") || IsDefinitionType("Condition") {
		t.Error("IsDefinitionType")
	}
}
