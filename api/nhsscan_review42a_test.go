package api

import (
	"math/rand"
	"regexp"
	"testing"
)

// TestReview42aSoundNHSScannerMatchesRegexp: nextNHSNumberLike finds the
// runs `\d{3}[ -]?\d{3}[ -]?\d{4}` (FindAll) found, on crafted forms
// (3-3-4 with spaces and dashes, mixed, after letters, inside longer digit
// runs, UTF-16 after fromUTF16, full-width digits) and 50,000 random
// strings over a small alphabet.
func TestReview42aSoundNHSScannerMatchesRegexp(t *testing.T) {
	re := regexp.MustCompile(`\d{3}[ -]?\d{3}[ -]?\d{4}`)
	all := func(b []byte) []string {
		var out []string
		for at := 0; ; {
			m, next := nextNHSNumberLike(b, at)
			if m == nil {
				return out
			}
			out = append(out, string(m))
			at = next
		}
	}
	check := func(s string) {
		var want []string
		for _, m := range re.FindAll([]byte(s), -1) {
			want = append(want, string(m))
		}
		got := all([]byte(s))
		if len(got) != len(want) {
			t.Errorf("%q: scanner %q, regexp %q", s, got, want)
			return
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%q: scanner %q, regexp %q", s, got, want)
				return
			}
		}
	}
	for _, s := range []string{"999 000 0069", "999-000-0069", "999 000-0069", "NHS9990000069x", "129990000069123",
		"99 9000 0069", "999  000 0069", "999 0000069", "9990000069999 000 0069", "999 000 006", "12 345 999 000 0069 1",
		"999-000-00699990000069", "--999--000", "999 000 0069\n999 000 0069", "９９９０００００６９"} {
		check(s)
	}
	check(string(fromUTF16(append([]byte{0xff, 0xfe}, []byte("9\x009\x009\x00 \x000\x000\x000\x00 \x000\x000\x006\x009\x00")...))))
	r := rand.New(rand.NewSource(42))
	alpha := []byte("0123456789  --a\n")
	for n := 0; n < 50000; n++ {
		b := make([]byte, r.Intn(40))
		for i := range b {
			b[i] = alpha[r.Intn(len(alpha))]
		}
		check(string(b))
	}
}
