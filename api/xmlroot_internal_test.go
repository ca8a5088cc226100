package api

import "testing"

func TestFHIRXMLRoot(t *testing.T) {
	const body = `<code><coding><code value="86406008"/></coding></code>`
	cases := []struct {
		doc  string
		want bool
	}{
		{`<Condition xmlns="http://hl7.org/fhir">` + body + `</Condition>`, true},
		{`<f:Condition xmlns:f="http://hl7.org/fhir">` + body + `</f:Condition>`, true},
		{`<div xmlns="http://www.w3.org/1999/xhtml">see http://hl7.org/fhir</div>`, false},
		// refused by encoding/xml before the root: read by the first tag
		{`<?xml version="1.1"?><Condition xmlns="http://hl7.org/fhir">` + body + `</Condition>`, true},
		{`<?xml version="1.1"?><settings xmlns:f="http://hl7.org/fhir"><x>1</x></settings>`, false},
		{`<!-- a -- b --><Condition xmlns="http://hl7.org/fhir">` + body + `</Condition>`, true},
		{`<!-- a -- b --><div xmlns="http://www.w3.org/1999/xhtml">http://hl7.org/fhir</div>`, false},
		{`<?xml version="1.1"?><Condition title="eGFR>60" xmlns="http://hl7.org/fhir">` + body + `</Condition>`, true},
		{`<?xml version="1.1"?><!DOCTYPE Condition [<!ENTITY cmp "1>2 <b>">]><Condition xmlns="http://hl7.org/fhir">` + body + `</Condition>`, true},
		{`<?xml version="1.1"?><f:Condition xmlns:f = 'http://hl7.org/fhir/'>` + body + `</f:Condition>`, true},
		// markup that never closes: read when it names FHIR's namespace at all (fails closed)
		{`<?xml version="1.1" <Condition xmlns="http://hl7.org/fhir">`, true},
		{`<!-- never closed <Condition xmlns="http://hl7.org/fhir">`, true},
		{`<!-- never closed <div>`, false},
	}
	for _, c := range cases {
		if got := fhirXMLRoot(c.doc); got != c.want {
			t.Errorf("fhirXMLRoot(%q) = %v, want %v", c.doc, got, c.want)
		}
	}
}

// A Location of physical type ho typed in words alone is a home, whatever
// the words (the choice of review 71a: words mislead both ways).
func TestPatientResidenceTypeInWords(t *testing.T) {
	loc := func(typeText string) map[string]any {
		return map[string]any{"resourceType": "Location",
			"type":         []any{map[string]any{"text": typeText}},
			"physicalType": map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/location-physical-type", "code": "ho"}}}}
	}
	for _, text := range []string{"Client's own home", "Client's community flat", "Hospital at Home", "Residential care home"} {
		if !patientResidence(loc(text)) {
			t.Errorf("physical type ho, type text %q: not taken for a home", text)
		}
	}
	coded := loc("Residential care home")
	coded["type"] = []any{map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "NCCF"}}}}
	if patientResidence(coded) {
		t.Error("a care home coded NCCF, physical type ho, taken for a home")
	}
}
