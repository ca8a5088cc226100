package synth

import "fmt"

// NHS numbers.
//
// Person i gets a fixed NHS number that depends on i alone (not on the
// seed), so that a benchmark can compute any person's number: the 9-digit
// body is an 8-digit prefix and one more digit, and every prefix supplies
// the first 9 of its 10 last digits whose modulus-11 check digit is not 10.
// Prefixes run from 99901000 (999 010 0xxx: the 10,000 numbers below are
// left to hand-written test data such as the demo's 999 000 0018) to
// 99999999, which gives 891,000 numbers in the 999 test range; people
// beyond that continue in 998 (998 000 0xxx on), a range that is not
// issued either.

const (
	nhsFirstPrefix = 99901000
	nhsPerPrefix   = 9
	// NHS999Capacity is how many people get numbers in the 999 range.
	NHS999Capacity = (99999999 - nhsFirstPrefix + 1) * nhsPerPrefix
)

// NHSNumber is person i's NHS number: 10 digits, no spaces.
func NHSNumber(i int) string {
	block := i / nhsPerPrefix
	var prefix int
	if block < NHS999Capacity/nhsPerPrefix {
		prefix = nhsFirstPrefix + block
	} else {
		// 998 and below: whole blocks of 100,000 prefixes each.
		rest := block - NHS999Capacity/nhsPerPrefix
		prefix = 99800000 - (rest/100000)*100000 + rest%100000
	}
	want := i % nhsPerPrefix
	for d := 0; d < 10; d++ {
		body := prefix*10 + d
		if c, ok := checkDigit(body); ok {
			if want == 0 {
				return fmt.Sprintf("%09d%d", body, c)
			}
			want--
		}
	}
	panic("synth: unreachable: every prefix has at least 9 valid NHS numbers")
}

// checkDigit is the modulus-11 check digit of a 9-digit body; ok is false
// when it would be 10 (no valid number has that body).
func checkDigit(body int) (int, bool) {
	sum := 0
	for w := 2; w <= 10; w++ {
		sum += (body % 10) * w
		body /= 10
	}
	c := 11 - sum%11
	if c == 11 {
		c = 0
	}
	return c, c != 10
}

// PatientID is person i's Patient id: "syn-" and i in at least 7 digits.
func PatientID(i int) string { return fmt.Sprintf("syn-%07d", i) }

// FormatNHS writes an NHS number as 3 3 4 digits ("999 010 0018").
func FormatNHS(n string) string {
	if len(n) != 10 {
		return n
	}
	return n[:3] + " " + n[3:6] + " " + n[6:]
}
