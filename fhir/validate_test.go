package fhir

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseValidation(t *testing.T) {
	tests := []struct {
		name string
		body string
		err  error  // nil: must parse
		want string // substring of the error message (path + message)
	}{
		{"minimal patient", `{"resourceType":"Patient"}`, nil, ""},
		{"typical patient", `{"resourceType":"Patient","id":"p1","meta":{"versionId":"1","security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},
			"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"active":true,
			"name":[{"use":"official","family":"Smith","given":["Jo","Ann"]}],"gender":"female","birthDate":"1970-01-01",
			"multipleBirthInteger":2,"communication":[{"language":{"text":"English"},"preferred":true}]}`, nil, ""},
		{"nhs number with spaces", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"943 476 5919"}]}`, nil, ""},

		// unknown elements
		{"unknown top-level element", `{"resourceType":"Patient","foo":1}`, ErrInvalid, "Patient.foo: unknown element"},
		{"unknown nested element", `{"resourceType":"Patient","name":[{"family":"X"},{"family":"Y","nickname":"Z"}]}`, ErrInvalid, "Patient.name[1].nickname: unknown element"},
		{"resourceType on a data type", `{"resourceType":"Patient","name":[{"resourceType":"HumanName","family":"X"}]}`, ErrInvalid, "Patient.name[0].resourceType: unknown element"},
		{"fhir_comments tolerated", `{"resourceType":"Patient","fhir_comments":["hi"],"name":[{"fhir_comments":["x"],"family":"X"}]}`, nil, ""},
		{"fhir_comments not strings", `{"resourceType":"Patient","fhir_comments":"hi"}`, ErrInvalid, "Patient.fhir_comments"},

		// primitive extensions
		{"_birthDate extension", `{"resourceType":"Patient","birthDate":"1970-01-01","_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":"1970-01-01T10:00:00Z"}]}}`, nil, ""},
		{"_birthDate without value", `{"resourceType":"Patient","_birthDate":{"id":"b1","extension":[{"url":"http://example.org/x","valueCode":"unknown"}]}}`, nil, ""},
		{"_birthDate with other key", `{"resourceType":"Patient","birthDate":"1970-01-01","_birthDate":{"url":"x"}}`, ErrInvalid, "Patient._birthDate.url: unknown element"},
		{"_birthDate not object", `{"resourceType":"Patient","birthDate":"1970-01-01","_birthDate":"x"}`, ErrInvalid, "Patient._birthDate: must be an object"},
		{"_birthDate empty", `{"resourceType":"Patient","birthDate":"1970-01-01","_birthDate":{}}`, ErrInvalid, "Patient._birthDate: empty object"},
		{"_x for unknown element", `{"resourceType":"Patient","_nickname":{"id":"a"}}`, ErrInvalid, "Patient._nickname: unknown element"},
		{"_x for complex element", `{"resourceType":"Patient","_name":{"id":"a"}}`, ErrInvalid, "Patient._name: unknown element"},
		{"_given with null placeholder", `{"resourceType":"Patient","name":[{"given":[null,"Ann"],"_given":[{"extension":[{"url":"http://example.org/x","valueString":"y"}]},null]}]}`, nil, ""},
		{"null in primitive array without _x", `{"resourceType":"Patient","name":[{"given":["Jo",null]}]}`, ErrInvalid, "Patient.name[0].given[1]: null not allowed"},
		{"_given length mismatch", `{"resourceType":"Patient","name":[{"given":["Jo","Ann"],"_given":[{"id":"a"}]}]}`, ErrInvalid, "Patient.name[0]._given: has 1 entries"},
		{"_given not array", `{"resourceType":"Patient","name":[{"given":["Jo"],"_given":{"id":"a"}}]}`, ErrInvalid, "Patient.name[0]._given: must be an array"},

		// contained
		{"contained accepted", `{"resourceType":"Patient","contained":[{"resourceType":"Practitioner","id":"gp","name":[{"family":"Who"}]}],"generalPractitioner":[{"reference":"#gp"}]}`, nil, ""},
		{"contained validated", `{"resourceType":"Patient","contained":[{"resourceType":"Practitioner","id":"gp","foo":true}]}`, ErrInvalid, "Patient.contained[0].foo: unknown element for Practitioner"},
		{"contained unknown type", `{"resourceType":"Patient","contained":[{"resourceType":"Doctor"}]}`, ErrInvalid, `Patient.contained[0].resourceType: "Doctor" is not an R4 resource type`},
		{"contained without resourceType", `{"resourceType":"Patient","contained":[{"id":"x"}]}`, ErrInvalid, "Patient.contained[0].resourceType: required element missing"},
		{"contained not array", `{"resourceType":"Patient","contained":{"resourceType":"Practitioner"}}`, ErrInvalid, "Patient.contained: must be an array"},
		{"contained in contained", `{"resourceType":"Patient","contained":[{"resourceType":"Organization","contained":[{"resourceType":"Practitioner"}]}]}`, ErrInvalid, "Patient.contained[0].contained: contained resources shall not contain resources"},
		{"contained with versionId", `{"resourceType":"Patient","contained":[{"resourceType":"Practitioner","meta":{"versionId":"1"}}]}`, ErrInvalid, "Patient.contained[0].meta.versionId"},
		{"contained on Bundle", `{"resourceType":"Bundle","type":"collection","contained":[{"resourceType":"Patient"}]}`, ErrInvalid, "Bundle.contained: Bundle is not a DomainResource"},
		{"bundle entry resource validated", `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","gender":"M"}}]}`, ErrInvalid, `Bundle.entry[0].resource.gender: unknown code "M"`},
		{"bundle entry resource not object", `{"resourceType":"Bundle","type":"collection","entry":[{"resource":"Patient/1"}]}`, ErrInvalid, "Bundle.entry[0].resource: must be a resource"},
		{"parameters resource validated", `{"resourceType":"Parameters","parameter":[{"name":"p","resource":{"resourceType":"Patient","bogus":1}}]}`, ErrInvalid, "Parameters.parameter[0].resource.bogus"},

		// JSON kinds
		{"bool as string", `{"resourceType":"Patient","active":"true"}`, ErrInvalid, "Patient.active: must be a boolean"},
		{"array as single value", `{"resourceType":"Patient","name":{"family":"X"}}`, ErrInvalid, "Patient.name: must be an array"},
		{"string as number", `{"resourceType":"Patient","birthDate":19700101}`, ErrInvalid, "Patient.birthDate: must be a string"},
		{"integer with fraction", `{"resourceType":"Patient","multipleBirthInteger":1.5}`, ErrInvalid, `Patient.multipleBirthInteger: "1.5" is not a 32-bit integer`},
		{"integer overflow", `{"resourceType":"Patient","multipleBirthInteger":3000000000}`, ErrInvalid, "Patient.multipleBirthInteger"},
		{"decimal as string", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":"1.5"}}`, ErrInvalid, "Observation.valueQuantity.value: must be a number"},
		{"decimal ok", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1.50,"unit":"mg"}}`, nil, ""},
		{"object as string", `{"resourceType":"Patient","maritalStatus":"M"}`, ErrInvalid, "Patient.maritalStatus: must be an object"},
		{"null value", `{"resourceType":"Patient","active":null}`, ErrInvalid, "Patient.active: null not allowed"},
		{"null in array", `{"resourceType":"Patient","name":[null]}`, ErrInvalid, "Patient.name[0]: null not allowed"},

		// empty values
		{"empty string", `{"resourceType":"Patient","name":[{"family":""}]}`, ErrInvalid, "Patient.name[0].family: empty string not allowed"},
		{"empty array", `{"resourceType":"Patient","name":[]}`, ErrInvalid, "Patient.name: empty array not allowed"},
		{"empty object in array", `{"resourceType":"Patient","name":[{}]}`, ErrInvalid, "Patient.name[0]: empty object not allowed"},
		{"empty object", `{"resourceType":"Patient","maritalStatus":{}}`, ErrInvalid, "Patient.maritalStatus: empty object not allowed"},

		// required elements
		{"missing required", `{"resourceType":"Patient","communication":[{"preferred":true}]}`, ErrInvalid, "Patient.communication[0].language: required element missing"},
		{"missing required top-level", `{"resourceType":"Observation","code":{"text":"x"}}`, ErrInvalid, "Observation.status: required element missing"},
		{"missing extension url", `{"resourceType":"Patient","extension":[{"valueString":"x"}]}`, ErrInvalid, "Patient.extension[0].url: required element missing"},
		{"required primitive via _x only", `{"resourceType":"Observation","_status":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason","valueCode":"unknown"}]},"code":{"text":"x"}}`, nil, ""},
		{"missing required choice", `{"resourceType":"MedicationRequest","status":"active","intent":"order","subject":{"reference":"Patient/1"}}`, ErrInvalid, "MedicationRequest.medication[x]: required element missing"},
		{"two choices", `{"resourceType":"MedicationRequest","status":"active","intent":"order","subject":{"reference":"Patient/1"},"medicationCodeableConcept":{"text":"x"},"medicationReference":{"reference":"Medication/1"}}`, ErrInvalid, "MedicationRequest.medication[x]: only one"},
		{"one choice", `{"resourceType":"MedicationRequest","status":"active","intent":"order","subject":{"reference":"Patient/1"},"medicationReference":{"reference":"Medication/1"}}`, nil, ""},

		// codes
		{"bad enum code", `{"resourceType":"Patient","gender":"M"}`, ErrInvalid, `Patient.gender: unknown code "M" for AdministrativeGender`},
		{"enum code with quote", `{"resourceType":"Patient","gender":"male\""}`, ErrInvalid, "Patient.gender: unknown code"},
		{"enum not string", `{"resourceType":"Patient","gender":1}`, ErrInvalid, "Patient.gender: must be a string"},

		// ids
		{"bad id", `{"resourceType":"Patient","id":"a b"}`, ErrInvalid, `Patient.id: invalid resource id "a b"`},
		{"long id", `{"resourceType":"Patient","id":"` + strings.Repeat("a", 65) + `"}`, ErrInvalid, "Patient.id: invalid resource id"},

		// NHS numbers
		{"bad NHS number", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765918"}]}`, ErrInvalid, "Patient.identifier[0].value: NHS number 9434765918 fails the modulus-11 check"},
		{"bad NHS number in reference", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"12345"}}}`, ErrInvalid, "Observation.subject.identifier.value: NHS number \"12345\" must have 10 digits"},
		{"other system not checked", `{"resourceType":"Patient","identifier":[{"system":"urn:oid:1.2.3","value":"9434765918"}]}`, nil, ""},

		// duplicate keys
		{"duplicate top-level key", `{"resourceType":"Patient","active":true,"active":false}`, ErrInvalid, "Patient.active: duplicate JSON key"},
		{"duplicate nested key", `{"resourceType":"Patient","name":[{"family":"A","family":"B"}]}`, ErrInvalid, "Patient.name[0].family: duplicate JSON key"},

		// resourceType / JSON errors
		{"unknown resourceType", `{"resourceType":"Foo"}`, ErrUnknownType, `"Foo" is not an R4 resource type`},
		{"abstract resourceType", `{"resourceType":"DomainResource"}`, ErrUnknownType, "DomainResource"},
		{"missing resourceType", `{"id":"x"}`, ErrMalformed, "missing resourceType"},
		{"resourceType not string", `{"resourceType":1}`, ErrMalformed, "resourceType is not a string"},
		{"not JSON", `resourceType=Patient`, ErrMalformed, "invalid JSON"},
		{"truncated", `{"resourceType":"Patient"`, ErrMalformed, "invalid JSON"},
		{"trailing garbage", `{"resourceType":"Patient"} x`, ErrMalformed, "after top-level value"},
		{"two values", `{"resourceType":"Patient"}{}`, ErrMalformed, "after top-level value"},
		{"array", `[{"resourceType":"Patient"}]`, ErrMalformed, "not a JSON object"},
		{"empty body", ``, ErrMalformed, "unexpected end"},
		{"invalid UTF-8", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"\xff\"}]}", ErrMalformed, "invalid UTF-8"},
		{"control char", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"a\tb\"}]}", ErrMalformed, "control character"},
		{"escaped strings", `{"resourceType":"Pat\u0069ent","name":[{"family":"O\"Brien \u00e9\ud83d\ude00"}]}`, nil, ""},
		{"bad escape", `{"resourceType":"Patient","name":[{"family":"\x"}]}`, ErrMalformed, "invalid escape"},
		{"deep nesting", `{"resourceType":"Patient","x":` + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + `}`, ErrMalformed, "nesting too deep"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Parse([]byte(tc.body))
			if tc.err == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if res.Type == "" || res.Map == nil || string(res.Raw) != tc.body {
					t.Fatalf("bad resource %+v", res)
				}
				return
			}
			if err == nil {
				t.Fatalf("expected %v, got success", tc.err)
			}
			if !errors.Is(err, tc.err) {
				t.Fatalf("expected errors.Is(%v), got %v", tc.err, err)
			}
			for _, other := range []error{ErrMalformed, ErrInvalid, ErrUnknownType} {
				if other != tc.err && errors.Is(err, other) {
					t.Fatalf("error %v is also %v", err, other)
				}
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
			if tc.err == ErrInvalid {
				var ve *ValidationError
				if !errors.As(err, &ve) || ve.Path == "" {
					t.Fatalf("no *ValidationError with a path in %v", err)
				}
			}
		})
	}
}

func TestParseResourceFields(t *testing.T) {
	body := []byte(`{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"},"valueQuantity":{"value":1.50}}`)
	r, err := Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	if r.Type != "Observation" || r.ID != "o1" || &r.Raw[0] != &body[0] {
		t.Fatalf("got %+v", r)
	}
	if v := r.Map["valueQuantity"].(map[string]any)["value"]; v != any(jsonNumber("1.50")) {
		t.Fatalf("value %#v", v)
	}
}

func TestValidationErrorsMultiple(t *testing.T) {
	_, err := Parse([]byte(`{"resourceType":"Patient","zeta":1,"alpha":2,"gender":"x"}`))
	var ves ValidationErrors
	if !errors.As(err, &ves) || len(ves) != 3 {
		t.Fatalf("got %v", err)
	}
	if ves[0].Path != "Patient.alpha" || ves[2].Path != "Patient.zeta" {
		t.Fatalf("not sorted: %v", ves.Expressions())
	}
}

func TestResourceTypes(t *testing.T) {
	names := ResourceTypes()
	if len(names) != 146 {
		t.Errorf("%d resource types", len(names))
	}
	for i := 1; i < len(names); i++ {
		if names[i-1] >= names[i] {
			t.Fatalf("not sorted at %s", names[i])
		}
	}
	for _, n := range []string{"Patient", "Bundle", "Claim", "ExplanationOfBenefit", "Parameters", "OperationOutcome", "Binary", "MedicinalProduct", "VerificationResult"} {
		if !IsResourceType(n) {
			t.Errorf("%s missing", n)
		}
	}
	for _, n := range []string{"", "Resource", "DomainResource", "patient", "HumanName", "Element"} {
		if IsResourceType(n) {
			t.Errorf("%s accepted", n)
		}
	}
}

type jsonNumber = json.Number

func TestParseConcurrent(t *testing.T) {
	bodies := [][]byte{
		[]byte(`{"resourceType":"Patient","gender":"female","name":[{"family":"X"}]}`),
		[]byte(`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"}}}]}`),
		[]byte(`{"resourceType":"Claim","status":"active","type":{"text":"x"},"use":"claim","patient":{"reference":"Patient/1"},"created":"2020-01-01","provider":{"reference":"Organization/1"},"priority":{"text":"normal"},"insurance":[{"sequence":1,"focal":true,"coverage":{"reference":"Coverage/1"}}]}`),
	}
	done := make(chan error)
	for g := 0; g < 8; g++ {
		go func() {
			var err error
			for i := 0; i < 50 && err == nil; i++ {
				_, err = Parse(bodies[(g+i)%len(bodies)])
			}
			done <- err
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
