package api

import (
	"net/url"
	"testing"
)

// FuzzQueryReadableAgreesWithParseQuery: the acceptable middleware's
// byte check refuses exactly the query strings url.ParseQuery cannot read
// whole (review 16e's 400), which it used to call on every request.
func FuzzQueryReadableAgreesWithParseQuery(f *testing.F) {
	for _, q := range []string{"", "a=1&b=2", "code=zz%zz", "a=%4", "a=%41", "a;b=1", "_type=Condition%zz", "a=%", "%41=%42&%", "x=1&&y=%2f"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		_, err := url.ParseQuery(q)
		if got := queryReadable(q); got != (err == nil) {
			t.Errorf("queryReadable(%q) = %v; url.ParseQuery error: %v", q, got, err)
		}
	})
}
