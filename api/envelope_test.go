package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/carex-project/carex/fhir"
)

// FuzzEnvelopeKeys: the byte scanner that checks a Bundle envelope's keys
// agrees with the same check made with json.Decoder's tokens (slower, but
// encoding/json's own reading of the text), on every body decodeBundle's
// first decode accepts.
func FuzzEnvelopeKeys(f *testing.F) {
	if b, err := os.ReadFile("../testdata/examples/home-visit-transaction.json"); err == nil {
		f.Add(b)
	}
	for _, s := range []string{
		`{"resourceType":"Bundle","type":"batch","type":"transaction","entry":[]}`,
		`{"resourceType":"Bundle","Type":"transaction","entry":null}`,
		`{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"a","resource":{"resourceType":"Patient","x":[1,{"y":"}"}]},"request":{"method":"POST","url":"Patient","METHOD":"PUT"}}]}`,
		`{"resourceType":"Bundle","typ\u0065":"batch","entry":[null,{"request":null},{"request":{"url":"a\"b","url":"c"}}]}`,
		` { "resourceType" : "Bundle" , "entry" : [ { "fullUrl" : "x" , "fullUrl" : "y" } ] } `,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in bundleIn
		d := json.NewDecoder(bytes.NewReader(body))
		d.DisallowUnknownFields()
		if d.Decode(&in) != nil || !json.Valid(body) {
			return
		}
		got := checkEnvelopeKeys(body)
		want := tokenEnvelope(json.NewDecoder(bytes.NewReader(body)), "Bundle", envelopeKeys.bundle)
		if (got == nil) != (want == nil) || got != nil && got.Error() != want.Error() {
			t.Fatalf("%s\nscanner: %v\ntokens:  %v", body, got, want)
		}
	})
}

// tokenEnvelope is checkEnvelopeKeys written with json.Decoder's tokens.
func tokenEnvelope(d *json.Decoder, where string, keys map[string]uint64) error {
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	seen := map[string]bool{}
	for d.More() {
		t, _ := d.Token()
		key, _ := t.(string)
		switch {
		case keys[key] == 0:
			return fmtErr(fhir.ErrInvalid, "%s: unknown element %q (FHIR's JSON names are case-sensitive)", where, key)
		case seen[key]:
			return fmtErr(fhir.ErrInvalid, "%s.%s: duplicate JSON key", where, key)
		}
		seen[key] = true
		switch {
		case where == "Bundle" && key == "entry":
			if t, _ := d.Token(); t != json.Delim('[') {
				continue
			}
			for i := 0; d.More(); i++ {
				if err := tokenEnvelope(d, fmt.Sprintf("Bundle.entry[%d]", i), envelopeKeys.entry); err != nil {
					return err
				}
			}
			d.Token()
		case key == "request" && strings.HasPrefix(where, "Bundle.entry["):
			if err := tokenEnvelope(d, where+".request", envelopeKeys.request); err != nil {
				return err
			}
		default:
			var skip json.RawMessage
			d.Decode(&skip)
		}
	}
	d.Token()
	return nil
}
