package search

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

func decode(t testing.TB, s string) map[string]any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return m
}

func entriesFor(es []IndexEntry, param string) []IndexEntry {
	var out []IndexEntry
	for _, e := range es {
		if e.Param == param {
			e.Param, e.Type = "", 0
			out = append(out, e)
		}
	}
	return out
}

const patientJSON = `{
  "resourceType": "Patient", "id": "p1",
  "meta": {"lastUpdated": "2024-05-01T12:00:00Z", "tag": [{"system": "https://carex.example/data-class", "code": "demographics"}],
           "profile": ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]},
  "identifier": [
    {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "943 476 5919"},
    {"system": "https://council.example/id", "value": "SC-001"},
    {"system": "https://council.example/id", "value": "SC-001"}
  ],
  "active": true,
  "name": [{"use": "official", "family": "Brontë", "given": ["Émily", "Jane"], "prefix": ["Ms"]}],
  "telecom": [{"system": "phone", "value": "01234 567890"}, {"system": "email", "value": "emily@example.org"}],
  "gender": "female",
  "birthDate": "1818-07-30",
  "deceasedDateTime": "1848-12-19",
  "address": [{"line": ["1 Church St"], "city": "Haworth", "postalCode": "BD22 8DR"}],
  "generalPractitioner": [{"reference": "https://nhs.example/fhir/Organization/Y12345/_history/3"}, {"reference": "#contained"}],
  "managingOrganization": {"reference": "Organization/council"},
  "link": [{"other": {"reference": "Patient/p0"}, "type": "replaces"}]
}`

func TestExtractPatient(t *testing.T) {
	es := Extract("Patient", decode(t, patientJSON))
	check := func(param string, want []IndexEntry) {
		t.Helper()
		if got := entriesFor(es, param); !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", param, got, want)
		}
	}
	check("identifier", []IndexEntry{
		{System: NHSNumberSystem, Code: "9434765919"},
		{System: "https://council.example/id", Code: "SC-001"},
	})
	check("_id", []IndexEntry{{Code: "p1"}})
	check("_lastUpdated", []IndexEntry{{Lo: ms("2024-05-01T12:00:00Z"), Hi: ms("2024-05-01T12:00:00.999Z")}})
	check("_tag", []IndexEntry{{System: DataClassTagSystem, Code: "demographics"}})
	check("_profile", []IndexEntry{{Str: "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"}})
	check("active", []IndexEntry{{Code: "true"}})
	check("gender", []IndexEntry{{Code: "female"}})
	check("family", []IndexEntry{{Str: "bronte"}})
	check("given", []IndexEntry{{Str: "emily"}, {Str: "jane"}})
	check("name", []IndexEntry{{Str: "bronte"}, {Str: "emily"}, {Str: "jane"}, {Str: "ms"}})
	check("address-postalcode", []IndexEntry{{Str: "bd22 8dr"}})
	check("address", []IndexEntry{{Str: "1 church st"}, {Str: "haworth"}, {Str: "bd22 8dr"}})
	check("phone", []IndexEntry{{Code: "01234 567890"}})
	check("email", []IndexEntry{{Code: "emily@example.org"}})
	check("telecom", []IndexEntry{{Code: "01234 567890"}, {Code: "emily@example.org"}})
	// (days in England, whose clocks kept local mean time, 75 s behind
	// Greenwich, until 1847)
	check("birthdate", []IndexEntry{{Lo: ms("1818-07-30T00:01:15Z"), Hi: ms("1818-07-31T00:01:14.999Z")}})
	check("death-date", []IndexEntry{{Lo: ms("1848-12-19T00:00:00Z"), Hi: ms("1848-12-19T23:59:59.999Z")}})
	check("general-practitioner", []IndexEntry{{Ref: "Organization/Y12345"}})
	check("organization", []IndexEntry{{Ref: "Organization/council"}})
	check("link", []IndexEntry{{Ref: "Patient/p0"}})

	seen := map[IndexEntry]bool{}
	for i, e := range es {
		if seen[e] {
			t.Errorf("duplicate entry %+v", e)
		}
		seen[e] = true
		if i > 0 && es[i-1].Param > e.Param {
			t.Errorf("entries not ordered by param: %s before %s", es[i-1].Param, e.Param)
		}
		if _, ok := Params("Patient")[e.Param]; !ok {
			t.Errorf("entry for undefined param %s", e.Param)
		}
	}
}

const observationJSON = `{
  "resourceType": "Observation", "id": "o1", "status": "final",
  "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}]}],
  "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}, {"system": "http://snomed.info/sct", "code": "27113001"}], "text": "Body weight"},
  "subject": {"reference": "Patient/p1"},
  "encounter": {"reference": "Encounter/e1"},
  "performer": [{"reference": "Practitioner/dr1"}, {"reference": "Patient/p1"}, {"identifier": {"system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "123"}}],
  "effectivePeriod": {"start": "2024-01-02T09:00:00Z"},
  "valueQuantity": {"value": 72.5, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"},
  "component": [{"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]}, "valueQuantity": {"value": 120, "unit": "mmHg"}}]
}`

func TestExtractObservation(t *testing.T) {
	es := Extract("Observation", decode(t, observationJSON))
	check := func(param string, want []IndexEntry) {
		t.Helper()
		if got := entriesFor(es, param); !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", param, got, want)
		}
	}
	check("code", []IndexEntry{{System: "http://loinc.org", Code: "29463-7"}, {System: "http://snomed.info/sct", Code: "27113001"}})
	// combo-code is code | component.code: its entries are theirs.
	check("component-code", []IndexEntry{{System: "http://loinc.org", Code: "8480-6"}})
	check("combo-code", nil)
	check("combo-value-quantity", nil)
	check("category", []IndexEntry{{System: "http://terminology.hl7.org/CodeSystem/observation-category", Code: "vital-signs"}})
	check("status", []IndexEntry{{Code: "final"}})
	check("patient", nil) // the subject's rows that refer to a Patient
	check("subject", []IndexEntry{{Ref: "Patient/p1"}})
	check("encounter", []IndexEntry{{Ref: "Encounter/e1"}})
	check("performer", []IndexEntry{{Ref: "Practitioner/dr1"}, {Ref: "Patient/p1"}, {System: "https://fhir.nhs.uk/Id/sds-user-id", Code: "123"}})
	check("date", []IndexEntry{{Lo: ms("2024-01-02T09:00:00Z"), Hi: math.MaxInt64}})
	check("value-quantity", []IndexEntry{{Num: 72.5, System: "http://unitsofmeasure.org", Code: "kg"}})
	check("component-value-quantity", []IndexEntry{{Num: 120, Code: "mmHg"}})
}

func TestExtractCondition(t *testing.T) {
	es := Extract("Condition", decode(t, `{
	  "resourceType": "Condition", "id": "c1",
	  "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
	  "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category", "code": "problem-list-item"}]}],
	  "code": {"coding": [
	     {"system": "http://snomed.info/sct", "code": "44054006"},
	     {"system": "http://hl7.org/fhir/sid/icd-10", "code": "E11"},
	     {"system": "http://read.info/ctv3", "display": "no code"}
	  ]},
	  "subject": {"reference": "http://other.example/fhir/Patient/p9"},
	  "onsetPeriod": {"end": "2019"},
	  "recordedDate": "2020-03-15"
	}`))
	want := map[string][]IndexEntry{
		"code":            {{System: "http://snomed.info/sct", Code: "44054006"}, {System: "http://hl7.org/fhir/sid/icd-10", Code: "E11"}},
		"clinical-status": {{System: "http://terminology.hl7.org/CodeSystem/condition-clinical", Code: "active"}},
		"subject":         {{Ref: "Patient/p9"}},
		"patient":         nil, // subject's rows (ParamDef.Union)
		"onset-date":      {{Lo: math.MinInt64, Hi: ms("2019-12-31T23:59:59.999Z")}},
		"recorded-date":   {{Lo: ms("2020-03-15T00:00:00Z"), Hi: ms("2020-03-15T23:59:59.999Z")}},
		"encounter":       nil,
	}
	for p, w := range want {
		if got := entriesFor(es, p); !reflect.DeepEqual(got, w) {
			t.Errorf("%s: got %+v want %+v", p, got, w)
		}
	}
}

func TestExtractMedicationStatement(t *testing.T) {
	es := Extract("MedicationStatement", decode(t, `{
	  "resourceType": "MedicationStatement", "id": "m1", "status": "active",
	  "medicationCodeableConcept": {"coding": [{"system": "https://dmd.nhs.uk", "code": "322236009"}]},
	  "subject": {"reference": "Group/g1"},
	  "effectiveDateTime": "2023-06",
	  "context": {"reference": "urn:uuid:7f0c4cd0-1c6d-4a5c-9d43-5b0fd1e0b3a1"}
	}`))
	want := map[string][]IndexEntry{
		"code":    {{System: "https://dmd.nhs.uk", Code: "322236009"}},
		"patient": nil, // subject's rows that refer to a Patient: none here
		"subject": {{Ref: "Group/g1"}},
		// (June in England)
		"effective": {{Lo: ms("2023-05-31T23:00:00Z"), Hi: ms("2023-06-30T22:59:59.999Z")}},
		"context":   nil, // urn:uuid references are not indexed
		"status":    {{Code: "active"}},
	}
	for p, w := range want {
		if got := entriesFor(es, p); !reflect.DeepEqual(got, w) {
			t.Errorf("%s: got %+v want %+v", p, got, w)
		}
	}
}

func TestExtractMisc(t *testing.T) {
	// AllergyIntolerance.category is an array of code primitives; MedicationRequest date from Timing.event;
	// QuestionnaireResponse.questionnaire is a canonical.
	es := Extract("AllergyIntolerance", decode(t, `{"resourceType":"AllergyIntolerance","category":["food","medication"],"patient":{"reference":"Patient/1"}}`))
	if got := entriesFor(es, "category"); !reflect.DeepEqual(got, []IndexEntry{{Code: "food"}, {Code: "medication"}}) {
		t.Errorf("category: %+v", got)
	}
	es = Extract("MedicationRequest", decode(t, `{"resourceType":"MedicationRequest","dosageInstruction":[{"timing":{"event":["2020-01-01","bad"]}}]}`))
	if got := entriesFor(es, "date"); !reflect.DeepEqual(got, []IndexEntry{{Lo: ms("2020-01-01T00:00:00Z"), Hi: ms("2020-01-01T23:59:59.999Z")}}) {
		t.Errorf("date: %+v", got)
	}
	es = Extract("CarePlan", decode(t, `{"resourceType":"CarePlan","activity":[{"detail":{"scheduledTiming":{"repeat":{"boundsPeriod":{"start":"2013-02-14","end":"2013-02-28"}}}}}]}`))
	if got := entriesFor(es, "activity-date"); !reflect.DeepEqual(got, []IndexEntry{{Lo: ms("2013-02-14T00:00:00Z"), Hi: ms("2013-02-28T23:59:59.999Z")}}) {
		t.Errorf("activity-date: %+v", got)
	}
	es = Extract("QuestionnaireResponse", decode(t, `{"resourceType":"QuestionnaireResponse","questionnaire":"https://forms.example/fhir/Questionnaire/care-needs|2.0"}`))
	if got := entriesFor(es, "questionnaire"); !reflect.DeepEqual(got, []IndexEntry{{Ref: "Questionnaire/care-needs"}}) {
		t.Errorf("questionnaire: %+v", got)
	}
	if Extract("Patient", nil) != nil {
		t.Error("nil resource should give nil")
	}
	// float64 input (decoded without UseNumber) works too.
	es = Extract("Observation", map[string]any{"valueQuantity": map[string]any{"value": 1.5, "code": "mg"}})
	if got := entriesFor(es, "value-quantity"); !reflect.DeepEqual(got, []IndexEntry{{Num: 1.5, Code: "mg"}}) {
		t.Errorf("value-quantity: %+v", got)
	}
}

func TestNormalizeReference(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Patient/123", "Patient/123"},
		{"Patient/123/_history/4", "Patient/123"},
		{"https://x.example/fhir/Patient/a-b.c", "Patient/a-b.c"},
		{"https://x.example/fhir/Patient/1/_history/2", "Patient/1"},
		{"http://x/Questionnaire/q|1.0", "Questionnaire/q"},
		{"#c1", ""},
		{"urn:uuid:1234", ""},
		{"123", ""},
		{"patient/123", ""},
		{"a/Patient/123", ""},
		{"Patient/", ""},
		{"Patient/a_b", ""},
	}
	for _, tt := range tests {
		got, ok := NormalizeReference(tt.in)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("NormalizeReference(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}

func TestParamsCoverage(t *testing.T) {
	required := map[string]string{
		"Patient":                  "identifier name family given birthdate gender general-practitioner organization address-postalcode telecom phone email active death-date",
		"RelatedPerson":            "identifier patient name relationship",
		"Practitioner":             "identifier name family",
		"PractitionerRole":         "practitioner organization role identifier",
		"Organization":             "identifier name type partof",
		"CareTeam":                 "patient subject participant status category date",
		"EpisodeOfCare":            "patient status type organization care-manager date identifier",
		"Encounter":                "patient subject status class type date identifier participant service-provider episode-of-care",
		"Condition":                "patient subject code category clinical-status verification-status onset-date recorded-date encounter identifier",
		"AllergyIntolerance":       "patient code clinical-status verification-status category criticality date recorder identifier",
		"MedicationStatement":      "patient subject code status effective medication context category identifier",
		"MedicationRequest":        "patient subject code status intent authoredon medication encounter requester identifier category",
		"Observation":              "patient subject code category status date value-quantity encounter performer identifier based-on",
		"Procedure":                "patient subject code status date encounter performer identifier category",
		"Immunization":             "patient vaccine-code status date identifier",
		"DiagnosticReport":         "patient subject code category status date issued result encounter identifier",
		"CarePlan":                 "patient subject status intent category date care-team identifier",
		"Goal":                     "patient subject lifecycle-status category target-date identifier",
		"Flag":                     "patient subject status category date author identifier",
		"Task":                     "patient subject owner requester status intent code authored-on identifier focus",
		"ServiceRequest":           "patient subject status intent category code authored requester performer identifier",
		"DocumentReference":        "patient subject type category status date author custodian identifier",
		"Appointment":              "patient actor status date service-type identifier",
		"QuestionnaireResponse":    "patient subject status authored author questionnaire identifier",
		"Consent":                  "patient status scope category date period actor action purpose security-label data identifier source-reference",
		"Provenance":               "target patient agent recorded",
		"Claim":                    "patient identifier status",
		"ExplanationOfBenefit":     "patient identifier status",
		"Coverage":                 "patient identifier status",
		"Location":                 "identifier status",
		"Device":                   "patient identifier status",
		"ImagingStudy":             "patient identifier status",
		"Specimen":                 "patient identifier status",
		"MedicationAdministration": "patient identifier status code",
		"MedicationDispense":       "patient identifier status code",
		"Medication":               "identifier status code",
	}
	for typ, names := range required {
		ps := Params(typ)
		for _, n := range append(strings.Fields(names), "_id", "_lastUpdated", "_tag", "_security", "_profile") {
			d, ok := ps[n]
			if !ok {
				t.Errorf("%s: missing parameter %s", typ, n)
				continue
			}
			if d.Name != n || d.Type == 0 || len(d.Paths) == 0 {
				t.Errorf("%s.%s: bad definition %+v", typ, n, d)
			}
			if n == "patient" && (d.Type != Reference || !reflect.DeepEqual(d.Targets, []string{"Patient"})) {
				t.Errorf("%s.patient must be a Reference to Patient: %+v", typ, d)
			}
		}
	}
	if len(Params("NoSuchType")) != len(commonDefs) {
		t.Error("unknown type should get the common parameters")
	}
}

func BenchmarkExtract(b *testing.B) {
	res := decode(b, observationJSON)
	b.ReportAllocs()
	for b.Loop() {
		Extract("Observation", res)
	}
}

// TestExtractExamples runs the extractors over the HL7/UK Core example
// resources in the repository's testdata: no panics, no duplicates, known
// data classes, sorted compartments.
func TestExtractExamples(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/fhir/*/*.json")
	more, _ := filepath.Glob("../../testdata/fhir/*/*/*.json")
	files = append(files, more...)
	if len(files) == 0 {
		t.Skip("no example resources")
	}
	classes := map[string]bool{}
	for _, c := range DataClasses() {
		classes[c] = true
	}
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		var m map[string]any
		if d.Decode(&m) != nil {
			continue
		}
		typ, _ := m["resourceType"].(string)
		es := Extract(typ, m)
		seen := map[IndexEntry]bool{}
		for _, e := range es {
			if seen[e] {
				t.Errorf("%s: duplicate %+v", f, e)
			}
			seen[e] = true
			if e.Type == Date && e.Lo > e.Hi {
				t.Errorf("%s: inverted date %+v", f, e)
			}
		}
		if c := DataClass(typ, m); !classes[c] {
			t.Errorf("%s: class %q", f, c)
		}
		if pc := PatientCompartment(typ, m); !sort.StringsAreSorted(pc) {
			t.Errorf("%s: compartment not sorted %v", f, pc)
		}
		n++
	}
	t.Logf("%d example resources", n)
}

// TestUnionParams: a union parameter's paths must be its members', in
// order, and its members stored parameters of its type.
func TestUnionParams(t *testing.T) {
	m := map[string]*cparam{}
	for _, d := range []ParamDef{tok("code", "code"), tok("component-code", "component.code"),
		qty("value-quantity", "valueQuantity"), ref("subject", tAny, "subject"), ref("narrow", tOrg, "subject"),
		union(tok("combo-code", "code", "component.code"), "code", "component-code")} {
		m[d.Name] = compile(d)
	}
	for _, c := range []struct {
		d    ParamDef
		want string // "" when it is a valid union
	}{
		{union(tok("u", "code", "component.code"), "code", "component-code"), ""},
		{tok("plain", "code"), ""},
		{union(tok("u", "component.code", "code"), "code", "component-code"), "not its members'"},
		{union(tok("u", "code"), "code", "component-code"), "not its members'"},
		{union(tok("u", "code", "component.code"), "code", "nope"), "unknown parameter nope"},
		{union(tok("u", "code", "valueQuantity"), "code", "value-quantity"), "not a stored token"},
		{union(tok("u", "code", "component.code"), "code", "combo-code"), "not a stored token"},
		{union(ref("u", tPat, "subject"), "subject"), ""},
		{union(ref("u", tAny, "subject"), "subject"), "needs target types"},
		{union(ref("u", tPat, "subject"), "narrow"), "narrow cannot refer to Patient"},
		{union(ref("u", tPat, "subject"), "code"), "not a stored reference"},
	} {
		if got := checkUnion(c.d, m); (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s %v of %v: %q, want %q", c.d.Name, c.d.Paths, c.d.Union, got, c.want)
		}
	}
	for _, c := range [][3]string{
		{"Observation", "combo-code", "code component-code/"},
		{"Observation", "code", "code/"},
		{"Observation", "patient", "subject/Patient"},
		{"Appointment", "practitioner", "actor/Practitioner"},
		{"Patient", "combo-code", "combo-code/"},
	} {
		params, refersTo := Stored(c[0], c[1])
		if got := strings.Join(params, " ") + "/" + strings.Join(refersTo, " "); got != c[2] {
			t.Errorf("Stored(%s, %s) = %s, want %s", c[0], c[1], got, c[2])
		}
	}
}

// TestNoRepeatedReferenceRows: a reference parameter with one target type
// whose paths are another's that may refer to that type would store rows
// the other holds already: it must be a union of the other.
func TestNoRepeatedReferenceRows(t *testing.T) {
	for typ, defs := range typeDefs {
		for _, d := range defs {
			if d.Type != Reference || len(d.Targets) != 1 || len(d.Union) > 0 {
				continue
			}
			for _, o := range defs {
				if o.Name != d.Name && o.Type == Reference && len(o.Union) == 0 &&
					strings.Join(o.Paths, "|") == strings.Join(d.Paths, "|") &&
					(len(o.Targets) == 0 || contains(o.Targets, d.Targets[0])) {
					t.Errorf("%s.%s repeats the rows of %s.%s: declare it union(…, %q)", typ, d.Name, typ, o.Name, o.Name)
				}
			}
		}
	}
}

// TestExtractDatesIn: a date without a time is read in the given zone,
// each end of a period on its own; a time keeps its zone (review 31d).
func TestExtractDatesIn(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skip("no tz database:", err)
	}
	ms := func(s string) int64 {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.UnixMilli()
	}
	for _, c := range []struct {
		period string
		lo, hi int64
	}{
		{`{"start":"2015-06-01T00:00:00Z","end":"2015-06-30T23:59:59Z"}`, ms("2015-06-01T00:00:00Z"), ms("2015-06-30T23:59:59.999Z")},
		{`{"start":"2015-06-01","end":"2015-06-30"}`, ms("2015-05-31T23:00:00Z"), ms("2015-06-30T22:59:59.999Z")},
		{`{"end":"2015-06-20"}`, math.MinInt64, ms("2015-06-20T22:59:59.999Z")},
		{`{"start":"2015-06-01","end":"2015-06-20T12:00:00Z"}`, ms("2015-05-31T23:00:00Z"), ms("2015-06-20T12:00:00.999Z")},
	} {
		res := map[string]any{}
		if err := json.Unmarshal([]byte(`{"period":`+c.period+`}`), &res); err != nil {
			t.Fatal(err)
		}
		got := ExtractDatesIn("Encounter", res, london)
		var found bool
		for _, e := range got {
			if e.Type != Date {
				t.Errorf("%s: non-date entry %+v", c.period, e)
			}
			if e.Param == "date" {
				found = true
				if e.Lo != c.lo || e.Hi != c.hi {
					t.Errorf("%s: %d..%d, want %d..%d", c.period, e.Lo, e.Hi, c.lo, c.hi)
				}
			}
		}
		if !found {
			t.Errorf("%s: no date entry in %+v", c.period, got)
		}
	}
}

// TestNormStringFoldsEveryAccent: letters with any accent fold to their
// base letter, however the accent is written (review 74b).
func TestNormStringFoldsEveryAccent(t *testing.T) {
	for in, want := range map[string]string{
		"Ștefan": "stefan", "Țurcanu": "turcanu", "Şerban": "serban", "Chloé": "chloe", "Chloe\u0301": "chloe",
		"Zoe\u0308": "zoe", "Kova\u0301cs": "kovacs", "İbrahim": "ibrahim", "Yılmaz": "yilmaz", "Straße": "strasse",
		"Ørsted": "orsted", "Łukasz": "lukasz", "ＳＭＩＴＨ": "smith", "ﬁnn": "finn", "Nguyễn": "nguyen", "O'Brien": "o'brien",
		"smith": "smith",
	} {
		if got := NormString(in); got != want {
			t.Errorf("NormString(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestNormStringKeepsLettersApart: what is a letter of its own in its
// script is not an accent (review 75a), and the result is lower case and
// normalised already.
func TestNormStringKeepsLettersApart(t *testing.T) {
	for _, p := range [][2]string{{"カトウ", "ガトウ"}, {"はら", "ぱら"}, {"Андрей", "Андреи"}, {"기", "김"}, {"이", "임"}} {
		if a, b := NormString(p[0]), NormString(p[1]); a == b || strings.HasPrefix(b, a) {
			t.Errorf("%s and %s fold alike (%q, %q)", p[0], p[1], a, b)
		}
	}
	for in, want := range map[string]string{"𝐒𝐦𝐢𝐭𝐡": "smith", "ℌelen": "helen", "Ёлкин": "елкин", "Άννα": "αννα", "שָׁלוֹם": "שלום", "مُحَمَّد": "محمد", "김민준": "김민준"} {
		got := NormString(in)
		if got != want {
			t.Errorf("NormString(%q) = %q, want %q", in, got, want)
		}
		if again := NormString(got); again != got {
			t.Errorf("NormString(%q) = %q, but NormString of that is %q", in, got, again)
		}
	}
}
