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
