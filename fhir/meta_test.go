package fhir

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

var testLU = time.Date(2026, 11, 24, 10, 0, 0, 123456789, time.UTC)

func TestSetMeta(t *testing.T) {
	const lu = `"2026-11-24T10:00:00.123Z"`
	tests := []struct {
		name, in, want string
	}{
		{"insert id and meta after resourceType",
			`{"resourceType":"Observation","status":"final","valueQuantity":{"value":1.50,"unit":"mg"},"x":1e3}`,
			`{"resourceType":"Observation","id":"abc","meta":{"versionId":"2","lastUpdated":` + lu + `},"status":"final","valueQuantity":{"value":1.50,"unit":"mg"},"x":1e3}`},
		{"replace id in place, keep other meta keys",
			`{"status":"final", "id" : "old", "resourceType":"Observation","meta":{"security":[{"code":"R"}],"versionId":"1","tag":[{"code":"t"}],"lastUpdated":"2000-01-01T00:00:00Z","source":"s"}}`,
			`{"status":"final", "id" : "abc", "resourceType":"Observation","meta":{"security":[{"code":"R"}],"versionId":"2","tag":[{"code":"t"}],"lastUpdated":` + lu + `,"source":"s"}}`},
		{"meta without versionId/lastUpdated",
			"{\n  \"resourceType\": \"Patient\",\n  \"meta\": {\n    \"profile\": [\"http://x\"]\n  },\n  \"n\": -0.0E+2\n}\n",
			"{\n  \"resourceType\": \"Patient\",\"id\":\"abc\",\n  \"meta\": {\"versionId\":\"2\",\"lastUpdated\":" + lu + ",\n    \"profile\": [\"http://x\"]\n  },\n  \"n\": -0.0E+2\n}\n"},
		{"meta with only lastUpdated",
			`{"resourceType":"Patient","id":"abc","meta":{"lastUpdated":"x"}}`,
			`{"resourceType":"Patient","id":"abc","meta":{"versionId":"2","lastUpdated":` + lu + `}}`},
		{"empty meta", `{"resourceType":"Patient","meta":{}}`,
			`{"resourceType":"Patient","id":"abc","meta":{"versionId":"2","lastUpdated":` + lu + `}}`},
		{"escaped key names are kept", `{"resourceType":"Patient","\u0061ctive":true}`,
			`{"resourceType":"Patient","id":"abc","meta":{"versionId":"2","lastUpdated":` + lu + `},"\u0061ctive":true}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := SetMeta([]byte(tc.in), "abc", "2", testLU)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tc.want {
				t.Fatalf("got\n%s\nwant\n%s", out, tc.want)
			}
			if !json.Valid(out) {
				t.Fatal("invalid JSON")
			}
		})
	}
}

func TestSetMetaOffsetTimeIsUTC(t *testing.T) {
	loc := time.FixedZone("X", 5*3600+1800)
	out, err := SetMeta([]byte(`{"resourceType":"Patient"}`), "a", "1", time.Date(2026, 1, 2, 3, 4, 5, 0, loc))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"lastUpdated":"2026-01-01T21:34:05.000Z"`) {
		t.Fatalf("got %s", out)
	}
}

func TestSetMetaErrors(t *testing.T) {
	tests := []struct {
		name, in, id, vid string
		err               error
	}{
		{"not JSON", `nope`, "a", "1", ErrMalformed},
		{"array", `[]`, "a", "1", ErrMalformed},
		{"no resourceType", `{"id":"a"}`, "a", "1", ErrMalformed},
		{"resourceType not string", `{"resourceType":1}`, "a", "1", ErrMalformed},
		{"trailing data", `{"resourceType":"Patient"}x`, "a", "1", ErrMalformed},
		{"truncated", `{"resourceType":"Patient","a":[1,2}`, "a", "1", ErrMalformed},
		{"meta not object", `{"resourceType":"Patient","meta":[]}`, "a", "1", ErrInvalid},
		{"duplicate id", `{"resourceType":"Patient","id":"a","id":"b"}`, "a", "1", ErrInvalid},
		{"bad id", `{"resourceType":"Patient"}`, "a/b", "1", ErrInvalid},
		{"empty version", `{"resourceType":"Patient"}`, "a", "", ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := SetMeta([]byte(tc.in), tc.id, tc.vid, testLU)
			if !errors.Is(err, tc.err) {
				t.Fatalf("got %v, want %v", err, tc.err)
			}
		})
	}
}

func TestOperationOutcome(t *testing.T) {
	b := OperationOutcome("error", "invalid", "Patient.foo: unknown element <x>", "Patient.foo", "")
	r, err := Parse(b)
	if err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	issue := r.Map["issue"].([]any)[0].(map[string]any)
	if issue["severity"] != "error" || issue["code"] != "invalid" || issue["diagnostics"] != "Patient.foo: unknown element <x>" {
		t.Fatalf("got %s", b)
	}
	if ex := issue["expression"].([]any); len(ex) != 1 || ex[0] != "Patient.foo" {
		t.Fatalf("got %s", b)
	}
	b = OperationOutcome("", "", "")
	if _, err := Parse(b); err != nil || string(b) != `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"processing"}]}` {
		t.Fatalf("%s: %v", b, err)
	}
	if _, err := Parse(OperationOutcome("fatal", "nonsense", "x")); err == nil {
		t.Fatal("bad issue code accepted by Parse")
	}
}
