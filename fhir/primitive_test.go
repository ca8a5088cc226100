package fhir

import (
	"encoding/base64"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestPrimitiveFormats(t *testing.T) {
	valid := map[prim][]string{
		pDate: {"2024", "0001", "2024-02", "2024-02-29", "2000-02-29", "1950-02-28", "2025-12-31", "9999-12-31"},
		pDateTime: {"2024", "2024-07", "2024-02-29", "2025-06-30T10:00:00Z", "2025-06-30T23:59:59.123456+14:00",
			"2025-06-30T00:00:00-12:00", "2025-06-30T00:00:00-13:59", "2016-12-31T23:59:60Z", "2025-06-30T10:00:00.5+05:30"},
		pInstant:      {"2025-01-01T00:00:00Z", "2024-02-29T12:30:45.001+01:00", "2025-01-01T00:00:00-14:00"},
		pTime:         {"00:00:00", "23:59:59", "12:30:00.125"},
		pBase64Binary: {"AAAA", "aGVsbG8=", "aGk=", "aGVs\r\nbG8=", "QUJD REVG", "aGk", "aGVsbG8"},
		pCode:         {"final", "a b", "http://x", "9434765919"},
		pID:           {"a", "A-b.9", strings.Repeat("x", 64)},
		pOID:          {"urn:oid:1.2.3", "urn:oid:2.16.840.1.113883.6.96", "urn:oid:0.0"},
		pUUID:         {"urn:uuid:53fefa32-fcbb-4ff8-8a92-55ee120877b7"},
		pURI:          {"http://hl7.org/fhir", "urn:oid:1.2", "#x", "a"},
		pURL:          {"https://example.org/a?b=c"},
		pCanonical:    {"http://hl7.org/fhir/StructureDefinition/Patient|4.0.1"},
	}
	invalid := map[prim][]string{
		pDate: {"2026-13-01", "1950-02-30", "1900-02-29", "2025-06-31", "2025-04-31", "0000", "0000-01-01", "202", "20240",
			"2024-1", "2024-01-1", "2024-00", "2024-01-00", "2024/01/01", "2024-01-01T10:00:00Z", "yesterday", " 2024", "2024-01-01 "},
		pDateTime: {"yesterday", "2025-06-30T25:00:00Z", "2025-06-30T10:00:00", "2025-06-30T10:00Z", "2025-06-30T10:60:00Z",
			"2025-06-30T10:00:61Z", "2025-06-30T10:00:00.Z", "2025-06-30T10:00:00+14:01", "2025-06-30T10:00:00+15:00",
			"2025-06-30T10:00:00+0100", "2025-06-30T10:00:00z", "2025-06-30 10:00:00Z", "2025-06-31T10:00:00Z", "2025-06-30T"},
		pInstant:      {"2025-01-01", "2025", "2025-01", "2025-01-01T00:00:00", "2025-02-29T00:00:00Z"},
		pTime:         {"24:00:00", "12:00", "12:00:00Z", "12:00:00.", "1:00:00"},
		pBase64Binary: {"!!!not base64", "A", "AAAAA", "A===", "AA=A", "aGk=aGk=", "aGk-", "aGk_", "aG=", "="},
		pCode:         {" final", "final ", "a  b", "a\t\tb", "\n"},
		pID:           {"a_b", "a b", strings.Repeat("x", 65), "é"},
		pOID:          {"1.2.3", "urn:oid:3.1", "urn:oid:1", "urn:oid:1.02", "urn:oid:1..2", "urn:oid:1.2.", "urn:oid:1.x"},
		pUUID:         {"53fefa32-fcbb-4ff8-8a92-55ee120877b7", "urn:uuid:53FEFA32-FCBB-4FF8-8A92-55EE120877B7", "urn:uuid:53fefa32fcbb4ff88a9255ee120877b7"},
		pURI:          {"http://x y", " http://x", "http://x\n"},
		pURL:          {"https://example.org/a b"},
		pCanonical:    {"http://x |1"},
	}
	for p, vs := range valid {
		for _, v := range vs {
			if msg := primitiveMsg(p, v); msg != "" {
				t.Errorf("%s %q refused: %s", primNames[p], v, msg)
			}
		}
	}
	for p, vs := range invalid {
		for _, v := range vs {
			if msg := primitiveMsg(p, v); msg == "" {
				t.Errorf("%s %q accepted", primNames[p], v)
			}
		}
	}
	for _, c := range []struct {
		p    prim
		n    int64
		want bool
	}{{pPositiveInt, 1, true}, {pPositiveInt, 0, false}, {pPositiveInt, -3, false}, {pUnsignedInt, 0, true}, {pUnsignedInt, -5, false}, {pNone, -1, true}} {
		if got := intMsg(c.p, c.n) == ""; got != c.want {
			t.Errorf("%s %d: valid=%v, want %v", primNames[c.p], c.n, got, c.want)
		}
	}
}

func TestParsePrimitives(t *testing.T) {
	obs := func(extra string) string {
		return `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/jane"}` + extra + `}`
	}
	for _, c := range []struct {
		name, body, want string // want "" : valid
	}{
		{"birthDate month 13", `{"resourceType":"Patient","birthDate":"2026-13-01"}`, `Patient.birthDate: "2026-13-01" is not a valid FHIR date (YYYY, YYYY-MM or YYYY-MM-DD): the month must be 01 to 12`},
		{"birthDate 30 February", `{"resourceType":"Patient","birthDate":"1950-02-30"}`, `Patient.birthDate: "1950-02-30" is not a valid FHIR date (YYYY, YYYY-MM or YYYY-MM-DD): February 1950 has 28 days`},
		{"birthDate 29 February 1900", `{"resourceType":"Patient","birthDate":"1900-02-29"}`, `February 1900 has 28 days`},
		{"birthDate leap day", `{"resourceType":"Patient","birthDate":"2024-02-29"}`, ""},
		{"birthDate year", `{"resourceType":"Patient","birthDate":"1950"}`, ""},
		{"birthDate year-month", `{"resourceType":"Patient","birthDate":"1950-07"}`, ""},
		{"birthDate with a time", `{"resourceType":"Patient","birthDate":"1950-07-01T10:00:00Z"}`, `Patient.birthDate: "1950-07-01T10:00:00Z" is not a valid FHIR date`},
		{"deceasedDateTime free text", `{"resourceType":"Patient","deceasedDateTime":"yesterday"}`, `Patient.deceasedDateTime: "yesterday" is not a valid FHIR dateTime`},
		{"deceasedDateTime date", `{"resourceType":"Patient","deceasedDateTime":"2025-06"}`, ""},
		{"recordedDate 31 June", `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"x"},"recordedDate":"2025-06-31"}`, `Condition.recordedDate: "2025-06-31" is not a valid FHIR dateTime (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[.f]Z/+hh:mm): June has 30 days`},
		{"dateTime hour 25", obs(`,"effectiveDateTime":"2025-06-30T25:00:00Z"`), `Observation.effectiveDateTime: "2025-06-30T25:00:00Z" is not a valid FHIR dateTime`},
		{"dateTime without zone", obs(`,"effectiveDateTime":"2025-06-30T10:00:00"`), `Observation.effectiveDateTime: "2025-06-30T10:00:00" is not a valid FHIR dateTime (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[.f]Z/+hh:mm): a time needs a time zone`},
		{"dateTime fractional +14:00", obs(`,"effectiveDateTime":"2025-06-30T10:00:00.123456+14:00"`), ""},
		{"dateTime -12:00", obs(`,"effectiveDateTime":"2025-06-30T10:00:00-12:00"`), ""},
		{"dateTime Z", obs(`,"effectiveDateTime":"2025-06-30T10:00:00Z"`), ""},
		{"effectivePeriod", obs(`,"effectivePeriod":{"start":"2025-06-30T10:00:00Z","end":"2025-06-31"}`), `Observation.effectivePeriod.end: "2025-06-31"`},
		{"effectiveInstant", obs(`,"effectiveInstant":"2025-06-30"`), `Observation.effectiveInstant: "2025-06-30" is not a valid FHIR instant`},
		{"instant without a time", obs(`,"issued":"2025-01-01"`), `Observation.issued: "2025-01-01" is not a valid FHIR instant (YYYY-MM-DDThh:mm:ss[.f]Z/+hh:mm): an instant needs a time and a time zone`},
		{"instant", obs(`,"issued":"2025-01-01T09:30:00.000+01:00"`), ""},
		{"valueTime", obs(`,"valueTime":"25:00:00"`), `Observation.valueTime: "25:00:00" is not a valid FHIR time`},
		{"valueDateTime in component", obs(`,"component":[{"code":{"text":"y"},"valueDateTime":"2025-02-29"}]`), `Observation.component[0].valueDateTime: "2025-02-29" is not a valid FHIR dateTime (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[.f]Z/+hh:mm): February 2025 has 28 days`},
		{"positiveInt rank -3", `{"resourceType":"Patient","telecom":[{"system":"phone","value":"01632960001","rank":-3}]}`, `Patient.telecom[0].rank: -3 is not a valid FHIR positiveInt (1 or more)`},
		{"positiveInt rank 0", `{"resourceType":"Patient","telecom":[{"system":"phone","value":"01632960001","rank":0}]}`, `Patient.telecom[0].rank: 0 is not a valid FHIR positiveInt`},
		{"positiveInt rank 1", `{"resourceType":"Patient","telecom":[{"system":"phone","value":"01632960001","rank":1}]}`, ""},
		{"unsignedInt size -5", `{"resourceType":"Patient","photo":[{"contentType":"image/png","size":-5}]}`, `Patient.photo[0].size: -5 is not a valid FHIR unsignedInt (0 or more)`},
		{"unsignedInt size 0", `{"resourceType":"Patient","photo":[{"contentType":"image/png","size":0}]}`, ""},
		{"base64Binary not base64", `{"resourceType":"Patient","photo":[{"contentType":"image/png","data":"!!!not base64"}]}`, `Patient.photo[0].data: "!!!not base64" is not a valid FHIR base64Binary`},
		{"base64Binary", `{"resourceType":"Patient","photo":[{"contentType":"image/png","data":"iVBORw0KGgo="}]}`, ""},
		{"long base64 shortened", `{"resourceType":"Binary","contentType":"text/plain","data":"` + strings.Repeat("QUJD", 100) + `!"}`, `Binary.data: "` + strings.Repeat("QUJD", 16) + `"… is not a valid FHIR base64Binary`},
		{"dateTime array", `{"resourceType":"MedicationRequest","status":"active","intent":"order","medicationCodeableConcept":{"text":"x"},"subject":{"reference":"Patient/p"},"dosageInstruction":[{"timing":{"event":["2025-01-01","2025-01-32"]}}]}`, `MedicationRequest.dosageInstruction[0].timing.event[1]: "2025-01-32"`},
		{"extension valueDate", `{"resourceType":"Patient","extension":[{"url":"http://example.org/x","valueDate":"2025-02-29"}]}`, `Patient.extension[0].valueDate: "2025-02-29" is not a valid FHIR date`},
		{"extension url with space", `{"resourceType":"Patient","extension":[{"url":"http://example.org/a b","valueString":"x"}]}`, `Patient.extension[0].url: "http://example.org/a b" is not a valid FHIR uri (a URI with no whitespace)`},
		{"coding code with trailing space", `{"resourceType":"Patient","maritalStatus":{"coding":[{"system":"http://x","code":"M "}]}}`, `Patient.maritalStatus.coding[0].code: "M " is not a valid FHIR code`},
		{"identifier system with space", `{"resourceType":"Patient","identifier":[{"system":"urn: x","value":"1"}]}`, `Patient.identifier[0].system: "urn: x" is not a valid FHIR uri`},
		{"meta.versionId", `{"resourceType":"Patient","meta":{"versionId":"a b"}}`, `Patient.meta.versionId: "a b" is not a valid FHIR id`},
		{"meta.lastUpdated", `{"resourceType":"Patient","meta":{"lastUpdated":"2025-01-01T10:00:00"}}`, `Patient.meta.lastUpdated: "2025-01-01T10:00:00" is not a valid FHIR instant`},
		{"resource id message unchanged", `{"resourceType":"Patient","id":"a b"}`, `Patient.id: invalid resource id "a b"`},
		{"contained resource checked", `{"resourceType":"Patient","contained":[{"resourceType":"Patient","birthDate":"2025-02-29"}]}`, `Patient.contained[0].birthDate: "2025-02-29"`},
		{"bundle entry checked", `{"resourceType":"Bundle","type":"collection","timestamp":"2025-01-01T00:00:00Z","entry":[{"fullUrl":"urn:uuid:53fefa32-fcbb-4ff8-8a92-55ee120877b7","resource":{"resourceType":"Patient","birthDate":"1950-02-30"}}]}`, `Bundle.entry[0].resource.birthDate: "1950-02-30"`},
		{"bundle timestamp", `{"resourceType":"Bundle","type":"collection","timestamp":"2025-01-01"}`, `Bundle.timestamp: "2025-01-01" is not a valid FHIR instant`},
		{"oid", `{"resourceType":"Patient","extension":[{"url":"http://example.org/x","valueOid":"1.2.3"}]}`, `Patient.extension[0].valueOid: "1.2.3" is not a valid FHIR oid`},
		{"uuid", `{"resourceType":"Patient","extension":[{"url":"http://example.org/x","valueUuid":"urn:uuid:53fefa32-fcbb-4ff8-8a92-55ee120877b7"}]}`, ""},
	} {
		_, err := Parse([]byte(c.body))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: refused: %v", c.name, err)
		case c.want != "" && err == nil:
			t.Errorf("%s: accepted; want %s", c.name, c.want)
		case c.want != "" && (!errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: got %v\nwant %s", c.name, err, c.want)
		}
	}
}

// TestPrimitiveTableMatchesModels: every struct and field named in the
// generated primitiveFields is one the schema reaches from the R4 resources,
// of a JSON kind that fits its FHIR type, so a table generated from other
// models' names would not silently check nothing.
func TestPrimitiveTableMatchesModels(t *testing.T) {
	reached := map[string]*structInfo{}
	var visit func(rt reflect.Type)
	visit = func(rt reflect.Type) {
		si := getStruct(rt)
		if reached[si.name] != nil {
			return
		}
		reached[si.name] = si
		for _, fi := range si.fields {
			if fi.kind == kStruct {
				visit(fi.elem)
			}
		}
	}
	for _, rt := range resourceModels {
		visit(rt)
	}
	n := 0
	for sname, spec := range primitiveFields {
		si := reached[sname]
		if si == nil {
			t.Errorf("primitiveFields names %s, which no resource reaches", sname)
			continue
		}
		for fname, p := range parsePrimitiveFields(spec) {
			fi := si.fields[fname]
			switch {
			case fi == nil:
				t.Errorf("%s.%s: no such field", sname, fname)
			case p == pPositiveInt || p == pUnsignedInt:
				if fi.kind != kInt {
					t.Errorf("%s.%s: %s but kind %d", sname, fname, primNames[p], fi.kind)
				}
			case fi.kind != kString:
				t.Errorf("%s.%s: %s but kind %d", sname, fname, primNames[p], fi.kind)
			case fi.prim != p && !(si.resource && fname == "id"):
				t.Errorf("%s.%s: schema has %s, table %s", sname, fname, primNames[fi.prim], primNames[p])
			default:
				n++
			}
		}
	}
	if n < 1000 {
		t.Errorf("only %d checked primitive fields", n)
	}
}

func BenchmarkPrimitiveChecks(b *testing.B) {
	data := strings.Repeat("/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAoHBwgHBgoICAgLCgoLDhgQDg0NDh0VFhEYIx8lJCIf\r\n", 256)
	b.Run("base64Binary-20KB", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if !checkBase64(data) {
				b.Fatal("refused")
			}
		}
	})
	b.Run("dateTime", func(b *testing.B) {
		for b.Loop() {
			if primitiveMsg(pDateTime, "2025-06-30T10:00:00.123+01:00") != "" {
				b.Fatal("refused")
			}
		}
	})
	b.Run("uri", func(b *testing.B) {
		for b.Loop() {
			if primitiveMsg(pURI, "http://terminology.hl7.org/CodeSystem/observation-category") != "" {
				b.Fatal("refused")
			}
		}
	})
}

// The R4 datatypes page's regexes, the oracle for FuzzPrimitiveFormats.
var r4Regex = map[prim]*regexp.Regexp{
	pDate:     regexp.MustCompile(`^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?$`),
	pDateTime: regexp.MustCompile(`^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?$`),
	pInstant:  regexp.MustCompile(`^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$`),
	pTime:     regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?$`),
	pOID:      regexp.MustCompile(`^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$`),
	pUUID:     regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`),
	pID:       regexp.MustCompile(`^[A-Za-z0-9\-\.]{1,64}$`),
	pCode:     regexp.MustCompile(`^[^\s]+(\s[^\s]+)*$`),
	pURI:      regexp.MustCompile(`^\S*$`),
}

// calendarOK: a date with a day is a real day (the regexes allow 31 June).
func calendarOK(s string) bool {
	if len(s) < 10 {
		return true
	}
	_, err := time.Parse("2006-01-02", s[:10])
	return err == nil
}

// FuzzPrimitiveFormats: the checks agree with the R4 regexes (plus calendar
// validity for dates, and RFC 4648 decoding for base64Binary).
func FuzzPrimitiveFormats(f *testing.F) {
	for _, s := range []string{"2024-02-29", "2025-06-30T10:00:00.5+14:00", "2025-06-30T10:00:00", "1950-02-30", "12:00:00",
		"urn:oid:1.2.3", "urn:uuid:53fefa32-fcbb-4ff8-8a92-55ee120877b7", "a b", "aGk=", "AA=A", "0000", "2025-13"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if s == "" || !utf8.ValidString(s) {
			return
		}
		for p, re := range r4Regex {
			want := re.MatchString(s)
			if p == pDate || p == pDateTime || p == pInstant {
				want = want && calendarOK(s)
			}
			if got := primitiveMsg(p, s) == ""; got != want {
				t.Errorf("%s %q: valid=%v, regex says %v", primNames[p], s, got, want)
			}
		}
		stripped := strings.Map(func(r rune) rune {
			if r < 0x80 && isSpace(byte(r)) {
				return -1
			}
			return r
		}, s)
		_, err := base64.StdEncoding.DecodeString(stripped)
		if err != nil && !strings.Contains(stripped, "=") {
			_, err = base64.RawStdEncoding.DecodeString(stripped) // padding may be left out
		}
		if want := err == nil && stripped != ""; checkBase64(s) != want {
			t.Errorf("base64Binary %q: valid=%v, decoder says %v", s, !want, want)
		}
	})
}

func TestHasSpace(t *testing.T) {
	for _, s := range []string{"", "a", "http://example.org/fhir/StructureDefinition/x", "é€😀 long unicode string ok", strings.Repeat("\x7f\x80\xff!~", 9)} {
		want := strings.ContainsAny(s, " \t\n\f\r")
		if got := hasSpace(s); got != want {
			t.Errorf("hasSpace(%q) = %v", s, got)
		}
	}
	base := strings.Repeat("abcdefgh", 4)
	for i := 0; i < len(base); i++ {
		for _, c := range []byte{' ', '\t', '\n', '\f', '\r', '\v', 0, 0x1f, '!'} {
			s := base[:i] + string(c) + base[i+1:]
			want := c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
			if got := hasSpace(s); got != want {
				t.Errorf("hasSpace(%q) = %v, want %v", s, got, want)
			}
		}
	}
}
