package fhir

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestDecodeJSONMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{
		`{"a":"plain","b":"\"\\\/\b\f\n\r\t","c":"\u00e9\u4e2d\ud83d\ude00","d":"\ud83d","e":"\ude00x","f":"\ud83d\u0041","g":"\ud83d\ud83d\ude00"}`,
		`[1,-0,0.5,1e3,1E-3,-12.50e+2,true,false,null,{},[]]`,
		` { "k" : [ { } , "v" ] } `,
		`"\u0000"`,
	} {
		got, dups, err := decodeJSON([]byte(s))
		if err != nil || len(dups) != 0 {
			t.Fatalf("%s: %v %v", s, err, dups)
		}
		if want := decodeGeneric(t, []byte(s)); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s:\ngot  %#v\nwant %#v", s, got, want)
		}
	}
	for _, s := range []string{`01`, `1.`, `.5`, `-`, `1e`, `+1`, `"\u12"`, `"\U1234"`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `{1:2}`, `nul`, `tru`, `"abc`, `[`, `{"a":1`, `'a'`} {
		if _, _, err := decodeJSON([]byte(s)); err == nil || json.Valid([]byte(s)) {
			t.Errorf("%s: accepted (encoding/json valid: %v)", s, json.Valid([]byte(s)))
		}
	}
}
