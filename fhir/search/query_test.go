package search

import (
	"errors"
	"net/url"
	"reflect"
	"testing"
)

func mustValues(t testing.TB, raw string) url.Values {
	t.Helper()
	v, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatalf("url.ParseQuery(%q): %v", raw, err)
	}
	return v
}

func TestParseQuery(t *testing.T) {
	y2020lo, y2020hi := ms("2020-01-01T00:00:00Z"), ms("2020-12-31T23:59:59.999Z")
	// (March in England: British Summer Time began on 28 March 2021)
	mar := func() (int64, int64) { return ms("2021-03-01T00:00:00Z"), ms("2021-03-31T22:59:59.999Z") }
	marLo, marHi := mar()
	tests := []struct {
		name, typ, raw string
		want           *Query // only the fields set are compared against a default query
		err            error
	}{
		{name: "empty", typ: "Observation", raw: "", want: &Query{}},
		{name: "format and pretty ignored", typ: "Observation", raw: "_format=json&_pretty=true&_format:x=1", want: &Query{}},
		{name: "empty value ignored", typ: "Observation", raw: "code=&status=", want: &Query{}},
		{name: "token OR", typ: "Observation", raw: "code=http://loinc.org|29463-7,8480-6",
			want: &Query{Clauses: []Clause{{Param: "code", Type: Token, Values: []Value{
				{System: "http://loinc.org", HasSystem: true, Code: "29463-7"}, {Code: "8480-6"}}}}}},
		{name: "token no system and system only", typ: "Condition", raw: "code=|abc,http://snomed.info/sct|",
			want: &Query{Clauses: []Clause{{Param: "code", Type: Token, Values: []Value{
				{HasSystem: true, Code: "abc"}, {System: "http://snomed.info/sct", HasSystem: true}}}}}},
		{name: "token escapes", typ: "Observation", raw: `code=a\,b,c\|d|e\\`,
			want: &Query{Clauses: []Clause{{Param: "code", Type: Token, Values: []Value{
				{Code: "a,b"}, {System: "c|d", HasSystem: true, Code: `e\`}}}}}},
		{name: "nhs number spaces", typ: "Patient", raw: "identifier=https://fhir.nhs.uk/Id/nhs-number|943 476 5919",
			want: &Query{Clauses: []Clause{{Param: "identifier", Type: Token, Values: []Value{
				{System: NHSNumberSystem, HasSystem: true, Code: "9434765919"}}}}}},
		{name: "repeated param AND", typ: "Observation", raw: "date=ge2020&date=lt2021-03",
			want: &Query{Clauses: []Clause{
				{Param: "date", Type: Date, Values: []Value{{Prefix: "ge", Lo: y2020lo, Hi: y2020hi, Str: "2020"}}},
				{Param: "date", Type: Date, Values: []Value{{Prefix: "lt", Lo: marLo, Hi: marHi, Str: "2021-03"}}}}}},
		{name: "date default eq", typ: "Patient", raw: "birthdate=2020",
			want: &Query{Clauses: []Clause{{Param: "birthdate", Type: Date, Values: []Value{{Prefix: "eq", Lo: y2020lo, Hi: y2020hi, Str: "2020"}}}}}},
		{name: "clauses sorted", typ: "Observation", raw: "status=final&code=x&category=vital-signs",
			want: &Query{Clauses: []Clause{
				{Param: "category", Type: Token, Values: []Value{{Code: "vital-signs"}}},
				{Param: "code", Type: Token, Values: []Value{{Code: "x"}}},
				{Param: "status", Type: Token, Values: []Value{{Code: "final"}}}}}},
		{name: "reference bare id single target", typ: "Observation", raw: "patient=123",
			want: &Query{Clauses: []Clause{{Param: "patient", Type: Reference, Values: []Value{{Ref: "Patient/123"}}}}}},
		{name: "reference bare id expands over targets", typ: "Encounter", raw: "subject=123",
			want: &Query{Clauses: []Clause{{Param: "subject", Type: Reference, Values: []Value{{Ref: "Patient/123"}, {Ref: "Group/123"}}}}}},
		{name: "reference type modifier", typ: "Task", raw: "subject:Patient=9",
			want: &Query{Clauses: []Clause{{Param: "subject", Type: Reference, Values: []Value{{Ref: "Patient/9"}}}}}},
		{name: "reference absolute url", typ: "Observation", raw: "subject=https://x.example/fhir/Patient/5/_history/1",
			want: &Query{Clauses: []Clause{{Param: "subject", Type: Reference, Values: []Value{{Ref: "Patient/5"}}}}}},
		{name: "string modifiers", typ: "Patient", raw: "family:exact=Brontë&name=EM&given:contains=an",
			want: &Query{Clauses: []Clause{
				{Param: "family", Type: String, Modifier: "exact", Values: []Value{{Str: "bronte"}}},
				{Param: "given", Type: String, Modifier: "contains", Values: []Value{{Str: "an"}}},
				{Param: "name", Type: String, Values: []Value{{Str: "em"}}}}}},
		{name: "token not and missing", typ: "Condition", raw: "clinical-status:not=resolved&severity:missing=true",
			want: &Query{Clauses: []Clause{
				{Param: "clinical-status", Type: Token, Modifier: "not", Values: []Value{{Code: "resolved"}}},
				{Param: "severity", Type: Token, Modifier: "missing", Values: []Value{{Code: "true"}}}}}},
		{name: "quantity", typ: "Observation", raw: "value-quantity=gt5.4|http://unitsofmeasure.org|mg,5||kg,-1e3",
			want: &Query{Clauses: []Clause{{Param: "value-quantity", Type: Quantity, Values: []Value{
				{Prefix: "gt", Num: 5.4, System: "http://unitsofmeasure.org", HasSystem: true, Code: "mg"},
				{Prefix: "eq", Num: 5, Code: "kg"},
				{Prefix: "eq", Num: -1000}}}}}},
		{name: "reference type modifier, target outside known types", typ: "QuestionnaireResponse", raw: "questionnaire:Questionnaire=q1",
			want: &Query{Clauses: []Clause{{Param: "questionnaire", Type: Reference, Values: []Value{{Ref: "Questionnaire/q1"}}}}}},
		{name: "reference type modifier not a target", typ: "Observation", raw: "encounter:Patient=1", err: ErrBadValue},
		{name: "uri", typ: "Observation", raw: "_profile=http://x/StructureDefinition/A",
			want: &Query{Clauses: []Clause{{Param: "_profile", Type: URI, Values: []Value{{Str: "http://x/StructureDefinition/A"}}}}}},
		{name: "count offset", typ: "Observation", raw: "_count=50&_offset=100", want: &Query{Count: 50, Offset: 100}},
		{name: "count zero", typ: "Observation", raw: "_count=0", want: &Query{Count: 0}},
		{name: "count clamped", typ: "Observation", raw: "_count=5000", want: &Query{Count: MaxCount}},
		{name: "count negative", typ: "Observation", raw: "_count=-1", err: ErrBadValue},
		{name: "count junk", typ: "Observation", raw: "_count=ten", err: ErrBadValue},
		{name: "offset negative", typ: "Observation", raw: "_offset=-5", err: ErrBadValue},
		{name: "sort", typ: "Observation", raw: "_sort=-date,_lastUpdated",
			want: &Query{Sort: []SortKey{{Param: "date", Desc: true}, {Param: "_lastUpdated"}}}},
		{name: "sort unknown", typ: "Observation", raw: "_sort=birthdate", err: ErrUnknownParam},
		{name: "sort empty key", typ: "Observation", raw: "_sort=date,", err: ErrBadValue},
		{name: "include and revinclude", typ: "Observation", raw: "_include=Observation:subject:Patient&_include=Observation:encounter&_revinclude=Provenance:target",
			want: &Query{Includes: []Include{
				{SourceType: "Observation", Param: "subject", TargetType: "Patient"},
				{SourceType: "Observation", Param: "encounter"},
				{SourceType: "Provenance", Param: "target", Rev: true}}}},
		{name: "include wrong source", typ: "Observation", raw: "_include=Condition:subject", err: ErrBadValue},
		{name: "include non-reference", typ: "Observation", raw: "_include=Observation:code", err: ErrBadValue},
		{name: "include unknown param", typ: "Observation", raw: "_include=Observation:nope", err: ErrUnknownParam},
		{name: "include bad target", typ: "Observation", raw: "_include=Observation:encounter:Patient", err: ErrBadValue},
		{name: "include iterate unsupported", typ: "Observation", raw: "_include:iterate=Observation:subject", err: ErrUnknownParam},
		{name: "revinclude target must fit", typ: "Patient", raw: "_revinclude=Observation:encounter", err: ErrBadValue},
		{name: "summary total elements", typ: "Patient", raw: "_summary=count&_total=accurate&_elements=name,birthDate",
			want: &Query{Summary: "count", Total: "accurate", Elements: []string{"name", "birthDate"}}},
		{name: "summary bad", typ: "Patient", raw: "_summary=text", err: ErrBadValue},
		{name: "total bad", typ: "Patient", raw: "_total=all", err: ErrBadValue},
		{name: "unknown param", typ: "Patient", raw: "foo=bar", err: ErrUnknownParam},
		{name: "param of another type", typ: "Patient", raw: "code=x", err: ErrUnknownParam},
		{name: "chained", typ: "Observation", raw: "subject.name=peter", err: ErrUnknownParam},
		{name: "chained with type", typ: "Observation", raw: "subject:Patient.name=peter", err: ErrUnknownParam},
		{name: "_has unsupported", typ: "Patient", raw: "_has:Observation:patient:code=1", err: ErrUnknownParam},
		{name: "bad date", typ: "Observation", raw: "date=2020-13-01", err: ErrBadValue},
		{name: "bad date prefix", typ: "Observation", raw: "date=xx2020", err: ErrBadValue},
		{name: "bad number", typ: "Observation", raw: "value-quantity=abc", err: ErrBadValue},
		{name: "bad quantity parts", typ: "Observation", raw: "value-quantity=5|mg", err: ErrBadValue},
		{name: "bad modifier for token", typ: "Observation", raw: "code:text=x", err: ErrBadValue},
		{name: "bad modifier for string", typ: "Patient", raw: "name:not=x", err: ErrBadValue},
		{name: "bad modifier for date", typ: "Patient", raw: "birthdate:exact=2020", err: ErrBadValue},
		{name: "identifier modifier out of scope", typ: "Observation", raw: "subject:identifier=a|b", err: ErrBadValue},
		{name: "missing needs bool", typ: "Observation", raw: "code:missing=maybe", err: ErrBadValue},
		{name: "reference wrong target", typ: "Observation", raw: "patient=Group/1", err: ErrBadValue},
		{name: "reference modifier mismatch", typ: "Observation", raw: "subject:Patient=Group/1", err: ErrBadValue},
		{name: "reference bare id needs type", typ: "Task", raw: "subject=9", err: ErrBadValue},
		{name: "reference bad id", typ: "Observation", raw: "patient=a_b", err: ErrBadValue},
		{name: "empty list item", typ: "Observation", raw: "code=a,,b", err: ErrBadValue},
		{name: "empty token", typ: "Observation", raw: "code=|", err: ErrBadValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseQuery(tt.typ, mustValues(t, tt.raw))
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			want := *tt.want
			want.Type = tt.typ
			if want.Count == 0 && tt.raw != "_count=0" {
				want.Count = DefaultCount
			}
			if !reflect.DeepEqual(got, &want) {
				t.Fatalf("\n got %+v\nwant %+v", got, &want)
			}
			checkRoundTrip(t, got)
		})
	}
}

func checkRoundTrip(t *testing.T, q *Query) {
	t.Helper()
	enc := q.Encode()
	if enc.Has("_count") || enc.Has("_offset") {
		t.Fatalf("Encode must not contain _count/_offset: %v", enc)
	}
	// through the wire format too
	back, err := ParseQuery(q.Type, mustValues(t, enc.Encode()))
	if err != nil {
		t.Fatalf("re-parse of %q: %v", enc.Encode(), err)
	}
	back.Count, back.Offset = q.Count, q.Offset
	if !reflect.DeepEqual(back, q) {
		t.Fatalf("round trip via %q:\n got %+v\nwant %+v", enc.Encode(), back, q)
	}
}

func TestEncodeStable(t *testing.T) {
	q, err := ParseQuery("Observation", mustValues(t, "status=final&code=b&code=a&_sort=-date&_include=Observation:subject&date=ge2020-01-01T10:00%2B01:00&_count=5&_offset=10"))
	if err != nil {
		t.Fatal(err)
	}
	want := "_include=Observation%3Asubject&_sort=-date&code=b&code=a&date=ge2020-01-01T10%3A00%2B01%3A00&status=final" // (a date as given: review 73a)
	for i := 0; i < 5; i++ {
		if got := q.Encode().Encode(); got != want {
			t.Fatalf("Encode() = %q want %q", got, want)
		}
	}
}

var fuzzSeeds = []string{
	"",
	"code=http://loinc.org|29463-7,8480-6&status=final",
	"date=ge2020&date=lt2021-03-04T10:00:00.5%2B05:30",
	"patient=123&_count=10&_offset=20",
	"subject=Patient/1,Group/2&_include=Observation:subject:Patient&_revinclude=Provenance:target",
	"value-quantity=gt5.4|http://unitsofmeasure.org|mg,5||kg",
	`code=a\,b,c\|d|e\\&category:not=lab&code:missing=false`,
	"_sort=-date,_lastUpdated&_summary=count&_total=accurate&_elements=code,subject",
	"_profile=http://x/y&_tag=https://carex.example/data-class|social-care",
	"subject.name=x",
	"date=2020-13",
	"performer:Practitioner=abc&based-on=ServiceRequest/1",
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		vals, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		for _, typ := range []string{"Observation", "Patient"} {
			q, err := ParseQuery(typ, vals)
			if err != nil {
				if !errors.Is(err, ErrBadValue) && !errors.Is(err, ErrUnknownParam) {
					t.Fatalf("unexpected error class: %v", err)
				}
				continue
			}
			back, err := ParseQuery(typ, q.Encode())
			if err != nil {
				t.Fatalf("re-parse of %v failed: %v", q.Encode(), err)
			}
			back.Count, back.Offset = q.Count, q.Offset
			if !reflect.DeepEqual(back, q) {
				t.Fatalf("round trip mismatch for %q:\n got %+v\nwant %+v", raw, back, q)
			}
		}
	})
}
