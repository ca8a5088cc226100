package fhir

import (
	"fmt"
	"strings"
)

// NHSNumberSystem is the identifier system of NHS numbers (England and Wales).
const NHSNumberSystem = "https://fhir.nhs.uk/Id/nhs-number"

// NormaliseNHSNumber strips spaces and checks that what remains is 10 digits
// with a valid modulus-11 check digit, returning the bare 10 digits. The error
// (a *ValidationError without path) wraps ErrInvalid and says what is wrong.
func NormaliseNHSNumber(s string) (string, error) {
	n := strings.ReplaceAll(s, " ", "")
	if len(n) != 10 {
		return "", &ValidationError{Msg: fmt.Sprintf("NHS number %q must have 10 digits", s)}
	}
	sum := 0
	for i := 0; i < 10; i++ {
		c := n[i]
		if c < '0' || c > '9' {
			return "", &ValidationError{Msg: fmt.Sprintf("NHS number %q must contain only digits", s)}
		}
		if i < 9 {
			sum += int(c-'0') * (10 - i)
		}
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	if check == 10 || check != int(n[9]-'0') {
		return "", &ValidationError{Msg: fmt.Sprintf("NHS number %s fails the modulus-11 check", n)}
	}
	return n, nil
}

// ValidNHSNumber reports whether NormaliseNHSNumber accepts s.
func ValidNHSNumber(s string) bool {
	_, err := NormaliseNHSNumber(s)
	return err == nil
}
