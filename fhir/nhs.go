package fhir

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// NHSNumberSystem is the identifier system of NHS numbers (England and Wales).
const NHSNumberSystem = "https://fhir.nhs.uk/Id/nhs-number"

// nhsNumberSystemForms are the forms of the NHS number system feeds
// write, lower-cased: NHSNumberSystem, its http form (the one NHS
// Digital's earlier profiles used), either with a trailing slash, and the
// NHS number's OID (HL7 v3, CDA) as a FHIR system.
var nhsNumberSystemForms = []string{
	"https://fhir.nhs.uk/id/nhs-number", "https://fhir.nhs.uk/id/nhs-number/",
	"http://fhir.nhs.uk/id/nhs-number", "http://fhir.nhs.uk/id/nhs-number/",
	"urn:oid:2.16.840.1.113883.2.1.4.1",
}

// IsNHSNumberSystem reports whether an identifier system names the NHS
// number: NHSNumberSystem as written, or in any of the forms feeds also
// write it (nhsNumberSystemForms, in any case). Review 38c: a hospital
// feed's number under http://fhir.nhs.uk/Id/nhs-number was not taken for
// one, so her record was not joined to her restricted GP record and the
// number went unchecked. Every reader of NHS numbers asks this one
// function; the stored JSON keeps the system as written.
func IsNHSNumberSystem(system string) bool {
	if system == NHSNumberSystem {
		return true
	}
	if len(system) > len(NHSNumberSystem)+1 || len(system) < len("http://fhir.nhs.uk/id/nhs-number") {
		return false
	}
	// ASCII letters only, as SQLite's lower() folds them (review 41a:
	// "İd" lowered to "id" here and not in the store, which then kept no
	// retired number for a deleted record so written, and its objection
	// stopped counting).
	for i := 0; i < len(system); i++ {
		if system[i] >= 0x80 {
			return false
		}
	}
	return slices.Contains(nhsNumberSystemForms, strings.ToLower(system))
}

// NHSNumberSystemForms are the lower-cased systems IsNHSNumberSystem
// takes (for a store that picks NHS numbers out in its own language:
// compare them with the system lower-cased).
func NHSNumberSystemForms() []string {
	return slices.Clone(nhsNumberSystemForms)
}

// MayHoldNHSNumberSystem reports whether JSON bytes may hold an
// identifier under one of the NHS number system's forms (a cheap test
// before decoding): "nhs-number" in any case, or the OID's digits.
func MayHoldNHSNumberSystem(raw []byte) bool {
	if bytes.Contains(raw, []byte("nhs-number")) || bytes.Contains(raw, []byte("2.16.840.1.113883.2.1.4.1")) {
		return true
	}
	for i := 0; ; {
		j := bytes.IndexByte(raw[i:], '-')
		if j < 0 {
			return false
		}
		i += j + 1
		if i >= 4 && i+6 <= len(raw) && bytes.EqualFold(raw[i-4:i+6], []byte("nhs-number")) {
			return true
		}
	}
}

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
