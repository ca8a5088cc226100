package api

import (
	"net/url"
	"testing"
)

// unescapeLoose decodes what the strict decoder decodes, and each valid
// escape of what it refuses, again where decoding made an escape (double
// encoding), up to maxDecodeRounds times.
func TestUnescapeLoose(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Condition/hiv", "Condition/hiv"},
		{"Condition%2Fhiv", "Condition/hiv"},
		{"Condition%2fhiv%", "Condition/hiv%"},
		{"%zzCondition%2Fhiv", "%zzCondition/hiv"},
		{"a%2", "a%2"},
		{"%41%", "A%"},
		{"%%41", "%A"},
		{"%252F", "/"},
		{"Condition%25252fhiv", "Condition/hiv"},
		{"%25252525252F", "%252F"}, // four rounds, no more
		{"%2525%", "%%"},
	} {
		if got := unescapeLoose(c.in); got != c.want {
			t.Errorf("unescapeLoose(%q) = %q, want %q", c.in, got, c.want)
		}
		d, err := c.in, error(nil)
		for i := 0; i < maxDecodeRounds && err == nil; i++ {
			d, err = url.PathUnescape(d)
		}
		if err == nil && d != unescapeLoose(c.in) {
			t.Errorf("%q: strict %q, loose %q", c.in, d, unescapeLoose(c.in))
		}
	}
}
