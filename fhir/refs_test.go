package fhir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// rewriteRefsDecoder is how the API rewrote references before the parser
// noted them: encoding/json's tokenizer over the bytes, fn called for each
// "reference" string in document order. The oracle the tests check Refs
// and WithReferences against.
func rewriteRefsDecoder(raw []byte, fn func(ref string) (string, error)) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	type frame struct {
		object bool
		key    bool // next string token in this object is a key
		name   string
	}
	var stack []frame
	var out bytes.Buffer
	last := 0
	for {
		before := int(dec.InputOffset())
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		var top *frame
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				if top != nil && top.object {
					top.key = true
				}
				stack = append(stack, frame{object: true, key: true})
			case '[':
				if top != nil && top.object {
					top.key = true
				}
				stack = append(stack, frame{})
			default:
				stack = stack[:len(stack)-1]
			}
			continue
		case string:
			if top != nil && top.object && top.key {
				top.name = t
				top.key = false
				continue
			}
			if top != nil && top.object && top.name == "reference" {
				repl, err := fn(t)
				if err != nil {
					return nil, err
				}
				if repl != "" && repl != t {
					end := int(dec.InputOffset())
					q := bytes.IndexByte(raw[before:end], '"')
					if q < 0 {
						return nil, fmt.Errorf("reference value at offset %d not found", before)
					}
					out.Write(raw[last : before+q])
					enc, _ := json.Marshal(repl)
					out.Write(enc)
					last = end
				}
			}
		}
		if top != nil && top.object {
			top.key = true
		}
	}
	if last == 0 {
		return raw, nil
	}
	out.Write(raw[last:])
	return out.Bytes(), nil
}

// refMapping is the fn of the tests: urn: references become Patient ids
// (one with characters encoding/json escapes), "err" fails, others stay.
func refMapping(seen *[]string) func(string) (string, error) {
	return func(ref string) (string, error) {
		*seen = append(*seen, ref)
		switch {
		case ref == "err":
			return "", errors.New("no such entry")
		case strings.HasPrefix(ref, "urn:"):
			return fmt.Sprintf("Patient/p%d<&>", len(ref)), nil
		}
		return "", nil
	}
}

var refSeeds = []string{
	`{"resourceType":"Observation","subject":{"reference":"urn:uuid:1"},"performer":[{"reference":"Practitioner/x"},{"reference":"urn:oid:2"}]}`,
	`{"resourceType":"Condition","subject":{"reference":"Patient\/p1"},"evidence":[{"detail":[{"reference":"urn:uuid:\u0031"}]}]}`,
	` { "a" : [ 1 , -2.5e3 , true , false , null , { "reference" : "urn:x" } ] , "reference" : { "reference" : "urn:y" } } `,
	`{"reference":["urn:in-array"],"x":{"reference":123},"y":{"reference":"err"}}`,
	`{"extension":[{"url":"u","valueReference":{"reference":"urn:uuid:\u00e9\ud83d\ude00"}}],"text":"\"reference\":\"urn:no\""}`,
	"{\"r\":{\"reference\":\"urn:\xff\"}}",
	`{}`, `[]`, `"reference"`, `{"reference":""}`,
}

func TestReferencesMatchTokenizer(t *testing.T) {
	for _, in := range refSeeds {
		checkReferences(t, []byte(in))
	}
}

// checkReferences compares, on one JSON value the parser accepts, the
// references it notes and WithReferences with the tokenizer's rewrite: the
// same references in the same order, the same failure when fn fails, the
// same bytes out.
func checkReferences(t *testing.T, in []byte) {
	t.Helper()
	_, p, err := decodeParser(in)
	if err != nil {
		return // Parse refuses it before any reference is looked at
	}
	var seenA, seenB []string
	fn := refMapping(&seenA)
	to := map[string]string{}
	var errA error
	for _, ref := range p.refs { // what the API does with Resource.Refs
		repl, err := fn(ref.Value)
		if err != nil {
			errA = err
			break
		}
		if repl != "" && repl != ref.Value {
			to[ref.Value] = repl
		}
	}
	want, errB := rewriteRefsDecoder(in, refMapping(&seenB))
	if (errA != nil) != (errB != nil) {
		t.Fatalf("%q: error %v, the tokenizer's %v", in, errA, errB)
	}
	if fmt.Sprint(seenA) != fmt.Sprint(seenB) {
		t.Fatalf("%q: references %q, the tokenizer saw %q", in, seenA, seenB)
	}
	if errA != nil {
		return
	}
	r := &Resource{Raw: in, Refs: p.refs}
	if got := r.WithReferences(to); !bytes.Equal(got, want) {
		t.Fatalf("%q:\n got %s\nwant %s", in, got, want)
	}
	if len(to) == 0 && &r.WithReferences(to)[0] != &in[0] {
		t.Fatalf("%q: nothing to change, yet Raw was copied", in)
	}
}

func FuzzReferences(f *testing.F) {
	for _, s := range refSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkReferences(t, in)
	})
}

// BenchmarkParseReferences: one Observation of a GP feed whose subject and
// encounter are urn:uuid entries of the same bundle: parsing it (which
// notes its references) and rewriting them, against the tokenizer rewrite
// the API ran over the parsed bytes before.
//
//	go test ./fhir -run '^$' -bench ParseReferences -benchmem
func BenchmarkParseReferences(b *testing.B) {
	obs := []byte(`{"resourceType":"Observation","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],` +
		`"code":{"coding":[{"system":"http://snomed.info/sct","code":"72313002","display":"Systolic arterial pressure"}]},` +
		`"subject":{"reference":"urn:uuid:6f1c2a1e-2b7d-4c55-9d0e-0c5b9a3f7e11"},"encounter":{"reference":"urn:uuid:1d0b8f0e-7a2c-4f3e-8b6a-2e9c4d5f6a70"},` +
		`"effectiveDateTime":"2026-11-24T10:30:00Z","performer":[{"reference":"Organization/A81001"}],"valueQuantity":{"value":132,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}}`)
	to := map[string]string{
		"urn:uuid:6f1c2a1e-2b7d-4c55-9d0e-0c5b9a3f7e11": "Patient/6f1c2a1e",
		"urn:uuid:1d0b8f0e-7a2c-4f3e-8b6a-2e9c4d5f6a70": "Encounter/1d0b8f0e",
	}
	fn := func(ref string) (string, error) { return to[ref], nil }
	b.Run("parse", func(b *testing.B) {
		for b.Loop() {
			if _, err := Parse(obs); err != nil {
				b.Fatal(err)
			}
		}
	})
	r, err := Parse(obs)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("with-references", func(b *testing.B) {
		for b.Loop() {
			r.WithReferences(to)
		}
	})
	b.Run("tokenizer", func(b *testing.B) {
		for b.Loop() {
			if _, err := rewriteRefsDecoder(obs, fn); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestWithLinks: references and links (IsLinkKey members) interleaved in
// a document are each replaced from their own map, in place, the rest of
// the bytes kept; a string of another member, equal to a key, is not.
func TestWithLinks(t *testing.T) {
	raw := []byte(`{"resourceType":"DocumentReference","status":"current",
 "masterIdentifier":{"value":"urn:uuid:b"},
 "extension":[{"url":"http://e.example/x","valueUri":"urn:uuid:b"}],
 "subject":{"reference":"urn:uuid:p"},
 "content":[{"attachment":{"url":"urn:uuid:b"}},{"attachment":{"url":"urn:uuid:none"}}],
 "context":{"related":[{"reference":"urn:uuid:b"}]}}`)
	r, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	got := string(r.WithLinks(map[string]string{"urn:uuid:p": "Patient/1", "urn:uuid:b": "Binary/2"}, map[string]string{"urn:uuid:b": "Binary/2"}))
	want := strings.NewReplacer(`"valueUri":"urn:uuid:b"`, `"valueUri":"Binary/2"`, `"reference":"urn:uuid:p"`, `"reference":"Patient/1"`,
		`{"url":"urn:uuid:b"}`, `{"url":"Binary/2"}`, `[{"reference":"urn:uuid:b"}]`, `[{"reference":"Binary/2"}]`).Replace(string(raw))
	if got != want {
		t.Errorf("WithLinks:\n got %s\nwant %s", got, want)
	}
	if got := string(r.WithLinks(map[string]string{"urn:uuid:p": "Patient/1"}, nil)); got != strings.Replace(string(raw), "urn:uuid:p", "Patient/1", 1) {
		t.Errorf("WithLinks without links: %s", got)
	}
}
