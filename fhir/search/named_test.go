package search

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestNamedPeople(t *testing.T) {
	nhs := `{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"943 476 5919"}`
	for _, c := range []struct {
		name, typ, body string
		ids, nhs        []string
		unidentified    bool
	}{
		{"compartment only", "Condition", `{"subject":{"reference":"Patient/jane"}}`, []string{"jane"}, nil, false},
		{"subject by NHS number", "Condition", `{"subject":{"identifier":` + nhs + `}}`, nil, []string{"9434765919"}, false},
		{"contained Patient with the number", "Condition", `{"contained":[{"resourceType":"Patient","id":"p","identifier":[` + nhs + `]}],"subject":{"reference":"#p"}}`, nil, []string{"9434765919"}, false},
		{"contained Patient without one", "Condition", `{"contained":[{"resourceType":"Patient","id":"p"}],"subject":{"reference":"#p"}}`, nil, nil, true},
		{"Patient by hospital number", "Condition", `{"subject":{"type":"Patient","identifier":{"system":"x","value":"1"}}}`, nil, nil, true},
		{"subject by hospital number without type", "Condition", `{"subject":{"identifier":{"system":"x","value":"1"}}}`, nil, nil, true},
		{"subject by display alone", "Condition", `{"subject":{"display":"Jane Smith"}}`, nil, nil, true},
		{"subject by a conditional reference", "Condition", `{"subject":{"reference":"Patient?identifier=x|1"}}`, nil, nil, true},
		{"subject by urn:uuid", "Observation", `{"subject":{"reference":"urn:uuid:5e1ab6b1-2d5c-4b8e-9c38-0b8f3a1b6f10"}}`, nil, nil, true},
		{"subject a Group", "Observation", `{"subject":{"reference":"Group/g"}}`, nil, nil, false},
		{"subject typed Device by identifier", "Observation", `{"subject":{"type":"Device","identifier":{"system":"x","value":"1"}}}`, nil, nil, false},
		{"a performer by display is no one", "Observation", `{"performer":[{"display":"Dr Adams"}]}`, nil, nil, false},
		{"a focus by display is no one", "Observation", `{"subject":{"reference":"Patient/jane"},"focus":[{"display":"the left knee"}]}`, []string{"jane"}, nil, false},
		{"Device.patient by display", "Device", `{"patient":{"display":"Jane"}}`, nil, nil, true},
		{"a Consent's patient by display stays no one's", "Consent", `{"patient":{"display":"Jane"}}`, nil, nil, false},
		{"Device.patient", "Device", `{"patient":{"reference":"Patient/jane"}}`, []string{"jane"}, nil, false},
		{"sourcePatientInfo", "DocumentReference", `{"subject":{"reference":"Patient/a"},"context":{"sourcePatientInfo":{"reference":"Patient/b"}}}`, []string{"a", "b"}, nil, false},
		{"Observation.focus", "Observation", `{"focus":[{"reference":"Patient/jane"}]}`, []string{"jane"}, nil, false},
		{"Task.focus", "Task", `{"focus":{"reference":"Patient/jane"}}`, []string{"jane"}, nil, false},
		{"a mention in someone's item stays a reference", "CarePlan", `{"subject":{"reference":"Patient/jane"},"supportingInfo":[{"reference":"Patient/bob"}]}`, []string{"jane"}, nil, false},
		{"an item naming no one otherwise: anywhere", "List", `{"entry":[{"item":{"reference":"Patient/a"}},{"item":{"identifier":` + nhs + `}}]}`, []string{"a"}, []string{"9434765919"}, false},
		{"a Device with its patient in an extension", "Device", `{"extension":[{"url":"u","valueReference":{"reference":"Patient/jane"}}]}`, []string{"jane"}, nil, false},
		{"a Consent's actor is not its person", "Consent", `{"patient":{"reference":"Patient/jane"},"provision":{"actor":[{"reference":{"reference":"Patient/bob"}}]}}`, []string{"jane"}, nil, false},
		{"a Consent naming no one is no one's", "Consent", `{"provision":{"actor":[{"reference":{"reference":"Patient/bob"}}]}}`, nil, nil, false},
		{"a Patient names itself", "Patient", `{"id":"jane","link":[{"other":{"reference":"Patient/old"}}]}`, []string{"jane"}, nil, false},
		{"directory data names no one", "Organization", `{"name":"x"}`, nil, nil, false},
		{"a stored Bundle names whom its entries name", "Bundle", `{"entry":[{"resource":{"resourceType":"Condition","subject":{"reference":"Patient/bob"}}},{"resource":{"resourceType":"Device","patient":{"reference":"Patient/jane"}}},{"resource":{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Condition","subject":{"identifier":` + nhs + `}}}]}}]}`, []string{"bob", "jane"}, []string{"9434765919"}, false},
		{"a stored Bundle's Patient entry without an id", "Bundle", `{"entry":[{"resource":{"resourceType":"Patient","identifier":[` + nhs + `]}},{"resource":{"resourceType":"Patient"}}]}`, nil, []string{"9434765919"}, true},
	} {
		var m map[string]any
		if err := json.Unmarshal([]byte(c.body), &m); err != nil {
			t.Fatal(c.name, err)
		}
		ids, numbers, unidentified := NamedPeople(c.typ, m)
		if !reflect.DeepEqual(ids, c.ids) || !reflect.DeepEqual(numbers, c.nhs) || unidentified != c.unidentified {
			t.Errorf("%s: %v %v %v; want %v %v %v", c.name, ids, numbers, unidentified, c.ids, c.nhs, c.unidentified)
		}
	}
}

func BenchmarkNamedPeople(b *testing.B) {
	var m map[string]any
	json.Unmarshal([]byte(`{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2025-06-01T10:00:00Z","valueQuantity":{"value":72,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`), &m)
	b.Run("PatientCompartment", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			PatientCompartment("Observation", m)
		}
	})
	b.Run("NamedPeople", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			NamedPeople("Observation", m)
		}
	})
}
