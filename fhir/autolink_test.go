package fhir

import (
	"reflect"
	"strings"
	"testing"
)

func TestEachAutolink(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"no url here. Nor: this", nil},
		{"see https://h/fhir/Condition/c.", []string{"https://h/fhir/Condition/c"}},
		{"see <https://h/fhir/Condition/c>, then", []string{"https://h/fhir/Condition/c"}},
		{"(at http://h/fhir/Binary/b)!", []string{"http://h/fhir/Binary/b"}},
		{"Www.h.org/Condition/c?", []string{"Www.h.org/Condition/c"}},
		{"http://www.h.org/x www.y.org", []string{"http://www.h.org/x", "www.y.org"}},
		{"<urn:x:Condition/c> and <a:b>", []string{"urn:x:Condition/c"}},
		{`"https://h/Condition/c" x"https://h/Binary/b"`, []string{"https://h/Condition/c", "https://h/Binary/b"}},
		{`see https://h/fhir\Condition\c now`, []string{`https://h/fhir\Condition\c`}}, // a '/' to a browser (review 19c)
		{"://x, awww.x, a.b:c, :", nil},
		{"https://h/Condition/c;_~*", []string{"https://h/Condition/c"}},
	} {
		var got []string
		EachAutolink(c.in, func(i, j int) { got = append(got, c.in[i:j]) })
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("EachAutolink(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestMayHoldAutolink(t *testing.T) {
	for in, want := range map[string]bool{
		`{"system":"http://snomed.info/sct","url":"https://fhir.nhs.uk/Id/nhs-number"}`: false,
		`{"url":"https://h/fhir/Condition/c"}`:                                          false, // a whole string: decided as a string
		`{"text":"see https://h/fhir/Condition/c now"}`:                                 true,
		`{"text":"see https:\/\/h\/fhir\/Condition\/c now"}`:                            true,
		`{"text":"see <urn:x:Binary/b>"}`:                                               true,
		`{"text":"www.h.org/CodeSystem/x"}`:                                             false, // a definition
		`{"text":"see https://h/fhir\\Condition\\c now"}`:                               true,  // review 19c
		`{"text":"x\"https://h/Binary/b\" y"}`:                                          true,
		`{"url":"https://h/fhir\\Condition\\c"}`:                                        false,
	} {
		if got := MayHoldAutolink([]byte(in)); got != want {
			t.Errorf("MayHoldAutolink(%s) = %v, want %v", in, got, want)
		}
	}
}

// FuzzEachAutolink: spans lie in s, in order, apart, and hold no byte a
// url ends at; and it never panics.
func FuzzEachAutolink(f *testing.F) {
	for _, s := range []string{"see https://h/fhir/Condition/c.", "<urn:x:y>", "<http://[::1]/x\"y>", "www.x", "a.b:c//d", "w.w.w.", ":::..."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		last := 0
		EachAutolink(s, func(i, j int) {
			if i < last || j <= i || j > len(s) {
				t.Fatalf("span [%d,%d) after %d in %q", i, j, last, s)
			}
			ends := " <>\"'`[]\n\t"
			if i > 0 && s[i-1] == '<' {
				ends = " <>\n\t" // an angle autolink's
			}
			if strings.ContainsAny(s[i:j], ends) {
				t.Errorf("span %q in %q holds a byte a url ends at", s[i:j], s)
			}
			last = j
		})
		MayHoldAutolink([]byte(s))
	})
}

// BenchmarkMayHoldAutolink: the byte scan every released item takes, on a
// document of many references and no '.' (a Patient with 50,000 links:
// IndexByte for '.' from each ':' read it to its end each time, 8.3 s
// against 2.8 s for TestReview2ManyLinksCostEveryRequest), and on a
// Synthea-like encounter.
func BenchmarkMayHoldAutolink(b *testing.B) {
	var many strings.Builder
	many.WriteString(`{"resourceType":"Patient","link":[`)
	for i := range 50000 {
		if i > 0 {
			many.WriteByte(',')
		}
		many.WriteString(`{"other":{"reference":"Patient/x1"},"type":"seealso"}`)
	}
	many.WriteString(`]}`)
	enc := `{"resourceType":"Encounter","id":"e1","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"type":[{"coding":[{"system":"http://snomed.info/sct","code":"185349003","display":"Encounter for check up (procedure)"}],"text":"Encounter for check up."}],"subject":{"reference":"Patient/p0"},"period":{"start":"2019-01-01T10:00:00Z","end":"2019-01-01T10:15:00Z"}}`
	// The same encounter from an encoder escaping every slash (review 20c:
	// the scan copied such a document, on every release).
	escaped := strings.ReplaceAll(enc, "/", `\/`)
	for name, doc := range map[string]string{"many-links": many.String(), "encounter": enc, "encounter-escaped": escaped} {
		raw := []byte(doc)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				MayHoldAutolink(raw)
			}
		})
	}
}
