package search

import (
	"reflect"
	"sort"
	"testing"
)

func TestPatientCompartment(t *testing.T) {
	tests := []struct {
		name, typ, json string
		want            []string
	}{
		{"patient own id, link ignored", "Patient", `{"id":"p1","link":[{"other":{"reference":"Patient/p2"}}]}`, []string{"p1"}},
		{"observation subject+performer", "Observation", `{"subject":{"reference":"Patient/b"},"performer":[{"reference":"Patient/a"},{"reference":"Practitioner/x"},{"reference":"Patient/b"}]}`, []string{"a", "b"}},
		{"observation group subject", "Observation", `{"subject":{"reference":"Group/g"}}`, nil},
		{"absolute url with history", "Encounter", `{"subject":{"reference":"https://x.example/fhir/Patient/p7/_history/2"}}`, []string{"p7"}},
		{"contained and urn ignored", "Condition", `{"subject":{"reference":"#p"},"asserter":{"reference":"urn:uuid:abc"}}`, nil},
		{"identifier-only ignored", "Condition", `{"subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}}}`, nil},
		{"related person", "RelatedPerson", `{"patient":{"reference":"Patient/p3"}}`, []string{"p3"}},
		{"appointment actor", "Appointment", `{"participant":[{"actor":{"reference":"Patient/p4"}},{"actor":{"reference":"Location/l"}}]}`, []string{"p4"}},
		{"task for", "Task", `{"for":{"reference":"Patient/p5"},"owner":{"reference":"Patient/p6"}}`, []string{"p5"}},
		{"allergy recorder", "AllergyIntolerance", `{"patient":{"reference":"Patient/p1"},"recorder":{"reference":"Patient/p2"}}`, []string{"p1", "p2"}},
		{"provenance target", "Provenance", `{"target":[{"reference":"Observation/o"},{"reference":"Patient/p8"}]}`, []string{"p8"}},
		{"organization not in compartment", "Organization", `{"id":"o1"}`, nil},
		{"unknown type", "Foo", `{"subject":{"reference":"Patient/p1"}}`, nil},
	}
	for _, tt := range tests {
		got := PatientCompartment(tt.typ, decode(t, tt.json))
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %v want %v", tt.name, got, tt.want)
		}
	}
}

func TestDataClass(t *testing.T) {
	tag := func(code string) string {
		return `{"meta":{"tag":[{"system":"https://carex.example/data-class","code":"` + code + `"}]}}`
	}
	tests := []struct {
		typ, json, want string
	}{
		{"Patient", `{}`, "demographics"},
		{"RelatedPerson", `{}`, "demographics"},
		{"AllergyIntolerance", `{}`, "allergies"},
		{"MedicationRequest", `{}`, "medications"},
		{"Medication", `{}`, "medications"},
		{"Condition", `{}`, "problems"},
		{"Observation", `{}`, "observations"},
		{"ImagingStudy", `{}`, "observations"},
		{"Encounter", `{}`, "encounters"},
		{"EpisodeOfCare", `{"type":[{"coding":[{"system":"http://snomed.info/sct","code":"1234"}]}]}`, "encounters"},
		{"EpisodeOfCare", `{"type":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/episodeofcare-type","code":"hacc"}]}]}`, "social-care"},
		{"Procedure", `{}`, "procedures"},
		{"Immunization", `{}`, "immunisations"},
		{"ImmunizationRecommendation", `{}`, "immunisations"},
		{"CarePlan", `{}`, "care-plans"},
		{"Goal", `{}`, "care-plans"},
		{"CareTeam", `{}`, "care-plans"},
		{"Task", `{}`, "care-plans"},
		{"Task", `{"code":{"coding":[{"system":"https://carex.example/data-class","code":"social-care"}]}}`, "social-care"},
		{"ServiceRequest", `{"category":[{"coding":[{"system":"http://snomed.info/sct","code":"410606002"}]}]}`, "social-care"},
		{"ServiceRequest", `{"category":[{"coding":[{"system":"http://snomed.info/sct","code":"108252007"}]}]}`, "care-plans"},
		{"Flag", `{}`, "safeguarding"},
		{"DocumentReference", `{}`, "documents"},
		{"Binary", `{}`, "documents"},
		{"QuestionnaireResponse", `{}`, "documents"},
		{"Appointment", `{}`, "appointments"},
		{"Slot", `{}`, "appointments"},
		{"Consent", `{}`, "consent"},
		{"Organization", `{}`, "directory"},
		{"Endpoint", `{}`, "directory"},
		{"Claim", `{}`, "financial"},
		{"Invoice", `{}`, "financial"},
		{"Provenance", `{}`, "provenance"},
		{"AuditEvent", `{}`, "provenance"},
		{"Basic", `{}`, "other"},
		{"Device", `{}`, "other"},
		// meta.tag override wins, for any type
		{"Observation", tag("safeguarding"), "safeguarding"},
		{"Patient", tag("social-care"), "social-care"},
		{"Basic", tag("financial"), "financial"},
		{"Condition", tag("not-a-class"), "problems"},
		{"Condition", `{"meta":{"tag":[{"system":"https://other","code":"documents"}]}}`, "problems"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		got := DataClass(tt.typ, decode(t, tt.json))
		if got != tt.want {
			t.Errorf("DataClass(%s, %s) = %q want %q", tt.typ, tt.json, got, tt.want)
		}
		seen[got] = true
	}
	classes := DataClasses()
	if !sort.StringsAreSorted(classes) || len(classes) != 18 {
		t.Errorf("DataClasses() = %v", classes)
	}
	for _, c := range classes {
		if !seen[c] {
			t.Errorf("class %s not covered by the table", c)
		}
	}
	if DataClass("Patient", nil) != "demographics" {
		t.Error("nil resource")
	}
}
