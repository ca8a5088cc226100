package api

import (
	"encoding/json"
	"testing"
)

// appendJSONString writes exactly what encoding/json writes.
func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "Patient/p1", "https://carex.example/fhir/Observation/abc-123", `q"uote`, `back\slash`,
		"tab\there", "<script>&", "Zoë", "\u2028", "\x7f", "bad \xff utf8", "match", "include"} {
		want, _ := json.Marshal(s)
		if got := appendJSONString([]byte("x"), s); string(got) != "x"+string(want) {
			t.Errorf("%q: got %s, want x%s", s, got, want)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add("Patient/p1")
	f.Add("a\"b\\c\x00")
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
	})
}
