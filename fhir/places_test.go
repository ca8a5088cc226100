package fhir

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestEachPlaceElement(t *testing.T) {
	cases := []struct {
		typ, body string
		want      []string
	}{
		{"Device", `{"resourceType":"Device","contact":[{"system":"phone","value":"0113"}],"note":[{"text":"x"}]}`, []string{"contact"}},
		{"Claim", `{"resourceType":"Claim","accident":{"date":"2026-01-01","locationAddress":{"line":["1 Lane"]}}}`, []string{"locationAddress"}},
		{"Organization", `{"resourceType":"Organization","address":[{}],"telecom":[{}],"contact":[{"address":{},"telecom":[{}],"name":{"text":"a"}}]}`, []string{"address", "address", "telecom", "telecom"}},
		// extensions are left to their own masking; contained resources are bodies of their own
		{"Task", `{"resourceType":"Task","extension":[{"url":"u","valueAddress":{}}],"input":[{"type":{},"valueAddress":{}}],"contained":[{"resourceType":"Location","address":{}}]}`, []string{"valueAddress"}},
		{"Condition", `{"resourceType":"Condition","code":{"text":"address"}}`, nil},
		{"NotAType", `{"address":{}}`, nil},
	}
	for _, c := range cases {
		var m map[string]any
		if err := json.Unmarshal([]byte(c.body), &m); err != nil {
			t.Fatal(err)
		}
		var got []string
		EachPlaceElement(c.typ, m, func(_ map[string]any, k string) { got = append(got, k) })
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.typ, got, c.want)
		}
	}
	names := PlaceElementNames()
	for _, n := range []string{"address", "telecom", "contact", "locationAddress"} {
		if !slices.Contains(names, n) {
			t.Errorf("PlaceElementNames lacks %q: %v", n, names)
		}
	}
}
