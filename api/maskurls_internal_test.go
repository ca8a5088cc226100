package api

import (
	"net/url"
	"testing"
)

// unescapeLoose decodes what the strict decoder decodes, and each valid
// escape of what it refuses.
func TestUnescapeLoose(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Condition/hiv", "Condition/hiv"},
		{"Condition%2Fhiv", "Condition/hiv"},
		{"Condition%2fhiv%", "Condition/hiv%"},
		{"%zzCondition%2Fhiv", "%zzCondition/hiv"},
		{"a%2", "a%2"},
		{"%41%", "A%"},
		{"%%41", "%A"},
		{"%252F", "%2F"},
	} {
		if got := unescapeLoose(c.in); got != c.want {
			t.Errorf("unescapeLoose(%q) = %q, want %q", c.in, got, c.want)
		}
		if d, err := url.PathUnescape(c.in); err == nil && d != unescapeLoose(c.in) {
			t.Errorf("%q: strict %q, loose %q", c.in, d, unescapeLoose(c.in))
		}
	}
}
