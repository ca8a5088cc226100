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

func TestPatientResidenceFacilityText(t *testing.T) {
	loc := func(typeText string) map[string]any {
		return map[string]any{"resourceType": "Location",
			"type":         []any{map[string]any{"text": typeText}},
			"physicalType": map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/location-physical-type", "code": "ho"}}}}
	}
	for text, home := range map[string]bool{
		"Client's own home":       true,
		"Client's community flat": true, // (no "unit")
		"Edward's house":          true, // (no "ward")
		"Residential care home":   false,
		"Nursing home":            false,
		"St Mary's Hospice":       false,
	} {
		if got := patientResidence(loc(text)); got != home {
			t.Errorf("physical type ho, type text %q: patientResidence %v, want %v", text, got, home)
		}
	}
}
