package api

import (
	"math/rand"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/carex-project/carex/fhir"
)

// nhsNumberLike40a is the regular expression numbersIn used before review
// 40a (F6), which nextNHSNumberLike replaces: its matches must be the same.
var nhsNumberLike40a = regexp.MustCompile(`\d{3}[ -]?\d{3}[ -]?\d{4}`)

func nhsNumberRuns40a(text []byte) [][]byte {
	var out [][]byte
	for at := 0; ; {
		m, next := nextNHSNumberLike(text, at)
		if m == nil {
			return out
		}
		out = append(out, m)
		at = next
	}
}

// TestReview40aNHSNumberScannerMatchesRegexp: the hand-written scanner
// finds exactly the runs the regular expression found (FindAll), on a
// table of forms and on random text over digits, separators and others;
// and modulus11 agrees with fhir.NormaliseNHSNumber on each.
func TestReview40aNHSNumberScannerMatchesRegexp(t *testing.T) {
	inputs := []string{
		"", "999000006", "9990000069", "999 000 0069", "999-000-0069", "999 000-0069", "999  000 0069",
		"999 0000069", "9990000 069", "999 000 00 69", "99900000691234567890", "12345678901234567890123",
		"NHS 943 476 5919; tel 0113 243 3144", "0113 243 3144", "--999-000-0069--", "999-000-006", "9 9 9 0 0 0 0 0 6 9",
		"1234 567 890", "123 4567 890", "123 456 78901", "a999000006９", "999\t000\t0069", "999\n000\n0069",
		"４８５７７７３４５６", "999 000 0069 999 000 0069", "9990000069999000006", " 999 000 0069 ", "99-9000-0069",
	}
	r := rand.New(rand.NewSource(40))
	alphabet := []byte("0123456789012345678901234567890123456789  --x\n")
	for n := 0; n < 20000; n++ {
		b := make([]byte, r.Intn(40))
		for i := range b {
			b[i] = alphabet[r.Intn(len(alphabet))]
		}
		inputs = append(inputs, string(b))
	}
	for _, in := range inputs {
		want := nhsNumberLike40a.FindAll([]byte(in), -1)
		got := nhsNumberRuns40a([]byte(in))
		if !slices.EqualFunc(want, got, func(a, b []byte) bool { return string(a) == string(b) }) {
			t.Fatalf("%q: regexp %q, scanner %q", in, want, got)
		}
		for _, m := range got {
			_, err := fhir.NormaliseNHSNumber(strings.ReplaceAll(string(m), "-", ""))
			if modulus11(m) != (err == nil) {
				t.Fatalf("%q: modulus11 %v, NormaliseNHSNumber %v", m, modulus11(m), err)
			}
		}
	}
}

// BenchmarkReview40aNHSNumberRuns: the regular expression against the
// scanner over 1 MiB of clinic notes (review 40a F6):
//
//	go test ./api -run '^$' -bench Review40aNHSNumberRuns
func BenchmarkReview40aNHSNumberRuns(b *testing.B) {
	line := "<p>Seen 12/03/2026 10:30 in clinic, tel 0113 243 3144; NHS 943 476 5919; BP 128/82, review in 3 months (ref 2026-0412).</p>\n"
	text := []byte(strings.Repeat(line, (1<<20)/len(line)))
	b.Run("regexp", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			nhsNumberLike40a.FindAll(text, -1)
		}
	})
	b.Run("scanner", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			nhsNumberRuns40a(text)
		}
	})
}
