package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// rewriteRefsDecoder is the earlier rewriteRefs, on encoding/json's
// tokenizer: the oracle the scanner is checked against.
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

// eachMapRef calls fn with every reference of a decoded resource (a string

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

func TestRewriteRefsMatchesDecoder(t *testing.T) {
	for _, in := range refSeeds {
		checkRewriteRefs(t, []byte(in))
	}
}

// checkRewriteRefs compares the scanner with the tokenizer on one JSON
// value: the same bytes out, the same references seen in the same order,
// the same failure.
func checkRewriteRefs(t *testing.T, in []byte) {
	t.Helper()
	var seenA, seenB []string
	got, errA := rewriteRefs(in, refMapping(&seenA))
	want, errB := rewriteRefsDecoder(in, refMapping(&seenB))
	if (errA != nil) != (errB != nil) {
		t.Fatalf("%q: error %v, the tokenizer's %v", in, errA, errB)
	}
	if fmt.Sprint(seenA) != fmt.Sprint(seenB) {
		t.Fatalf("%q: references %q, the tokenizer saw %q", in, seenA, seenB)
	}
	if errA == nil && !bytes.Equal(got, want) {
		t.Fatalf("%q:\n got %s\nwant %s", in, got, want)
	}
}

func FuzzRewriteRefs(f *testing.F) {
	for _, s := range refSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var v any
		// One JSON value is all rewriteRefs is given (a parsed resource).
		if json.Unmarshal(in, &v) != nil {
			return
		}
		checkRewriteRefs(t, in)
	})
}

// BenchmarkRewriteRefs: one Observation of a GP feed whose subject and
// encounter are urn:uuid entries of the same bundle, by the scanner and by
// the tokenizer it replaced.
//
//	go test ./api -run '^$' -bench RewriteRefs
func BenchmarkRewriteRefs(b *testing.B) {
	obs := []byte(`{"resourceType":"Observation","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],` +
		`"code":{"coding":[{"system":"http://snomed.info/sct","code":"72313002","display":"Systolic arterial pressure"}]},` +
		`"subject":{"reference":"urn:uuid:6f1c2a1e-2b7d-4c55-9d0e-0c5b9a3f7e11"},"encounter":{"reference":"urn:uuid:1d0b8f0e-7a2c-4f3e-8b6a-2e9c4d5f6a70"},` +
		`"effectiveDateTime":"2026-11-24T10:30:00Z","performer":[{"reference":"Organization/A81001"}],"valueQuantity":{"value":132,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}}`)
	fn := func(ref string) (string, error) {
		if strings.HasPrefix(ref, "urn:uuid:") {
			return "Patient/" + ref[9:17], nil
		}
		return "", nil
	}
	for _, c := range []struct {
		name    string
		rewrite func([]byte, func(string) (string, error)) ([]byte, error)
	}{{"scanner", rewriteRefs}, {"tokenizer", rewriteRefsDecoder}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := c.rewrite(obs, fn); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
