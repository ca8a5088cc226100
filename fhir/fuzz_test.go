package fhir

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"resourceType":"Patient","id":"p","name":[{"given":["a"]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrUnknownType) {
				t.Fatalf("unclassified error %v", err)
			}
			if errors.Is(err, ErrMalformed) && json.Valid(data) && utf8.Valid(data) {
				var v any
				if json.Unmarshal(data, &v) == nil {
					if m, ok := v.(map[string]any); ok {
						if _, ok := m["resourceType"].(string); ok && !deepTooDeep(data) {
							t.Fatalf("valid JSON object with resourceType rejected as malformed: %v", err)
						}
					}
				}
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("Parse accepted invalid JSON")
		}
		if !reflect.DeepEqual(any(r.Map), decodeGeneric(t, data)) {
			t.Fatalf("Map differs from encoding/json")
		}
		out, err := SetMeta(data, "fz-1", "3", time.Unix(1e9, 5e6))
		if err != nil {
			t.Fatalf("SetMeta after successful Parse: %v", err)
		}
		r2, err := Parse(out)
		if err != nil {
			t.Fatalf("re-Parse after SetMeta: %v\n%s", err, out)
		}
		want := decodeGeneric(t, data).(map[string]any)
		want["id"] = "fz-1"
		meta, _ := want["meta"].(map[string]any)
		if meta == nil {
			meta = map[string]any{}
			want["meta"] = meta
		}
		meta["versionId"] = "3"
		meta["lastUpdated"] = "2001-09-09T01:46:40.005Z"
		if !reflect.DeepEqual(any(r2.Map), any(want)) {
			t.Fatalf("SetMeta changed more than id/meta:\n%s\n%s", data, out)
		}
	})
}

// deepTooDeep reports whether data nests deeper than maxDepth (which Parse
// rejects as malformed although encoding/json accepts it).
func deepTooDeep(data []byte) bool {
	d, max := 0, 0
	inStr, esc := false, false
	for _, c := range data {
		switch {
		case esc:
			esc = false
		case inStr && c == '\\':
			esc = true
		case c == '"':
			inStr = !inStr
		case !inStr && (c == '{' || c == '['):
			d++
			if d > max {
				max = d
			}
		case !inStr && (c == '}' || c == ']'):
			d--
		}
	}
	return max > maxDepth
}

// TestFuzzSeedsParse makes sure the seed corpus stays meaningful: most seeds
// must be valid resources.
func TestFuzzSeedsParse(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzParse", "*"))
	if len(files) < 10 {
		t.Fatalf("only %d FuzzParse seeds", len(files))
	}
	valid := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s, ok := strings.CutPrefix(string(b), "go test fuzz v1\n[]byte(")
		if !ok {
			t.Fatalf("%s: not a go test fuzz v1 []byte seed", f)
		}
		data, err := strconv.Unquote(strings.TrimSuffix(strings.TrimSpace(s), ")"))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		_, err = Parse([]byte(data))
		if err == nil {
			valid++
		} else if filepath.Base(f) == "primitives" {
			t.Errorf("%s: the seed of valid primitive values is refused: %v", f, err)
		}
	}
	if valid*2 <= len(files) {
		t.Errorf("only %d of %d FuzzParse seeds are valid resources", valid, len(files))
	}
}

// FuzzSkipValue: skipValue (scanObject's) accepts exactly what value
// accepts, stops where it stops and fails with the same message.
func FuzzSkipValue(f *testing.F) {
	for _, s := range []string{`{"a":[1,-2.5e3,"x\"y",true,false,null,{}],"b":{"c":[]}}`, `{"a":"\u00e9\ud83d\ude00"}`,
		`[1,2`, `{"a" 1}`, `"a\q"`, `{"a":1,}`, "\"tab\there\"", `-`, `01`, `[[[[]]]]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, b := &parser{data: data}, &parser{data: data}
		_, errA := a.value()
		errB := b.skipValue()
		if (errA == nil) != (errB == nil) || errA != nil && errA.Error() != errB.Error() || errA == nil && a.pos != b.pos {
			t.Fatalf("value: %v at %d; skipValue: %v at %d", errA, a.pos, errB, b.pos)
		}
	})
}
