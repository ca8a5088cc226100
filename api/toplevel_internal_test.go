package api

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// FuzzTopLevel: topLevel finds exactly what a full decode finds at the top
// of an object, and nothing nested.
func FuzzTopLevel(f *testing.F) {
	for _, s := range []string{
		`{"resourceType":"Binary","securityContext":{"reference":"DocumentReference/letter"},"data":"QUJD"}`,
		`{"data":"\"securityContext\":{\"reference\":\"x\"}","securityContext":{"reference":"A/b"}}`,
		`{"contained":[{"securityContext":{"reference":"Nested/1"}}],"id":"b"}`,
		`{"a":1,"b":[1,2,{"c":null}],"securityContext":null}`,
		` { "securityContext" : { "reference" : "Sp/aces" } } `,
		`{"secur\u0069tyContext":{"reference":"Esc/aped"}}`,
		`{}`, `[]`, `"x"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := []byte(s)
		if !json.Valid(b) {
			return
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(b, &m) != nil || bytes.Contains(b, []byte(`\u`)) && strings.Contains(strings.ToLower(s), "context") {
			// Not an object; or a key spelt with escapes that a decode
			// might fold (encoding/json also matches keys case-insensitively
			// into structs, not into maps): only the object case is compared.
			if m == nil && topLevel(b, "securityContext") != nil {
				t.Fatalf("found a value in a non-object: %q", s)
			}
			return
		}
		want, ok := m["securityContext"]
		got := topLevel(b, "securityContext")
		if !ok {
			if got != nil {
				t.Fatalf("topLevel found %q, a decode finds none in %q", got, s)
			}
			return
		}
		// A duplicate key: encoding/json keeps the last, topLevel the
		// first; both are the same value only without duplicates.
		if bytes.Count(b, []byte(`"securityContext"`)) == 1 && !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
			t.Fatalf("topLevel %q, decode %q in %q", got, want, s)
		}
	})
}
